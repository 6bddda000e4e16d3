from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import (
    Certificate,
    ClassroomSession,
    Cohort,
    Enrolment,
    ImprovementTeam,
    Module,
    PlanItem,
    Programme,
    ProviderAccreditation,
    TrainerProfile,
    Visit,
)
from .selectors import rate

TABLE_ATTRS = {"class": "table table-sm table-hover align-middle"}


def percent(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)}%"


class ModuleTable(tables.Table):
    code = tables.Column(verbose_name=_("Code"), linkify=True, attrs={"td": {"class": "fw-semibold"}})
    name_zh = tables.Column(verbose_name=_("Name"), order_by=("name_zh",))
    version = tables.Column(verbose_name=_("Version"))
    classroom_days = tables.Column(verbose_name=_("Classroom days"), attrs={"td": {"class": "text-end"}})
    default_followup_visits = tables.Column(verbose_name=_("Follow-up visits"), attrs={"td": {"class": "text-end"}})
    is_active = tables.BooleanColumn(verbose_name=_("Offered"))

    class Meta:
        model = Module
        fields = ("code", "name_zh", "version", "classroom_days", "default_followup_visits", "is_active")
        attrs = {**TABLE_ATTRS, "data-testid": "module-table"}

    def render_name_zh(self, record: Module) -> str:
        return record.name

    def value_name_zh(self, record: Module) -> str:
        return f"{record.name_zh} / {record.name_en}"


class ProgrammeTable(tables.Table):
    name_zh = tables.Column(verbose_name=_("Programme"), linkify=True, attrs={"td": {"class": "fw-semibold"}})
    region = tables.Column(verbose_name=_("Region"), accessor="region__name_zh", order_by=("region_id",))
    starts_on = tables.DateColumn(verbose_name=_("Start"), format="Y-m-d")
    ends_on = tables.DateColumn(verbose_name=_("End"), format="Y-m-d")
    enrolled = tables.Column(verbose_name=_("Enrolled"), attrs={"td": {"class": "text-end"}})

    class Meta:
        model = Programme
        fields = ("name_zh", "region", "starts_on", "ends_on", "enrolled")
        attrs = {**TABLE_ATTRS, "data-testid": "programme-table"}

    def render_name_zh(self, record: Programme) -> str:
        return record.name

    def render_region(self, record: Programme) -> str:
        return record.region.name


class EnrolmentTable(tables.Table):
    enterprise = tables.Column(
        verbose_name=_("Enterprise"),
        accessor="enterprise__name_zh",
        linkify=lambda record: reverse("training:enterprise-training", kwargs={"pk": record.enterprise_id}),
    )
    programme = tables.Column(
        verbose_name=_("Programme"),
        accessor="programme__name_zh",
        linkify=lambda record: record.programme.get_absolute_url(),
    )
    region = tables.Column(
        verbose_name=_("Region"), accessor="enterprise__region__name_zh", order_by=("enterprise__region_id",)
    )
    enrolled_on = tables.DateColumn(verbose_name=_("Enrolled on"), format="Y-m-d")
    status = tables.Column(verbose_name=_("Status"), linkify=lambda record: record.get_absolute_url())
    dropped_reason = tables.Column(verbose_name=_("Reason for dropping out"))

    class Meta:
        model = Enrolment
        fields = ("enterprise", "programme", "region", "enrolled_on", "status", "dropped_reason")
        attrs = {**TABLE_ATTRS, "data-testid": "enrolment-table"}

    def render_enterprise(self, record: Enrolment) -> str:
        return record.enterprise.name

    def render_programme(self, record: Enrolment) -> str:
        return record.programme.name

    def render_region(self, record: Enrolment) -> str:
        return record.enterprise.region.name

    def value_enterprise(self, record: Enrolment) -> str:
        return f"{record.enterprise.name_zh} ({record.enterprise.credit_code})"


class CohortTable(tables.Table):
    name = tables.Column(verbose_name=_("Cohort"), linkify=True, attrs={"td": {"class": "fw-semibold"}})
    programme = tables.Column(verbose_name=_("Programme"), accessor="programme__name_zh")
    module = tables.Column(verbose_name=_("Module"), accessor="module__code")
    provider = tables.Column(verbose_name=_("Training provider"), accessor="provider__name_zh")
    lead_trainer = tables.Column(verbose_name=_("Lead trainer"), accessor="lead_trainer__display_name")
    enterprise_count = tables.Column(verbose_name=_("Enterprises"), attrs={"td": {"class": "text-end"}})
    created_at = tables.DateTimeColumn(verbose_name=_("Created"), format="Y-m-d")

    class Meta:
        model = Cohort
        fields = ("name", "programme", "module", "provider", "lead_trainer", "enterprise_count", "created_at")
        attrs = {**TABLE_ATTRS, "data-testid": "cohort-table"}

    def render_programme(self, record: Cohort) -> str:
        return record.programme.name

    def render_module(self, record: Cohort) -> str:
        return str(record.module)

    def render_provider(self, record: Cohort) -> str:
        return record.provider.name

    def render_lead_trainer(self, record: Cohort) -> str:
        return str(record.lead_trainer)


class SessionTable(tables.Table):
    title = tables.Column(verbose_name=_("Session"), linkify=True, attrs={"td": {"class": "fw-semibold"}})
    cohort = tables.Column(verbose_name=_("Cohort"), accessor="cohort__name")
    module = tables.Column(verbose_name=_("Module"), accessor="cohort__module__code")
    starts_on = tables.DateColumn(verbose_name=_("First day"), format="Y-m-d")
    ends_on = tables.DateColumn(verbose_name=_("Last day"), format="Y-m-d")
    venue = tables.Column(verbose_name=_("Venue"))
    participant_count = tables.Column(verbose_name=_("Participants"), attrs={"td": {"class": "text-end"}})
    satisfaction = tables.Column(
        verbose_name=_("Satisfied"), accessor="satisfied_count", orderable=False, attrs={"td": {"class": "text-end"}}
    )

    class Meta:
        model = ClassroomSession
        fields = ("title", "cohort", "module", "starts_on", "ends_on", "venue", "participant_count", "satisfaction")
        attrs = {**TABLE_ATTRS, "data-testid": "session-table"}
        order_by = ("-starts_on",)

    def render_satisfaction(self, record: Any) -> str:
        return percent(rate(record.satisfied_count, record.response_count))

    def value_satisfaction(self, record: Any) -> str:
        return self.render_satisfaction(record)


class VisitTable(tables.Table):
    enterprise = tables.Column(
        verbose_name=_("Enterprise"), accessor="enterprise__name_zh", linkify=lambda record: record.get_absolute_url()
    )
    module = tables.Column(verbose_name=_("Module"), accessor="participation__cohort__module__code")
    kind = tables.Column(verbose_name=_("Kind"))
    planned_on = tables.DateColumn(verbose_name=_("Planned for"), format="Y-m-d")
    done_on = tables.DateColumn(verbose_name=_("Done on"), format="Y-m-d")
    status = tables.Column(verbose_name=_("Status"))
    inspector = tables.Column(verbose_name=_("Inspector"), accessor="inspector__display_name")

    class Meta:
        model = Visit
        fields = ("enterprise", "module", "kind", "planned_on", "done_on", "status", "inspector")
        attrs = {**TABLE_ATTRS, "data-testid": "visit-table"}
        order_by = ("planned_on",)

    def render_enterprise(self, record: Visit) -> str:
        return record.enterprise.name

    def render_status(self, record: Visit) -> Any:
        if record.is_overdue():
            return format_html('<span class="badge text-bg-danger">{}</span>', _("overdue"))
        css = {"done": "success", "planned": "secondary", "cancelled": "light"}[record.status]
        return format_html('<span class="badge text-bg-{}">{}</span>', css, record.get_status_display())

    def value_status(self, record: Visit) -> str:
        return str(_("overdue")) if record.is_overdue() else str(record.get_status_display())

    def render_inspector(self, record: Visit) -> str:
        return str(record.inspector) if record.inspector else "—"


class CertificateTable(tables.Table):
    enterprise = tables.Column(
        verbose_name=_("Enterprise"), accessor="enterprise__name_zh", linkify=lambda record: record.get_absolute_url()
    )
    module = tables.Column(verbose_name=_("Module"), accessor="module__code")
    programme = tables.Column(verbose_name=_("Programme"), accessor="programme__name_zh")
    issued_on = tables.DateColumn(verbose_name=_("Issued on"), format="Y-m-d")
    verification_code = tables.Column(verbose_name=_("Verification code"), attrs={"td": {"class": "font-monospace"}})
    revoked_on = tables.DateColumn(verbose_name=_("Revoked on"), format="Y-m-d")

    class Meta:
        model = Certificate
        fields = ("enterprise", "module", "programme", "issued_on", "verification_code", "revoked_on")
        attrs = {**TABLE_ATTRS, "data-testid": "certificate-table"}

    def render_enterprise(self, record: Certificate) -> str:
        return record.enterprise.name

    def render_module(self, record: Certificate) -> str:
        return str(record.module)

    def render_programme(self, record: Certificate) -> str:
        return record.programme.name


class TeamTable(tables.Table):
    enterprise = tables.Column(
        verbose_name=_("Enterprise"), accessor="enterprise__name_zh", linkify=lambda record: record.get_absolute_url()
    )
    region = tables.Column(
        verbose_name=_("Region"), accessor="enterprise__region__name_zh", order_by=("enterprise__region_id",)
    )
    formed_on = tables.DateColumn(verbose_name=_("Formed on"), format="Y-m-d")
    members = tables.Column(verbose_name=_("Members"), accessor="member_count", attrs={"td": {"class": "text-end"}})
    workers = tables.Column(
        verbose_name=pgettext_lazy("staff", "Workers"), accessor="worker_count", attrs={"td": {"class": "text-end"}}
    )
    women = tables.Column(verbose_name=_("Women"), accessor="women_count", attrs={"td": {"class": "text-end"}})
    meetings = tables.Column(verbose_name=_("Meetings"), accessor="meeting_count", attrs={"td": {"class": "text-end"}})
    last_meeting = tables.DateColumn(verbose_name=_("Last meeting"), format="Y-m-d")

    class Meta:
        model = ImprovementTeam
        fields = ("enterprise", "region", "formed_on", "members", "workers", "women", "meetings", "last_meeting")
        attrs = {**TABLE_ATTRS, "data-testid": "team-table"}

    def render_enterprise(self, record: ImprovementTeam) -> str:
        return record.enterprise.name

    def render_workers(self, value: int) -> Any:
        return value if value else format_html('<span class="badge text-bg-warning">{}</span>', _("none"))

    def render_women(self, value: int) -> Any:
        return value if value else format_html('<span class="badge text-bg-warning">{}</span>', _("none"))


class PlanItemTable(tables.Table):
    objective = tables.Column(verbose_name=_("Objective"), linkify=True)
    enterprise = tables.Column(verbose_name=_("Enterprise"), accessor="enterprise__name_zh")
    owner = tables.Column(verbose_name=_("Owner"))
    due_on = tables.DateColumn(verbose_name=_("Due"), format="Y-m-d")
    status = tables.Column(verbose_name=_("Status"))
    link = tables.Column(verbose_name=_("Linked to"), accessor="link_type", orderable=False)

    class Meta:
        model = PlanItem
        fields = ("objective", "enterprise", "owner", "due_on", "status", "link")
        attrs = {**TABLE_ATTRS, "data-testid": "plan-item-table"}

    def render_enterprise(self, record: PlanItem) -> str:
        return record.enterprise.name

    def render_link(self, record: PlanItem) -> str:
        if not record.link_type_id:
            return "—"
        model = record.link_type.model_class()  # type: ignore[union-attr]
        label = model._meta.verbose_name if model else record.link_type.model  # type: ignore[union-attr]
        return f"{label} #{record.link_id}"


class TrainerTable(tables.Table):
    user = tables.Column(
        verbose_name=_("Trainer"), linkify=lambda record: record.get_absolute_url(), order_by=("user__display_name",)
    )
    provider = tables.Column(verbose_name=_("Training provider"), accessor="provider__name_zh")
    certified = tables.Column(verbose_name=_("Modules"), accessor="pk", orderable=False)
    session_count = tables.Column(
        verbose_name=pgettext_lazy("classroom", "Sessions"), attrs={"td": {"class": "text-end"}}
    )
    visit_count = tables.Column(verbose_name=_("Visits done"), attrs={"td": {"class": "text-end"}})
    enterprise_count = tables.Column(verbose_name=_("Enterprises"), attrs={"td": {"class": "text-end"}})
    satisfaction = tables.Column(
        verbose_name=_("Satisfied"), accessor="satisfied_count", attrs={"td": {"class": "text-end"}}
    )

    class Meta:
        model = TrainerProfile
        fields = ("user", "provider", "certified", "session_count", "visit_count", "enterprise_count", "satisfaction")
        attrs = {**TABLE_ATTRS, "data-testid": "trainer-table"}

    def render_provider(self, record: TrainerProfile) -> str:
        return record.provider.name

    def render_certified(self, record: TrainerProfile) -> str:
        return " · ".join(f"{c.module.code} {c.get_status_display()}" for c in record.certifications.all()) or "—"

    def render_satisfaction(self, record: Any) -> str:
        return percent(rate(record.satisfied_count, record.response_count))

    def value_satisfaction(self, record: Any) -> str:
        return self.render_satisfaction(record)


class AccreditationTable(tables.Table):
    provider = tables.Column(verbose_name=_("Training provider"), accessor="provider__name_zh")
    module = tables.Column(verbose_name=_("Module"), accessor="module__code")
    status = tables.Column(verbose_name=_("Status"))
    since = tables.DateColumn(verbose_name=_("Since"), format="Y-m-d")
    recommended_by = tables.Column(verbose_name=_("Recommended by"))
    approved_by = tables.Column(verbose_name=_("Approved by"))
    actions = tables.TemplateColumn(
        template_name="training/_accreditation_actions.html",
        verbose_name=_("Actions"),
        orderable=False,
        exclude_from_export=True,
    )

    class Meta:
        model = ProviderAccreditation
        fields = ("provider", "module", "status", "since", "recommended_by", "approved_by", "actions")
        attrs = {**TABLE_ATTRS, "data-testid": "accreditation-table"}

    def __init__(self, *args: Any, is_admin: bool = False, expert_codes: set[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.is_admin = is_admin
        self.expert_codes = expert_codes or set()

    def render_provider(self, record: ProviderAccreditation) -> str:
        return record.provider.name

    def render_module(self, record: ProviderAccreditation) -> str:
        return str(record.module)
