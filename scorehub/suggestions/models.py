"""Worker suggestions, the improvement team's review, improvement projects and the good-practice library.

A worker scans a poster's QR code (a :class:`Poster` with an unguessable, revocable token) and submits a
:class:`Suggestion` without an account.  The enterprise improvement team reviews it on the board; every
status change is a :class:`SuggestionEvent` on its timeline.  Suggestions can become or join an
:class:`ImprovementProject` (cost, expected and verified savings, measurements, before / after photos).
A completed project can be proposed as a :class:`CaseStudy`; once the programme office approves it,
everyone in the programme can read it.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from decimal import Decimal
from typing import Any, ClassVar

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from scorehub.core.i18n import pick
from scorehub.core.scoping import (
    INTERNAL_ROLES,
    Action,
    PolicyResult,
    Role,
    Scope,
    ScopedModel,
    ScopedQuerySet,
    ScopePolicy,
    ThroughEnterprise,
)

#: Letters and digits that cannot be mistaken for one another when read aloud or typed on a phone.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
TRACKING_CODE_LENGTH = 8
#: Days a suggestion may wait for a decision before it counts as waiting too long.
REVIEW_DAYS = 14


def new_token() -> str:
    return secrets.token_urlsafe(24)


def new_tracking_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(TRACKING_CODE_LENGTH))


def normalise_tracking_code(value: str) -> str:
    """What the worker typed, in the stored form: upper case, without spaces or dashes."""
    return "".join(ch for ch in (value or "").upper() if ch.isalnum())


def format_tracking_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}" if len(code) == TRACKING_CODE_LENGTH else code


class Category(models.TextChoices):
    SAFETY = "safety", _("safety")
    QUALITY = "quality", _("quality")
    PRODUCTIVITY = "productivity", _("productivity")
    COST = "cost", _("cost and resources")
    ENVIRONMENT = "environment", _("environment")
    WORKING_CONDITIONS = "working_conditions", _("working conditions")
    COOPERATION = "cooperation", _("cooperation")


class SuggestionStatus(models.TextChoices):
    SUBMITTED = "submitted", _("submitted")
    UNDER_REVIEW = "under_review", _("under review")
    ADOPTED = "adopted", _("adopted")
    REJECTED = "rejected", _("rejected")
    IN_PROGRESS = "in_progress", pgettext_lazy("improvement", "in progress")
    IMPLEMENTED = "implemented", _("implemented")
    MERGED = "merged", _("merged as a duplicate")


#: Statuses in which a suggestion still waits for a decision.
AWAITING_DECISION = (SuggestionStatus.SUBMITTED, SuggestionStatus.UNDER_REVIEW)
#: Statuses of a suggestion that was adopted (whatever happened after).
ADOPTED_OR_LATER = (SuggestionStatus.ADOPTED, SuggestionStatus.IN_PROGRESS, SuggestionStatus.IMPLEMENTED)
#: Statuses from which a suggestion can still move.
OPEN_STATUSES = (*AWAITING_DECISION, SuggestionStatus.ADOPTED, SuggestionStatus.IN_PROGRESS)

#: Which status may follow which (the board offers exactly these moves).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    SuggestionStatus.SUBMITTED: (SuggestionStatus.UNDER_REVIEW, SuggestionStatus.ADOPTED, SuggestionStatus.REJECTED),
    SuggestionStatus.UNDER_REVIEW: (SuggestionStatus.ADOPTED, SuggestionStatus.REJECTED),
    SuggestionStatus.ADOPTED: (SuggestionStatus.IN_PROGRESS, SuggestionStatus.IMPLEMENTED),
    SuggestionStatus.IN_PROGRESS: (SuggestionStatus.IN_PROGRESS, SuggestionStatus.IMPLEMENTED),
    SuggestionStatus.REJECTED: (SuggestionStatus.UNDER_REVIEW,),
    SuggestionStatus.IMPLEMENTED: (),
    SuggestionStatus.MERGED: (),
}


class Channel(models.TextChoices):
    QR = "qr", _("QR poster")
    MANUAL = "manual", _("entered by staff")
    IMPORT = "import", pgettext_lazy("channel", "imported")
    API = "api", _("API")


class Gender(models.TextChoices):
    UNKNOWN = "", _("not given")
    WOMAN = "woman", _("woman")
    MAN = "man", _("man")


# --- Posters (the QR tokens) ---------------------------------------------------------------------------


class PosterQuerySet(ScopedQuerySet["Poster"]):
    def active(self) -> PosterQuerySet:
        return self.filter(revoked_at__isnull=True)


class Poster(ScopedModel):
    """A printed QR poster: the token in its link lets anyone submit a suggestion to one enterprise."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="posters"
    )
    workshop = models.CharField(
        _("workshop"),
        max_length=100,
        blank=True,
        help_text=_("Leave empty for a poster for the whole enterprise; suggestions arrive tagged with it."),
    )
    token = models.CharField(_("token"), max_length=64, unique=True, default=new_token, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoked_at = models.DateTimeField(pgettext_lazy("poster", "revoked"), null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        "accounts.User",
        verbose_name=pgettext_lazy("poster", "revoked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    scope_policy: ClassVar[ScopePolicy] = ThroughEnterprise("enterprise")
    objects = PosterQuerySet.as_manager()

    class Meta:
        ordering = ["enterprise", "workshop", "-created_at"]
        verbose_name = _("poster")
        verbose_name_plural = _("posters")

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.workshop}" if self.workshop else str(self.enterprise)

    def get_absolute_url(self) -> str:
        return reverse("suggestions:poster-list") + f"?enterprise={self.enterprise_id}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def submission_path(self) -> str:
        return reverse("suggestions:public-submit", kwargs={"token": self.token})


# --- Suggestions ---------------------------------------------------------------------------------------


class SuggestionQuerySet(ScopedQuerySet["Suggestion"]):
    def counted(self) -> SuggestionQuerySet:
        """Suggestions that count in the numbers: duplicates merged into another one do not."""
        return self.exclude(status=SuggestionStatus.MERGED)

    def awaiting_decision(self) -> SuggestionQuerySet:
        return self.filter(status__in=AWAITING_DECISION)

    def overdue(self, today: dt.date | None = None) -> SuggestionQuerySet:
        """In progress past the due date, or waiting for a decision longer than ``REVIEW_DAYS``."""
        today = today or timezone.localdate()
        waited_since = timezone.now() - dt.timedelta(days=REVIEW_DAYS)
        return self.filter(
            Q(status=SuggestionStatus.IN_PROGRESS, due_date__lt=today)
            | Q(status__in=AWAITING_DECISION, submitted_at__lt=waited_since)
        )


def _suggestion_title(problem: str) -> str:
    first_line = (problem or "").strip().splitlines()[0] if (problem or "").strip() else ""
    return first_line[:60] + ("…" if len(first_line) > 60 else "")


class Suggestion(ScopedModel):
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="suggestions"
    )
    poster = models.ForeignKey(
        Poster,
        verbose_name=_("poster"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="suggestions",
        editable=False,
    )
    workshop = models.CharField(_("workshop"), max_length=100, blank=True)
    problem = models.TextField(_("what is the problem"), max_length=2000)
    proposal = models.TextField(_("what do you suggest"), max_length=2000)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    # The worker's identity is optional: anonymous is the default, so hazards can be reported without fear.
    submitter_name = models.CharField(_("name"), max_length=100, blank=True)
    submitter_contact = models.CharField(_("contact"), max_length=100, blank=True)
    submitter_gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, blank=True, default="")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.MANUAL)
    tracking_code = models.CharField(
        _("tracking code"), max_length=16, unique=True, default=new_tracking_code, editable=False
    )
    status = models.CharField(
        _("status"), max_length=20, choices=SuggestionStatus.choices, default=SuggestionStatus.SUBMITTED, db_index=True
    )
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now, db_index=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True, editable=False)
    implemented_at = models.DateTimeField(_("implemented"), null=True, blank=True, editable=False)
    rejection_reason = models.TextField(
        _("reason for rejection"), blank=True, help_text=_("The worker sees this reason on the tracking page.")
    )
    owner_name = models.CharField(_("owner"), max_length=100, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    implementation_note = models.TextField(_("what was done"), blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duplicates",
        editable=False,
    )
    project = models.ForeignKey(
        "ImprovementProject",
        verbose_name=_("improvement project"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="suggestions",
        editable=False,
    )
    # A generic link to a record opened from this suggestion elsewhere (e.g. a hazard in the safety
    # register).  Generic on purpose: this app knows nothing of the apps that may link here.
    linked_type = models.ForeignKey(
        ContentType, verbose_name=_("linked record type"), null=True, blank=True, on_delete=models.SET_NULL
    )
    linked_id = models.PositiveBigIntegerField(_("linked record"), null=True, blank=True)
    linked_record = GenericForeignKey("linked_type", "linked_id")
    #: A client's key for one submission: a retried request with the same key returns the first result.
    idempotency_key = models.CharField(max_length=80, null=True, blank=True, unique=True, editable=False)
    created_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    scope_policy: ClassVar[ScopePolicy] = ThroughEnterprise("enterprise")
    objects = SuggestionQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = _("suggestion")
        verbose_name_plural = _("suggestions")
        indexes = [models.Index(fields=["enterprise", "status"], name="suggestion_enterprise_status")]

    def __str__(self) -> str:
        return f"{format_tracking_code(self.tracking_code)} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("suggestions:detail", kwargs={"pk": self.pk})

    @property
    def title(self) -> str:
        return _suggestion_title(self.problem)

    @property
    def display_code(self) -> str:
        return format_tracking_code(self.tracking_code)

    @property
    def is_anonymous(self) -> bool:
        return not (self.submitter_name or self.submitter_contact)

    @property
    def is_overdue(self) -> bool:
        if self.status == SuggestionStatus.IN_PROGRESS and self.due_date:
            return self.due_date < timezone.localdate()
        if self.status in AWAITING_DECISION:
            return self.submitted_at < timezone.now() - dt.timedelta(days=REVIEW_DAYS)
        return False

    def next_statuses(self) -> tuple[str, ...]:
        return TRANSITIONS.get(self.status, ())


class SuggestionEvent(ScopedModel):
    """One line of a suggestion's timeline: who did what, when."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", _("submitted")
        STATUS = "status", _("status changed")
        MERGED = "merged", _("merged")
        PROJECT = "project", _("joined a project")
        LINKED = "linked", _("linked record")
        NOTE = "note", _("note")

    suggestion = models.ForeignKey(
        Suggestion, verbose_name=_("suggestion"), on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    actor = models.ForeignKey(
        "accounts.User", verbose_name=_("who"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    from_status = models.CharField(_("from"), max_length=20, choices=SuggestionStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=SuggestionStatus.choices, blank=True)
    note = models.TextField(_("note"), blank=True)

    scope_policy: ClassVar[ScopePolicy] = ThroughEnterprise("suggestion__enterprise")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")

    def __str__(self) -> str:
        return f"{self.suggestion_id} {self.kind} {self.at:%Y-%m-%d}"


# --- Improvement projects ------------------------------------------------------------------------------


class ProjectStatus(models.TextChoices):
    PLANNED = "planned", _("planned")
    IN_PROGRESS = "in_progress", pgettext_lazy("improvement", "in progress")
    COMPLETED = "completed", _("completed")
    CANCELLED = "cancelled", _("cancelled")


#: The SCORE modules a project or a case study can be filed under (codes of the module catalogue).
MODULE_CHOICES = [
    ("WC", _("Workplace Cooperation")),
    ("QM", _("Quality Management")),
    ("CP", _("Clean Production / Resource Efficiency")),
    ("HR", _("Workforce Management")),
    ("OSH", _("Safety and Health at Work")),
]


def module_label(code: str) -> Any:
    return dict(MODULE_CHOICES).get(code, code)


_money = {"max_digits": 14, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}


class ImprovementProject(ScopedModel):
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.CASCADE,
        related_name="improvement_projects",
    )
    title = models.CharField(_("title"), max_length=200)
    goal = models.TextField(_("goal"))
    team = models.TextField(_("team"), blank=True, help_text=_("Who works on it (names or roles)."))
    module = models.CharField(_("SCORE module"), max_length=10, blank=True, choices=MODULE_CHOICES)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=ProjectStatus.choices, default=ProjectStatus.PLANNED)
    started_on = models.DateField(_("started"), default=timezone.localdate)
    completed_on = models.DateField(_("completed"), null=True, blank=True)
    cost = models.DecimalField(_("cost (CNY)"), default=Decimal("0"), **_money)  # type: ignore[arg-type]
    expected_savings = models.DecimalField(
        _("expected annual savings (CNY)"),
        default=Decimal("0"),
        **_money,  # type: ignore[arg-type]
    )
    verified_savings = models.DecimalField(
        _("verified annual savings (CNY)"),
        null=True,
        blank=True,
        editable=False,
        **_money,  # type: ignore[arg-type]
    )
    verified_by = models.ForeignKey(
        "accounts.User",
        verbose_name=pgettext_lazy("savings", "verified by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    verified_at = models.DateTimeField(pgettext_lazy("savings", "verified"), null=True, blank=True, editable=False)
    verification_note = models.TextField(_("verification note"), blank=True, editable=False)
    created_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    scope_policy: ClassVar[ScopePolicy] = ThroughEnterprise("enterprise")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-started_on", "-pk"]
        verbose_name = _("improvement project")
        verbose_name_plural = _("improvement projects")

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.completed_on and self.started_on and self.completed_on < self.started_on:
            raise ValidationError({"completed_on": _("A project cannot be completed before it started.")})
        if self.status == ProjectStatus.COMPLETED and not self.completed_on:
            raise ValidationError({"completed_on": _("Give the date the project was completed.")})

    def get_absolute_url(self) -> str:
        return reverse("suggestions:project-detail", kwargs={"pk": self.pk})

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None


class Measurement(ScopedModel):
    """A before / after measurement of a project (defect rate, minutes per piece, kWh per month, ...)."""

    project = models.ForeignKey(
        ImprovementProject, verbose_name=_("project"), on_delete=models.CASCADE, related_name="measurements"
    )
    name = models.CharField(_("what was measured"), max_length=120)
    unit = models.CharField(_("unit"), max_length=30, blank=True)
    before = models.DecimalField(pgettext_lazy("improvement", "before"), max_digits=14, decimal_places=3)
    after = models.DecimalField(
        pgettext_lazy("improvement", "after"), max_digits=14, decimal_places=3, null=True, blank=True
    )

    scope_policy: ClassVar[ScopePolicy] = ThroughEnterprise("project__enterprise")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        verbose_name = _("measurement")
        verbose_name_plural = _("measurements")

    def __str__(self) -> str:
        return self.name

    @property
    def change(self) -> Decimal | None:
        if self.after is None or not self.before:
            return None
        return (self.after - self.before) / self.before


# --- Photos --------------------------------------------------------------------------------------------


class PhotoKind(models.TextChoices):
    PROBLEM = "problem", _("the problem")
    EVIDENCE = "evidence", _("evidence of implementation")
    BEFORE = "before", pgettext_lazy("improvement", "before")
    AFTER = "after", pgettext_lazy("improvement", "after")


def photo_path(instance: Photo, filename: str) -> str:
    # A random name: nothing about the worker, the enterprise's name or the original file survives.
    return f"suggestions/{instance.enterprise_id}/{uuid.uuid4().hex}.jpg"


class Photo(ScopedModel):
    """A photo of a suggestion or a project, re-encoded without metadata and served only through a scoped view."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="+"
    )
    suggestion = models.ForeignKey(
        Suggestion, verbose_name=_("suggestion"), null=True, blank=True, on_delete=models.CASCADE, related_name="photos"
    )
    project = models.ForeignKey(
        ImprovementProject,
        verbose_name=_("project"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="photos",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=PhotoKind.choices)
    image = models.ImageField(_("photo"), upload_to=photo_path)
    width = models.PositiveIntegerField(default=0, editable=False)
    height = models.PositiveIntegerField(default=0, editable=False)
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    uploaded_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    scope_policy: ClassVar[ScopePolicy] = ThroughEnterprise("enterprise")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        constraints = [
            models.CheckConstraint(
                condition=Q(suggestion__isnull=False, project__isnull=True)
                | Q(suggestion__isnull=True, project__isnull=False),
                name="photo_belongs_to_one_record",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("suggestions:photo", kwargs={"pk": self.pk})


# --- The good-practice library -------------------------------------------------------------------------


class CaseStudyStatus(models.TextChoices):
    PROPOSED = "proposed", _("proposed")
    APPROVED = "approved", _("approved")
    RETURNED = "returned", _("returned for changes")


class CaseStudyPolicy(ScopePolicy):
    """Who sees a case study.

    * Reading an **approved** case study: everyone in the programme, that is every signed-in user who holds
      an internal role anywhere (programme office, bureaus, trainers, enterprise staff); buyers and people
      without a membership do not.  Approved cases carry no personal data of workers.
    * Reading a case study that is not approved yet, and editing it: the enterprise's own people and those
      who reach the enterprise, as for its other records.
    * Approving (``manage``): the programme office only (programme admins).
    """

    def __init__(self) -> None:
        self.through_enterprise = ThroughEnterprise("enterprise")
        self.programme_office = ThroughEnterprise("enterprise", roles={Role.PROGRAMME_ADMIN})

    def condition(self, scope: Scope, action: str) -> PolicyResult:
        if action == Action.MANAGE:
            return self.programme_office.condition(scope, action)
        own = self.through_enterprise.condition(scope, action)
        if action != Action.VIEW:
            return own
        in_programme = any(g.role in INTERNAL_ROLES for g in scope.grants)
        if not in_programme:
            return own
        approved = Q(status=CaseStudyStatus.APPROVED)
        if own is None:
            return approved
        if isinstance(own, Q):
            return approved | own
        return own


class CaseStudyQuerySet(ScopedQuerySet["CaseStudy"]):
    def approved(self) -> CaseStudyQuerySet:
        return self.filter(status=CaseStudyStatus.APPROVED)


def case_photo_path(instance: CaseStudy, filename: str) -> str:
    return f"suggestions/cases/{uuid.uuid4().hex}.jpg"


class CaseStudy(ScopedModel):
    """A completed project written up for others to learn from.  No names of workers: only what was done."""

    project = models.ForeignKey(
        ImprovementProject, verbose_name=_("project"), on_delete=models.CASCADE, related_name="case_studies"
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="+"
    )
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    summary_zh = models.TextField(_("summary (Chinese)"))
    summary_en = models.TextField(_("summary (English)"), blank=True)
    before_text = models.TextField(
        pgettext_lazy("improvement", "before"), help_text=_("The situation before the improvement.")
    )
    after_text = models.TextField(
        pgettext_lazy("improvement", "after"), help_text=_("The situation after the improvement.")
    )
    before_image = models.ImageField(_("photo before"), upload_to=case_photo_path, blank=True)
    after_image = models.ImageField(_("photo after"), upload_to=case_photo_path, blank=True)
    annual_savings = models.DecimalField(
        _("annual savings (CNY)"),
        default=Decimal("0"),
        **_money,  # type: ignore[arg-type]
    )
    savings_verified = models.BooleanField(_("savings verified by a trainer"), default=False)
    module = models.CharField(_("SCORE module"), max_length=10, blank=True, choices=MODULE_CHOICES)
    show_enterprise_name = models.BooleanField(
        _("name the enterprise"),
        default=False,
        help_text=_("Otherwise readers see only the industry and the district."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=CaseStudyStatus.choices, default=CaseStudyStatus.PROPOSED
    )
    review_note = models.TextField(_("note from the programme office"), blank=True)
    proposed_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("proposed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    proposed_at = models.DateTimeField(_("proposed"), default=timezone.now)
    approved_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)

    scope_policy: ClassVar[ScopePolicy] = CaseStudyPolicy()
    objects = CaseStudyQuerySet.as_manager()

    class Meta:
        ordering = ["-approved_at", "-proposed_at"]
        verbose_name = _("case study")
        verbose_name_plural = _("case studies")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("suggestions:case-detail", kwargs={"pk": self.pk})

    @property
    def title(self) -> str:
        return pick(self.title_zh, self.title_en)

    @property
    def summary(self) -> str:
        return pick(self.summary_zh, self.summary_en)
