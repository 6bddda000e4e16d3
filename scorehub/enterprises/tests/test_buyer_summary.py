"""The buyer summary (``scorehub.enterprises.buyer_summary``): what a buyer sees of a consenting supplier,
on the enterprise pages, in the list and its exports and in the enterprise API, and that the documented
table in ``docs/roles-and-scoping.md`` says exactly the same.  The indicator side (dashboards, the
indicator API, reports) is tested in ``scorehub/indicators/tests/test_buyer_summary.py``."""

from __future__ import annotations

import csv
import html
import io
import re
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from scorehub.accounts.models import Membership, Organisation
from scorehub.core.scoping import Role
from scorehub.enterprises.buyer_summary import BUYER_SUMMARY_FIELDS, BUYER_SUMMARY_INDICATORS, sees_summary_only
from scorehub.enterprises.models import BuyerConsent, ContactPerson, Enterprise

pytestmark = pytest.mark.django_db

API = "/api/v1/enterprises/"
DOC = Path(settings.BASE_DIR) / "docs" / "roles-and-scoping.md"
LANGUAGES = ("zh-hans", "en")


def suppliers() -> list[Enterprise]:
    """The enterprises the demo buyer follows (active consents)."""
    return list(Enterprise.objects.filter(pk__in=BuyerConsent.objects.active().values("enterprise_id")).order_by("pk"))


@pytest.fixture
def supplier() -> Enterprise:
    return suppliers()[0]


def main_text(response) -> str:
    """The page's own content (the <main> element), as text."""
    page = response.content.decode()
    main = page[page.index("<main") : page.index("</main>")]
    return html.unescape(re.sub(r"<[^>]+>", " ", main))


def in_language(client, language: str):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def internal_facts(enterprise: Enterprise) -> list[str]:
    """What a buyer must never read of a supplier's record (the contacts included)."""
    contacts = ContactPerson.objects.filter(enterprise=enterprise)
    return [
        enterprise.credit_code,
        enterprise.address,
        *contacts.values_list("name", flat=True),
        *[phone for phone in contacts.values_list("phone", flat=True) if phone],
    ]


# --- the documented table and the Python definition are the same -----------------------------------


def documented_codes() -> set[str]:
    """The codes in the first column of the tables of "What a buyer sees of a supplier"."""
    text = DOC.read_text(encoding="utf-8")
    start = text.index("### What a buyer sees of a supplier")
    end = min(i for i in (text.find("\n## ", start), text.find("\n### ", start + 1)) if i != -1)
    codes: set[str] = set()
    for line in text[start:end].splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            first_cell = line.split("|")[1]
            codes.update(re.findall(r"`([^`]+)`", first_cell))
    return codes


def test_the_documented_tables_list_exactly_the_fields_and_indicators_of_the_summary():
    assert documented_codes() == set(BUYER_SUMMARY_FIELDS) | BUYER_SUMMARY_INDICATORS


def test_the_summary_leaves_out_every_internal_figure_and_fact():
    assert not {"credit_code", "address", "employees_total", "employees_women", "status"} & set(BUYER_SUMMARY_FIELDS)
    internal = ("safety.accidents", "safety.near_misses", "safety.hazards_overdue", "safety.checks_government")
    money = ("suggestions.expected_savings", "suggestions.verified_savings", "suggestions.project_cost")
    assert not {*internal, *money, "enterprises.employees", "suggestions.per_100_workers"} & BUYER_SUMMARY_INDICATORS


# --- the enterprise API -----------------------------------------------------------------------------


def test_the_enterprise_api_gives_a_buyer_exactly_the_summary_fields(client_as, supplier):
    client = client_as("buyer")
    detail = client.get(f"{API}{supplier.pk}/")
    assert detail.status_code == 200
    assert list(detail.json()) == list(BUYER_SUMMARY_FIELDS)
    listed = client.get(API, {"page_size": 100}).json()
    assert listed["count"] == len(suppliers())
    assert {row["id"] for row in listed["results"]} == {s.pk for s in suppliers()}
    assert all(list(row) == list(BUYER_SUMMARY_FIELDS) for row in listed["results"])
    participation = detail.json()["participation"]
    assert set(participation) == {"programmes", "modules"}
    assert all(set(p) == {"name", "status", "enrolled_on"} for p in participation["programmes"])
    assert all(set(m) == {"code", "name", "completed_on", "certified_on"} for m in participation["modules"])


def test_the_browsable_api_and_its_forms_show_a_buyer_nothing_more(client_as, supplier):
    client = client_as("buyer")
    for url in (f"{API}{supplier.pk}/?format=api", f"{API}?format=api", f"{API}{supplier.pk}.json"):
        body = html.unescape(client.get(url).content.decode())
        for fact in internal_facts(supplier):
            assert fact not in body, (url, fact)


def test_a_buyer_can_neither_sort_nor_search_by_what_the_summary_leaves_out(client_as, supplier):
    client = client_as("buyer")
    by_name = [row["id"] for row in client.get(API, {"ordering": "name_zh"}).json()["results"]]
    for ordering in ("employees_total", "-employees_total", "credit_code", "-credit_code", "-updated_at"):
        assert [row["id"] for row in client.get(API, {"ordering": ordering}).json()["results"]] == by_name
    prefix = supplier.credit_code[:12]
    assert client.get(API, {"q": prefix}).json()["count"] == 0
    assert client.get(f"/enterprises/?q={prefix}&export=csv").content.decode("utf-8-sig").count("\n") == 1
    # Status is not a filter for a buyer (it would tell a suspended supplier from an operating one).
    assert client.get(API, {"status": "suspended"}).json()["count"] == len(suppliers())
    # The official's API still sorts and searches by them.
    official = client_as("zhejiang_official")
    assert supplier.pk in [row["id"] for row in official.get(API, {"q": prefix}).json()["results"]]


def test_officials_still_read_the_whole_record(client_as, supplier):
    data = client_as("huzhou_official").get(f"{API}{supplier.pk}/").json()
    assert {"credit_code", "address", "employees_total", "status"} <= set(data)
    assert "participation" not in data


# --- the pages --------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_enterprise_page_shows_a_buyer_the_summary_and_nothing_internal(client_as, supplier, language):
    client = in_language(client_as("buyer"), language)
    response = client.get(f"/enterprises/{supplier.pk}/")
    assert response.status_code == 200
    text = main_text(response)
    for fact in internal_facts(supplier):
        assert fact not in text
    with translation.override(language):
        internal_labels = [
            gettext(label)
            for label in ("Unified social credit code", "Address", "Workforce", "people employed", "women employed")
        ]
        summary_labels = [gettext(label) for label in ("Region", "Industry", "Size class", "SCORE participation")]
    for label in internal_labels:
        assert label not in text, label
    for label in summary_labels:
        assert label in text, label
    assert supplier.name_zh in text
    assert f"scope=enterprise%3A{supplier.pk}" in response.content.decode()  # the link to its progress figures
    # The other tabs are internal: not offered, and "not found".
    assert [tab.url_name for tab, _url in response.context["tabs"]] == ["enterprises:detail"]
    for tab in ("contacts", "buyers", "providers", "history"):
        assert client.get(f"/enterprises/{supplier.pk}/{tab}/").status_code == 404


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_enterprise_list_and_its_exports_give_a_buyer_the_summary_columns(client_as, language):
    client = in_language(client_as("buyer"), language)
    with translation.override(language):
        summary = [gettext("Name"), gettext("Region"), gettext("Industry"), gettext("Size")]
        internal = [gettext(label) for label in ("Credit code", "Employees", "Women", "Status", "Updated")]
    rows = list(csv.reader(io.StringIO(client.get("/enterprises/?export=csv").content.decode("utf-8-sig"))))
    assert rows[0] == summary
    assert sorted(row[0] for row in rows[1:]) == sorted(s.name_zh for s in suppliers())
    book = openpyxl.load_workbook(io.BytesIO(client.get("/enterprises/?export=xlsx").content), read_only=True)
    sheet_rows = list(book.active.iter_rows(values_only=True))
    assert list(sheet_rows[0]) == summary
    assert len(sheet_rows) == len(suppliers()) + 1
    page = client.get("/enterprises/")
    text = main_text(page)
    for label in internal:
        assert f">{label}<" not in page.content.decode(), label
    for supplier in suppliers():
        for fact in internal_facts(supplier):
            assert fact not in text
            assert all(fact not in str(cell) for row in sheet_rows for cell in row)
            assert all(fact not in cell for row in rows for cell in row)


def test_a_supplier_that_has_not_consented_stays_not_found(client_as):
    revoked = BuyerConsent.objects.filter(revoked_at__isnull=False).first()
    assert revoked is not None
    never = Enterprise.objects.exclude(buyer_consents__isnull=False).first()
    client = client_as("buyer")
    for enterprise in (revoked.enterprise, never):
        assert not BuyerConsent.objects.active().filter(enterprise=enterprise).exists()
        assert client.get(f"/enterprises/{enterprise.pk}/").status_code == 404
        assert client.get(f"{API}{enterprise.pk}/").status_code == 404
        assert client.get("/api/v1/indicators/", {"scope": f"enterprise:{enterprise.pk}"}).status_code == 404
        assert client.get("/indicators/", {"scope": f"enterprise:{enterprise.pk}"}).status_code == 404


# --- a person who is a buyer and also holds an internal role -------------------------------------------


@pytest.fixture
def fangshan_official_and_buyer(persona):
    """The Fangshan official also follows the demo buyer's suppliers (all in Huzhou, outside Fangshan)."""
    user = persona("fangshan_official")
    Membership.objects.create(user=user, organisation=Organisation.objects.get(kind="buyer"), role=Role.BUYER_VIEWER)
    return user


def test_a_buyer_who_is_also_an_official_sees_the_summary_only_of_the_suppliers_outside_their_reach(
    client_as, fangshan_official_and_buyer, supplier
):
    user = fangshan_official_and_buyer
    own = Enterprise.objects.filter(region_id="110111").first()
    assert sees_summary_only(user, supplier)
    assert not sees_summary_only(user, own)
    client = client_as("fangshan_official")
    assert list(client.get(f"{API}{supplier.pk}/").json()) == list(BUYER_SUMMARY_FIELDS)
    assert "credit_code" in client.get(f"{API}{own.pk}/").json()
    # The list holds a supplier seen only as a buyer: it is the summary, for every row.
    assert all(list(row) == list(BUYER_SUMMARY_FIELDS) for row in client.get(API).json()["results"])
    assert own.credit_code in main_text(client.get(f"/enterprises/{own.pk}/"))
    assert supplier.credit_code not in main_text(client.get(f"/enterprises/{supplier.pk}/"))
    # Their own district's dashboard is internal and complete; the nation's counts a supplier: the summary.
    codes = {i["code"] for i in client.get("/api/v1/indicators/", {"scope": "region:110111"}).json()["indicators"]}
    assert "safety.accidents" in codes
    codes = {i["code"] for i in client.get("/api/v1/indicators/", {"scope": "nation"}).json()["indicators"]}
    assert codes == BUYER_SUMMARY_INDICATORS
