from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import Enterprise


class EnterpriseTable(tables.Table):
    name_zh = tables.Column(verbose_name=_("Name"), linkify=True, attrs={"td": {"class": "fw-semibold"}})
    credit_code = tables.Column(verbose_name=_("Credit code"), attrs={"td": {"class": "font-monospace small"}})
    region = tables.Column(verbose_name=_("Region"), accessor="region__name_zh", order_by=("region_id",))
    industry_division = tables.Column(verbose_name=_("Industry"))
    size_class = tables.Column(verbose_name=_("Size"))
    employees_total = tables.Column(verbose_name=_("Employees"), attrs={"td": {"class": "text-end"}})
    employees_women = tables.Column(verbose_name=_("Women"), attrs={"td": {"class": "text-end"}})
    status = tables.Column(verbose_name=_("Status"))
    updated_at = tables.DateTimeColumn(
        verbose_name=_("Updated"), format="Y-m-d", attrs={"td": {"class": "text-nowrap"}}
    )

    class Meta:
        model = Enterprise
        fields = (
            "name_zh",
            "credit_code",
            "region",
            "industry_division",
            "size_class",
            "employees_total",
            "employees_women",
            "status",
            "updated_at",
        )
        attrs = {"class": "table table-sm table-hover align-middle", "data-testid": "enterprise-table"}
        order_by = ("name_zh",)

    def render_name_zh(self, record: Enterprise) -> Any:
        if record.is_archived:
            return format_html('{} <span class="badge text-bg-secondary">{}</span>', record.name, _("archived"))
        return record.name

    def render_region(self, record: Enterprise) -> str:
        return record.region.name

    def render_industry_division(self, record: Enterprise) -> str:
        division = record.industry
        return f"{division.code} {division.name}" if division else record.industry_division

    def value_name_zh(self, record: Enterprise) -> str:
        return record.name_zh

    def value_region(self, record: Enterprise) -> str:
        return f"{record.region_id} {record.region.name}"


class BuyerEnterpriseTable(EnterpriseTable):
    """The enterprise list as a buyer sees it: the summary's columns (``buyer_summary``), in the page and in
    the CSV and Excel exports alike."""

    class Meta(EnterpriseTable.Meta):
        exclude = ("credit_code", "employees_total", "employees_women", "status", "updated_at")

    def render_name_zh(self, record: Enterprise) -> str:
        # No "archived" badge: the registry's state is not part of the summary.
        return record.name
