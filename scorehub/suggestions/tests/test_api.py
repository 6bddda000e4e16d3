"""The REST API: idempotent submission, moves, filters, scope."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from scorehub.core.tests.photo_files import pixel_bomb_png, upload
from scorehub.suggestions.models import CaseStudy, ImprovementProject, Photo, Suggestion

from .factories import submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(persona):
    def as_user(username):
        client = APIClient()
        client.force_authenticate(persona(username))
        return client

    return as_user


def payload(enterprise, **extra):
    return {
        "enterprise": enterprise.pk,
        "problem": "换模太慢",
        "proposal": "做工具墙",
        "category": "productivity",
        **extra,
    }


def test_retried_submission_with_the_same_idempotency_key_never_duplicates(api, nanxun_enterprise):
    client = api("team_member")
    before = Suggestion.objects.count()
    first = client.post("/api/v1/suggestions/", payload(nanxun_enterprise), format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    retry = client.post("/api/v1/suggestions/", payload(nanxun_enterprise), format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    assert first.status_code == 201
    assert retry.status_code == 200
    assert retry.json()["id"] == first.json()["id"]
    assert Suggestion.objects.count() == before + 1
    other = client.post("/api/v1/suggestions/", payload(nanxun_enterprise), format="json", HTTP_IDEMPOTENCY_KEY="abc-2")
    assert other.status_code == 201
    assert Suggestion.objects.count() == before + 2


def test_submission_without_a_key_creates_each_time(api, nanxun_enterprise):
    client = api("team_member")
    before = Suggestion.objects.count()
    client.post("/api/v1/suggestions/", payload(nanxun_enterprise), format="json")
    client.post("/api/v1/suggestions/", payload(nanxun_enterprise), format="json")
    assert Suggestion.objects.count() == before + 2


def test_the_api_never_returns_the_workers_name(api, nanxun_enterprise):
    client = api("team_member")
    response = client.post(
        "/api/v1/suggestions/",
        payload(nanxun_enterprise, submitter_name="王建军", submitter_contact="139"),
        format="json",
    )
    assert response.status_code == 201
    assert "王建军" not in response.content.decode()
    assert Suggestion.objects.get(pk=response.json()["id"]).submitter_name == "王建军"


def test_official_cannot_submit_and_nothing_is_stored(api, nanxun_enterprise):
    before = Suggestion.objects.count()
    response = api("huzhou_official").post("/api/v1/suggestions/", payload(nanxun_enterprise), format="json")
    assert response.status_code in (400, 404)
    assert Suggestion.objects.count() == before


def test_transition_follows_the_board_rules(api, nanxun_enterprise, persona):
    suggestion = submit(nanxun_enterprise, actor=persona("team_member"))
    client = api("team_member")
    url = f"/api/v1/suggestions/{suggestion.pk}/transition/"
    refused = client.post(url, {"to": "rejected"}, format="json")
    assert refused.status_code == 400
    assert "reason" in refused.json()
    ok = client.post(url, {"to": "rejected", "reason": "已有计划"}, format="json")
    assert ok.status_code == 200
    assert ok.json()["status"] == "rejected"
    assert api("huzhou_official").post(url, {"to": "under_review"}, format="json").status_code == 404
    assert Suggestion.objects.get(pk=suggestion.pk).status == "rejected"


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # Pillow's note; the cleaner refuses
def test_a_pixel_bomb_sent_with_a_move_is_refused_and_nothing_changes(api, nanxun_enterprise, persona):
    suggestion = submit(nanxun_enterprise, actor=persona("team_member"))
    bomb = upload(pixel_bomb_png(7000), "bomb.png", "image/png")
    url = f"/api/v1/suggestions/{suggestion.pk}/transition/"
    response = api("team_member").post(url, {"to": "under_review", "photos": [bomb]}, format="multipart")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["照片像素过多：最多 40 百万像素。"]}
    assert Suggestion.objects.get(pk=suggestion.pk).status == "submitted"
    assert not Photo.objects.filter(suggestion=suggestion).exists()


def test_actions_answer_with_the_json_format_suffix(api, nanxun_enterprise, persona):
    suggestion = submit(nanxun_enterprise, actor=persona("team_member"))
    moved = api("team_member").post(
        f"/api/v1/suggestions/{suggestion.pk}/transition.json", {"to": "under_review"}, format="json"
    )
    assert moved.status_code == 200
    assert moved.json()["status"] == "under_review"
    project = ImprovementProject.objects.filter(enterprise=nanxun_enterprise, status="completed").first()
    verified = api("trainer").post(
        f"/api/v1/improvement-projects/{project.pk}/verify.json", {"amount": "1200.00"}, format="json"
    )
    assert verified.status_code == 200
    assert verified.json()["verified_savings"] == "1200.00"


def test_list_filters_and_scope(api, nanxun_enterprise):
    client = api("fangshan_official")
    out_of_scope = client.get("/api/v1/suggestions/", {"enterprise": nanxun_enterprise.pk})
    missing = client.get("/api/v1/suggestions/", {"enterprise": 10**9})
    # An enterprise out of scope is answered exactly like one that does not exist.
    assert (out_of_scope.status_code, out_of_scope.json()) == (missing.status_code, missing.json())
    listed = client.get("/api/v1/suggestions/").json()
    assert listed["count"] == Suggestion.objects.filter(enterprise__region_id="110111").count()
    own = api("factory_manager").get("/api/v1/suggestions/", {"status": "implemented"}).json()
    expected = Suggestion.objects.filter(enterprise=nanxun_enterprise, status="implemented").count()
    assert own["count"] == expected
    assert {row["status"] for row in own["results"]} == {"implemented"}


def test_trainer_verifies_through_the_api_and_the_manager_cannot(api, nanxun_enterprise):
    project = ImprovementProject.objects.filter(enterprise=nanxun_enterprise, status="completed").first()
    url = f"/api/v1/improvement-projects/{project.pk}/verify/"
    assert api("factory_manager").post(url, {"amount": "1"}, format="json").status_code == 404
    response = api("trainer").post(url, {"amount": "30000.00"}, format="json")
    assert response.status_code == 200
    assert response.json()["verified_savings"] == "30000.00"


def test_case_studies_api_lists_the_approved_library_for_another_city(api):
    response = api("fangshan_official").get("/api/v1/case-studies/")
    approved = set(CaseStudy.objects.filter(status="approved").values_list("pk", flat=True))
    assert {row["id"] for row in response.json()["results"]} >= approved
    assert api("buyer").get("/api/v1/case-studies/").json()["count"] == 0
