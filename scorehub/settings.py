"""Settings for SCORE Hub, read from environment variables.

Every value has a safe default for the demo (SQLite under ``data/``, DEBUG off unless asked for);
production sets ``DATABASE_URL``, ``SECRET_KEY``, ``ALLOWED_HOSTS`` and friends.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from whitenoise.compress import Compressor

from scorehub.core import secret_key
from scorehub.core.i18n import ALL_LABEL, NOT_SET_LABEL

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(environ.Env().str("SCOREHUB_DATA_DIR", default=str(BASE_DIR / "data")))

env = environ.Env()
if (BASE_DIR / ".env").exists():
    env.read_env(str(BASE_DIR / ".env"))

DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
# Signs sessions, CSRF tokens and links (docs/decisions/0005-secret-key.md).  A given key must be strong; a
# server answering to a public host name refuses to start without one; a run on this machine only (make run,
# the tests) uses a random key kept in DATA_DIR/secret_key, which ``check --deploy`` refuses for production.
SECRET_KEY, SCOREHUB_SECRET_KEY_IS_LOCAL = secret_key.resolve(
    env.str("SECRET_KEY", default=""),
    data_dir=DATA_DIR,
    production=secret_key.is_production(debug=DEBUG, allowed_hosts=ALLOWED_HOSTS),
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # SCORE Hub's own apps first: their translations and templates take precedence over the
    # libraries' ("Filter" is "筛选" here, not django-filter's wording).  Order also matters for the
    # demo data set: each app's ``demo.build`` runs after the apps listed before it.
    "scorehub.core",
    "scorehub.regions",
    "scorehub.accounts",
    "scorehub.enterprises",
    "scorehub.training",
    "scorehub.suggestions",
    "scorehub.safety",
    "scorehub.indicators",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # runserver leaves static files to WhiteNoise, as the production server does.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_tables2",
    "django_htmx",
    "axes",
    "auditlog",
    "django_q",
    "django_prometheus",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # A request id for every log line of the request, and the X-Request-ID response header.
    "scorehub.core.observability.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files (hashed names, gzip and brotli variants, far-future caching) answered before sessions.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "scorehub.core.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Marks a user who has just written, whose reads then stay on the primary database (dbrouting).
    "scorehub.core.dbrouting.RecentWriteMiddleware",
    # Every page needs a signed-in user unless its view is marked login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # auditlog's, with the client address from scorehub.core.clientip.
    "scorehub.core.middleware.AuditlogMiddleware",
    # Axes must come last so that it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "scorehub.urls"
WSGI_APPLICATION = "scorehub.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "scorehub.core.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'scorehub.sqlite3'}"),
}
if env.str("DATABASE_REPLICA_URL", default=""):
    # A streaming replica of the primary: dashboards, reports, exports and the indicator API read from it
    # (scorehub.core.dbrouting); tests use the primary under the replica's name.
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
for _database in DATABASES.values():
    _database["ATOMIC_REQUESTS"] = False
    # Persistent connections (one per worker thread, so at most workers x threads per server), checked
    # before reuse so that a restarted database costs one failed check, not a failed request.
    _database["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    _database["CONN_HEALTH_CHECKS"] = True
    if _database["ENGINE"] == "django.db.backends.sqlite3":
        # The embedded database under concurrent writers: WAL lets readers and one writer work at once;
        # IMMEDIATE takes the write lock when a transaction starts, so a writer waits (busy timeout) instead
        # of failing with "database is locked" when two read-then-write transactions meet.
        _database.setdefault("OPTIONS", {}).update(
            {
                "timeout": env.int("SQLITE_BUSY_TIMEOUT", default=30),
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            }
        )
# Reads go to the replica only inside reads_from_replica(); see scorehub/core/dbrouting.py for the rules.
DATABASE_ROUTERS = ["scorehub.core.dbrouting.ReplicaRouter"]
# After writing, a user reads from the primary for this long (the replica's acceptable lag, and more).
SCOREHUB_REPLICA_STICKY_SECONDS = env.int("DATABASE_REPLICA_STICKY_SECONDS", default=10)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis, when there is one, is shared by every app server: it holds the cache (with the throttles' counters
# and the replica's "just wrote" marks), the job queue, and the lockout and rate-limit counters.
REDIS_URL = env.str("REDIS_URL", default="")
if env.str("CACHE_URL", default=""):
    CACHES = {"default": env.cache("CACHE_URL")}
elif REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "scorehub",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Lock an account + client address pair out after five failed logins, for 15 minutes from the fifth: more
# failures during the lock do not prolong it.  The same person from another address still gets in; an
# organisation's officials unlock from its "Sign-in lockouts" tab (docs/security.md).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 0.25
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "scorehub.core.clientip.client_ip"
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LANGUAGE_COOKIE_NAME = "scorehub_language"
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True
LOCALE_PATHS: list[Path] = []

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
NODE_MODULES = BASE_DIR / "node_modules"
# Front-end libraries come from npm (package-lock.json); ``collectstatic`` copies them into STATIC_ROOT with
# the project's own files, and WhiteNoise serves them from there.
STATICFILES_DIRS = [
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", NODE_MODULES / "bootstrap-icons" / "font"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
]
# Of those packages' builds only what the pages load, with the source maps and fonts those files name
# (scorehub.core.staticfiles.VendorFinder): glob patterns on the served path.
VENDOR_STATIC_FILES = [
    "vendor/bootstrap/css/bootstrap.min.css",
    "vendor/bootstrap/css/bootstrap.min.css.map",
    "vendor/bootstrap/js/bootstrap.bundle.min.js",
    "vendor/bootstrap/js/bootstrap.bundle.min.js.map",
    "vendor/bootstrap-icons/bootstrap-icons.min.css",
    "vendor/bootstrap-icons/fonts/bootstrap-icons.woff",
    "vendor/bootstrap-icons/fonts/bootstrap-icons.woff2",
    "vendor/echarts/echarts.min.js",
    "vendor/htmx/htmx.min.js",
]
STATICFILES_FINDERS = [
    "scorehub.core.staticfiles.VendorFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]
# Source maps are fetched by developer tools only: not worth compressing.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"]
# Production serves the collected files under content-hashed names (cached for a year, precompressed);
# with DEBUG, files are found where they lie and nothing needs collecting.
STATICFILES_STORAGE_BACKEND = (
    "django.contrib.staticfiles.storage.StaticFilesStorage"
    if DEBUG
    else "whitenoise.storage.CompressedManifestStaticFilesStorage"
)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(DATA_DIR / "media")))
# Uploaded files (photos, case studies) on the filesystem, or with MEDIA_STORAGE=s3 in an S3-compatible
# bucket (AWS, MinIO, Aliyun OSS, ...).  They are private: pages serve them after a scope check, and the
# storage is never given a public address.  Credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
MEDIA_STORAGE = env.str("MEDIA_STORAGE", default="filesystem")
if MEDIA_STORAGE == "s3":
    MEDIA_STORAGE_BACKEND: dict[str, Any] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("S3_BUCKET"),
            "location": env.str("S3_PREFIX", default="media"),
            "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("S3_REGION", default="") or None,
            "addressing_style": env.str("S3_ADDRESSING_STYLE", default="") or None,
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
elif MEDIA_STORAGE == "filesystem":
    MEDIA_STORAGE_BACKEND = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
else:
    raise ImproperlyConfigured(f"MEDIA_STORAGE must be 'filesystem' or 's3', not {MEDIA_STORAGE!r}.")
STORAGES = {
    "default": MEDIA_STORAGE_BACKEND,
    "staticfiles": {"BACKEND": STATICFILES_STORAGE_BACKEND},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
# Largest spreadsheet accepted by the imports (bytes).
SCOREHUB_IMPORT_MAX_BYTES = env.int("SCOREHUB_IMPORT_MAX_BYTES", default=20 * 1024 * 1024)
# An import whose worker shows no sign of life for this long (seconds) is marked failed, to be retried.
SCOREHUB_IMPORT_STALE_AFTER = env.int("SCOREHUB_IMPORT_STALE_AFTER", default=10 * 60)
# Uploaded photos (scorehub.core.images): largest file; most pixels, read from the header before anything is
# decoded (40 megapixels takes every phone's usual 12 to 24 MP photo and refuses 48 MP and larger modes and
# pixel bombs: decoding costs at most about 120 MB); longer side kept after re-encoding.
SCOREHUB_IMAGE_MAX_BYTES = env.int("SCOREHUB_IMAGE_MAX_BYTES", default=10 * 1024 * 1024)
SCOREHUB_IMAGE_MAX_PIXELS = env.int("SCOREHUB_IMAGE_MAX_PIXELS", default=40_000_000)
SCOREHUB_IMAGE_MAX_EDGE = env.int("SCOREHUB_IMAGE_MAX_EDGE", default=1600)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG and env.bool("HTTPS", default=False))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
# Load balancers and Prometheus probe over plain HTTP inside the network: not redirected.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
# Behind a reverse proxy (nginx): it says whether the request came over HTTPS, and each of our
# TRUSTED_PROXY_COUNT proxies appends the address it got the request from to X-Forwarded-For.  The client's
# address is then the right-most hop our proxies did not add (scorehub.core.clientip); without a proxy,
# X-Forwarded-For is ignored.
BEHIND_PROXY = env.bool("BEHIND_PROXY", default=False)
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1 if BEHIND_PROXY else 0)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# A strict content security policy: no inline scripts or styles; everything is served by us.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

REST_FRAMEWORK = {
    # Token first, so that a caller without valid credentials gets 401 with a "WWW-Authenticate: Token"
    # challenge (the first class decides); the browser's session works as well.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON nested deeper than any record of the API is a 400 (it used to be a RecursionError and a 500).
    "DEFAULT_PARSER_CLASSES": [
        "scorehub.core.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "scorehub.core.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "scorehub.core.api.ScoreHubAutoSchema",
    # Counted by scorehub.core.ratelimit (atomic counters, the client address from core.clientip).
    "DEFAULT_THROTTLE_CLASSES": [
        "scorehub.core.ratelimit.AnonRateThrottle",
        "scorehub.core.ratelimit.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_RATE_ANON", default="60/minute"),
        "user": env.str("API_RATE_USER", default="2000/hour"),
    },
}
# Where the rate limits count: "auto" (a Redis or Memcached default cache if CACHE_URL names one, else the
# database), "database", or "cache:<alias>".  Never the file cache: it cannot count atomically.
RATELIMIT_STORE = env.str("RATELIMIT_STORE", default="auto")
# The public suggestion pages' limits, replacing the defaults of scorehub.suggestions.views.PUBLIC_LIMITS:
# "ip=10/600,ip=40/86400,token=60/600,token=600/86400,lookup=30/600" (scope=limit/seconds).  A factory
# whose workers all reach the internet through one address needs a higher "ip" limit.
SCOREHUB_SUGGESTION_THROTTLE = [
    (scope.strip(), int(limit), int(window))
    for scope, _, rate in (part.partition("=") for part in env.list("SUGGESTION_RATES", default=[]))
    for limit, _, window in [rate.partition("/")]
]
SPECTACULAR_SETTINGS = {
    "TITLE": "SCORE Hub API",
    "DESCRIPTION": "Regions, organisations, enterprises and SCORE programme records, scoped to the caller.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a "status", "kind" or "severity" with their own choices: name each set.
    "ENUM_NAME_OVERRIDES": {
        "EnterpriseStatusEnum": "scorehub.enterprises.models.EnterpriseStatus",
        "SizeClassEnum": "scorehub.enterprises.models.SizeClass",
        "OrganisationKindEnum": "scorehub.accounts.models.OrganisationKind",
        "SuggestionStatusEnum": "scorehub.suggestions.models.SuggestionStatus",
        "ProjectStatusEnum": "scorehub.suggestions.models.ProjectStatus",
        "CaseStudyStatusEnum": "scorehub.suggestions.models.CaseStudyStatus",
        "HazardStatusEnum": "scorehub.safety.models.HazardStatus",
        "HazardClassEnum": "scorehub.safety.models.HazardClass",
        "CheckKindEnum": "scorehub.safety.models.CheckKind",
        # Planned inspections and visits share their states (planned, done, cancelled).
        "PlannedStatusEnum": "scorehub.safety.models.PlannedStatus",
        "AccidentSeverityEnum": "scorehub.safety.models.AccidentSeverity",
        # A finding is advice or enforcement, in a visit and in a check alike.
        "FindingNatureEnum": "scorehub.safety.models.FindingNature",
        "RiskScaleEnum": "scorehub.safety.models.SCALE_1_5",
        "EnrolmentStatusEnum": "scorehub.training.models.EnrolmentStatus",
        "VisitKindEnum": "scorehub.training.models.VisitKind",
        "TargetKindEnum": "scorehub.training.models.TargetKind",
        "CertificationStatusEnum": "scorehub.training.models.CertificationStatus",
        "AccreditationStatusEnum": "scorehub.training.models.AccreditationStatus",
        "PlanItemStatusEnum": "scorehub.training.models.PlanItemStatus",
    },
}

DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5-responsive.html"

# Background jobs: django-q2 with Redis as broker when REDIS_URL is set, else the database (so the embedded
# SQLite set-up works too).
Q_CLUSTER: dict[str, Any] = {
    "name": "scorehub",
    **({"redis": REDIS_URL} if REDIS_URL else {"orm": "default"}),
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": 1800,
    "retry": 3600,
    "max_attempts": 1,
    "catch_up": False,
    "sync": env.bool("Q_SYNC", default=False),
}

AUDITLOG_INCLUDE_ALL_MODELS = False

# Passwords, reset links and second factors (docs/accounts.md).
# django-otp keeps the TOTP devices; OTPMiddleware (after AuthenticationMiddleware) tells whether this session
# has passed the second factor, and SecondFactorMiddleware holds whoever still owes one at the code or the
# enrolment page.
INSTALLED_APPS += ["django_otp", "django_otp.plugins.otp_totp"]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "django_otp.middleware.OTPMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django_otp.middleware.OTPMiddleware") + 1,
    "scorehub.accounts.middleware.SecondFactorMiddleware",
)
# Roles that must sign in with a second factor, e.g. SCOREHUB_REQUIRE_2FA_FOR=official,programme_admin
# (role values as in scorehub.core.scoping.Role).  Empty: nobody must, anybody may.
OTP_REQUIRED_ROLES = env.list("SCOREHUB_REQUIRE_2FA_FOR", default=[])
OTP_TOTP_ISSUER = "SCORE Hub"
# Django's admin site lists the devices but never shows their secrets.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# A password reset link made by an organisation's admin works once, for this long (seconds; 3 days).
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3 * 24 * 3600)
# Outgoing mail (reset links): e.g. EMAIL_URL=smtp+tls://user:password@smtp.example.cn:587.  The default
# writes mails to the console, which suits the demo.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="SCORE Hub <noreply@localhost>")

# Logs: one JSON object a line (for journald, Loki, Elasticsearch ...) unless LOG_FORMAT=text or DEBUG; every
# record carries the request id and the user id (scorehub.core.observability).  Gunicorn's access log goes
# to standard output, everything else to standard error.
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be 'json' or 'text', not {LOG_FORMAT!r}.")
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "scorehub.core.observability.RequestContextFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s %(request_id)s %(user_id)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",  # ISO 8601, UTC
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s user=%(user_id)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_context"]},
        "access": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": LOG_FORMAT,
            "filters": ["request_context"],
        },
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "scorehub": {"level": LOG_LEVEL},
        "django.request": {"level": LOG_LEVEL},
        "gunicorn.error": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "gunicorn.access": {"handlers": ["access"], "level": LOG_LEVEL, "propagate": False},
        "django-q": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
    },
}

# Prometheus metrics at /metrics, for these addresses or networks only (others get 404).
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])

SCOREHUB_SITE_NAME = _("SCORE Hub")

# List filters say "All" rather than a row of dashes when nothing is chosen.
FILTERS_EMPTY_CHOICE_LABEL = ALL_LABEL
FILTERS_NULL_CHOICE_LABEL = NOT_SET_LABEL
