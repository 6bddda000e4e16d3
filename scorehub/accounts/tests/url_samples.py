"""URL samples of the accounts app for the authorization test (format: scorehub/core/tests/url_samples.py)."""

from __future__ import annotations

from collections.abc import Callable

SAMPLES: dict[str, Callable[[], object]] = {}

PUBLIC_URL_NAMES: dict[str, str] = {
    "accounts:login": "the sign-in form itself",
}

SELF_SERVICE_URL_NAMES: dict[str, str] = {}
