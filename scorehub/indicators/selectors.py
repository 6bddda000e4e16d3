"""Reads: the numbers of KPIs and good practices, for the indicator layer and the app's own pages.

Every function takes the enterprises to count (already narrowed to what the user may see) and a
period, and answers with one aggregate query, optionally grouped (by child region, enterprise or
month; ``None`` means one total under the key ``""``).

Definitions (see docs/indicators.md):

* A **module cycle** is a follow-up assessment of a module in an enterprise that has a baseline
  assessment of the same module.  It counts in the period its follow-up took place.
* The **change** in a KPI for a cycle is (follow-up average − baseline average) ÷ baseline average, the
  averages taken over the KPI records of the months each assessment names.  A cycle whose baseline
  average is 0 has no change (zero denominator).  The change of a scope is the mean over its cycles.
* A KPI **improved** in a cycle when its follow-up average moved in the KPI's better direction.
* The **share** of a good practice at baseline (follow-up) is the share of cycles whose baseline
  (follow-up) checklist has it in place, among the cycles whose both checklists answer it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection
from django.db.models import CharField, Count, QuerySet
from django.db.models.functions import Cast

from scorehub.core.rawsql import subquery
from scorehub.enterprises.models import Enterprise

from .base import Grouping, Period, month_key
from .models import KpiRecord, Stage

#: Changes are kept to four decimals (0.01 %), so that every database gives the same digits.
CHANGE_PLACES = Decimal("0.0001")


def _group_sql(grouping: Grouping | None, day: str = "f.assessed_on") -> tuple[str, tuple[Any, ...]]:
    """The SQL group key over the enterprise table aliased ``e`` (and, for the halves of a period pair,
    the record's date column ``day``)."""
    if grouping is None:
        return "''", ()
    if grouping.kind == "cycle":  # one group per follow-up assessment (the enterprise's KPI tab)
        return "f.id", ()
    return grouping.key_sql(day=day)


def month_start(period: Period) -> dt.date:
    return period.start.replace(day=1)


# ---------------------------------------------------------------------------------------------------
# KPI records


def kpi_record_counts(
    enterprises: QuerySet[Enterprise], period: Period, grouping: Grouping | None = None
) -> dict[str, dict[str, int]]:
    """KPI records whose month lies in the period, and the enterprises that reported them.

    A record describes a whole month; it counts in the period when its month starts inside it (a
    period that starts mid-month counts the records of the following months only).
    """
    records = KpiRecord.objects.filter(
        enterprise__in=enterprises.order_by().values("pk"), month__gte=period.start, month__lte=period.end
    )
    if grouping is not None and grouping.kind == "month":
        rows = records.values("month").annotate(records=Count("pk"), reporting=Count("enterprise", distinct=True))
        result: dict[str, dict[str, int]] = {}
        for row in rows.order_by():
            result[month_key(row["month"])] = {"records": row["records"], "reporting": row["reporting"]}
        return result
    if grouping is None:
        row = records.aggregate(records=Count("pk"), reporting=Count("enterprise", distinct=True))
        return {"": {"records": row["records"], "reporting": row["reporting"]}}
    key = grouping.half_key("month") if grouping.kind == "period" else grouping.enterprise_key("enterprise")
    if grouping.kind == "enterprise":
        key = Cast("enterprise_id", output_field=CharField())
    rows = (
        records.annotate(key=key)
        .values("key")
        .annotate(records=Count("pk"), reporting=Count("enterprise", distinct=True))
    )
    return {str(r["key"]): {"records": r["records"], "reporting": r["reporting"]} for r in rows.order_by()}


# ---------------------------------------------------------------------------------------------------
# KPI changes over module cycles


@dataclass
class ChangeStats:
    pairs: int = 0  # cycles with a baseline and a follow-up average
    with_change: int = 0  # of those, cycles whose baseline average is not 0
    change_sum: Decimal = Decimal(0)
    up: int = 0
    down: int = 0

    @property
    def mean_change(self) -> Decimal | None:
        if not self.with_change:
            return None
        return (self.change_sum / self.with_change).quantize(CHANGE_PLACES, rounding=ROUND_HALF_UP)

    def improved(self, better: str) -> int:
        return self.up if better == "higher" else self.down


_CYCLES_SQL = """
    SELECT f.id AS cycle_id, f.enterprise_id AS enterprise_id, {key} AS gkey,
           b.kpi_from AS b_from, b.kpi_to AS b_to, f.kpi_from AS f_from, f.kpi_to AS f_to
    FROM indicators_assessment f
    JOIN indicators_assessment b
      ON b.enterprise_id = f.enterprise_id AND b.module = f.module AND b.stage = %s
    JOIN enterprises_enterprise e ON e.id = f.enterprise_id
    WHERE f.stage = %s AND f.assessed_on >= %s AND f.assessed_on <= %s
      AND f.enterprise_id IN ({enterprises})
"""

_KPI_CHANGE_SQL = """
WITH cycles AS ({cycles}),
pairs AS (
    SELECT c.cycle_id, c.gkey, v.kpi_id,
           AVG(CASE WHEN r.month >= c.b_from AND r.month <= c.b_to THEN v.value END) AS b,
           AVG(CASE WHEN r.month >= c.f_from AND r.month <= c.f_to THEN v.value END) AS f
    FROM cycles c
    JOIN indicators_kpirecord r
      ON r.enterprise_id = c.enterprise_id
     AND ((r.month >= c.b_from AND r.month <= c.b_to) OR (r.month >= c.f_from AND r.month <= c.f_to))
    JOIN indicators_kpivalue v ON v.record_id = r.id
    GROUP BY c.cycle_id, c.gkey, v.kpi_id
)
SELECT gkey, kpi_id,
       SUM(CASE WHEN b IS NOT NULL AND f IS NOT NULL THEN 1 ELSE 0 END),
       SUM(CASE WHEN b IS NOT NULL AND f IS NOT NULL AND b <> 0 THEN 1 ELSE 0 END),
       SUM(CASE WHEN b IS NOT NULL AND f IS NOT NULL AND b <> 0 THEN (f - b) / b END),
       SUM(CASE WHEN f > b THEN 1 ELSE 0 END),
       SUM(CASE WHEN f < b THEN 1 ELSE 0 END)
FROM pairs
GROUP BY gkey, kpi_id
"""


def _cycles(
    enterprises: QuerySet[Enterprise], period: Period, grouping: Grouping | None
) -> tuple[str, tuple[Any, ...]]:
    key_sql, key_params = _group_sql(grouping)
    scope_sql, sub_params = subquery(enterprises)
    sql = _CYCLES_SQL.format(key=key_sql, enterprises=scope_sql)
    params = (*key_params, Stage.BASELINE, Stage.FOLLOW_UP, period.start, period.end, *sub_params)
    return sql, params


def kpi_changes_raw(
    enterprises: QuerySet[Enterprise], period: Period, grouping: Grouping | None = None
) -> dict[str, dict[int, ChangeStats]]:
    """Per group and KPI id: the cycles followed up in the period and how their KPIs changed, computed
    from the raw records (the definition; ``kpi_changes`` reads the same from the maintained roll-up)."""
    if grouping is not None and grouping.kind == "month":
        return {}
    cycles_sql, params = _cycles(enterprises, period, grouping)
    with connection.cursor() as cursor:
        cursor.execute(_KPI_CHANGE_SQL.format(cycles=cycles_sql), params)
        return _change_stats(cursor.fetchall())


def _change_stats(rows: list[tuple[Any, ...]]) -> dict[str, dict[int, ChangeStats]]:
    result: dict[str, dict[int, ChangeStats]] = defaultdict(dict)
    for gkey, kpi_id, pairs, with_change, change_sum, up, down in rows:
        result[str(gkey)][kpi_id] = ChangeStats(
            pairs=int(pairs or 0),
            with_change=int(with_change or 0),
            change_sum=Decimal(str(change_sum)) if change_sum is not None else Decimal(0),
            up=int(up or 0),
            down=int(down or 0),
        )
    return dict(result)


# The maintained roll-up (``CycleKpiStat``): one row per module cycle and KPI, with the cycle's change
# already divided out, so that a province's dashboard only sums.

_ROLLUP_CHANGE_SQL = """
SELECT {key} AS gkey, s.kpi_id,
       COUNT(s.direction),
       COUNT(s.change),
       SUM(s.change),
       SUM(CASE WHEN s.direction = 1 THEN 1 ELSE 0 END),
       SUM(CASE WHEN s.direction = -1 THEN 1 ELSE 0 END)
FROM indicators_cyclekpistat s
JOIN enterprises_enterprise e ON e.id = s.enterprise_id
WHERE s.assessed_on >= %s AND s.assessed_on <= %s AND s.enterprise_id IN ({enterprises})
GROUP BY 1, 2
"""


def kpi_changes(
    enterprises: QuerySet[Enterprise], period: Period, grouping: Grouping | None = None
) -> dict[str, dict[int, ChangeStats]]:
    """Per group and KPI id: the cycles followed up in the period and how their KPIs changed."""
    if grouping is not None and grouping.kind == "month":
        return {}
    key_sql, key_params = _group_sql(grouping, "s.assessed_on")
    if grouping is not None and grouping.kind == "cycle":
        key_sql = "s.follow_up_id"
    scope_sql, sub_params = subquery(enterprises)
    sql = _ROLLUP_CHANGE_SQL.format(key=key_sql, enterprises=scope_sql)
    with connection.cursor() as cursor:
        cursor.execute(sql, (*key_params, period.start, period.end, *sub_params))
        return _change_stats(cursor.fetchall())


_REFRESH_SQL = """
INSERT INTO indicators_cyclekpistat
    (follow_up_id, enterprise_id, assessed_on, kpi_id,
     baseline_sum, baseline_count, follow_up_sum, follow_up_count, change, direction)
SELECT cycle_id, enterprise_id, assessed_on, kpi_id, bs, bc, fs, fc,
       CASE WHEN bc > 0 AND fc > 0 AND bs <> 0 THEN ({f} - {b}) / {b} END,
       CASE WHEN bc > 0 AND fc > 0 THEN (CASE WHEN {f} > {b} THEN 1 WHEN {f} < {b} THEN -1 ELSE 0 END) END
FROM (
    SELECT c.cycle_id, c.enterprise_id, c.assessed_on, v.kpi_id,
           SUM(CASE WHEN r.month >= c.b_from AND r.month <= c.b_to THEN v.value END) AS bs,
           SUM(CASE WHEN r.month >= c.b_from AND r.month <= c.b_to THEN 1 ELSE 0 END) AS bc,
           SUM(CASE WHEN r.month >= c.f_from AND r.month <= c.f_to THEN v.value END) AS fs,
           SUM(CASE WHEN r.month >= c.f_from AND r.month <= c.f_to THEN 1 ELSE 0 END) AS fc
    FROM (
        SELECT f.id AS cycle_id, f.enterprise_id, f.assessed_on,
               b.kpi_from AS b_from, b.kpi_to AS b_to, f.kpi_from AS f_from, f.kpi_to AS f_to
        FROM indicators_assessment f
        JOIN indicators_assessment b
          ON b.enterprise_id = f.enterprise_id AND b.module = f.module AND b.stage = %s
        WHERE f.stage = %s {only}
    ) c
    JOIN indicators_kpirecord r
      ON r.enterprise_id = c.enterprise_id
     AND ((r.month >= c.b_from AND r.month <= c.b_to) OR (r.month >= c.f_from AND r.month <= c.f_to))
    JOIN indicators_kpivalue v ON v.record_id = r.id
    GROUP BY c.cycle_id, c.enterprise_id, c.assessed_on, v.kpi_id
) t
"""


def refresh_cycle_stats(enterprise_ids: Iterable[int] | None = None) -> None:
    """Rebuild the roll-up rows of these enterprises (all when ``None``) from the raw tables.

    Called inside the transaction of every write to KPI records or assessments, so the roll-up never
    differs from the records it sums up.
    """
    from .models import CycleKpiStat

    params: tuple[int, ...] = ()
    if enterprise_ids is None:
        only = ""
        CycleKpiStat.objects.all().delete()
    else:
        ids = sorted({int(pk) for pk in enterprise_ids})
        if not ids:
            return
        only = f"AND f.enterprise_id IN ({', '.join(['%s'] * len(ids))})"
        params = tuple(ids)
        CycleKpiStat.objects.filter(enterprise_id__in=ids).delete()
    # The means exactly as AVG computes them (SQLite keeps whole numbers as integers: divide as reals).
    if connection.vendor == "sqlite":
        means = {"b": "(CAST(bs AS REAL) / bc)", "f": "(CAST(fs AS REAL) / fc)"}
    else:
        means = {"b": "(bs / bc)", "f": "(fs / fc)"}
    with connection.cursor() as cursor:
        cursor.execute(_REFRESH_SQL.format(only=only, **means), (Stage.BASELINE, Stage.FOLLOW_UP, *params))


_CYCLE_COUNT_SQL = """
SELECT {key} AS gkey, COUNT(*), COUNT(DISTINCT f.enterprise_id)
FROM indicators_assessment f
JOIN indicators_assessment b ON b.enterprise_id = f.enterprise_id AND b.module = f.module AND b.stage = %s
JOIN enterprises_enterprise e ON e.id = f.enterprise_id
WHERE f.stage = %s AND f.assessed_on >= %s AND f.assessed_on <= %s AND f.enterprise_id IN ({enterprises})
GROUP BY 1
"""


def cycle_counts(
    enterprises: QuerySet[Enterprise], period: Period, grouping: Grouping | None = None
) -> dict[str, tuple[int, int]]:
    """Module cycles (follow-ups with a baseline) whose follow-up falls in the period, and the
    enterprises they belong to."""
    if grouping is not None and grouping.kind == "month":
        return {}
    key_sql, key_params = _group_sql(grouping)
    scope_sql, sub_params = subquery(enterprises)
    sql = _CYCLE_COUNT_SQL.format(key=key_sql, enterprises=scope_sql)
    if grouping is None:
        sql = sql.replace("GROUP BY 1", "")
    with connection.cursor() as cursor:
        cursor.execute(sql, (*key_params, Stage.BASELINE, Stage.FOLLOW_UP, period.start, period.end, *sub_params))
        return {str(gkey): (int(n), int(m)) for gkey, n, m in cursor.fetchall()}


# ---------------------------------------------------------------------------------------------------
# Good practices


@dataclass
class PracticeStats:
    pairs: int = 0
    at_baseline: int = 0
    at_follow_up: int = 0

    @property
    def baseline_share(self) -> float | None:
        return self.at_baseline / self.pairs if self.pairs else None

    @property
    def follow_up_share(self) -> float | None:
        return self.at_follow_up / self.pairs if self.pairs else None


_PRACTICE_SQL = """
SELECT {key} AS gkey, af.practice_id,
       COUNT(*),
       SUM(CASE WHEN ab.in_place THEN 1 ELSE 0 END),
       SUM(CASE WHEN af.in_place THEN 1 ELSE 0 END)
FROM indicators_assessment f
JOIN indicators_assessment b ON b.enterprise_id = f.enterprise_id AND b.module = f.module AND b.stage = %s
JOIN enterprises_enterprise e ON e.id = f.enterprise_id
JOIN indicators_practiceanswer af ON af.assessment_id = f.id
JOIN indicators_practiceanswer ab ON ab.assessment_id = b.id AND ab.practice_id = af.practice_id
WHERE f.stage = %s AND f.assessed_on >= %s AND f.assessed_on <= %s AND f.enterprise_id IN ({enterprises})
GROUP BY 1, 2
"""


def practice_shares(
    enterprises: QuerySet[Enterprise], period: Period, grouping: Grouping | None = None
) -> dict[str, dict[int, PracticeStats]]:
    """Per group and practice id: cycles followed up in the period answering the practice at both stages."""
    if grouping is not None and grouping.kind == "month":
        return {}
    key_sql, key_params = _group_sql(grouping)
    scope_sql, sub_params = subquery(enterprises)
    sql = _PRACTICE_SQL.format(key=key_sql, enterprises=scope_sql)
    if grouping is None:
        sql = sql.replace("GROUP BY 1, 2", "GROUP BY af.practice_id")
    result: dict[str, dict[int, PracticeStats]] = defaultdict(dict)
    with connection.cursor() as cursor:
        cursor.execute(sql, (*key_params, Stage.BASELINE, Stage.FOLLOW_UP, period.start, period.end, *sub_params))
        for gkey, practice_id, pairs, at_baseline, at_follow_up in cursor.fetchall():
            result[str(gkey)][practice_id] = PracticeStats(int(pairs), int(at_baseline or 0), int(at_follow_up or 0))
    return dict(result)
