"""Reads: the numbers of the suggestion scheme for any set of enterprises and period.

Definitions (docs/suggestions.md explains them to users):

* The suggestions counted are those **submitted in the period** (by the local date of submission);
  duplicates merged into another suggestion are not counted (the original is).
* adopted = those of them adopted, whatever happened after (adopted, in progress, implemented);
  rejected = those rejected; implemented = those implemented (as of now).
* adoption rate = adopted ÷ submitted; completion rate = implemented ÷ adopted.
* median days to decision = from submission to adoption or rejection; median days to implementation =
  from submission to implementation (both over the suggestions that got there).
* projects, cost, expected and verified savings: improvement projects **started in the period**; verified
  savings add up only the projects a trainer has verified.
* suggestions per 100 workers = submitted ÷ the enterprises' employees × 100; share from women = the share
  of suggestions from women among those whose submitter gave a gender.

A rate or median with nothing to divide or sort is ``None``.  Each function runs a fixed number of
queries, whatever the number of enterprises.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber, TruncMonth
from django.utils import timezone

from scorehub.core.aggregates import MedianDuration, medians_in_database
from scorehub.enterprises.models import Enterprise
from scorehub.indicators.base import Grouping, Period, month_key

from .models import ADOPTED_OR_LATER, Gender, ImprovementProject, Suggestion, SuggestionStatus

ZERO = Decimal("0")


@dataclass(frozen=True)
class SuggestionNumbers:
    submitted: int
    adopted: int
    rejected: int
    implemented: int
    adoption_rate: float | None
    completion_rate: float | None
    median_days_to_decision: float | None
    median_days_to_implementation: float | None
    projects: int
    project_cost: Decimal
    expected_savings: Decimal
    verified_savings: Decimal
    per_100_workers: float | None
    women_share: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ratio(numerator: int | float, denominator: int | float) -> float | None:
    return numerator / denominator if denominator else None


def day_bounds(period: Period) -> tuple[dt.datetime, dt.datetime]:
    """The period as instants: from its first local midnight to the one after its last day."""
    start = timezone.make_aware(dt.datetime.combine(period.start, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time.min))
    return start, end


def suggestions_in(enterprises: QuerySet[Enterprise], period: Period) -> QuerySet[Suggestion]:
    """The counted suggestions of ``enterprises`` submitted in ``period`` (by the local date of submission)."""
    start, end = day_bounds(period)
    return Suggestion.objects.filter(
        enterprise__in=enterprises.values("pk"), submitted_at__gte=start, submitted_at__lt=end
    ).counted()


#: The suggestions that got a decision (a rejected one taken back under review waits again), and those
#: of them implemented: what the two medians count.
DECIDED = Q(decided_at__isnull=False) & ~Q(status=SuggestionStatus.UNDER_REVIEW)
IMPLEMENTED = DECIDED & Q(status=SuggestionStatus.IMPLEMENTED, implemented_at__isnull=False)


def decided(suggestions: QuerySet[Suggestion]) -> QuerySet[Suggestion]:
    return suggestions.filter(DECIDED)


def implemented(suggestions: QuerySet[Suggestion]) -> QuerySet[Suggestion]:
    return suggestions.filter(IMPLEMENTED)


def median_days(suggestions: QuerySet[Suggestion], until: str, key: Any = None) -> dict[Any, float]:
    """The median of the days from submission to ``until`` (a date-time field), per ``key`` (one query).

    The database ranks the durations and returns only the middle one or two of each group, so the
    query sends back a row or two per group, however many suggestions there are.  Without ``key`` the
    one group is ``""``; a group without any duration is missing (its median is ``None``).
    """
    partition = [key] if key is not None else None
    duration = ExpressionWrapper(F(until) - F("submitted_at"), output_field=DurationField())
    rows = (
        suggestions.filter(**{f"{until}__isnull": False})
        .annotate(group=key if key is not None else Value(""), duration=duration)
        .annotate(
            rank=Window(RowNumber(), partition_by=partition, order_by=[F("duration").asc(), F("pk").asc()]),
            size=Window(Count("pk"), partition_by=partition),
        )
        .filter(rank__gte=(F("size") + 1) / 2, rank__lte=(F("size") + 2) / 2)
        .order_by()
        .values_list("group", "duration")
    )
    middle: dict[Any, list[float]] = defaultdict(list)
    for group, duration_value in rows:
        middle[group].append(duration_value.total_seconds() / 86400)
    # The mean of the one or two middle values, as statistics.median computes it.
    return {group: round(sum(days) / len(days), 1) for group, days in middle.items()}


MEDIAN_FIELDS = frozenset({"median_days_to_decision", "median_days_to_implementation"})


def _median_aggregates() -> dict[str, Any]:
    return {
        "median_days_to_decision": MedianDuration(F("decided_at") - F("submitted_at"), filter=DECIDED),
        "median_days_to_implementation": MedianDuration(F("implemented_at") - F("submitted_at"), filter=IMPLEMENTED),
    }


def _median_values(row: dict[str, Any]) -> dict[str, float | None]:
    """The medians of a counts row in days, rounded as :func:`median_days` rounds them."""
    return {
        field: round(row[field].total_seconds() / 86400, 1) if row[field] is not None else None
        for field in MEDIAN_FIELDS
    }


def projects_in(enterprises: QuerySet[Enterprise], period: Period) -> QuerySet[ImprovementProject]:
    return ImprovementProject.objects.filter(
        enterprise__in=enterprises.values("pk"), started_on__gte=period.start, started_on__lte=period.end
    )


_MONEY: DecimalField[Decimal, Decimal] = DecimalField(max_digits=16, decimal_places=2)

#: The counts of suggestions, as aggregates (one query, grouped or not).
SUGGESTION_COUNTS = {
    "submitted": Count("pk"),
    "adopted": Count("pk", filter=Q(status__in=ADOPTED_OR_LATER)),
    "rejected": Count("pk", filter=Q(status=SuggestionStatus.REJECTED)),
    "implemented": Count("pk", filter=Q(status=SuggestionStatus.IMPLEMENTED)),
    "women": Count("pk", filter=Q(submitter_gender=Gender.WOMAN)),
    "gender_known": Count("pk", filter=~Q(submitter_gender=Gender.UNKNOWN)),
}
#: The projects' count and money, as aggregates.
PROJECT_SUMS = {
    "count": Count("pk"),
    "cost": Coalesce(Sum("cost"), ZERO, output_field=_MONEY),
    "expected": Coalesce(Sum("expected_savings"), ZERO, output_field=_MONEY),
    "verified": Coalesce(Sum("verified_savings", filter=Q(verified_at__isnull=False)), ZERO, output_field=_MONEY),
}
COUNT_FIELDS = frozenset(
    {"submitted", "adopted", "rejected", "implemented", "adoption_rate", "completion_rate", "women_share"}
)
PROJECT_FIELDS = frozenset({"projects", "project_cost", "expected_savings", "verified_savings"})


def _count_values(counts: dict[str, Any]) -> dict[str, Any]:
    submitted, adopted = counts["submitted"], counts["adopted"]
    return {
        "submitted": submitted,
        "adopted": adopted,
        "rejected": counts["rejected"],
        "implemented": counts["implemented"],
        "adoption_rate": _ratio(adopted, submitted),
        "completion_rate": _ratio(counts["implemented"], adopted),
        "women_share": _ratio(counts["women"], counts["gender_known"]),
    }


def _project_values(sums: dict[str, Any]) -> dict[str, Any]:
    return {
        "projects": sums["count"],
        "project_cost": Decimal(sums["cost"]),
        "expected_savings": Decimal(sums["expected"]),
        "verified_savings": Decimal(sums["verified"]),
    }


def _per_100(submitted: int, workers: int | None) -> float | None:
    per_100 = _ratio(submitted * 100, workers or 0)
    return round(per_100, 2) if per_100 is not None else None


def suggestion_numbers(*, enterprises: QuerySet[Enterprise], period: Period) -> SuggestionNumbers:
    """Every number of the suggestion scheme for ``enterprises`` in ``period`` (three queries, five
    where the medians take their own)."""
    suggestions = suggestions_in(enterprises, period)
    together = medians_in_database()
    row = suggestions.aggregate(**SUGGESTION_COUNTS, **(_median_aggregates() if together else {}))
    counts = _count_values(row)
    if together:
        medians = _median_values(row)
    else:
        medians = {
            "median_days_to_decision": median_days(decided(suggestions), "decided_at").get(""),
            "median_days_to_implementation": median_days(implemented(suggestions), "implemented_at").get(""),
        }
    projects = _project_values(projects_in(enterprises, period).aggregate(**PROJECT_SUMS))
    workers = enterprises.aggregate(total=Coalesce(Sum("employees_total"), 0))["total"]
    return SuggestionNumbers(
        **counts,
        **projects,
        median_days_to_decision=medians["median_days_to_decision"],
        median_days_to_implementation=medians["median_days_to_implementation"],
        per_100_workers=_per_100(counts["submitted"], workers),
    )


def grouped_numbers(
    *, enterprises: QuerySet[Enterprise], period: Period, grouping: Grouping, wanted: frozenset[str]
) -> dict[str, dict[str, Any]]:
    """The numbers named in ``wanted`` (fields of :class:`SuggestionNumbers`) per group of ``grouping``:
    child region, enterprise, month or half of a period pair.  One grouped query per table asked for;
    each group's values are those ``suggestion_numbers`` gives for that group alone.  Groups without
    records are missing."""
    suggestions = suggestions_in(enterprises, period)
    by_month = grouping.kind == "month"
    by_date = by_month or grouping.kind == "period"  # groups of time, not of enterprises
    if grouping.kind == "period":
        suggestion_key, project_key = grouping.half_key("submitted_at", instant=True), grouping.half_key("started_on")
    elif by_month:
        suggestion_key, project_key = TruncMonth("submitted_at"), TruncMonth("started_on")
    else:
        suggestion_key = project_key = grouping.enterprise_key("enterprise")

    def name(group: Any) -> str:
        if not by_month:
            return str(group)
        return month_key(timezone.localtime(group).date() if isinstance(group, dt.datetime) else group)

    result: dict[str, dict[str, Any]] = defaultdict(dict)
    together = bool(wanted & MEDIAN_FIELDS) and medians_in_database()
    if wanted & (COUNT_FIELDS | {"per_100_workers"}) or together:
        aggregates = {**SUGGESTION_COUNTS, **(_median_aggregates() if together else {})}
        rows = suggestions.annotate(group=suggestion_key).values("group").annotate(**aggregates).order_by()
        for row in rows:
            result[name(row["group"])].update(_count_values(row), **(_median_values(row) if together else {}))
    if "per_100_workers" in wanted:
        if by_date:  # every month or half has the same workforce: the enterprises' own
            total = enterprises.aggregate(total=Coalesce(Sum("employees_total"), 0))["total"]
            keys = grouping.halves(period) if not by_month else (month_key(month) for month in period.months())
            workers = dict.fromkeys(keys, total)
        else:
            staffed = enterprises.annotate(group=grouping.enterprise_key("")).values("group").order_by()
            workers = {name(r["group"]): r["total"] for r in staffed.annotate(total=Sum("employees_total"))}
        for key in set(result) | set(workers):
            result[key]["per_100_workers"] = _per_100(result[key].get("submitted", 0), workers.get(key))
    for field, queryset, until in (
        ("median_days_to_decision", decided(suggestions), "decided_at"),
        ("median_days_to_implementation", implemented(suggestions), "implemented_at"),
    ):
        if field in wanted and not together:
            for group, days in median_days(queryset, until, suggestion_key).items():
                result[name(group)][field] = days
    if wanted & PROJECT_FIELDS:
        sums = projects_in(enterprises, period).annotate(group=project_key).values("group").annotate(**PROJECT_SUMS)
        for row in sums.order_by():
            result[name(row["group"])].update(_project_values(row))
    return {key: {field: value for field, value in values.items() if field in wanted} for key, values in result.items()}


def status_counts(suggestions: QuerySet[Suggestion]) -> dict[str, int]:
    """How many suggestions are in each status (one query)."""
    rows = suggestions.order_by().values("status").annotate(n=Count("pk"))
    result = dict.fromkeys(SuggestionStatus.values, 0)
    for row in rows:
        result[row["status"]] = row["n"]
    return result
