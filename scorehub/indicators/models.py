"""KPIs, good practices and the reports made from the indicator layer.

* :class:`Kpi` and :class:`Practice` are catalogues (bilingual, extendable by the programme office).
* :class:`KpiRecord` is one enterprise's KPI report for one calendar month; its :class:`KpiValue` rows
  hold one number per KPI.
* :class:`Assessment` is a baseline or follow-up assessment of one module in one enterprise: the
  good-practice checklist (:class:`PracticeAnswer`) and the months whose KPI records count as the
  baseline or follow-up period.
* :class:`ReportJob` is a PDF or Excel report built in the background for the user who asked.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import ClassVar, Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from scorehub.core.i18n import BilingualName, pick
from scorehub.core.models import StartedByPolicy
from scorehub.core.scoping import (
    EVERYTHING,
    Action,
    PolicyResult,
    Scope,
    ScopedModel,
    ScopedQuerySet,
    ScopePolicy,
    ThroughEnterprise,
)

code_validator = RegexValidator(
    r"^[a-z][a-z0-9_]{1,39}$", _("Use 2–40 lower-case letters, digits or underscores, starting with a letter.")
)


class CataloguePolicy(ScopePolicy):
    """Catalogues are read by everyone who has a scope; only the programme office (who reaches
    everything) changes them."""

    def condition(self, scope: Scope, action: str) -> PolicyResult:
        if scope.is_empty:
            return None
        if action == Action.VIEW or scope.reaches_everything(action):
            return EVERYTHING
        return None


class Better(models.TextChoices):
    HIGHER = "higher", _("higher is better")
    LOWER = "lower", _("lower is better")


class Kpi(BilingualName, ScopedModel):
    """A key performance indicator enterprises report monthly (labour productivity, defect rate, ...)."""

    code = models.CharField(_("code"), max_length=40, unique=True, validators=[code_validator])
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    unit_zh = models.CharField(_("unit (Chinese)"), max_length=40)
    unit_en = models.CharField(_("unit (English)"), max_length=40)
    better = models.CharField(_("better when"), max_length=6, choices=Better.choices, default=Better.HIGHER)
    description_zh = models.TextField(_("how to measure (Chinese)"), blank=True)
    description_en = models.TextField(_("how to measure (English)"), blank=True)
    is_standard = models.BooleanField(
        _("standard"), default=False, help_text=_("Part of SCORE's default set; programmes add their own beside it.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)

    scope_policy: ClassVar[ScopePolicy] = CataloguePolicy()
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("KPI")
        verbose_name_plural = _("KPIs")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("indicators:kpi-list")

    @property
    def unit(self) -> str:
        return pick(self.unit_zh, self.unit_en)

    @property
    def description(self) -> str:
        return pick(self.description_zh, self.description_en)


class Practice(ScopedModel):
    """A good-practice indicator: a yes / no statement about the enterprise, per module."""

    code = models.CharField(_("code"), max_length=40, unique=True, validators=[code_validator])
    module = models.CharField(
        _("module"), max_length=20, help_text=_("Code of the SCORE module, e.g. WC or OSH."), db_index=True
    )
    text_zh = models.CharField(_("statement (Chinese)"), max_length=200)
    text_en = models.CharField(_("statement (English)"), max_length=200)
    is_standard = models.BooleanField(_("standard"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)

    scope_policy: ClassVar[ScopePolicy] = CataloguePolicy()
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("good practice")
        verbose_name_plural = _("good practices")

    def __str__(self) -> str:
        return self.text

    def get_absolute_url(self) -> str:
        return reverse("indicators:practice-list")

    @property
    def text(self) -> str:
        return pick(self.text_zh, self.text_en)


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


class KpiRecordQuerySet(ScopedQuerySet["KpiRecord"]):
    def in_months(self, first: dt.date, last: dt.date) -> Self:
        return self.filter(month__gte=first_of_month(first), month__lte=last)


class KpiRecord(ScopedModel):
    """One enterprise's KPIs for one calendar month."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="kpi_records"
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month the figures describe."))
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    scope_policy: ClassVar[ScopePolicy] = ThroughEnterprise("enterprise")
    objects = KpiRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-month"]
        verbose_name = _("KPI record")
        verbose_name_plural = _("KPI records")
        constraints = [models.UniqueConstraint(fields=["enterprise", "month"], name="kpi_record_one_per_month")]
        indexes = [models.Index(fields=["month", "enterprise"], name="kpi_record_month")]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.month:%Y-%m}"

    def clean(self) -> None:
        if self.month and self.month.day != 1:
            self.month = first_of_month(self.month)

    def get_absolute_url(self) -> str:
        return reverse("indicators:enterprise-kpis", kwargs={"pk": self.enterprise_id})


class KpiValue(ScopedModel):
    record = models.ForeignKey(KpiRecord, verbose_name=_("KPI record"), on_delete=models.CASCADE, related_name="values")
    kpi = models.ForeignKey(Kpi, verbose_name=_("KPI"), on_delete=models.PROTECT, related_name="values")
    value = models.DecimalField(_("value"), max_digits=16, decimal_places=4)

    scope_policy: ClassVar[ScopePolicy] = ThroughEnterprise("record__enterprise")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["kpi__order"]
        verbose_name = _("KPI value")
        verbose_name_plural = _("KPI values")
        constraints = [
            models.UniqueConstraint(fields=["record", "kpi"], name="kpi_value_one_per_kpi"),
            models.CheckConstraint(condition=Q(value__gte=0), name="kpi_value_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.kpi}: {self.value}"


class Stage(models.TextChoices):
    BASELINE = "baseline", _("baseline")
    FOLLOW_UP = "follow_up", _("follow-up")


class Assessment(ScopedModel):
    """A baseline or follow-up assessment of one module in one enterprise.

    It records the good-practice checklist and names the months whose KPI records form the baseline
    (or follow-up) period; the change in each KPI compares the averages of the two periods.
    """

    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="assessments"
    )
    module = models.CharField(_("module"), max_length=20)
    stage = models.CharField(_("stage"), max_length=10, choices=Stage.choices)
    assessed_on = models.DateField(_("assessed on"))
    kpi_from = models.DateField(_("KPI period from (month)"))
    kpi_to = models.DateField(_("KPI period to (month)"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    practices: models.ManyToManyField[Practice, PracticeAnswer] = models.ManyToManyField(
        Practice, through="PracticeAnswer", related_name="assessments", verbose_name=_("good practices")
    )

    scope_policy: ClassVar[ScopePolicy] = ThroughEnterprise("enterprise")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-assessed_on", "module"]
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "module", "stage"], name="assessment_one_per_stage"),
            models.CheckConstraint(condition=Q(kpi_to__gte=models.F("kpi_from")), name="assessment_kpi_period"),
        ]
        indexes = [models.Index(fields=["stage", "assessed_on"], name="assessment_stage_date")]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.module} · {self.get_stage_display()}"

    def clean(self) -> None:
        if self.kpi_from:
            self.kpi_from = first_of_month(self.kpi_from)
        if self.kpi_to:
            self.kpi_to = first_of_month(self.kpi_to)
        if self.kpi_from and self.kpi_to and self.kpi_to < self.kpi_from:
            raise ValidationError({"kpi_to": _("The KPI period ends on or after the month it starts.")})
        if self.module:
            self.module = self.module.strip().upper()

    def get_absolute_url(self) -> str:
        return reverse("indicators:enterprise-kpis", kwargs={"pk": self.enterprise_id})


class PracticeAnswer(ScopedModel):
    assessment = models.ForeignKey(
        Assessment, verbose_name=_("assessment"), on_delete=models.CASCADE, related_name="answers"
    )
    practice = models.ForeignKey(Practice, verbose_name=_("good practice"), on_delete=models.PROTECT, related_name="+")
    in_place = models.BooleanField(_("in place"))

    scope_policy: ClassVar[ScopePolicy] = ThroughEnterprise("assessment__enterprise")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("good-practice answer")
        verbose_name_plural = _("good-practice answers")
        constraints = [models.UniqueConstraint(fields=["assessment", "practice"], name="practice_answer_unique")]

    def __str__(self) -> str:
        return f"{self.practice}: {self.in_place}"


class CycleKpiStat(ScopedModel):
    """A maintained roll-up: for one module cycle (a follow-up assessment with its baseline) and one KPI,
    the sum and number of KPI values in the baseline months and in the follow-up months.

    The change in a KPI is computed from these rows instead of the raw records, which keeps province
    dashboards fast.  ``selectors.refresh_cycle_stats`` rebuilds the rows of an enterprise from the raw
    tables; every service that writes KPI records or assessments calls it in the same transaction, and
    a test proves the roll-up equals the raw computation after edits, deletions and back-dating.
    """

    follow_up = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="kpi_stats")
    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.CASCADE, related_name="+")
    assessed_on = models.DateField()
    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="+")
    baseline_sum = models.DecimalField(max_digits=20, decimal_places=4, null=True)
    baseline_count = models.PositiveIntegerField(default=0)
    follow_up_sum = models.DecimalField(max_digits=20, decimal_places=4, null=True)
    follow_up_count = models.PositiveIntegerField(default=0)
    #: (follow-up mean − baseline mean) ÷ baseline mean; None without both means or with a zero baseline.
    change = models.DecimalField(max_digits=34, decimal_places=24, null=True)
    #: 1 the follow-up mean is higher, −1 lower, 0 equal; None without both means.
    direction = models.SmallIntegerField(null=True)

    scope_policy: ClassVar[ScopePolicy] = ThroughEnterprise("enterprise")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("KPI change of a module cycle")
        verbose_name_plural = _("KPI changes of module cycles")
        constraints = [models.UniqueConstraint(fields=["follow_up", "kpi"], name="cycle_kpi_stat_unique")]
        indexes = [models.Index(fields=["assessed_on", "enterprise"], name="cycle_kpi_stat_date")]

    def __str__(self) -> str:
        return f"{self.follow_up} · {self.kpi}"


class ReportFormat(models.TextChoices):
    PDF = "pdf", _("PDF report")
    XLSX = "xlsx", _("Excel workbook")


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("being prepared")
    DONE = "done", _("ready")
    FAILED = "failed", _("failed")


class ReportJob(ScopedModel):
    """A progress report for one scope and period, built in the background."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.CASCADE, related_name="+"
    )
    scope_key = models.CharField(_("scope"), max_length=60)
    scope_label = models.CharField(_("scope"), max_length=200)
    period = models.CharField(_("period"), max_length=30)
    format = models.CharField(_("format"), max_length=4, choices=ReportFormat.choices)
    language = models.CharField(_("language"), max_length=10)
    status = models.CharField(_("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    step = models.CharField(_("step"), max_length=100, blank=True)
    error = models.TextField(_("error"), blank=True)
    filename = models.CharField(_("file name"), max_length=200, blank=True)
    content = models.BinaryField(_("file"), null=True, editable=False)
    size = models.PositiveIntegerField(_("size"), default=0)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    #: The report belongs to the person who asked for it (the programme office may read everyone's, as it
    #: reads everyone's import jobs); its content is limited to that person's scope when it is built.
    scope_policy: ClassVar[ScopePolicy] = StartedByPolicy("requested_by")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        indexes = [models.Index(fields=["requested_by", "-created_at"], name="report_job_owner")]

    def __str__(self) -> str:
        return f"{self.scope_label} · {self.period} · {self.get_format_display()}"

    def get_absolute_url(self) -> str:
        return reverse("indicators:report-detail", kwargs={"pk": self.pk})

    @property
    def is_finished(self) -> bool:
        return self.status in (ReportStatus.DONE, ReportStatus.FAILED)
