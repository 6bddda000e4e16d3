from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .catalogue import module_name
from .models import Assessment, Kpi, KpiRecord, Practice, ReportJob


class KpiRecordTable(tables.Table):
    enterprise = tables.Column(verbose_name=_("Enterprise"), accessor="enterprise__name_zh")
    region = tables.Column(
        verbose_name=_("Region"), accessor="enterprise__region__name_zh", order_by=("enterprise__region_id",)
    )
    month = tables.DateColumn(verbose_name=_("Month"), format="Y-m")
    value_count = tables.Column(verbose_name=_("KPIs recorded"), attrs={"td": {"class": "text-end"}}, orderable=True)
    recorded_by = tables.Column(verbose_name=_("Recorded by"))
    updated_at = tables.DateTimeColumn(verbose_name=_("Updated"), format="Y-m-d")

    class Meta:
        model = KpiRecord
        fields = ("enterprise", "region", "month", "value_count", "recorded_by", "updated_at")
        attrs = {"class": "table table-sm table-hover align-middle", "data-testid": "kpi-record-table"}
        order_by = ("-month",)

    def render_enterprise(self, record: KpiRecord) -> Any:
        url = reverse("indicators:enterprise-kpis", kwargs={"pk": record.enterprise_id})
        return format_html('<a href="{}">{}</a>', url, record.enterprise.name)

    def render_region(self, record: KpiRecord) -> str:
        return record.enterprise.region.name

    def value_enterprise(self, record: KpiRecord) -> str:
        return record.enterprise.name_zh


class AssessmentTable(tables.Table):
    enterprise = tables.Column(verbose_name=_("Enterprise"), accessor="enterprise__name_zh")
    module = tables.Column(verbose_name=_("Module"))
    stage = tables.Column(verbose_name=_("Stage"))
    assessed_on = tables.DateColumn(verbose_name=_("Assessed on"), format="Y-m-d")
    kpi_period = tables.Column(verbose_name=_("KPI period"), empty_values=(), orderable=False)
    practices_in_place = tables.Column(verbose_name=_("Practices in place"), attrs={"td": {"class": "text-end"}})

    class Meta:
        model = Assessment
        fields = ("enterprise", "module", "stage", "assessed_on", "kpi_period", "practices_in_place")
        attrs = {"class": "table table-sm table-hover align-middle", "data-testid": "assessment-table"}
        order_by = ("-assessed_on",)

    def render_enterprise(self, record: Assessment) -> Any:
        url = reverse("indicators:enterprise-kpis", kwargs={"pk": record.enterprise_id})
        return format_html('<a href="{}">{}</a>', url, record.enterprise.name)

    def render_module(self, record: Assessment) -> str:
        return module_name(record.module)

    def render_kpi_period(self, record: Assessment) -> str:
        return f"{record.kpi_from:%Y-%m} – {record.kpi_to:%Y-%m}"

    def render_practices_in_place(self, record: Any) -> str:
        return f"{record.practices_in_place} / {record.practices_answered}"


class KpiTable(tables.Table):
    code = tables.Column(verbose_name=_("Code"), attrs={"td": {"class": "font-monospace small"}})
    name_zh = tables.Column(verbose_name=_("Name"))
    unit = tables.Column(verbose_name=_("Unit"), accessor="unit_zh")
    better = tables.Column(verbose_name=_("Better when"))
    is_standard = tables.BooleanColumn(verbose_name=_("Standard"))
    is_active = tables.BooleanColumn(verbose_name=_("Active"))
    edit = tables.Column(verbose_name="", empty_values=(), orderable=False)

    class Meta:
        model = Kpi
        fields = ("code", "name_zh", "unit", "better", "is_standard", "is_active")
        attrs = {"class": "table table-sm align-middle", "data-testid": "kpi-table"}

    def __init__(self, *args: Any, can_change: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.can_change = can_change

    def render_name_zh(self, record: Kpi) -> str:
        return record.name

    def render_unit(self, record: Kpi) -> str:
        return record.unit

    def render_edit(self, record: Kpi) -> Any:
        if not getattr(self, "can_change", False):
            return ""
        return format_html('<a href="{}">{}</a>', reverse("indicators:kpi-edit", kwargs={"pk": record.pk}), _("Edit"))


class PracticeTable(tables.Table):
    code = tables.Column(verbose_name=_("Code"), attrs={"td": {"class": "font-monospace small"}})
    module = tables.Column(verbose_name=_("Module"))
    text_zh = tables.Column(verbose_name=_("Good practice"))
    is_standard = tables.BooleanColumn(verbose_name=_("Standard"))
    is_active = tables.BooleanColumn(verbose_name=_("Active"))
    edit = tables.Column(verbose_name="", empty_values=(), orderable=False)

    class Meta:
        model = Practice
        fields = ("code", "module", "text_zh", "is_standard", "is_active")
        attrs = {"class": "table table-sm align-middle", "data-testid": "practice-table"}

    def __init__(self, *args: Any, can_change: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.can_change = can_change

    def render_module(self, record: Practice) -> str:
        return module_name(record.module)

    def render_text_zh(self, record: Practice) -> str:
        return record.text

    def render_edit(self, record: Practice) -> Any:
        if not getattr(self, "can_change", False):
            return ""
        url = reverse("indicators:practice-edit", kwargs={"pk": record.pk})
        return format_html('<a href="{}">{}</a>', url, _("Edit"))


class ReportJobTable(tables.Table):
    scope_label = tables.Column(verbose_name=_("Scope"), linkify=True)
    period = tables.Column(verbose_name=_("Period"))
    format = tables.Column(verbose_name=_("Format"))
    status = tables.Column(verbose_name=_("Status"))
    created_at = tables.DateTimeColumn(verbose_name=_("Requested"), format="Y-m-d H:i")

    class Meta:
        model = ReportJob
        fields = ("scope_label", "period", "format", "status", "created_at")
        attrs = {"class": "table table-sm table-hover align-middle", "data-testid": "report-table"}
        order_by = ("-created_at",)
