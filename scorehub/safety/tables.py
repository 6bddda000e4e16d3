from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import (
    OPEN_STATUSES,
    Accident,
    BureauNotification,
    ChecklistTemplate,
    Hazard,
    HazardClass,
    HazardStatus,
    PlannedInspection,
    RiskPoint,
    SafetyCheck,
)

TABLE_CLASS = "table table-sm table-hover align-middle"

STATUS_BADGES: dict[str, str] = {
    HazardStatus.FOUND: "secondary",
    HazardStatus.ASSIGNED: "warning",
    HazardStatus.RECTIFIED: "info",
    HazardStatus.VERIFIED: "success",
    HazardStatus.CLOSED: "dark",
}


def hazard_is_overdue(record: Hazard) -> bool:
    return record.status in OPEN_STATUSES and record.deadline is not None and record.deadline < timezone.localdate()


def class_badge(hazard_class: str, label: str) -> Any:
    css = "danger" if hazard_class == HazardClass.MAJOR else "secondary"
    return format_html('<span class="badge text-bg-{}">{}</span>', css, label)


def status_badge(record: Hazard) -> Any:
    html = format_html(
        '<span class="badge text-bg-{}">{}</span>',
        STATUS_BADGES.get(record.status, "secondary"),
        record.get_status_display(),
    )
    if hazard_is_overdue(record):
        html = format_html('{} <span class="badge text-bg-danger">{}</span>', html, _("overdue"))
    return html


def level_badge(level: str, label: str) -> Any:
    return format_html('<span class="badge risk-{}">{}</span>', level, label)


class EnterpriseColumn(tables.Column):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("verbose_name", _("Enterprise"))
        kwargs.setdefault("accessor", "enterprise__name_zh")
        kwargs.setdefault("order_by", ("enterprise__name_zh",))
        super().__init__(**kwargs)

    def render(self, record: Any) -> str:  # type: ignore[override]
        return record.enterprise.name


class ChecklistTemplateTable(tables.Table):
    code = tables.Column(verbose_name=_("Code"), linkify=True)
    name_zh = tables.Column(verbose_name=_("Name"), linkify=True)
    industries = tables.Column(verbose_name=_("Industries"), orderable=False)
    item_count = tables.Column(verbose_name=_("Items"), orderable=False, attrs={"td": {"class": "text-end"}})
    version_number = tables.Column(verbose_name=_("Version"), orderable=False)
    is_active = tables.BooleanColumn(verbose_name=_("Active"))

    class Meta:
        model = ChecklistTemplate
        fields = ("code", "name_zh", "industries", "item_count", "version_number", "is_active")
        attrs = {"class": TABLE_CLASS, "data-testid": "checklist-table"}

    def render_name_zh(self, record: ChecklistTemplate) -> str:
        return record.name

    def render_industries(self, value: list[str]) -> str:
        return ", ".join(value) if value else str(_("all"))


class SafetyCheckTable(tables.Table):
    checked_on = tables.DateColumn(verbose_name=_("Date"), format="Y-m-d", linkify=True)
    enterprise = EnterpriseColumn()
    kind = tables.Column(verbose_name=_("Kind"))
    place = tables.Column(verbose_name=_("Workshop / area"))
    inspector = tables.Column(verbose_name=_("Checked by"), order_by=("inspector__username",))
    failed = tables.Column(verbose_name=_("Failed items"), orderable=True, attrs={"td": {"class": "text-end"}})
    answered = tables.Column(verbose_name=_("Items checked"), orderable=True, attrs={"td": {"class": "text-end"}})

    class Meta:
        model = SafetyCheck
        fields = ("checked_on", "enterprise", "kind", "place", "inspector", "answered", "failed")
        attrs = {"class": TABLE_CLASS, "data-testid": "check-table"}
        order_by = ("-checked_on",)

    def value_enterprise(self, record: SafetyCheck) -> str:
        return record.enterprise.name_zh


class HazardTable(tables.Table):
    pk = tables.Column(verbose_name=_("No."), linkify=True)
    enterprise = EnterpriseColumn()
    description = tables.Column(verbose_name=_("Description"), linkify=True)
    hazard_class = tables.Column(verbose_name=_("Class"))
    status = tables.Column(verbose_name=_("Status"))
    found_on = tables.DateColumn(verbose_name=_("Found on"), format="Y-m-d")
    deadline = tables.DateColumn(verbose_name=_("Deadline"), format="Y-m-d")
    source_kind = tables.Column(verbose_name=_("Source"))
    place = tables.Column(verbose_name=_("Place"))

    class Meta:
        model = Hazard
        fields = ("pk", "enterprise", "description", "hazard_class", "status", "found_on", "deadline", "source_kind")
        attrs = {"class": TABLE_CLASS, "data-testid": "hazard-table"}
        row_attrs = {"class": lambda record: "table-danger overdue" if hazard_is_overdue(record) else ""}
        order_by = ("-found_on",)

    def render_pk(self, value: int) -> str:
        return f"#{value}"

    def render_description(self, value: str) -> str:
        return value if len(value) <= 60 else value[:58] + "…"

    def render_hazard_class(self, record: Hazard) -> Any:
        return class_badge(record.hazard_class, record.get_hazard_class_display())

    def render_status(self, record: Hazard) -> Any:
        return status_badge(record)

    def value_hazard_class(self, record: Hazard) -> str:
        return str(record.get_hazard_class_display())

    def value_status(self, record: Hazard) -> str:
        return str(record.get_status_display())

    def value_enterprise(self, record: Hazard) -> str:
        return record.enterprise.name_zh


class RiskPointTable(tables.Table):
    level = tables.Column(verbose_name=pgettext_lazy("risk", "Level"), order_by=("score",))
    name = tables.Column(verbose_name=_("Risk point"), linkify=True)
    enterprise = EnterpriseColumn()
    place = tables.Column(verbose_name=_("Place"))
    method = tables.Column(verbose_name=_("Method"))
    score = tables.Column(verbose_name=_("Risk value"), attrs={"td": {"class": "text-end"}})
    responsible_level = tables.Column(verbose_name=_("Responsible level"))

    class Meta:
        model = RiskPoint
        fields = ("level", "name", "enterprise", "place", "method", "score", "responsible_level")
        attrs = {"class": TABLE_CLASS, "data-testid": "risk-point-table"}
        order_by = ("-score",)

    def render_level(self, record: RiskPoint) -> Any:
        return level_badge(record.level, record.get_level_display())

    def value_level(self, record: RiskPoint) -> str:
        return str(record.get_level_display())

    def render_method(self, record: RiskPoint) -> str:
        return "LEC" if record.method == "lec" else str(_("matrix"))

    def value_enterprise(self, record: RiskPoint) -> str:
        return record.enterprise.name_zh


class AccidentTable(tables.Table):
    occurred_on = tables.DateColumn(verbose_name=_("Date"), format="Y-m-d", linkify=True)
    enterprise = EnterpriseColumn()
    accident_type = tables.Column(verbose_name=_("Type"))
    severity = tables.Column(verbose_name=_("Severity"))
    place = tables.Column(verbose_name=_("Place"))
    people_count = tables.Column(verbose_name=_("People affected"), attrs={"td": {"class": "text-end"}})
    days = tables.Column(verbose_name=_("Days lost"), attrs={"td": {"class": "text-end"}})

    class Meta:
        model = Accident
        fields = ("occurred_on", "enterprise", "accident_type", "severity", "place", "people_count", "days")
        attrs = {"class": TABLE_CLASS, "data-testid": "accident-table"}
        order_by = ("-occurred_on",)

    def value_enterprise(self, record: Accident) -> str:
        return record.enterprise.name_zh


class BureauNotificationTable(tables.Table):
    created_at = tables.DateTimeColumn(verbose_name=_("Reported"), format="Y-m-d H:i")
    bureau = tables.Column(verbose_name=_("Bureau"), order_by=("bureau__name_zh",))
    enterprise = tables.Column(verbose_name=_("Enterprise"), accessor="hazard__enterprise__name_zh")
    hazard = tables.Column(verbose_name=_("Hazard"), order_by=("hazard_id",))
    status = tables.Column(verbose_name=_("Status"), accessor="hazard__status")
    read_at = tables.TemplateColumn(template_name="safety/_report_ack.html", verbose_name=_("Acknowledged"))

    class Meta:
        model = BureauNotification
        fields = ("created_at", "bureau", "enterprise", "hazard", "status", "read_at")
        attrs = {"class": TABLE_CLASS, "data-testid": "report-table"}
        row_attrs = {"class": lambda record: "table-warning" if record.read_at is None else ""}

    def render_enterprise(self, record: BureauNotification) -> str:
        return record.hazard.enterprise.name

    def render_hazard(self, record: BureauNotification) -> Any:
        return format_html('<a href="{}">{}</a>', record.hazard.get_absolute_url(), str(record.hazard))

    def render_status(self, record: BureauNotification) -> Any:
        return status_badge(record.hazard)

    def value_read_at(self, record: BureauNotification) -> str:
        return record.read_at.strftime("%Y-%m-%d %H:%M") if record.read_at else ""


class PlannedInspectionTable(tables.Table):
    planned_for = tables.DateColumn(verbose_name=_("Planned for"), format="Y-m-d")
    enterprise = EnterpriseColumn()
    kind = tables.Column(verbose_name=_("Kind"))
    grade = tables.Column(verbose_name=_("Grade when planned"))
    score = tables.Column(verbose_name=_("Score"), attrs={"td": {"class": "text-end"}})
    status = tables.Column(verbose_name=_("Status"))
    actions = tables.TemplateColumn(
        template_name="safety/_planned_actions.html",
        verbose_name=_("Actions"),
        orderable=False,
        exclude_from_export=True,
    )

    class Meta:
        model = PlannedInspection
        fields = ("planned_for", "enterprise", "kind", "grade", "score", "status", "actions")
        attrs = {"class": TABLE_CLASS, "data-testid": "planned-table"}
