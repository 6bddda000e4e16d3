"""People, the organisations they belong to, and the roles that give them a scope.

Organisation kinds follow the programme's actors: the national programme office, emergency-management
bureaus (with a jurisdiction region), training providers, enterprises and buyers.  A user's reach is
the union of the grants of their memberships (see ``scorehub.core.scoping``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from scorehub.core.i18n import BilingualName
from scorehub.core.scoping import (
    EVERYTHING,
    ROLE_ACTIONS,
    Grant,
    PolicyResult,
    Role,
    Scope,
    ScopedModel,
    ScopedQuerySet,
    ScopePolicy,
)
from scorehub.regions.models import ancestor_codes

if TYPE_CHECKING:
    from collections.abc import Iterator


class PersonPolicy(ScopePolicy):
    """Who reaches a person's account (their page, a password reset link, removing their second factor).

    A person is reached for an action when *every* organisation they belong to is reached for it: an
    official may not reset the password of someone who also belongs to an organisation outside the
    jurisdiction, since that person signs in with more than the official can see.  People without any
    membership are reached by programme admins only, and superusers by superusers only.
    """

    def condition(self, scope: Scope, action: str) -> PolicyResult:
        organisations = Organisation.scope_policy.condition(scope, action)
        if organisations is None or scope.user_id is None:
            return None
        acting_superuser = Exists(User._base_manager.filter(pk=scope.user_id, is_superuser=True))
        not_above_the_actor = Q(is_superuser=False) | Q(acting_superuser)
        if isinstance(organisations, Q):
            reached = Organisation._base_manager.filter(organisations).values("pk")
            memberships = Membership.objects.filter(user_id=OuterRef("pk"))
            inside = Exists(memberships.filter(organisation_id__in=reached))
            outside = Exists(memberships.exclude(organisation_id__in=reached))
            return Q(inside) & ~Q(outside) & not_above_the_actor
        return not_above_the_actor


class UserManager(DjangoUserManager.from_queryset(ScopedQuerySet)):  # type: ignore[misc]
    """Django's user manager (``create_user``, ...) with the scoped ``visible_to``."""


class User(AbstractUser, ScopedModel):
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)

    scope_policy: ClassVar[ScopePolicy] = PersonPolicy()
    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    def get_absolute_url(self) -> str:
        return reverse("accounts:person-detail", kwargs={"pk": self.pk})


class OrganisationKind(models.TextChoices):
    PROGRAMME_OFFICE = "programme_office", _("programme office")
    BUREAU = "bureau", _("emergency-management bureau")
    PROVIDER = "provider", _("training provider")
    ENTERPRISE = "enterprise", _("enterprise")
    BUYER = "buyer", _("buyer")


#: Which roles make sense in which kind of organisation.
ROLES_BY_KIND: dict[str, set[str]] = {
    OrganisationKind.PROGRAMME_OFFICE: {Role.PROGRAMME_ADMIN, Role.OFFICIAL},
    OrganisationKind.BUREAU: {Role.OFFICIAL, Role.INSPECTOR},
    OrganisationKind.PROVIDER: {Role.TRAINER},
    OrganisationKind.ENTERPRISE: {Role.ENTERPRISE_MANAGER, Role.TEAM_MEMBER},
    OrganisationKind.BUYER: {Role.BUYER_VIEWER},
}


class OrganisationPolicy(ScopePolicy):
    """Who sees an organisation.

    Programme admins see all; members see their own organisations; officials see the organisations
    located in their jurisdiction and the training providers that serve it (national ones, those
    seated above it, those already assigned to its enterprises); enterprise-bound users (trainers,
    buyers) see the enterprise organisations of the enterprises they reach.
    """

    def condition(self, scope: Scope, action: str) -> PolicyResult:
        if scope.reaches_everything(action):
            return EVERYTHING
        q = Q()
        matched = False
        if scope.organisation_ids and action in ("view", "history"):
            q |= Q(pk__in=scope.organisation_ids)
            matched = True
        prefixes = scope.region_prefixes(action)
        for prefix in prefixes:
            q |= Q(region__code__startswith=prefix) | Q(enterprise__region__code__startswith=prefix)
            matched = True
        if action in ("view", "history"):
            for prefix in prefixes:
                # Providers that serve the jurisdiction: national ones, those seated above it, and those
                # already working with its enterprises (so officials can assign them).
                serving = ProviderAssignment.objects.filter(enterprise__region__code__startswith=prefix)
                q |= Q(kind=OrganisationKind.PROVIDER) & (
                    Q(region__isnull=True)
                    | Q(region__code__in=ancestor_codes(prefix))
                    | Q(pk__in=serving.values("provider_id"))
                )
        for enterprise_ids in scope.enterprise_sets(action):
            q |= Q(enterprise_id__in=enterprise_ids)
            matched = True
        return q if matched else None


class Organisation(BilingualName, ScopedModel):
    kind = models.CharField(_("kind"), max_length=20, choices=OrganisationKind.choices)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region"),
        help_text=_("A bureau's jurisdiction; the seat of any other organisation. Empty for national bodies."),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="organisations",
    )
    enterprise = models.OneToOneField(
        "enterprises.Enterprise",
        verbose_name=_("enterprise"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="organisation",
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    scope_policy: ClassVar[ScopePolicy] = OrganisationPolicy()
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "name_zh"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="enterprise", enterprise__isnull=False) | ~Q(kind="enterprise"),
                name="organisation_enterprise_kind_has_enterprise",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.kind == OrganisationKind.ENTERPRISE and not self.enterprise_id:
            raise ValidationError({"enterprise": _("An enterprise organisation must name its enterprise.")})
        if self.kind != OrganisationKind.ENTERPRISE and self.enterprise_id:
            raise ValidationError({"enterprise": _("Only an enterprise organisation names an enterprise.")})

    def get_absolute_url(self) -> str:
        return reverse("accounts:organisation-detail", kwargs={"pk": self.pk})


class Membership(models.Model):
    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["user", "organisation", "role"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.organisation} · {self.get_role_display()}"

    def clean(self) -> None:
        allowed = ROLES_BY_KIND.get(self.organisation.kind, set()) if self.organisation_id else set()
        if self.role and self.organisation_id and self.role not in allowed:
            raise ValidationError({"role": _("This role does not exist in this kind of organisation.")})

    def grants(self) -> Iterator[Grant]:
        """What this membership lets its user reach (read by ``scope_for``)."""
        org = self.organisation
        actions = ROLE_ACTIONS[self.role]
        base = {"role": self.role, "actions": actions, "organisation_id": org.pk}
        if self.role == Role.PROGRAMME_ADMIN:
            yield Grant(everything=True, **base)  # type: ignore[arg-type]
        elif self.role in (Role.OFFICIAL, Role.INSPECTOR):
            if org.region is None:
                yield Grant(everything=True, **base)  # type: ignore[arg-type]
            else:
                yield Grant(region_prefix=org.region.prefix, **base)  # type: ignore[arg-type]
        elif self.role == Role.TRAINER:
            assigned = ProviderAssignment.objects.filter(provider_id=org.pk).values("enterprise_id")
            yield Grant(enterprises=assigned, **base)  # type: ignore[arg-type]
        elif self.role in (Role.ENTERPRISE_MANAGER, Role.TEAM_MEMBER):
            if org.enterprise_id is not None:
                own = Organisation.objects.filter(pk=org.pk).values("enterprise_id")
                yield Grant(enterprises=own, **base)  # type: ignore[arg-type]
        elif self.role == Role.BUYER_VIEWER:
            from scorehub.enterprises.models import BuyerConsent

            consenting = BuyerConsent.objects.filter(buyer_id=org.pk, revoked_at__isnull=True).values("enterprise_id")
            yield Grant(enterprises=consenting, **base)  # type: ignore[arg-type]


class ProviderAssignment(models.Model):
    """An enterprise assigned to a training provider: its trainers reach the enterprise.

    Training records (cohorts) add assignments as enterprises join them; officials may also assign by hand.
    """

    provider = models.ForeignKey(
        Organisation,
        verbose_name=_("training provider"),
        on_delete=models.CASCADE,
        related_name="assignments",
        limit_choices_to={"kind": OrganisationKind.PROVIDER},
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.CASCADE,
        related_name="provider_assignments",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("provider assignment")
        verbose_name_plural = _("provider assignments")
        constraints = [models.UniqueConstraint(fields=["provider", "enterprise"], name="provider_assignment_unique")]

    def __str__(self) -> str:
        return f"{self.provider} → {self.enterprise}"
