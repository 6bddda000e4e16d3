"""In the browser: a Huzhou official drills down from the city to Nanxun and to one enterprise, in
Chinese, and takes the PDF and Excel reports home; the PDF says what the API says."""

from __future__ import annotations

import re
import shutil
import subprocess
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import translation
from openpyxl import load_workbook

from scorehub.core.demodata import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(live_world):
    """The demo world, committed, for the live server (see ``live_world``)."""


def squash(text: str) -> str:
    return re.sub(r"[\s-]+", "", text)


def sign_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector('[data-testid="memberships"]')


def watch_console(page):
    problems: list[str] = []
    # Content-security-policy violations and script errors show in the console; failed requests are
    # listed by address (the browser's own favicon request aside).
    page.on(
        "console", lambda m: problems.append(m.text) if m.type == "error" and "Failed to load" not in m.text else None
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "response",
        lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 and "favicon" not in r.url else None,
    )
    return problems


def download(page, button_testid, artifacts, name):
    page.click(f'[data-testid="{button_testid}"]')
    page.wait_for_selector('[data-testid="report-status"][data-status="done"]', timeout=60_000)
    with page.expect_download() as info:
        page.click('[data-testid="report-download"]')
    path = artifacts / name
    info.value.save_as(path)
    return path


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")
def test_huzhou_official_drills_down_and_downloads_the_reports(page, live_server, world, artifacts):
    problems = watch_console(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server, "huzhou_official")
    with page.expect_navigation():
        page.select_option('[data-testid="language-switcher"]', "zh-hans")

    # Dashboards open on the official's city, in Chinese.
    page.click('nav a.nav-link:has-text("仪表板")')
    page.wait_for_selector('[data-testid="scope-title"]:has-text("湖州市")')
    page.wait_for_selector('[data-chart="trend"] canvas')
    page.screenshot(path=artifacts / "indicators-huzhou-zh.png", full_page=True)
    assert page.locator('[data-testid="headline"]').count() >= 3

    # Drill down to Nanxun by clicking its row, then to one enterprise.
    page.click('[data-testid="child-table"] a:has-text("南浔区")')
    page.wait_for_selector('[data-testid="scope-title"]:has-text("南浔区")')
    breadcrumbs = page.locator('[data-testid="scope-breadcrumbs"]').inner_text()
    assert "湖州市" in breadcrumbs
    assert "浙江省" not in breadcrumbs
    page.screenshot(path=artifacts / "indicators-nanxun-zh.png", full_page=True)
    first = page.locator('[data-testid="enterprise-table"] tbody a').first
    enterprise_name = first.inner_text()
    first.click()
    page.wait_for_selector(f'[data-testid="scope-title"]:has-text("{enterprise_name}")')
    page.screenshot(path=artifacts / "indicators-enterprise-zh.png", full_page=True)
    query = parse_qs(urlparse(page.url).query)
    scope, period = query["scope"][0], query["period"][0]

    # The same numbers as JSON.
    api = page.request.get(f"{live_server.url}/api/v1/indicators/?scope={scope}&period={period}").json()
    figures = {item["code"]: item for item in api["indicators"]}
    for item in api["indicators"]:
        cell = page.locator(f'[data-testid="figure"][data-code="{item["code"]}"] [data-testid="figure-value"]')
        assert cell.inner_text() == item["display"]

    # The reports, prepared and downloaded.
    dashboard = page.url
    pdf = download(page, "report-pdf", artifacts, "indicators-enterprise-report-zh.pdf")
    page.goto(dashboard)
    xlsx = download(page, "report-xlsx", artifacts, "indicators-enterprise-report-zh.xlsx")

    # In drawing order (-raw): the default reading order guesses columns and may split a sentence.
    text = squash(
        subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, check=True).stdout.decode()  # noqa: S603, S607
    )
    with translation.override("zh-hans"):
        from scorehub.enterprises.indicators import SENTENCES

        headline = str(SENTENCES[0].text) % {code: figures[code]["display"] for code in SENTENCES[0].needs}
    assert squash(headline) in text
    for sentence in api["sentences"]:
        assert squash(sentence) in text
    assert squash(enterprise_name) in text

    book = load_workbook(xlsx, read_only=True)
    section_rows = {
        row[0]: row[3]
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        if row and row[0] in figures
    }
    assert section_rows == {code: item["display"] for code, item in figures.items()}
    assert not problems, problems


def test_the_dashboard_fits_a_phone_and_reads_in_english(page, live_server, world, artifacts):
    problems = watch_console(page)
    page.set_viewport_size({"width": 360, "height": 780})
    sign_in(page, live_server, "huzhou_official")
    page.click(".navbar-toggler")
    with page.expect_navigation():
        page.select_option('[data-testid="language-switcher"]', "en")
    page.goto(f"{live_server.url}/indicators/?scope=region:330500")
    page.wait_for_selector('[data-testid="scope-title"]:has-text("Huzhou")')
    page.wait_for_selector('[data-chart="trend"] canvas')
    assert page.evaluate("document.documentElement.scrollWidth") <= 362
    page.screenshot(path=artifacts / "indicators-huzhou-en-phone.png", full_page=True)
    # The period picker changes the period and keeps the scope.
    with page.expect_navigation():
        page.select_option('[data-testid="period-picker"]', index=2)
    page.wait_for_selector('[data-testid="scope-title"]:has-text("Huzhou")')
    assert "period=" in page.url
    assert not problems, problems
