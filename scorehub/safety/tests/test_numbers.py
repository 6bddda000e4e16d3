"""The numbers, checked against counts made independently in Python from the raw rows."""

from __future__ import annotations

import datetime as dt
import statistics
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from scorehub.enterprises.models import Enterprise
from scorehub.indicators.base import Grouping, Period
from scorehub.safety import indicators, selectors
from scorehub.safety.models import (
    Accident,
    AffectedPerson,
    CheckResult,
    Hazard,
    HoursWorked,
    RiskMethod,
    RiskPoint,
    SafetyCheck,
    level_for_lec,
    level_for_matrix,
)

pytestmark = pytest.mark.django_db


def inside(day, period):
    return day is not None and period.start <= day <= period.end


def change(current, baseline):
    return None if baseline == 0 else (current - baseline) / baseline


@pytest.fixture
def period():
    today = timezone.localdate()
    return Period(today - dt.timedelta(days=364), today)


@pytest.mark.parametrize("prefix", ["3305", "330503", "110111", ""])
def test_indicators_match_independent_counts(period, prefix):
    enterprises = Enterprise.objects.filter(region__code__startswith=prefix)
    ids = set(enterprises.values_list("pk", flat=True))
    baseline = period.previous()
    day = min(period.end, timezone.localdate())
    checks = [c for c in SafetyCheck.objects.all() if c.enterprise_id in ids]
    hazards = [h for h in Hazard.objects.all() if h.enterprise_id in ids]
    accidents = [a for a in Accident.objects.all() if a.enterprise_id in ids]
    people = [p for p in AffectedPerson.objects.select_related("accident") if p.accident.enterprise_id in ids]
    failed = [
        r
        for r in CheckResult.objects.select_related("check_record")
        if r.check_record.enterprise_id in ids and inside(r.check_record.checked_on, period) and r.outcome == "fail"
    ]
    found = [h for h in hazards if inside(h.found_on, period)]
    rectified_by_end = [h for h in found if h.rectified_on is not None and h.rectified_on <= day]
    inspections = [c for c in checks if c.kind in ("government", "joint_visit")]

    def overdue(h):
        return (
            h.found_on <= day
            and h.deadline is not None
            and h.deadline < day
            and (h.rectified_on is None or h.rectified_on > day)
        )

    accident_sev = ("first_aid", "lost_time", "serious", "fatal")
    cur_acc = len([a for a in accidents if inside(a.occurred_on, period) and a.severity in accident_sev])
    base_acc = len([a for a in accidents if inside(a.occurred_on, baseline) and a.severity in accident_sev])
    cur_days = sum(p.days_lost for p in people if inside(p.accident.occurred_on, period))
    base_days = sum(p.days_lost for p in people if inside(p.accident.occurred_on, baseline))
    cur_insp = len([c for c in inspections if inside(c.checked_on, period)])
    base_insp = len([c for c in inspections if inside(c.checked_on, baseline)])
    expected = {
        "safety.checks": len([c for c in checks if inside(c.checked_on, period)]),
        "safety.checks_self_check": len([c for c in checks if inside(c.checked_on, period) and c.kind == "self_check"]),
        "safety.checks_government": len([c for c in checks if inside(c.checked_on, period) and c.kind == "government"]),
        "safety.items_failed": len(failed),
        "safety.hazards_found": len(found),
        "safety.hazards_found_major": len([h for h in found if h.hazard_class == "major"]),
        "safety.hazards_rectified": len([h for h in hazards if inside(h.rectified_on, period)]),
        "safety.hazards_verified_general": len(
            [h for h in hazards if inside(h.verified_on, period) and h.hazard_class == "general"]
        ),
        "safety.hazards_overdue": len([h for h in hazards if overdue(h)]),
        "safety.hazards_overdue_major": len([h for h in hazards if overdue(h) and h.hazard_class == "major"]),
        "safety.hazards_found_rectified": len(rectified_by_end),
        "safety.rectification_rate": len(rectified_by_end) / len(found) if found else None,
        "safety.median_days_to_rectify": statistics.median(
            [(h.rectified_on - h.found_on).days for h in rectified_by_end]
        )
        if rectified_by_end
        else None,
        "safety.inspections": cur_insp,
        "safety.inspections_baseline": base_insp,
        "safety.inspections_change": change(cur_insp, base_insp),
        "safety.accidents": cur_acc,
        "safety.accidents_baseline": base_acc,
        "safety.accidents_change": change(cur_acc, base_acc),
        "safety.days_lost": cur_days,
        "safety.days_lost_baseline": base_days,
        "safety.days_lost_change": change(cur_days, base_days),
    }
    values = indicators.compute(enterprises=enterprises, period=period)
    assert set(values) == {spec.code for spec in indicators.INDICATORS}
    for code, value in expected.items():
        assert values[code] == pytest.approx(value) if value is not None else values[code] is None, code


def test_the_demo_tells_the_pilots_story(period):
    huzhou = Enterprise.objects.filter(region__code__startswith="3305")
    values = indicators.compute(enterprises=huzhou, period=period)
    assert values["safety.inspections"] > values["safety.inspections_baseline"]
    assert values["safety.accidents"] < values["safety.accidents_baseline"]
    assert values["safety.rectification_rate"] > 0.8


def test_indicators_take_a_constant_number_of_queries(period):
    for prefix in ("330503", ""):
        with CaptureQueriesContext(connection) as ctx:
            indicators.compute(enterprises=Enterprise.objects.filter(region__code__startswith=prefix), period=period)
        assert len(ctx.captured_queries) <= 8


@pytest.mark.parametrize(("kind", "length"), [("region", 6), ("region", 4), ("enterprise", 0)])
def test_grouped_numbers_equal_each_group_computed_alone(period, kind, length):
    """Child regions and the enterprise table read one grouped query per table; every group's numbers,
    all of them, must be those of the group computed on its own."""
    everything = Enterprise.objects.all()
    grouping = Grouping(kind, length)
    with CaptureQueriesContext(connection) as ctx:
        grouped = indicators.compute_groups(enterprises=everything, period=period, grouping=grouping)
    assert len(ctx.captured_queries) <= 8
    assert grouped
    for enterprise in everything:
        key = str(enterprise.pk) if kind == "enterprise" else enterprise.region_id[:length]
        members = (
            everything.filter(pk=enterprise.pk)
            if kind == "enterprise"
            else everything.filter(region__code__startswith=key)
        )
        alone = indicators.compute(enterprises=members, period=period)
        if key in grouped:
            assert grouped[key] == alone, key
        else:  # a group without records: nothing but zeros and empty rates
            assert all(value in (0, None) for value in alone.values()), key


def test_the_report_tells_the_safety_numbers_in_sentences(persona, period):
    from django.utils import translation

    from scorehub.indicators import layer
    from scorehub.indicators.scopes import resolve_scope

    scope = resolve_scope(persona("huzhou_official"), "region:330500")
    values = indicators.compute(enterprises=scope.enterprises, period=period)
    with translation.override("en"):
        written = layer.headline_sentences(layer.compute_numbers(scope, period, with_previous=False))
    rate = f"{round(values['safety.rectification_rate'] * 100)}%"
    assert (
        f"{values['safety.checks']:,} work-safety checks were made; {values['safety.hazards_found']:,} hidden "
        f"hazards were found and {values['safety.hazards_found_rectified']:,} of them rectified, a rectification "
        f"rate of {rate}."
    ) in written
    assert any(s.startswith(f"Bureaus made {values['safety.inspections']:,} inspections") for s in written)
    # The count and the rate agree: the rate is the rectified share of the hazards found.
    assert values["safety.rectification_rate"] == pytest.approx(
        values["safety.hazards_found_rectified"] / values["safety.hazards_found"]
    )
    with translation.override("zh-hans"):
        chinese = layer.headline_sentences(layer.compute_numbers(scope, period, with_previous=False))
    assert any("整改率" in s and f"{values['safety.hazards_found']:,}" in s for s in chinese)


def test_a_zero_denominator_gives_none():
    nothing = Enterprise.objects.none()
    values = indicators.compute(enterprises=nothing, period=Period(dt.date(2010, 1, 1), dt.date(2010, 12, 31)))
    assert values["safety.rectification_rate"] is None
    assert values["safety.inspections_change"] is None
    assert values["safety.checks"] == 0


@pytest.mark.parametrize(
    ("d", "level"), [(321, "red"), (320, "orange"), (161, "orange"), (160, "yellow"), (71, "yellow"), (70, "blue")]
)
def test_lec_thresholds(d, level):
    assert level_for_lec(Decimal(d)) == level


def test_lec_thresholds_are_configurable(settings):
    settings.SCOREHUB_SAFETY = {"LEC_THRESHOLDS": (200, 100, 50)}
    assert level_for_lec(Decimal(210)) == "red"
    assert level_for_lec(Decimal(60)) == "yellow"


@pytest.mark.parametrize(("r", "level"), [(25, "red"), (20, "red"), (16, "orange"), (12, "yellow"), (8, "blue")])
def test_matrix_thresholds(r, level):
    assert level_for_matrix(r) == level


def test_a_risk_point_is_graded_when_saved(client_as, nanxun_enterprise):
    response = client_as("factory_manager").post(
        reverse("safety:risk-point-new", kwargs={"pk": nanxun_enterprise.pk}),
        {
            "name": "喷涂作业",
            "place": "喷涂车间",
            "hazard_factors": "火灾、爆炸、中毒",
            "method": RiskMethod.LEC,
            "lec_l": "3",
            "lec_e": "6",
            "lec_c": "40",
            "control_measures": "防爆电气，通风，静电接地",
            "responsible_level": "company",
            "assessed_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302
    point = RiskPoint.objects.get(enterprise=nanxun_enterprise, name="喷涂作业")
    assert point.score == Decimal("720.0")
    assert point.level == "red"
    card = client_as("factory_manager").get(reverse("safety:risk-point-detail", kwargs={"pk": point.pk}))
    assert b"risk-card" in card.content


def test_a_matrix_assessment_without_severity_is_refused(client_as, nanxun_enterprise):
    before = RiskPoint.objects.count()
    response = client_as("factory_manager").post(
        reverse("safety:risk-point-new", kwargs={"pk": nanxun_enterprise.pk}),
        {
            "name": "叉车",
            "place": "仓库",
            "hazard_factors": "车辆伤害",
            "method": RiskMethod.MATRIX,
            "likelihood": "4",
            "control_measures": "限速",
            "responsible_level": "team",
            "assessed_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 200
    assert RiskPoint.objects.count() == before


def test_accident_rates_per_100_workers_and_per_million_hours(persona, nanxun_enterprise):
    year = timezone.localdate().year
    rates = {r.year: r for r in selectors.accident_rates(nanxun_enterprise, Accident.objects.all())}
    accidents = Accident.objects.filter(enterprise=nanxun_enterprise, occurred_on__year=year)
    recordable = accidents.filter(severity__in=["lost_time", "serious", "fatal"]).count()
    if year in rates:
        row = rates[year]
        assert row.recordable == recordable
        assert row.per_100_workers == pytest.approx(recordable * 100 / nanxun_enterprise.employees_total)
        hours = HoursWorked.objects.get(enterprise=nanxun_enterprise, year=year).hours
        assert row.per_million_hours == pytest.approx(recordable * 1_000_000 / hours)


def test_an_accident_with_people_and_a_hazard_from_its_corrective_action(client_as, nanxun_enterprise):
    client = client_as("factory_manager")
    data = {
        "occurred_on": (timezone.localdate() - dt.timedelta(days=2)).isoformat(),
        "place": "二车间",
        "accident_type": "machinery",
        "severity": "lost_time",
        "description": "手指被卷入皮带轮",
        "cause": "防护罩拆除未复位",
        "corrective_actions": "恢复防护罩并加装联锁",
        "people-TOTAL_FORMS": "2",
        "people-INITIAL_FORMS": "0",
        "people-MIN_NUM_FORMS": "0",
        "people-1-role": "worker",  # an untouched extra row, as the browser sends it
        "people-1-days_lost": "0",
        "people-MAX_NUM_FORMS": "50",
        "people-0-gender": "female",
        "people-0-role": "worker",
        "people-0-injury": "lost_time",
        "people-0-days_lost": "12",
    }
    response = client.post(reverse("safety:accident-new", kwargs={"pk": nanxun_enterprise.pk}), data)
    assert response.status_code == 302
    accident = Accident.objects.get(enterprise=nanxun_enterprise, description="手指被卷入皮带轮")
    assert list(accident.people.values_list("gender", "days_lost")) == [("female", 12)]
    response = client.post(
        reverse("safety:accident-hazard", kwargs={"pk": accident.pk}),
        {"place": "二车间", "description": "皮带轮防护罩无联锁", "hazard_class": "general"},
    )
    assert response.status_code == 302
    hazard = Hazard.objects.get(description="皮带轮防护罩无联锁")
    assert hazard.source == accident
    assert hazard.source_kind == "accident"


def test_an_accident_in_the_future_is_refused(client_as, nanxun_enterprise):
    before = Accident.objects.count()
    response = client_as("factory_manager").post(
        reverse("safety:accident-new", kwargs={"pk": nanxun_enterprise.pk}),
        {
            "occurred_on": (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
            "place": "二车间",
            "accident_type": "fall",
            "severity": "near_miss",
            "description": "—",
            "people-TOTAL_FORMS": "0",
            "people-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 400
    assert Accident.objects.count() == before


def test_risk_grade_explains_itself_and_ranks_the_worst_first():
    grades = selectors.risk_grades(Enterprise.objects.filter(region__code__startswith="3305"))
    scores = [g.score for g in grades]
    assert scores == sorted(scores, reverse=True)
    for grade in grades:
        assert float(grade.score) == pytest.approx(sum(f.points for f in grade.factors), abs=0.3)
        assert grade.grade == selectors.grade_for(float(grade.score))
        assert {f.code for f in grade.factors} == set(selectors.FACTOR_LABELS)


def test_an_open_major_hazard_raises_the_grade(persona, nanxun_enterprise):
    from scorehub.safety import services

    before = selectors.risk_grades(Enterprise.objects.filter(pk=nanxun_enterprise.pk))[0]
    services.hazard_report(
        actor=persona("nanxun_inspector"),
        enterprise=nanxun_enterprise,
        place="仓库",
        description="锁闭安全出口",
        hazard_class="major",
    )
    after = selectors.risk_grades(Enterprise.objects.filter(pk=nanxun_enterprise.pk))[0]
    factor = {f.code: f for f in after.factors}["open_major"]
    assert factor.value == {f.code: f for f in before.factors}["open_major"].value + 1
    assert after.score >= before.score


def test_risk_grade_weights_are_configurable(settings, nanxun_enterprise):
    settings.SCOREHUB_SAFETY = {
        "RISK_GRADE_WEIGHTS": {
            "open_major": 0,
            "overdue": 0,
            "unrectified_share": 0,
            "accident_rate": 0,
            "since_inspection": 0,
            "risk_points": 0,
        }
    }
    grade = selectors.risk_grades(Enterprise.objects.filter(pk=nanxun_enterprise.pk))[0]
    assert grade.score == 0
    assert grade.grade == "D"


def test_the_plan_page_lists_the_jurisdiction_by_grade(client_as):
    response = client_as("huzhou_official").get(reverse("safety:plan"))
    assert response.status_code == 200
    listed = sum(count for _g, _label, count in response.context["grade_rows"])
    assert listed == Enterprise.objects.filter(region__code__startswith="3305", archived_at__isnull=True).count()


@pytest.mark.parametrize("who", ["buyer", "trainer", "factory_manager"])
def test_someone_who_inspects_nowhere_gets_an_empty_plan(client_as, who):
    response = client_as(who).get(reverse("safety:plan"))
    assert response.status_code == 200
    assert sum(count for _g, _label, count in response.context["grade_rows"]) == 0
    assert not list(response.context["page"])


def test_a_buyer_counts_nothing_on_the_numbers_page_and_nobody_posts_to_it(client_as):
    response = client_as("buyer").get(reverse("safety:numbers"))
    assert response.status_code == 200
    assert response.context["enterprise_count"] == 0
    assert response.context["n"]["hazards_found"] == 0
    assert client_as("nanxun_inspector").post(reverse("safety:numbers")).status_code == 405


def test_planning_an_inspection_and_refusing_a_second(client_as, persona):
    from scorehub.safety.models import PlannedInspection

    enterprise = Enterprise.objects.filter(region_id="330521").exclude(planned_inspections__status="planned").first()
    client = client_as("huzhou_official")
    url = reverse("safety:plan-schedule", kwargs={"pk": enterprise.pk})
    day = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    assert client.post(url, {"planned_for": day, "kind": "government"}).status_code == 302
    planned = PlannedInspection.objects.get(enterprise=enterprise, status="planned")
    assert planned.grade in "ABCD"
    assert client.post(url, {"planned_for": day, "kind": "government"}).status_code == 200
    assert PlannedInspection.objects.filter(enterprise=enterprise).count() == 1
    # An inspector plans nothing.
    assert client_as("nanxun_inspector").post(url, {"planned_for": day, "kind": "government"}).status_code == 404


def test_an_accident_that_hurt_several_people_counts_once_and_adds_up_their_days(period, nanxun_enterprise):
    """Accidents and the days their people lost come from one read that joins the people in."""
    scope = Enterprise.objects.filter(pk=nanxun_enterprise.pk)
    span, pair = Grouping.pair(period)
    before = selectors.safety_numbers(scope, period)
    before_halves = selectors.grouped_safety_numbers(scope, span, pair)

    def accident(day, severity, days_lost):
        record = Accident.objects.create(
            enterprise=nanxun_enterprise,
            occurred_on=day,
            place="冲压车间",
            accident_type="struck",
            severity=severity,
            description="模具脱落",
        )
        for days in days_lost:
            AffectedPerson.objects.create(accident=record, gender="male", injury="lost_time", days_lost=days)

    accident(period.end - dt.timedelta(days=3), "lost_time", [4, 9, 0])
    accident(period.end - dt.timedelta(days=5), "near_miss", [0])
    accident(period.start - dt.timedelta(days=10), "first_aid", [1, 2])  # the baseline period
    after = selectors.safety_numbers(scope, period)
    added = {name: after[name] - before[name] for name in ("accidents", "accidents_recordable", "near_misses")}
    assert added == {"accidents": 1, "accidents_recordable": 1, "near_misses": 1}
    assert after["accidents_baseline"] - before["accidents_baseline"] == 1
    assert after["days_lost"] - before["days_lost"] == 13
    assert after["days_lost_baseline"] - before["days_lost_baseline"] == 3
    # The same from a period pair: the current half as above, the previous half counts the baseline accident.
    halves = selectors.grouped_safety_numbers(scope, span, pair)
    assert {k: halves["current"][k] for k in after} == after
    assert halves["previous"]["accidents"] - before_halves["previous"]["accidents"] == 1
    assert halves["previous"]["days_lost"] - before_halves["previous"]["days_lost"] == 3
