"""The training part of ``scorehub bench``: a programme's volumes, and a hand-written SQL floor that
computes exactly the numbers the indicator layer shows."""

from __future__ import annotations

import pytest

from scorehub.accounts.models import User
from scorehub.indicators import benchmark, layer
from scorehub.indicators.base import Grouping
from scorehub.indicators.periods import default_period
from scorehub.indicators.scopes import resolve_scope
from scorehub.training.models import (
    Attendance,
    Certificate,
    ClassroomSession,
    CohortEnterprise,
    Enrolment,
    Participant,
    Programme,
    ProgrammeTarget,
    SurveyResponse,
    Visit,
)

pytestmark = [pytest.mark.bench, pytest.mark.django_db]

ENTERPRISES = 40
BENCH = {"enterprise__name_zh__startswith": "基准企业"}


@pytest.fixture
def bench_world():
    return benchmark.generate(enterprise_count=ENTERPRISES, years=1, seed=13, log=lambda _line: None)


def test_the_bench_writes_a_programmes_volumes(bench_world):
    rows = bench_world["rows"]
    programmes = Programme.objects.filter(name_en__endswith="SCORE bench programme")
    # One programme per city of Zhejiang, one for Beijing; each with its targets.
    assert programmes.count() == 12
    assert ProgrammeTarget.objects.filter(programme__in=programmes, kind="enrolments").count() == 24
    enrolments = Enrolment.objects.filter(**BENCH)
    assert rows["training_enrolment"] == enrolments.count()
    assert 0.85 * ENTERPRISES <= enrolments.count() <= ENTERPRISES
    assert all(e.programme.covers(e.enterprise) for e in enrolments.select_related("programme__region", "enterprise"))
    # About two modules per enterprise and year.
    participations = CohortEnterprise.objects.filter(**BENCH)
    assert rows["training_cohortenterprise"] == participations.count()
    assert 1.2 * ENTERPRISES < participations.count() < 2.6 * ENTERPRISES
    # 2 managers and 3 workers per enterprise and module, about 40 % women.
    participants = Participant.objects.filter(**BENCH)
    assert participants.count() == 5 * participations.count()
    assert participants.filter(role="worker").count() == 3 * participations.count()
    assert participants.filter(gender="female").count() / participants.count() == pytest.approx(0.4, abs=0.06)
    assert Attendance.objects.filter(participant__in=participants).count() == rows["training_attendance"] > 0
    sessions = ClassroomSession.objects.filter(participants__in=participants).distinct()
    assert sessions.count() == rows["training_classroomsession"]
    assert SurveyResponse.objects.filter(session__in=sessions).count() == rows["training_surveyresponse"] > 0
    # A baseline and three follow-ups per enterprise and module: most past ones done, some overdue.
    visits = Visit.objects.filter(**BENCH)
    assert visits.count() == 4 * participations.count()
    assert visits.filter(kind="baseline").count() == participations.count()
    assert visits.filter(status="done").count() > visits.count() / 2
    assert visits.overdue().exists()
    completed = participations.filter(completed_on__isnull=False)
    assert completed.exists()
    certificates = Certificate.objects.filter(**BENCH)
    assert 0 < certificates.count() <= completed.count()


def _floor(scope, period, grouping=None, ids=None):
    from django.db import connection

    condition, params = benchmark._scope_condition(scope)
    if ids is not None:
        condition = f"{condition} AND e.id IN ({', '.join(['%s'] * len(ids))})"
        params = (*params, *ids)
    with connection.cursor() as cursor:
        floor = benchmark.floors()["training"]
        return floor(benchmark.FloorContext(cursor, condition, params, period, grouping))


@pytest.mark.parametrize(
    ("username", "key"),
    [("bench_admin", "nation"), ("bench_province", "region:330000"), ("bench_city", "region:330500")],
)
def test_the_floor_computes_the_numbers_the_layer_shows(bench_world, username, key):
    scope = resolve_scope(User.objects.get(username=username), key)
    period = default_period()
    values = layer.compute_numbers(scope, period).values()
    codes = {code for code in values if code.startswith("training.")}
    totals = _floor(scope, period)[""]
    assert set(totals) == codes
    assert totals["training.participants"] > 0
    assert totals["training.visits_done"] > 0
    assert totals["training.enrolment_vs_target"] is not None
    assert {code: values[code] for code in totals} == totals
    previous = {f.spec.code: f.previous for f in layer.compute_numbers(scope, period).figures}
    assert {code: previous[code] for code in codes} == _floor(scope, period.previous())[""]


def test_the_floor_groups_by_region_and_by_enterprise_as_the_layer_does(bench_world):
    scope = resolve_scope(User.objects.get(username="bench_province"), "region:330000")
    period = default_period()
    training = next(s for s in layer.discover() if s.name == "training")
    every = frozenset(s.code for s in training.specs())
    by_city = _floor(scope, period, Grouping("region", 4, every))
    assert len(by_city) > 5
    for child in scope.children:
        expected = training.compute(scope.enterprises.filter(region__code__startswith=child.group_key), period)
        got = by_city.get(child.group_key, {})
        assert {code: got.get(code, 0 if expected[code] == 0 else None) for code in expected} == expected, child.key
    ids = list(scope.enterprises.order_by("pk").values_list("pk", flat=True)[:12])
    by_enterprise = _floor(scope, period, Grouping("enterprise", codes=every), ids)
    for pk in ids:
        expected = training.compute(scope.enterprises.filter(pk=pk), period)
        got = by_enterprise.get(str(pk), {})
        assert {code: got.get(code, 0 if expected[code] == 0 else None) for code in expected} == expected, pk


def test_the_bench_finds_the_api_equal_to_the_floor(bench_world):
    measured = benchmark._measure_scope(
        "city", "region:330500", User.objects.get(username="bench_city"), default_period(), 1
    )
    assert measured.exact, measured.mismatches
    assert "training" in measured.floor_by_source


def _filled(values: dict, codes: set[str]) -> dict:
    """A group's values with the codes it lacks: counts 0, rates and targets None (as the layer fills them)."""
    counted = {"enrolled", "module_completions", "certificates", "sessions", "participants", "visits_planned"}
    return {c: values.get(c, 0 if c.split(".", 1)[1] in counted | {"visits_done"} else None) for c in codes}


@pytest.mark.parametrize(
    "grouping", [Grouping("region", 4), Grouping("region", 6), Grouping("enterprise"), Grouping("month")]
)
def test_the_grouped_computation_equals_the_floor_and_each_group_alone(bench_world, grouping):
    from scorehub.training import indicators

    scope = resolve_scope(User.objects.get(username="bench_province"), "region:330000")
    period = default_period()
    grouped = indicators.compute_groups(enterprises=scope.enterprises, period=period, grouping=grouping)
    floor = _floor(scope, period, grouping)
    assert len(grouped) > 3
    codes = {code for values in [*grouped.values(), *floor.values()] for code in values}
    if grouping.kind == "month":
        assert "training.enrolment_target" not in codes
    for group in set(grouped) | set(floor):
        assert _filled(grouped.get(group, {}), codes) == _filled(floor.get(group, {}), codes), group
    if grouping.kind == "region":
        for group, values in grouped.items():
            inside = scope.enterprises.filter(region__code__startswith=group)
            alone = indicators.compute(enterprises=inside, period=period)
            assert values == {code: alone[code] for code in values}, group
