"""The enterprise registry: every factory a programme works with, identified by its credit code."""

from __future__ import annotations

from typing import ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from scorehub.core.i18n import pick
from scorehub.core.scoping import ROLE_ACTIONS, ScopedModel, ScopedQuerySet, ScopePolicy, ThroughEnterprise

from . import industries
from .credit_code import normalise, validate_credit_code


class SizeClass(models.TextChoices):
    """National SME classification (by employees and revenue)."""

    MICRO = "micro", _("micro")
    SMALL = "small", _("small")
    MEDIUM = "medium", _("medium")
    LARGE = "large", _("large")


class EnterpriseStatus(models.TextChoices):
    ACTIVE = "active", _("operating")
    SUSPENDED = "suspended", _("suspended")
    CLOSED = "closed", _("closed")


class EnterpriseQuerySet(ScopedQuerySet["Enterprise"]):
    def in_region(self, region_code_prefix: str) -> EnterpriseQuerySet:
        """Enterprises anywhere under a region: one indexed prefix query on ``region_id``."""
        return self.filter(region__code__startswith=region_code_prefix)

    def current(self) -> EnterpriseQuerySet:
        return self.filter(archived_at__isnull=True)


class Enterprise(ScopedModel):
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        validators=[validate_credit_code],
        help_text=_("18 characters; the last one is a check character."),
    )
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="enterprises",
        help_text=_("District or county where the enterprise operates."),
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    industry_division = models.CharField(
        _("industry (GB/T 4754 division)"),
        max_length=2,
        choices=[(d.code, f"{d.code} {d.name_en}") for d in industries.DIVISIONS.values()],
    )
    industry_section = models.CharField(_("industry section"), max_length=1, editable=False, db_index=True)
    size_class = models.CharField(_("size class"), max_length=10, choices=SizeClass.choices)
    employees_total = models.PositiveIntegerField(_("employees"), default=0)
    employees_women = models.PositiveIntegerField(_("women employees"), default=0)
    status = models.CharField(
        _("status"), max_length=12, choices=EnterpriseStatus.choices, default=EnterpriseStatus.ACTIVE
    )
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    # Buyers see the enterprise record itself (a read-only summary) where consent is given.
    scope_policy: ClassVar[ScopePolicy] = ThroughEnterprise("", roles=ROLE_ACTIONS)
    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        ordering = ["name_zh"]
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        indexes = [models.Index(fields=["region", "industry_division"], name="enterprise_region_industry")]
        constraints = [
            models.CheckConstraint(
                condition=Q(employees_women__lte=models.F("employees_total")), name="enterprise_women_le_total"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.credit_code = normalise(self.credit_code)
        errors = {}
        if self.employees_women > self.employees_total:
            errors["employees_women"] = _("There cannot be more women employees than employees.")
        if self.region_id and self.region.level < 3:
            errors["region"] = _("Choose a district or county, not a province or city.")
        if errors:
            raise ValidationError(errors)

    def save(self, *args: object, **kwargs: object) -> None:
        self.credit_code = normalise(self.credit_code)
        division = industries.DIVISIONS.get(self.industry_division)
        self.industry_section = division.section if division else ""
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def get_absolute_url(self) -> str:
        return reverse("enterprises:detail", kwargs={"pk": self.pk})

    @property
    def name(self) -> str:
        return pick(self.name_zh, self.name_en)

    @property
    def industry(self) -> industries.Division | None:
        return industries.DIVISIONS.get(self.industry_division)

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def women_share(self) -> float | None:
        return self.employees_women / self.employees_total if self.employees_total else None


class ContactPerson(ScopedModel):
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=100)
    position = models.CharField(_("position"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("email"), blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)

    scope_policy: ClassVar[ScopePolicy] = ThroughEnterprise("enterprise")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-is_primary", "name"]
        verbose_name = _("contact person")
        verbose_name_plural = _("contact persons")

    def __str__(self) -> str:
        return self.name


class BuyerConsentQuerySet(ScopedQuerySet["BuyerConsent"]):
    def active(self) -> BuyerConsentQuerySet:
        return self.filter(revoked_at__isnull=True)


class BuyerConsent(ScopedModel):
    """An enterprise lets a buyer see its progress.  Revoking it ends the buyer's view at once."""

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="buyer_consents"
    )
    buyer = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("buyer"),
        on_delete=models.CASCADE,
        related_name="supplier_consents",
        limit_choices_to={"kind": "buyer"},
    )
    granted_at = models.DateTimeField(_("granted"), auto_now_add=True)
    granted_by = models.ForeignKey(
        "accounts.User", verbose_name=_("granted by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("revoked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    scope_policy: ClassVar[ScopePolicy] = ThroughEnterprise("enterprise")
    objects = BuyerConsentQuerySet.as_manager()

    class Meta:
        ordering = ["-granted_at"]
        verbose_name = _("buyer consent")
        verbose_name_plural = _("buyer consents")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "buyer"], condition=Q(revoked_at__isnull=True), name="buyer_consent_one_active"
            )
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} → {self.buyer}"
