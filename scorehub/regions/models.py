"""Administrative regions with GB/T 2260 codes.

A six-digit code is two digits of province, two of city and two of district or county; townships add
three more.  A region's *prefix* is the part of its code that every region below it shares
("3305" for Huzhou), so a whole subtree, and every record hanging off it, is one indexed
``code LIKE '3305%'`` query: no tree walk, no recursive query.
"""

from __future__ import annotations

from typing import ClassVar

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from scorehub.core.i18n import BilingualName
from scorehub.core.scoping import ROLE_ACTIONS, ScopedModel, ScopedQuerySet, ScopePolicy, ThroughRegion


class RegionLevel(models.IntegerChoices):
    PROVINCE = 1, _("province")
    CITY = 2, _("city")
    DISTRICT = 3, _("district / county")
    TOWNSHIP = 4, _("township")


region_code_validator = RegexValidator(
    r"^(\d{6}|\d{9}|\d{12})$", _("A region code has 6 digits (9 or 12 for a township).")
)


def prefix_for(code: str, level: int) -> str:
    """The code prefix that the region's whole subtree shares."""
    if level == RegionLevel.PROVINCE:
        return code[:2]
    if level == RegionLevel.CITY:
        return code[:4]
    if level == RegionLevel.DISTRICT:
        return code[:6]
    return code


def level_for(code: str) -> int:
    """The level implied by a code's shape (used when a CSV does not say)."""
    if len(code) > 6:
        return RegionLevel.TOWNSHIP
    if code.endswith("0000"):
        return RegionLevel.PROVINCE
    if code.endswith("00"):
        return RegionLevel.CITY
    return RegionLevel.DISTRICT


def ancestor_codes(code_or_prefix: str) -> list[str]:
    """Codes of the regions above a code or a subtree prefix (some, such as 110100, may not exist)."""
    n = len(code_or_prefix)
    candidates = []
    if n > 2:
        candidates.append(code_or_prefix[:2] + "0000")
    if n > 4:
        candidates.append(code_or_prefix[:4] + "00")
    if n > 6:
        candidates.append(code_or_prefix[:6])
    itself = code_or_prefix.ljust(6, "0") if n <= 6 else code_or_prefix
    return [c for c in dict.fromkeys(candidates) if c != itself]


class RegionQuerySet(ScopedQuerySet["Region"]):
    def subtree(self, region: Region) -> RegionQuerySet:
        """The region and everything below it, as one prefix query."""
        return self.filter(code__startswith=region.prefix)


class Region(BilingualName, ScopedModel):
    code = models.CharField(_("code"), max_length=12, primary_key=True, validators=[region_code_validator])
    level = models.PositiveSmallIntegerField(_("level"), choices=RegionLevel.choices)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    prefix = models.CharField(_("subtree prefix"), max_length=12, editable=False, db_index=True)

    scope_policy: ClassVar[ScopePolicy] = ThroughRegion("", roles=ROLE_ACTIONS)
    objects = RegionQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.parent is not None and not self.code.startswith(self.parent.prefix):
            raise ValidationError({"parent": _("The parent's code must be a prefix of this code.")})
        if self.parent is not None and self.parent.level >= self.level:
            raise ValidationError({"parent": _("The parent must be at a higher level.")})

    def save(self, *args: object, **kwargs: object) -> None:
        self.prefix = prefix_for(self.code, self.level)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def get_absolute_url(self) -> str:
        return reverse("regions:detail", kwargs={"pk": self.pk})

    @property
    def full_name(self) -> str:
        names = [r.name for r in self.ancestors()] + [self.name]
        return " / ".join(names)

    def ancestors(self) -> list[Region]:
        chain: list[Region] = []
        node = self.parent
        while node is not None:
            chain.insert(0, node)
            node = node.parent
        return chain
