"""Settings for SCORE Hub, read from environment variables.

Every value has a safe default for the demo (SQLite under ``data/``, DEBUG off unless asked for);
production sets ``DATABASE_URL``, ``SECRET_KEY``, ``ALLOWED_HOSTS`` and friends.
"""

from __future__ import annotations

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

from scorehub.core.i18n import ALL_LABEL, NOT_SET_LABEL

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(environ.Env().str("SCOREHUB_DATA_DIR", default=str(BASE_DIR / "data")))

env = environ.Env()
if (BASE_DIR / ".env").exists():
    env.read_env(str(BASE_DIR / ".env"))

DEBUG = env.bool("DEBUG", default=False)
# The demo secret is only acceptable because ``check --deploy`` refuses it in production.
SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-scorehub-demo-key-change-me-in-production")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
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
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "scorehub.core.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page needs a signed-in user unless its view is marked login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    # Axes must come last so that it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
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
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the background worker write while pages are read; a busy timeout instead of
    # "database is locked" when the two meet.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default=f"filecache://{DATA_DIR / 'cache'}")}

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

# Lock an account + address pair out after five failed logins for 15 minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 0.25
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
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
# Front-end libraries come from npm (package-lock.json) and are served straight from node_modules.
STATICFILES_DIRS = [
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", NODE_MODULES / "bootstrap-icons" / "font"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(DATA_DIR / "media")))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
# Largest spreadsheet accepted by the imports (bytes).
SCOREHUB_IMPORT_MAX_BYTES = env.int("SCOREHUB_IMPORT_MAX_BYTES", default=20 * 1024 * 1024)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG and env.bool("HTTPS", default=False))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
# Load balancers probe /healthz over plain HTTP inside the network; it must not be redirected.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_PROXY", default=False) else None
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
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "scorehub.core.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "scorehub.core.api.ScoreHubAutoSchema",
    "DEFAULT_THROTTLE_RATES": {"anon": "60/minute", "user": "2000/hour"},
}
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

# Background jobs: django-q2 with the database as broker, so the embedded SQLite set-up works too.
Q_CLUSTER = {
    "name": "scorehub",
    "orm": "default",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": 1800,
    "retry": 3600,
    "max_attempts": 1,
    "catch_up": False,
    "sync": env.bool("Q_SYNC", default=False),
}

AUDITLOG_INCLUDE_ALL_MODELS = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

SCOREHUB_SITE_NAME = _("SCORE Hub")

# List filters say "All" rather than a row of dashes when nothing is chosen.
FILTERS_EMPTY_CHOICE_LABEL = ALL_LABEL
FILTERS_NULL_CHOICE_LABEL = NOT_SET_LABEL
