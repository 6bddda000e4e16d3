"""The organisation API (``/api/v1/organisations/``): read-only, scoped like the organisation list."""

from __future__ import annotations

import pytest
from django.test import Client

from scorehub.accounts.models import Organisation, ProviderAssignment
from scorehub.core.demodata import DEMO_PASSWORD
from scorehub.enterprises.models import BuyerConsent

pytestmark = pytest.mark.django_db

API = "/api/v1/organisations/"


def names(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["name_zh"] for row in response.json()["results"]}


def own(persona_user) -> set[str]:
    return set(Organisation.objects.filter(memberships__user=persona_user).values_list("name_zh", flat=True))


def located_in(prefix: str) -> set[str]:
    return {
        o.name_zh
        for o in Organisation.objects.select_related("enterprise")
        if (o.region_id or "").startswith(prefix) or (o.enterprise and o.enterprise.region_id.startswith(prefix))
    }


def providers_serving(prefix: str) -> set[str]:
    """Providers an official of ``prefix`` may assign: national, seated above, or already assigned there."""
    above = {prefix[:2] + "0000", prefix[:4] + "00"} - {prefix.ljust(6, "0")}
    assigned = set(
        ProviderAssignment.objects.filter(enterprise__region__code__startswith=prefix).values_list(
            "provider_id", flat=True
        )
    )
    return {
        o.name_zh
        for o in Organisation.objects.filter(kind="provider")
        if o.region_id is None or (len(prefix) > 2 and o.region_id in above) or o.pk in assigned
    }


@pytest.mark.parametrize(
    ("username", "prefix"),
    [
        ("huzhou_official", "3305"),
        ("zhejiang_official", "33"),
        ("nanxun_inspector", "330503"),
        ("fangshan_official", "110111"),
    ],
)
def test_officials_see_their_own_bureau_and_the_organisations_in_their_jurisdiction(
    client_as, persona, username, prefix
):
    expected = own(persona(username)) | located_in(prefix) | providers_serving(prefix)
    assert names(client_as(username).get(API, {"page_size": 500})) == expected


def test_outsider_sees_only_their_own_bureau_and_the_providers_serving_it(client_as):
    # The national training centre (seated in Beijing) serves Fangshan; nothing located in Huzhou shows.
    assert names(client_as("fangshan_official").get(API)) == {"房山区应急管理局", "中国企业联合会培训中心"}


def test_trainer_sees_their_provider_and_the_organisations_of_assigned_enterprises(client_as, persona):
    trainer = persona("trainer")
    assigned = set(
        ProviderAssignment.objects.filter(provider__memberships__user=trainer).values_list("enterprise_id", flat=True)
    )
    enterprise_orgs = set(Organisation.objects.filter(enterprise_id__in=assigned).values_list("name_zh", flat=True))
    assert names(client_as("trainer").get(API, {"page_size": 500})) == own(trainer) | enterprise_orgs


def test_buyer_sees_their_company_and_consenting_supplier_organisations(client_as, persona):
    buyer = persona("buyer")
    consenting = set(BuyerConsent.objects.active().values_list("enterprise_id", flat=True))
    suppliers = set(Organisation.objects.filter(enterprise_id__in=consenting).values_list("name_zh", flat=True))
    assert names(client_as("buyer").get(API, {"page_size": 500})) == own(buyer) | suppliers


def test_admin_sees_every_organisation_with_filters_and_pages(client_as):
    client = client_as("admin")
    everything = set(Organisation.objects.values_list("name_zh", flat=True))
    assert names(client.get(API, {"page_size": 500})) == everything
    bureaus = set(Organisation.objects.filter(kind="bureau").values_list("name_zh", flat=True))
    assert names(client.get(API, {"kind": "bureau"})) == bureaus
    assert names(client.get(API, {"q": "湖州"})) == {n for n in everything if "湖州" in n}
    assert names(client.get(API, {"q": "Huzhou"})) == {"湖州市应急管理局"}
    page = client.get(API, {"page_size": 3}).json()
    assert page["count"] == len(everything)
    assert len(page["results"]) == 3


def test_detail_shows_kind_and_region_code(client_as):
    huzhou = Organisation.objects.get(name_zh="湖州市应急管理局")
    data = client_as("huzhou_official").get(f"{API}{huzhou.pk}/").json()
    assert data["kind"] == "bureau"
    assert data["region"] == "330500"


def test_outsider_gets_404_for_a_huzhou_organisation(client_as):
    client = client_as("fangshan_official")
    for name in ("湖州市应急管理局", "南浔区应急管理局"):
        org = Organisation.objects.get(name_zh=name)
        response = client.get(f"{API}{org.pk}/")
        assert response.status_code == 404
        assert name not in response.content.decode()


def test_the_api_is_read_only(client):
    token = client.post("/api/v1/auth/token/", {"username": "admin", "password": DEMO_PASSWORD}).json()["token"]
    api = Client(HTTP_AUTHORIZATION=f"Token {token}")
    org = Organisation.objects.get(name_zh="湖州市应急管理局")
    before = Organisation.objects.count()
    assert api.post(API, {"kind": "bureau", "name_zh": "新局"}, content_type="application/json").status_code == 405
    assert api.patch(f"{API}{org.pk}/", {"name_zh": "改"}, content_type="application/json").status_code == 405
    assert api.delete(f"{API}{org.pk}/").status_code == 405
    assert Organisation.objects.count() == before
    org.refresh_from_db()
    assert org.name_zh == "湖州市应急管理局"
