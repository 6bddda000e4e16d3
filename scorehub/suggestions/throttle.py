"""Abuse control for the public pages: fixed-window counters in Django's cache, per poster token and per address.

The limits are deliberately generous for a real workshop (many workers may share a factory's Wi-Fi) and
tight for a script.  ``SCOREHUB_SUGGESTION_THROTTLE`` in the settings overrides them.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


@dataclass(frozen=True)
class Rule:
    scope: str  # "ip" or "token" (or "lookup" for the tracking page)
    limit: int
    window: int  # seconds


DEFAULT_RULES = (
    Rule("ip", 10, 10 * 60),
    Rule("ip", 40, 24 * 3600),
    Rule("token", 60, 10 * 60),
    Rule("token", 600, 24 * 3600),
    Rule("lookup", 30, 10 * 60),
)


def rules() -> tuple[Rule, ...]:
    configured = getattr(settings, "SCOREHUB_SUGGESTION_THROTTLE", None)
    if configured:
        return tuple(Rule(*r) for r in configured)
    return DEFAULT_RULES


def client_address(request: HttpRequest) -> str:
    """The caller's address.  Behind a trusted reverse proxy (``BEHIND_PROXY``) the proxy's last
    ``X-Forwarded-For`` entry is the client; otherwise ``REMOTE_ADDR``."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _digest(value: str) -> str:
    # Addresses and tokens are not kept in the cache as such.
    return hashlib.sha256(f"{settings.SECRET_KEY}:{value}".encode()).hexdigest()[:32]


def _hit(scope: str, value: str, rule: Rule) -> bool:
    bucket = int(time.time() // rule.window)
    key = f"sugg-throttle:{scope}:{rule.window}:{bucket}:{_digest(value)}"
    if cache.add(key, 1, timeout=rule.window + 5):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=rule.window + 5)
            count = 1
    return count <= rule.limit


def allow(request: HttpRequest, *, token: str | None = None, lookup: bool = False) -> bool:
    """Count one attempt; False when any limit that applies is exceeded."""
    address = client_address(request)
    allowed = True
    for rule in rules():
        if lookup:
            if rule.scope == "lookup":
                allowed = _hit("lookup", address, rule) and allowed
            continue
        if rule.scope == "ip":
            allowed = _hit("ip", address, rule) and allowed
        elif rule.scope == "token" and token:
            allowed = _hit("token", token, rule) and allowed
    return allowed
