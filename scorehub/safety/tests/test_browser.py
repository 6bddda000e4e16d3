"""The issue's "done when", in Chinese, in the real browser at phone size.

An inspector runs a check with two failed items, loses the connection half-way, submits after it
returns: exactly one check and two hazards exist.  The enterprise rectifies one with a photo, a
different user verifies it, the workers' notice board shows it rectified, and the major hazard is on
the Huzhou bureau's attention list.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from scorehub.core.demodata import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": PHONE, "locale": "zh-CN", "has_touch": True}


@pytest.fixture
def world(live_world: None) -> None:
    """The demo world, committed, for the live server (see ``live_world``)."""


def sign_in(page: Any, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base}/")


def photo_with_exif(path: Path) -> Path:
    image = Image.new("RGB", (2400, 1800), (120, 140, 160))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {2: (30.0, 52.0, 10.0)}  # GPS latitude
    image.save(path, format="JPEG", exif=exif.tobytes())
    return path


def test_inspection_offline_then_rectified_verified_and_reported(live_server, world, page, artifacts, tmp_path):
    from scorehub.accounts.models import Organisation
    from scorehub.safety.models import (
        BureauNotification,
        ChecklistTemplate,
        Hazard,
        HazardClass,
        HazardStatus,
        SafetyCheck,
        SafetyPhoto,
    )

    base = live_server.url
    enterprise = Organisation.objects.get(kind="enterprise").enterprise
    version = ChecklistTemplate.objects.get(code="GEN-MFG").current_version
    general_item = version.items.get(code="E04")  # damaged cables: a general hazard
    major_item = version.items.get(code="F03")  # blocked exits: a major hazard
    checks_before = SafetyCheck.objects.filter(enterprise=enterprise).count()
    huzhou_reports = BureauNotification.objects.filter(bureau__region_id="330500", read_at__isnull=True)
    reported_before = huzhou_reports.values("hazard").distinct().count()
    hazards_before = Hazard.objects.filter(enterprise=enterprise).count()

    # 1. The inspector starts a check on the phone and answers the first failed item.
    sign_in(page, base, "nanxun_inspector")
    page.goto(f"{base}/safety/enterprises/{enterprise.pk}/checks/new/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.fill("#id_place", "二车间")
    page.locator(f"label[for=o-{general_item.pk}-fail]").click()
    page.fill(f"#note-{general_item.pk}", "配电箱旁电缆破损")

    # A reload (or a crash of the browser tab) loses nothing.
    page.reload()
    assert page.locator(f"#o-{general_item.pk}-fail").is_checked()
    assert page.input_value(f"#note-{general_item.pk}") == "配电箱旁电缆破损"
    assert page.input_value("#id_place") == "二车间"

    # 2. The connection drops half-way; the inspector goes on.
    page.context.set_offline(True)
    page.locator(f"label[for=o-{major_item.pk}-fail]").click()
    page.fill(f"#note-{major_item.pk}", "东侧安全出口被货物堵塞")
    page.get_by_test_id("rest-pass").click()
    assert page.locator("#failed-count").inner_text() == "2"
    page.get_by_test_id("submit-check").click()
    status = page.get_by_test_id("check-status")
    status.filter(has_text="未提交").wait_for()
    page.screenshot(path=artifacts / "safety-check-offline-zh.png", full_page=False)
    assert SafetyCheck.objects.filter(enterprise=enterprise).count() == checks_before

    # 3. The connection returns and the inspector submits.
    page.context.set_offline(False)
    page.get_by_test_id("submit-check").click()
    page.wait_for_url(re.compile(r"/safety/checks/\d+/$"))
    # Give any delayed automatic resend the chance to arrive: it must not make a second check.
    page.wait_for_timeout(2500)
    page.screenshot(path=artifacts / "safety-check-saved-zh.png", full_page=True)

    checks = SafetyCheck.objects.filter(enterprise=enterprise)
    assert checks.count() == checks_before + 1
    check = checks.order_by("-pk").first()
    assert check.inspector.username == "nanxun_inspector"
    new_hazards = Hazard.objects.filter(check_result__check_record=check)
    assert new_hazards.count() == 2
    assert Hazard.objects.filter(enterprise=enterprise).count() == hazards_before + 2
    general = new_hazards.get(check_result__item=general_item)
    major = new_hazards.get(check_result__item=major_item)
    assert major.hazard_class == HazardClass.MAJOR
    assert general.hazard_class == HazardClass.GENERAL

    # 4. The enterprise rectifies the general hazard with a photo.
    sign_in(page, base, "factory_manager")
    page.goto(f"{base}/safety/hazards/{general.pk}/")
    page.get_by_test_id("rectify").click()
    page.fill("#id_note", "已更换破损电缆，加装线槽保护")
    page.set_input_files("#id_photos", str(photo_with_exif(tmp_path / "after.jpg")))
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"{base}/safety/hazards/{general.pk}/")
    general.refresh_from_db()
    assert general.status == HazardStatus.RECTIFIED
    photo = SafetyPhoto.objects.get(hazard=general, stage="rectification")
    with Image.open(photo.image.path) as stored:
        assert not stored.getexif()
        assert max(stored.size) <= 1600
    page.screenshot(path=artifacts / "safety-hazard-rectified-zh.png", full_page=True)

    # 5. A different user, the inspector, verifies it.
    sign_in(page, base, "nanxun_inspector")
    page.goto(f"{base}/safety/hazards/{general.pk}/")
    page.get_by_test_id("verify").click()
    page.get_by_label("通过：隐患已消除").check()
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"{base}/safety/hazards/{general.pk}/")
    general.refresh_from_db()
    assert general.status == HazardStatus.VERIFIED
    assert general.verified_by.username == "nanxun_inspector"
    assert general.rectified_by.username == "factory_manager"
    timeline = page.get_by_test_id("timeline").inner_text()
    for step in ("已发现", "已整改", "已验收"):
        assert step in timeline

    # 6. The workers' notice board (public, behind the QR poster) shows it rectified.
    page.context.clear_cookies()
    board = enterprise.notice_board
    page.goto(f"{base}/safety/notice/{board.token}/")
    # On a phone the board is a list of cards.
    assert "已整改" in page.locator(f"[data-hazard-card='{general.pk}']").inner_text()
    assert "整改中" in page.locator(f"[data-hazard-card='{major.pk}']").inner_text()
    assert "已整改" in page.locator(f"tr[data-hazard='{general.pk}']").text_content()
    page.screenshot(path=artifacts / "safety-notice-board-zh.png", full_page=True)

    # 7. The major hazard is on the Huzhou bureau's attention list at once.
    sign_in(page, base, "huzhou_official")
    attention = page.get_by_test_id("attention")
    item = attention.get_by_role("link", name="上报应急管理局的重大隐患")
    assert item.is_visible()
    assert huzhou_reports.filter(hazard=major).exists()
    badge = (
        attention.locator("li", has=page.get_by_role("link", name="上报应急管理局的重大隐患"))
        .locator(".badge")
        .inner_text()
    )
    assert int(badge) == reported_before + 1
    page.screenshot(path=artifacts / "safety-huzhou-attention-zh.png", full_page=True)
    item.click()
    page.wait_for_url(re.compile(r"/safety/reports/"))
    assert f"#{major.pk}" in page.get_by_test_id("report-table").inner_text()
    page.screenshot(path=artifacts / "safety-huzhou-reports-zh.png", full_page=True)


@pytest.fixture
def english_desktop(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    yield context.new_page()
    context.close()


def test_safety_pages_in_english_on_a_desktop(live_server, world, english_desktop, artifacts):
    from scorehub.accounts.models import Organisation
    from scorehub.safety.models import RiskPoint

    page = english_desktop
    base = live_server.url
    enterprise = Organisation.objects.get(kind="enterprise").enterprise
    sign_in(page, base, "huzhou_official")
    page.goto(f"{base}/safety/plan/")
    # Pages are Chinese whatever the browser's language, until the user picks English.
    assert page.get_by_role("heading", name="基于风险的检查计划").is_visible()
    with page.expect_navigation():
        page.select_option('[data-testid="language-switcher"]', "en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="Risk-based inspection plan").is_visible()
    page.screenshot(path=artifacts / "safety-plan-en.png", full_page=True)
    page.goto(f"{base}/safety/hazards/?state=overdue")
    assert page.locator("tr.overdue").count() > 0
    page.screenshot(path=artifacts / "safety-hazards-overdue-en.png", full_page=True)
    page.goto(f"{base}/safety/enterprises/{enterprise.pk}/risk-points/")
    page.screenshot(path=artifacts / "safety-risk-points-en.png", full_page=True)
    point = RiskPoint.objects.filter(enterprise=enterprise).order_by("-score").first()
    page.goto(f"{base}/safety/risk-points/{point.pk}/")
    assert page.get_by_test_id("risk-card").is_visible()
    page.screenshot(path=artifacts / "safety-risk-card-en.png", full_page=True)
    page.goto(f"{base}/safety/numbers/")
    assert page.get_by_test_id("numbers").is_visible()
    page.screenshot(path=artifacts / "safety-numbers-en.png", full_page=True)
    page.goto(f"{base}/safety/plan/{enterprise.pk}/")
    assert page.get_by_test_id("grade-factors").is_visible()
    page.screenshot(path=artifacts / "safety-grade-explained-en.png", full_page=True)
