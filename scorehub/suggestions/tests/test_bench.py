"""The suggestions' part of ``scorehub bench``: the volumes and mix of the programme's reports, and a
hand-written SQL floor that computes exactly the numbers the indicator layer shows."""

from __future__ import annotations

import pytest
from django.db.models import Q
from django.utils import timezone

from scorehub.accounts.models import User
from scorehub.indicators import benchmark, layer
from scorehub.indicators.periods import default_period
from scorehub.indicators.scopes import resolve_scope
from scorehub.suggestions.models import ImprovementProject, Suggestion

pytestmark = [pytest.mark.bench, pytest.mark.django_db]

ENTERPRISES = 40


@pytest.fixture
def bench_world():
    return benchmark.generate(enterprise_count=ENTERPRISES, years=2, seed=11, log=lambda _line: None)


def bench_suggestions():
    return Suggestion.objects.filter(enterprise__name_zh__startswith="基准企业")


def test_about_125_suggestions_per_enterprise_and_year_with_the_reports_mix(bench_world):
    # The bench is seeded and the session's clock stands still (conftest.TEST_NOW): the same rows every run.
    written = bench_world["rows"]["suggestions_suggestion"]
    assert written == bench_suggestions().count()
    assert 0.85 * 125 * 2 * ENTERPRISES < written < 1.15 * 125 * 2 * ENTERPRISES
    # Nothing is decided or implemented after "now".
    now = timezone.now()
    assert not bench_suggestions().filter(Q(decided_at__gt=now) | Q(implemented_at__gt=now)).exists()
    assert not bench_suggestions().filter(status="implemented", implemented_at__isnull=True).exists()
    decided = bench_suggestions().exclude(status__in=["submitted", "under_review", "merged"])
    adopted = decided.filter(status__in=["adopted", "in_progress", "implemented"]).count()
    # An adopted suggestion is either kept as "adopted" or on its way to implementation: in progress until
    # its day comes (how many are still in progress depends on the date), then implemented.
    on_the_way = decided.filter(status__in=["in_progress", "implemented"]).count()
    assert adopted / decided.count() == pytest.approx(944 / 1258, abs=0.02)
    assert on_the_way / adopted == pytest.approx(917 / 944, abs=0.02)
    assert bench_suggestions().filter(status="merged", duplicate_of__isnull=False).exists()
    # Tracking codes of the bench never look like one a worker was given.
    assert not bench_suggestions().exclude(tracking_code__startswith="0").exists()
    projects = ImprovementProject.objects.filter(enterprise__name_zh__startswith="基准企业")
    assert projects.count() == bench_world["rows"]["suggestions_improvementproject"]
    assert projects.filter(verified_at__isnull=False).exists()


@pytest.mark.parametrize(
    ("username", "key"),
    [("bench_admin", "nation"), ("bench_province", "region:330000"), ("bench_city", "region:330500")],
)
def test_the_floor_computes_the_numbers_the_layer_shows(bench_world, username, key):
    user = User.objects.get(username=username)
    scope = resolve_scope(user, key)
    period = default_period()
    page_ids = list(scope.enterprises.order_by("name_zh", "pk").values_list("pk", flat=True)[:25])
    floor = benchmark._floor_run(scope, period, page_ids, dashboard=True)
    current = layer.compute_numbers(scope, period)
    values = current.values()
    totals = floor["current"]["suggestions"][""]
    assert set(totals) == {code for code in values if code.startswith("suggestions.")}
    assert totals["suggestions.submitted"] > 0
    assert totals["suggestions.median_days_to_implementation"] is not None
    assert {code: values[code] for code in totals} == totals
    previous = {f.spec.code: f.previous for f in current.figures}
    assert {code: previous[code] for code in totals} == floor["previous"]["suggestions"][""]
    children = layer.compute_children(scope, period)
    for child in scope.children:
        expected = floor["children"]["suggestions"].get(child.group_key, {})
        got = {code: children[child.key][code] for code in expected}
        assert got == expected, child.key
    enterprises = layer.compute_enterprises(scope, period, page_ids)
    for pk in page_ids:
        expected = floor["page"]["suggestions"].get(str(pk), {})
        assert {code: enterprises[pk][code] for code in expected} == expected, pk


def test_the_bench_finds_the_api_equal_to_the_floor(bench_world):
    measured = benchmark._measure_scope(
        "city", "region:330500", User.objects.get(username="bench_city"), default_period(), 1
    )
    assert measured.exact, measured.mismatches
    assert "suggestions" in measured.floor_by_source
