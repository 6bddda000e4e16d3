"""PDF and Excel reports: built in the background for the user who asked, with every indicator of
every installed source showing the same value as the API."""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from scorehub.indicators import layer
from scorehub.indicators.models import ReportJob
from scorehub.indicators.periods import default_period, period_param

pytestmark = [pytest.mark.django_db]

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")


def squash(text: str) -> str:
    """Text without white space, and without the ASCII hyphens that pdftotext drops at line ends."""
    return re.sub(r"[\s-]+", "", text)


def pdf_text(content: bytes) -> str:
    """The text in the order the PDF draws it (``-raw``): WeasyPrint draws in document order, so a
    table row's cells follow its label.  pdftotext's default reading order guesses columns from the
    page layout and may print a page's labels and numbers apart."""
    result = subprocess.run(["pdftotext", "-raw", "-", "-"], input=content, capture_output=True, check=True)  # noqa: S607
    return result.stdout.decode()


def row_in(text: str, label: str, cells: list[str]) -> bool:
    """Whether a table row "label | cells" is in the (whitespace-free) PDF text.  A label that wraps
    onto further lines comes out around the cells, so it may be split once around them."""
    label, numbers = squash(label), squash("".join(cells))
    start = text.find(numbers)
    while start != -1:
        for cut in range(1, len(label) + 1):
            head, tail = label[:cut], label[cut:]
            if text[max(0, start - len(head)) : start] == head and text[start + len(numbers) :].startswith(tail):
                return True
        start = text.find(numbers, start + 1)
    return False


def request_report(client, fmt, scope="region:330500", period=""):
    response = client.post(reverse("indicators:report-create"), {"scope": scope, "period": period, "format": fmt})
    assert response.status_code == 302
    return ReportJob.objects.defer("content").get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


@pytest.fixture
def huzhou(client_as):
    return client_as("huzhou_official")


def api_figures(client, scope="region:330500", period=""):
    body = client.get(reverse("api:indicators-list"), {"scope": scope, "period": period}).json()
    return body, {item["code"]: item for item in body["indicators"]}


def test_a_report_is_prepared_in_the_background_and_downloaded(huzhou, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = request_report(huzhou, "pdf")
    job.refresh_from_db()
    assert job.status == "done", job.error
    assert job.progress == 100
    page = huzhou.get(job.get_absolute_url())
    assert 'data-testid="report-download"' in page.content.decode()
    polled = huzhou.get(job.get_absolute_url(), HTTP_HX_REQUEST="true")
    assert polled.templates[0].name == "indicators/_report_status.html"
    download = huzhou.get(reverse("indicators:report-download", kwargs={"pk": job.pk}))
    assert download.content.startswith(b"%PDF")
    assert download["Content-Type"] == "application/pdf"


def test_a_queued_report_shows_progress_and_polls(huzhou, django_capture_on_commit_callbacks):
    job = request_report(huzhou, "xlsx")  # on_commit not run: still queued
    page = huzhou.get(job.get_absolute_url()).content.decode()
    assert 'hx-trigger="every 1s"' in page
    assert 'role="progressbar"' in page
    assert huzhou.get(reverse("indicators:report-download", kwargs={"pk": job.pk})).status_code == 404


def test_a_report_for_a_scope_outside_reach_is_refused(client_as):
    client = client_as("fangshan_official")
    before = ReportJob.objects.count()
    response = client.post(reverse("indicators:report-create"), {"scope": "region:330500", "format": "pdf"})
    assert response.status_code == 404
    assert ReportJob.objects.count() == before


@needs_poppler
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_indicator_is_in_the_pdf_with_the_apis_value(huzhou, django_capture_on_commit_callbacks, language):
    period = period_param(default_period())
    with translation.override(language):
        huzhou.cookies["scorehub_language"] = language
        body, figures = api_figures(huzhou, period=period)
        with django_capture_on_commit_callbacks(execute=True):
            job = request_report(huzhou, "pdf", period=period)
    content = bytes(ReportJob.objects.get(pk=job.pk).content)
    text = squash(pdf_text(content))
    assert body["sentences"]
    for sentence in body["sentences"]:
        assert squash(sentence) in text
    missing = [
        code
        for code, f in figures.items()
        if not row_in(text, f["label"], [f["display"], f["previous_display"], f["change_display"]])
    ]
    assert not missing
    fonts = subprocess.run(["pdffonts", "-"], input=content, capture_output=True, check=True).stdout.decode()  # noqa: S607
    assert "NotoSansCJK" in fonts.replace("-", "") or "Noto Sans CJK" in fonts
    assert "<svg" not in text  # charts are drawn, not printed as text


def test_the_headline_sentence_uses_the_apis_numbers(huzhou):
    body, figures = api_figures(huzhou)
    expected = (
        f"The report covers {figures['enterprises.count']['display']} enterprises with "
        f"{figures['enterprises.employees']['display']} employees, "
        f"{figures['enterprises.women_share']['display']} of them women."
    )
    with translation.override("en"):
        huzhou.cookies["scorehub_language"] = "en"
        body, figures = api_figures(huzhou)
    assert expected in body["sentences"]


def test_a_sentence_is_left_out_when_a_figure_has_no_value(persona):
    from scorehub.indicators.periods import parse_period
    from scorehub.indicators.scopes import resolve_scope

    scope = resolve_scope(persona("admin"), "nation")
    with translation.override("en"):
        sentences = layer.compute_numbers(scope, parse_period("1995")).sentences()
    assert not any("KPIs moved" in s for s in sentences)  # no cycles: no improvement share
    assert any("monthly KPI records" in s for s in sentences)  # 0 records is a value


def test_every_indicator_is_in_the_workbook_with_the_apis_value(huzhou, django_capture_on_commit_callbacks, persona):
    from scorehub.indicators.scopes import resolve_scope

    _body, figures = api_figures(huzhou)
    with django_capture_on_commit_callbacks(execute=True):
        job = request_report(huzhou, "xlsx")
    content = bytes(ReportJob.objects.get(pk=job.pk).content)
    book = load_workbook(io.BytesIO(content), read_only=True)
    found = {}
    for sheet in book.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        if rows and rows[0][0] in ("Code", "代码"):
            for row in rows[1:]:
                found[row[0]] = (row[2], row[3])
    assert set(found) == set(figures)
    for code, item in figures.items():
        value, shown = found[code]
        assert shown == item["display"], code
        if item["value"] is None:
            assert value is None
        else:
            assert value == pytest.approx(item["value"], rel=1e-12, abs=1e-12), code
    # A sheet per section, besides the summary, trends, regions, enterprises and the underlying rows.
    sections = layer.compute_numbers(
        resolve_scope(persona("huzhou_official"), "region:330500"), default_period()
    ).sections
    for section in sections:
        assert any(name.startswith(str(section.title)[:20]) for name in book.sheetnames), section.title


def test_the_workbook_lists_every_enterprise_and_the_underlying_rows(
    huzhou, django_capture_on_commit_callbacks, persona
):
    from scorehub.indicators.models import KpiRecord
    from scorehub.indicators.scopes import resolve_scope

    with django_capture_on_commit_callbacks(execute=True), translation.override("en"):
        huzhou.cookies["scorehub_language"] = "en"
        job = request_report(huzhou, "xlsx")
    book = load_workbook(io.BytesIO(bytes(ReportJob.objects.get(pk=job.pk).content)), read_only=True)
    scope = resolve_scope(persona("huzhou_official"), "region:330500")
    enterprises = list(book["Enterprises by indicator"].iter_rows(values_only=True))[1:]
    assert {row[0] for row in enterprises} == {e.credit_code for e in scope.enterprises}
    regions = list(book["Regions"].iter_rows(values_only=True))[1:]
    assert {row[0] for row in regions} == {c.key for c in scope.children}
    period = default_period()
    records = list(book["KPI records"].iter_rows(values_only=True))[1:]
    expected = KpiRecord.objects.filter(
        enterprise__region__code__startswith="3305", month__gte=period.start, month__lte=period.end
    ).count()
    assert len(records) == expected


def test_the_demo_has_a_prepared_report_for_the_huzhou_official(huzhou):
    job = ReportJob.objects.defer("content").get(requested_by__username="huzhou_official")
    assert job.status == "done"
    response = huzhou.get(reverse("indicators:report-download", kwargs={"pk": job.pk}))
    assert load_workbook(io.BytesIO(response.content), read_only=True).sheetnames[0] == "报告摘要"


def test_reports_older_than_a_month_are_cleared_when_a_new_one_is_asked_for(huzhou, persona):
    import datetime as dt

    from django.utils import timezone

    old = ReportJob.objects.create(
        requested_by=persona("huzhou_official"),
        scope_key="region:330500",
        scope_label="湖州市",
        period="2020",
        format="pdf",
        language="zh-hans",
    )
    ReportJob.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=31))
    request_report(huzhou, "xlsx")
    assert not ReportJob.objects.filter(pk=old.pk).exists()
