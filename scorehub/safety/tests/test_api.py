"""The safety API: scoped reads, and checks submitted with an idempotency key."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from scorehub.safety.models import ChecklistTemplate, Hazard, SafetyCheck

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(persona):
    def as_user(username):
        client = APIClient()
        client.force_authenticate(persona(username))
        return client

    return as_user


def payload(enterprise, key=None):
    version = ChecklistTemplate.objects.get(code="GEN-MFG").current_version
    items = list(version.items.all()[:3])
    data = {
        "enterprise": enterprise.pk,
        "kind": "government",
        "version": version.pk,
        "checked_on": timezone.localdate().isoformat(),
        "place": "一车间",
        "results": [
            {"item": items[0].pk, "outcome": "fail", "note": "破损"},
            {"item": items[1].pk, "outcome": "pass"},
            {"item": items[2].pk, "outcome": "na"},
        ],
    }
    if key:
        data["client_uuid"] = key
    return data


def test_a_check_posted_twice_with_the_same_key_is_recorded_once(api, nanxun_enterprise):
    client = api("nanxun_inspector")
    key = str(uuid.uuid4())
    before = SafetyCheck.objects.count(), Hazard.objects.count()
    first = client.post("/api/v1/safety/checks/", payload(nanxun_enterprise, key), format="json")
    second = client.post("/api/v1/safety/checks/", payload(nanxun_enterprise, key), format="json")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert first.json()["failed"] == 1
    assert (SafetyCheck.objects.count(), Hazard.objects.count()) == (before[0] + 1, before[1] + 1)


def test_the_idempotency_key_header_works_too(api, nanxun_enterprise):
    client = api("nanxun_inspector")
    key = str(uuid.uuid4())
    first = client.post("/api/v1/safety/checks/", payload(nanxun_enterprise), format="json", HTTP_IDEMPOTENCY_KEY=key)
    second = client.post("/api/v1/safety/checks/", payload(nanxun_enterprise), format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert (first.status_code, second.status_code) == (201, 200)
    assert SafetyCheck.objects.filter(client_uuid=key).count() == 1


def test_an_outsider_cannot_post_a_check_for_nanxun(api, nanxun_enterprise):
    before = SafetyCheck.objects.count()
    response = api("fangshan_official").post(
        "/api/v1/safety/checks/", payload(nanxun_enterprise, str(uuid.uuid4())), format="json"
    )
    assert response.status_code == 400  # the enterprise is not among those the caller can choose
    assert SafetyCheck.objects.count() == before


def test_hazard_list_is_scoped_and_filtered(api):
    response = api("nanxun_inspector").get("/api/v1/safety/hazards/", {"state": "open", "page_size": 500})
    assert response.status_code == 200
    ids = {row["id"] for row in response.json()["results"]}
    expected = set(
        Hazard.objects.filter(enterprise__region_id="330503", status__in=["found", "assigned"]).values_list(
            "pk", flat=True
        )
    )
    assert ids == expected


def test_buyers_see_no_hazards(api):
    assert api("buyer").get("/api/v1/safety/hazards/").json()["count"] == 0


def test_checklists_are_readable_with_their_items(api):
    template = ChecklistTemplate.objects.get(code="FIREWORKS")
    response = api("factory_manager").get(f"/api/v1/safety/checklists/{template.pk}/")
    assert response.status_code == 200
    assert len(response.json()["current_version"]["items"]) == template.current_version.items.count()
