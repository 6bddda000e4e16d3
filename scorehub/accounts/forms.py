from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from scorehub.core.forms import BootstrapFormMixin
from scorehub.core.scoping import Action, Role, scope_for
from scorehub.enterprises.models import Enterprise
from scorehub.regions.models import Region

from .models import ROLES_BY_KIND, Organisation, OrganisationKind


class OrganisationForm(BootstrapFormMixin, forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Organisation
        fields = ["kind", "name_zh", "name_en", "region", "enterprise"]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        # Only the programme office creates programme offices; everyone else works inside a region.
        kinds = [c for c in OrganisationKind.choices if c[0] != OrganisationKind.PROGRAMME_OFFICE]
        if scope_for(user).reaches_everything(Action.MANAGE):
            kinds = list(OrganisationKind.choices)
        fields["kind"].choices = kinds
        fields["region"].queryset = Region.objects.visible_to(user, Action.MANAGE).order_by("code")
        fields["enterprise"].queryset = (
            Enterprise.objects.visible_to(user, Action.MANAGE).filter(organisation__isnull=True).order_by("name_zh")
        )
        self.apply_bootstrap()


class MemberForm(BootstrapFormMixin, forms.Form):
    username = forms.SlugField(label=_("User name"), max_length=150)
    display_name = forms.CharField(label=_("Name"), max_length=100)
    role = forms.ChoiceField(label=_("Role"))
    password = forms.CharField(
        label=_("Initial password"),
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Give it to the person in private; they can change it later."),
    )
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)

    def __init__(self, *args: Any, user: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = ROLES_BY_KIND.get(organisation.kind, set())
        role_field: Any = self.fields["role"]
        role_field.choices = [(value, label) for value, label in Role.choices if value in allowed]
        self.apply_bootstrap()

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        validate_password(password)
        return password


class ProviderAssignmentForm(BootstrapFormMixin, forms.Form):
    provider = forms.ModelChoiceField(label=_("Training provider"), queryset=Organisation.objects.none())

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        provider_field: Any = self.fields["provider"]
        provider_field.queryset = Organisation.objects.visible_to(user).filter(
            kind=OrganisationKind.PROVIDER, is_active=True
        )
        self.apply_bootstrap()


class PasswordChangeForm(BootstrapFormMixin, auth_forms.PasswordChangeForm):
    """Django's form (current password, new password twice, the project's password validators)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.apply_bootstrap()


class SetPasswordForm(BootstrapFormMixin, auth_forms.SetPasswordForm):
    """The new password behind a reset link (the project's password validators)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.apply_bootstrap()


class SecondFactorCodeForm(BootstrapFormMixin, forms.Form):
    """A six-digit code from the authenticator app, checked against the user's device (or a new secret)."""

    code = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True, "size": 8}
        ),
    )

    def __init__(self, *args: Any, check: Callable[[str], str | None] | None = None, **kwargs: Any) -> None:
        """``check(code)`` answers None for a right code, otherwise the reason it is refused (no ``check``:
        the caller checks the code itself)."""
        super().__init__(*args, **kwargs)
        self.check = check
        self.apply_bootstrap()

    def clean_code(self) -> str:
        code: str = self.cleaned_data["code"]
        problem = self.check(code) if self.check is not None else None
        if problem:
            raise forms.ValidationError(problem)
        return code
