"""Training indicators (checked against independent counts) and the REST API."""

from __future__ import annotations

import datetime as dt

import pytest

from scorehub.enterprises.models import Enterprise
from scorehub.indicators.base import Period
from scorehub.training import indicators
from scorehub.training.models import (
    Certificate,
    ClassroomSession,
    CohortEnterprise,
    Enrolment,
    Participant,
    ProgrammeTarget,
    SurveyResponse,
    Visit,
)

pytestmark = pytest.mark.django_db


def independent(enterprises, period):
    ids = {e.pk for e in enterprises}
    inside = lambda day: day is not None and period.start <= day <= period.end  # noqa: E731
    enrolments = [e for e in Enrolment.objects.all() if e.enterprise_id in ids and e.status != "dropped"]
    participants = [
        p
        for p in Participant.objects.select_related("session")
        if p.enterprise_id in ids and inside(p.session.starts_on)
    ]
    session_ids = {p.session_id for p in participants}
    responses = [r for r in SurveyResponse.objects.all() if r.session_id in session_ids]
    visits = [v for v in Visit.objects.all() if v.enterprise_id in ids and v.status != "cancelled"]
    planned = [v for v in visits if inside(v.planned_on)]
    programmes = {e.programme_id for e in enrolments if e.enrolled_on <= period.end}
    target_total = 0
    for programme_id in programmes:
        targets = sorted(
            ProgrammeTarget.objects.filter(programme_id=programme_id, kind="enrolments"), key=lambda t: t.due_on
        )
        if targets:
            later = [t for t in targets if t.due_on >= period.end]
            target_total += (later[0] if later else targets[-1]).value
    targeted = {p for p in programmes if ProgrammeTarget.objects.filter(programme_id=p, kind="enrolments").exists()}
    enrolled_targeted = [e for e in enrolments if e.programme_id in targeted and e.enrolled_on <= period.end]
    share = lambda n, d: n / d if d else None  # noqa: E731
    return {
        "training.enrolled": sum(1 for e in enrolments if inside(e.enrolled_on)),
        "training.enrolment_target": target_total or None,
        "training.enrolment_vs_target": share(len(enrolled_targeted), target_total),
        "training.module_completions": sum(
            1 for ce in CohortEnterprise.objects.all() if ce.enterprise_id in ids and inside(ce.completed_on)
        ),
        "training.certificates": sum(
            1
            for c in Certificate.objects.all()
            if c.enterprise_id in ids and inside(c.issued_on) and c.revoked_on is None
        ),
        "training.sessions": len(session_ids),
        "training.participants": len(participants),
        "training.participants_worker_share": share(sum(p.role == "worker" for p in participants), len(participants)),
        "training.participants_women_share": share(sum(p.gender == "female" for p in participants), len(participants)),
        "training.satisfaction_rate": share(sum(r.overall >= 4 for r in responses), len(responses)),
        "training.visits_planned": len(planned),
        "training.visits_done": sum(1 for v in visits if v.status == "done" and inside(v.done_on)),
        "training.visits_done_rate": share(sum(v.status == "done" for v in planned), len(planned)),
    }


@pytest.mark.parametrize(
    ("region", "days"),
    [("3305", 730), ("330503", 120), ("110111", 730), ("330784", 60)],
)
def test_indicators_match_independent_counts(region, days, today, django_assert_max_num_queries):
    enterprises = Enterprise.objects.filter(region__code__startswith=region)
    period = Period(today - dt.timedelta(days=days), today + dt.timedelta(days=30))
    with django_assert_max_num_queries(20):
        values = indicators.compute(enterprises=enterprises, period=period)
    assert set(values) == {spec.code for spec in indicators.INDICATORS}
    expected = independent(list(enterprises), period)
    for code, value in expected.items():
        assert values[code] == pytest.approx(value), code
    assert values["training.participants"] > 0 or region == "330784"


def test_indicators_of_an_empty_period_are_zero_and_rates_none(today):
    period = Period(today + dt.timedelta(days=3000), today + dt.timedelta(days=3001))
    values = indicators.compute(enterprises=Enterprise.objects.all(), period=period)
    assert values["training.sessions"] == 0
    assert values["training.satisfaction_rate"] is None
    assert values["training.visits_done_rate"] is None


def test_api_lists_are_scoped(client_as, persona):
    client = client_as("zj_trainer")
    cohorts = client.get("/api/v1/training/cohorts/").json()["results"]
    assert cohorts
    assert {c["provider"] for c in cohorts} == {"浙江安全生产培训服务中心"}
    visits = client.get("/api/v1/training/visits/").json()["results"]
    assert visits
    reach = set(Enterprise.objects.visible_to(persona("zj_trainer")).values_list("pk", flat=True))
    assert {v["enterprise"] for v in visits} <= reach


def test_api_cohort_of_another_provider_is_404(client_as, osh_cohort):
    assert client_as("zj_trainer").get(f"/api/v1/training/cohorts/{osh_cohort.pk}/").status_code == 404
    assert client_as("trainer").get(f"/api/v1/training/cohorts/{osh_cohort.pk}/").status_code == 200


def test_api_filters_visits_like_the_page(client_as):
    response = client_as("admin").get("/api/v1/training/visits/?joint=true&page_size=500")
    results = response.json()["results"]
    assert results
    assert all(v["inspector"] for v in results)
    assert len(results) == Visit.objects.filter(inspector__isnull=False).count()


def test_api_progress_gives_steps_and_reasons(client_as, nanxun_participation):
    data = client_as("factory_manager").get(f"/api/v1/training/progress/{nanxun_participation.pk}/").json()
    assert set(data["steps"]) == {"enrolled", "baseline", "classroom", "visits", "completed"}
    assert data["reasons"]


def test_api_enrols_through_the_service(client_as, huzhou_programme, today):
    enterprise = (
        Enterprise.objects.filter(region__code__startswith="3305")
        .exclude(training_enrolments__programme=huzhou_programme)
        .first()
    )
    if enterprise is None:
        pytest.skip("every Huzhou enterprise of the demo is enrolled")
    payload = {"programme": huzhou_programme.pk, "enterprise": enterprise.pk, "enrolled_on": f"{today:%Y-%m-%d}"}
    response = client_as("huzhou_official").post(
        "/api/v1/training/enrolments/", payload, content_type="application/json"
    )
    assert response.status_code == 201
    assert Enrolment.objects.filter(programme=huzhou_programme, enterprise=enterprise).exists()


def test_api_refuses_enrolment_by_a_trainer(client_as, huzhou_programme, today):
    enterprise = Enterprise.objects.filter(region_id="330503").first()
    before = Enrolment.objects.count()
    response = client_as("trainer").post(
        "/api/v1/training/enrolments/",
        {"programme": huzhou_programme.pk, "enterprise": enterprise.pk, "enrolled_on": f"{today:%Y-%m-%d}"},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert Enrolment.objects.count() == before


def test_api_session_numbers(client_as):
    data = client_as("admin").get("/api/v1/training/sessions/?page_size=500").json()["results"]
    for row in data:
        assert row["participant_count"] == Participant.objects.filter(session_id=row["id"]).count()
    assert len(data) == ClassroomSession.objects.count()
