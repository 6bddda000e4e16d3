"""What operators see of a running server: request ids in every log line, metrics, readiness.

* :class:`RequestContextMiddleware` (first in ``MIDDLEWARE``) gives each request an id, taken from the
  incoming ``X-Request-ID`` when it is sane (so nginx's id follows the request) or made up, and returns it
  in the ``X-Request-ID`` response header.  :class:`RequestContextFilter` adds ``request_id`` and ``user_id``
  to every log record emitted while the request is handled, by any logger, and to gunicorn's access line.
* :func:`metrics` is django-prometheus's exporter, answered only to the addresses in ``METRICS_ALLOWED_IPS``
  (anyone else gets 404, as for a page that does not exist).
* :func:`readyz` answers 200 when the database (and replica), the cache, the job broker are reachable and
  every migration is applied, else 503; ``/healthz`` stays a liveness check.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.functional import LazyObject, empty
from django.views.decorators.cache import never_cache

from .clientip import client_ip

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"
# Ids from outside are kept only when short and plain (nginx's $request_id is 32 hex digits).
SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")

# The request being handled by this thread.  Set when a request starts and left in place after it, so
# that what is logged once the middleware has returned (Django's "Not Found" line, gunicorn's access line)
# still carries the request's id; the next request on the thread replaces it.
_current_request: ContextVar[HttpRequest | None] = ContextVar("scorehub_current_request", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def request_id_of(request: HttpRequest) -> str:
    return str(request.META.get("scorehub.request_id", ""))


def user_id_of(request: HttpRequest | None) -> int | None:
    """The signed-in user's id, if the request has already looked the user up (never a query here)."""
    if request is None:
        return None
    user = getattr(request, "user", None)
    if isinstance(user, LazyObject):
        wrapped = user._wrapped  # type: ignore[attr-defined]
        if wrapped is empty:
            return None
        user = wrapped
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return int(user.pk)


class RequestContextMiddleware:
    """Gives the request an id (``X-Request-ID`` in and out) and makes it and the user known to logging."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if SANE_REQUEST_ID.match(incoming) else new_request_id()
        # In the WSGI environ, where gunicorn's access log finds it too.
        request.META["scorehub.request_id"] = request_id
        _current_request.set(request)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        # The user as finally known (an API token is only read by the view), for the access line.
        request.META["scorehub.user_id"] = user_id_of(request)
        return response


class RequestContextFilter(logging.Filter):
    """Adds ``request_id`` and ``user_id`` (empty outside a request) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = _current_request.get()
        if not hasattr(record, "request_id"):
            record.request_id = request_id_of(request) if request is not None else ""
        if not hasattr(record, "user_id"):
            record.user_id = user_id_of(request)
        return True


# ---------------------------------------------------------------------------------------------------------
# Metrics and readiness


def address_allowed(address: str, allowed: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in allowed:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


@login_not_required
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics, for the addresses in ``METRICS_ALLOWED_IPS`` only (404 for anyone else)."""
    from django_prometheus.exports import ExportToDjangoView

    if not address_allowed(client_ip(request) or "", settings.METRICS_ALLOWED_IPS):
        raise Http404
    return ExportToDjangoView(request)  # type: ignore[no-any-return]


_migrations_applied = False


def _check_database(alias: str) -> str:
    from django.db import connections

    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _check_cache() -> str:
    from django.core.cache import cache

    key = f"scorehub:readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    found = cache.get(key)
    cache.delete(key)
    return "ok" if found == "1" else "not working"


def _check_broker() -> str:
    from django_q.brokers import get_broker

    return "ok" if get_broker().ping() else "not answering"


def _check_migrations() -> str:
    global _migrations_applied
    if _migrations_applied:  # once applied, they stay applied until the next deployment restarts us
        return "ok"
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        return f"{len(plan)} not applied"
    _migrations_applied = True
    return "ok"


@login_not_required
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: database (and replica), cache, job broker and migrations, each "ok" or what is wrong."""
    checks: dict[str, Callable[[], str]] = {"database": lambda: _check_database("default")}
    if "replica" in settings.DATABASES:
        checks["replica"] = lambda: _check_database("replica")
    checks.update(cache=_check_cache, broker=_check_broker, migrations=_check_migrations)
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            results[name] = check()
        except Exception as error:  # noqa: BLE001 - every failure is reported, none is raised
            logger.warning("readiness check %s failed: %s", name, error)
            results[name] = "unavailable"
    ready = all(result == "ok" for result in results.values())
    return JsonResponse({"status": "ok" if ready else "error", "checks": results}, status=200 if ready else 503)
