from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import CaseStudy, ImprovementProject, Suggestion


class SuggestionTable(tables.Table):
    tracking_code = tables.Column(
        verbose_name=pgettext_lazy("tracking code", "Code"),
        linkify=True,
        attrs={"td": {"class": "font-monospace small text-nowrap"}},
    )
    problem = tables.Column(verbose_name=_("Problem"), orderable=False)
    enterprise = tables.Column(
        verbose_name=_("Enterprise"), accessor="enterprise__name_zh", order_by=("enterprise__name_zh",)
    )
    workshop = tables.Column(verbose_name=_("Workshop"))
    category = tables.Column(verbose_name=_("Category"))
    status = tables.Column(verbose_name=_("Status"))
    submitted_at = tables.DateTimeColumn(verbose_name=_("Submitted"), format="Y-m-d")
    owner_name = tables.Column(verbose_name=_("Owner"))
    due_date = tables.DateColumn(verbose_name=_("Due"), format="Y-m-d")

    class Meta:
        model = Suggestion
        fields = (
            "tracking_code",
            "problem",
            "enterprise",
            "workshop",
            "category",
            "status",
            "submitted_at",
            "owner_name",
            "due_date",
        )
        attrs = {"class": "table table-sm table-hover align-middle", "data-testid": "suggestion-table"}
        order_by = ("-submitted_at",)

    def render_tracking_code(self, record: Suggestion) -> str:
        return record.display_code

    def render_problem(self, record: Suggestion) -> str:
        return record.title

    def render_enterprise(self, record: Suggestion) -> str:
        return record.enterprise.name

    def render_status(self, record: Suggestion) -> Any:
        if record.is_overdue:
            return format_html(
                '{} <span class="badge text-bg-danger">{}</span>', record.get_status_display(), _("overdue")
            )
        return record.get_status_display()

    def value_status(self, record: Suggestion) -> str:
        return record.status

    def value_problem(self, record: Suggestion) -> str:
        return record.problem

    def value_tracking_code(self, record: Suggestion) -> str:
        return record.tracking_code


class ProjectTable(tables.Table):
    title = tables.Column(verbose_name=_("Title"), linkify=True, attrs={"td": {"class": "fw-semibold"}})
    enterprise = tables.Column(
        verbose_name=_("Enterprise"), accessor="enterprise__name_zh", order_by=("enterprise__name_zh",)
    )
    module = tables.Column(verbose_name=_("Module"))
    status = tables.Column(verbose_name=_("Status"))
    started_on = tables.DateColumn(verbose_name=_("Started"), format="Y-m-d")
    cost = tables.Column(verbose_name=_("Cost (CNY)"), attrs={"td": {"class": "text-end"}})
    expected_savings = tables.Column(verbose_name=_("Expected savings (CNY)"), attrs={"td": {"class": "text-end"}})
    verified_savings = tables.Column(verbose_name=_("Verified savings (CNY)"), attrs={"td": {"class": "text-end"}})

    class Meta:
        model = ImprovementProject
        fields = (
            "title",
            "enterprise",
            "module",
            "status",
            "started_on",
            "cost",
            "expected_savings",
            "verified_savings",
        )
        attrs = {"class": "table table-sm table-hover align-middle", "data-testid": "project-table"}
        order_by = ("-started_on",)

    def render_enterprise(self, record: ImprovementProject) -> str:
        return record.enterprise.name


class CaseStudyTable(tables.Table):
    title_zh = tables.Column(verbose_name=_("Title"), linkify=True, attrs={"td": {"class": "fw-semibold"}})
    module = tables.Column(verbose_name=_("Module"))
    annual_savings = tables.Column(verbose_name=_("Annual savings (CNY)"), attrs={"td": {"class": "text-end"}})
    status = tables.Column(verbose_name=_("Status"))
    approved_at = tables.DateTimeColumn(verbose_name=_("Approved"), format="Y-m-d")

    class Meta:
        model = CaseStudy
        fields = ("title_zh", "module", "annual_savings", "status", "approved_at")
        attrs = {"class": "table table-sm table-hover align-middle", "data-testid": "case-table"}

    def render_title_zh(self, record: CaseStudy) -> str:
        return record.title

    def value_title_zh(self, record: CaseStudy) -> str:
        return record.title
