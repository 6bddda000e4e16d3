"""A buyer's numbers: the buyer summary's indicators (``BUYER_SUMMARY_INDICATORS``) and no others, on the
dashboards and in the indicator API, at every scope a buyer can open; and no reports of them."""

from __future__ import annotations

import html
import json
import re

import pytest
from django.conf import settings
from django.db.models import Max, Min
from django.utils import translation

from scorehub.enterprises.buyer_summary import BUYER_SUMMARY_INDICATORS
from scorehub.enterprises.models import BuyerConsent, Enterprise
from scorehub.indicators import layer, tasks
from scorehub.indicators.models import ReportJob, ReportStatus
from scorehub.suggestions.models import Suggestion

pytestmark = pytest.mark.django_db

API = "/api/v1/indicators/"
LANGUAGES = ("zh-hans", "en")

#: Figures a supplier keeps to itself: their labels must not appear on a buyer's dashboard.
INTERNAL_CODES = (
    "safety.accidents",
    "safety.near_misses",
    "safety.days_lost",
    "safety.hazards_found",
    "safety.hazards_overdue",
    "safety.checks_government",
    "safety.inspections",
    "suggestions.expected_savings",
    "suggestions.verified_savings",
    "suggestions.project_cost",
    "enterprises.employees",
    "enterprises.women",
)


def suppliers() -> list[Enterprise]:
    return list(Enterprise.objects.filter(pk__in=BuyerConsent.objects.active().values("enterprise_id")).order_by("pk"))


def data_period() -> str:
    """A period that holds every suggestion of the demo world (taken from the data, not from today)."""
    span = Suggestion.objects.aggregate(first=Min("submitted_at"), last=Max("submitted_at"))
    return f"{span['first']:%Y-%m}:{span['last']:%Y-%m}"


def buyer_scopes() -> list[str]:
    """Every scope a buyer can open: each supplier, each region holding one (and those above), the nation."""
    keys = ["nation"]
    for supplier in suppliers():
        code = supplier.region_id
        keys += [f"region:{code[:2]}0000", f"region:{code[:4]}00", f"region:{code}", f"enterprise:{supplier.pk}"]
    return list(dict.fromkeys(keys))


def codes_of(body: dict) -> set[str]:
    return {figure["code"] for figure in body["indicators"]}


def test_the_indicator_api_gives_a_buyer_exactly_the_summary_of_one_supplier(client_as):
    client = client_as("buyer")
    for supplier in suppliers():
        response = client.get(API, {"scope": f"enterprise:{supplier.pk}", "include": "children,months"})
        assert response.status_code == 200
        body = response.json()
        assert codes_of(body) == BUYER_SUMMARY_INDICATORS
        assert all(set(values) <= BUYER_SUMMARY_INDICATORS for values in body["months"].values())


def test_every_scope_a_buyer_can_open_has_only_the_summary_codes(client_as):
    client = client_as("buyer")
    for key in buyer_scopes():
        response = client.get(API, {"scope": key, "include": "children,months"})
        assert response.status_code == 200, key
        body = response.json()
        assert codes_of(body) == BUYER_SUMMARY_INDICATORS, key
        for child in body.get("children", []):
            assert set(child["indicators"]) <= BUYER_SUMMARY_INDICATORS, (key, child["key"])
        for values in body["months"].values():
            assert set(values) <= BUYER_SUMMARY_INDICATORS, key


def test_a_buyers_totals_count_the_consenting_suppliers_only(client_as):
    """Totals are sums of what the buyer sees of each supplier: nothing else is in them to subtract."""
    client = client_as("buyer")
    period = data_period()

    def submitted(key: str) -> int:
        body = client.get(API, {"scope": key, "period": period}).json()
        return next(f["value"] for f in body["indicators"] if f["code"] == "suggestions.submitted")

    per_supplier = [submitted(f"enterprise:{s.pk}") for s in suppliers()]
    assert sum(per_supplier) > 0
    assert submitted("nation") == sum(per_supplier)
    assert submitted("region:330000") == sum(per_supplier)


def test_officials_still_see_every_indicator(client_as):
    codes = codes_of(client_as("huzhou_official").get(API, {"scope": f"enterprise:{suppliers()[0].pk}"}).json())
    assert codes > BUYER_SUMMARY_INDICATORS
    assert {"safety.accidents", "safety.hazards_overdue", "suggestions.verified_savings"} <= codes


def dashboard_main(response) -> str:
    page = response.content.decode()
    return html.unescape(re.sub(r"<[^>]+>", " ", page[page.index("<main") : page.index("</main>")]))


def chart_data(response) -> dict:
    page = response.content.decode()
    found = re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', page, re.S)
    assert found is not None
    return json.loads(found.group(1))


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_dashboard_shows_a_buyer_none_of_the_internal_figures(client_as, language):
    client = client_as("buyer")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    with translation.override(language):
        labels = {spec.code: str(spec.label) for spec in layer.all_specs()}
    internal_labels = [labels[code] for code in INTERNAL_CODES]
    for key in ("nation", "region:330500", f"enterprise:{suppliers()[0].pk}"):
        response = client.get("/indicators/", {"scope": key})
        assert response.status_code == 200
        page = response.content.decode()
        shown = set(re.findall(r'data-testid="figure" data-code="([^"]+)"', page))
        assert shown == BUYER_SUMMARY_INDICATORS, key
        assert set(re.findall(r'data-code="([^"]+)"', page)) <= BUYER_SUMMARY_INDICATORS, key
        text = dashboard_main(response)
        for label in internal_labels:
            assert label not in text, (key, label)
        charts = json.dumps(chart_data(response), ensure_ascii=False)
        for label in internal_labels:
            assert label not in charts, (key, label)
        # No report of a buyer's summary is offered.
        assert 'data-testid="report-pdf"' not in page
        assert 'data-testid="report-xlsx"' not in page


def test_a_buyer_cannot_have_a_report_made(client_as, persona, django_capture_on_commit_callbacks):
    client = client_as("buyer")
    supplier = suppliers()[0]
    page = client.get("/indicators/reports/")
    assert page.status_code == 200
    assert 'name="scope"' not in page.content.decode()
    before = ReportJob.objects.count()
    for key in ("nation", f"enterprise:{supplier.pk}", "region:330500"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/indicators/reports/new/", {"scope": key, "period": "2024", "format": "xlsx"})
        assert response.status_code == 302
        assert response["Location"] == "/indicators/reports/"
    assert ReportJob.objects.count() == before


def test_a_report_of_a_buyers_summary_is_neither_built_nor_downloaded(client_as, persona):
    """A job that reached the queue anyway (asked for before the rule, or by hand) is refused when built,
    and a finished one cannot be downloaded."""
    buyer = persona("buyer")
    supplier = suppliers()[0]
    job = ReportJob.objects.create(
        requested_by=buyer,
        scope_key=f"enterprise:{supplier.pk}",
        scope_label=supplier.name,
        period="2024",
        format="xlsx",
        language="en",
    )
    assert tasks.build_report(job.pk) == ReportStatus.FAILED
    job.refresh_from_db()
    assert job.content is None
    ReportJob.objects.filter(pk=job.pk).update(status=ReportStatus.DONE, content=b"PK old workbook", filename="r.xlsx")
    assert client_as("buyer").get(f"/indicators/reports/{job.pk}/download/").status_code == 404
