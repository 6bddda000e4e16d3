"""The SCORE cycle in the browser, in Chinese: an official sets up a programme with a target and enrols
enterprises; a trainer forms a cohort, runs a classroom session with attendance, plans and records a
joint visit with a safety inspector, completes the module and issues the certificate; the certificate's
PDF carries the Chinese module name and its QR link opens a public page that verifies it."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from scorehub.core.demodata import DEMO_PASSWORD

from .helpers import pdf_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def day(offset: int) -> str:
    return f"{timezone.localdate() + dt.timedelta(days=offset):%Y-%m-%d}"


def sign_in(page: Page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def submit(page: Page, name: str = "save") -> None:
    # Wait for the answer page: on a busy machine a save can take longer than an assertion's 5 s.
    with page.expect_navigation():
        page.locator(f'[data-testid="training-form"] button[name="{name}"]').click()


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    # A Chinese browser: the pages answer in Simplified Chinese.
    return {**browser_context_args, "locale": "zh-CN"}


@pytest.fixture
def world(live_world: None) -> None:
    """The demo world, committed, for the live server (see ``live_world``)."""


def test_training_cycle_in_chinese(page: Page, live_server: Any, world: None, artifacts: Any) -> None:
    from scorehub.accounts.models import Organisation, User
    from scorehub.enterprises.models import Enterprise

    base = live_server.url
    factory = Organisation.objects.get(kind="enterprise").enterprise
    other = Enterprise.objects.filter(region_id="330503", status="active").exclude(pk=factory.pk).first()
    inspector = User.objects.get(username="nanxun_inspector")
    page.set_viewport_size({"width": 1280, "height": 900})

    # 1. The Huzhou official creates a programme for Nanxun with a target and enrols two enterprises.
    sign_in(page, base, "huzhou_official")
    page.goto(f"{base}/training/programmes/new/")
    expect(page.locator("h1")).to_have_text("新建项目")
    page.fill("#id_name_zh", "南浔区 SCORE 示范项目")
    page.fill("#id_name_en", "Nanxun SCORE demonstration")
    page.select_option("#id_region", "330503")
    page.fill("#id_starts_on", day(-60))
    page.fill("#id_ends_on", day(300))
    page.fill("#id_followup_visits", "1")
    submit(page)
    expect(page.locator(".alert-success")).to_contain_text("项目已创建")
    programme_url = page.url
    page.click("text=添加目标")
    page.select_option("#id_kind", "enrolments")
    page.fill("#id_value", "5")
    page.fill("#id_due_on", day(200))
    submit(page)
    page.click('[data-testid="enrol-button"]')
    page.check(f'input[name="enterprises"][value="{factory.pk}"]')
    page.check(f'input[name="enterprises"][value="{other.pk}"]')
    page.fill("#id_enrolled_on", day(-50))
    page.click('[data-testid="enrol-form"] button[type=submit]')
    expect(page.locator(".alert-success")).to_contain_text("已为 2 家企业报名")
    expect(page.locator('[data-testid="target-actual"]')).to_have_text("2")
    page.screenshot(path=artifacts / "training-1-programme-zh.png", full_page=True)

    # 2. The trainer forms a cohort and adds the enrolled enterprises.
    sign_in(page, base, "trainer")
    programme_id = programme_url.rstrip("/").split("/")[-1]
    page.goto(f"{base}/training/cohorts/new/?programme={programme_id}")
    page.select_option("#id_module", label="WC 工作场所合作")
    page.fill("#id_name", "南浔示范 WC 第一批")
    submit(page)
    expect(page.locator("h1")).to_have_text("向培训批次添加企业")
    page.check(f'input[name="enterprises"][value="{factory.pk}"]')
    page.check(f'input[name="enterprises"][value="{other.pk}"]')
    page.fill("#id_joined_on", day(-45))
    submit(page)
    expect(page.locator('[data-testid="cohort-members"] > li')).to_have_count(2)
    cohort_url = page.url

    # 3. A one-day classroom session with two participants of the factory, attendance recorded.
    page.click('[data-testid="new-session"]')
    page.fill("#id_starts_on", day(-40))
    page.fill("#id_ends_on", day(-40))
    page.fill("#id_venue", "南浔区应急管理局培训中心")
    submit(page)
    expect(page.locator(".alert-success")).to_contain_text("课堂培训已安排")
    page.click('[data-testid="add-participant"]')
    for name, role, gender, position in [
        ("沈国平", "manager", "male", "总经理"),
        ("朱红梅", "worker", "female", "挡车工"),
    ]:
        page.select_option("#id_enterprise", str(factory.pk))
        page.fill("#id_name", name)
        page.check(f'input[name="role"][value="{role}"]')
        page.check(f'input[name="gender"][value="{gender}"]')
        page.fill("#id_position", position)
        submit(page, "add_another" if role == "manager" else "save")
    expect(page.locator('[data-testid="participants"] tbody tr')).to_have_count(2)
    expect(page.locator('[data-testid="mix"]')).to_contain_text("女性 50%")
    page.click('[data-testid="attendance-link"]')
    for box in page.locator("input.attendance-box").all():
        box.check()
    page.click('[data-testid="attendance-form"] button[type=submit]')
    expect(page.locator(".alert-success")).to_contain_text("出勤已保存")
    page.screenshot(path=artifacts / "training-2-session-zh.png", full_page=True)

    # The participants rate the session on their phones through the QR code shown in the room.
    page.click("text=问卷二维码")
    page.click("text=开放问卷")
    expect(page.locator('[data-testid="survey-qr"]')).to_be_visible()
    survey_url = page.locator('[data-testid="survey-url"]').get_attribute("href")
    assert survey_url is not None
    browser = page.context.browser
    assert browser is not None
    phone = browser.new_context(locale="zh-CN", viewport={"width": 360, "height": 740})
    participant = phone.new_page()
    participant.goto(survey_url)
    expect(participant.locator("h1")).to_have_text("培训效果如何？")
    for question in ("overall", "usefulness", "trainers"):
        participant.click(f'label[for="id_{question}_0"]')  # 5 · very good
    participant.screenshot(path=artifacts / "training-2b-survey-phone-zh.png", full_page=True)
    participant.click('[data-testid="survey-form"] button[type=submit]')
    expect(participant.locator('[data-testid="survey-thanks"]')).to_have_text("感谢您的反馈！")
    phone.close()

    # 4. Baseline visit, then a joint follow-up visit with the Nanxun safety inspector.
    page.goto(cohort_url)
    page.click(f'[data-testid="cohort-members"] a:has-text("{factory.name_zh}")')
    progress_url = page.url
    for kind, offset, with_inspector in [("baseline", -44, False), ("follow_up", -20, True)]:
        page.goto(progress_url)
        page.click("text=安排辅导")
        page.select_option("#id_kind", kind)
        page.fill("#id_planned_on", day(offset))
        submit(page)
        expect(page.locator(".alert-success")).to_contain_text("辅导已安排")
        page.click('[data-testid="record-visit"]')
        page.fill("#id_done_on", day(offset))
        if with_inspector:
            page.select_option("#id_inspector", str(inspector.pk))
            page.fill("#id_observations", "与安全监管人员一起巡查织造车间和仓库。")
        submit(page)
        expect(page.locator('[data-testid="visit-status"]')).to_have_text("已完成")
    expect(page.locator('[data-testid="joint-badge"]')).to_have_text("联合辅导")
    page.click('[data-testid="add-finding"]')
    page.fill("#id_text", "仓库消防通道堆放原料，须立即清理。")
    page.check('input[name="kind"][value="enforcement"]')
    submit(page)
    expect(page.locator('[data-testid="findings"]')).to_contain_text("执法事项")
    page.screenshot(path=artifacts / "training-3-joint-visit-zh.png", full_page=True)

    # 5. The module is completed and the certificate issued.
    page.goto(progress_url)
    page.click('[data-testid="complete-button"]')
    expect(page.locator('[data-testid="completed"]')).to_be_visible()
    page.click('[data-testid="issue-certificate"]')
    expect(page.locator("h1")).to_contain_text("结业证书")
    page.screenshot(path=artifacts / "training-4-certificate-zh.png", full_page=True)
    pdf_url = page.locator('[data-testid="certificate-pdf"]').get_attribute("href")
    pdf = page.request.get(f"{base}{pdf_url}")
    assert pdf.ok
    assert pdf.headers["content-type"] == "application/pdf"
    (artifacts / "training-certificate.pdf").write_bytes(pdf.body())
    text = pdf_text(pdf.body())
    assert "工作场所合作" in text
    assert "结业证书" in text
    verify_url = page.locator('[data-testid="verify-url"]').get_attribute("href")
    assert verify_url is not None
    assert verify_url in text.replace("\n", "")

    # 6. The QR link opens the public verification page, without signing in, on a phone.
    page.context.clear_cookies()
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(verify_url)
    expect(page.locator('[data-testid="verify-valid"]')).to_contain_text("该证书真实有效")
    expect(page.locator('[data-testid="verify-facts"]')).to_contain_text(factory.name_zh)
    expect(page.locator('[data-testid="verify-facts"]')).to_contain_text("工作场所合作")
    page.screenshot(path=artifacts / "training-5-verify-phone-zh.png", full_page=True)

    # The same cohort page in English, for the translation check.
    sign_in(page, base, "trainer")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(cohort_url)
    page.select_option('[data-testid="language-switcher"]', "en")
    expect(page.locator("h1")).to_contain_text("南浔示范 WC 第一批")
    expect(page.locator("text=Enterprises and their progress")).to_be_visible()
    page.screenshot(path=artifacts / "training-6-cohort-en.png", full_page=True)
