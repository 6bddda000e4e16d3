"""The bench hook of the work-safety app (see ``scorehub.indicators.benchmark``).

``generate`` writes, for every enterprise and year, about 230 safety checks (mostly the enterprise's own
daily and weekly self-checks, a few SCORE walk-throughs, government inspections and joint visits, more
of these in the second year), each answering a handful of checklist items; a failed item opens a hidden
hazard, which with a few hazards from other sources makes about 30 hazards a year, most rectified and
verified on time.  Accidents follow the size of the workforce (fewer in the second year), and every
enterprise has its risk points.  Everything is written with ``ctx.copy`` (COPY on PostgreSQL).

``FLOORS["safety"]`` is the hand-written SQL over the raw tables that computes the same numbers as
``scorehub.safety.indicators.compute`` (``selectors.safety_numbers``): the bench compares the two.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.utils import timezone

from scorehub.indicators.base import Period

if TYPE_CHECKING:
    from scorehub.indicators.benchmark import BenchContext, FloorContext

#: Checks per enterprise and year, and their kinds (weights): self-checks dominate.
CHECKS_PER_YEAR = (205, 255)
KIND_WEIGHTS = {"self_check": 0.88, "walkthrough": 0.07, "government": 0.035, "joint_visit": 0.015}
#: Checklist items answered in one check, and the share that fails (about 26 hazards a year from checks).
ITEMS_PER_CHECK = (3, 7)
FAIL_SHARE = 0.022
#: Hazards a year from other sources (a worker's suggestion, a consulting visit, an accident).
OTHER_HAZARDS_PER_YEAR = (2, 6)
MAJOR_SHARE = 0.04
#: Accidents per 100 workers and year by severity (the first year; the second has fewer).
ACCIDENT_RATES = {"near_miss": 2.2, "first_aid": 1.1, "lost_time": 0.45, "serious": 0.05, "fatal": 0.004}
SECOND_YEAR_ACCIDENTS = 0.7
DAYS_LOST = {"near_miss": (0, 0), "first_aid": (0, 0), "lost_time": (1, 30), "serious": (30, 150), "fatal": (0, 0)}
INJURY = {"near_miss": "none", "first_aid": "minor", "lost_time": "lost_time", "serious": "serious", "fatal": "fatal"}
RISK_POINTS_PER_ENTERPRISE = (4, 12)
PLACES = ["一车间", "二车间", "三车间", "仓库", "配电房", "空压机房", "包装车间", "原料库"]
LEC = [("1", "6", "15"), ("3", "6", "7"), ("3", "6", "15"), ("1", "6", "40"), ("6", "6", "7"), ("3", "10", "15")]

FAIL = "fail"
ACCIDENT_SEVERITIES = ("first_aid", "lost_time", "serious", "fatal")
INSPECTION_KINDS = ("government", "joint_visit")
KINDS = ("self_check", "government", "joint_visit", "walkthrough")
CLASSES = ("general", "major")


def _checklist() -> tuple[int, list[tuple[int, str]]]:
    """A small checklist for the bench's checks: its version and its items (id, default hazard class)."""
    from .checklist_data import GENERAL_MANUFACTURING
    from .models import ChecklistItem, ChecklistTemplate, ChecklistVersion

    template, _created = ChecklistTemplate.objects.get_or_create(
        code="BENCH-MFG", defaults={"name_zh": "基准检查表", "name_en": "Bench checklist"}
    )
    version, _created = ChecklistVersion.objects.get_or_create(template=template, number=1)
    if not version.items.exists():
        ChecklistItem.objects.bulk_create(
            ChecklistItem(
                version=version,
                position=position,
                code=code,
                category=category,
                text_zh=text_zh,
                text_en=text_en,
                reference=reference,
                default_hazard_class=hazard_class,
            )
            for position, (code, category, text_zh, text_en, reference, hazard_class) in enumerate(
                GENERAL_MANUFACTURING[:24], start=1
            )
        )
    return version.pk, list(version.items.values_list("pk", "default_hazard_class"))


def _uuid(ctx: BenchContext) -> Any:
    value = uuid.UUID(int=ctx.rng.getrandbits(128), version=4)
    return str(value) if ctx.writer.vendor == "postgresql" else value.hex


def generate(ctx: BenchContext) -> None:
    from django.contrib.contenttypes.models import ContentType

    from .models import CheckResult, level_for_lec

    rng = ctx.rng
    version_id, items = _checklist()
    check_type = ContentType.objects.get_for_model(CheckResult).pk
    today = timezone.localdate()
    now = timezone.now()
    years = [(ctx.months[12 * y], _month_end(ctx.months[12 * y + 11])) for y in range(len(ctx.months) // 12)]
    kinds, weights = list(KIND_WEIGHTS), list(KIND_WEIGHTS.values())

    checks: list[tuple[Any, ...]] = []
    results: list[tuple[Any, ...]] = []
    hazards: list[tuple[Any, ...]] = []
    check_ids = _Ids(ctx, "safety_safetycheck")
    result_ids = _Ids(ctx, "safety_checkresult")
    hazard_ids = _Ids(ctx, "safety_hazard")

    def hazard(enterprise_id: int, found: dt.date, hazard_class: str, source: tuple[str, Any, Any, Any]) -> None:
        source_kind, source_type, source_id, check_result = source
        age = (today - found).days
        deadline = found + dt.timedelta(days=rng.choice((30, 45, 60) if hazard_class == "major" else (3, 7, 15, 30)))
        rectified = verified = closed = None
        status = "assigned"
        roll = rng.random()
        if (age > 45 and roll < 0.96) or (age <= 45 and roll < 0.55):
            late = 8 if roll > 0.9 else 0
            rectified = min(found + dt.timedelta(days=rng.randint(0, (deadline - found).days + late)), today)
            status = "rectified"
            if (today - rectified).days > 5:
                verified = min(rectified + dt.timedelta(days=rng.randint(1, 5)), today)
                status = "verified"
                if (today - verified).days > 10:
                    closed, status = verified, "closed"
        hazards.append(
            (
                hazard_ids.next(),
                enterprise_id,
                source_kind,
                source_type,
                source_id,
                "",
                check_result,
                rng.choice(PLACES),
                "基准隐患",
                hazard_class,
                "enforcement" if source_kind == "check" and rng.random() < 0.05 else "advice",
                status,
                found,
                None,
                "安全员",
                deadline,
                "",
                rectified,
                None,
                "已整改" if rectified else "",
                verified,
                None,
                closed,
                0,
                now,
                now,
            )
        )

    for enterprise in ctx.enterprises:
        for year, (first, last) in enumerate(years):
            span = (last - first).days
            for _ in range(rng.randint(*CHECKS_PER_YEAR)):
                check_id = check_ids.next()
                day = first + dt.timedelta(days=rng.randint(0, span))
                kind = rng.choices(kinds, weights)[0]
                if kind in INSPECTION_KINDS and year == 0 and rng.random() < 0.3:
                    kind = "self_check"  # the programme's second year sees more inspections
                checks.append(
                    (check_id, enterprise.id, kind, version_id, day, "", None, "", "", _uuid(ctx), False, now)
                )
                for item_id, item_class in rng.sample(items, rng.randint(*ITEMS_PER_CHECK)):
                    result_id = result_ids.next()
                    failed = rng.random() < FAIL_SHARE
                    results.append((result_id, check_id, item_id, FAIL if failed else "pass", ""))
                    if failed:
                        major = item_class == "major" or rng.random() < MAJOR_SHARE
                        hazard(enterprise.id, day, CLASSES[major], ("check", check_type, result_id, result_id))
            for _ in range(rng.randint(*OTHER_HAZARDS_PER_YEAR)):
                day = first + dt.timedelta(days=rng.randint(0, span))
                major = rng.random() < MAJOR_SHARE
                hazard(
                    enterprise.id, day, CLASSES[major], (rng.choice(("suggestion", "visit", "other")), None, None, None)
                )
    ctx.copy(
        "safety_safetycheck",
        [
            "id",
            "enterprise_id",
            "kind",
            "version_id",
            "checked_on",
            "place",
            "inspector_id",
            "participants",
            "note",
            "client_uuid",
            "industry_confirmed",
            "created_at",
        ],
        checks,
    )
    ctx.copy("safety_checkresult", ["id", "check_record_id", "item_id", "outcome", "note"], results)
    ctx.copy(
        "safety_hazard",
        [
            "id",
            "enterprise_id",
            "source_kind",
            "source_type_id",
            "source_id",
            "source_reference",
            "check_result_id",
            "place",
            "description",
            "hazard_class",
            "nature",
            "status",
            "found_on",
            "found_by_id",
            "responsible_person",
            "deadline",
            "required_measures",
            "rectified_on",
            "rectified_by_id",
            "rectification_note",
            "verified_on",
            "verified_by_id",
            "closed_on",
            "reopened_count",
            "created_at",
            "updated_at",
        ],
        hazards,
    )
    for written in (checks, results, hazards):
        written.clear()  # the memory goes back before the next tables

    accidents: list[tuple[Any, ...]] = []
    people: list[tuple[Any, ...]] = []
    accident_ids = _Ids(ctx, "safety_accident")
    person_ids = _Ids(ctx, "safety_affectedperson")
    points: list[tuple[Any, ...]] = []
    point_ids = _Ids(ctx, "safety_riskpoint")
    for enterprise in ctx.enterprises:
        for year, (first, last) in enumerate(years):
            span = (last - first).days
            factor = 1.0 if year == 0 else SECOND_YEAR_ACCIDENTS
            for severity, rate in ACCIDENT_RATES.items():
                for _ in range(_poisson(rng, rate * factor * enterprise.employees / 100)):
                    accident_id = accident_ids.next()
                    day = first + dt.timedelta(days=rng.randint(0, span))
                    accidents.append(
                        (
                            accident_id,
                            enterprise.id,
                            day,
                            rng.choice(PLACES),
                            "machinery",
                            severity,
                            "基准事故",
                            "",
                            "",
                            None,
                            now,
                        )
                    )
                    if severity == "near_miss":
                        continue
                    for _person in range(1 if rng.random() < 0.9 else 2):
                        low, high = DAYS_LOST[severity]
                        gender = rng.choice(("female", "male", "male"))
                        people.append(
                            (person_ids.next(), accident_id, gender, "worker", INJURY[severity], rng.randint(low, high))
                        )
        for number in range(rng.randint(*RISK_POINTS_PER_ENTERPRISE)):
            l_value, e_value, c_value = (Decimal(v) for v in rng.choice(LEC))
            score = l_value * e_value * c_value
            assessed = today - dt.timedelta(days=rng.randint(10, 700))
            points.append(
                (
                    point_ids.next(),
                    enterprise.id,
                    f"风险点{number + 1}",
                    rng.choice(PLACES),
                    "机械伤害、触电",
                    "lec",
                    l_value,
                    e_value,
                    c_value,
                    None,
                    None,
                    score,
                    level_for_lec(score),
                    "定期检查，持证上岗",
                    rng.choice(("company", "workshop", "team", "post")),
                    "安全员",
                    "",
                    assessed,
                    None,
                    now,
                    now,
                )
            )
    ctx.copy(
        "safety_accident",
        [
            "id",
            "enterprise_id",
            "occurred_on",
            "place",
            "accident_type",
            "severity",
            "description",
            "cause",
            "corrective_actions",
            "recorded_by_id",
            "created_at",
        ],
        accidents,
    )
    ctx.copy("safety_affectedperson", ["id", "accident_id", "gender", "role", "injury", "days_lost"], people)
    ctx.copy(
        "safety_riskpoint",
        [
            "id",
            "enterprise_id",
            "name",
            "place",
            "hazard_factors",
            "method",
            "lec_l",
            "lec_e",
            "lec_c",
            "likelihood",
            "severity",
            "score",
            "level",
            "control_measures",
            "responsible_level",
            "responsible_person",
            "emergency_measures",
            "assessed_on",
            "archived_at",
            "created_at",
            "updated_at",
        ],
        points,
    )


class _Ids:
    """Fresh ids for one table, taken from the writer in blocks (the counts are not known up front)."""

    BLOCK = 50_000

    def __init__(self, ctx: BenchContext, table: str) -> None:
        self.ctx, self.table = ctx, table
        self.block: range = range(0)
        self.index = 0

    def next(self) -> int:
        if self.index >= len(self.block):
            self.block, self.index = self.ctx.allocate(self.table, self.BLOCK), 0
        value = self.block[self.index]
        self.index += 1
        return value


def _poisson(rng: Any, mean: float) -> int:
    """A Poisson count (Knuth's method; the means here are small)."""
    import math

    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _month_end(first: dt.date) -> dt.date:
    following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


# ---------------------------------------------------------------------------------------------------
# The floor: the safety numbers straight from the raw tables.


def _change(current: int, baseline: int) -> float | None:
    return (current - baseline) / baseline if baseline else None


def _days_between(later: str, earlier: str) -> str:
    if connection.vendor == "postgresql":
        return f"({later} - {earlier})"
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


def _empty() -> dict[str, Any]:
    values: dict[str, Any] = {f"safety.checks_{kind}": 0 for kind in KINDS}
    values.update({"safety.checks": 0, "safety.items_failed": 0, "safety.inspections": 0})
    values["safety.inspections_baseline"] = 0
    for stage in ("found", "rectified", "verified", "overdue"):
        values[f"safety.hazards_{stage}"] = 0
        for hazard_class in CLASSES:
            values[f"safety.hazards_{stage}_{hazard_class}"] = 0
    values.update({"safety.hazards_found_rectified": 0, "safety.median_days_to_rectify": None})
    values.update({"safety.accidents": 0, "safety.accidents_baseline": 0, "safety.near_misses": 0})
    values.update({"safety.days_lost": 0, "safety.days_lost_baseline": 0})
    return values


def floor_safety(ctx: FloorContext) -> dict[str, dict[str, Any]]:
    if ctx.grouping is not None and ctx.grouping.kind == "month":
        # Safety has no monthly trend indicators: nothing of it is drawn month by month.
        return {}
    cursor, p, key = ctx.cursor, ctx.period, ctx.key_sql
    b: Period = p.previous()
    day = min(p.end, timezone.localdate())
    scope, scope_params = ctx.scope_sql, ctx.scope_params
    groups: dict[str, dict[str, Any]] = defaultdict(_empty)

    kind_sums = ", ".join(
        f"SUM(CASE WHEN c.checked_on >= %s AND c.kind = '{kind}' THEN 1 ELSE 0 END)" for kind in KINDS
    )
    cursor.execute(
        f"SELECT {key}, {kind_sums}, "  # noqa: S608 - constants and the bench's own scope SQL
        "SUM(CASE WHEN c.checked_on >= %s AND c.kind IN ('government', 'joint_visit') THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN c.checked_on <= %s AND c.kind IN ('government', 'joint_visit') THEN 1 ELSE 0 END) "
        "FROM safety_safetycheck c JOIN enterprises_enterprise e ON e.id = c.enterprise_id "
        f"WHERE {scope} AND c.checked_on >= %s AND c.checked_on <= %s GROUP BY 1",
        (*[p.start] * len(KINDS), p.start, b.end, *scope_params, b.start, p.end),
    )
    for row in cursor.fetchall():
        values = groups[str(row[0])]
        for kind, count in zip(KINDS, row[1:5], strict=True):
            values[f"safety.checks_{kind}"] = int(count or 0)
        values["safety.checks"] = sum(int(c or 0) for c in row[1:5])
        values["safety.inspections"] = int(row[5] or 0)
        values["safety.inspections_baseline"] = int(row[6] or 0)

    cursor.execute(
        f"SELECT {key}, COUNT(*) FROM safety_checkresult r "  # noqa: S608
        "JOIN safety_safetycheck c ON c.id = r.check_record_id JOIN enterprises_enterprise e ON e.id = c.enterprise_id "
        f"WHERE {scope} AND r.outcome = 'fail' AND c.checked_on >= %s AND c.checked_on <= %s GROUP BY 1",
        (*scope_params, p.start, p.end),
    )
    for group, count in cursor.fetchall():
        groups[str(group)]["safety.items_failed"] = int(count)

    found = "h.found_on >= %s AND h.found_on <= %s"
    rectified_by_day = "h.rectified_on IS NOT NULL AND h.rectified_on <= %s"
    columns, params = [], []
    for hazard_class in CLASSES:
        is_class = f"h.hazard_class = '{hazard_class}'"
        columns += [
            f"SUM(CASE WHEN {is_class} AND {found} THEN 1 ELSE 0 END)",
            f"SUM(CASE WHEN {is_class} AND h.rectified_on >= %s AND h.rectified_on <= %s THEN 1 ELSE 0 END)",
            f"SUM(CASE WHEN {is_class} AND h.verified_on >= %s AND h.verified_on <= %s THEN 1 ELSE 0 END)",
            f"SUM(CASE WHEN {is_class} AND h.found_on <= %s AND h.deadline < %s "
            "AND (h.rectified_on IS NULL OR h.rectified_on > %s) THEN 1 ELSE 0 END)",
        ]
        params += [p.start, p.end, p.start, p.end, p.start, p.end, day, day, day]
    columns.append(f"SUM(CASE WHEN {found} AND {rectified_by_day} THEN 1 ELSE 0 END)")
    params += [p.start, p.end, day]
    cursor.execute(
        f"SELECT {key}, {', '.join(columns)} FROM safety_hazard h "  # noqa: S608
        f"JOIN enterprises_enterprise e ON e.id = h.enterprise_id WHERE {scope} GROUP BY 1",
        (*params, *scope_params),
    )
    for row in cursor.fetchall():
        values = groups[str(row[0])]
        for index, hazard_class in enumerate(CLASSES):
            for offset, stage in enumerate(("found", "rectified", "verified", "overdue")):
                values[f"safety.hazards_{stage}_{hazard_class}"] = int(row[1 + 4 * index + offset] or 0)
        for stage in ("found", "rectified", "verified", "overdue"):
            values[f"safety.hazards_{stage}"] = sum(values[f"safety.hazards_{stage}_{c}"] for c in CLASSES)
        values["safety.hazards_found_rectified"] = int(row[9] or 0)

    # The median of the days to rectify: the middle one (or the mean of the middle two) by window functions.
    days = _days_between("h.rectified_on", "h.found_on")
    cursor.execute(
        f"""
        WITH base AS (
          SELECT {key} AS gkey, {days} AS n
          FROM safety_hazard h JOIN enterprises_enterprise e ON e.id = h.enterprise_id
          WHERE {scope} AND {found} AND {rectified_by_day}),
        d AS (
          SELECT gkey, n, ROW_NUMBER() OVER (PARTITION BY gkey ORDER BY n) AS position,
                 COUNT(*) OVER (PARTITION BY gkey) AS total
          FROM base)
        SELECT gkey, AVG(n) FROM d WHERE position IN ((total + 1) / 2, (total + 2) / 2) GROUP BY gkey
        """,  # noqa: S608
        (*scope_params, p.start, p.end, day),
    )
    for group, median in cursor.fetchall():
        groups[str(group)]["safety.median_days_to_rectify"] = median

    severities = ", ".join(f"'{s}'" for s in ACCIDENT_SEVERITIES)
    cursor.execute(
        f"SELECT {key}, "  # noqa: S608
        f"SUM(CASE WHEN a.occurred_on >= %s AND a.severity IN ({severities}) THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN a.occurred_on <= %s AND a.severity IN ({severities}) THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN a.occurred_on >= %s AND a.severity = 'near_miss' THEN 1 ELSE 0 END) "
        "FROM safety_accident a JOIN enterprises_enterprise e ON e.id = a.enterprise_id "
        f"WHERE {scope} AND a.occurred_on >= %s AND a.occurred_on <= %s GROUP BY 1",
        (p.start, b.end, p.start, *scope_params, b.start, p.end),
    )
    for group, current, baseline, near in cursor.fetchall():
        values = groups[str(group)]
        values.update(
            {
                "safety.accidents": int(current or 0),
                "safety.accidents_baseline": int(baseline or 0),
                "safety.near_misses": int(near or 0),
            }
        )
    cursor.execute(
        f"SELECT {key}, "  # noqa: S608
        "SUM(CASE WHEN a.occurred_on >= %s THEN ap.days_lost ELSE 0 END), "
        "SUM(CASE WHEN a.occurred_on <= %s THEN ap.days_lost ELSE 0 END) "
        "FROM safety_affectedperson ap JOIN safety_accident a ON a.id = ap.accident_id "
        "JOIN enterprises_enterprise e ON e.id = a.enterprise_id "
        f"WHERE {scope} AND a.occurred_on >= %s AND a.occurred_on <= %s GROUP BY 1",
        (p.start, b.end, *scope_params, b.start, p.end),
    )
    for group, current, baseline in cursor.fetchall():
        groups[str(group)].update(
            {"safety.days_lost": int(current or 0), "safety.days_lost_baseline": int(baseline or 0)}
        )

    if ctx.grouping is None:
        groups.setdefault("", _empty())  # a scope without any record still has its numbers (zeros)
    for values in groups.values():
        found_total = values["safety.hazards_found"]
        values["safety.rectification_rate"] = (
            values["safety.hazards_found_rectified"] / found_total if found_total else None
        )
        values["safety.inspections_change"] = _change(
            values["safety.inspections"], values["safety.inspections_baseline"]
        )
        values["safety.accidents_change"] = _change(values["safety.accidents"], values["safety.accidents_baseline"])
        values["safety.days_lost_change"] = _change(values["safety.days_lost"], values["safety.days_lost_baseline"])
    return dict(groups)


FLOORS = {"safety": floor_safety}
