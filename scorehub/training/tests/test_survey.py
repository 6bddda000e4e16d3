"""The satisfaction survey: public through an expiring per-session token, anonymous, one answer per phone."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from scorehub.training import selectors, services
from scorehub.training.models import ClassroomSession, SurveyResponse

from .url_samples import SAMPLES

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_session():
    return ClassroomSession.objects.get(survey_token=SAMPLES["training:survey"]()["token"])


def answer(**overrides):
    return {"overall": 5, "usefulness": 4, "trainers": 5, "role": "worker", "comment": "很好", **overrides}


def test_participant_answers_without_an_account(client, open_session):
    url = reverse("training:survey", kwargs={"token": open_session.survey_token})
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert open_session.cohort.module.name_zh in body
    # Nothing about the enterprises or the people in the room.
    for participant in open_session.participants.select_related("enterprise"):
        assert participant.name not in body
        assert participant.enterprise.name_zh not in body
    before = open_session.survey_responses.count()
    response = client.post(url, answer())
    assert response.status_code == 200
    assert 'data-testid="survey-thanks"' in response.content.decode()
    assert open_session.survey_responses.count() == before + 1


def test_one_answer_per_phone(client, open_session):
    url = reverse("training:survey", kwargs={"token": open_session.survey_token})
    client.post(url, answer())
    before = open_session.survey_responses.count()
    again = client.post(url, answer(overall=1))
    assert again.status_code == 200
    assert open_session.survey_responses.count() == before


def test_an_expired_token_closes_the_survey(client, open_session):
    open_session.survey_expires_at = timezone.now() - dt.timedelta(minutes=1)
    open_session.save()
    url = reverse("training:survey", kwargs={"token": open_session.survey_token})
    before = SurveyResponse.objects.count()
    assert client.get(url).status_code == 410
    assert client.post(url, answer()).status_code == 410
    assert SurveyResponse.objects.count() == before


def test_an_unknown_token_is_404(client):
    assert client.get(reverse("training:survey", kwargs={"token": "not-a-token"})).status_code == 404


def test_reopening_gives_a_new_token_and_the_old_one_stops_working(client, persona, open_session):
    old = open_session.survey_token
    services.survey_open(actor=persona("trainer"), session=open_session)
    assert open_session.survey_token != old
    assert client.get(reverse("training:survey", kwargs={"token": old})).status_code == 404
    assert client.get(reverse("training:survey", kwargs={"token": open_session.survey_token})).status_code == 200


def test_an_invalid_rating_is_refused(client, open_session):
    before = open_session.survey_responses.count()
    response = client.post(reverse("training:survey", kwargs={"token": open_session.survey_token}), answer(overall=9))
    assert response.status_code == 200
    assert 'data-testid="survey-form"' in response.content.decode()
    assert open_session.survey_responses.count() == before


def test_survey_answers_are_throttled(client, open_session):
    url = reverse("training:survey", kwargs={"token": open_session.survey_token})
    cache.clear()
    # The clock stands still (at the present moment, so the survey stays open) for the whole burst.
    with time_machine.travel(timezone.now(), tick=False):
        statuses = [client.post(url, answer()).status_code for _ in range(11)]
        # Opening the page is counted apart from answering it.
        assert client.get(url).status_code == 200
    assert statuses == [200] * 10 + [429]


def test_room_page_shows_the_qr_code_to_the_trainer_only(client_as, open_session):
    url = reverse("training:session-survey", kwargs={"pk": open_session.pk})
    response = client_as("trainer").get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'src="data:image/svg+xml' in body
    assert open_session.survey_token in body
    assert client_as("nanxun_inspector").get(url).status_code == 404
    assert client_as("factory_manager").get(url).status_code == 404


def test_satisfaction_rate_per_session_trainer_and_programme(persona, open_session):
    responses = list(SurveyResponse.objects.filter(session=open_session))
    numbers = selectors.with_session_numbers(ClassroomSession.objects.filter(pk=open_session.pk)).get()
    assert numbers.response_count == len(responses)
    assert numbers.satisfied_count == sum(1 for r in responses if r.overall >= 4)
    programme = open_session.cohort.programme
    all_responses = list(SurveyResponse.objects.filter(session__cohort__programme=programme))
    totals = selectors.programme_numbers(programme, persona("admin")).satisfaction
    assert totals.responses == len(all_responses)
    assert totals.satisfied == sum(1 for r in all_responses if r.overall >= 4)


def test_satisfaction_per_provider_matches_independent_counts(client_as, huzhou_programme):
    response = client_as("huzhou_official").get(huzhou_programme.get_absolute_url())
    rows = {row.provider: row.satisfaction for row in response.context["provider_satisfaction"]}
    responses = SurveyResponse.objects.filter(session__cohort__programme=huzhou_programme).select_related(
        "session__cohort__provider"
    )
    expected: dict[str, list[int]] = {}
    for r in responses:
        counts = expected.setdefault(r.session.cohort.provider.name_zh, [0, 0])
        counts[0] += 1
        counts[1] += r.overall >= 4
    assert {name: [s.responses, s.satisfied] for name, s in rows.items()} == expected
    assert len(expected) == 2
