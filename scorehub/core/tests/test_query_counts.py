"""Lists cost the same number of queries however many rows they show (no N+1).

Each test counts the queries of one page, adds rows inside the caller's view, and counts again.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scorehub.accounts.models import Membership, Organisation, User
from scorehub.core.scoping import Role
from scorehub.enterprises.credit_code import build_credit_code
from scorehub.enterprises.models import ContactPerson, Enterprise
from scorehub.regions.models import Region

pytestmark = pytest.mark.django_db

MORE = 20


def count_queries(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured), response.content.decode()


def add_enterprises(region: str, n: int = MORE) -> list[Enterprise]:
    made = []
    for i in range(n):
        enterprise = Enterprise(
            name_zh=f"长兴测试{i:02d}纺织有限公司",
            name_en=f"Changxing Test {i:02d} Textiles",
            credit_code=build_credit_code(region, f"QC{i:07d}"),
            region_id=region,
            industry_division="17",
            size_class="small",
            employees_total=50 + i,
            employees_women=20,
        )
        enterprise.save()
        ContactPerson.objects.create(enterprise=enterprise, name=f"联系人{i}", is_primary=True)
        made.append(enterprise)
    return made


def assert_constant(client, url: str, grow, marker: str) -> None:
    before, page = count_queries(client, url)
    shown_before = page.count(marker)
    grow()
    after, page = count_queries(client, url)
    shown_after = page.count(marker)
    assert shown_after >= shown_before + 10, "the second page must really show more rows"
    assert after == before, f"{url}: {before} queries for {shown_before} rows, {after} for {shown_after}"


@pytest.mark.parametrize("username", ["admin", "huzhou_official"])
def test_enterprise_list_page(client_as, username):
    client = client_as(username)
    assert_constant(client, "/enterprises/?region=330522", lambda: add_enterprises("330522"), "长兴")


@pytest.mark.parametrize("username", ["admin", "huzhou_official"])
def test_enterprise_api_list(client_as, username):
    client = client_as(username)
    assert_constant(client, "/api/v1/enterprises/?region=330522", lambda: add_enterprises("330522"), '"credit_code"')


def test_enterprise_csv_export(client_as):
    client = client_as("huzhou_official")
    assert_constant(client, "/enterprises/?region=330522&export=csv", lambda: add_enterprises("330522"), "长兴")


def add_townships(n: int = MORE) -> None:
    for i in range(n):
        Region.objects.create(
            code=f"330503{100 + i:03d}", level=4, name_zh=f"测试镇{i}", name_en=f"Test Town {i}", parent_id="330503"
        )


@pytest.mark.parametrize("username", ["admin", "nanxun_inspector"])
def test_region_list_page(client_as, username):
    client = client_as(username)
    assert_constant(client, "/regions/", add_townships, "330503")


def test_region_api_list(client_as):
    assert_constant(client_as("huzhou_official"), "/api/v1/regions/?page_size=100", add_townships, '"code"')


def add_organisations(n: int = MORE) -> None:
    for i, enterprise in enumerate(add_enterprises("330522", n)):
        org = Organisation.objects.create(
            kind="enterprise", name_zh=f"测试机构{i:02d}", region_id="330522", enterprise=enterprise
        )
        member = User.objects.create(username=f"member{i}")
        Membership.objects.create(user=member, organisation=org, role=Role.ENTERPRISE_MANAGER)


@pytest.mark.parametrize("username", ["admin", "huzhou_official"])
def test_organisation_list_page(client_as, username):
    assert_constant(client_as(username), "/accounts/organisations/", add_organisations, "测试机构")


def test_organisation_api_list(client_as):
    assert_constant(client_as("huzhou_official"), "/api/v1/organisations/?page_size=100", add_organisations, "测试机构")


def test_home_page_counts_with_a_constant_number_of_queries(client_as):
    client = client_as("huzhou_official")
    before, _ = count_queries(client, "/")
    add_enterprises("330522")
    after, _ = count_queries(client, "/")
    assert after == before
