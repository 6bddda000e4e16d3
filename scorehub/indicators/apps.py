from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.http import HttpRequest

    from scorehub.core.registry import AttentionItem


class IndicatorsConfig(AppConfig):
    name = "scorehub.indicators"
    label = "indicators"
    verbose_name = _("Indicators and reports")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from scorehub.core.registry import NavItem, Tab, registry

        from . import models

        for model in (models.Kpi, models.Practice, models.KpiRecord, models.KpiValue, models.Assessment):
            auditlog.register(model)
        auditlog.register(models.PracticeAnswer)

        registry.add_nav(NavItem(_("Dashboards"), "indicators:dashboard", icon="bar-chart-line", order=60))
        registry.add_nav(NavItem(_("Reports"), "indicators:reports", icon="file-earmark-bar-graph", order=65))
        registry.add_tab(
            "enterprises.enterprise", Tab(_("KPIs"), "indicators:enterprise-kpis", action="history", order=40)
        )
        registry.add_attention(missing_kpi_records)


def missing_kpi_records(request: HttpRequest) -> list[AttentionItem]:
    """Enterprises that report KPIs (a record in the last year) but have none for last month."""
    import datetime as dt

    from django.urls import reverse
    from django.utils import timezone

    from scorehub.core.registry import AttentionItem

    from .services import can_record_anywhere, recordable_enterprises

    if not can_record_anywhere(request.user):
        return []
    this_month = timezone.localdate().replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    year_ago = this_month.replace(year=this_month.year - 1)
    count = (
        recordable_enterprises(request.user)
        .filter(archived_at__isnull=True, kpi_records__month__gte=year_ago)
        .exclude(kpi_records__month=last_month)
        .distinct()
        .count()
    )
    label = _("Enterprises without a KPI record for %(month)s") % {"month": f"{last_month:%Y-%m}"}
    return [AttentionItem(label, count, reverse("indicators:kpi-record-list"))]
