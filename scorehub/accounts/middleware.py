"""Sign-in in two steps: after the password, whoever owes a second factor passes the code page first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework.views import APIView

from .second_factor import is_required_for, session_has_device

#: What a signed-in person who still owes a second factor may reach: the two steps themselves, signing out
#: and the language switch.  Pages that need no sign-in at all (``login_not_required``) stay reachable too.
OPEN_BEFORE_SECOND_FACTOR = frozenset(
    {
        "accounts:second-factor-verify",
        "accounts:second-factor-enrol",
        "accounts:logout",
        "set_language",
    }
)


class SecondFactorMiddleware:
    """Holds a session that has passed the password but not the second factor it owes.

    A person with a confirmed TOTP device is sent to the code page; one whose role must use a second factor
    (``OTP_REQUIRED_ROLES``) but who has no device is sent to set one up.  API calls made with such a
    session are refused (403); API tokens are issued only after the second factor (see docs/accounts.md).
    Must follow django-otp's ``OTPMiddleware``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        user: Any = request.user
        if not user.is_authenticated:
            return None
        # Cheap questions first: most sessions owe nothing, and answering that costs no query.
        has_device = session_has_device(request)
        if not has_device and not is_required_for(user):
            return None
        if user.is_verified():
            return None
        match = request.resolver_match
        if match is not None and match.view_name in OPEN_BEFORE_SECOND_FACTOR:
            return None
        view_class = getattr(view_func, "cls", None) or getattr(view_func, "view_class", None)
        if isinstance(view_class, type) and issubclass(view_class, APIView):
            return JsonResponse(
                {"detail": _("Enter the code of your second factor in the browser before using the API.")},
                status=403,
            )
        if getattr(view_func, "login_required", True) is False:
            return None  # public pages (a certificate check, a reset link) stay public
        step = "accounts:second-factor-verify" if has_device else "accounts:second-factor-enrol"
        return HttpResponseRedirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")
