"""Signing in safely: one's own password and second factor, and an admin's help with someone else's.

* A signed-in person changes their password (``PasswordChangeView``) and sets up or removes a TOTP device.
* After the password, whoever owes a second factor enters a code (``SecondFactorVerifyView``; the
  ``SecondFactorMiddleware`` sends them there) or, if their role must use one, sets one up first.
* An organisation's admin opens a person's page (``PersonDetailView``: people all of whose organisations
  they may change), creates a one-time password reset link for them, or removes their second factor when
  the phone is lost.  The link leads to a public page where the person sets a new password.

See docs/accounts.md.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django.views.generic import FormView, View
from django_otp import login as otp_login

from scorehub.core.scoping import Action, OutOfScope
from scorehub.core.views import ScopedActionView, ScopedDetailView, ScopedViewMixin

from . import services
from .forms import PasswordChangeForm, SecondFactorCodeForm, SetPasswordForm
from .models import User
from .second_factor import (
    ENROLMENT_KEY_SESSION_KEY,
    HAS_DEVICE_SESSION_KEY,
    check_code,
    confirmed_device,
    enrolment_details,
    enrolment_time_step,
    is_required_for,
    new_enrolment_key,
    remember_device,
)

logger = logging.getLogger(__name__)


def next_url(request: HttpRequest, default: str = settings.LOGIN_REDIRECT_URL) -> str:
    """Where to go after a step: the ``next`` parameter if it stays on this site, else ``default``."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(default)


# --- One's own password --------------------------------------------------------------------------------


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change (current password first, the project's validators); this session stays
    signed in (``update_session_auth_hash``), every other session of the user is signed out."""

    template_name = "accounts/password_change.html"
    form_class = PasswordChangeForm
    success_url = reverse_lazy("accounts:profile")
    title = _("Change password")

    def form_valid(self, form: Any) -> HttpResponse:
        with transaction.atomic():  # the new password and its log entry, or neither
            response = super().form_valid(form)
            services.account_event_log(person=form.user, actor=form.user, event="password changed")
        messages.success(
            self.request, _("Your password was changed. Other devices where you were signed in are signed out.")
        )
        return response


# --- A reset link: the public set-password page ----------------------------------------------------------


@method_decorator(login_not_required, name="dispatch")
class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Where a reset link leads: Django's view (the token moves from the URL into the session, then the form)."""

    template_name = "accounts/password_reset_confirm.html"
    form_class = SetPasswordForm
    success_url = reverse_lazy("accounts:password-reset-complete")

    def form_valid(self, form: Any) -> HttpResponse:
        with transaction.atomic():  # the new password and its log entry, or neither
            response = super().form_valid(form)
            services.account_event_log(person=form.user, actor=form.user, event="password set with a reset link")
        return response


@method_decorator(login_not_required, name="dispatch")
class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


# --- One's own second factor ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def second_factor(request: HttpRequest) -> HttpResponse:
    """The user's second factor: whether it is on, how to set it up, and removing it (with a current code)."""
    user: Any = request.user
    form = SecondFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.second_factor_remove(actor=user, person=user, code=form.cleaned_data["code"])
        except ValidationError as exc:
            form.add_error("code", exc)
        else:
            request.session[HAS_DEVICE_SESSION_KEY] = False
            if is_required_for(user):
                messages.warning(
                    request, _("Your second factor was removed. Your role needs one: set up the new phone now.")
                )
                return redirect("accounts:second-factor-enrol")
            messages.success(request, _("Your second factor was removed. You now sign in with your password alone."))
            return redirect("accounts:second-factor")
    context = {
        "title": _("Two-step sign-in"),
        "device": confirmed_device(user),
        "required": is_required_for(user),
        "form": form,
    }
    return render(request, "accounts/second_factor.html", context)


@method_decorator(never_cache, name="dispatch")
class SecondFactorEnrolView(FormView):  # type: ignore[type-arg]
    """Set up a TOTP device: scan the QR code (or type the secret), confirm with a code.

    The secret lives in the session until the code confirms it; only then is the device saved.  Someone
    who already has a device cannot add another here: an unverified session could otherwise replace the
    second factor it owes.
    """

    template_name = "accounts/second_factor_enrol.html"
    form_class = SecondFactorCodeForm
    key: str
    time_step: int | None = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if confirmed_device(request.user) is not None:
            remember_device(request, request.user)
            return redirect("accounts:second-factor")
        key = request.session.get(ENROLMENT_KEY_SESSION_KEY)
        if not isinstance(key, str) or not key:
            key = new_enrolment_key()
            request.session[ENROLMENT_KEY_SESSION_KEY] = key
        self.key = key
        return super().dispatch(request, *args, **kwargs)

    def check(self, code: str) -> str | None:
        self.time_step = enrolment_time_step(self.key, code)
        if self.time_step is None:
            return str(
                _("This code is not right. Check that the time on your phone is correct and try the newest code.")
            )
        return None

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "check": self.check}

    def form_valid(self, form: BaseForm) -> HttpResponse:
        assert self.time_step is not None
        request = self.request
        try:
            device = services.second_factor_enrol(actor=request.user, key=self.key, last_time_step=self.time_step)
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        del request.session[ENROLMENT_KEY_SESSION_KEY]
        # The session now holds more trust than before: give it a new key, then mark it verified.
        request.session.cycle_key()
        otp_login(request, device)
        request.session[HAS_DEVICE_SESSION_KEY] = True
        messages.success(
            request, _("Two-step sign-in is on. From now on you enter a code from the app after your password.")
        )
        return HttpResponseRedirect(next_url(request, default="accounts:second-factor"))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            enrolment_details(self.request.user, self.key),
            title=_("Set up two-step sign-in"),
            required=is_required_for(self.request.user),
            next=next_url(self.request, default="accounts:second-factor"),
        )
        return context


@method_decorator(never_cache, name="dispatch")
class SecondFactorVerifyView(FormView):  # type: ignore[type-arg]
    """The second step of signing in: a code from the authenticator app (django-otp throttles wrong codes)."""

    template_name = "accounts/second_factor_verify.html"
    form_class = SecondFactorCodeForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user: Any = request.user
        self.device = confirmed_device(user)
        if self.device is None or user.is_verified():
            # Nothing to enter (the device was removed meanwhile, or the code was entered already).  Whoever
            # must still set one up is sent on to that by the middleware.
            remember_device(request, user)
            return HttpResponseRedirect(next_url(request))
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        device = self.device
        assert device is not None
        return {**super().get_form_kwargs(), "check": lambda code: check_code(device, code)}

    def form_valid(self, form: BaseForm) -> HttpResponse:
        request = self.request
        request.session.cycle_key()
        otp_login(request, self.device)
        request.session[HAS_DEVICE_SESSION_KEY] = True
        return HttpResponseRedirect(next_url(request))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(title=_("Enter your code"), next=next_url(self.request))
        return context


# --- An admin's help with someone else's account ---------------------------------------------------------


class PersonDetailView(ScopedDetailView):
    """A person's page for their admin: organisations, roles, second factor, and the admin's actions."""

    model = User
    scope_action = Action.CHANGE
    template_name = "accounts/person_detail.html"
    # Not "user": that name is the signed-in user in every template (the account menu).
    context_object_name = "person"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        person = self.object
        context.update(
            memberships=person.memberships.select_related("organisation__region").order_by("organisation__name_zh"),
            device=confirmed_device(person),
            required=is_required_for(person),
            is_self=person.pk == self.request.user.pk,
        )
        return context


class PersonPasswordResetLinkView(ScopedViewMixin, View):
    """Create a one-time password reset link for a person, show it once, and e-mail it if they have an address.

    The answer is the page with the link itself (not a redirect to it), so that the link is never stored
    anywhere to be shown again; it is not cached either.
    """

    model = User
    scope_action = Action.CHANGE
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            person = self.get_queryset().get(pk=kwargs["pk"])
        except (ObjectDoesNotExist, ValueError) as exc:
            raise OutOfScope from exc
        try:
            uidb64, token = services.password_reset_link_create(actor=request.user, person=person)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return HttpResponseRedirect(person.get_absolute_url())
        path = reverse("accounts:password-reset-confirm", kwargs={"uidb64": uidb64, "token": token})
        link = request.build_absolute_uri(path)
        valid_until = timezone.now() + dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)
        mailed = bool(person.email) and services.password_reset_link_mail(
            person=person, link=link, valid_until=valid_until
        )
        context = {
            "person": person,
            "link": link,
            "valid_until": valid_until,
            "mailed": mailed,
            "title": _("Password reset link"),
        }
        response = render(request, "accounts/password_reset_link.html", context)
        response["Cache-Control"] = "no-store"
        return response


class PersonSecondFactorRemoveView(ScopedActionView):
    """Remove a person's second factor (a lost or replaced phone); they set up a new one at their next sign-in
    if their role must use one."""

    model = User
    scope_action = Action.CHANGE
    success_message = _(
        "The second factor was removed. The person signs in with the password and sets up the new phone."
    )

    def perform(self, obj: User) -> str:
        if obj.pk == self.request.user.pk:
            raise ValidationError(_("Remove your own second factor on My account, with a code from the app."))
        services.second_factor_remove(actor=self.request.user, person=obj)
        return obj.get_absolute_url()
