"""SCORE training delivery: programmes, the module catalogue, cohorts, classroom sessions, in-factory
visits, the enterprise improvement team and plan, completion certificates, trainers and providers.

How the records hang together (one module in one enterprise is a :class:`CohortEnterprise`)::

    Programme ─┬─ ProgrammeTarget, ProgrammePhase
               ├─ Enrolment (enterprise in the programme)
               └─ Cohort (module, provider, trainers) ─┬─ CohortEnterprise ─┬─ Visit ─ findings, actions, photos
                                                      │                    └─ Certificate
                                                      └─ ClassroomSession ─ Participant ─ Attendance
                                                                          └─ SurveyResponse
    Enterprise ── ImprovementTeam ─ TeamMember, TeamMeeting;  PlanItem (generic link)
    TrainerProfile ─ TrainerCertification;  ProviderAccreditation
"""

from __future__ import annotations

import datetime as dt
import secrets
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
from scorehub.core.scoping import ScopedModel, ScopedQuerySet, ScopePolicy, ThroughEnterprise, ThroughRegion

from .policies import CataloguePolicy, CohortPolicy, TrainerPolicy

# ---------------------------------------------------------------------------------------------------------
# Shared choices


class Gender(models.TextChoices):
    FEMALE = "female", _("woman")
    MALE = "male", _("man")


class StaffRole(models.TextChoices):
    """Whether a participant or team member speaks for management or for the workers."""

    MANAGER = "manager", _("manager")
    WORKER = "worker", _("worker")


# ---------------------------------------------------------------------------------------------------------
# The module catalogue


class Module(BilingualName, ScopedModel):
    """One version of a SCORE module.  A new version is a new row with the same code."""

    code = models.CharField(
        _("code"), max_length=12, help_text=_("Short code shared by every version, e.g. WC or OSH.")
    )
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    classroom_days = models.PositiveSmallIntegerField(
        _("classroom days"), default=2, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    default_followup_visits = models.PositiveSmallIntegerField(
        _("default follow-up visits"), default=3, validators=[MaxValueValidator(12)]
    )
    prerequisites = models.ManyToManyField(
        "self",
        verbose_name=_("prerequisites"),
        symmetrical=False,
        blank=True,
        related_name="required_for",
        help_text=_("Modules an enterprise must have taken first (any version of them)."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(
        _("offered"), default=True, help_text=_("Only offered versions can be chosen for new cohorts.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    scope_policy: ClassVar[ScopePolicy] = CataloguePolicy()
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["order", "code", "-version"]
        verbose_name = _("module")
        verbose_name_plural = _("modules")
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="training_module_code_version")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}" + (f" (v{self.version})" if self.version > 1 else "")

    def save(self, *args: object, **kwargs: object) -> None:
        self.code = self.code.strip().upper()
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def get_absolute_url(self) -> str:
        return reverse("training:module-detail", kwargs={"pk": self.pk})

    @property
    def description(self) -> str:
        return pick(self.description_zh, self.description_en)

    @property
    def bilingual_name(self) -> str:
        return f"{self.name_zh} {self.name_en}".strip()


# ---------------------------------------------------------------------------------------------------------
# Programmes


class Programme(BilingualName, ScopedModel):
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="training_programmes",
        help_text=_("The area the programme covers; only enterprises inside it can be enrolled."),
    )
    starts_on = models.DateField(_("start"))
    ends_on = models.DateField(_("end"))
    description = models.TextField(_("description"), blank=True)
    bureau = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("bureau"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="training_programmes_run",
        limit_choices_to={"kind": "bureau"},
    )
    providers = models.ManyToManyField(
        "accounts.Organisation",
        verbose_name=_("training providers"),
        blank=True,
        related_name="training_programmes_delivered",
        limit_choices_to={"kind": "provider"},
    )
    funders = models.CharField(_("funders"), max_length=300, blank=True)
    modules = models.ManyToManyField(Module, verbose_name=_("modules offered"), blank=True, related_name="programmes")
    followup_visits = models.PositiveSmallIntegerField(
        _("follow-up visits required"),
        default=3,
        validators=[MaxValueValidator(12)],
        help_text=_("In-factory follow-up visits each enterprise needs to complete a module."),
    )
    followup_window_days = models.PositiveSmallIntegerField(
        _("follow-up window (days)"),
        default=90,
        validators=[MinValueValidator(7), MaxValueValidator(730)],
        help_text=_("Follow-up visits are planned over this many days after the classroom training."),
    )
    requires_baseline = models.BooleanField(
        _("baseline visit required"), default=True, help_text=_("Completion needs an intake / baseline visit.")
    )
    plans_year_after_visit = models.BooleanField(_("plan a year-after visit"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    scope_policy: ClassVar[ScopePolicy] = ThroughRegion("region")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "name_zh"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("A programme ends on or after its start.")})

    def get_absolute_url(self) -> str:
        return reverse("training:programme-detail", kwargs={"pk": self.pk})

    def covers(self, enterprise: models.Model) -> bool:
        return str(getattr(enterprise, "region_id", "")).startswith(self.region.prefix)


class ProgrammePhase(ScopedModel):
    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="phases"
    )
    name = models.CharField(_("name"), max_length=100)
    starts_on = models.DateField(_("start"))
    ends_on = models.DateField(_("end"))

    scope_policy: ClassVar[ScopePolicy] = ThroughRegion("programme__region")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["starts_on"]
        verbose_name = _("phase")
        verbose_name_plural = _("phases")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("A phase ends on or after its start.")})


class TargetKind(models.TextChoices):
    ENROLMENTS = "enrolments", _("enterprises enrolled")
    COMPLETIONS = "completions", _("module completions")


class ProgrammeTarget(ScopedModel):
    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="targets"
    )
    kind = models.CharField(_("what"), max_length=20, choices=TargetKind.choices)
    module = models.ForeignKey(
        Module,
        verbose_name=_("module"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("For completions: count only this module (any version). Empty counts every module."),
    )
    value = models.PositiveIntegerField(_("target"), validators=[MinValueValidator(1)])
    due_on = models.DateField(_("by"))

    scope_policy: ClassVar[ScopePolicy] = ThroughRegion("programme__region")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "kind"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value} · {self.due_on:%Y-%m-%d}"

    def clean(self) -> None:
        if self.kind == TargetKind.ENROLMENTS and self.module_id:
            raise ValidationError({"module": _("An enrolment target counts enterprises, not modules.")})


class EnrolmentStatus(models.TextChoices):
    ENROLLED = "enrolled", _("enrolled")
    ACTIVE = "active", pgettext_lazy("enrolment status", "active")
    COMPLETED = "completed", _("completed")
    DROPPED = "dropped", _("dropped")


class Enrolment(ScopedModel):
    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="enrolments"
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.CASCADE,
        related_name="training_enrolments",
    )
    enrolled_on = models.DateField(_("enrolled on"))
    status = models.CharField(
        _("status"), max_length=12, choices=EnrolmentStatus.choices, default=EnrolmentStatus.ENROLLED
    )
    dropped_reason = models.CharField(_("reason for dropping out"), max_length=300, blank=True)
    status_changed_on = models.DateField(_("status since"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    scope_policy: ClassVar[ScopePolicy] = ThroughEnterprise("enterprise")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-enrolled_on", "pk"]
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [models.UniqueConstraint(fields=["programme", "enterprise"], name="training_enrolment_unique")]
        indexes = [models.Index(fields=["programme", "status"], name="training_enrolment_prog_status")]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.programme}"

    def clean(self) -> None:
        errors: dict[str, object] = {}
        if self.status == EnrolmentStatus.DROPPED and not self.dropped_reason.strip():
            errors["dropped_reason"] = _("Say why the enterprise dropped out.")
        if self.programme_id and self.enterprise_id and not self.programme.covers(self.enterprise):
            errors["enterprise"] = _("%(enterprise)s lies outside the programme's region %(region)s.") % {
                "enterprise": self.enterprise,
                "region": self.programme.region,
            }
        if errors:
            raise ValidationError(errors)

    def get_absolute_url(self) -> str:
        return reverse("training:enrolment-edit", kwargs={"pk": self.pk})


# ---------------------------------------------------------------------------------------------------------
# Trainers and providers


class CertificationStatus(models.TextChoices):
    CANDIDATE = "candidate", _("candidate (after training of trainers)")
    SUPERVISED = "supervised", _("supervised training-of-enterprises cycle")
    CERTIFIED = "certified", _("certified")
    EXPERT = "expert", _("expert trainer")


#: The path a trainer follows in one module; each step needs an expert's recommendation and approval.
CERTIFICATION_PATH = [
    CertificationStatus.CANDIDATE,
    CertificationStatus.SUPERVISED,
    CertificationStatus.CERTIFIED,
    CertificationStatus.EXPERT,
]
#: Statuses that allow leading a cohort without a supervisor.
MAY_LEAD = frozenset({CertificationStatus.CERTIFIED, CertificationStatus.EXPERT})


def next_certification_status(status: str) -> str | None:
    index = CERTIFICATION_PATH.index(CertificationStatus(status))
    return CERTIFICATION_PATH[index + 1] if index + 1 < len(CERTIFICATION_PATH) else None


class TrainerProfile(ScopedModel):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="trainer_profile"
    )
    provider = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("training provider"),
        on_delete=models.PROTECT,
        related_name="trainer_profiles",
        limit_choices_to={"kind": "provider"},
    )
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    scope_policy: ClassVar[ScopePolicy] = TrainerPolicy()
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["provider__name_zh", "user__display_name", "user__username"]
        verbose_name = _("trainer")
        verbose_name_plural = _("trainers")

    def __str__(self) -> str:
        return str(self.user)

    def get_absolute_url(self) -> str:
        return reverse("training:trainer-detail", kwargs={"pk": self.pk})


class TrainerCertification(ScopedModel):
    trainer = models.ForeignKey(
        TrainerProfile, verbose_name=_("trainer"), on_delete=models.CASCADE, related_name="certifications"
    )
    module = models.ForeignKey(Module, verbose_name=_("module"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=12, choices=CertificationStatus.choices, default=CertificationStatus.CANDIDATE
    )
    since = models.DateField(_("since"), default=dt.date.today)
    recommended_status = models.CharField(
        _("recommended for"), max_length=12, choices=CertificationStatus.choices, blank=True
    )
    recommended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recommended by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recommended_on = models.DateField(_("recommended on"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_on = models.DateField(_("approved on"), null=True, blank=True)

    scope_policy: ClassVar[ScopePolicy] = TrainerPolicy("trainer")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["module__order", "module__code"]
        verbose_name = _("trainer certification")
        verbose_name_plural = _("trainer certifications")
        constraints = [
            models.UniqueConstraint(fields=["trainer", "module"], name="training_certification_trainer_module")
        ]

    def __str__(self) -> str:
        return f"{self.trainer} · {self.module.code} · {self.get_status_display()}"

    @property
    def next_status(self) -> str | None:
        return next_certification_status(self.status)


class AccreditationStatus(models.TextChoices):
    APPLIED = "applied", _("applied")
    ACCREDITED = "accredited", _("accredited")
    SUSPENDED = "suspended", _("suspended")


class ProviderAccreditation(ScopedModel):
    provider = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("training provider"),
        on_delete=models.CASCADE,
        related_name="accreditations",
        limit_choices_to={"kind": "provider"},
    )
    module = models.ForeignKey(Module, verbose_name=_("module"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=12, choices=AccreditationStatus.choices, default=AccreditationStatus.APPLIED
    )
    since = models.DateField(_("since"), default=dt.date.today)
    recommended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recommended by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recommended_on = models.DateField(_("recommended on"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_on = models.DateField(_("approved on"), null=True, blank=True)

    scope_policy: ClassVar[ScopePolicy] = CataloguePolicy()
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["provider__name_zh", "module__order"]
        verbose_name = _("provider accreditation")
        verbose_name_plural = _("provider accreditations")
        constraints = [
            models.UniqueConstraint(fields=["provider", "module"], name="training_accreditation_provider_module")
        ]

    def __str__(self) -> str:
        return f"{self.provider} · {self.module.code} · {self.get_status_display()}"


# ---------------------------------------------------------------------------------------------------------
# Cohorts and classroom sessions


class Cohort(ScopedModel):
    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="cohorts"
    )
    module = models.ForeignKey(Module, verbose_name=_("module"), on_delete=models.PROTECT, related_name="cohorts")
    provider = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("training provider"),
        on_delete=models.PROTECT,
        related_name="training_cohorts",
        limit_choices_to={"kind": "provider"},
    )
    name = models.CharField(_("name"), max_length=120)
    lead_trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("lead trainer"), on_delete=models.PROTECT, related_name="+"
    )
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("supervising trainer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Needed when the lead trainer is not yet certified in this module."),
    )
    trainers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("co-trainers"), blank=True, related_name="training_cohorts_co"
    )
    enterprises: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        "enterprises.Enterprise",
        verbose_name=_("enterprises"),
        through="CohortEnterprise",
        related_name="training_cohorts",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    scope_policy: ClassVar[ScopePolicy] = CohortPolicy()
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "name"]
        verbose_name = _("cohort")
        verbose_name_plural = _("cohorts")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("training:cohort-detail", kwargs={"pk": self.pk})

    def all_trainer_ids(self) -> set[int]:
        ids = {self.lead_trainer_id}
        if self.supervisor_id:
            ids.add(self.supervisor_id)
        ids.update(u.pk for u in self.trainers.all())
        return ids


class CohortEnterprise(ScopedModel):
    """One enterprise taking one module in one cohort: the unit of the progress path and the certificate."""

    cohort = models.ForeignKey(Cohort, verbose_name=_("cohort"), on_delete=models.CASCADE, related_name="members")
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.CASCADE,
        related_name="training_participations",
    )
    enrolment = models.ForeignKey(
        Enrolment, verbose_name=_("enrolment"), on_delete=models.PROTECT, related_name="participations"
    )
    joined_on = models.DateField(_("joined on"))
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("completion recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    scope_policy: ClassVar[ScopePolicy] = ThroughEnterprise("enterprise")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["enterprise__name_zh"]
        verbose_name = _("enterprise in a cohort")
        verbose_name_plural = _("enterprises in cohorts")
        constraints = [
            models.UniqueConstraint(fields=["cohort", "enterprise"], name="training_cohort_enterprise_unique")
        ]
        indexes = [models.Index(fields=["enterprise", "completed_on"], name="training_ce_ent_completed")]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.cohort.module.code}"

    def get_absolute_url(self) -> str:
        return reverse("training:progress-detail", kwargs={"pk": self.pk})

    @property
    def is_completed(self) -> bool:
        return self.completed_on is not None


def new_token() -> str:
    return secrets.token_urlsafe(18)


class ClassroomSession(ScopedModel):
    cohort = models.ForeignKey(Cohort, verbose_name=_("cohort"), on_delete=models.CASCADE, related_name="sessions")
    title = models.CharField(_("title"), max_length=150)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    venue = models.CharField(_("venue"), max_length=200)
    trainers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("trainers"), related_name="training_sessions"
    )
    survey_token = models.CharField(_("survey token"), max_length=40, unique=True, default=new_token, editable=False)
    survey_expires_at = models.DateTimeField(_("survey open until"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    scope_policy: ClassVar[ScopePolicy] = CohortPolicy("cohort")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "pk"]
        verbose_name = _("classroom session")
        verbose_name_plural = _("classroom sessions")
        indexes = [models.Index(fields=["starts_on", "ends_on"], name="training_session_dates")]

    def __str__(self) -> str:
        return f"{self.title} · {self.starts_on:%Y-%m-%d}"

    def clean(self) -> None:
        if self.starts_on and self.ends_on:
            if self.ends_on < self.starts_on:
                raise ValidationError({"ends_on": _("The last day cannot be before the first day.")})
            if (self.ends_on - self.starts_on).days > 13:
                raise ValidationError({"ends_on": _("A classroom session lasts at most two weeks.")})

    def get_absolute_url(self) -> str:
        return reverse("training:session-detail", kwargs={"pk": self.pk})

    @property
    def days(self) -> list[dt.date]:
        count = (self.ends_on - self.starts_on).days + 1
        return [self.starts_on + dt.timedelta(days=i) for i in range(count)]

    @property
    def survey_is_open(self) -> bool:
        return self.survey_expires_at is not None and self.survey_expires_at > timezone.now()


class Participant(ScopedModel):
    session = models.ForeignKey(
        ClassroomSession,
        verbose_name=pgettext_lazy("classroom", "session"),
        on_delete=models.CASCADE,
        related_name="participants",
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.CASCADE,
        related_name="training_participants",
    )
    name = models.CharField(_("name"), max_length=100)
    role = models.CharField(_("role"), max_length=10, choices=StaffRole.choices)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices)
    position = models.CharField(_("position"), max_length=100, blank=True)

    scope_policy: ClassVar[ScopePolicy] = ThroughEnterprise("enterprise")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["enterprise__name_zh", "role", "name"]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")

    def __str__(self) -> str:
        return self.name


class Attendance(ScopedModel):
    """A participant was present on one day of the session (absence is the missing row)."""

    participant = models.ForeignKey(
        Participant, verbose_name=_("participant"), on_delete=models.CASCADE, related_name="attendance"
    )
    day = models.DateField(pgettext_lazy("attendance", "day"))

    scope_policy: ClassVar[ScopePolicy] = ThroughEnterprise("participant__enterprise")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["day"]
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [models.UniqueConstraint(fields=["participant", "day"], name="training_attendance_unique")]

    def __str__(self) -> str:
        return f"{self.participant} · {self.day:%Y-%m-%d}"


RATING_VALIDATORS = [MinValueValidator(1), MaxValueValidator(5)]
#: A response counts as satisfied when its overall rating reaches this value (of 5).
SATISFIED_FROM = 4


class SurveyResponse(ScopedModel):
    """One anonymous answer to the satisfaction survey after a classroom session."""

    session = models.ForeignKey(
        ClassroomSession,
        verbose_name=pgettext_lazy("classroom", "session"),
        on_delete=models.CASCADE,
        related_name="survey_responses",
    )
    overall = models.PositiveSmallIntegerField(_("overall satisfaction"), validators=RATING_VALIDATORS)
    usefulness = models.PositiveSmallIntegerField(_("usefulness for my work"), validators=RATING_VALIDATORS)
    trainers = models.PositiveSmallIntegerField(_("the trainers"), validators=RATING_VALIDATORS)
    role = models.CharField(_("I am"), max_length=10, choices=StaffRole.choices, blank=True)
    comment = models.TextField(_("comment"), max_length=1000, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), auto_now_add=True)

    scope_policy: ClassVar[ScopePolicy] = CohortPolicy("session__cohort")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")

    def __str__(self) -> str:
        return f"{self.session} · {self.overall}/5"

    @property
    def is_satisfied(self) -> bool:
        return self.overall >= SATISFIED_FROM


# ---------------------------------------------------------------------------------------------------------
# In-factory visits


class VisitKind(models.TextChoices):
    BASELINE = "baseline", _("intake / baseline visit")
    FOLLOW_UP = "follow_up", _("follow-up visit")
    YEAR_AFTER = "year_after", _("year-after visit")


class VisitStatus(models.TextChoices):
    PLANNED = "planned", _("planned")
    DONE = "done", _("done")
    CANCELLED = "cancelled", _("cancelled")


class VisitQuerySet(ScopedQuerySet["Visit"]):
    def overdue(self, today: dt.date | None = None) -> VisitQuerySet:
        return self.filter(status=VisitStatus.PLANNED, planned_on__lt=today or timezone.localdate())

    def upcoming(self, today: dt.date | None = None, days: int = 60) -> VisitQuerySet:
        start = today or timezone.localdate()
        return self.filter(
            status=VisitStatus.PLANNED, planned_on__gte=start, planned_on__lte=start + dt.timedelta(days=days)
        )


class Visit(ScopedModel):
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="training_visits"
    )
    participation = models.ForeignKey(
        CohortEnterprise, verbose_name=_("module and cohort"), on_delete=models.CASCADE, related_name="visits"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=VisitKind.choices)
    planned_on = models.DateField(_("planned for"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=VisitStatus.choices, default=VisitStatus.PLANNED)
    consultants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("consultants"), blank=True, related_name="training_visits"
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("safety inspector"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="joint_training_visits",
        help_text=_("A government safety inspector who joins the visit makes it a joint visit."),
    )
    observations = models.TextField(_("what was seen"), blank=True)
    next_visit_on = models.DateField(_("next visit"), null=True, blank=True)
    signed_by = models.CharField(_("signed off by (enterprise)"), max_length=100, blank=True)
    signed_on = models.DateField(_("signed off on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    scope_policy: ClassVar[ScopePolicy] = ThroughEnterprise("enterprise")
    objects = VisitQuerySet.as_manager()

    class Meta:
        ordering = ["planned_on", "pk"]
        verbose_name = _("in-factory visit")
        verbose_name_plural = _("in-factory visits")
        indexes = [
            models.Index(fields=["status", "planned_on"], name="training_visit_status_planned"),
            models.Index(fields=["enterprise", "done_on"], name="training_visit_ent_done"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.enterprise} · {self.date:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("training:visit-detail", kwargs={"pk": self.pk})

    @property
    def date(self) -> dt.date:
        return self.done_on or self.planned_on

    @property
    def is_joint(self) -> bool:
        return self.inspector_id is not None

    def is_overdue(self, today: dt.date | None = None) -> bool:
        return self.status == VisitStatus.PLANNED and self.planned_on < (today or timezone.localdate())


class FindingKind(models.TextChoices):
    ADVICE = "advice", _("advice")
    ENFORCEMENT = "enforcement", _("enforcement matter")


class VisitFinding(ScopedModel):
    visit = models.ForeignKey(Visit, verbose_name=_("visit"), on_delete=models.CASCADE, related_name="findings")
    text = models.TextField(_("finding"), max_length=2000)
    kind = models.CharField(
        _("advice or enforcement"),
        max_length=12,
        choices=FindingKind.choices,
        help_text=_("Advice helps the enterprise improve; an enforcement matter is for the inspector to act on."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    scope_policy: ClassVar[ScopePolicy] = ThroughEnterprise("visit__enterprise")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text[:60]}"


class VisitAction(ScopedModel):
    """An action agreed during a visit."""

    visit = models.ForeignKey(Visit, verbose_name=_("visit"), on_delete=models.CASCADE, related_name="actions")
    text = models.CharField(_("action"), max_length=500)
    owner = models.CharField(_("owner"), max_length=100)
    due_on = models.DateField(_("due"))
    done_on = models.DateField(_("done on"), null=True, blank=True)

    scope_policy: ClassVar[ScopePolicy] = ThroughEnterprise("visit__enterprise")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("agreed action")
        verbose_name_plural = _("agreed actions")

    def __str__(self) -> str:
        return self.text[:80]


def visit_photo_path(instance: VisitPhoto, filename: str) -> str:
    return f"training/visits/{instance.visit_id}/{secrets.token_hex(8)}.jpg"


class VisitPhoto(ScopedModel):
    visit = models.ForeignKey(Visit, verbose_name=_("visit"), on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("photo"), upload_to=visit_photo_path)
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    scope_policy: ClassVar[ScopePolicy] = ThroughEnterprise("visit__enterprise")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self) -> str:
        return self.caption or self.image.name


# ---------------------------------------------------------------------------------------------------------
# Enterprise improvement team and plan


class ImprovementTeam(ScopedModel):
    enterprise = models.OneToOneField(
        "enterprises.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.CASCADE,
        related_name="improvement_team",
    )
    name = models.CharField(_("name"), max_length=120, blank=True)
    formed_on = models.DateField(_("formed on"))

    scope_policy: ClassVar[ScopePolicy] = ThroughEnterprise("enterprise")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["enterprise__name_zh"]
        verbose_name = _("improvement team")
        verbose_name_plural = _("improvement teams")

    def __str__(self) -> str:
        return self.name or str(self.enterprise)

    def get_absolute_url(self) -> str:
        return reverse("training:enterprise-team", kwargs={"pk": self.enterprise_id})


class TeamMember(ScopedModel):
    team = models.ForeignKey(ImprovementTeam, verbose_name=_("team"), on_delete=models.CASCADE, related_name="members")
    name = models.CharField(_("name"), max_length=100)
    role = models.CharField(_("role"), max_length=10, choices=StaffRole.choices)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices)
    position = models.CharField(_("position"), max_length=100, blank=True)
    joined_on = models.DateField(_("joined on"), default=dt.date.today)
    left_on = models.DateField(_("left on"), null=True, blank=True)

    scope_policy: ClassVar[ScopePolicy] = ThroughEnterprise("team__enterprise")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["role", "name"]
        verbose_name = _("team member")
        verbose_name_plural = _("team members")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.left_on and self.joined_on and self.left_on < self.joined_on:
            raise ValidationError({"left_on": _("A member cannot leave before joining.")})


class TeamMeeting(ScopedModel):
    team = models.ForeignKey(ImprovementTeam, verbose_name=_("team"), on_delete=models.CASCADE, related_name="meetings")
    held_on = models.DateField(_("date"))
    attendees = models.ManyToManyField(TeamMember, verbose_name=_("attendees"), blank=True, related_name="meetings")
    minutes = models.TextField(_("minutes"))

    scope_policy: ClassVar[ScopePolicy] = ThroughEnterprise("team__enterprise")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-held_on", "-pk"]
        verbose_name = _("team meeting")
        verbose_name_plural = _("team meetings")

    def __str__(self) -> str:
        return f"{self.team} · {self.held_on:%Y-%m-%d}"


class PlanItemStatus(models.TextChoices):
    OPEN = "open", _("open")
    IN_PROGRESS = "in_progress", _("in progress")
    DONE = "done", _("done")
    DROPPED = "dropped", _("dropped")


class PlanItemQuerySet(ScopedQuerySet["PlanItem"]):
    def overdue(self, today: dt.date | None = None) -> PlanItemQuerySet:
        return self.filter(
            status__in=[PlanItemStatus.OPEN, PlanItemStatus.IN_PROGRESS], due_on__lt=today or timezone.localdate()
        )


class PlanItem(ScopedModel):
    """An item of the enterprise improvement plan.

    ``link`` may point to any record that the item is about (a suggestion, an improvement project, a
    hazard, a visit finding...), kept generic so that later parts of SCORE Hub plug in without a migration
    here.  A linked record must belong to the same enterprise.
    """

    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="plan_items"
    )
    objective = models.CharField(_("objective"), max_length=300)
    actions = models.TextField(_("actions"), blank=True)
    owner = models.CharField(_("owner"), max_length=100)
    due_on = models.DateField(_("due"))
    status = models.CharField(_("status"), max_length=12, choices=PlanItemStatus.choices, default=PlanItemStatus.OPEN)
    link_type = models.ForeignKey(
        ContentType,
        verbose_name=_("linked record type"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    link_id = models.PositiveBigIntegerField(_("linked record"), null=True, blank=True)
    link = GenericForeignKey("link_type", "link_id")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    scope_policy: ClassVar[ScopePolicy] = ThroughEnterprise("enterprise")
    objects = PlanItemQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("improvement plan item")
        verbose_name_plural = _("improvement plan items")
        indexes = [models.Index(fields=["link_type", "link_id"], name="training_planitem_link")]
        constraints = [
            models.CheckConstraint(
                condition=Q(link_type__isnull=True, link_id__isnull=True)
                | Q(link_type__isnull=False, link_id__isnull=False),
                name="training_planitem_link_complete",
            )
        ]

    def __str__(self) -> str:
        return self.objective

    def get_absolute_url(self) -> str:
        return reverse("training:enterprise-team", kwargs={"pk": self.enterprise_id})


# ---------------------------------------------------------------------------------------------------------
# Certificates


def new_verification_code() -> str:
    # 12 characters from an alphabet without look-alikes, grouped for reading aloud: 4K7M-Q2XD-9HTP.
    alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
    raw = "".join(secrets.choice(alphabet) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


class Certificate(ScopedModel):
    participation = models.OneToOneField(
        CohortEnterprise, verbose_name=_("module and cohort"), on_delete=models.PROTECT, related_name="certificate"
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        related_name="training_certificates",
    )
    module = models.ForeignKey(Module, verbose_name=_("module"), on_delete=models.PROTECT, related_name="+")
    programme = models.ForeignKey(Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="+")
    issued_on = models.DateField(_("issued on"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("issued by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    verification_code = models.CharField(
        _("verification code"), max_length=20, unique=True, default=new_verification_code, editable=False
    )
    revoked_on = models.DateField(_("revoked on"), null=True, blank=True)
    revoked_reason = models.CharField(_("reason for revoking"), max_length=300, blank=True)

    scope_policy: ClassVar[ScopePolicy] = ThroughEnterprise("enterprise")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_on", "-pk"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")

    def __str__(self) -> str:
        return self.verification_code

    def get_absolute_url(self) -> str:
        return reverse("training:certificate-detail", kwargs={"pk": self.pk})

    @property
    def is_valid(self) -> bool:
        return self.revoked_on is None
