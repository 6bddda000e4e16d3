"""The enterprise API (``/api/v1/enterprises/``): authentication, pagination, the list page's filters,
and writes that respect the caller's scope exactly as the pages do."""

from __future__ import annotations

import csv
import io

import pytest
from auditlog.models import LogEntry
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from scorehub.core.demodata import DEMO_PASSWORD
from scorehub.enterprises.credit_code import build_credit_code
from scorehub.enterprises.models import Enterprise

pytestmark = pytest.mark.django_db

API = "/api/v1/enterprises/"


def current() -> list[Enterprise]:
    return list(Enterprise.objects.filter(archived_at__isnull=True))


def codes(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["credit_code"] for row in response.json()["results"]}


def token_for(username: str) -> str:
    response = Client().post("/api/v1/auth/token/", {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 200, response.content
    return response.json()["token"]


def token_client(username: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {token_for(username)}", HTTP_ACCEPT_LANGUAGE="en")


def new_enterprise_data(region: str = "330503", **overrides) -> dict:
    data = {
        "name_zh": "南浔新丰纺织有限公司",
        "name_en": "Nanxun Xinfeng Textiles Co., Ltd.",
        "credit_code": build_credit_code(region, "MA2B3C4D5"),
        "region": region,
        "address": "南浔经济开发区18号",
        "industry_division": "17",
        "size_class": "small",
        "employees_total": 120,
        "employees_women": 70,
        "status": "active",
    }
    return {**data, **overrides}


# --- authentication -------------------------------------------------------------------------------


def test_token_from_username_and_password_then_token_header_lists_the_callers_scope():
    client = token_client("huzhou_official")
    response = client.get(API, {"page_size": 500})
    expected = {e.credit_code for e in current() if e.region_id.startswith("3305")}
    assert codes(response) == expected
    assert response.json()["count"] == len(expected)


def test_session_and_token_authentication_give_the_same_answer(client_as):
    by_session = client_as("trainer").get(API, {"page_size": 500})
    by_token = token_client("trainer").get(API, {"page_size": 500})
    assert codes(by_session) == codes(by_token)
    assert codes(by_token)


def test_wrong_password_gets_no_token():
    response = Client().post("/api/v1/auth/token/", {"username": "huzhou_official", "password": "wrong"})
    assert response.status_code == 400
    assert "token" not in response.json()
    assert not Token.objects.filter(user__username="huzhou_official").exists()


def test_an_unknown_token_is_refused_with_a_challenge():
    response = Client(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567").get(API)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_anonymous_caller_gets_no_enterprise_data(client):
    response = client.get(API)
    assert response.status_code in (401, 403)
    assert "results" not in response.json()


def test_token_created_on_the_profile_page_works_for_the_api(client_as):
    client = client_as("nanxun_inspector")
    client.post("/accounts/me/")
    key = Token.objects.get(user__username="nanxun_inspector").key
    response = Client(HTTP_AUTHORIZATION=f"Token {key}").get(API, {"page_size": 500})
    assert codes(response) == {e.credit_code for e in current() if e.region_id == "330503"}


# --- pagination -----------------------------------------------------------------------------------


def test_pagination_walks_every_enterprise_once(client_as):
    client = client_as("admin")
    total = len(current())
    seen: list[str] = []
    url: str | None = f"{API}?page_size=7"
    pages = 0
    while url:
        data = client.get(url).json()
        assert data["count"] == total
        assert len(data["results"]) <= 7
        seen += [row["credit_code"] for row in data["results"]]
        url = data["next"]
        pages += 1
    assert pages == -(-total // 7)
    assert sorted(seen) == sorted(e.credit_code for e in current())


def test_default_page_size_is_fifty_and_the_largest_five_hundred(client_as):
    client = client_as("admin")
    assert client.get(API).json()["next"] is None  # 30 demo enterprises fit on one page of 50
    assert len(client.get(API, {"page_size": 10000}).json()["results"]) == min(len(current()), 500)


def test_a_page_beyond_the_end_is_not_found(client_as):
    assert client_as("admin").get(API, {"page": 99}).status_code == 404


# --- the same filters as the list page --------------------------------------------------------------


def filter_cases() -> list[tuple[dict, object]]:
    return [
        ({"region": "330500"}, lambda e: e.region_id.startswith("3305")),
        ({"region": "330503"}, lambda e: e.region_id == "330503"),
        ({"region": "330000"}, lambda e: e.region_id.startswith("33")),
        ({"industry_section": "C"}, lambda e: e.industry_section == "C"),
        ({"industry_division": "17"}, lambda e: e.industry_division == "17"),
        ({"size_class": "small"}, lambda e: e.size_class == "small"),
        ({"status": "suspended"}, lambda e: e.status == "suspended"),
        ({"q": "丝绸"}, lambda e: "丝绸" in e.name_zh),
        ({"q": "Silk"}, lambda e: "Silk" in e.name_en),
        (
            {"region": "330500", "size_class": "medium"},
            lambda e: e.region_id.startswith("3305") and e.size_class == "medium",
        ),
    ]


@pytest.mark.parametrize(("params", "predicate"), filter_cases(), ids=lambda v: str(v) if isinstance(v, dict) else "")
def test_api_filters_match_the_rule_and_the_list_page(client_as, params, predicate):
    # Make sure the rarer values occur: one suspended enterprise in Nanxun.
    target = Enterprise.objects.filter(region_id="330503").order_by("pk").last()
    Enterprise.objects.filter(pk=target.pk).update(status="suspended")
    expected = {e.credit_code for e in current() if predicate(e)}
    assert expected, f"the demo world has nothing for {params}"
    client = client_as("admin")
    assert codes(client.get(API, {**params, "page_size": 500})) == expected
    # The list page's export holds the same rows for the same filter.
    export = client.get("/enterprises/", {**params, "export": "csv"})
    cells = {cell for row in csv.reader(io.StringIO(export.content.decode("utf-8-sig"))) for cell in row}
    assert {e.credit_code for e in Enterprise.objects.all() if e.credit_code in cells} == expected


def test_credit_code_search_is_a_prefix_search(client_as):
    target = current()[0]
    found = codes(client_as("admin").get(API, {"q": target.credit_code[:12].lower()}))
    assert target.credit_code in found
    assert all(code.startswith(target.credit_code[:12]) for code in found)


def test_region_filter_outside_the_callers_scope_is_refused_not_answered(client_as):
    response = client_as("fangshan_official").get(API, {"region": "330503"})
    assert response.status_code == 400
    assert "results" not in response.json()


def test_archived_enterprises_only_on_request(client_as, nanxun_enterprise):
    Enterprise.objects.filter(pk=nanxun_enterprise.pk).update(archived_at=timezone.now())
    client = client_as("huzhou_official")
    assert nanxun_enterprise.credit_code not in codes(client.get(API, {"page_size": 500}))
    assert codes(client.get(API, {"archived": "archived"})) == {nanxun_enterprise.credit_code}
    assert nanxun_enterprise.credit_code in codes(client.get(API, {"archived": "all", "page_size": 500}))


def test_ordering_by_employees(client_as):
    rows = client_as("admin").get(API, {"ordering": "-employees_total", "page_size": 500}).json()["results"]
    totals = [row["employees_total"] for row in rows]
    assert totals == sorted(totals, reverse=True)


# --- create -----------------------------------------------------------------------------------------


def test_official_creates_an_enterprise_in_their_jurisdiction_with_a_change_log_entry():
    client = token_client("huzhou_official")
    data = new_enterprise_data()
    response = client.post(API, data, content_type="application/json")
    assert response.status_code == 201, response.content
    created = Enterprise.objects.get(credit_code=data["credit_code"])
    assert created.region_id == "330503"
    assert created.industry_section == "C"
    assert response.json()["id"] == created.pk
    entry = LogEntry.objects.get_for_object(created).get()
    assert entry.actor.username == "huzhou_official"


def test_official_cannot_create_an_enterprise_in_another_jurisdiction():
    before = Enterprise.objects.count()
    client = token_client("fangshan_official")
    response = client.post(API, new_enterprise_data("330503"), content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) == {"region"}
    assert Enterprise.objects.count() == before


def test_a_city_is_refused_as_an_enterprise_region_with_the_reason():
    before = Enterprise.objects.count()
    response = token_client("huzhou_official").post(API, new_enterprise_data("330500"), content_type="application/json")
    assert response.status_code == 400
    assert "district" in " ".join(response.json()["region"])
    assert Enterprise.objects.count() == before


@pytest.mark.parametrize("username", ["trainer", "nanxun_inspector", "buyer", "factory_manager"])
def test_roles_without_the_right_to_manage_cannot_create_at_all(username):
    before = Enterprise.objects.count()
    response = token_client(username).post(API, new_enterprise_data(), content_type="application/json")
    assert response.status_code == 404
    assert Enterprise.objects.count() == before


@pytest.mark.parametrize(
    ("credit_code", "position_text"),
    [
        (build_credit_code("330503", "MA2B3C4D5")[:17] + "X", "position 18"),
        ("91330I03MA2B3C4D5A", "Character 6"),
        ("9133050", "18 characters"),
    ],
)
def test_invalid_credit_code_is_refused_naming_the_position(credit_code, position_text):
    before = Enterprise.objects.count()
    if position_text == "position 18":
        assert credit_code != build_credit_code("330503", "MA2B3C4D5")
    response = token_client("huzhou_official").post(
        API, new_enterprise_data(credit_code=credit_code), content_type="application/json"
    )
    assert response.status_code == 400
    messages = " ".join(response.json()["credit_code"])
    assert position_text in messages
    assert Enterprise.objects.count() == before


def test_duplicate_credit_code_is_refused():
    existing = current()[0]
    response = token_client("admin").post(
        API, new_enterprise_data(credit_code=existing.credit_code), content_type="application/json"
    )
    assert response.status_code == 400
    assert "credit_code" in response.json()


def test_more_women_than_employees_is_refused():
    response = token_client("huzhou_official").post(
        API, new_enterprise_data(employees_total=10, employees_women=11), content_type="application/json"
    )
    assert response.status_code == 400
    assert "employees_women" in response.json()


# --- update -----------------------------------------------------------------------------------------


def test_official_updates_an_enterprise_in_scope(nanxun_enterprise):
    response = token_client("huzhou_official").patch(
        f"{API}{nanxun_enterprise.pk}/", {"name_en": "Fenghua Silk"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    nanxun_enterprise.refresh_from_db()
    assert nanxun_enterprise.name_en == "Fenghua Silk"
    entry = LogEntry.objects.get_for_object(nanxun_enterprise).latest("timestamp")
    assert entry.actor.username == "huzhou_official"


def test_update_of_an_enterprise_out_of_scope_is_not_found_and_changes_nothing():
    fangshan = Enterprise.objects.filter(region_id="110111").first()
    before = Enterprise.objects.values().get(pk=fangshan.pk)
    client = token_client("huzhou_official")
    for method in ("patch", "put"):
        response = getattr(client, method)(
            f"{API}{fangshan.pk}/", new_enterprise_data("110111"), content_type="application/json"
        )
        assert response.status_code == 404
    assert Enterprise.objects.values().get(pk=fangshan.pk) == before


def test_moving_an_enterprise_out_of_the_jurisdiction_is_refused(nanxun_enterprise):
    response = token_client("huzhou_official").patch(
        f"{API}{nanxun_enterprise.pk}/", {"region": "110111"}, content_type="application/json"
    )
    assert response.status_code == 400
    nanxun_enterprise.refresh_from_db()
    assert nanxun_enterprise.region_id == "330503"


def test_inspector_may_read_but_not_update(nanxun_enterprise):
    client = token_client("nanxun_inspector")
    assert client.get(f"{API}{nanxun_enterprise.pk}/").status_code == 200
    response = client.patch(f"{API}{nanxun_enterprise.pk}/", {"name_en": "x"}, content_type="application/json")
    assert response.status_code == 404
    nanxun_enterprise.refresh_from_db()
    assert nanxun_enterprise.name_en != "x"


def test_enterprise_manager_updates_their_own_enterprise_but_cannot_move_it(nanxun_enterprise):
    client = token_client("factory_manager")
    url = f"{API}{nanxun_enterprise.pk}/"
    full = client.get(url).json()
    response = client.put(
        url, {**full, "employees_total": 300, "employees_women": 120}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    nanxun_enterprise.refresh_from_db()
    assert nanxun_enterprise.employees_total == 300
    assert client.patch(url, {"region": "330521"}, content_type="application/json").status_code == 400
    nanxun_enterprise.refresh_from_db()
    assert nanxun_enterprise.region_id == "330503"


def test_enterprise_manager_saves_their_own_enterprise_form(client_as, nanxun_enterprise):
    client = client_as("factory_manager")
    url = f"/enterprises/{nanxun_enterprise.pk}/edit/"
    assert f'value="{nanxun_enterprise.region_id}"' in client.get(url).content.decode()
    data = {
        "name_zh": nanxun_enterprise.name_zh,
        "name_en": "Fenghua Silk",
        "credit_code": nanxun_enterprise.credit_code,
        "region": nanxun_enterprise.region_id,
        "address": nanxun_enterprise.address,
        "industry_division": nanxun_enterprise.industry_division,
        "size_class": nanxun_enterprise.size_class,
        "employees_total": nanxun_enterprise.employees_total,
        "employees_women": nanxun_enterprise.employees_women,
        "status": nanxun_enterprise.status,
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[-2000:]
    nanxun_enterprise.refresh_from_db()
    assert nanxun_enterprise.name_en == "Fenghua Silk"
    moved = client.post(url, {**data, "region": "330521"})
    assert moved.status_code == 200
    nanxun_enterprise.refresh_from_db()
    assert nanxun_enterprise.region_id == "330503"


def test_the_api_offers_no_delete(nanxun_enterprise):
    response = token_client("admin").delete(f"{API}{nanxun_enterprise.pk}/")
    assert response.status_code == 405
    assert Enterprise.objects.filter(pk=nanxun_enterprise.pk).exists()


def test_division_filter_still_works_after_the_schema_was_generated(client_as):
    # Building the OpenAPI schema builds the filter fields of the class; the choices must survive that.
    client = client_as("admin")
    assert client.get("/api/v1/schema/").status_code == 200
    textiles = {e.credit_code for e in current() if e.industry_division == "17"}
    assert codes(client.get(API, {"industry_division": "17", "page_size": 500})) == textiles
    page = client.get("/enterprises/", {"industry_division": "17", "export": "csv"}).content.decode("utf-8-sig")
    assert {e.credit_code for e in Enterprise.objects.all() if e.credit_code in page} == textiles
