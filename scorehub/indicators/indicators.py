"""KPIs and good practices as a source of the indicator layer.

Codes: ``kpis.records``, ``kpis.enterprises_reporting``, ``kpis.cycles``, ``kpis.improved_share``, one
``kpis.change.<kpi>`` per active KPI of the catalogue, and ``practices.baseline.<practice>`` /
``practices.follow_up.<practice>`` per active practice.  The definitions are in ``selectors``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from scorehub.enterprises.models import Enterprise

from . import selectors
from .base import Funnel, Grouping, IndicatorSpec, Number, Period, Rows, Sentence, Unit
from .catalogue import module_name
from .layer import memo
from .models import Assessment, Kpi, KpiRecord, Practice

TITLE = _("KPIs and good practices")

FUNNELS = [
    Funnel(
        _("KPI reporting"),
        ("enterprises.count", "kpis.enterprises_reporting", "kpis.enterprises_followed_up"),
    )
]

SENTENCES = [
    Sentence(
        _("%(kpis.records)s monthly KPI records were reported by %(kpis.enterprises_reporting)s enterprises."),
        needs=("kpis.records", "kpis.enterprises_reporting"),
    ),
    Sentence(
        _(
            "%(kpis.cycles)s module cycles were followed up; their KPIs moved in the right direction "
            "in %(kpis.improved_share)s of the comparisons with the baseline."
        ),
        needs=("kpis.cycles", "kpis.improved_share"),
    ),
]


def _kpis() -> list[Kpi]:
    return memo("kpis", lambda: list(Kpi.objects.filter(is_active=True).order_by("order", "code")))  # type: ignore[no-any-return]


def _practices() -> list[Practice]:
    return memo("practices", lambda: list(Practice.objects.filter(is_active=True).order_by("order", "code")))  # type: ignore[no-any-return]


def specs() -> list[IndicatorSpec]:
    result = [
        IndicatorSpec("kpis.records", _("Monthly KPI records"), order=200, trend=True),
        IndicatorSpec("kpis.enterprises_reporting", _("Enterprises reporting KPIs"), order=201, headline=True),
        IndicatorSpec("kpis.cycles", _("Module cycles followed up"), order=202),
        IndicatorSpec("kpis.enterprises_followed_up", _("Enterprises followed up"), order=202),
        IndicatorSpec("kpis.improved_share", _("KPI comparisons improved against baseline"), unit=Unit.RATE, order=203),
    ]
    for index, kpi in enumerate(_kpis()):
        result.append(
            IndicatorSpec(
                f"kpis.change.{kpi.code}",
                _("%(kpi)s: average change against baseline") % {"kpi": kpi.name},
                unit=Unit.PERCENT_CHANGE,
                better=kpi.better,
                order=210 + index,
            )
        )
    for index, practice in enumerate(_practices()):
        label = f"{practice.module} · {practice.text}"
        result.append(
            IndicatorSpec(
                f"practices.baseline.{practice.code}",
                _("%(practice)s: share at baseline") % {"practice": label},
                unit=Unit.RATE,
                order=400 + 2 * index,
            )
        )
        result.append(
            IndicatorSpec(
                f"practices.follow_up.{practice.code}",
                _("%(practice)s: share at follow-up") % {"practice": label},
                unit=Unit.RATE,
                order=401 + 2 * index,
            )
        )
    return result


def _values(
    counts: dict[str, int],
    cycles: tuple[int, int],
    changes: dict[int, selectors.ChangeStats],
    practices: dict[int, selectors.PracticeStats],
    kpis: list[Kpi],
    practice_list: list[Practice],
) -> dict[str, Number | None]:
    values: dict[str, Number | None] = {
        "kpis.records": counts.get("records", 0),
        "kpis.enterprises_reporting": counts.get("reporting", 0),
        "kpis.cycles": cycles[0],
        "kpis.enterprises_followed_up": cycles[1],
    }
    pairs = improved = 0
    for kpi in kpis:
        stats = changes.get(kpi.pk)
        values[f"kpis.change.{kpi.code}"] = stats.mean_change if stats else None
        if stats:
            pairs += stats.pairs
            improved += stats.improved(kpi.better)
    values["kpis.improved_share"] = improved / pairs if pairs else None
    for practice in practice_list:
        share = practices.get(practice.pk)
        values[f"practices.baseline.{practice.code}"] = share.baseline_share if share else None
        values[f"practices.follow_up.{practice.code}"] = share.follow_up_share if share else None
    return values


def compute(*, enterprises: QuerySet[Enterprise], period: Period) -> dict[str, Number | None]:
    counts = selectors.kpi_record_counts(enterprises, period)[""]
    cycles = selectors.cycle_counts(enterprises, period).get("", (0, 0))
    changes = selectors.kpi_changes(enterprises, period).get("", {})
    practices = selectors.practice_shares(enterprises, period).get("", {})
    return _values(counts, cycles, changes, practices, _kpis(), _practices())


def compute_groups(
    *, enterprises: QuerySet[Enterprise], period: Period, grouping: Grouping
) -> dict[str, dict[str, Number | None]] | None:
    counts = (
        selectors.kpi_record_counts(enterprises, period, grouping)
        if grouping.wants("kpis.records", "kpis.enterprises_reporting")
        else {}
    )
    if grouping.kind == "month":
        return {key: {"kpis.records": c["records"]} for key, c in counts.items()}
    cycles = (
        selectors.cycle_counts(enterprises, period, grouping)
        if grouping.wants("kpis.cycles", "kpis.enterprises_followed_up")
        else {}
    )
    changes = (
        selectors.kpi_changes(enterprises, period, grouping)
        if grouping.wants("kpis.change.", "kpis.improved_share")
        else {}
    )
    practices = selectors.practice_shares(enterprises, period, grouping) if grouping.wants("practices.") else {}
    kpis, practice_list = _kpis(), _practices()
    keys = set(counts) | set(cycles) | set(changes) | set(practices)
    if grouping.kind == "period":  # both halves, with or without records
        keys = set(grouping.halves(period))
    return {
        key: _values(
            counts.get(key, {}),
            cycles.get(key, (0, 0)),
            changes.get(key, {}),
            practices.get(key, {}),
            kpis,
            practice_list,
        )
        for key in keys
    }


def rows(*, enterprises: QuerySet[Enterprise], period: Period) -> list[Rows]:
    """The KPI records (one row per enterprise and month, one column per KPI) and the assessments
    (one row per assessment, one column per practice: 1 in place, 0 not, empty not assessed)."""
    kpis, practices = _kpis(), _practices()
    scope_ids = enterprises.order_by().values("pk")

    def kpi_rows() -> Iterator[list[Any]]:
        records = (
            KpiRecord.objects.filter(enterprise__in=scope_ids, month__gte=period.start, month__lte=period.end)
            .select_related("enterprise")
            .prefetch_related("values")
            .order_by("enterprise__region_id", "enterprise__name_zh", "enterprise_id", "month")
        )
        for record in records.iterator(chunk_size=2000):
            e = record.enterprise
            by_kpi = {v.kpi_id: v.value for v in record.values.all()}
            yield [e.credit_code, e.name_zh, e.region_id, f"{record.month:%Y-%m}", *[by_kpi.get(k.pk) for k in kpis]]

    def assessment_rows() -> Iterator[list[Any]]:
        assessments = (
            Assessment.objects.filter(
                enterprise__in=scope_ids, assessed_on__gte=period.start, assessed_on__lte=period.end
            )
            .select_related("enterprise")
            .prefetch_related("answers")
            .order_by("enterprise__region_id", "enterprise__name_zh", "enterprise_id", "module", "stage")
        )
        for a in assessments.iterator(chunk_size=2000):
            answers = {x.practice_id: int(x.in_place) for x in a.answers.all()}
            yield [
                a.enterprise.credit_code,
                a.enterprise.name_zh,
                a.enterprise.region_id,
                module_name(a.module),
                a.get_stage_display(),
                a.assessed_on,
                f"{a.kpi_from:%Y-%m}",
                f"{a.kpi_to:%Y-%m}",
                *[answers.get(p.pk) for p in practices],
            ]

    enterprise_headers = [_("Credit code"), _("Enterprise"), _("Region code")]
    return [
        Rows(_("KPI records"), [*enterprise_headers, _("Month"), *[f"{k.name} ({k.unit})" for k in kpis]], kpi_rows()),
        Rows(
            _("Assessments"),
            [
                *enterprise_headers,
                _("Module"),
                _("Stage"),
                _("Assessed on"),
                _("KPI period from"),
                _("KPI period to"),
                *[f"{p.module} · {p.text}" for p in practices],
            ],
            assessment_rows(),
        ),
    ]
