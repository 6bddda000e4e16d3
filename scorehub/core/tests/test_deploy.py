"""Production settings come from environment variables; with them set, ``scorehub check --deploy`` is clean.

Without them, the secret key decides whether the app starts at all (docs/decisions/0005-secret-key.md): a weak
or placeholder key is refused everywhere, a production server (a public host name, DEBUG off) refuses to start
without one, and a run on this machine only keeps a random key in its data directory, which ``check --deploy``
refuses.  Each case runs the real command in a child process with exactly the variables it names.
"""

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


#: The key this project shipped as its default until it was refused (anyone can read it in the history).
OLD_DEMO_KEY = "django-insecure-scorehub-demo-key-change-me-in-production"


def child_environment(env: dict[str, str]) -> dict[str, str]:
    # The test run's own relaxations (e.g. DJANGO_ALLOW_ASYNC_UNSAFE for browser tests) stay out.
    dropped = {*PRODUCTION, "SESSION_COOKIE_SECURE", "DJANGO_ALLOW_ASYNC_UNSAFE", "SCOREHUB_DATA_DIR"}
    return {**{k: v for k, v in os.environ.items() if k not in dropped}, **env}


def scorehub_command(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("scorehub")
    return subprocess.run(  # noqa: S603 - our own console command
        [str(script), *args], env=child_environment(env), capture_output=True, text=True, timeout=120, check=False
    )


def python_code(code: str, *, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter on our own code
        [sys.executable, "-c", code],
        env=child_environment(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
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


@pytest.mark.parametrize("key", [OLD_DEMO_KEY, "too-short-for-a-secret", "a" * 80], ids=["old-demo", "short", "same"])
@pytest.mark.parametrize("production", [True, False], ids=["production", "this-machine"])
def test_check_deploy_refuses_a_weak_key_with_the_reason(key, production):
    env = {**PRODUCTION, "SECRET_KEY": key} if production else {"SECRET_KEY": key}
    result = scorehub_command("check", "--deploy", env=env)
    assert result.returncode == 1
    assert result.stderr.startswith("scorehub: SECRET_KEY is too weak to sign sessions and links: ")
    assert "Traceback" not in result.stderr


def test_a_production_server_without_a_key_refuses_to_start():
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    started = python_code("import scorehub.wsgi", env=env)  # what a WSGI server does first
    assert started.returncode != 0
    assert (
        "django.core.exceptions.ImproperlyConfigured: SECRET_KEY is not set, and this server answers to a public "
        "host name (ALLOWED_HOSTS) with DEBUG off." in started.stderr
    )
    checked = scorehub_command("check", "--deploy", env=env)
    assert checked.returncode == 1
    assert checked.stderr.startswith("scorehub: SECRET_KEY is not set, and this server answers to a public host name")


def test_make_run_starts_without_any_key_and_keeps_one_in_its_data_directory(tmp_path):
    # The environment of `make run`: no SECRET_KEY, DEBUG and ALLOWED_HOSTS as they come (off, this machine).
    env = {"DJANGO_SETTINGS_MODULE": "scorehub.settings", "SCOREHUB_DATA_DIR": str(tmp_path)}
    show_key = "from django.conf import settings as s; print(s.SECRET_KEY, s.DEBUG, s.SCOREHUB_SECRET_KEY_IS_LOCAL)"
    first, second = python_code(show_key, env=env), python_code(show_key, env=env)
    assert first.returncode == 0, first.stderr
    key, debug, local = first.stdout.split()
    assert (debug, local) == ("False", "True")
    assert second.stdout == first.stdout  # the same key on every start: sessions survive a restart
    kept = tmp_path / "secret_key"
    assert kept.read_text().strip() == key
    assert len(key) >= 50
    assert kept.stat().st_mode & 0o777 == 0o600
    assert scorehub_command("check", env=env).returncode == 0  # what `make run` runs before serving (migrate)


def test_check_deploy_refuses_the_key_kept_on_this_machine(tmp_path):
    result = scorehub_command("check", "--deploy", env={"SCOREHUB_DATA_DIR": str(tmp_path)})
    assert result.returncode == 1
    assert f"(scorehub.E001) SECRET_KEY is not set: the key kept in {tmp_path / 'secret_key'}" in result.stderr


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
