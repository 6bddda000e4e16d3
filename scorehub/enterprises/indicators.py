"""The registry's numbers for the indicator layer: enterprises, their workforce and the women in it.

Registry figures describe the registry as it is (enterprises not archived, their current workforce);
only "enterprises added" follows the period.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from scorehub.indicators.base import Grouping, IndicatorSpec, Number, Period, Rows, Sentence, Unit, month_key

from .models import Enterprise

TITLE = _("Enterprises and workforce")

INDICATORS = [
    IndicatorSpec("enterprises.count", _("Enterprises"), unit=Unit.COUNT, order=1, headline=True),
    IndicatorSpec("enterprises.added", _("Enterprises added to the registry"), unit=Unit.COUNT, order=2, trend=True),
    IndicatorSpec("enterprises.employees", _("Employees"), unit=Unit.COUNT, order=3, headline=True),
    IndicatorSpec("enterprises.women", _("Women employees"), unit=Unit.COUNT, order=4),
    IndicatorSpec(
        "enterprises.women_share", _("Share of women among employees"), unit=Unit.RATE, order=5, better="neutral"
    ),
]

SENTENCES = [
    Sentence(
        _(
            "The report covers %(enterprises.count)s enterprises with %(enterprises.employees)s employees, "
            "%(enterprises.women_share)s of them women."
        ),
        needs=("enterprises.count", "enterprises.employees", "enterprises.women_share"),
    ),
]


def _day_bounds(period: Period) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(period.start, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time.min))
    return start, end


def _aggregates(period: Period) -> dict[str, Any]:
    current = Q(archived_at__isnull=True)
    start, end = _day_bounds(period)
    return {
        "count": Count("pk", filter=current),
        "added": Count("pk", filter=Q(created_at__gte=start, created_at__lt=end)),
        "employees": Sum("employees_total", filter=current),
        "women": Sum("employees_women", filter=current),
    }


def _values(row: dict[str, Any]) -> dict[str, Number | None]:
    employees = row.get("employees") or 0
    women = row.get("women") or 0
    return {
        "enterprises.count": row.get("count") or 0,
        "enterprises.added": row.get("added") or 0,
        "enterprises.employees": employees,
        "enterprises.women": women,
        "enterprises.women_share": women / employees if employees else None,
    }


def compute(*, enterprises: QuerySet[Enterprise], period: Period) -> dict[str, Number | None]:
    return _values(enterprises.aggregate(**_aggregates(period)))


def compute_groups(
    *, enterprises: QuerySet[Enterprise], period: Period, grouping: Grouping
) -> dict[str, dict[str, Number | None]]:
    if grouping.kind == "period":
        halves = enterprises.aggregate(**grouping.half_aggregates(period, _aggregates))
        return {key: _values(row) for key, row in Grouping.by_half(halves).items()}
    if grouping.kind == "month":
        start, end = _day_bounds(period)
        rows = (
            enterprises.filter(created_at__gte=start, created_at__lt=end)
            .annotate(month=TruncMonth("created_at"))
            .values("month")
            .annotate(added=Count("pk"))
            .order_by()
        )
        return {month_key(timezone.localtime(r["month"]).date()): {"enterprises.added": r["added"]} for r in rows}
    grouped = (
        enterprises.annotate(key=grouping.enterprise_key("")).values("key").annotate(**_aggregates(period)).order_by()
    )
    return {str(r["key"]): _values(r) for r in grouped}


def rows(*, enterprises: QuerySet[Enterprise], period: Period) -> list[Rows]:
    def generate() -> Iterator[list[Any]]:
        queryset = enterprises.select_related("region").order_by("region_id", "name_zh")
        for e in queryset.iterator(chunk_size=2000):
            yield [
                e.credit_code,
                e.name_zh,
                e.name_en,
                e.region_id,
                e.region.name,
                e.industry_division,
                e.get_size_class_display(),
                e.employees_total,
                e.employees_women,
                e.get_status_display(),
                timezone.localtime(e.created_at).date(),
                timezone.localtime(e.archived_at).date() if e.archived_at else None,
            ]

    headers = [
        _("Credit code"),
        _("Name (Chinese)"),
        _("Name (English)"),
        _("Region code"),
        _("Region"),
        _("Industry division"),
        _("Size class"),
        _("Employees"),
        _("Women employees"),
        _("Status"),
        _("Added to the registry"),
        _("Archived"),
    ]
    return [Rows(_("Enterprises"), headers, generate())]
