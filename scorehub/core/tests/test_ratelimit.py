"""One rate-limit mechanism: fixed windows, keyed by the real client address, counted atomically on every store.

Time is frozen in every test (time-machine), so no window rolls over while requests are being sent.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine
from django.core.cache import caches
from django.db import connections
from django.db.utils import load_backend
from django.test import Client, override_settings
from django.urls import reverse

from scorehub.core import ratelimit
from scorehub.core.models import RateLimitCounter
from scorehub.core.ratelimit import CacheStore, DatabaseStore, Rate
from scorehub.training.models import Certificate

# 10:00:30 Beijing time: half a minute before the next one-minute window.
FROZEN = dt.datetime(2030, 3, 4, 2, 0, 30, tzinfo=dt.UTC)
PROXY = "10.0.0.2"
REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def frozen() -> Iterator[Any]:
    with time_machine.travel(FROZEN, tick=False) as traveller:
        yield traveller


# ---------------------------------------------------------------------------------------------------------
# Rates


@pytest.mark.parametrize(
    ("text", "limit", "window"),
    [("60/minute", 60, 60), ("2000/hour", 2000, 3600), ("10/10m", 10, 600), ("40/1d", 40, 86400), ("5/s", 5, 1)],
)
def test_rates_are_read_in_rest_framework_form_and_with_a_window_length(text, limit, window):
    assert Rate.parse(text) == Rate(limit, window)


@pytest.mark.parametrize("text", ["", "sixty/minute", "60", "60/fortnight", "10/0m"])
def test_a_malformed_rate_is_refused(text):
    with pytest.raises(ValueError, match="Not a rate"):
        Rate.parse(text)


# ---------------------------------------------------------------------------------------------------------
# The public pages, behind the proxy


@pytest.mark.django_db
@override_settings(BEHIND_PROXY=True, TRUSTED_PROXY_COUNT=1, RATELIMIT_STORE="database")
def test_a_new_forwarded_for_each_time_does_not_bypass_the_certificate_check_limit(frozen):
    """The attack: 80 requests, each with a made-up first X-Forwarded-For hop; the proxy appends the real one."""
    url = reverse("training:certificate-verify", kwargs={"code": Certificate.objects.first().verification_code})
    statuses = [
        Client(REMOTE_ADDR=PROXY).get(url, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 198.51.100.66").status_code
        for n in range(80)
    ]
    assert statuses == [200] * 60 + [429] * 20
    # Someone else behind the same proxy is not affected.
    other = Client(REMOTE_ADDR=PROXY).get(url, HTTP_X_FORWARDED_FOR="203.0.113.20")
    assert other.status_code == 200


@pytest.mark.django_db
@override_settings(RATELIMIT_STORE="database")
def test_the_limit_lasts_until_the_end_of_its_window_and_says_so(frozen):
    url = reverse("training:certificate-verify-form")
    client = Client(REMOTE_ADDR="203.0.113.20")
    assert [client.get(url).status_code for _ in range(60)] == [200] * 60
    refused = client.get(url)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "30"  # 10:00:30 -> the next window starts at 10:01:00
    assert "请求过于频繁" in refused.content.decode()  # "Too many requests", in Chinese first
    frozen.shift(dt.timedelta(seconds=29))
    assert client.get(url).status_code == 429
    frozen.shift(dt.timedelta(seconds=1))
    assert client.get(url).status_code == 200


@pytest.mark.django_db
@override_settings(RATELIMIT_STORE="database")
def test_without_a_proxy_a_forwarded_for_header_is_ignored(frozen):
    url = reverse("training:certificate-verify-form")
    statuses = [
        Client(REMOTE_ADDR="203.0.113.20").get(url, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").status_code for n in range(61)
    ]
    assert statuses == [200] * 60 + [429]


# ---------------------------------------------------------------------------------------------------------
# The API


@pytest.fixture
def api_rates(settings: Any) -> Callable[[str, str], None]:
    def set_rates(anon: str, user: str) -> None:
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": anon, "user": user}}
        settings.RATELIMIT_STORE = "database"

    return set_rates


@pytest.mark.django_db
def test_the_api_answers_429_over_the_user_rate_whatever_the_address(client_as, api_rates, frozen):
    api_rates("100/minute", "3/minute")
    client = client_as("huzhou_official")
    statuses = [client.get("/api/v1/enterprises/", REMOTE_ADDR=f"203.0.113.{n}").status_code for n in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = client.get("/api/v1/regions/")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "30"
    # Another account has its own allowance.
    assert client_as("nanxun_inspector").get("/api/v1/enterprises/").status_code == 200


@pytest.mark.django_db
def test_the_token_endpoint_answers_429_over_the_anonymous_rate_per_address(api_rates, frozen):
    api_rates("2/minute", "100/minute")
    attempt = {"username": "nobody", "password": "wrong"}
    client = Client(REMOTE_ADDR="198.51.100.66")
    statuses = [client.post("/api/v1/auth/token/", attempt).status_code for _ in range(3)]
    assert statuses == [400, 400, 429]
    assert Client(REMOTE_ADDR="203.0.113.20").post("/api/v1/auth/token/", attempt).status_code == 400


# ---------------------------------------------------------------------------------------------------------
# The stores: exact under concurrency


@pytest.fixture
def own_connection(db: Any, tmp_path: Any) -> Iterator[Callable[[], Any]]:
    """Makes database connections of their own (for worker threads; whoever makes one closes it).

    PostgreSQL: to the test database itself (the rows the threads commit are removed afterwards).  SQLite:
    the test database lives in memory, so the threads share a file of their own with the counter table.
    """
    config = dict(connections["default"].settings_dict)
    sqlite = connections["default"].vendor == "sqlite"
    if sqlite:
        config["NAME"] = str(tmp_path / "ratelimit.sqlite3")
    backend = load_backend(config["ENGINE"])

    def connect() -> Any:
        return backend.DatabaseWrapper(config, alias="ratelimit_thread")

    setup = connect()
    try:
        if sqlite:
            with setup.schema_editor(atomic=False) as editor:
                editor.create_model(RateLimitCounter)
        yield connect
    finally:
        if not sqlite:
            with setup.cursor() as cursor:
                cursor.execute("DELETE FROM core_ratelimitcounter WHERE key LIKE %s", ["rl:test-%"])
        setup.close()


@pytest.fixture
def redis_cache() -> Iterator[str]:
    """A Redis cache alias with a key prefix of its own; its keys are removed afterwards."""
    redis = pytest.importorskip("redis")
    prefix = f"scorehub-test-{uuid.uuid4().hex}"
    alias = "ratelimit_redis"
    config = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": prefix}
    with override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}, alias: config}
    ):
        try:
            yield alias
        finally:
            server = redis.Redis.from_url(REDIS_URL)
            for key in server.scan_iter(match=f"{prefix}:*"):
                server.delete(key)
            server.close()


def hammer(store_for_thread: Callable[[], ratelimit.CounterStore], *, threads: int, per_thread: int, limit: int) -> int:
    """``threads`` threads, released at once, each counting ``per_thread`` requests of one caller; how many passed."""
    scope = f"test-{uuid.uuid4().hex}"
    start = threading.Barrier(threads)
    passed: list[bool] = []
    errors: list[BaseException] = []
    guard = threading.Lock()

    def work() -> None:
        store = store_for_thread()
        try:
            start.wait()
            for _ in range(per_thread):
                decision = ratelimit.hit(scope, "203.0.113.20", [Rate(limit, 600)], store=store)
                with guard:
                    passed.append(decision.allowed)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            if isinstance(store, DatabaseStore) and store.connection is not None:
                store.connection.close()

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not errors, errors
    assert len(passed) == threads * per_thread
    return passed.count(True)


def test_the_database_store_lets_exactly_the_limit_through_from_40_threads(own_connection, frozen):
    assert hammer(lambda: DatabaseStore(connection=own_connection()), threads=40, per_thread=5, limit=37) == 37
    reader = own_connection()
    try:
        with reader.cursor() as cursor:
            cursor.execute("SELECT count FROM core_ratelimitcounter WHERE key LIKE %s", ["rl:test-%"])
            assert cursor.fetchall() == [(200,)]
    finally:
        reader.close()


def test_the_redis_store_lets_exactly_the_limit_through_from_40_threads(redis_cache, frozen):
    assert hammer(lambda: CacheStore(redis_cache), threads=40, per_thread=5, limit=37) == 37


def test_the_local_memory_store_counts_exactly_within_one_process(frozen):
    caches["default"].clear()
    assert hammer(lambda: CacheStore("default"), threads=40, per_thread=5, limit=37) == 37


@pytest.mark.django_db
def test_a_new_window_prunes_the_counters_of_windows_that_are_over(frozen):
    store = DatabaseStore()
    ratelimit.hit("test-prune", "198.51.100.66", [Rate(5, 60)], store=store)
    ratelimit.hit("test-prune", "198.51.100.66", [Rate(5, 60)], store=store)
    assert list(RateLimitCounter.objects.values_list("count", flat=True)) == [2]
    frozen.shift(dt.timedelta(minutes=1))
    ratelimit.hit("test-prune", "198.51.100.66", [Rate(5, 60)], store=store)
    assert list(RateLimitCounter.objects.values_list("count", flat=True)) == [1]
    assert "198.51.100.66" not in RateLimitCounter.objects.get().key


# ---------------------------------------------------------------------------------------------------------
# The system check


def check_ids() -> list[str]:
    return [message.id for message in ratelimit.check_rate_limit_store()]


def test_the_default_file_cache_leads_to_the_database_store():
    file_cache = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": "scorehub-test-unused",
        }
    }
    with override_settings(CACHES=file_cache, RATELIMIT_STORE="auto"):
        assert ratelimit.configured_store_name() == "database"
        assert check_ids() == []


def test_a_redis_default_cache_is_used_by_auto():
    with override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}},
        RATELIMIT_STORE="auto",
    ):
        assert ratelimit.configured_store_name() == "cache:default"
        assert check_ids() == []


@pytest.mark.parametrize(
    ("backend", "expected"),
    [
        ("django.core.cache.backends.filebased.FileBasedCache", ["scorehub.E103"]),
        ("django.core.cache.backends.db.DatabaseCache", ["scorehub.E103"]),
        ("django.core.cache.backends.dummy.DummyCache", ["scorehub.E103"]),
        ("django.core.cache.backends.locmem.LocMemCache", ["scorehub.W101"]),
        ("django.core.cache.backends.memcached.PyMemcacheCache", []),
    ],
)
def test_the_check_refuses_a_cache_that_cannot_count_atomically(backend, expected):
    with override_settings(
        CACHES={"default": {"BACKEND": backend, "LOCATION": "scorehub-test-unused"}}, RATELIMIT_STORE="cache:default"
    ):
        assert check_ids() == expected


def test_the_check_refuses_an_unknown_store():
    with override_settings(RATELIMIT_STORE="memcache"):
        assert check_ids() == ["scorehub.E101"]
    with override_settings(RATELIMIT_STORE="cache:nowhere"):
        assert check_ids() == ["scorehub.E103"]
