"""URL samples of the accounts app for the authorization test (format: scorehub/core/tests/url_samples.py)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode


def _reset_link_kwargs() -> dict[str, str]:
    """A valid one-time link of a Nanxun inspector (the set-password page moves the token into the session)."""
    from scorehub.accounts.models import User

    person = User.objects.get(username="nanxun_inspector")
    return {
        "uidb64": urlsafe_base64_encode(force_bytes(person.pk)),
        "token": default_token_generator.make_token(person),
    }


SAMPLES: dict[str, Callable[[], object]] = {
    "accounts:password-reset-confirm": _reset_link_kwargs,
}

PUBLIC_URL_NAMES: dict[str, str] = {
    "accounts:login": "the sign-in form itself",
    "accounts:password-reset-confirm": "a one-time reset link leads here: whoever holds it sets a new password, "
    "without being signed in; shows only the user name the link is for",
    "accounts:password-reset-complete": "says that the new password is set and links to the sign-in form",
}

SELF_SERVICE_URL_NAMES: dict[str, str] = {
    "accounts:password-change": "changes the signed-in user's own password (and writes that to the change log)",
    "accounts:second-factor": "removes the signed-in user's own second-factor device, after a code from it",
    "accounts:second-factor-enrol": "adds a second-factor device for the signed-in user only, after a code",
    "accounts:second-factor-verify": "marks the signed-in user's own session as verified by their own device",
}
