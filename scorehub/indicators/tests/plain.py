"""Independent computations for the tests: the indicators counted by hand, record by record in Python
(no SQL aggregates, nothing from the layer's selectors), to compare with what the layer computes."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from scorehub.enterprises.models import Enterprise
from scorehub.indicators.base import Period
from scorehub.indicators.models import Assessment, Kpi, KpiRecord, Practice, PracticeAnswer


def enterprise_numbers(enterprises: list[Enterprise], period: Period) -> dict[str, Any]:
    current = [e for e in enterprises if e.archived_at is None]
    employees = sum(e.employees_total for e in current)
    women = sum(e.employees_women for e in current)
    from django.utils import timezone

    added = [e for e in enterprises if period.start <= timezone.localtime(e.created_at).date() <= period.end]
    return {
        "enterprises.count": len(current),
        "enterprises.added": len(added),
        "enterprises.employees": employees,
        "enterprises.women": women,
        "enterprises.women_share": women / employees if employees else None,
    }


def _values_by_month(enterprise_id: int) -> dict[dt.date, dict[int, Decimal]]:
    result: dict[dt.date, dict[int, Decimal]] = {}
    for record in KpiRecord.objects.filter(enterprise_id=enterprise_id).prefetch_related("values"):
        result[record.month] = {v.kpi_id: v.value for v in record.values.all()}
    return result


def _window_mean(by_month: dict[dt.date, dict[int, Decimal]], kpi_id: int, first: dt.date, last: dt.date) -> Any:
    values = [vals[kpi_id] for month, vals in by_month.items() if first <= month <= last and kpi_id in vals]
    if not values:
        return None
    return sum(values, Decimal(0)) / len(values)


def cycles(enterprise_ids: set[int], period: Period) -> list[tuple[Assessment, Assessment]]:
    pairs = []
    for follow_up in Assessment.objects.filter(stage="follow_up"):
        if follow_up.enterprise_id not in enterprise_ids or not period.start <= follow_up.assessed_on <= period.end:
            continue
        baseline = Assessment.objects.filter(
            enterprise_id=follow_up.enterprise_id, module=follow_up.module, stage="baseline"
        ).first()
        if baseline is not None:
            pairs.append((baseline, follow_up))
    return pairs


def kpi_numbers(enterprise_ids: set[int], period: Period) -> dict[str, Any]:
    records = [
        r
        for r in KpiRecord.objects.all()
        if r.enterprise_id in enterprise_ids and period.start <= r.month <= period.end
    ]
    result: dict[str, Any] = {
        "kpis.records": len(records),
        "kpis.enterprises_reporting": len({r.enterprise_id for r in records}),
    }
    found = cycles(enterprise_ids, period)
    result["kpis.cycles"] = len(found)
    result["kpis.enterprises_followed_up"] = len({f.enterprise_id for _b, f in found})
    kpis = list(Kpi.objects.filter(is_active=True))
    months = {eid: _values_by_month(eid) for eid in {f.enterprise_id for _b, f in found}}
    pairs = improved = 0
    for kpi in kpis:
        changes = []
        for baseline, follow_up in found:
            by_month = months[follow_up.enterprise_id]
            b = _window_mean(by_month, kpi.pk, baseline.kpi_from, baseline.kpi_to)
            f = _window_mean(by_month, kpi.pk, follow_up.kpi_from, follow_up.kpi_to)
            if b is None or f is None:
                continue
            pairs += 1
            if (kpi.better == "higher" and f > b) or (kpi.better == "lower" and f < b):
                improved += 1
            if b != 0:
                changes.append((f - b) / b)
        mean = None
        if changes:
            mean = (sum(changes, Decimal(0)) / len(changes)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
        result[f"kpis.change.{kpi.code}"] = mean
    result["kpis.improved_share"] = improved / pairs if pairs else None
    for practice in Practice.objects.filter(is_active=True):
        n = at_b = at_f = 0
        for baseline, follow_up in found:
            a_b = PracticeAnswer.objects.filter(assessment=baseline, practice=practice).first()
            a_f = PracticeAnswer.objects.filter(assessment=follow_up, practice=practice).first()
            if a_b is None or a_f is None:
                continue
            n += 1
            at_b += a_b.in_place
            at_f += a_f.in_place
        result[f"practices.baseline.{practice.code}"] = at_b / n if n else None
        result[f"practices.follow_up.{practice.code}"] = at_f / n if n else None
    return result


def monthly_records(enterprise_ids: set[int], period: Period) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in KpiRecord.objects.all():
        if record.enterprise_id in enterprise_ids and period.start <= record.month <= period.end:
            key = f"{record.month:%Y-%m}"
            counts[key] = counts.get(key, 0) + 1
    return counts


def same(a: Any, b: Any) -> bool:
    """Equal numbers, whatever their Python type (int, float, Decimal); None only equals None."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        return abs(float(a) - float(b)) < 1e-12
    return Decimal(a) == Decimal(b)
