"""The bench hook of the indicators app (see ``benchmark``): KPI records and assessments at the volumes
of the programme (twelve monthly KPI records per enterprise and year, one module cycle a year), and the
hand-written SQL floors of the registry's and the KPI sources' indicators."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from .base import month_key
from .catalogue import ensure_catalogue
from .selectors import CHANGE_PLACES, refresh_cycle_stats

if TYPE_CHECKING:
    from .benchmark import BenchContext, FloorContext

MODULES = ["WC", "OSH", "QM", "CP", "HR"]
# code: (low, high, effect of the programme)
LEVELS = {
    "labour_productivity": (18.0, 75.0, 0.12),
    "defect_rate": (1.2, 7.5, -0.30),
    "material_waste": (2.0, 9.0, -0.18),
    "energy_per_unit": (0.6, 4.5, -0.08),
    "absenteeism": (1.0, 5.5, -0.20),
    "staff_turnover": (0.8, 4.5, -0.25),
    "lost_time_accidents": (0.0, 1.6, -0.60),
    "overtime_hours": (12.0, 42.0, -0.15),
}


def generate(ctx: BenchContext) -> None:
    from .models import Kpi, Practice

    ensure_catalogue()
    rng = ctx.rng
    kpis = [(k.pk, LEVELS.get(k.code, (1.0, 10.0, 0.0))) for k in Kpi.objects.filter(is_active=True)]
    practices_by_module: dict[str, list[int]] = defaultdict(list)
    for practice in Practice.objects.filter(is_active=True):
        practices_by_module[practice.module].append(practice.pk)
    months = ctx.months
    now = timezone.now()
    record_ids = iter(ctx.allocate("indicators_kpirecord", len(ctx.enterprises) * len(months)))
    records: list[tuple[Any, ...]] = []
    values: list[tuple[Any, ...]] = []
    value_ids = iter(ctx.allocate("indicators_kpivalue", len(ctx.enterprises) * len(months) * len(kpis)))
    years = len(months) // 12
    assessments: list[tuple[Any, ...]] = []
    answers: list[tuple[Any, ...]] = []
    assessment_ids = iter(ctx.allocate("indicators_assessment", len(ctx.enterprises) * years * 2))
    answer_count = sum(len(practices_by_module[MODULES[y % len(MODULES)]]) for y in range(years)) * 2
    answer_ids = iter(ctx.allocate("indicators_practiceanswer", len(ctx.enterprises) * answer_count))
    for enterprise in ctx.enterprises:
        base = [rng.uniform(low, high) for _pk, (low, high, _effect) in kpis]
        strength = rng.uniform(0.3, 1.3)
        for index, month in enumerate(months):
            record_id = next(record_ids)
            records.append((record_id, enterprise.id, month, "", None, now, now))
            progress = min(1.0, max(0.0, (index % 12 - 3) / 6))
            for position, (kpi_id, (_low, _high, effect)) in enumerate(kpis):
                raw = base[position] * (1 + effect * strength * progress + rng.uniform(-0.06, 0.06))
                values.append((next(value_ids), record_id, kpi_id, f"{max(raw, 0.0):.2f}"))
        for year in range(years):
            module = MODULES[year % len(MODULES)]
            for stage, offset in (("baseline", 0), ("follow_up", 8)):
                assessment_id = next(assessment_ids)
                first, last = months[12 * year + offset], months[12 * year + offset + 2]
                assessed_on = last + dt.timedelta(days=rng.randint(5, 25))
                assessments.append(
                    (assessment_id, enterprise.id, module, stage, assessed_on, first, last, "", None, now, now)
                )
                share = 0.35 if stage == "baseline" else 0.8
                for practice_id in practices_by_module[module]:
                    answers.append((next(answer_ids), assessment_id, practice_id, rng.random() < share))
    ctx.copy(
        "indicators_kpirecord",
        ["id", "enterprise_id", "month", "note", "recorded_by_id", "created_at", "updated_at"],
        records,
    )
    ctx.copy("indicators_kpivalue", ["id", "record_id", "kpi_id", "value"], values)
    ctx.copy(
        "indicators_assessment",
        [
            "id",
            "enterprise_id",
            "module",
            "stage",
            "assessed_on",
            "kpi_from",
            "kpi_to",
            "note",
            "recorded_by_id",
            "created_at",
            "updated_at",
        ],
        assessments,
    )
    ctx.copy("indicators_practiceanswer", ["id", "assessment_id", "practice_id", "in_place"], answers)
    # The roll-up of KPI changes, built from the raw rows just written (as every write does).
    refresh_cycle_stats()


# ---------------------------------------------------------------------------------------------------
# Floors: the same numbers straight from the raw tables.


def _utc_offset_hours() -> int:
    now = timezone.localtime()
    offset = now.utcoffset() or dt.timedelta()
    return int(offset.total_seconds() // 3600)


def _month_of_created() -> str:
    if connection.vendor == "postgresql":
        return f"to_char(e.created_at AT TIME ZONE '{settings.TIME_ZONE}', 'YYYY-MM')"
    return f"strftime('%%Y-%%m', e.created_at, '{_utc_offset_hours():+d} hours')"


def floor_enterprises(ctx: FloorContext) -> dict[str, dict[str, Any]]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(ctx.period.start, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(ctx.period.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    if ctx.grouping is not None and ctx.grouping.kind == "month":
        ctx.cursor.execute(
            f"SELECT {_month_of_created()}, COUNT(*) FROM enterprises_enterprise e "  # noqa: S608
            f"WHERE {ctx.scope_sql} AND e.created_at >= %s AND e.created_at < %s GROUP BY 1",
            (*ctx.scope_params, start, end),
        )
        return {key: {"enterprises.added": n} for key, n in ctx.cursor.fetchall()}
    ctx.cursor.execute(
        f"SELECT {ctx.key_sql}, "  # noqa: S608
        "SUM(CASE WHEN e.archived_at IS NULL THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN e.created_at >= %s AND e.created_at < %s THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN e.archived_at IS NULL THEN e.employees_total ELSE 0 END), "
        "SUM(CASE WHEN e.archived_at IS NULL THEN e.employees_women ELSE 0 END) "
        f"FROM enterprises_enterprise e WHERE {ctx.scope_sql} GROUP BY 1",
        (start, end, *ctx.scope_params),
    )
    result = {}
    for key, count, added, employees, women in ctx.cursor.fetchall():
        employees, women = int(employees or 0), int(women or 0)
        result[str(key)] = {
            "enterprises.count": int(count or 0),
            "enterprises.added": int(added or 0),
            "enterprises.employees": employees,
            "enterprises.women": women,
            "enterprises.women_share": women / employees if employees else None,
        }
    if ctx.grouping is None and not result:
        result[""] = {
            "enterprises.count": 0,
            "enterprises.added": 0,
            "enterprises.employees": 0,
            "enterprises.women": 0,
            "enterprises.women_share": None,
        }
    return result


_FLOOR_CYCLES = """
    FROM indicators_assessment f
    JOIN indicators_assessment b
      ON b.enterprise_id = f.enterprise_id AND b.module = f.module AND b.stage = 'baseline'
    JOIN enterprises_enterprise e ON e.id = f.enterprise_id
    WHERE f.stage = 'follow_up' AND f.assessed_on >= %s AND f.assessed_on <= %s AND {scope}
"""


def floor_kpis(ctx: FloorContext) -> dict[str, dict[str, Any]]:
    from .models import Kpi, Practice

    cursor, p = ctx.cursor, ctx.period
    grouping = ctx.grouping
    result: dict[str, dict[str, Any]] = defaultdict(dict)
    if grouping is None or grouping.wants("kpis.records", "kpis.enterprises_reporting"):
        key = "r.month" if grouping is not None and grouping.kind == "month" else ctx.key_sql
        cursor.execute(
            f"SELECT {key}, COUNT(*), COUNT(DISTINCT r.enterprise_id) FROM indicators_kpirecord r "  # noqa: S608
            f"JOIN enterprises_enterprise e ON e.id = r.enterprise_id "
            f"WHERE {ctx.scope_sql} AND r.month >= %s AND r.month <= %s GROUP BY 1",
            (*ctx.scope_params, p.start, p.end),
        )
        for key_value, records, reporting in cursor.fetchall():
            if grouping is not None and grouping.kind == "month":
                month = key_value if isinstance(key_value, dt.date) else dt.date.fromisoformat(str(key_value)[:10])
                result[month_key(month)]["kpis.records"] = records
                continue
            result[str(key_value)].update({"kpis.records": records, "kpis.enterprises_reporting": reporting})
    if grouping is not None and grouping.kind == "month":
        return dict(result)
    cycles_sql = _FLOOR_CYCLES.format(scope=ctx.scope_sql)
    cycle_params = (p.start, p.end, *ctx.scope_params)
    if grouping is None or grouping.wants("kpis.cycles", "kpis.enterprises_followed_up"):
        cursor.execute(
            f"SELECT {ctx.key_sql}, COUNT(*), COUNT(DISTINCT f.enterprise_id) {cycles_sql} GROUP BY 1", cycle_params
        )
        for key_value, cycles, followed in cursor.fetchall():
            result[str(key_value)].update({"kpis.cycles": cycles, "kpis.enterprises_followed_up": followed})
    kpis = list(Kpi.objects.filter(is_active=True).order_by("order", "code"))
    if grouping is None or grouping.wants("kpis.change.", "kpis.improved_share"):
        cursor.execute(
            f"""
            WITH c AS (SELECT f.id AS cycle_id, f.enterprise_id, {ctx.key_sql} AS gkey, b.kpi_from AS b_from,
                              b.kpi_to AS b_to, f.kpi_from AS f_from, f.kpi_to AS f_to {cycles_sql}),
            pairs AS (
              SELECT c.gkey, v.kpi_id,
                     AVG(CASE WHEN r.month >= c.b_from AND r.month <= c.b_to THEN v.value END) AS b,
                     AVG(CASE WHEN r.month >= c.f_from AND r.month <= c.f_to THEN v.value END) AS f
              FROM c JOIN indicators_kpirecord r ON r.enterprise_id = c.enterprise_id
                   AND ((r.month >= c.b_from AND r.month <= c.b_to) OR (r.month >= c.f_from AND r.month <= c.f_to))
              JOIN indicators_kpivalue v ON v.record_id = r.id
              GROUP BY c.cycle_id, c.gkey, v.kpi_id)
            SELECT gkey, kpi_id,
                   SUM(CASE WHEN b IS NOT NULL AND f IS NOT NULL THEN 1 ELSE 0 END),
                   SUM(CASE WHEN b <> 0 AND f IS NOT NULL THEN 1 ELSE 0 END),
                   SUM(CASE WHEN b <> 0 AND f IS NOT NULL THEN (f - b) / b END),
                   SUM(CASE WHEN f > b THEN 1 ELSE 0 END), SUM(CASE WHEN f < b THEN 1 ELSE 0 END)
            FROM pairs GROUP BY gkey, kpi_id
            """,  # noqa: S608
            cycle_params,
        )
        stats: dict[str, dict[int, tuple[int, int, Any, int, int]]] = defaultdict(dict)
        for gkey, kpi_id, pairs, n, total, up, down in cursor.fetchall():
            stats[str(gkey)][kpi_id] = (int(pairs), int(n or 0), total, int(up or 0), int(down or 0))
        for key_value, by_kpi in stats.items():
            pairs_all = improved = 0
            for kpi in kpis:
                s = by_kpi.get(kpi.pk)
                mean = None
                if s and s[1]:
                    mean = (Decimal(str(s[2])) / s[1]).quantize(CHANGE_PLACES, rounding=ROUND_HALF_UP)
                result[key_value][f"kpis.change.{kpi.code}"] = mean
                if s:
                    pairs_all += s[0]
                    improved += s[3] if kpi.better == "higher" else s[4]
            result[key_value]["kpis.improved_share"] = improved / pairs_all if pairs_all else None
    if grouping is None or grouping.wants("practices."):
        answers_join = (
            "JOIN indicators_practiceanswer af ON af.assessment_id = f.id "
            "JOIN indicators_practiceanswer ab ON ab.assessment_id = b.id AND ab.practice_id = af.practice_id WHERE"
        )
        cursor.execute(
            f"SELECT {ctx.key_sql}, af.practice_id, COUNT(*), SUM(CASE WHEN ab.in_place THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN af.in_place THEN 1 ELSE 0 END) "
            + cycles_sql.replace("WHERE", answers_join, 1)
            + " GROUP BY 1, 2",
            cycle_params,
        )
        shares: dict[str, dict[int, tuple[int, int, int]]] = defaultdict(dict)
        for key_value, practice_id, pairs, at_b, at_f in cursor.fetchall():
            shares[str(key_value)][practice_id] = (int(pairs), int(at_b or 0), int(at_f or 0))
        practices = list(Practice.objects.filter(is_active=True))
        for key_value, by_practice in shares.items():
            for practice in practices:
                share = by_practice.get(practice.pk)
                result[key_value][f"practices.baseline.{practice.code}"] = share[1] / share[0] if share else None
                result[key_value][f"practices.follow_up.{practice.code}"] = share[2] / share[0] if share else None
    if grouping is None:
        totals = result.setdefault("", {})
        totals.setdefault("kpis.records", 0)
        totals.setdefault("kpis.enterprises_reporting", 0)
        totals.setdefault("kpis.cycles", 0)
        totals.setdefault("kpis.enterprises_followed_up", 0)
        totals.setdefault("kpis.improved_share", None)
        for kpi in kpis:
            totals.setdefault(f"kpis.change.{kpi.code}", None)
    return dict(result)


FLOORS = {"enterprises": floor_enterprises, "indicators": floor_kpis}
