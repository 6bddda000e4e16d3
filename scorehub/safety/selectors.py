"""Reads of the work-safety app: the numbers (for pages, the API, the indicator layer and reports) and
the risk grade of the inspection plan.  Every function takes querysets the caller has already scoped."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count, IntegerField, Max, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from scorehub.core.aggregates import medians_in_database
from scorehub.core.rawsql import as_date, fetch, group_key, grouped_rows, subquery

from . import conf
from .models import (
    ACCIDENT_SEVERITIES,
    INSPECTION_KINDS,
    OPEN_STATUSES,
    RECORDABLE_SEVERITIES,
    Accident,
    AffectedPerson,
    CheckKind,
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

# The numbers are hand-written aggregates (see ``scorehub.core.rawsql``): a column is its name, its
# aggregate (``{when}`` standing for the condition that puts a row in it), the condition and its
# parameters.
Column = tuple[str, str, str, tuple[Any, ...]]
ROWS = "SUM(CASE WHEN {when} THEN 1 ELSE 0 END)"
#: Accidents are read with the people they hurt joined in: each accident counts once.
ACCIDENTS = "COUNT(DISTINCT CASE WHEN {when} THEN a.id END)"
DAYS_LOST = "SUM(CASE WHEN {when} THEN p.days_lost END)"
MEDIAN_DAYS = "PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY h.rectified_on - h.found_on) FILTER (WHERE {when})"


def _between(column: str, period: Period) -> tuple[str, tuple[Any, ...]]:
    return f"{column} BETWEEN %s AND %s", (period.start, period.end)


def _periods(period: Period, grouping: Grouping | None) -> dict[str, Period]:
    """The periods a computation answers, by group key: the two halves of a period pair, else the one."""
    if grouping is not None and grouping.kind == "period":
        return grouping.halves(period)
    return {WHOLE: period}


def _sums(
    *,
    tables: str,
    enterprise_column: str,
    where: tuple[str, tuple[Any, ...]],
    enterprises: QuerySet[Enterprise],
    period: Period,
    grouping: Grouping | None,
    columns_of: Callable[[Period], list[Column]],
    by: str | None = None,
) -> dict[str, dict[Any, dict[str, Any]]]:
    """The aggregates ``columns_of(period)`` over ``tables`` in one query, as ``{group: {value of by:
    {name: value}}}``: per child region or enterprise, over the whole scope (:data:`WHOLE`), or, for a
    period pair, per half (each half's columns filter its own days).  ``by`` (a column such as the kind
    of a check) splits each group further in the GROUP BY, which keeps the aggregates few (one per
    number, not one per number and kind); without it the value is None.  Groups without rows are
    missing, but for the whole scope and the halves of a pair when ``by`` is None."""
    periods = _periods(period, grouping)
    by_half = len(periods) > 1
    select: list[str] = []
    names: list[tuple[str, str]] = []
    select_params: list[Any] = []
    for half, p in periods.items():
        for name, aggregate, when, params in columns_of(p):
            select.append(aggregate.format(when=when))
            select_params += params
            names.append((half, name))
    rows = grouped_rows(
        tables=tables,
        enterprise_column=enterprise_column,
        enterprises=enterprises,
        select=(", ".join(select), tuple(select_params)),
        where=where,
        grouping=None if by_half else grouping,  # the halves are columns, not groups
        by=by or "",
    )
    result: dict[str, dict[Any, dict[str, Any]]] = {}
    for row in rows:
        key, value = str(row[0]), row[1]
        for (half, name), number in zip(names, row[2:], strict=True):
            result.setdefault(half if by_half else key, {}).setdefault(value, {})[name] = number
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

    def check_counts(p: Period) -> list[Column]:
        return [("n", ROWS, *_between("c.checked_on", p)), ("baseline", ROWS, *_between("c.checked_on", p.previous()))]

    scoped: dict[str, Any] = {"enterprises": enterprises, "period": period, "grouping": grouping}
    by_kind = _sums(
        tables="safety_safetycheck c",
        enterprise_column="c.enterprise_id",
        where=("c.checked_on BETWEEN %s AND %s", (_reach(period, grouping), period.end)),
        columns_of=check_counts,
        by="c.kind",
        **scoped,
    )
    counts = {
        group: {
            **{f"checks_{kind}": kinds.get(kind, {}).get("n") or 0 for kind in CheckKind.values},
            "inspections": sum(kinds.get(kind, {}).get("n") or 0 for kind in INSPECTION_KINDS),
            "inspections_baseline": sum(kinds.get(kind, {}).get("baseline") or 0 for kind in INSPECTION_KINDS),
        }
        for group, kinds in by_kind.items()
    }
    failed_in, failed_params = _between("c.checked_on", period)
    failed = _sums(
        tables="safety_checkresult r JOIN safety_safetycheck c ON c.id = r.check_record_id",
        enterprise_column="c.enterprise_id",
        where=(f"r.outcome = %s AND {failed_in}", (Outcome.FAIL.value, *failed_params)),
        columns_of=lambda p: [("items_failed", ROWS, *_between("c.checked_on", p))],
        **scoped,
    )
    result: dict[str, dict[str, Any]] = {}
    for group in set(counts) | set(failed):
        values: dict[str, Any] = {f"checks_{kind}": 0 for kind in CheckKind.values}
        values.update(inspections=0, inspections_baseline=0)
        values.update(counts.get(group, {}))
        values["checks"] = sum(values[f"checks_{kind}"] for kind in CheckKind.values)
        values["items_failed"] = failed.get(group, {}).get(None, {}).get("items_failed") or 0
        values["inspections_change"] = percent_change(values["inspections"], values["inspections_baseline"])
        result[group] = values
    return result


def _rectified_by(day: dt.date) -> tuple[str, tuple[Any, ...]]:
    return "h.rectified_on IS NOT NULL AND h.rectified_on <= %s", (day,)


def _found_and_rectified(p: Period) -> tuple[str, tuple[Any, ...]]:
    """Hazards found in ``p`` and rectified by its end (by today, for a period still running)."""
    found, found_params = _between("h.found_on", p)
    rectified, rectified_params = _rectified_by(_reference_day(p))
    return f"{found} AND {rectified}", (*found_params, *rectified_params)


def _rectification_days(
    enterprises: QuerySet[Enterprise], period: Period, grouping: Grouping | None
) -> dict[str, float | int]:
    """The median days to rectify per group: over the hazards found in the period and rectified by
    its end (the end of each half, for a period pair).  Groups without such hazards are missing."""
    counted = _found_and_rectified(period)
    if medians_in_database():
        rows = _sums(
            tables="safety_hazard h",
            enterprise_column="h.enterprise_id",
            where=counted,
            enterprises=enterprises,
            period=period,
            grouping=grouping,
            columns_of=lambda p: [("median", MEDIAN_DAYS, *_found_and_rectified(p))],
        )
        medians = {group: values[None]["median"] for group, values in rows.items()}
        return {group: float(median) for group, median in medians.items() if median is not None}
    # Elsewhere the rows are read once up to the latest end, and each hazard is kept only if it was
    # rectified by the end of its own period.
    periods = _periods(period, grouping)
    by_half = len(periods) > 1
    key_sql, key_params, join = group_key(grouping, "h.enterprise_id", day="h.found_on")
    scope_sql, scope_params = subquery(enterprises)
    pairs = fetch(
        f"SELECT {key_sql}, h.found_on, h.rectified_on FROM safety_hazard h{join} "  # noqa: S608 - our own SQL
        f"WHERE h.enterprise_id IN ({scope_sql}) AND {counted[0]}",
        (*key_params, *scope_params, *counted[1]),
    )
    durations: dict[str, list[int]] = {}
    for group, found_on, done in pairs:
        own_end = _reference_day(periods[group]) if by_half else None
        if own_end is None or as_date(done) <= own_end:
            durations.setdefault(str(group), []).append((as_date(done) - as_date(found_on)).days)
    return {group: statistics.median(days) for group, days in durations.items()}


def hazard_numbers(
    enterprises: QuerySet[Enterprise], period: Period, grouping: Grouping | None = None
) -> dict[str, dict[str, Any]]:
    """Hazards found / rectified / verified / overdue by class, the rectification rate and the median
    number of days to rectify, for hazards of the period (as they stood at its end), per group."""

    def hazard_counts(p: Period) -> list[Column]:
        day = _reference_day(p)
        overdue = "h.found_on <= %s AND h.deadline < %s AND (h.rectified_on IS NULL OR h.rectified_on > %s)"
        return [
            ("found", ROWS, *_between("h.found_on", p)),
            ("rectified", ROWS, *_between("h.rectified_on", p)),
            ("verified", ROWS, *_between("h.verified_on", p)),
            ("overdue", ROWS, overdue, (day, day, day)),
            ("found_and_rectified", ROWS, *_found_and_rectified(p)),
        ]

    by_class = _sums(
        tables="safety_hazard h",
        enterprise_column="h.enterprise_id",
        where=("1 = 1", ()),
        enterprises=enterprises,
        period=period,
        grouping=grouping,
        columns_of=hazard_counts,
        by="h.hazard_class",
    )
    durations = _rectification_days(enterprises, period, grouping)
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

    def accident_counts(p: Period) -> list[Column]:
        in_period, in_baseline = _between("a.occurred_on", p), _between("a.occurred_on", p.previous())
        return [
            ("n", ACCIDENTS, *in_period),
            ("baseline", ACCIDENTS, *in_baseline),
            ("lost", DAYS_LOST, *in_period),
            ("lost_baseline", DAYS_LOST, *in_baseline),
        ]

    by_severity = _sums(
        tables="safety_accident a LEFT JOIN safety_affectedperson p ON p.accident_id = a.id",
        enterprise_column="a.enterprise_id",
        where=("a.occurred_on BETWEEN %s AND %s", (_reach(period, grouping), period.end)),
        enterprises=enterprises,
        period=period,
        grouping=grouping,
        columns_of=accident_counts,
        by="a.severity",
    )

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
    of groups.  Groups without any record are missing (their numbers are those of :func:`empty_numbers`),
    but for the two halves of a period pair, which are always there."""
    parts = [
        check_numbers(enterprises, period, grouping),
        hazard_numbers(enterprises, period, grouping),
        accident_numbers(enterprises, period, grouping),
    ]
    groups = {g for part in parts for g in part}
    if grouping is not None and grouping.kind == "period":
        groups |= set(grouping.halves(period))
    result: dict[str, dict[str, Any]] = {}
    for group in groups:
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
