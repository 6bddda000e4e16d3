"""The maintained roll-up of KPI changes stays exactly equal to the computation from the raw records,
whatever the writes: edits, deletions, back-dating of records and of assessments, imports."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import ProtectedError

from scorehub.enterprises.models import Enterprise
from scorehub.indicators import services
from scorehub.indicators.base import Grouping, Period
from scorehub.indicators.models import Assessment, CycleKpiStat, Kpi, KpiRecord
from scorehub.indicators.periods import default_period
from scorehub.indicators.selectors import kpi_changes, kpi_changes_raw
from scorehub.indicators.services import ImportRow

pytestmark = pytest.mark.django_db

WIDE = Period(dt.date(2000, 1, 1), dt.date(2099, 12, 31))
GROUPINGS = [None, Grouping("region", 6), Grouping("enterprise"), Grouping("cycle")]


def published(stats):
    return {
        key: {kpi: (s.pairs, s.with_change, s.up, s.down, s.mean_change) for kpi, s in by_kpi.items()}
        for key, by_kpi in stats.items()
    }


def assert_rollup_equals_raw():
    everything = Enterprise.objects.all()
    for period in (WIDE, default_period(), default_period().previous()):
        for grouping in GROUPINGS:
            assert published(kpi_changes(everything, period, grouping)) == published(
                kpi_changes_raw(everything, period, grouping)
            ), (period, grouping)


@pytest.fixture
def manager(persona):
    return persona("factory_manager")


def _values(record):
    return {v.kpi: v.value for v in record.values.select_related("kpi")}


def test_the_demo_roll_up_equals_the_raw_computation():
    assert CycleKpiStat.objects.filter(direction__isnull=False).count() > 50
    assert_rollup_equals_raw()


def test_edits_deletions_and_back_dating_keep_the_roll_up_exact(manager, nanxun_enterprise):
    enterprise = nanxun_enterprise
    follow_up = Assessment.objects.filter(enterprise=enterprise, stage="follow_up", module="WC").get()
    baseline = Assessment.objects.filter(enterprise=enterprise, stage="baseline", module="WC").get()
    productivity = Kpi.objects.get(code="labour_productivity")
    accidents = Kpi.objects.get(code="lost_time_accidents")
    before = published(kpi_changes(Enterprise.objects.all(), WIDE, Grouping("cycle")))

    # An edit of a value in the baseline months.
    record = KpiRecord.objects.get(enterprise=enterprise, month=baseline.kpi_from)
    values = _values(record)
    values[productivity] = values[productivity] * 2
    services.kpi_record_save(actor=manager, enterprise=enterprise, month=record.month, values=values, record=record)
    assert published(kpi_changes(Enterprise.objects.all(), WIDE, Grouping("cycle"))) != before
    assert_rollup_equals_raw()

    # A value removed (left empty) and a whole record deleted in the follow-up months.
    record = KpiRecord.objects.get(enterprise=enterprise, month=follow_up.kpi_from)
    services.kpi_record_save(
        actor=manager, enterprise=enterprise, month=record.month, values={accidents: None}, record=record
    )
    assert_rollup_equals_raw()
    services.kpi_record_delete(
        actor=manager, record=KpiRecord.objects.get(enterprise=enterprise, month=follow_up.kpi_to)
    )
    assert_rollup_equals_raw()

    # Back-dating: a recent record moved into the (now emptied) follow-up month, then into a month
    # before every window.
    recent = KpiRecord.objects.filter(enterprise=enterprise).order_by("-month").first()
    services.kpi_record_save(
        actor=manager, enterprise=enterprise, month=follow_up.kpi_to, values=_values(recent), record=recent
    )
    assert_rollup_equals_raw()
    services.kpi_record_save(
        actor=manager, enterprise=enterprise, month=dt.date(2001, 1, 1), values=_values(recent), record=recent
    )
    assert_rollup_equals_raw()

    # A zero baseline: the change has no denominator, the comparison still counts.
    for record in KpiRecord.objects.filter(
        enterprise=enterprise, month__gte=baseline.kpi_from, month__lte=baseline.kpi_to
    ):
        services.kpi_record_save(
            actor=manager, enterprise=enterprise, month=record.month, values={accidents: Decimal(0)}, record=record
        )
    assert_rollup_equals_raw()

    # The assessments move: other months for the follow-up, the follow-up back-dated by a year.
    follow_up.kpi_from = baseline.kpi_to
    services.assessment_save(actor=manager, assessment=follow_up, answers={})
    assert_rollup_equals_raw()
    follow_up.assessed_on = follow_up.assessed_on.replace(year=follow_up.assessed_on.year - 1)
    services.assessment_save(actor=manager, assessment=follow_up, answers={})
    assert_rollup_equals_raw()

    # The baseline deleted: the cycle is gone from both.
    services.assessment_delete(actor=manager, assessment=baseline)
    assert not CycleKpiStat.objects.filter(follow_up=follow_up).exists()
    assert_rollup_equals_raw()


def test_an_import_keeps_the_roll_up_exact(manager, nanxun_enterprise):
    baseline = Assessment.objects.filter(enterprise=nanxun_enterprise, stage="baseline", module="WC").get()
    kpi = Kpi.objects.get(code="defect_rate")
    rows = [
        ImportRow(line=2, enterprise=nanxun_enterprise, month=baseline.kpi_from, values={kpi: Decimal("9.5")}),
        ImportRow(line=3, enterprise=nanxun_enterprise, month=baseline.kpi_to, values={kpi: Decimal("0.5")}),
    ]
    services.kpi_records_import(actor=manager, rows=rows)
    assert_rollup_equals_raw()


def test_deleting_an_enterprise_takes_its_roll_up_rows_along(nanxun_enterprise):
    # Other parts of SCORE Hub protect an enterprise with their records (enrolments, certificates)
    # from deletion; take the first followed-up enterprise that nothing protects.
    deleted_pk = None
    for other in Enterprise.objects.filter(assessments__stage="follow_up").exclude(pk=nanxun_enterprise.pk).distinct():
        assert CycleKpiStat.objects.filter(enterprise=other).exists()
        pk = other.pk
        try:
            with transaction.atomic():
                other.delete()
        except ProtectedError:
            continue
        deleted_pk = pk
        break
    assert deleted_pk is not None, "no followed-up enterprise of the demo can be deleted"
    assert not CycleKpiStat.objects.filter(enterprise_id=deleted_pk).exists()
    assert_rollup_equals_raw()
