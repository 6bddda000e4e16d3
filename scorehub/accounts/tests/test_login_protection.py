"""Logins are protected against guessing: five failures lock the account (for that address) for 15 minutes."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from scorehub.core.demodata import DEMO_PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def sign_in(client: Client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password})


def is_signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def fail_until_locked(client: Client, username: str = "huzhou_official") -> list:
    return [sign_in(client, username, f"wrong-{n}") for n in range(settings.AXES_FAILURE_LIMIT)]


def test_the_limit_is_five_failures_for_fifteen_minutes():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert dt.timedelta(hours=settings.AXES_COOLOFF_TIME) == dt.timedelta(minutes=15)


def test_four_failures_still_allow_the_right_password(client):
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        response = sign_in(client, "huzhou_official", f"wrong-{n}")
        assert response.status_code == 200
        assert 'data-testid="locked-out"' not in response.content.decode()
    response = sign_in(client, "huzhou_official", DEMO_PASSWORD)
    assert response.status_code == 302
    assert is_signed_in(client)


def test_fifth_failure_locks_the_account_and_shows_the_lockout_page_in_english(client):
    client.cookies["scorehub_language"] = "en"
    responses = fail_until_locked(client)
    assert [r.status_code for r in responses[:-1]] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    locked = responses[-1]
    assert locked.status_code == 429
    page = locked.content.decode()
    assert 'data-testid="locked-out"' in page
    assert "Too many failed sign-in attempts" in page
    assert "15 minutes" in page


def test_lockout_page_is_shown_in_the_users_language(client):
    client.cookies["scorehub_language"] = "zh-hans"
    locked = fail_until_locked(client)[-1]
    page = locked.content.decode()
    assert '<html lang="zh-hans">' in page
    assert 'data-testid="locked-out"' in page
    with translation.override("zh-hans"):
        heading = gettext("Too many failed sign-in attempts")
        explanation = gettext(
            "This account is locked for 15 minutes. Try again later, or ask your programme office to unlock it."
        )
    assert heading in page
    assert explanation in page


def test_right_password_fails_while_locked_and_works_after_the_cool_off(client):
    fail_until_locked(client)
    response = sign_in(client, "huzhou_official", DEMO_PASSWORD)
    assert response.status_code == 429
    assert 'data-testid="locked-out"' in response.content.decode()
    assert not is_signed_in(client)
    # The API token endpoint answers to the same lock.
    token = client.post("/api/v1/auth/token/", {"username": "huzhou_official", "password": DEMO_PASSWORD})
    assert token.status_code in (400, 403, 429)
    assert "token" not in token.content.decode()
    # Fifteen minutes and a second later (the attempts are dated back rather than waited for):
    cool_off = dt.timedelta(hours=settings.AXES_COOLOFF_TIME)
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= cool_off + dt.timedelta(seconds=1)
        attempt.save()
    response = sign_in(client, "huzhou_official", DEMO_PASSWORD)
    assert response.status_code == 302
    assert is_signed_in(client)


def test_the_lock_is_per_account_and_address(client):
    fail_until_locked(client, "huzhou_official")
    other = Client()
    response = sign_in(other, "nanxun_inspector", DEMO_PASSWORD)
    assert response.status_code == 302
    from_elsewhere = Client(REMOTE_ADDR="10.1.2.3")
    response = sign_in(from_elsewhere, "huzhou_official", DEMO_PASSWORD)
    assert response.status_code == 302


def test_failed_token_requests_count_towards_the_lock(client):
    for n in range(settings.AXES_FAILURE_LIMIT):
        client.post("/api/v1/auth/token/", {"username": "huzhou_official", "password": f"wrong-{n}"})
    response = sign_in(Client(), "huzhou_official", DEMO_PASSWORD)
    assert response.status_code == 429


def test_a_successful_sign_in_resets_the_count(client):
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "huzhou_official", f"wrong-{n}")
    assert sign_in(client, "huzhou_official", DEMO_PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "huzhou_official", f"again-{n}").status_code == 200
    assert sign_in(client, "huzhou_official", DEMO_PASSWORD).status_code == 302
