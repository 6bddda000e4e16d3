"""In the browser, in Chinese: a Huzhou official finds Nanxun's enterprises and imports a file with a bad row."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from scorehub.core.demodata import DEMO_PASSWORD
from scorehub.enterprises.models import Enterprise

from .import_files import CHINESE_HEADERS, code, csv_bytes, enterprise, table

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    # A Chinese browser on an ordinary desktop screen.
    return {**browser_context_args, "locale": "zh-CN", "viewport": {"width": 1280, "height": 900}}


def test_official_filters_to_nanxun_opens_an_enterprise_and_sees_the_bad_row_of_an_import(
    page: Page, live_server: Any, live_world: None, artifacts: Any
) -> None:
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.fill("#id_username", "huzhou_official")
    page.fill("#id_password", DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base}/")

    # The enterprise list, filtered to Nanxun (the filter form updates the table through HTMX).
    page.locator('#mainnav a[href="/enterprises/"]').click()
    page.wait_for_url(f"{base}/enterprises/")
    page.select_option("#id_region", "330503")
    page.wait_for_url(re.compile(r".*region=330503.*"))
    table_rows = page.locator('[data-testid="enterprise-table"] tbody tr')
    nanxun = Enterprise.objects.filter(region_id="330503", archived_at__isnull=True).count()
    expect(table_rows).to_have_count(nanxun)
    expect(page.locator('[data-testid="enterprise-table"] tbody')).not_to_contain_text("德清")
    page.screenshot(path=artifacts / "import-1-enterprises-nanxun-zh.png", full_page=True)

    # One of them.
    first = page.locator('[data-testid="enterprise-table"] tbody tr a').first
    name = first.inner_text().strip()
    first.click()
    expect(page.locator("h1")).to_contain_text(name)
    expect(page.locator('[data-testid="enterprise-facts"]')).to_contain_text("南浔区")
    page.screenshot(path=artifacts / "import-2-enterprise-detail-zh.png", full_page=True)

    # The import page, reached from the list.
    page.locator('#mainnav a[href="/enterprises/"]').click()
    page.locator('main a[href="/enterprises/import/"]').click()
    page.wait_for_url(f"{base}/enterprises/import/")
    expect(page.locator('[data-testid="import-columns"]')).to_contain_text("统一社会信用代码")
    page.screenshot(path=artifacts / "import-3-upload-zh.png", full_page=True)

    # A file of three enterprises whose second row has a mistyped credit code.
    good = code(7001)
    mistyped = good[:-1] + ("0" if good[-1] != "0" else "1")
    rows = [enterprise(7000), enterprise(7001, credit_code=mistyped), enterprise(7002)]
    before = Enterprise.objects.count()
    page.set_input_files(
        "#id_file",
        files=[{"name": "南浔新企业.csv", "mimeType": "text/csv", "buffer": csv_bytes(table(rows, CHINESE_HEADERS))}],
    )
    page.locator('[data-testid="import-upload-form"] button[type=submit]').click()
    page.wait_for_url(re.compile(r".*/enterprises/import/\d+/$"))

    errors = page.locator('[data-testid="import-errors"]')
    expect(errors).to_be_visible(timeout=20_000)
    bad_row = errors.locator('tr[data-row="3"]')
    expect(bad_row).to_contain_text("统一社会信用代码")
    expect(bad_row).to_contain_text("18")
    expect(errors.locator("tbody tr")).to_have_count(1)
    expect(page.locator('[data-testid="import-rejected"]')).to_be_visible()
    expect(page.locator('[data-testid="import-confirm"]')).to_have_count(0)
    page.screenshot(path=artifacts / "import-4-bad-row-zh.png", full_page=True)
    assert Enterprise.objects.count() == before
