"""The bench hook of the suggestions app (see ``scorehub.indicators.benchmark``).

``generate`` writes worker suggestions and improvement projects at the programme's volumes: about 125
suggestions per enterprise and year (busier and quieter enterprises around that), with the mix of the
programme's reports: three in four adopted, nearly all of those implemented (1,258 gathered, 944 adopted,
917 implemented: 97%), the rest rejected, a few merged as duplicates, and the most recent ones still
waiting.  About three improvement projects per enterprise and year, most completed, half of those with
savings verified by a trainer.  Rows go in with ``COPY`` (PostgreSQL) or batched inserts (SQLite).

``FLOORS`` holds the hand-written SQL over the raw tables that computes every ``suggestions.*``
indicator, totals and groups, for the bench to time the pages against and to check the API's numbers.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from scorehub.indicators.base import _add_months

from .demo import IDEAS, OWNERS, PROJECTS, REJECT_REASONS, WORKSHOPS

if TYPE_CHECKING:
    from scorehub.indicators.base import Period
    from scorehub.indicators.benchmark import BenchContext, FloorContext

#: Suggestions per enterprise and year, on average; each enterprise is busier or quieter by ±40 %.
PER_YEAR = 125
ADOPTED_SHARE = 944 / 1258
IMPLEMENTED_SHARE = 917 / 944
MERGED_SHARE = 0.01
PROJECTS_PER_YEAR = 3

SUGGESTION_COLUMNS = [
    "id",
    "enterprise_id",
    "workshop",
    "problem",
    "proposal",
    "category",
    "submitter_name",
    "submitter_contact",
    "submitter_gender",
    "channel",
    "tracking_code",
    "status",
    "submitted_at",
    "decided_at",
    "implemented_at",
    "rejection_reason",
    "owner_name",
    "due_date",
    "implementation_note",
    "duplicate_of_id",
    "created_at",
    "updated_at",
]
PROJECT_COLUMNS = [
    "id",
    "enterprise_id",
    "title",
    "goal",
    "team",
    "module",
    "category",
    "status",
    "started_on",
    "completed_on",
    "cost",
    "expected_savings",
    "verified_savings",
    "verified_at",
    "verification_note",
    "created_at",
    "updated_at",
]


def _story(rng: Any, submitted: dt.datetime, now: dt.datetime) -> tuple[str, dt.datetime | None, dt.datetime | None]:
    """(status, decided at, implemented at) of one suggestion, never later than ``now``."""
    decided = submitted + dt.timedelta(days=rng.randint(1, 20), minutes=rng.randint(0, 600))
    if decided > now:
        return ("under_review" if rng.random() < 0.5 else "submitted"), None, None
    if rng.random() >= ADOPTED_SHARE:
        return "rejected", decided, None
    if rng.random() >= IMPLEMENTED_SHARE:
        return "adopted", decided, None
    implemented = decided + dt.timedelta(days=rng.randint(2, 45), minutes=rng.randint(0, 600))
    if implemented > now:
        return "in_progress", decided, None
    return "implemented", decided, implemented


def generate(ctx: BenchContext) -> None:
    rng = ctx.rng
    now = timezone.now()
    first_day = ctx.months[0]
    last_day = _add_months(ctx.months[-1], 1) - dt.timedelta(days=1)
    days = (last_day - first_day).days + 1
    years = len(ctx.months) / 12
    tz = timezone.get_current_timezone()
    counts = [max(1, round(PER_YEAR * years * rng.uniform(0.6, 1.4))) for _ in ctx.enterprises]
    ids = iter(ctx.allocate("suggestions_suggestion", sum(counts)))
    suggestions: list[tuple[Any, ...]] = []
    for enterprise, count in zip(ctx.enterprises, counts, strict=True):
        previous_id: int | None = None
        for _ in range(count):
            pk = next(ids)
            category, problem, proposal = IDEAS[rng.randrange(len(IDEAS))]
            day = first_day + dt.timedelta(days=rng.randrange(days))
            submitted = dt.datetime.combine(day, dt.time(rng.randint(7, 19), rng.randrange(60)), tzinfo=tz)
            status, decided, implemented = _story(rng, submitted, now)
            duplicate_of = None
            if previous_id is not None and rng.random() < MERGED_SHARE:
                status, decided, implemented, duplicate_of = "merged", decided, None, previous_id
            gender_roll = rng.random()
            gender = "" if gender_roll < 0.4 else "woman" if gender_roll < 0.64 else "man"
            channel_roll = rng.random()
            channel = "qr" if channel_roll < 0.7 else "manual" if channel_roll < 0.95 else "import"
            suggestions.append(
                (
                    pk,
                    enterprise.id,
                    WORKSHOPS[pk % len(WORKSHOPS)] if channel_roll < 0.7 else "",
                    problem,
                    proposal,
                    category,
                    "",
                    "",
                    gender,
                    channel,
                    # Never a code a worker was given: those use no "0" (see CODE_ALPHABET).
                    f"0{pk:09d}",
                    status,
                    submitted,
                    decided,
                    implemented,
                    REJECT_REASONS[pk % len(REJECT_REASONS)] if status == "rejected" else "",
                    OWNERS[pk % len(OWNERS)] if status == "in_progress" else "",
                    (decided + dt.timedelta(days=30)).date() if status == "in_progress" and decided else None,
                    "已按建议完成整改，班组长验收。" if status == "implemented" else "",
                    duplicate_of,
                    submitted,
                    implemented or decided or submitted,
                )
            )
            previous_id = pk
    ctx.copy("suggestions_suggestion", SUGGESTION_COLUMNS, suggestions)

    project_counts = [max(0, round(PROJECTS_PER_YEAR * years * rng.uniform(0.3, 1.7))) for _ in ctx.enterprises]
    project_ids = iter(ctx.allocate("suggestions_improvementproject", sum(project_counts)))
    projects: list[tuple[Any, ...]] = []
    today = timezone.localdate()
    for enterprise, count in zip(ctx.enterprises, project_counts, strict=True):
        for _ in range(count):
            title, goal, module, category, _cost, _expected, _measure = PROJECTS[rng.randrange(len(PROJECTS))]
            started = first_day + dt.timedelta(days=rng.randrange(days))
            cost = Decimal(rng.randint(50_000, 8_000_000)) / 100
            expected = Decimal(rng.randint(0, 20_000_000)) / 100
            completed = started + dt.timedelta(days=rng.randint(20, 150))
            roll = rng.random()
            status = (
                "completed"
                if roll < 0.65
                else "in_progress"
                if roll < 0.9
                else "planned"
                if roll < 0.95
                else "cancelled"
            )
            if status == "completed" and completed > today:
                status = "in_progress"
            verified_savings = verified_at = None
            if status == "completed" and rng.random() < 0.5:
                verified_savings = (expected * Decimal(rng.randint(70, 110)) / 100).quantize(Decimal("0.01"))
                verified_at = min(now, dt.datetime.combine(completed, dt.time(15), tzinfo=tz) + dt.timedelta(days=14))
            created = dt.datetime.combine(started, dt.time(9), tzinfo=tz)
            projects.append(
                (
                    next(project_ids),
                    enterprise.id,
                    title,
                    goal,
                    "改善团队",
                    module,
                    category,
                    status,
                    started,
                    completed if status == "completed" else None,
                    cost,
                    expected,
                    verified_savings,
                    verified_at,
                    "核对了电费单和生产记录" if verified_at else "",
                    created,
                    verified_at or created,
                )
            )
    ctx.copy("suggestions_improvementproject", PROJECT_COLUMNS, projects)


# ---------------------------------------------------------------------------------------------------
# The floor: the same numbers straight from the raw tables.

CODES = (
    "submitted",
    "adopted",
    "rejected",
    "implemented",
    "adoption_rate",
    "completion_rate",
    "median_days_to_decision",
    "median_days_to_implementation",
    "projects",
    "project_cost",
    "expected_savings",
    "verified_savings",
    "per_100_workers",
    "women_share",
)
COUNTS = ("submitted", "adopted", "rejected", "implemented", "adoption_rate", "completion_rate", "women_share")
MONEY = ("projects", "project_cost", "expected_savings", "verified_savings")
CENT = Decimal("0.01")


def _instant(value: dt.datetime) -> Any:
    """A bound for a date-time column: as stored (UTC text) on SQLite, as it is on PostgreSQL."""
    if connection.vendor == "postgresql":
        return value
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _local_month(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"to_char({column} AT TIME ZONE '{settings.TIME_ZONE}', 'YYYY-MM')"
    offset = timezone.localtime().utcoffset() or dt.timedelta()
    return f"strftime('%%Y-%%m', {column}, '{int(offset.total_seconds() // 3600):+d} hours')"


def _month(column: str) -> str:
    return f"to_char({column}, 'YYYY-MM')" if connection.vendor == "postgresql" else f"strftime('%%Y-%%m', {column})"


def _seconds(later: str, earlier: str) -> str:
    """The order of durations (the values themselves are worked out from the two instants in Python)."""
    if connection.vendor == "postgresql":
        return f"({later} - {earlier})"
    return f"(julianday({later}) - julianday({earlier}))"


def _parse(value: Any) -> dt.datetime:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


def _money(value: Any) -> Decimal:
    return (value if isinstance(value, Decimal) else Decimal(repr(value or 0))).quantize(CENT)


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def floor_suggestions(ctx: FloorContext) -> dict[str, dict[str, Any]]:
    grouping = ctx.grouping
    wanted = [c for c in CODES if grouping is None or grouping.wants(f"suggestions.{c}")]
    if not wanted:
        return {}
    by_month = grouping is not None and grouping.kind == "month"
    suggestion_key = _local_month("s.submitted_at") if by_month else ctx.key_sql
    project_key = _month("p.started_on") if by_month else ctx.key_sql
    tz = timezone.get_current_timezone()
    period: Period = ctx.period
    start = _instant(dt.datetime.combine(period.start, dt.time.min, tzinfo=tz))
    end = _instant(dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz))
    counted = (
        "FROM suggestions_suggestion s JOIN enterprises_enterprise e ON e.id = s.enterprise_id "
        f"WHERE {ctx.scope_sql} AND s.submitted_at >= %s AND s.submitted_at < %s AND s.status <> 'merged'"
    )
    params = (*ctx.scope_params, start, end)
    cursor = ctx.cursor
    result: dict[str, dict[str, Any]] = defaultdict(dict)

    if set(wanted) & {*COUNTS, "per_100_workers"}:
        cursor.execute(
            f"SELECT {suggestion_key}, COUNT(*), "
            "SUM(CASE WHEN s.status IN ('adopted', 'in_progress', 'implemented') THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN s.status = 'rejected' THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN s.status = 'implemented' THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN s.submitter_gender = 'woman' THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN s.submitter_gender <> '' THEN 1 ELSE 0 END) "
            f"{counted} GROUP BY 1",
            params,
        )
        for key, submitted, adopted, rejected, implemented, women, known in cursor.fetchall():
            adopted, implemented = int(adopted or 0), int(implemented or 0)
            result[str(key)].update(
                {
                    "submitted": int(submitted),
                    "adopted": adopted,
                    "rejected": int(rejected or 0),
                    "implemented": implemented,
                    "adoption_rate": _ratio(adopted, int(submitted)),
                    "completion_rate": _ratio(implemented, adopted),
                    "women_share": _ratio(int(women or 0), int(known or 0)),
                }
            )
    if "per_100_workers" in wanted:
        if by_month:
            cursor.execute(
                f"SELECT SUM(e.employees_total) FROM enterprises_enterprise e WHERE {ctx.scope_sql}",  # noqa: S608
                ctx.scope_params,
            )
            total = cursor.fetchone()[0]
            first = period.start.replace(day=1)
            workers = {}
            while first <= period.end:
                workers[f"{first.year:04d}-{first.month:02d}"] = total
                first = _add_months(first, 1)
        else:
            cursor.execute(
                f"SELECT {ctx.key_sql}, SUM(e.employees_total) FROM enterprises_enterprise e "  # noqa: S608
                f"WHERE {ctx.scope_sql} GROUP BY 1",
                ctx.scope_params,
            )
            workers = {str(key): total for key, total in cursor.fetchall()}
        for key in set(result) | set(workers):
            staff = int(workers.get(key) or 0)
            per_100 = _ratio(result[key].get("submitted", 0) * 100, staff)
            result[key]["per_100_workers"] = round(per_100, 2) if per_100 is not None else None
    for code, until, only_implemented in (
        ("median_days_to_decision", "decided_at", False),
        ("median_days_to_implementation", "implemented_at", True),
    ):
        if code not in wanted:
            continue
        extra = " AND s.status = 'implemented'" if only_implemented else ""
        cursor.execute(
            f"""
            WITH d AS (
              SELECT {suggestion_key} AS gkey, s.id, s.submitted_at AS a, s.{until} AS b,
                     {_seconds(f"s.{until}", "s.submitted_at")} AS duration
              {counted} AND s.decided_at IS NOT NULL AND s.status <> 'under_review' AND s.{until} IS NOT NULL{extra}
            ), r AS (
              SELECT gkey, a, b, ROW_NUMBER() OVER (PARTITION BY gkey ORDER BY duration, id) AS rn,
                     COUNT(*) OVER (PARTITION BY gkey) AS n
              FROM d
            )
            SELECT gkey, a, b FROM r WHERE rn >= (n + 1) / 2 AND rn <= (n + 2) / 2
            """,  # noqa: S608
            params,
        )
        middle: dict[str, list[float]] = defaultdict(list)
        for key, submitted_at, until_at in cursor.fetchall():
            middle[str(key)].append((_parse(until_at) - _parse(submitted_at)).total_seconds() / 86400)
        for key, values in middle.items():
            result[key][code] = round(sum(values) / len(values), 1)
    if set(wanted) & set(MONEY):
        cursor.execute(
            f"SELECT {project_key}, COUNT(*), SUM(p.cost), SUM(p.expected_savings), "  # noqa: S608
            "SUM(CASE WHEN p.verified_at IS NOT NULL THEN p.verified_savings END) "
            "FROM suggestions_improvementproject p JOIN enterprises_enterprise e ON e.id = p.enterprise_id "
            f"WHERE {ctx.scope_sql} AND p.started_on >= %s AND p.started_on <= %s GROUP BY 1",
            (*ctx.scope_params, period.start, period.end),
        )
        for key, count, cost, expected, verified in cursor.fetchall():
            result[str(key)].update(
                {
                    "projects": int(count),
                    "project_cost": _money(cost),
                    "expected_savings": _money(expected),
                    "verified_savings": _money(verified),
                }
            )
    if grouping is None:
        totals = result[""]
        for code in wanted:
            if code in ("submitted", "adopted", "rejected", "implemented", "projects"):
                totals.setdefault(code, 0)
            elif code in MONEY:
                totals.setdefault(code, Decimal("0.00"))
            else:
                totals.setdefault(code, None)
    return {
        key: {f"suggestions.{code}": value for code, value in values.items() if code in wanted}
        for key, values in result.items()
    }


FLOORS = {"suggestions": floor_suggestions}
