"""Production settings come from environment variables; with them set, ``scorehub check --deploy`` is clean."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

PRODUCTION = {
    "SECRET_KEY": secrets.token_urlsafe(64),
    "DEBUG": "0",
    "ALLOWED_HOSTS": "scorehub.example.org",
    "HTTPS": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_SSL_REDIRECT": "1",
}


def scorehub_command(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("scorehub")
    # The test run's own relaxations (e.g. DJANGO_ALLOW_ASYNC_UNSAFE for browser tests) stay out.
    dropped = {*PRODUCTION, "SESSION_COOKIE_SECURE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    base = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run(  # noqa: S603 - our own console command
        [str(script), *args], env={**base, **env}, capture_output=True, text=True, timeout=120, check=False
    )


def test_check_deploy_is_clean_with_production_variables():
    result = scorehub_command("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_is_clean_with_the_cookie_variable_instead_of_https():
    env = {k: v for k, v in PRODUCTION.items() if k != "HTTPS"} | {"SESSION_COOKIE_SECURE": "1"}
    result = scorehub_command("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("left_out", "warning"),
    [
        ("SECRET_KEY", "security.W009"),
        ("HTTPS", "security.W012"),
        ("SECURE_HSTS_SECONDS", "security.W004"),
        ("SECURE_SSL_REDIRECT", "security.W008"),
    ],
)
def test_check_deploy_names_each_missing_production_variable(left_out, warning):
    env = {k: v for k, v in PRODUCTION.items() if k != left_out}
    result = scorehub_command("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert warning in result.stdout + result.stderr


def test_demo_defaults_are_safe_without_any_variables():
    result = scorehub_command(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings as s; print(s.DEBUG, s.SESSION_COOKIE_HTTPONLY, s.X_FRAME_OPTIONS)",
        env={},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "DENY"]


@pytest.mark.django_db
def test_healthz_reports_the_database_and_nothing_else(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "sessionid" not in response.cookies


@pytest.mark.django_db
def test_healthz_stays_on_plain_http_behind_an_https_redirect(client):
    # Load balancers probe over plain HTTP; everything else is sent to HTTPS.
    with override_settings(SECURE_SSL_REDIRECT=True):
        assert client.get("/healthz").status_code == 200
        redirected = client.get("/enterprises/")
    assert redirected.status_code == 301
    assert redirected["Location"].startswith("https://")
