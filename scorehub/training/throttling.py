"""A small per-address rate limit for the public pages (survey, certificate verification).

Counts requests per client address and per minute in the cache; over the limit the page answers 429.
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def client_address(request: HttpRequest) -> str:
    # Behind the reverse proxy the project trusts X-Forwarded-For's first hop only when told to.
    from django.conf import settings

    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return str(request.META.get("REMOTE_ADDR", ""))


def throttled(name: str, *, per_minute: int, post_per_minute: int | None = None) -> Callable[..., Any]:
    """Limit a view to ``per_minute`` requests per client address (``post_per_minute`` for POSTs)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            limit = per_minute
            bucket = name
            if request.method == "POST" and post_per_minute is not None:
                limit, bucket = post_per_minute, f"{name}-post"
            address = hashlib.sha256(client_address(request).encode()).hexdigest()[:16]
            key = f"throttle:{bucket}:{address}:{int(time.time() // 60)}"
            if cache.add(key, 1, timeout=70):
                count = 1
            else:
                try:
                    count = cache.incr(key)
                except ValueError:
                    cache.set(key, 1, timeout=70)
                    count = 1
            if count > limit:
                response = render(request, "training/public/throttled.html", status=429)
                response["Retry-After"] = "60"
                return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
