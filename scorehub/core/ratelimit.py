"""One rate-limit mechanism for the whole project: the public pages and the API.

**Fixed windows.**  A rate such as ``10/10m`` allows 10 requests per caller in each 10-minute window; the
windows are aligned on the clock (00:00, 00:10, ...), so a caller who waits gets a fresh allowance at the
next boundary and ``Retry-After`` says when.  (Across a boundary a burst of up to twice the limit is
possible; that is the price of one counter per window instead of a log per request.)

**The caller** is the client's address from :func:`scorehub.core.clientip.client_ip` (the one place that
knows about proxies), or whatever the call site names (a poster's token, a user id).  Callers are kept in
the store only as a keyed digest.

**Counters are atomic** on every store this module accepts, across threads and processes:

* ``RATELIMIT_STORE = "database"``: a small table (``core.RateLimitCounter``) updated with one statement,
  ``INSERT ... ON CONFLICT (key) DO UPDATE SET count = count + 1 RETURNING count`` (SQLite 3.35 or later,
  PostgreSQL).  Expired rows are pruned whenever a new window starts for a caller.
* ``RATELIMIT_STORE = "cache:<alias>"``: a Django cache whose increment is atomic: Redis or Memcached
  (``add`` then ``incr``, which Redis's ``INCR`` and Memcached's ``incr`` do atomically).  A local-memory
  cache is atomic too but counts per process (tests, a single development process).
* ``"auto"`` (the default): the default cache if it is Redis or Memcached, else the database.  The file
  cache of the default set-up is never used: its increment is a read followed by a write.

A system check (``scorehub.E101``-``E103``) refuses a store that cannot count atomically.

Call sites: :func:`hit` (count one request against some rates), the :func:`rate_limited` view decorator
(the training app's public pages), and :class:`AnonRateThrottle` / :class:`UserRateThrottle` for Django
REST framework (``DEFAULT_THROTTLE_CLASSES``, rates from ``DEFAULT_THROTTLE_RATES``).
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.core import checks
from django.core.cache import caches
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from .clientip import client_ip

# ---------------------------------------------------------------------------------------------------------
# Rates and decisions

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])[a-z]*\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Rate:
    """``limit`` requests per ``window`` seconds."""

    limit: int
    window: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        """``"60/minute"``, ``"2000/hour"`` (Django REST framework's form) or ``"10/10m"``, ``"40/1d"``."""
        match = _RATE.match(text)
        if match is None:
            raise ValueError(f"Not a rate: {text!r} (expected e.g. '60/minute' or '10/10m').")
        limit, count, unit = match.groups()
        window = int(count or 1) * _UNITS[unit.lower()]
        if window <= 0:
            raise ValueError(f"Not a rate: {text!r} (the window must be longer than zero).")
        return cls(int(limit), window)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    #: Seconds until every exceeded window has ended (0 when allowed): the ``Retry-After`` to send.
    retry_after: int = 0

    @classmethod
    def all_of(cls, *decisions: Decision) -> Decision:
        """Allowed only if each of ``decisions`` is (e.g. a limit per address and one per poster)."""
        retry_after = max((d.retry_after for d in decisions), default=0)
        return cls(allowed=all(d.allowed for d in decisions), retry_after=retry_after)


# ---------------------------------------------------------------------------------------------------------
# Counter stores


class CounterStore(Protocol):
    def increment(self, key: str, *, expires_at: int) -> int:
        """Add one to the counter ``key`` (living until ``expires_at``, Unix seconds); return the new count."""
        ...


class DatabaseStore:
    """Counters in ``core_ratelimitcounter``, one atomic upsert per increment.

    ``using`` names the database; ``connection`` may instead hand over a connection of its own.
    """

    def __init__(self, using: str = "default", *, connection: BaseDatabaseWrapper | None = None) -> None:
        self.using = using
        self.connection = connection

    def increment(self, key: str, *, expires_at: int) -> int:
        from .models import RateLimitCounter

        connection = self.connection or connections[self.using]
        quote = connection.ops.quote_name
        table = quote(RateLimitCounter._meta.db_table)
        now = int(time.time())
        # One statement: the database serialises concurrent upserts of the same key, so every caller gets
        # its own count back.  A row left over from an expired window (a clock set back) starts again at 1.
        upsert = (
            f"INSERT INTO {table} ({quote('key')}, {quote('count')}, {quote('expires_at')}) "  # noqa: S608
            "VALUES (%s, 1, %s) "
            f"ON CONFLICT ({quote('key')}) DO UPDATE SET "
            f"{quote('count')} = CASE WHEN {table}.{quote('expires_at')} <= %s THEN 1 "
            f"ELSE {table}.{quote('count')} + 1 END, "
            f"{quote('expires_at')} = EXCLUDED.{quote('expires_at')} "
            f"RETURNING {quote('count')}"
        )
        with connection.cursor() as cursor:
            cursor.execute(upsert, [key, expires_at, now])
            row = cursor.fetchone()
            count = int(row[0])
            if count == 1:
                # A new window for this caller: a cheap moment to drop the counters whose windows are over
                # (the index on expires_at keeps this a range delete).
                cursor.execute(f"DELETE FROM {table} WHERE {quote('expires_at')} <= %s", [now])  # noqa: S608
        return count


class CacheStore:
    """Counters in a Django cache whose ``incr`` is atomic (Redis, Memcached; local memory per process)."""

    #: Counters outlive their window by this much, so a window's key never expires under a late request.
    GRACE_SECONDS = 60

    def __init__(self, alias: str = "default") -> None:
        self.alias = alias

    def increment(self, key: str, *, expires_at: int) -> int:
        cache = caches[self.alias]
        timeout = max(1, math.ceil(expires_at - time.time())) + self.GRACE_SECONDS
        for _attempt in range(3):
            # ``add`` creates the counter only if it is missing; ``incr`` is then the one atomic step.
            cache.add(key, 0, timeout=timeout)
            try:
                return int(cache.incr(key))
            except ValueError:  # evicted between the two calls: create it again
                continue
        raise RuntimeError(f"The rate-limit counter {key!r} keeps disappearing from cache {self.alias!r}.")


#: Cache backends whose increment is atomic and shared between processes.
SHARED_ATOMIC_CACHES = frozenset(
    {
        "django.core.cache.backends.redis.RedisCache",
        "django_redis.cache.RedisCache",
        "django.core.cache.backends.memcached.PyMemcacheCache",
        "django.core.cache.backends.memcached.PyLibMCCache",
    }
)
#: Atomic within one process only: fine for tests and a single development process.
PROCESS_ATOMIC_CACHES = frozenset({"django.core.cache.backends.locmem.LocMemCache"})


def configured_store_name() -> str:
    """``RATELIMIT_STORE`` with ``"auto"`` resolved: ``"database"`` or ``"cache:<alias>"``."""
    name = str(getattr(settings, "RATELIMIT_STORE", "auto") or "auto")
    if name != "auto":
        return name
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    return "cache:default" if backend in SHARED_ATOMIC_CACHES else "database"


def configured_store() -> CounterStore:
    name = configured_store_name()
    if name == "database":
        return DatabaseStore(getattr(settings, "RATELIMIT_DATABASE", "default"))
    if name.startswith("cache:"):
        return CacheStore(name.removeprefix("cache:"))
    raise ValueError(f"RATELIMIT_STORE must be 'auto', 'database' or 'cache:<alias>', not {name!r}.")


# ---------------------------------------------------------------------------------------------------------
# Counting


def _digest(value: str) -> str:
    # Addresses and tokens are not kept in the store as such.
    return hashlib.sha256(f"{settings.SECRET_KEY}:ratelimit:{value}".encode()).hexdigest()[:32]


def hit(scope: str, ident: str, rates: Iterable[Rate], *, store: CounterStore | None = None) -> Decision:
    """Count one request of ``ident`` in ``scope`` against each of ``rates``.

    Every rate counts the request, allowed or not (a caller who keeps knocking stays refused); the request
    is allowed only if it is within all of them.
    """
    store = store or configured_store()
    now = time.time()
    digest = _digest(ident)
    retry_after = 0
    for rate in rates:
        window_start = int(now // rate.window) * rate.window
        expires_at = window_start + rate.window
        key = f"rl:{scope}:{rate.window}:{window_start}:{digest}"
        if store.increment(key, expires_at=expires_at) > rate.limit:
            retry_after = max(retry_after, max(1, math.ceil(expires_at - now)))
    return Decision(allowed=retry_after == 0, retry_after=retry_after)


def client_ident(request: HttpRequest) -> str:
    """The caller of an anonymous request, for counting: the client's address."""
    return client_ip(request) or "unknown"


def rate_limited(
    scope: str, *, rate: str, post_rate: str | None = None, template: str
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Limit a public view to ``rate`` per client address (``post_rate`` for POSTs, counted separately).

    Over the limit the view answers 429 with ``template`` and a ``Retry-After`` header.
    """
    rates = {"default": [Rate.parse(rate)], "post": [Rate.parse(post_rate or rate)]}

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            is_post = request.method == "POST" and post_rate is not None
            bucket = f"{scope}-post" if is_post else scope
            decision = hit(bucket, client_ident(request), rates["post" if is_post else "default"])
            if not decision.allowed:
                response = render(request, template, status=429)
                response["Retry-After"] = str(decision.retry_after)
                return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


# ---------------------------------------------------------------------------------------------------------
# Django REST framework


class _RateThrottle(BaseThrottle):
    """A DRF throttle on this module's counters; the rate is ``DEFAULT_THROTTLE_RATES[scope]``."""

    scope: str = ""

    def __init__(self) -> None:
        self._retry_after = 0

    def ident(self, request: Any) -> str | None:
        """Whom to count (None: this throttle does not apply to the request)."""
        raise NotImplementedError

    def allow_request(self, request: Any, view: Any) -> bool:
        configured = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        ident = self.ident(request)
        if not configured or ident is None:
            return True
        decision = hit(f"api-{self.scope}", ident, [Rate.parse(str(configured))])
        self._retry_after = decision.retry_after
        return decision.allowed

    def wait(self) -> float | None:
        return self._retry_after or None

    def get_ident(self, request: Any) -> str:
        # DRF's own version reads X-Forwarded-For by itself; ours knows the trusted proxies.
        return client_ident(request)


class AnonRateThrottle(_RateThrottle):
    """Anonymous callers, per client address (``DEFAULT_THROTTLE_RATES["anon"]``)."""

    scope = "anon"

    def ident(self, request: Any) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return self.get_ident(request)


class UserRateThrottle(_RateThrottle):
    """Signed-in callers, per account whatever their address (``DEFAULT_THROTTLE_RATES["user"]``)."""

    scope = "user"

    def ident(self, request: Any) -> str | None:
        if request.user and request.user.is_authenticated:
            return f"user:{request.user.pk}"
        return None


# ---------------------------------------------------------------------------------------------------------
# System checks


def _check_database_store(using: str) -> list[checks.CheckMessage]:
    if using not in settings.DATABASES:
        return [checks.Error(f"RATELIMIT_DATABASE names no database: {using!r}.", id="scorehub.E102")]
    vendor = connections[using].vendor
    if vendor == "sqlite" and sqlite3.sqlite_version_info < (3, 35):
        return [
            checks.Error(
                f"SQLite {sqlite3.sqlite_version} cannot count rate limits atomically (needs 3.35 for RETURNING).",
                hint="Use a newer SQLite, PostgreSQL, or RATELIMIT_STORE='cache:<alias>' with Redis.",
                id="scorehub.E102",
            )
        ]
    if vendor not in ("sqlite", "postgresql"):
        return [
            checks.Error(
                f"The rate-limit counters need SQLite or PostgreSQL, not {vendor}.",
                hint="Use RATELIMIT_STORE='cache:<alias>' with Redis or Memcached.",
                id="scorehub.E102",
            )
        ]
    return []


def _check_cache_store(alias: str) -> list[checks.CheckMessage]:
    if alias not in settings.CACHES:
        return [checks.Error(f"RATELIMIT_STORE names no cache: {alias!r}.", id="scorehub.E103")]
    backend = settings.CACHES[alias].get("BACKEND", "")
    if backend in SHARED_ATOMIC_CACHES:
        return []
    if backend in PROCESS_ATOMIC_CACHES:
        return [
            checks.Warning(
                f"The rate limits count in cache {alias!r} ({backend}), which counts per process.",
                hint="With several processes each has its own allowance: use Redis, Memcached or 'database'.",
                id="scorehub.W101",
            )
        ]
    return [
        checks.Error(
            f"The rate limits cannot count atomically in cache {alias!r} ({backend}).",
            hint="Use RATELIMIT_STORE='database' (the default without Redis or Memcached) or a Redis cache.",
            id="scorehub.E103",
        )
    ]


@checks.register(checks.Tags.security)
def check_rate_limit_store(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Refuse a counter store that cannot count atomically (the limits would let more through)."""
    name = configured_store_name()
    if name == "database":
        return _check_database_store(getattr(settings, "RATELIMIT_DATABASE", "default"))
    if name.startswith("cache:"):
        return _check_cache_store(name.removeprefix("cache:"))
    return [
        checks.Error(
            f"RATELIMIT_STORE must be 'auto', 'database' or 'cache:<alias>', not {name!r}.", id="scorehub.E101"
        )
    ]
