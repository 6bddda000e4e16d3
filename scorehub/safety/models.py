"""Work safety: the dual-prevention mechanism (双重预防机制).

* Checklists (programme-wide reference data, versioned) and safety checks against them.
* Hidden hazards (事故隐患) from checks, visits, worker suggestions or elsewhere, through assignment,
  rectification, verification and closure, each step on the hazard's timeline.
* Risk points (风险点) graded in four colours by LEC or a likelihood × severity matrix.
* Accidents and incidents with the people affected and days lost.
* Planned inspections from the risk-based inspection plan.

Everything inside an enterprise is scoped through the enterprise; checklists are readable by every
signed-in user with a scope and edited by the programme office and officials.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from scorehub.core.i18n import BilingualName, pick
from scorehub.core.scoping import (
    EVERYTHING,
    Action,
    PolicyResult,
    Role,
    Scope,
    ScopedModel,
    ScopedQuerySet,
    ScopePolicy,
    ThroughEnterprise,
)

from . import conf


class ProgrammeReferencePolicy(ScopePolicy):
    """Programme-wide reference data (checklists): every signed-in user with a scope reads it;
    the programme office and officials edit it."""

    EDITORS = frozenset({Role.PROGRAMME_ADMIN, Role.OFFICIAL})

    def condition(self, scope: Scope, action: str) -> PolicyResult:
        if action in (Action.VIEW, Action.HISTORY):
            return EVERYTHING if not scope.is_empty else None
        if action in (Action.CHANGE, Action.MANAGE) and any(
            g.role in self.EDITORS and action in g.actions for g in scope.grants
        ):
            return EVERYTHING
        return None


# --------------------------------------------------------------------------------------------------
# Checklists
# --------------------------------------------------------------------------------------------------


class HazardClass(models.TextChoices):
    GENERAL = "general", _("general hazard")
    MAJOR = "major", _("major hazard")


class ItemCategory(models.TextChoices):
    MANAGEMENT = "management", _("safety management")
    ELECTRICAL = "electrical", _("electrical safety")
    FIRE = "fire", _("fire safety")
    MACHINERY = "machinery", _("machinery guarding")
    CHEMICALS = "chemicals", _("hazardous chemicals")
    DUST = "dust", _("combustible dust")
    CONFINED_SPACE = "confined_space", _("confined spaces")
    PPE = "ppe", _("personal protective equipment")
    HOUSEKEEPING = "housekeeping", _("housekeeping and layout")
    SPECIAL_EQUIPMENT = "special_equipment", _("special equipment")
    EMERGENCY = "emergency", _("emergency preparedness")
    OCCUPATIONAL_HEALTH = "occupational_health", _("occupational health")
    EXPLOSIVES = "explosives", _("explosives and pyrotechnics")
    OTHER = "other", _("other")


class ChecklistTemplate(BilingualName, ScopedModel):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    industries = models.JSONField(
        _("industries"),
        default=list,
        blank=True,
        help_text=_("GB/T 4754 divisions the template is written for; empty means every industry."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    scope_policy: ClassVar[ScopePolicy] = ProgrammeReferencePolicy()
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("checklist template")
        verbose_name_plural = _("checklist templates")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("safety:checklist-detail", kwargs={"pk": self.pk})

    @property
    def current_version(self) -> ChecklistVersion | None:
        return self.versions.order_by("-number").first()

    def fits_industry(self, division: str) -> bool:
        return not self.industries or division in self.industries


class ChecklistVersion(ScopedModel):
    """One frozen set of items.  Editing a version that checks have used makes a new version."""

    template = models.ForeignKey(
        ChecklistTemplate, verbose_name=_("template"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    note = models.CharField(_("change note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL
    )

    scope_policy: ClassVar[ScopePolicy] = ProgrammeReferencePolicy()
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["template", "-number"]
        verbose_name = _("checklist version")
        verbose_name_plural = _("checklist versions")
        constraints = [models.UniqueConstraint(fields=["template", "number"], name="checklist_version_unique")]

    def __str__(self) -> str:
        return f"{self.template} v{self.number}"

    def get_absolute_url(self) -> str:
        return reverse("safety:checklist-detail", kwargs={"pk": self.template_id}) + f"?version={self.number}"


class ChecklistItem(ScopedModel):
    version = models.ForeignKey(
        ChecklistVersion, verbose_name=_("version"), on_delete=models.CASCADE, related_name="items"
    )
    position = models.PositiveIntegerField(pgettext_lazy("checklist item", "position"), default=0)
    code = models.CharField(_("code"), max_length=20)
    category = models.CharField(_("category"), max_length=30, choices=ItemCategory.choices)
    text_zh = models.TextField(_("text (Chinese)"))
    text_en = models.TextField(_("text (English)"), blank=True)
    reference = models.CharField(
        _("legal or standard reference"), max_length=300, blank=True, help_text=_("e.g. GB 50016-2014 §5.5")
    )
    default_hazard_class = models.CharField(
        _("default hazard class"), max_length=10, choices=HazardClass.choices, default=HazardClass.GENERAL
    )

    scope_policy: ClassVar[ScopePolicy] = ProgrammeReferencePolicy()
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["version", "position", "code"]
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="checklist_item_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.text}"

    @property
    def text(self) -> str:
        return pick(self.text_zh, self.text_en)


# --------------------------------------------------------------------------------------------------
# Safety checks
# --------------------------------------------------------------------------------------------------


class CheckKind(models.TextChoices):
    SELF_CHECK = "self_check", _("enterprise self-check")
    GOVERNMENT = "government", _("government inspection")
    JOINT_VISIT = "joint_visit", _("joint consultant and inspector visit")
    WALKTHROUGH = "walkthrough", _("SCORE walk-through")


#: Who may record which kind of check (any one of the actions is enough).
KIND_ACTIONS: dict[str, tuple[str, ...]] = {
    CheckKind.SELF_CHECK: (Action.OPERATE,),
    CheckKind.GOVERNMENT: (Action.INSPECT,),
    CheckKind.JOINT_VISIT: (Action.INSPECT, Action.COACH),
    CheckKind.WALKTHROUGH: (Action.COACH, Action.INSPECT),
}
#: Kinds that count as inspections by the authorities in the numbers and the inspection plan.
INSPECTION_KINDS = (CheckKind.GOVERNMENT, CheckKind.JOINT_VISIT)


class SafetyCheck(ScopedModel):
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="safety_checks"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=CheckKind.choices)
    version = models.ForeignKey(
        ChecklistVersion, verbose_name=_("checklist version"), on_delete=models.PROTECT, related_name="checks"
    )
    checked_on = models.DateField(_("date"), db_index=True)
    place = models.CharField(_("workshop / area"), max_length=200, blank=True)
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="safety_checks",
    )
    participants = models.CharField(_("other participants"), max_length=300, blank=True)
    note = models.TextField(_("note"), blank=True)
    client_uuid = models.UUIDField(
        _("submission id"),
        unique=True,
        default=uuid.uuid4,
        help_text=_("Generated by the form; a second submission with the same id returns the first check."),
    )
    industry_confirmed = models.BooleanField(_("template of another industry confirmed"), default=False)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    scope_policy: ClassVar[ScopePolicy] = ThroughEnterprise("enterprise")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-checked_on", "-pk"]
        verbose_name = _("safety check")
        verbose_name_plural = _("safety checks")
        indexes = [models.Index(fields=["enterprise", "checked_on"], name="safety_check_ent_date")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.checked_on:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("safety:check-detail", kwargs={"pk": self.pk})


class Outcome(models.TextChoices):
    PASS = "pass", _("pass")
    FAIL = "fail", _("fail")
    NOT_APPLICABLE = "na", _("not applicable")


class CheckResult(ScopedModel):
    check_record = models.ForeignKey(
        SafetyCheck, verbose_name=_("check"), on_delete=models.CASCADE, related_name="results"
    )
    item = models.ForeignKey(ChecklistItem, verbose_name=_("item"), on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(_("result"), max_length=4, choices=Outcome.choices)
    note = models.TextField(_("note"), blank=True)

    scope_policy: ClassVar[ScopePolicy] = ThroughEnterprise("check_record__enterprise")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["check_record", "item__position"]
        verbose_name = _("check result")
        verbose_name_plural = _("check results")
        constraints = [models.UniqueConstraint(fields=["check_record", "item"], name="check_result_one_per_item")]

    def __str__(self) -> str:
        return f"{self.item.code}: {self.get_outcome_display()}"


# --------------------------------------------------------------------------------------------------
# Hidden hazards
# --------------------------------------------------------------------------------------------------


class HazardSource(models.TextChoices):
    CHECK = "check", _("safety check")
    VISIT = "visit", _("consulting visit")
    SUGGESTION = "suggestion", _("worker suggestion")
    ACCIDENT = "accident", _("accident or incident")
    OTHER = "other", _("other")


class HazardStatus(models.TextChoices):
    FOUND = "found", _("found")
    ASSIGNED = "assigned", _("being rectified")
    RECTIFIED = "rectified", _("rectified, awaiting verification")
    VERIFIED = "verified", pgettext_lazy("hazard", "verified")
    CLOSED = "closed", pgettext_lazy("hazard", "closed")


OPEN_STATUSES = (HazardStatus.FOUND, HazardStatus.ASSIGNED)
DONE_STATUSES = (HazardStatus.RECTIFIED, HazardStatus.VERIFIED, HazardStatus.CLOSED)


class FindingNature(models.TextChoices):
    ADVICE = "advice", _("advice")
    ENFORCEMENT = "enforcement", _("enforcement matter")


class HazardQuerySet(ScopedQuerySet["Hazard"]):
    def open(self) -> HazardQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, today: dt.date | None = None) -> HazardQuerySet:
        today = today or timezone.localdate()
        return self.filter(status__in=OPEN_STATUSES, deadline__lt=today)

    def major(self) -> HazardQuerySet:
        return self.filter(hazard_class=HazardClass.MAJOR)


class Hazard(ScopedModel):
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="hazards"
    )
    source_kind = models.CharField(_("source"), max_length=12, choices=HazardSource.choices, default=HazardSource.OTHER)
    # The record the hazard came from (a check result, a visit, a suggestion, an accident), kept
    # generic so that this app does not depend on the apps that own those records.
    source_type = models.ForeignKey(
        ContentType, verbose_name=_("source type"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_id = models.PositiveBigIntegerField(_("source record"), null=True, blank=True)
    source = GenericForeignKey("source_type", "source_id")
    source_reference = models.CharField(_("source reference"), max_length=200, blank=True)
    check_result = models.OneToOneField(
        CheckResult,
        verbose_name=_("failed check item"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="hazard",
    )
    place = models.CharField(_("place"), max_length=200)
    description = models.TextField(_("description"))
    hazard_class = models.CharField(_("class"), max_length=10, choices=HazardClass.choices, default=HazardClass.GENERAL)
    nature = models.CharField(
        _("nature of the finding"), max_length=12, choices=FindingNature.choices, default=FindingNature.ADVICE
    )
    status = models.CharField(_("status"), max_length=10, choices=HazardStatus.choices, default=HazardStatus.FOUND)
    found_on = models.DateField(_("found on"), db_index=True)
    #: Empty where nobody signed in found it (a worker's report, an enterprise's self-check on paper).
    found_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("found by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    responsible_person = models.CharField(_("responsible person"), max_length=100, blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    required_measures = models.TextField(_("required measures"), blank=True)
    rectified_on = models.DateField(_("rectified on"), null=True, blank=True)
    rectified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rectified by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    rectification_note = models.TextField(_("rectification evidence"), blank=True)
    verified_on = models.DateField(_("verified on"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("hazard", "verified by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    reopened_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    scope_policy: ClassVar[ScopePolicy] = ThroughEnterprise("enterprise")
    objects = HazardQuerySet.as_manager()

    class Meta:
        ordering = ["-found_on", "-pk"]
        verbose_name = _("hidden hazard")
        verbose_name_plural = _("hidden hazards")
        indexes = [
            models.Index(fields=["enterprise", "status"], name="hazard_ent_status"),
            models.Index(fields=["status", "deadline"], name="hazard_status_deadline"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.description[:40]}"

    def clean(self) -> None:
        if self.deadline and self.found_on and self.deadline < self.found_on:
            raise ValidationError({"deadline": _("The deadline cannot be before the day the hazard was found.")})
        if self.rectified_on and self.found_on and self.rectified_on < self.found_on:
            raise ValidationError({"rectified_on": _("A hazard cannot be rectified before it was found.")})

    def get_absolute_url(self) -> str:
        return reverse("safety:hazard-detail", kwargs={"pk": self.pk})

    @property
    def is_major(self) -> bool:
        return self.hazard_class == HazardClass.MAJOR

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.deadline is not None and self.deadline < timezone.localdate()

    @property
    def days_to_rectify(self) -> int | None:
        if self.rectified_on is None:
            return None
        return (self.rectified_on - self.found_on).days


class RectificationPlan(ScopedModel):
    """The plan a major hazard needs (objective, measures, funds, person, deadline, interim measures)."""

    hazard = models.OneToOneField(Hazard, verbose_name=_("hazard"), on_delete=models.CASCADE, related_name="plan")
    objective = models.TextField(_("objective"))
    measures = models.TextField(_("measures"))
    funds = models.DecimalField(
        _("funds (CNY)"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    responsible_person = models.CharField(_("responsible person"), max_length=100)
    deadline = models.DateField(_("deadline"))
    interim_measures = models.TextField(_("interim safety measures"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("written by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    scope_policy: ClassVar[ScopePolicy] = ThroughEnterprise("hazard__enterprise")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("rectification plan")
        verbose_name_plural = _("rectification plans")

    def __str__(self) -> str:
        return str(_("Rectification plan for %(hazard)s") % {"hazard": self.hazard})

    def clean(self) -> None:
        if self.deadline and self.hazard_id and self.deadline < self.hazard.found_on:
            raise ValidationError({"deadline": _("The deadline cannot be before the day the hazard was found.")})


class EventKind(models.TextChoices):
    FOUND = "found", _("found")
    ASSIGNED = "assigned", _("assigned for rectification")
    PLAN = "plan", _("rectification plan written")
    REPORTED = "reported", _("reported to the bureau")
    RECTIFIED = "rectified", _("rectified")
    VERIFIED = "verified", pgettext_lazy("hazard", "verified")
    VERIFICATION_FAILED = "verification_failed", _("verification failed, reopened")
    CLOSED = "closed", pgettext_lazy("hazard", "closed")
    NOTE = "note", _("note")


class HazardEvent(ScopedModel):
    """One step on a hazard's timeline: who, when, what."""

    hazard = models.ForeignKey(Hazard, verbose_name=_("hazard"), on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("step"), max_length=20, choices=EventKind.choices)
    at = models.DateTimeField(_("when"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("who"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)

    scope_policy: ClassVar[ScopePolicy] = ThroughEnterprise("hazard__enterprise")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["hazard", "at", "pk"]
        verbose_name = _("hazard timeline entry")
        verbose_name_plural = _("hazard timeline entries")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.at:%Y-%m-%d %H:%M}"


class PhotoStage(models.TextChoices):
    FINDING = "finding", _("finding")
    RECTIFICATION = "rectification", _("rectification")


def _photo_path(instance: SafetyPhoto, filename: str) -> str:
    return f"safety/photos/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.jpg"


class SafetyPhoto(ScopedModel):
    """A photo of a finding or of a rectification; decoded, downsized and stripped of metadata on upload,
    and served only through a scoped view."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="+"
    )
    hazard = models.ForeignKey(
        Hazard, verbose_name=_("hazard"), null=True, blank=True, on_delete=models.CASCADE, related_name="photos"
    )
    check_result = models.ForeignKey(
        CheckResult,
        verbose_name=_("check item"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="photos",
    )
    stage = models.CharField(_("stage"), max_length=14, choices=PhotoStage.choices, default=PhotoStage.FINDING)
    image = models.FileField(_("image"), upload_to=_photo_path)
    width = models.PositiveIntegerField(_("width"), default=0)
    height = models.PositiveIntegerField(_("height"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    scope_policy: ClassVar[ScopePolicy] = ThroughEnterprise("enterprise")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self) -> str:
        return f"{self.get_stage_display()} #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("safety:photo", kwargs={"pk": self.pk})


class BureauNotification(ScopedModel):
    """A major hazard reported to a bureau whose jurisdiction contains the enterprise."""

    bureau = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("bureau"),
        on_delete=models.CASCADE,
        related_name="safety_notifications",
        limit_choices_to={"kind": "bureau"},
    )
    hazard = models.ForeignKey(Hazard, verbose_name=_("hazard"), on_delete=models.CASCADE, related_name="notifications")
    created_at = models.DateTimeField(_("reported"), default=timezone.now)
    read_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    scope_policy: ClassVar[ScopePolicy] = ThroughEnterprise("hazard__enterprise")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("major-hazard report")
        verbose_name_plural = _("major-hazard reports")
        constraints = [models.UniqueConstraint(fields=["bureau", "hazard"], name="bureau_notification_once")]

    def __str__(self) -> str:
        return f"{self.bureau} ← {self.hazard}"


class NoticeBoard(ScopedModel):
    """The workers' disclosure page of one enterprise (Work Safety Law art. 41), public through an
    unguessable token so that the enterprise's QR poster can point to it."""

    enterprise = models.OneToOneField(
        "enterprises.Enterprise", verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="notice_board"
    )
    token = models.CharField(_("public link token"), max_length=48, unique=True, default=secrets.token_urlsafe)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    scope_policy: ClassVar[ScopePolicy] = ThroughEnterprise("enterprise")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("notice board")
        verbose_name_plural = _("notice boards")

    def __str__(self) -> str:
        return str(self.enterprise)

    def get_absolute_url(self) -> str:
        return reverse("safety:notice-board-public", kwargs={"token": self.token})


# --------------------------------------------------------------------------------------------------
# Risk points
# --------------------------------------------------------------------------------------------------


class RiskMethod(models.TextChoices):
    LEC = "lec", _("LEC (D = L × E × C)")
    MATRIX = "matrix", _("likelihood × severity matrix")


class RiskLevel(models.TextChoices):
    RED = "red", _("red · major risk")
    ORANGE = "orange", _("orange · high risk")
    YELLOW = "yellow", _("yellow · general risk")
    BLUE = "blue", _("blue · low risk")


RISK_LEVEL_ORDER = {RiskLevel.RED: 0, RiskLevel.ORANGE: 1, RiskLevel.YELLOW: 2, RiskLevel.BLUE: 3}


class ResponsibleLevel(models.TextChoices):
    COMPANY = "company", _("company")
    WORKSHOP = "workshop", pgettext_lazy("responsibility level", "workshop")
    TEAM = "team", pgettext_lazy("responsibility level", "team")
    POST = "post", _("post")


# The usual LEC scales (Graham–Kinney), with their meanings.
L_CHOICES = [
    (Decimal("10"), _("10 · fully expected")),
    (Decimal("6"), _("6 · quite possible")),
    (Decimal("3"), _("3 · unusual but possible")),
    (Decimal("1"), _("1 · remotely possible")),
    (Decimal("0.5"), _("0.5 · conceivable, very unlikely")),
    (Decimal("0.2"), _("0.2 · practically impossible")),
    (Decimal("0.1"), _("0.1 · virtually impossible")),
]
E_CHOICES = [
    (Decimal("10"), _("10 · continuous")),
    (Decimal("6"), _("6 · daily during working hours")),
    (Decimal("3"), _("3 · weekly")),
    (Decimal("2"), _("2 · monthly")),
    (Decimal("1"), _("1 · a few times a year")),
    (Decimal("0.5"), _("0.5 · very rarely")),
]
C_CHOICES = [
    (Decimal("100"), _("100 · catastrophe, many deaths")),
    (Decimal("40"), _("40 · disaster, several deaths")),
    (Decimal("15"), _("15 · very serious, one death")),
    (Decimal("7"), _("7 · serious, severe injury")),
    (Decimal("3"), _("3 · important, disabling injury")),
    (Decimal("1"), _("1 · noticeable, first aid")),
]
SCALE_1_5 = [(i, str(i)) for i in range(1, 6)]


def level_for_lec(d: Decimal | float) -> str:
    red, orange, yellow = conf.get("LEC_THRESHOLDS")
    if d > red:
        return RiskLevel.RED
    if d > orange:
        return RiskLevel.ORANGE
    if d > yellow:
        return RiskLevel.YELLOW
    return RiskLevel.BLUE


def level_for_matrix(r: int) -> str:
    red, orange, yellow = conf.get("MATRIX_THRESHOLDS")
    if r >= red:
        return RiskLevel.RED
    if r >= orange:
        return RiskLevel.ORANGE
    if r >= yellow:
        return RiskLevel.YELLOW
    return RiskLevel.BLUE


class RiskPoint(ScopedModel):
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="risk_points"
    )
    name = models.CharField(_("risk point"), max_length=200)
    place = models.CharField(_("place"), max_length=200)
    hazard_factors = models.TextField(_("hazard factors"))
    method = models.CharField(_("assessment method"), max_length=8, choices=RiskMethod.choices, default=RiskMethod.LEC)
    lec_l = models.DecimalField(
        _("L · likelihood"), max_digits=5, decimal_places=1, choices=L_CHOICES, null=True, blank=True
    )
    lec_e = models.DecimalField(
        _("E · exposure"), max_digits=5, decimal_places=1, choices=E_CHOICES, null=True, blank=True
    )
    lec_c = models.DecimalField(
        _("C · consequence"), max_digits=5, decimal_places=1, choices=C_CHOICES, null=True, blank=True
    )
    likelihood = models.PositiveSmallIntegerField(
        _("likelihood (1–5)"),
        null=True,
        blank=True,
        choices=SCALE_1_5,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    severity = models.PositiveSmallIntegerField(
        _("severity (1–5)"),
        null=True,
        blank=True,
        choices=SCALE_1_5,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    score = models.DecimalField(_("risk value"), max_digits=9, decimal_places=1, editable=False, default=0)
    level = models.CharField(_("risk level"), max_length=8, choices=RiskLevel.choices, editable=False, db_index=True)
    control_measures = models.TextField(_("control measures"))
    responsible_level = models.CharField(_("responsible level"), max_length=10, choices=ResponsibleLevel.choices)
    responsible_person = models.CharField(_("responsible person"), max_length=100, blank=True)
    emergency_measures = models.TextField(_("emergency measures"), blank=True)
    assessed_on = models.DateField(_("assessed on"), default=timezone.localdate)
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    scope_policy: ClassVar[ScopePolicy] = ThroughEnterprise("enterprise")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["enterprise", "-score", "name"]
        verbose_name = _("risk point")
        verbose_name_plural = _("risk points")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.method == RiskMethod.LEC:
            for name in ("lec_l", "lec_e", "lec_c"):
                if getattr(self, name) in (None, ""):
                    errors[name] = _("LEC needs L, E and C.")
        elif self.method == RiskMethod.MATRIX:
            for name in ("likelihood", "severity"):
                if getattr(self, name) in (None, ""):
                    errors[name] = _("The matrix needs likelihood and severity.")
        if errors:
            raise ValidationError(errors)
        self.assess()

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.assess()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("safety:risk-point-detail", kwargs={"pk": self.pk})

    def assess(self) -> None:
        """Compute the risk value and the four-colour level from the chosen method."""
        if self.method == RiskMethod.LEC and None not in (self.lec_l, self.lec_e, self.lec_c):
            d = Decimal(self.lec_l) * Decimal(self.lec_e) * Decimal(self.lec_c)  # type: ignore[arg-type]
            self.score = d.quantize(Decimal("0.1"))
            self.level = level_for_lec(d)
        elif self.method == RiskMethod.MATRIX and self.likelihood and self.severity:
            r = int(self.likelihood) * int(self.severity)
            self.score = Decimal(r)
            self.level = level_for_matrix(r)


# --------------------------------------------------------------------------------------------------
# Accidents
# --------------------------------------------------------------------------------------------------


class AccidentSeverity(models.TextChoices):
    NEAR_MISS = "near_miss", _("near miss")
    FIRST_AID = "first_aid", _("first aid")
    LOST_TIME = "lost_time", _("lost time")
    SERIOUS = "serious", _("serious injury")
    FATAL = "fatal", _("fatal")


#: Severities that count as accidents in the numbers (near misses are counted apart).
ACCIDENT_SEVERITIES = (
    AccidentSeverity.FIRST_AID,
    AccidentSeverity.LOST_TIME,
    AccidentSeverity.SERIOUS,
    AccidentSeverity.FATAL,
)
#: Severities that count in the lost-time rates.
RECORDABLE_SEVERITIES = (AccidentSeverity.LOST_TIME, AccidentSeverity.SERIOUS, AccidentSeverity.FATAL)


class AccidentType(models.TextChoices):
    """Accident types after GB 6441-1986 (selection)."""

    STRUCK = "struck", _("struck by object")
    VEHICLE = "vehicle", _("vehicle injury")
    MACHINERY = "machinery", _("machinery injury")
    LIFTING = "lifting", _("lifting injury")
    ELECTRIC = "electric", _("electric shock")
    BURN = "burn", _("scald or burn")
    FIRE = "fire", _("fire")
    FALL = "fall", _("fall from height")
    COLLAPSE = "collapse", _("collapse")
    EXPLOSION = "explosion", _("explosion")
    POISONING = "poisoning", _("poisoning or asphyxiation")
    SLIP = "slip", _("slip or trip")
    OTHER = "other", _("other injury")


class Accident(ScopedModel):
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="accidents"
    )
    occurred_on = models.DateField(_("date"), db_index=True)
    place = models.CharField(_("place"), max_length=200)
    accident_type = models.CharField(_("type"), max_length=12, choices=AccidentType.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=AccidentSeverity.choices)
    description = models.TextField(_("what happened"))
    cause = models.TextField(_("cause"), blank=True)
    corrective_actions = models.TextField(_("corrective actions"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    scope_policy: ClassVar[ScopePolicy] = ThroughEnterprise("enterprise")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_on", "-pk"]
        verbose_name = _("accident or incident")
        verbose_name_plural = _("accidents and incidents")

    def __str__(self) -> str:
        return f"{self.occurred_on:%Y-%m-%d} {self.get_accident_type_display()} ({self.get_severity_display()})"

    def clean(self) -> None:
        if self.occurred_on and self.occurred_on > timezone.localdate():
            raise ValidationError({"occurred_on": _("An accident cannot be recorded in the future.")})

    def get_absolute_url(self) -> str:
        return reverse("safety:accident-detail", kwargs={"pk": self.pk})


class Gender(models.TextChoices):
    FEMALE = "female", _("woman")
    MALE = "male", _("man")
    UNSPECIFIED = "unspecified", _("not stated")


class InjuryOutcome(models.TextChoices):
    NONE = "none", _("no injury")
    MINOR = "minor", _("minor injury")
    LOST_TIME = "lost_time", _("lost-time injury")
    SERIOUS = "serious", _("serious injury")
    FATAL = "fatal", _("fatal")


class AffectedPerson(ScopedModel):
    """A person affected by an accident: no name, only what the statistics need."""

    accident = models.ForeignKey(Accident, verbose_name=_("accident"), on_delete=models.CASCADE, related_name="people")
    gender = models.CharField(_("gender"), max_length=12, choices=Gender.choices)
    role = models.CharField(
        _("role"),
        max_length=12,
        choices=[("worker", _("worker")), ("manager", _("manager")), ("contractor", _("contractor"))],
        default="worker",
    )
    injury = models.CharField(_("injury"), max_length=10, choices=InjuryOutcome.choices)
    days_lost = models.PositiveIntegerField(_("days lost"), default=0)

    scope_policy: ClassVar[ScopePolicy] = ThroughEnterprise("accident__enterprise")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["accident", "pk"]
        verbose_name = _("person affected")
        verbose_name_plural = _("people affected")

    def __str__(self) -> str:
        return f"{self.get_gender_display()} · {self.get_injury_display()}"


class HoursWorked(ScopedModel):
    """Hours worked by all employees of an enterprise in one year (for rates per million hours)."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="hours_worked"
    )
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    hours = models.PositiveBigIntegerField(_("hours worked"), validators=[MinValueValidator(1)])

    scope_policy: ClassVar[ScopePolicy] = ThroughEnterprise("enterprise")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["enterprise", "-year"]
        verbose_name = _("hours worked")
        verbose_name_plural = _("hours worked")
        constraints = [models.UniqueConstraint(fields=["enterprise", "year"], name="hours_worked_once_a_year")]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.year}: {self.hours}"


# --------------------------------------------------------------------------------------------------
# Risk-based inspection planning
# --------------------------------------------------------------------------------------------------


class PlannedStatus(models.TextChoices):
    PLANNED = "planned", _("planned")
    DONE = "done", _("done")
    CANCELLED = "cancelled", _("cancelled")


class PlannedInspection(ScopedModel):
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.CASCADE,
        related_name="planned_inspections",
    )
    planned_for = models.DateField(_("planned for"))
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=[(k.value, k.label) for k in CheckKind if k in INSPECTION_KINDS],
        default=CheckKind.GOVERNMENT,
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("inspector"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    grade = models.CharField(_("risk grade when planned"), max_length=1, blank=True)
    score = models.DecimalField(_("risk score when planned"), max_digits=5, decimal_places=1, default=0)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=PlannedStatus.choices, default=PlannedStatus.PLANNED)
    done_check = models.OneToOneField(
        SafetyCheck,
        verbose_name=_("check"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="planned_inspection",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("planned by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    scope_policy: ClassVar[ScopePolicy] = ThroughEnterprise("enterprise")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["planned_for", "pk"]
        verbose_name = _("planned inspection")
        verbose_name_plural = _("planned inspections")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise"], condition=Q(status="planned"), name="planned_inspection_one_open"
            )
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.planned_for:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("safety:planned-list")
