"""The bench: its synthetic data, its hand-written SQL floors (which must compute the very numbers the
layer shows) and its refusal to touch the application's own database."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from scorehub.accounts.models import User
from scorehub.enterprises.models import Enterprise
from scorehub.indicators import benchmark, layer
from scorehub.indicators.base import Grouping
from scorehub.indicators.models import CycleKpiStat, KpiRecord
from scorehub.indicators.periods import default_period
from scorehub.indicators.scopes import resolve_scope

from .plain import same

pytestmark = [pytest.mark.bench, pytest.mark.django_db]


@pytest.fixture
def bench_world():
    before = Enterprise.objects.count()
    info = benchmark.generate(enterprise_count=60, years=2, seed=5, log=lambda _line: None)
    assert Enterprise.objects.count() == before + 60
    return info


def test_the_bench_writes_the_volumes_of_the_programme(bench_world):
    rows = bench_world["rows"]
    assert rows["enterprises_enterprise"] == 60
    assert rows["indicators_kpirecord"] == 60 * 24  # twelve records per enterprise and year
    assert rows["indicators_kpivalue"] == 60 * 24 * 8
    assert rows["indicators_assessment"] == 60 * 2 * 2  # a module cycle a year
    assert CycleKpiStat.objects.filter(enterprise__name_zh__startswith="基准企业").exists()
    assert KpiRecord.objects.filter(enterprise__name_zh__startswith="基准企业").count() == 60 * 24


def _differences(expected: dict, got: dict) -> list[str]:
    return [f"{k}: {expected[k]!r} != {got.get(k)!r}" for k in expected if not same(expected[k], got.get(k))]


@pytest.mark.parametrize(
    ("username", "key"),
    [("bench_admin", "nation"), ("bench_province", "region:330000"), ("bench_city", "region:330500")],
)
def test_the_floors_compute_the_numbers_the_layer_shows(bench_world, username, key):
    user = User.objects.get(username=username)
    scope = resolve_scope(user, key)
    period = default_period()
    page_ids = list(scope.enterprises.order_by("name_zh", "pk").values_list("pk", flat=True)[:25])
    floor = benchmark._floor_run(scope, period, page_ids, dashboard=True)
    # Every source that registered a floor took part, the two of this app among them.
    assert set(floor["current"]) == set(benchmark.floors()) >= {"enterprises", "indicators"}
    current = layer.compute_numbers(scope, period)
    for source, by_key in floor["current"].items():
        assert not _differences(by_key[""], current.values()), source
    for source, by_key in floor["previous"].items():
        previous = {f.spec.code: f.previous for f in current.figures}
        assert not _differences(by_key[""], previous), source
    children = layer.compute_children(scope, period)
    for child in scope.children:
        for source, by_key in floor["children"].items():
            expected = {c: v for c, v in by_key.get(child.group_key, {}).items() if c in children[child.key]}
            assert not _differences(expected, children[child.key]), (source, child.key)
    enterprises = layer.compute_enterprises(scope, period, page_ids)
    for pk in page_ids:
        for by_key in floor["page"].values():
            expected = {c: v for c, v in by_key.get(str(pk), {}).items() if c in enterprises[pk]}
            assert not _differences(expected, enterprises[pk]), pk
    months = layer.compute_months(scope, period)
    for by_key in floor["months"].values():
        for month, values in by_key.items():
            assert not _differences(values, months[month]), month


def test_a_measured_scope_reports_times_and_exact_numbers(bench_world):
    user = User.objects.get(username="bench_city")
    period = default_period()
    measured = benchmark._measure_scope("city", "region:330500", user, period, repeat=1)
    assert measured.exact, measured.mismatches
    assert measured.dashboard_ms > 0
    assert measured.dashboard_floor_ms > 0
    assert measured.queries > 0


def test_the_bench_never_writes_into_the_applications_database():
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{settings.DATA_DIR / 'scorehub.sqlite3'}"
    with pytest.raises(CommandError, match="must not be"):
        call_command("bench", enterprises=50, database_url=url)


def test_fresh_only_drops_a_database_named_for_the_bench(tmp_path):
    with pytest.raises(CommandError, match="bench"):
        call_command("bench", enterprises=50, database_url=f"sqlite:///{tmp_path / 'precious.sqlite3'}", fresh=True)


def test_grouping_wants_only_the_codes_asked_for():
    grouping = Grouping("region", 4, frozenset({"kpis.records"}))
    assert grouping.wants("kpis.records", "kpis.enterprises_reporting")
    assert not grouping.wants("kpis.change.", "practices.")
    assert Grouping("month").wants("anything")
