"""The second factor: who must use one, the user's TOTP device, and checking a code.

django-otp keeps the devices (``TOTPDevice``) and marks a session as verified (``django_otp.login``); this
module holds SCORE Hub's rules around it.  A person *owes* a second factor in a session when they have a
confirmed device, or when one of their roles is listed in ``settings.OTP_REQUIRED_ROLES`` (they must then set
one up before anything else).  See docs/accounts.md.
"""

from __future__ import annotations

import time
from base64 import b32encode
from binascii import unhexlify
from typing import Any

import segno
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from scorehub.core.scoping import Role, scope_for

#: Whether the signed-in user has a confirmed device, kept in the session so that ordinary requests cost no
#: query; set at sign-in and whenever this session adds or removes a device.
HAS_DEVICE_SESSION_KEY = "scorehub_has_second_factor"
#: The secret of a device being set up, until the user confirms it with a code (no row exists before).
ENROLMENT_KEY_SESSION_KEY = "scorehub_totp_enrolment_key"
#: Codes of a time step before or after the current one are accepted too (clocks of phones drift).
TOLERANCE = 1


def required_roles() -> frozenset[str]:
    return frozenset(getattr(settings, "OTP_REQUIRED_ROLES", ()))


def is_required_for(user: Any) -> bool:
    """Whether one of the user's roles must use a second factor (``OTP_REQUIRED_ROLES``)."""
    required = required_roles()
    return bool(required) and bool(scope_for(user).roles() & required)


def confirmed_device(user: Any) -> TOTPDevice | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).order_by("pk").first()


def remember_device(request: HttpRequest, user: Any) -> bool:
    """Look up (once per session) whether the user has a confirmed device, and keep the answer in the session."""
    has_device = confirmed_device(user) is not None
    request.session[HAS_DEVICE_SESSION_KEY] = has_device
    return has_device


def session_has_device(request: HttpRequest) -> bool:
    known = request.session.get(HAS_DEVICE_SESSION_KEY)
    if known is None:
        return remember_device(request, request.user)
    return bool(known)


def check_code(device: TOTPDevice, code: str) -> str | None:
    """Verify ``code`` against ``device``; None if it is right, otherwise why not (translated).

    django-otp counts failures on the device and makes the next try wait 1, 2, 4, 8 ... seconds; the count
    is committed even though the caller then refuses the request (the error is returned, not raised inside
    the transaction, which would roll the count back).
    """
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == device.digits):
        return _("Enter the %(digits)d-digit code that your authenticator app shows.") % {"digits": device.digits}
    with transaction.atomic():
        locked = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        allowed, details = locked.verify_is_allowed()
        if not allowed:
            wait = (details or {}).get("locked_until")
            seconds = max(1, int((wait - timezone.now()).total_seconds()) + 1) if wait else 1
            return _("Too many wrong codes. Wait %(seconds)d seconds, then try the newest code.") % {"seconds": seconds}
        verified = locked.verify_token(code)
    if not verified:
        return _("This code is not right. Check that the time on your phone is correct and try the newest code.")
    return None


def new_enrolment_key() -> str:
    return str(random_hex(20))


def enrolment_time_step(key: str, code: str) -> int | None:
    """The time step at which ``code`` matches a new device's secret ``key`` (None: it does not match)."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = TOTP(unhexlify(key.encode()))
    totp.time = time.time()
    if totp.verify(int(code), tolerance=TOLERANCE):
        return int(totp.t())
    return None


def enrolment_details(user: Any, key: str) -> dict[str, str]:
    """What the enrolment page shows: the QR code (a data URI; the CSP allows ``img-src data:``) and the secret."""
    device = TOTPDevice(user=user, key=key, name=device_name())
    secret = b32encode(unhexlify(key.encode())).decode().rstrip("=")
    return {
        "qr": str(segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)),
        # In groups of four, as authenticator apps show and accept it.
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    }


def device_name() -> str:
    return "SCORE Hub"


def remember_device_at_sign_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """``user_logged_in`` receiver: note in the new session whether the user has a device to verify."""
    if request is not None and hasattr(request, "session"):
        remember_device(request, user)


@register(Tags.security)
def check_required_roles(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """A misspelt role in SCOREHUB_REQUIRE_2FA_FOR would silently require nothing: refuse to start instead."""
    unknown = sorted(required_roles() - set(Role.values))
    if not unknown:
        return []
    return [
        Error(
            f"OTP_REQUIRED_ROLES (SCOREHUB_REQUIRE_2FA_FOR) names unknown roles: {', '.join(unknown)}",
            hint=f"Use role values from scorehub.core.scoping.Role: {', '.join(Role.values)}",
            id="accounts.E001",
        )
    ]
