"""``scorehub bench`` with the work-safety records: the volumes of the programme, and a hand-written SQL
floor that computes exactly the numbers the indicator layer shows (totals, child regions, enterprises)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from scorehub.accounts.models import User
from scorehub.enterprises.models import Enterprise
from scorehub.indicators import benchmark, layer
from scorehub.indicators.periods import default_period
from scorehub.indicators.scopes import resolve_scope
from scorehub.safety.models import Accident, Hazard, RiskPoint, SafetyCheck

pytestmark = [pytest.mark.bench, pytest.mark.django_db]

ENTERPRISES = 30


@pytest.fixture
def bench_world() -> dict[str, Any]:
    return benchmark.generate(enterprise_count=ENTERPRISES, years=2, seed=11, log=lambda _line: None)


def same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        return abs(float(a) - float(b)) < 1e-9
    return Decimal(a) == Decimal(b)


def differences(expected: dict[str, Any], got: dict[str, Any]) -> list[str]:
    return [f"{k}: floor {v!r} != layer {got.get(k)!r}" for k, v in expected.items() if not same(v, got.get(k))]


def test_the_bench_writes_about_230_checks_and_30_hazards_per_enterprise_and_year(bench_world):
    bench = Enterprise.objects.filter(name_zh__startswith="基准企业")
    assert bench.count() == ENTERPRISES
    per_year = ENTERPRISES * 2
    checks = SafetyCheck.objects.filter(enterprise__in=bench).count()
    hazards = Hazard.objects.filter(enterprise__in=bench).count()
    assert 205 <= checks / per_year <= 255
    assert 20 <= hazards / per_year <= 40
    assert bench_world["rows"]["safety_safetycheck"] == checks
    assert Hazard.objects.filter(enterprise__in=bench, check_result__isnull=False).count() > hazards * 0.7
    assert Accident.objects.filter(enterprise__in=bench).exists()
    assert RiskPoint.objects.filter(enterprise__in=bench).count() >= ENTERPRISES * 4
    # Most hazards older than the rectification window are rectified, as in the pilots.
    rectified = Hazard.objects.filter(enterprise__in=bench, rectified_on__isnull=False).count()
    assert rectified / hazards > 0.8


@pytest.mark.parametrize(
    ("username", "key"),
    [("bench_admin", "nation"), ("bench_province", "region:330000"), ("bench_city", "region:330500")],
)
def test_the_safety_floor_computes_the_numbers_the_layer_shows(bench_world, username, key):
    scope = resolve_scope(User.objects.get(username=username), key)
    period = default_period()
    page_ids = list(scope.enterprises.order_by("name_zh", "pk").values_list("pk", flat=True)[:25])
    floor = benchmark._floor_run(scope, period, page_ids, dashboard=True)
    numbers = layer.compute_numbers(scope, period)
    safety = floor["current"]["safety"][""]
    assert safety["safety.checks"] > 0
    assert set(safety) == {spec.code for spec in _source().specs()}
    assert not differences(safety, numbers.values())
    previous = {f.spec.code: f.previous for f in numbers.figures}
    assert not differences(floor["previous"]["safety"][""], previous)
    children = layer.compute_children(scope, period)
    for child in scope.children:
        got = children[child.key]
        expected = {c: v for c, v in floor["children"]["safety"].get(child.group_key, {}).items() if c in got}
        assert not differences(expected, got), child.key
    enterprises = layer.compute_enterprises(scope, period, page_ids)
    for pk in page_ids:
        got = enterprises[pk]
        expected = {c: v for c, v in floor["page"]["safety"].get(str(pk), {}).items() if c in got}
        assert not differences(expected, got), pk


def _source() -> layer.Source:
    return next(s for s in layer.discover() if s.name == "safety")


def test_the_floor_of_a_scope_without_records_is_zeros_and_no_rates(bench_world):
    from django.db import connection

    from scorehub.indicators.benchmark import FloorContext
    from scorehub.safety.bench import floor_safety

    with connection.cursor() as cursor:
        values = floor_safety(FloorContext(cursor, "e.id = %s", (-1,), default_period()))
    assert values[""]["safety.checks"] == 0
    assert values[""]["safety.rectification_rate"] is None
    assert values[""]["safety.median_days_to_rectify"] is None
