"""Reads of the work-safety app: the numbers (for pages, the API, the indicator layer and reports) and
the risk grade of the inspection plan.  Every function takes querysets the caller has already scoped."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import CharField, Count, F, IntegerField, Max, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from scorehub.core.aggregates import MedianDuration, medians_in_database

from . import conf
from .models import (
    ACCIDENT_SEVERITIES,
    INSPECTION_KINDS,
    OPEN_STATUSES,
    RECORDABLE_SEVERITIES,
    Accident,
    AffectedPerson,
    CheckKind,
    CheckResult,
    Hazard,
    HazardClass,
    HoursWorked,
    Outcome,
    RiskLevel,
    RiskPoint,
    SafetyCheck,
)

if TYPE_CHECKING:
    from scorehub.enterprises.models import Enterprise
    from scorehub.indicators.base import Grouping, Period


def percent_change(current: float | int, baseline: float | int) -> float | None:
    """(current − baseline) / baseline; None when there is no baseline to compare with."""
    if not baseline:
        return None
    return (current - baseline) / baseline


def _reference_day(period: Period) -> dt.date:
    return min(period.end, timezone.localdate())


# --------------------------------------------------------------------------------------------------
# The numbers
# --------------------------------------------------------------------------------------------------


#: The key of the single group of an ungrouped computation.
WHOLE = ""


def _key(grouping: Grouping | None, enterprise_path: str) -> Any:
    """The group key of a record that reaches its enterprise through ``enterprise_path`` (None: no groups)."""
    return None if grouping is None else grouping.enterprise_key(enterprise_path)


def _by_group(queryset: QuerySet[Any], key: Any, **aggregates: Any) -> dict[str, dict[str, Any]]:
    """``aggregates`` of ``queryset`` per value of the ORM expression ``key`` (one query), or over the
    whole queryset under :data:`WHOLE` when ``key`` is None.  Groups without rows are missing."""
    if key is None:
        return {WHOLE: queryset.aggregate(**aggregates)}
    rows = queryset.annotate(group=key).values("group").annotate(**aggregates).order_by()
    return {str(row.pop("group")): row for row in rows}


def _periods(period: Period, grouping: Grouping | None) -> dict[str, Period]:
    """The periods a computation answers, by group key: the two halves of a period pair, else the one."""
    if grouping is not None and grouping.kind == "period":
        return grouping.halves(period)
    return {WHOLE: period}


def _aggregate(
    queryset: QuerySet[Any],
    period: Period,
    grouping: Grouping | None,
    enterprise_path: str,
    aggregates_of: Callable[[Period], dict[str, Any]],
) -> dict[str, dict[str, Any]]:
    """``aggregates_of(period)`` per group of ``grouping`` in one query: per child region or enterprise,
    over the whole scope, or, for a period pair, per half (each half's aggregates filter its own days)."""
    if grouping is not None and grouping.kind == "period":
        return grouping.by_half(queryset.aggregate(**grouping.half_aggregates(period, aggregates_of)))
    return _by_group(queryset, _key(grouping, enterprise_path), **aggregates_of(period))


def _aggregate_by(
    queryset: QuerySet[Any],
    period: Period,
    grouping: Grouping | None,
    enterprise_path: str,
    by: str,
    aggregates_of: Callable[[Period], dict[str, Any]],
) -> dict[str, dict[Any, dict[str, Any]]]:
    """Like :func:`_aggregate`, further split by the values of the field ``by`` (a kind, a class):
    ``{group: {value: aggregates}}``.  Splitting in the GROUP BY keeps the aggregates few and cheap
    (one per number, not one per number and value)."""
    result: dict[str, dict[Any, dict[str, Any]]] = {}
    if grouping is not None and grouping.kind == "period":
        rows = queryset.values(by).annotate(**grouping.half_aggregates(period, aggregates_of)).order_by()
        for row in rows:
            value = row.pop(by)
            for half, values in grouping.by_half(row).items():
                result.setdefault(half, {})[value] = values
        return result
    key = _key(grouping, enterprise_path)
    group_key = Value(WHOLE, output_field=CharField()) if key is None else key
    rows = queryset.annotate(group=group_key).values("group", by).annotate(**aggregates_of(period)).order_by()
    for row in rows:
        group, value = str(row.pop("group")), row.pop(by)
        result.setdefault(group, {})[value] = row
    return result


def _reach(period: Period, grouping: Grouping | None) -> dt.date:
    """The first day a computation with baselines reads: the start of the earliest baseline."""
    return min(p.previous().start for p in _periods(period, grouping).values())


def check_numbers(
    enterprises: QuerySet[Enterprise], period: Period, grouping: Grouping | None = None
) -> dict[str, dict[str, Any]]:
    """Checks by kind in the period, failed items, and inspections against the baseline period, per
    group of ``grouping`` (child region, enterprise or half of a period pair; None: the whole scope
    under :data:`WHOLE`)."""

    def check_counts(p: Period) -> dict[str, Any]:
        baseline = p.previous()
        return {
            "n": Count("pk", filter=Q(checked_on__range=(p.start, p.end))),
            "baseline": Count("pk", filter=Q(checked_on__range=(baseline.start, baseline.end))),
        }

    checks = SafetyCheck.objects.filter(
        enterprise__in=enterprises, checked_on__range=(_reach(period, grouping), period.end)
    )
    by_kind = _aggregate_by(checks, period, grouping, "enterprise", "kind", check_counts)
    counts = {
        group: {
            **{f"checks_{kind}": kinds.get(kind, {}).get("n") or 0 for kind in CheckKind.values},
            "inspections": sum(kinds.get(kind, {}).get("n") or 0 for kind in INSPECTION_KINDS),
            "inspections_baseline": sum(kinds.get(kind, {}).get("baseline") or 0 for kind in INSPECTION_KINDS),
        }
        for group, kinds in by_kind.items()
    }
    failed = _aggregate(
        CheckResult.objects.filter(
            check_record__enterprise__in=enterprises,
            check_record__checked_on__range=(period.start, period.end),
            outcome=Outcome.FAIL,
        ),
        period,
        grouping,
        "check_record__enterprise",
        lambda p: {"items_failed": Count("pk", filter=Q(check_record__checked_on__range=(p.start, p.end)))},
    )
    result: dict[str, dict[str, Any]] = {}
    for group in set(counts) | set(failed):
        values: dict[str, Any] = {f"checks_{kind}": 0 for kind in CheckKind.values}
        values.update(inspections=0, inspections_baseline=0)
        values.update(counts.get(group, {}))
        values["checks"] = sum(values[f"checks_{kind}"] for kind in CheckKind.values)
        values["items_failed"] = failed.get(group, {}).get("items_failed") or 0
        values["inspections_change"] = percent_change(values["inspections"], values["inspections_baseline"])
        result[group] = values
    return result


def _rectification_days(
    hazards: QuerySet[Hazard],
    period: Period,
    grouping: Grouping | None,
    found_in: Callable[[Period], Q],
    rectified_by: Callable[[dt.date], Q],
) -> dict[str, float | int]:
    """The median days to rectify per group: over the hazards found in the period and rectified by
    its end (the end of each half, for a period pair).  Groups without such hazards are missing."""
    by_period = grouping is not None and grouping.kind == "period"
    counted = hazards.filter(found_in(period) & rectified_by(_reference_day(period)))
    if medians_in_database():

        def median(p: Period) -> dict[str, Any]:
            days = F("rectified_on") - F("found_on")
            return {"median": MedianDuration(days, filter=found_in(p) & rectified_by(_reference_day(p)))}

        rows = _aggregate(counted, period, grouping, "enterprise", median)
        return {
            group: row["median"].total_seconds() / 86400 for group, row in rows.items() if row["median"] is not None
        }
    # Elsewhere the rows are read once up to the latest end, and each hazard is kept only if it was
    # rectified by the end of its own period.
    periods = _periods(period, grouping)
    key = grouping.half_key("found_on") if by_period and grouping else _key(grouping, "enterprise")
    group_key = Value(WHOLE, output_field=CharField()) if key is None else key
    pairs = counted.annotate(group=group_key).values_list("group", "found_on", "rectified_on").order_by()
    durations: dict[str, list[int]] = {}
    for group, found_on, done in pairs:
        # ``done`` is never None: only rectified hazards are read.
        own_end = _reference_day(periods[group]) if by_period else None
        if own_end is None or done <= own_end:  # type: ignore[operator]
            durations.setdefault(str(group), []).append((done - found_on).days)  # type: ignore[operator]
    return {group: statistics.median(days) for group, days in durations.items()}


def hazard_numbers(
    enterprises: QuerySet[Enterprise], period: Period, grouping: Grouping | None = None
) -> dict[str, dict[str, Any]]:
    """Hazards found / rectified / verified / overdue by class, the rectification rate and the median
    number of days to rectify, for hazards of the period (as they stood at its end), per group."""
    hazards = Hazard.objects.filter(enterprise__in=enterprises)

    def found_in(p: Period) -> Q:
        return Q(found_on__range=(p.start, p.end))

    def rectified_by(day: dt.date) -> Q:
        return Q(rectified_on__isnull=False, rectified_on__lte=day)

    def hazard_counts(p: Period) -> dict[str, Any]:
        day = _reference_day(p)
        overdue = Q(found_on__lte=day, deadline__lt=day) & (Q(rectified_on__isnull=True) | Q(rectified_on__gt=day))
        return {
            "found": Count("pk", filter=found_in(p)),
            "rectified": Count("pk", filter=Q(rectified_on__range=(p.start, p.end))),
            "verified": Count("pk", filter=Q(verified_on__range=(p.start, p.end))),
            "overdue": Count("pk", filter=overdue),
            "found_and_rectified": Count("pk", filter=found_in(p) & rectified_by(day)),
        }

    by_class = _aggregate_by(hazards, period, grouping, "enterprise", "hazard_class", hazard_counts)
    durations = _rectification_days(hazards, period, grouping, found_in, rectified_by)
    result: dict[str, dict[str, Any]] = {}
    for group, classes in by_class.items():
        values: dict[str, Any] = {}
        for stage in ("found", "rectified", "verified", "overdue"):
            general = classes.get(HazardClass.GENERAL, {}).get(stage) or 0
            major = classes.get(HazardClass.MAJOR, {}).get(stage) or 0
            values[f"hazards_{stage}"] = general + major
            values[f"hazards_{stage}_general"] = general
            values[f"hazards_{stage}_major"] = major
        found_total = values["hazards_found"]
        found_and_rectified = sum(row.get("found_and_rectified") or 0 for row in classes.values())
        values["hazards_found_rectified"] = found_and_rectified
        values["rectification_rate"] = found_and_rectified / found_total if found_total else None
        values["median_days_to_rectify"] = durations.get(group)
        result[group] = values
    return result


def accident_numbers(
    enterprises: QuerySet[Enterprise], period: Period, grouping: Grouping | None = None
) -> dict[str, dict[str, Any]]:
    """Accidents (near misses apart), people affected and days lost, against the baseline period, per group."""

    def accident_counts(p: Period) -> dict[str, Any]:
        # The people affected are joined in, so an accident is counted once however many it affected.
        in_period = Q(occurred_on__range=(p.start, p.end))
        baseline = p.previous()
        in_baseline = Q(occurred_on__range=(baseline.start, baseline.end))
        return {
            "n": Count("pk", filter=in_period, distinct=True),
            "baseline": Count("pk", filter=in_baseline, distinct=True),
            "lost": Sum("people__days_lost", filter=in_period),
            "lost_baseline": Sum("people__days_lost", filter=in_baseline),
        }

    accidents = Accident.objects.filter(
        enterprise__in=enterprises, occurred_on__range=(_reach(period, grouping), period.end)
    )
    by_severity = _aggregate_by(accidents, period, grouping, "enterprise", "severity", accident_counts)

    def total(severities: dict[str, dict[str, Any]], field: str, among: Any = None) -> int:
        return sum(row.get(field) or 0 for severity, row in severities.items() if among is None or severity in among)

    counts: dict[str, dict[str, Any]] = {
        group: {
            "accidents": total(severities, "n", ACCIDENT_SEVERITIES),
            "accidents_baseline": total(severities, "baseline", ACCIDENT_SEVERITIES),
            "near_misses": total(severities, "n", ("near_miss",)),
            "accidents_recordable": total(severities, "n", RECORDABLE_SEVERITIES),
            "days_lost": total(severities, "lost"),
            "days_lost_baseline": total(severities, "lost_baseline"),
        }
        for group, severities in by_severity.items()
    }
    for values in counts.values():
        values["accidents_change"] = percent_change(values["accidents"], values["accidents_baseline"])
        values["days_lost_change"] = percent_change(values["days_lost"], values["days_lost_baseline"])
    return counts


def safety_numbers(enterprises: QuerySet[Enterprise], period: Period) -> dict[str, Any]:
    """Every number of the app for a scope and a period (the indicator layer reads this)."""
    return grouped_safety_numbers(enterprises, period, None).get(WHOLE) or empty_numbers()


def grouped_safety_numbers(
    enterprises: QuerySet[Enterprise], period: Period, grouping: Grouping | None
) -> dict[str, dict[str, Any]]:
    """:func:`safety_numbers` per child region or enterprise: one query per table, whatever the number
    of groups.  Groups without any record are missing (their numbers are those of :func:`empty_numbers`)."""
    parts = [
        check_numbers(enterprises, period, grouping),
        hazard_numbers(enterprises, period, grouping),
        accident_numbers(enterprises, period, grouping),
    ]
    result: dict[str, dict[str, Any]] = {}
    for group in {g for part in parts for g in part}:
        values = empty_numbers()
        for part in parts:
            values.update(part.get(group, {}))
        result[group] = values
    return result


def empty_numbers() -> dict[str, Any]:
    """The numbers of a scope or group without a single record."""
    values: dict[str, Any] = dict.fromkeys(
        [f"checks_{kind}" for kind in CheckKind.values]
        + ["checks", "items_failed", "inspections", "inspections_baseline"]
        + [
            f"hazards_{stage}{cls}"
            for stage in ("found", "rectified", "verified", "overdue")
            for cls in ("", "_general", "_major")
        ]
        + ["hazards_found_rectified", "accidents", "accidents_baseline", "near_misses", "accidents_recordable"]
        + ["days_lost", "days_lost_baseline"],
        0,
    )
    values.update(
        rectification_rate=None,
        median_days_to_rectify=None,
        inspections_change=None,
        accidents_change=None,
        days_lost_change=None,
    )
    return values


@dataclass
class YearRates:
    year: int
    accidents: int
    recordable: int
    near_misses: int
    people: int
    women: int
    days_lost: int
    hours: int | None
    workers: int

    @property
    def per_100_workers(self) -> float | None:
        return self.recordable * 100 / self.workers if self.workers else None

    @property
    def per_million_hours(self) -> float | None:
        return self.recordable * 1_000_000 / self.hours if self.hours else None


def accident_rates(enterprise: Enterprise, accidents: QuerySet[Accident]) -> list[YearRates]:
    """Per year: accidents, lost-time accidents, people affected, days lost and the two rates
    (lost-time accidents per 100 workers; per million hours worked where the hours are known)."""
    rows = (
        accidents.filter(enterprise=enterprise)
        .order_by()
        .values("occurred_on__year")
        .annotate(
            accidents=Count("pk", filter=Q(severity__in=ACCIDENT_SEVERITIES), distinct=True),
            recordable=Count("pk", filter=Q(severity__in=RECORDABLE_SEVERITIES), distinct=True),
            near_misses=Count("pk", filter=Q(severity="near_miss"), distinct=True),
        )
    )
    people = {
        r["accident__occurred_on__year"]: r
        for r in AffectedPerson.objects.filter(accident__in=accidents, accident__enterprise=enterprise)
        .order_by()
        .values("accident__occurred_on__year")
        .annotate(n=Count("pk"), women=Count("pk", filter=Q(gender="female")), days=Sum("days_lost"))
    }
    hours = dict(HoursWorked.objects.filter(enterprise=enterprise).values_list("year", "hours"))
    result = []
    for row in rows:
        year = row["occurred_on__year"]
        p = people.get(year, {})
        result.append(
            YearRates(
                year=year,
                accidents=row["accidents"],
                recordable=row["recordable"],
                near_misses=row["near_misses"],
                people=p.get("n", 0),
                women=p.get("women", 0),
                days_lost=p.get("days") or 0,
                hours=hours.get(year),
                workers=enterprise.employees_total,
            )
        )
    return sorted(result, key=lambda r: r.year, reverse=True)


def hazard_summary(hazards: QuerySet[Hazard]) -> dict[str, int]:
    today = timezone.localdate()
    return hazards.aggregate(
        total=Count("pk"),
        open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        overdue=Count("pk", filter=Q(status__in=OPEN_STATUSES, deadline__lt=today)),
        major_open=Count("pk", filter=Q(status__in=OPEN_STATUSES, hazard_class=HazardClass.MAJOR)),
        awaiting_verification=Count("pk", filter=Q(status="rectified")),
        rectified=Count("pk", filter=Q(rectified_on__isnull=False)),
    )


def risk_level_counts(points: QuerySet[RiskPoint]) -> dict[str, int]:
    counts = dict(points.order_by().values_list("level").annotate(n=Count("pk")).values_list("level", "n"))
    return {level: counts.get(level, 0) for level in RiskLevel.values}


# --------------------------------------------------------------------------------------------------
# Risk-based inspection planning
# --------------------------------------------------------------------------------------------------

FACTOR_LABELS = {
    "open_major": _("Open major hazards"),
    "overdue": _("Overdue hazards"),
    "unrectified_share": _("Hazards of the last year not rectified"),
    "accident_rate": _("Accidents per 100 workers in the last year"),
    "since_inspection": _("Days since the last inspection"),
    "risk_points": _("Red and orange risk points"),
}

GRADE_LABELS = {
    "A": _("A · inspect first"),
    "B": _("B · inspect soon"),
    "C": _("C · routine"),
    "D": _("D · low priority"),
}


@dataclass
class Factor:
    code: str
    value: Any
    share: float  # 0..1: how fully the factor counts
    weight: float

    @property
    def label(self) -> Any:
        return FACTOR_LABELS[self.code]

    @property
    def points(self) -> float:
        return round(self.share * self.weight, 1)


@dataclass
class RiskGrade:
    enterprise: Any
    score: Decimal
    grade: str
    factors: list[Factor] = field(default_factory=list)
    last_inspection: dt.date | None = None

    @property
    def grade_label(self) -> Any:
        return GRADE_LABELS[self.grade]

    @property
    def reasons(self) -> list[Factor]:
        """The factors that weigh most (5 points or more), heaviest first."""
        return sorted((f for f in self.factors if f.points >= 5), key=lambda f: -f.points)


def _count(queryset: QuerySet[Any]) -> Coalesce:
    counted = queryset.order_by().values("enterprise").annotate(c=Count("pk")).values("c")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def grade_for(score: float) -> str:
    a, b, c = conf.get("RISK_GRADE_BANDS")
    if score >= a:
        return "A"
    if score >= b:
        return "B"
    if score >= c:
        return "C"
    return "D"


def risk_grades(enterprises: QuerySet[Enterprise], today: dt.date | None = None) -> list[RiskGrade]:
    """The risk grade of each enterprise, highest score first; one query for all of them."""
    today = today or timezone.localdate()
    year_ago = today - dt.timedelta(days=365)
    weights = conf.get("RISK_GRADE_WEIGHTS")
    caps = conf.get("RISK_GRADE_CAPS")
    hazards = Hazard.objects.filter(enterprise=OuterRef("pk"))
    points = RiskPoint.objects.filter(enterprise=OuterRef("pk"), archived_at__isnull=True)
    last_inspection = (
        SafetyCheck.objects.filter(enterprise=OuterRef("pk"), kind__in=INSPECTION_KINDS)
        .order_by()
        .values("enterprise")
        .annotate(m=Max("checked_on"))
        .values("m")[:1]
    )
    rows = enterprises.annotate(
        g_open_major=_count(hazards.filter(status__in=OPEN_STATUSES, hazard_class=HazardClass.MAJOR)),
        g_overdue=_count(hazards.filter(status__in=OPEN_STATUSES, deadline__lt=today)),
        g_found=_count(hazards.filter(found_on__gte=year_ago)),
        g_rectified=_count(hazards.filter(found_on__gte=year_ago, rectified_on__isnull=False)),
        g_accidents=_count(
            Accident.objects.filter(
                enterprise=OuterRef("pk"), occurred_on__gte=year_ago, severity__in=ACCIDENT_SEVERITIES
            )
        ),
        g_red=_count(points.filter(level=RiskLevel.RED)),
        g_orange=_count(points.filter(level=RiskLevel.ORANGE)),
        g_last=Subquery(last_inspection),
    ).select_related("region")
    grades = []
    for e in rows:
        unrectified = (e.g_found - e.g_rectified) / e.g_found if e.g_found else 0.0
        accident_rate = e.g_accidents * 100 / e.employees_total if e.employees_total else 0.0
        days_since = (today - e.g_last).days if e.g_last else None
        weighted_points = e.g_red + 0.5 * e.g_orange
        factors = [
            Factor("open_major", e.g_open_major, min(e.g_open_major / caps["open_major"], 1.0), weights["open_major"]),
            Factor("overdue", e.g_overdue, min(e.g_overdue / caps["overdue"], 1.0), weights["overdue"]),
            Factor(
                "unrectified_share",
                f"{unrectified:.0%}" if e.g_found else "—",
                unrectified,
                weights["unrectified_share"],
            ),
            Factor(
                "accident_rate",
                round(accident_rate, 2),
                min(accident_rate / caps["accident_rate"], 1.0),
                weights["accident_rate"],
            ),
            Factor(
                "since_inspection",
                days_since if days_since is not None else _("never"),
                1.0 if days_since is None else min(days_since / caps["since_inspection"], 1.0),
                weights["since_inspection"],
            ),
            Factor(
                "risk_points",
                f"{e.g_red} / {e.g_orange}",
                min(weighted_points / caps["risk_points"], 1.0),
                weights["risk_points"],
            ),
        ]
        score = Decimal(str(round(sum(f.share * f.weight for f in factors), 1)))
        grades.append(
            RiskGrade(
                enterprise=e, score=score, grade=grade_for(float(score)), factors=factors, last_inspection=e.g_last
            )
        )
    grades.sort(key=lambda g: (-g.score, g.enterprise.name_zh))
    return grades
