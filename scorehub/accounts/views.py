from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Count, QuerySet
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods
from rest_framework.authtoken.models import Token

from scorehub.core.forms import BootstrapFormMixin
from scorehub.core.scoping import Action, OutOfScope
from scorehub.core.views import ScopedActionView, ScopedDetailView, ScopedFormView, ScopedListView

from . import lockouts, services
from .filters import OrganisationFilter
from .forms import MemberForm, OrganisationForm
from .models import Membership, Organisation
from .tables import OrganisationTable


class LoginForm(BootstrapFormMixin, AuthenticationForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.apply_bootstrap()


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """The user's own account: memberships and the API token (shown once when created)."""
    user: Any = request.user
    new_token = None
    if request.method == "POST":
        Token.objects.filter(user_id=user.pk).delete()
        new_token = Token.objects.create(user_id=user.pk).key
        messages.success(request, _("A new API token was created. Copy it now: it is shown only once."))
    memberships = Membership.objects.filter(user_id=user.pk).select_related("organisation__region")
    has_token = Token.objects.filter(user_id=user.pk).exists()
    return render(
        request,
        "accounts/profile.html",
        {"memberships": memberships, "new_token": new_token, "has_token": has_token, "title": _("My account")},
    )


class OrganisationListView(ScopedListView):
    model = Organisation
    table_class = OrganisationTable
    filterset_class = OrganisationFilter
    title = _("Organisations")
    create_url_name = "accounts:organisation-create"

    def refine_queryset(self, queryset: QuerySet[Organisation]) -> QuerySet[Organisation]:
        # An aggregate drops the default ordering; name it again so that pages are stable.
        return (
            queryset.select_related("region__parent__parent")
            .annotate(member_count=Count("memberships"))
            .order_by("kind", "name_zh", "pk")
        )


class OrganisationDetailView(ScopedDetailView):
    model = Organisation
    template_name = "accounts/organisation_detail.html"
    active_tab = "accounts:organisation-detail"

    def refine_queryset(self, queryset: QuerySet[Organisation]) -> QuerySet[Organisation]:
        return queryset.select_related("region", "enterprise")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["memberships"] = self.object.memberships.select_related("user").order_by("role", "user__username")
        context["can_change"] = self.user_can(self.object, Action.CHANGE)
        return context


# --- Sign-in lockouts: the official way to unlock a member (see lockouts.py) ------------------------------


class OrganisationLockoutsView(OrganisationDetailView):
    """The organisation's members whose sign-ins failed recently, per address, with a button to unlock."""

    scope_action = Action.CHANGE
    template_name = "accounts/organisation_lockouts.html"
    active_tab = "accounts:organisation-lockouts"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        users = {m.user.username: m.user for m in context["memberships"]}
        failures = lockouts.failed_sign_ins(sorted(users))
        context["people"] = [
            (users[username], [f for f in failures if f.username == username])
            for username in sorted({f.username for f in failures})
        ]
        context["failure_limit"] = settings.AXES_FAILURE_LIMIT
        return context


class LockoutResetView(ScopedActionView):
    model = Organisation
    scope_action = Action.CHANGE
    success_message = _("The account is unlocked: it can sign in again from every address.")

    def perform(self, obj: Organisation) -> str:
        lockouts.lockout_reset(
            actor=self.request.user, organisation=obj, username=self.request.POST.get("username", "")
        )
        return reverse("accounts:organisation-lockouts", kwargs={"pk": obj.pk})


class OrganisationCreateView(ScopedFormView):
    model = Organisation
    scope_action = Action.MANAGE
    form_class = OrganisationForm
    title = _("New organisation")
    success_message = _("The organisation was created.")

    def perform(self, form: BaseForm) -> Organisation:
        return services.organisation_create(actor=self.request.user, data=form.cleaned_data)


class MemberAddView(ScopedFormView):
    """Give a person an account and a role in this organisation."""

    model = Organisation
    scope_action = Action.CHANGE
    form_class = MemberForm
    title = _("Add a person")
    success_message = _("The person was added. Give them their user name and initial password.")

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs.pop("instance", None)
        kwargs["organisation"] = self.object
        return kwargs

    def perform(self, form: BaseForm) -> Organisation:
        assert isinstance(self.object, Organisation)
        services.member_add(actor=self.request.user, organisation=self.object, **form.cleaned_data)
        return self.object


class MemberRemoveView(ScopedActionView):
    model = Organisation
    scope_action = Action.CHANGE
    success_message = _("The membership was removed.")

    def perform(self, obj: Organisation) -> str:
        try:
            membership = obj.memberships.get(pk=self.request.POST.get("membership", ""))
        except (Membership.DoesNotExist, ValueError) as exc:
            raise OutOfScope from exc
        services.member_remove(actor=self.request.user, membership=membership)
        return obj.get_absolute_url()
