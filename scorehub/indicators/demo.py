"""Demo KPIs and good practices: fifteen months of monthly KPI records for most demo enterprises, a
Workplace Cooperation cycle (baseline and follow-up with the checklist) for most of them and a Safety
and Health cycle for some, with KPIs that improve after the training, as they did in the pilots."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from scorehub.core.demodata import DemoContext

from .base import _add_months
from .catalogue import ensure_catalogue
from .models import Assessment, Kpi, KpiRecord, KpiValue, Practice, PracticeAnswer, Stage
from .selectors import refresh_cycle_stats

MONTHS = 15

# code: (low, high, decimals, effect of the programme at full strength: +0.12 = 12 % higher)
LEVELS = {
    "labour_productivity": (18.0, 75.0, 2, 0.12),
    "defect_rate": (1.2, 7.5, 2, -0.30),
    "material_waste": (2.0, 9.0, 2, -0.18),
    "energy_per_unit": (0.6, 4.5, 3, -0.08),
    "absenteeism": (1.0, 5.5, 2, -0.20),
    "staff_turnover": (0.8, 4.5, 2, -0.25),
    "lost_time_accidents": (0.0, 1.6, 0, -0.60),
    "overtime_hours": (12.0, 42.0, 1, -0.15),
}


def build(ctx: DemoContext) -> None:
    ensure_catalogue()
    rng = ctx.rng
    kpis = {k.code: k for k in Kpi.objects.filter(code__in=LEVELS)}
    practices = list(Practice.objects.filter(is_active=True))
    this_month = ctx.today.replace(day=1)
    first = _add_months(this_month, -MONTHS)  # the oldest month recorded
    persona = ctx.notes.get("persona_enterprise")
    recorder_for_provider = {"cec": ctx.users.get("trainer")}

    records: list[KpiRecord] = []
    plans: list[tuple[KpiRecord, dict[str, float]]] = []
    assessments: list[tuple[Assessment, float]] = []
    for enterprise in ctx.enterprises:
        reports = enterprise == persona or rng.random() < 0.85
        if not reports:
            continue
        recorder = ctx.users.get("factory_manager") if enterprise == persona else None
        if recorder is None and enterprise.region_id in ("330503", "330521", "110111"):
            recorder = recorder_for_provider["cec"]
        base = {code: rng.uniform(low, high) for code, (low, high, _places, _effect) in LEVELS.items()}
        strength = rng.uniform(0.4, 1.3)
        # Workplace cooperation: baseline on the first recorded months, training 3 months in, follow-up
        # six months after the training.  Safety and health follows for some enterprises.
        wc_start = _add_months(first, rng.randint(0, 1))
        wc_follow = _add_months(wc_start, 9)
        cycles = [("WC", wc_start, wc_follow, 0.35, 0.8)]
        if enterprise == persona or rng.random() < 0.45:
            osh_start = _add_months(wc_follow, -2)
            osh_follow = _add_months(osh_start, 6)
            if osh_follow < this_month:
                cycles.append(("OSH", osh_start, osh_follow, 0.3, 0.85))
        training = _add_months(wc_start, 3)
        skip = (
            {_add_months(first, rng.randint(0, MONTHS - 1))} if rng.random() < 0.3 and enterprise != persona else set()
        )
        month = first
        while month < this_month:
            if month not in skip:
                months_in = (month.year - training.year) * 12 + month.month - training.month
                progress = 0.0 if months_in < 0 else min(1.0, months_in / 6)
                values = {}
                for code, (_low, _high, _places, effect) in LEVELS.items():
                    noise = rng.uniform(-0.06, 0.06)
                    values[code] = base[code] * (1 + effect * strength * progress + noise)
                record = KpiRecord(enterprise=enterprise, month=month, recorded_by=recorder)
                records.append(record)
                plans.append((record, values))
            month = _add_months(month, 1)
        for module, start, follow, p_before, p_after in cycles:
            baseline = Assessment(
                enterprise=enterprise,
                module=module,
                stage=Stage.BASELINE,
                assessed_on=_add_months(start, 2) + dt.timedelta(days=rng.randint(0, 20)),
                kpi_from=start,
                kpi_to=_add_months(start, 2),
                recorded_by=recorder,
            )
            follow_up = Assessment(
                enterprise=enterprise,
                module=module,
                stage=Stage.FOLLOW_UP,
                assessed_on=min(_add_months(follow, 2) + dt.timedelta(days=rng.randint(0, 20)), ctx.today),
                kpi_from=follow,
                kpi_to=min(_add_months(follow, 2), _add_months(this_month, -1)),
                recorded_by=recorder,
            )
            assessments.append((baseline, p_before))
            assessments.append((follow_up, p_after))

    KpiRecord.objects.bulk_create(records, batch_size=1000)
    kpi_values: list[KpiValue] = []
    for record, planned in plans:
        for code, raw in planned.items():
            places = LEVELS[code][2]
            if code == "lost_time_accidents":
                number = Decimal(1 if rng.random() < raw / 4 else 0)
            else:
                number = Decimal(str(round(max(raw, 0.0), places)))
            kpi_values.append(KpiValue(record=record, kpi=kpis[code], value=number))
    KpiValue.objects.bulk_create(kpi_values, batch_size=2000)

    Assessment.objects.bulk_create([a for a, _p in assessments], batch_size=1000)
    answers: list[PracticeAnswer] = []
    held: dict[tuple[int, str, int], bool] = {}
    for assessment, probability in assessments:
        for practice in practices:
            if practice.module != assessment.module:
                continue
            key = (assessment.enterprise_id, assessment.module, practice.pk)
            if assessment.stage == Stage.BASELINE:
                in_place = rng.random() < probability
                held[key] = in_place
            else:
                # A practice in place at baseline usually stays; most of the others are adopted.
                in_place = held.get(key, False) or rng.random() < probability
            answers.append(PracticeAnswer(assessment=assessment, practice=practice, in_place=in_place))
    PracticeAnswer.objects.bulk_create(answers, batch_size=2000)
    refresh_cycle_stats()
    _prepared_report(ctx)


def _prepared_report(ctx: DemoContext) -> None:
    """A workbook the Huzhou official asked for earlier, ready under Reports."""
    from django.utils import translation

    from . import layer, reports
    from .models import ReportJob, ReportStatus
    from .periods import default_period, period_param
    from .scopes import resolve_scope

    official = ctx.users.get("huzhou_official")
    if official is None:
        return
    period = default_period(ctx.today)
    scope = resolve_scope(official, "region:330503")
    with layer.computation(), translation.override("zh-hans"):
        data = reports.collect(scope, period, user=official, progress=lambda _p, _s: None)
        content = reports.build_xlsx(data, progress=lambda _p, _s: None)
    ReportJob.objects.create(
        requested_by=official,
        scope_key=scope.key,
        scope_label=scope.label,
        period=period_param(period),
        format="xlsx",
        language="zh-hans",
        status=ReportStatus.DONE,
        progress=100,
        content=content,
        size=len(content),
        filename=reports.filename(data, "xlsx"),
        finished_at=ctx.aware(ctx.today),
    )
