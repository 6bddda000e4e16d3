"""Request ids and user ids in the logs, /metrics for allowed addresses only, /readyz."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils.module_loading import import_string

from scorehub.core.observability import RequestContextFilter
from scorehub.core.tests.processes import command_environment, run_scorehub


@pytest.fixture
def json_log():
    """What the project's JSON log format writes for Django's request logger, line by line."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestContextFilter())
    options = dict(settings.LOGGING["formatters"]["json"])  # the project's own JSON format
    handler.setFormatter(import_string(options.pop("()"))(**options))
    target = logging.getLogger("django.request")
    target.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    target.removeHandler(handler)


@pytest.mark.django_db
def test_every_answer_carries_a_request_id(client):
    response = client.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
    assert client.get("/healthz")["X-Request-ID"] != response["X-Request-ID"]


@pytest.mark.django_db
def test_a_sane_incoming_request_id_is_kept_and_anything_else_replaced(client):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="nginx-5f2b9c1e0a")["X-Request-ID"] == "nginx-5f2b9c1e0a"
    for bad in ("short", "has spaces in it", "x" * 200, "<script>alert(1)</script>"):
        answered = client.get("/healthz", HTTP_X_REQUEST_ID=bad)["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", answered), bad


@pytest.mark.django_db
def test_log_lines_of_a_request_carry_its_id_and_the_user_id(client_as, persona, json_log):
    client = client_as("huzhou_official")
    response = client.get("/enterprises/999999999/")
    assert response.status_code == 404
    [line] = [line for line in json_log() if line["message"].startswith("Not Found")]
    assert line["request_id"] == response["X-Request-ID"]
    assert line["user_id"] == persona("huzhou_official").pk
    assert line["level"] == "WARNING"
    assert line["logger"] == "django.request"
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", line["time"])


@pytest.mark.django_db
def test_anonymous_log_lines_have_no_user_id(client, json_log):
    response = client.get("/no-such-page-at-all", HTTP_X_REQUEST_ID="lb-0123456789")
    [line] = [line for line in json_log() if line["request_id"] == "lb-0123456789"]
    assert response["X-Request-ID"] == "lb-0123456789"
    assert line["user_id"] is None


@pytest.mark.django_db
def test_metrics_answer_the_local_scraper(client):
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert b"django_http_requests_total_by_method_total" in response.content


@pytest.mark.django_db
def test_metrics_are_not_found_from_other_addresses(client):
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.5").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="not-an-address").status_code == 404


@pytest.mark.django_db
def test_metrics_behind_the_proxy_look_at_the_address_the_proxy_saw(client):
    with override_settings(BEHIND_PROXY=True, TRUSTED_PROXY_COUNT=1):
        # nginx on the same machine forwards a request from outside: refused.
        assert client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 404
        # A forged first entry does not help: the proxy appends the address it saw.
        assert client.get("/metrics", HTTP_X_FORWARDED_FOR="127.0.0.1, 203.0.113.5").status_code == 404


@pytest.mark.django_db
def test_metrics_allowed_ips_take_networks(client):
    with override_settings(METRICS_ALLOWED_IPS=["10.20.0.0/16"]):
        assert client.get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 200
        assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404


@pytest.mark.django_db
def test_readyz_reports_each_part_when_all_is_well(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok", "migrations": "ok"},
    }
    assert "sessionid" not in response.cookies


@pytest.mark.django_db
def test_readyz_answers_503_when_the_cache_is_down(client):
    unreachable_redis = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    with override_settings(CACHES={"default": unreachable_redis}):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert response.json()["checks"]["cache"] == "unavailable"
    assert response.json()["checks"]["database"] == "ok"


def test_readyz_answers_503_before_the_migrations_are_applied(tmp_path):
    show = "from django.test import Client; r = Client().get('/readyz'); print(r.status_code, r.content.decode())"
    result = run_scorehub("shell", "--no-imports", "-c", show, env=command_environment(tmp_path))
    assert result.returncode == 0, result.stderr
    status, body = result.stdout.strip().splitlines()[-1].split(" ", 1)
    assert status == "503"
    checks = json.loads(body)["checks"]
    assert checks["database"] == "ok"
    assert re.fullmatch(r"\d+ not applied", checks["migrations"])


def test_log_format_is_checked(tmp_path):
    result = run_scorehub("check", env=command_environment(tmp_path, LOG_FORMAT="xml"))
    assert result.returncode != 0
    assert "LOG_FORMAT must be 'json' or 'text', not 'xml'" in result.stderr
