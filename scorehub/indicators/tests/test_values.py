"""The layer's numbers for the sources this app owns (registry, KPIs, good practices), each compared
with an independent count made record by record in the test; edge cases included."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from scorehub.enterprises.models import Enterprise
from scorehub.indicators import layer
from scorehub.indicators.base import CURRENT, PREVIOUS, Grouping, Period
from scorehub.indicators.models import Assessment, Kpi, KpiRecord, KpiValue, Practice, PracticeAnswer
from scorehub.indicators.periods import default_period, parse_period
from scorehub.indicators.scopes import resolve_scope

from . import plain

pytestmark = pytest.mark.django_db

WIDE = Period(dt.date(2000, 1, 1), dt.date(2099, 12, 31))


def values_of(numbers):
    return {f.spec.code: f.value for f in numbers.figures}


def assert_same(expected: dict, got: dict):
    differing = {
        code: (value, got.get(code)) for code, value in expected.items() if not plain.same(value, got.get(code))
    }
    assert not differing, differing


@pytest.mark.parametrize(
    ("username", "key"),
    [
        ("admin", "nation"),
        ("huzhou_official", "region:330500"),
        ("huzhou_official", "region:330503"),
        ("zhejiang_official", "region:330000"),
        ("fangshan_official", "region:110111"),
        ("trainer", "nation"),
    ],
)
def test_registry_and_kpi_numbers_equal_plain_counts(persona, username, key):
    user = persona(username)
    scope = resolve_scope(user, key)
    enterprises = list(scope.enterprises)
    assert enterprises
    for period in (default_period(), WIDE, default_period().previous()):
        got = values_of(layer.compute_numbers(scope, period, with_previous=False))
        assert_same(plain.enterprise_numbers(enterprises, period), got)
        assert_same(plain.kpi_numbers({e.pk for e in enterprises}, period), got)


def test_the_demo_has_numbers_to_show(persona):
    scope = resolve_scope(persona("huzhou_official"), "region:330500")
    got = values_of(layer.compute_numbers(scope, default_period()))
    assert got["kpis.records"] > 100
    assert got["kpis.cycles"] > 5
    assert got["kpis.change.labour_productivity"] > 0
    assert got["kpis.change.defect_rate"] < 0


def test_a_city_official_never_counts_enterprises_outside_the_city(persona):
    scope = resolve_scope(persona("huzhou_official"), "region:330500")
    outside = Enterprise.objects.exclude(region__code__startswith="3305")
    assert outside.exists()
    assert not scope.enterprises.filter(pk__in=outside.values("pk")).exists()
    expected = plain.enterprise_numbers(list(Enterprise.objects.filter(region__code__startswith="3305")), WIDE)
    got = values_of(layer.compute_numbers(scope, WIDE))
    assert got["enterprises.count"] == expected["enterprises.count"]
    assert got["enterprises.employees"] == expected["enterprises.employees"]


def test_a_period_without_data_gives_zero_counts_and_no_rates(persona):
    scope = resolve_scope(persona("admin"), "nation")
    numbers = layer.compute_numbers(scope, parse_period("1995"))
    got = values_of(numbers)
    assert got["kpis.records"] == 0
    assert got["kpis.cycles"] == 0
    assert got["kpis.improved_share"] is None
    assert got["kpis.change.labour_productivity"] is None
    assert all(got[f"practices.follow_up.{p.code}"] is None for p in Practice.objects.all())
    assert numbers.get("kpis.improved_share").display == "—"
    assert numbers.get("kpis.records").display == "0"
    assert numbers.get("kpis.records").change_display == "—"  # 0 before: no relative change


def test_a_workforce_of_nobody_has_no_womens_share(persona, nanxun_enterprise):
    Enterprise.objects.filter(pk=nanxun_enterprise.pk).update(employees_total=0, employees_women=0)
    scope = resolve_scope(persona("admin"), f"enterprise:{nanxun_enterprise.pk}")
    figure = layer.compute_numbers(scope, default_period()).get("enterprises.women_share")
    assert figure.value is None
    assert figure.display == "—"


def _record(enterprise, month, values):
    record = KpiRecord.objects.create(enterprise=enterprise, month=month)
    for kpi, value in values.items():
        KpiValue.objects.create(record=record, kpi=kpi, value=Decimal(value))
    return record


def test_periods_crossing_the_new_year_count_the_months_on_both_sides(persona, nanxun_enterprise):
    kpi = Kpi.objects.get(code="defect_rate")
    for month in (dt.date(2003, 10, 1), dt.date(2003, 11, 1), dt.date(2003, 12, 1), dt.date(2004, 1, 1)):
        _record(nanxun_enterprise, month, {kpi: "2.5"})
    _record(nanxun_enterprise, dt.date(2004, 3, 1), {kpi: "2.5"})
    scope = resolve_scope(persona("admin"), f"enterprise:{nanxun_enterprise.pk}")
    period = parse_period("2003-11:2004-02")
    assert period.previous() == parse_period("2003-07:2003-10")
    numbers = layer.compute_numbers(scope, period)
    assert numbers.get("kpis.records").value == 3
    assert numbers.get("kpis.records").previous == 1
    months = layer.compute_months(scope, period)
    assert list(months) == ["2003-11", "2003-12", "2004-01", "2004-02"]
    assert [months[m]["kpis.records"] for m in months] == [1, 1, 1, 0]
    assert plain.monthly_records({nanxun_enterprise.pk}, period) == {
        "2003-11": 1,
        "2003-12": 1,
        "2004-01": 1,
    }


def _cycle(enterprise, module, baseline_months, follow_months, follow_day, answers=None):
    baseline = Assessment.objects.create(
        enterprise=enterprise,
        module=module,
        stage="baseline",
        assessed_on=baseline_months[1],
        kpi_from=baseline_months[0],
        kpi_to=baseline_months[1],
    )
    follow_up = Assessment.objects.create(
        enterprise=enterprise,
        module=module,
        stage="follow_up",
        assessed_on=follow_day,
        kpi_from=follow_months[0],
        kpi_to=follow_months[1],
    )
    for practice, (before, after) in (answers or {}).items():
        PracticeAnswer.objects.create(assessment=baseline, practice=practice, in_place=before)
        PracticeAnswer.objects.create(assessment=follow_up, practice=practice, in_place=after)
    from scorehub.indicators.selectors import refresh_cycle_stats

    refresh_cycle_stats([enterprise.pk])
    return baseline, follow_up


def test_kpi_change_is_the_mean_of_the_cycles_changes_and_a_zero_baseline_has_none(persona):
    first, second = Enterprise.objects.filter(region_id="330521").order_by("pk")[:2]
    productivity = Kpi.objects.get(code="labour_productivity")
    accidents = Kpi.objects.get(code="lost_time_accidents")
    # First enterprise: productivity 10, 20 → 15 on average at baseline; 18 at follow-up: +20 %.
    # Accidents 0 at baseline: no change can be computed (zero denominator), but 1 > 0 is worse.
    _record(first, dt.date(2001, 1, 1), {productivity: "10", accidents: "0"})
    _record(first, dt.date(2001, 2, 1), {productivity: "20", accidents: "0"})
    _record(first, dt.date(2001, 9, 1), {productivity: "18", accidents: "1"})
    _cycle(
        first,
        "QM",
        (dt.date(2001, 1, 1), dt.date(2001, 2, 1)),
        (dt.date(2001, 9, 1), dt.date(2001, 9, 1)),
        dt.date(2001, 10, 5),
    )
    # Second enterprise: productivity 40 → 30: −25 %; accidents 2 → 1: −50 % (better: lower).
    _record(second, dt.date(2001, 3, 1), {productivity: "40", accidents: "2"})
    _record(second, dt.date(2001, 11, 1), {productivity: "30", accidents: "1"})
    _cycle(
        second,
        "QM",
        (dt.date(2001, 3, 1), dt.date(2001, 3, 1)),
        (dt.date(2001, 11, 1), dt.date(2001, 11, 1)),
        dt.date(2001, 12, 1),
    )
    scope = resolve_scope(persona("admin"), "region:330521")
    numbers = layer.compute_numbers(scope, parse_period("2001"))
    assert numbers.get("kpis.cycles").value == 2
    assert numbers.get("kpis.change.labour_productivity").value == Decimal("-0.0250")  # (+0.20 − 0.25) / 2
    assert numbers.get("kpis.change.lost_time_accidents").value == Decimal("-0.5000")  # only the second
    # Comparisons: productivity up (good), down (bad); accidents up (bad), down (good): 2 of 4.
    assert numbers.get("kpis.improved_share").value == 0.5
    assert numbers.get("kpis.change.labour_productivity").display == "−3%"
    assert numbers.get("kpis.improved_share").display == "50%"
    assert_same(plain.kpi_numbers({e.pk for e in scope.enterprises}, parse_period("2001")), values_of(numbers))


def test_a_follow_up_without_baseline_is_no_cycle(persona, nanxun_enterprise):
    Assessment.objects.create(
        enterprise=nanxun_enterprise,
        module="CP",
        stage="follow_up",
        assessed_on=dt.date(2002, 5, 1),
        kpi_from=dt.date(2002, 3, 1),
        kpi_to=dt.date(2002, 4, 1),
    )
    scope = resolve_scope(persona("admin"), f"enterprise:{nanxun_enterprise.pk}")
    assert layer.compute_numbers(scope, parse_period("2002")).get("kpis.cycles").value == 0


def test_good_practice_shares_count_cycles_answering_both_stages(persona):
    enterprises = list(Enterprise.objects.filter(region_id="330522").order_by("pk")[:3])
    # A programme's own module and practices, added to the catalogue.
    posted = Practice.objects.create(
        code="ge_policy_posted", module="GE", text_zh="性别平等政策公开", text_en="An equality policy is posted"
    )
    drills = Practice.objects.create(
        code="ge_harassment_channel", module="GE", text_zh="有投诉渠道", text_en="A complaints channel exists"
    )
    months = ((dt.date(2002, 1, 1), dt.date(2002, 2, 1)), (dt.date(2002, 8, 1), dt.date(2002, 9, 1)))
    _cycle(enterprises[0], "GE", *months, dt.date(2002, 10, 1), {posted: (False, True), drills: (False, False)})
    _cycle(enterprises[1], "GE", *months, dt.date(2002, 10, 2), {posted: (True, True)})
    _cycle(enterprises[2], "GE", *months, dt.date(2002, 10, 3), {posted: (False, False), drills: (True, True)})
    scope = resolve_scope(persona("admin"), "region:330522")
    numbers = layer.compute_numbers(scope, parse_period("2002"))
    assert numbers.get("practices.baseline.ge_policy_posted").value == 1 / 3
    assert numbers.get("practices.follow_up.ge_policy_posted").value == 2 / 3
    assert numbers.get("practices.follow_up.ge_policy_posted").display == "67%"
    assert numbers.get("practices.baseline.ge_harassment_channel").value == 0.5
    assert numbers.get("practices.follow_up.ge_harassment_channel").display == "50%"
    assert numbers.get("practices.follow_up.cp_use_measured").value is None
    assert_same(plain.kpi_numbers({e.pk for e in scope.enterprises}, parse_period("2002")), values_of(numbers))


@pytest.mark.parametrize(("username", "key"), [("admin", "nation"), ("huzhou_official", "region:330500")])
def test_grouped_numbers_equal_the_numbers_of_each_group_alone(persona, username, key):
    """``compute_groups`` (one grouped query) answers what ``compute`` answers for each child alone."""
    user = persona(username)
    scope = resolve_scope(user, key)
    period = default_period()
    for source in layer.discover():
        specs = source.specs()
        grouped = source.compute_groups(scope.enterprises, period, scope.child_grouping)
        if grouped is None:
            continue
        for child in scope.children:
            alone = source.compute(scope.enterprises.filter(region__code__startswith=child.group_key), period)
            in_group = layer._zero_empty(specs, grouped.get(child.group_key, {}))
            assert_same(alone, in_group)
        ids = list(scope.enterprises.values_list("pk", flat=True)[:8])
        by_enterprise = source.compute_groups(scope.enterprises.filter(pk__in=ids), period, Grouping("enterprise"))
        for pk in ids:
            alone = source.compute(scope.enterprises.filter(pk=pk), period)
            assert_same(alone, layer._zero_empty(specs, by_enterprise.get(str(pk), {})))


def test_monthly_trends_equal_the_months_counted_one_by_one(persona):
    scope = resolve_scope(persona("huzhou_official"), "region:330500")
    period = default_period()
    months = layer.compute_months(scope, period)
    expected = plain.monthly_records({e.pk for e in scope.enterprises}, period)
    assert {m: v["kpis.records"] for m, v in months.items() if v["kpis.records"]} == expected
    assert len(months) == 12


def test_child_table_numbers_add_up_to_the_parent_counts(persona):
    scope = resolve_scope(persona("zhejiang_official"), "region:330000")
    children = layer.compute_children(scope, default_period())
    total = layer.compute_numbers(scope, default_period()).get("enterprises.count").value
    assert sum(v["enterprises.count"] for v in children.values()) == total


@pytest.mark.parametrize(("username", "key"), [("admin", "nation"), ("huzhou_official", "region:330500")])
def test_a_source_without_grouped_queries_gives_the_same_tables(persona, username, key):
    """An app that only has ``compute`` (no ``compute_groups``) still fills the region, enterprise and
    month tables, group by group, and the previous period's figures, with the numbers the grouped
    queries give."""
    from types import SimpleNamespace

    scope = resolve_scope(persona(username), key)
    period = default_period()
    grouped = list(layer.discover())
    plain_sources = [
        layer.Source(s.name, s.title, SimpleNamespace(specs=s.specs, compute=s.module.compute)) for s in grouped
    ]
    assert all(s.compute_groups(scope.enterprises, period, Grouping("month")) is None for s in plain_sources)
    children = layer.compute_children(scope, period, sources=plain_sources)
    assert children == layer.compute_children(scope, period, sources=grouped)
    ids = list(scope.enterprises.values_list("pk", flat=True)[:10])
    assert layer.compute_enterprises(scope, period, ids, sources=plain_sources) == layer.compute_enterprises(
        scope, period, ids, sources=grouped
    )
    assert layer.compute_months(scope, period, sources=plain_sources) == layer.compute_months(
        scope, period, sources=grouped
    )
    # The headline cards and their comparison: each period computed alone, or both from one span.
    alone, paired = (layer.compute_numbers(scope, period, sources=s) for s in (plain_sources, grouped))
    assert [(f.spec.code, f.value, f.previous) for f in alone.figures] == [
        (f.spec.code, f.value, f.previous) for f in paired.figures
    ]


def _paired_periods() -> list[Period]:
    """Periods whose halves cross years, quarters and months, whole months and plain days."""
    this_year = default_period().end.year
    return [
        default_period(),
        parse_period(f"{this_year}-Q1"),  # compared with the year before's last quarter
        parse_period(f"{this_year - 1}"),
        parse_period(f"{this_year}-01"),
        Period(dt.date(this_year - 1, 12, 10), dt.date(this_year, 1, 20)),  # days, not months
    ]


@pytest.mark.parametrize(
    ("username", "key"),
    [("admin", "nation"), ("huzhou_official", "region:330500"), ("huzhou_official", "enterprise")],
)
def test_a_period_and_the_one_before_split_from_one_span_equal_each_alone(persona, username, key, nanxun_enterprise):
    """What every dashboard compares: a source that splits ``Grouping.pair`` answers each half exactly
    as ``compute`` does for that half alone (states at the half's end and its own baseline included)."""
    if key == "enterprise":
        key = f"enterprise:{nanxun_enterprise.pk}"
    scope = resolve_scope(persona(username), key)
    unsplit = set()
    counted = set()
    for period in _paired_periods():
        span, pair = Grouping.pair(period)
        assert pair.halves(span) == {PREVIOUS: period.previous(), CURRENT: period}
        for source in layer.discover():
            halves = source.compute_groups(scope.enterprises, span, pair)
            if halves is None:
                unsplit.add(source.name)
                continue
            assert set(halves) == {PREVIOUS, CURRENT}
            for half_key, half in pair.halves(span).items():
                assert_same(source.compute(scope.enterprises, half), layer._complete(source.specs(), halves[half_key]))
                counted |= {code for code, value in halves[half_key].items() if value}
    assert not unsplit  # every source of the project answers both periods at once
    # The demo's records give the comparison something to split: counts, rates, medians, changes.
    assert {
        "suggestions.submitted",
        "suggestions.median_days_to_decision",
        "safety.checks",
        "safety.hazards_overdue",
        "safety.median_days_to_rectify",
        "training.participants",
        "kpis.records",
    } <= counted
