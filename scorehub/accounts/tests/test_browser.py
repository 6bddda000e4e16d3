"""In the browser, in Chinese, with officials required to use a second factor: an official without one sets it
up after the password; another signs in with password and code, creates a reset link for an inspector, and
the inspector sets a new password through it."""

from __future__ import annotations

import re
from base64 import b32decode
from binascii import unhexlify
from typing import Any

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from scorehub.accounts.models import User
from scorehub.core.demodata import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KEY = "3132333435363738393031323334353637383930"
NEW_PASSWORD = "Nanxun-Silk-Road-2026"


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    # A Chinese browser on a phone-sized screen: the code is typed on the phone next to the app.
    return {**browser_context_args, "locale": "zh-CN", "viewport": {"width": 430, "height": 900}}


def code_for(hex_key: str) -> str:
    # The live server accepts the codes of the step before and after too, so a step that ends between
    # computing the code and submitting it does not matter.
    return f"{totp(unhexlify(hex_key.encode())):06d}"


def sign_in(page: Page, base: str, username: str, password: str = DEMO_PASSWORD) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


def test_officials_set_up_and_use_a_second_factor_and_help_an_inspector_with_a_reset_link(
    page: Page, live_server: Any, live_world: None, artifacts: Any, settings: Any
) -> None:
    settings.OTP_REQUIRED_ROLES = ["official"]
    base = live_server.url

    # 1. An official without a second factor is sent to set one up, in Chinese.
    sign_in(page, base, "huzhou_official")
    expect(page).to_have_url(re.compile(r"/accounts/me/second-factor/new/"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("h1")).to_have_text("设置两步验证")
    expect(page.locator('[data-testid="second-factor-required"]')).to_be_visible()
    expect(page.locator('[data-testid="second-factor-qr"]')).to_be_visible()
    secret = page.locator('[data-testid="second-factor-secret"]').inner_text().replace(" ", "")
    key = b32decode(secret + "=" * (-len(secret) % 8)).hex()
    page.screenshot(path=artifacts / "accounts-1-second-factor-enrol-zh.png", full_page=True)
    page.fill("#id_code", code_for(key))
    with page.expect_navigation():
        page.locator('[data-testid="second-factor-enrol-form"] button[type=submit]').click()
    expect(page).to_have_url(f"{base}/")
    expect(page.locator(".alert-success")).to_contain_text("两步验证已开启")
    assert TOTPDevice.objects.get(user__username="huzhou_official").key == key

    # 2. An official with a second factor enters the code after the password.
    TOTPDevice.objects.create(user=User.objects.get(username="zhejiang_official"), name="SCORE Hub", key=KEY)
    sign_in(page, base, "zhejiang_official")
    expect(page).to_have_url(re.compile(r"/accounts/login/code/"))
    expect(page.locator("h1")).to_have_text("输入验证码")
    page.goto(f"{base}/enterprises/")  # nothing else is reachable before the code
    expect(page).to_have_url(re.compile(r"/accounts/login/code/\?next=%2Fenterprises%2F"))
    page.screenshot(path=artifacts / "accounts-2-second-factor-code-zh.png", full_page=True)
    page.fill("#id_code", code_for(KEY))
    with page.expect_navigation():
        page.locator('[data-testid="second-factor-verify-form"] button[type=submit]').click()
    expect(page).to_have_url(f"{base}/enterprises/")

    # 3. The official creates a one-time reset link for a Nanxun inspector.
    inspector = User.objects.get(username="nanxun_inspector")
    page.goto(f"{base}/accounts/people/{inspector.pk}/")
    expect(page.locator('[data-testid="person-memberships"]')).to_contain_text("南浔区应急管理局")
    with page.expect_navigation():
        page.locator('[data-testid="create-reset-link"]').click()
    expect(page.locator("h1")).to_have_text("密码重置链接")
    link = page.locator('[data-testid="reset-link"]').input_value()
    assert link.startswith(f"{base}/accounts/reset/")
    expect(page.locator('[data-testid="reset-link-no-email"]')).to_contain_text("请您自行转交链接")
    page.screenshot(path=artifacts / "accounts-3-reset-link-zh.png", full_page=True)

    # 4. The inspector opens it without being signed in and sets a new password.
    page.context.clear_cookies()
    page.goto(link)
    expect(page).to_have_url(re.compile(r"/set-password/$"))
    expect(page.locator("h1")).to_have_text("设置新密码")
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    with page.expect_navigation():
        page.locator('[data-testid="set-password-form"] button[type=submit]').click()
    expect(page.locator('[data-testid="password-set"]')).to_contain_text("新密码已设置")
    page.screenshot(path=artifacts / "accounts-4-password-set-zh.png", full_page=True)
    sign_in(page, base, "nanxun_inspector", NEW_PASSWORD)
    expect(page).to_have_url(f"{base}/")  # inspectors need no second factor
    page.goto(link)
    expect(page.locator('[data-testid="reset-link-invalid"]')).to_contain_text("此链接已失效")
