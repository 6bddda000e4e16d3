"""Optional machines come from environment variables: Redis, the replica, S3-compatible media storage."""

from __future__ import annotations

import json

from scorehub.core.tests.processes import command_environment, run_scorehub

SHOW_SETTINGS = """
import json
from django.conf import settings
from django.core.files.storage import storages
from django_q.brokers import get_broker
print(json.dumps({
    "cache": settings.CACHES["default"]["BACKEND"],
    "cache_location": settings.CACHES["default"].get("LOCATION"),
    "broker": type(get_broker()).__name__,
    "media": type(storages["default"]).__name__,
    "databases": sorted(settings.DATABASES),
    "replica_test": settings.DATABASES.get("replica", {}).get("TEST", {}).get("MIRROR"),
    "conn_max_age": settings.DATABASES["default"]["CONN_MAX_AGE"],
}))
"""


def show_settings(tmp_path, **variables: str) -> dict:
    result = run_scorehub("shell", "--no-imports", "-c", SHOW_SETTINGS, env=command_environment(tmp_path, **variables))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_embedded_default_needs_no_other_machine(tmp_path):
    shown = show_settings(tmp_path)
    assert shown["cache"] == "django.core.cache.backends.filebased.FileBasedCache"
    assert shown["broker"] == "ORM"
    assert shown["media"] == "FileSystemStorage"
    assert shown["databases"] == ["default"]
    assert shown["conn_max_age"] == 60


def test_redis_url_gives_the_cache_and_the_job_broker(tmp_path):
    shown = show_settings(tmp_path, REDIS_URL="redis://127.0.0.1:6379/7")
    assert shown["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert shown["cache_location"] == "redis://127.0.0.1:6379/7"
    assert shown["broker"] == "Redis"


def test_replica_url_adds_the_replica_alias_mirrored_in_tests(tmp_path):
    shown = show_settings(tmp_path, DATABASE_REPLICA_URL=f"sqlite:///{tmp_path / 'replica.sqlite3'}")
    assert shown["databases"] == ["default", "replica"]
    assert shown["replica_test"] == "default"


def test_media_storage_s3_uses_django_storages(tmp_path):
    shown = show_settings(tmp_path, MEDIA_STORAGE="s3", S3_BUCKET="scorehub-media", DB_CONN_MAX_AGE="0")
    assert shown["media"] == "S3Storage"
    assert shown["conn_max_age"] == 0


def test_an_unknown_media_storage_is_refused_with_its_name(tmp_path):
    result = run_scorehub("check", env=command_environment(tmp_path, MEDIA_STORAGE="nfs"))
    assert result.returncode != 0
    assert "MEDIA_STORAGE must be 'filesystem' or 's3', not 'nfs'" in result.stderr
