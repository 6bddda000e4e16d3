"""The region API (``/api/v1/regions/``): each caller reads their own branch of the GB/T 2260 tree."""

from __future__ import annotations

import pytest
from django.test import Client

from scorehub.accounts.models import ProviderAssignment
from scorehub.core.demodata import DEMO_PASSWORD
from scorehub.enterprises.models import BuyerConsent
from scorehub.regions.models import Region

pytestmark = pytest.mark.django_db

API = "/api/v1/regions/"


def codes(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["code"] for row in response.json()["results"]}


def with_ancestors(region_codes: set[str]) -> set[str]:
    above = {c[:2] + "0000" for c in region_codes} | {c[:4] + "00" for c in region_codes}
    existing = set(Region.objects.values_list("code", flat=True))
    return (region_codes | above) & existing


def jurisdiction(prefix: str) -> set[str]:
    inside = {c for c in Region.objects.values_list("code", flat=True) if c.startswith(prefix)}
    return with_ancestors(inside)


@pytest.mark.parametrize(
    ("username", "prefix"),
    [
        ("huzhou_official", "3305"),
        ("zhejiang_official", "33"),
        ("nanxun_inspector", "330503"),
        ("fangshan_official", "110111"),
    ],
)
def test_officials_read_their_jurisdiction_and_the_regions_above_it(client_as, username, prefix):
    assert codes(client_as(username).get(API, {"page_size": 500})) == jurisdiction(prefix)


def test_the_outsider_reads_only_beijing_and_fangshan(client_as):
    assert codes(client_as("fangshan_official").get(API)) == {"110000", "110111"}


def test_trainer_reads_the_regions_of_assigned_enterprises(client_as, persona):
    trainer = persona("trainer")
    assigned = set(
        ProviderAssignment.objects.filter(provider__memberships__user=trainer).values_list(
            "enterprise__region_id", flat=True
        )
    )
    assert codes(client_as("trainer").get(API, {"page_size": 500})) == with_ancestors(assigned)


def test_buyer_reads_the_regions_of_consenting_suppliers(client_as):
    consenting = set(BuyerConsent.objects.active().values_list("enterprise__region_id", flat=True))
    assert consenting
    assert codes(client_as("buyer").get(API, {"page_size": 500})) == with_ancestors(consenting)


def test_programme_admin_reads_every_region_page_by_page(client_as):
    client = client_as("admin")
    total = Region.objects.count()
    first = client.get(API, {"page_size": 5}).json()
    assert first["count"] == total
    assert len(first["results"]) == 5
    assert first["next"]
    second = client.get(first["next"]).json()
    assert not {r["code"] for r in first["results"]} & {r["code"] for r in second["results"]}


def test_filters_level_subtree_and_search(client_as):
    client = client_as("admin")
    districts = {c for c, level in Region.objects.values_list("code", "level") if level == 3 and c.startswith("3305")}
    assert codes(client.get(API, {"level": 3, "within": "3305"})) == districts
    assert codes(client.get(API, {"q": "南浔"})) == {"330503"}
    assert codes(client.get(API, {"q": "Nanxun"})) == {"330503"}
    assert codes(client.get(API, {"q": "3307"})) == {"330700", "330784"}


def test_detail_names_the_parent_and_the_subtree_prefix(client_as):
    data = client_as("huzhou_official").get(f"{API}330503/").json()
    assert data["parent"] == "330500"
    assert data["prefix"] == "330503"
    assert data["level"] == 3
    assert data["name_zh"] == "南浔区"


def test_outsider_gets_404_for_a_huzhou_region(client_as):
    client = client_as("fangshan_official")
    for code in ("330503", "330500", "330000"):
        assert client.get(f"{API}{code}/").status_code == 404
    assert client.get(f"{API}110111/").status_code == 200


def test_token_auth_and_read_only(client):
    token = client.post("/api/v1/auth/token/", {"username": "admin", "password": DEMO_PASSWORD}).json()["token"]
    api = Client(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get(f"{API}330503/").status_code == 200
    before = Region.objects.count()
    response = api.post(API, {"code": "330504", "level": 3, "name_zh": "新区"}, content_type="application/json")
    assert response.status_code == 405
    assert api.delete(f"{API}330503/").status_code == 405
    assert Region.objects.count() == before
