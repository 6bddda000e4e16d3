"""A programme and a cohort as dashboard scopes: their numbers, who may open them, and the intersection
with the user's jurisdiction."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from scorehub.enterprises.models import Enterprise
from scorehub.indicators.base import Period
from scorehub.indicators.periods import period_param
from scorehub.indicators.scopes import resolve_scope
from scorehub.training.models import (
    ClassroomSession,
    Cohort,
    CohortEnterprise,
    Enrolment,
    EnrolmentStatus,
    Participant,
    Programme,
    Visit,
    VisitStatus,
)

pytestmark = pytest.mark.django_db

API = "/api/v1/indicators/"


def huzhou_programme() -> Programme:
    return Programme.objects.get(region_id="330500")


def wide_period() -> Period:
    today = timezone.localdate()
    return Period(today - dt.timedelta(days=3 * 365), today + dt.timedelta(days=365))


def api_values(client, key: str, period: Period) -> dict:
    response = client.get(API, {"scope": key, "period": period_param(period)})
    assert response.status_code == 200, response.content
    return {item["code"]: item["value"] for item in response.json()["indicators"]}


def test_the_programme_scope_counts_the_records_of_its_enterprises(client_as):
    programme = huzhou_programme()
    period = wide_period()
    ids = set(Enrolment.objects.filter(programme=programme).values_list("enterprise_id", flat=True))
    assert Enrolment.objects.filter(programme=programme, status=EnrolmentStatus.DROPPED).exists()
    values = api_values(client_as("admin"), f"programme:{programme.pk}", period)

    enrolled = (
        Enrolment.objects.filter(enterprise_id__in=ids, enrolled_on__range=(period.start, period.end))
        .exclude(status=EnrolmentStatus.DROPPED)
        .count()
    )
    sessions = {
        p.session_id
        for p in Participant.objects.filter(enterprise_id__in=ids).select_related("session")
        if period.start <= p.session.starts_on <= period.end
    }
    participants = Participant.objects.filter(
        enterprise_id__in=ids, session__starts_on__range=(period.start, period.end)
    ).count()
    visits_done = Visit.objects.filter(
        enterprise_id__in=ids, status=VisitStatus.DONE, done_on__range=(period.start, period.end)
    ).count()
    assert enrolled > 0
    assert sessions
    assert visits_done > 0
    assert values["training.enrolled"] == enrolled
    assert values["training.sessions"] == len(sessions)
    assert values["training.participants"] == participants
    assert values["training.visits_done"] == visits_done


def test_the_cohort_scope_counts_only_the_cohorts_enterprises(client_as):
    cohort = Cohort.objects.filter(programme=huzhou_programme()).order_by("pk").first()
    ids = set(CohortEnterprise.objects.filter(cohort=cohort).values_list("enterprise_id", flat=True))
    period = wide_period()
    values = api_values(client_as("admin"), f"cohort:{cohort.pk}", period)
    done = Visit.objects.filter(
        enterprise_id__in=ids, status=VisitStatus.DONE, done_on__range=(period.start, period.end)
    ).count()
    assert values["training.visits_done"] == done


def test_the_programme_dashboard_lists_its_cohorts_and_sits_under_its_region(persona):
    programme = huzhou_programme()
    scope = resolve_scope(persona("admin"), f"programme:{programme.pk}")
    assert scope.kind == "programme"
    assert scope.label == programme.name
    # The latest cohorts first: by their first classroom day, the ones not yet in the classroom on top.
    first_days = {
        c.pk: min((s.starts_on for s in c.sessions.all()), default=None)
        for c in Cohort.objects.filter(programme=programme).prefetch_related("sessions")
    }
    latest = sorted(
        first_days, key=lambda pk: (first_days[pk] is None, first_days[pk] or dt.date.min, pk), reverse=True
    )
    assert [child.key for child in scope.children] == [f"cohort:{pk}" for pk in latest]
    assert scope.children_title == "Latest cohorts"
    assert "region:330500" in [key for _label, key in scope.breadcrumbs]
    cohort = Cohort.objects.filter(programme=programme).first()
    cohort_scope = resolve_scope(persona("admin"), f"cohort:{cohort.pk}")
    assert cohort_scope.breadcrumbs[-1] == (programme.name, f"programme:{programme.pk}")


def test_the_dashboard_opens_on_a_programme_and_a_cohort(client_as):
    programme = huzhou_programme()
    cohort = Cohort.objects.filter(programme=programme).first()
    client = client_as("huzhou_official")
    for key, label in ((f"programme:{programme.pk}", programme.name_zh), (f"cohort:{cohort.pk}", cohort.name)):
        response = client.get(reverse("indicators:dashboard"), {"scope": key})
        assert response.status_code == 200
        assert label in response.content.decode()


def test_the_programme_and_cohort_pages_link_to_their_dashboards(client_as):
    programme = huzhou_programme()
    cohort = Cohort.objects.filter(programme=programme).first()
    client = client_as("huzhou_official")
    dashboard = reverse("indicators:dashboard")
    page = client.get(programme.get_absolute_url()).content.decode()
    assert f'href="{dashboard}?scope=programme:{programme.pk}"' in page
    page = client.get(cohort.get_absolute_url()).content.decode()
    assert f'href="{dashboard}?scope=cohort:{cohort.pk}"' in page


@pytest.mark.parametrize(
    ("username", "region", "other_providers_cohort"),
    [
        # The Huzhou programme is not the Fangshan official's.
        ("fangshan_official", "330500", False),
        # The Fangshan programme is delivered by CEC only, not by the Zhejiang provider.
        ("zj_trainer", "110111", False),
        # The Yongkang pilot is delivered by the Zhejiang provider only.
        ("trainer", "330784", False),
        # zj_trainer's provider delivers one Huzhou cohort, but CEC's Huzhou cohorts are not theirs.
        ("zj_trainer", "330500", True),
    ],
)
def test_outsiders_get_404_on_the_dashboard_and_api_of_a_programme_or_cohort(
    client_as, username, region, other_providers_cohort
):
    programme = Programme.objects.get(region_id=region)
    key = f"programme:{programme.pk}"
    if other_providers_cohort:
        cohort = (
            Cohort.objects.filter(programme=programme)
            .exclude(provider__trainer_profiles__user__username=username)
            .first()
        )
        assert cohort is not None
        key = f"cohort:{cohort.pk}"
    client = client_as(username)
    assert client.get(reverse("indicators:dashboard"), {"scope": key}).status_code == 404
    assert client.get(API, {"scope": key}).status_code == 404


def test_a_programme_dashboard_lists_only_its_latest_cohorts(persona, monkeypatch):
    from scorehub.training import indicators

    programme = huzhou_programme()
    assert Cohort.objects.filter(programme=programme).count() > 1
    monkeypatch.setattr(indicators, "PROGRAMME_DASHBOARD_COHORTS", 1)
    scope = resolve_scope(persona("admin"), f"programme:{programme.pk}")
    assert len(scope.children) == 1


@pytest.mark.parametrize("key", ["programme:999999", "programme:abc", "cohort:999999", "cohort:"])
def test_an_unknown_programme_or_cohort_is_404(client_as, key):
    client = client_as("admin")
    assert client.get(reverse("indicators:dashboard"), {"scope": key}).status_code == 404
    assert client.get(API, {"scope": key}).status_code == 404


def test_an_official_sees_only_the_enterprises_of_a_programme_inside_their_jurisdiction(persona, client_as):
    huzhou = list(Enterprise.objects.filter(region__code__startswith="3305").order_by("pk")[:3])
    yongkang = list(Enterprise.objects.filter(region__code__startswith="330784").order_by("pk")[:2])
    assert len(huzhou) == 3
    assert len(yongkang) == 2
    today = timezone.localdate()
    programme = Programme.objects.create(
        name_zh="浙江省 SCORE 联合项目", region_id="330000", starts_on=today - dt.timedelta(days=60), ends_on=today
    )
    for enterprise in [*huzhou, *yongkang]:
        Enrolment.objects.create(programme=programme, enterprise=enterprise, enrolled_on=today - dt.timedelta(days=30))
    key = f"programme:{programme.pk}"

    province = resolve_scope(persona("zhejiang_official"), key)
    city = resolve_scope(persona("huzhou_official"), key)
    assert set(province.enterprises.values_list("pk", flat=True)) == {e.pk for e in [*huzhou, *yongkang]}
    assert set(city.enterprises.values_list("pk", flat=True)) == {e.pk for e in huzhou}
    # The Huzhou official is told the numbers are partial; the province official sees it all.
    assert city.partial
    assert not province.partial
    huzhou_programme = Programme.objects.filter(region_id="330500").order_by("pk").first()
    assert not resolve_scope(persona("huzhou_official"), f"programme:{huzhou_programme.pk}").partial

    period = Period(today - dt.timedelta(days=40), today)
    # Each of these enterprises may be enrolled elsewhere too: count from the records, not from the fixture.
    expected = {
        username: Enrolment.objects.filter(enterprise__in=enterprises, enrolled_on__range=(period.start, period.end))
        .exclude(status=EnrolmentStatus.DROPPED)
        .count()
        for username, enterprises in (("zhejiang_official", [*huzhou, *yongkang]), ("huzhou_official", huzhou))
    }
    assert expected["zhejiang_official"] > expected["huzhou_official"] >= 3
    for username, count in expected.items():
        assert api_values(client_as(username), key, period)["training.enrolled"] == count


def test_a_session_of_the_programme_counts_once_however_many_enterprises_attend(client_as):
    programme = huzhou_programme()
    session = (
        ClassroomSession.objects.filter(cohort__programme=programme, participants__isnull=False)
        .order_by("starts_on")
        .first()
    )
    assert session.participants.values("enterprise").distinct().count() > 1
    day = session.starts_on
    values = api_values(client_as("admin"), f"programme:{programme.pk}", Period(day, day))
    assert (
        values["training.sessions"]
        == ClassroomSession.objects.filter(
            starts_on=day, participants__enterprise__training_enrolments__programme=programme
        )
        .distinct()
        .count()
    )
