"""Reads from a streaming replica where that is safe; everything else on the primary.

With ``DATABASE_REPLICA_URL`` set, the database alias ``replica`` exists and :class:`ReplicaRouter` may send
reads to it, but only inside :func:`reads_from_replica`, which the heavy read-only views enter explicitly
(dashboards, report building, list exports, the indicator API).  Even there a read stays on the primary

* when the user wrote something in the last ``SCOREHUB_REPLICA_STICKY_SECONDS`` (a replica a little behind
  must not hide the user's own write: "read your own writes");
* inside a transaction (a transaction sees one database, the primary);
* for a model written earlier in the same request or job;
* when the replica cannot be reached (the page is served from the primary, and a warning is logged).

Writes always go to the primary; migrations run on the primary only.  The mark "this user wrote at T" is
kept in the cache (Redis when ``REDIS_URL`` is set), so every app server sees it, and set by
:class:`RecentWriteMiddleware` after any request that wrote (an unsafe method that succeeded, or any model
saved or deleted while it ran).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

REPLICA = "replica"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Saved on every request that touches the session or a sign-in attempt: not the user's data.
NOT_USER_WRITES = frozenset({"sessions.session", "axes.accessattempt", "axes.accessattemptexpiration"})

# Set inside reads_from_replica() when the replica may be used.
_replica_allowed: ContextVar[bool] = ContextVar("scorehub_replica_allowed", default=False)
# The models written during the current request or job (None outside one: nothing is tracked).
_written_models: ContextVar[set[str] | None] = ContextVar("scorehub_written_models", default=None)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def recent_write_key(user_id: Any) -> str:
    return f"scorehub:recent-write:{user_id}"


def mark_recent_write(user: Any) -> None:
    """Keep ``user``'s reads on the primary for the next ``SCOREHUB_REPLICA_STICKY_SECONDS``."""
    if getattr(user, "is_authenticated", False):
        seconds = settings.SCOREHUB_REPLICA_STICKY_SECONDS
        cache.set(recent_write_key(user.pk), time.time(), timeout=seconds)


def wrote_recently(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    written_at = cache.get(recent_write_key(user.pk))
    return written_at is not None and time.time() - float(written_at) < settings.SCOREHUB_REPLICA_STICKY_SECONDS


def replica_reachable() -> bool:
    try:
        connections[REPLICA].ensure_connection()
    except DatabaseError:
        logger.warning("The database replica cannot be reached; reading from the primary")
        return False
    return True


@contextmanager
def reads_from_replica(user: Any) -> Iterator[bool]:
    """Within the block, ``user``'s reads may come from the replica (see the module's rules).

    Yields whether the replica is in use for the block (False where none is configured, the user has just
    written, a transaction is open or the replica is down).
    """
    allowed = (
        replica_configured()
        and not connections[DEFAULT_DB_ALIAS].in_atomic_block
        and not wrote_recently(user)
        and replica_reachable()
    )
    token = _replica_allowed.set(allowed)
    try:
        yield allowed
    finally:
        _replica_allowed.reset(token)


def replica_reads(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Decorator for a function view: ``reads_from_replica(request.user)`` around it."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with reads_from_replica(request.user):
            return view(request, *args, **kwargs)

    wrapped.__dict__.update(view.__dict__)
    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    wrapped.__module__ = view.__module__
    wrapped.__qualname__ = view.__qualname__
    return wrapped


@contextmanager
def tracking_writes() -> Iterator[set[str]]:
    """Record the models written inside the block (a request, a background job)."""
    written: set[str] = set()
    token = _written_models.set(written)
    try:
        yield written
    finally:
        _written_models.reset(token)


def _record_write(sender: type[models.Model], **kwargs: Any) -> None:
    written = _written_models.get()
    if written is not None:
        written.add(sender._meta.label_lower)


post_save.connect(_record_write, dispatch_uid="scorehub-dbrouting-save")
post_delete.connect(_record_write, dispatch_uid="scorehub-dbrouting-delete")
m2m_changed.connect(_record_write, dispatch_uid="scorehub-dbrouting-m2m")


class ReplicaRouter:
    """Django database router: see the module docstring for when a read goes to the replica."""

    def db_for_read(self, model: type[models.Model], **hints: Any) -> str:
        if not _replica_allowed.get():
            return DEFAULT_DB_ALIAS
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        written = _written_models.get()
        if written and model._meta.label_lower in written:
            return DEFAULT_DB_ALIAS
        return REPLICA

    def db_for_write(self, model: type[models.Model], **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: models.Model, obj2: models.Model, **hints: Any) -> bool:
        # The replica is a copy of the primary: a record read from one may point at a record of the other.
        return True

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS


class RecentWriteMiddleware:
    """Tracks the models a request writes and marks its user as having just written.

    After a POST/PUT/PATCH/DELETE that succeeded, or any request during which one of the user's records was
    saved or deleted, the user's reads stay on the primary for ``SCOREHUB_REPLICA_STICKY_SECONDS``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with tracking_writes() as written:
            response = self.get_response(request)
        wrote = (request.method in UNSAFE_METHODS and response.status_code < 400) or bool(written - NOT_USER_WRITES)
        if wrote:
            # request.user is Django's session user, or the API's token user (REST framework sets it too).
            mark_recent_write(getattr(request, "user", None))
        return response
