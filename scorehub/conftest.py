"""Shared test fixtures: the demo data set as the world, and its personas as the people in it.

The demo data set is built once per test database (per xdist worker) and every test runs in a
transaction that is rolled back.  Browser tests run against a live server with real commits; they
rebuild the world themselves (``live_world``).

The clock stands still at ``TEST_NOW`` for the whole session, world building included: the demo world
(dated relative to "today"), the pages and the tests' expectations all see the same instant, whatever
the date and however slow the machine.  A test that needs time to pass moves the clock itself with
time-machine (``time_machine.move_to(...)`` / ``.shift(...)``).  The cache is emptied before every test.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings

# Playwright's synchronous API runs an event loop in the test thread; Django's ORM calls from the
# same thread are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(os.environ.get("SCOREHUB_TEST_ARTIFACTS", Path(__file__).resolve().parent.parent / "test-artifacts"))
DEMO_ENTERPRISES = 30
DEMO_SEED = 7
#: The instant every test runs at: a Wednesday in the middle of a month and of a year, 10:00 in
#: China, so that "this month", "last month", "this year" and "overdue" never fall on an edge.
TEST_NOW = dt.datetime(2026, 6, 17, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def pytest_configure(config: pytest.Config) -> None:
    # Fast hashing and in-memory cache in tests; background jobs run inline.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # Rate limits count in that cache (atomic within the process) and leave the project's tables alone; the
    # API's limits are out of reach of the suite's many calls.  scorehub/core/tests/test_ratelimit.py sets
    # real ones, on every store.
    settings.RATELIMIT_STORE = "cache:default"
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "100000/minute", "user": "100000/minute"},
    }
    from rest_framework.settings import api_settings

    api_settings.reload()  # it may have read the settings already
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": True}
    settings.MEDIA_ROOT = Path(os.environ.get("SCOREHUB_TEST_MEDIA", "/tmp/scorehub-test-media"))  # noqa: S108
    # Static files are found where they lie, as with DEBUG; production serves collected, hashed copies
    # (scorehub/core/tests/test_serve.py checks those).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.WHITENOISE_AUTOREFRESH = True
    settings.WHITENOISE_USE_FINDERS = True


def _reseed_migration_data() -> None:
    """Run the data migrations' forward functions again (pilot regions, modules, catalogues).

    A transactional test's flush empties every table, the rows seeded by data migrations included.
    """
    from django.apps import apps as global_apps
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.operations.special import RunPython

    loader = MigrationLoader(connection)
    ours = {c.label for c in global_apps.get_app_configs() if c.name.startswith("scorehub.")}
    plan: dict[tuple[str, str], None] = {}
    for leaf in loader.graph.leaf_nodes():
        plan.update(dict.fromkeys(loader.graph.forwards_plan(leaf)))
    with connection.schema_editor() as schema_editor:
        for key in plan:
            if key[0] not in ours:
                continue
            for operation in loader.graph.nodes[key].operations:
                if isinstance(operation, RunPython):
                    operation.code(global_apps, schema_editor)  # type: ignore[arg-type]


def _load_world() -> None:
    from scorehub.core.demodata import build_demo
    from scorehub.regions.models import Region

    if not Region.objects.exists():
        _reseed_migration_data()
    build_demo(enterprise_count=DEMO_ENTERPRISES, seed=DEMO_SEED)


class WorldSnapshot:
    """A copy of the test database as the world left it, for the live-server tests to put back.

    A live-server test commits for real and is followed by a flush that empties every table; putting the
    copy back (a fraction of a second) replaces building the world again (several seconds for each such
    test).  SQLite: a second in-memory database, copied with SQLite's backup API.  PostgreSQL: every table
    of the project copied into the schema ``WorldSnapshot.SCHEMA`` of the same test database, copied back
    in one transaction (foreign keys are checked at its end: Django makes them deferrable).
    """

    SCHEMA = "scorehub_world_snapshot"
    sqlite_copy: sqlite3.Connection | None = None
    pg_tables: list[str] | None = None

    @classmethod
    def take(cls) -> None:
        from django.db import connection

        connection.ensure_connection()
        if connection.vendor == "sqlite":
            cls.sqlite_copy = sqlite3.connect(":memory:")
            connection.connection.backup(cls.sqlite_copy)
        elif connection.vendor == "postgresql":
            tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
            quote = connection.ops.quote_name
            with connection.cursor() as cursor:
                cursor.execute(f"DROP SCHEMA IF EXISTS {cls.SCHEMA} CASCADE")
                cursor.execute(f"CREATE SCHEMA {cls.SCHEMA}")
                for table in tables:
                    cursor.execute(f"CREATE TABLE {cls.SCHEMA}.{quote(table)} AS TABLE public.{quote(table)}")
            cls.pg_tables = sorted(tables)

    @classmethod
    def put_back(cls) -> bool:
        from django.contrib.contenttypes.models import ContentType
        from django.db import connection, transaction

        connection.ensure_connection()
        if cls.sqlite_copy is not None:
            cls.sqlite_copy.backup(connection.connection)
        elif cls.pg_tables is not None:
            quote = connection.ops.quote_name
            with transaction.atomic(), connection.cursor() as cursor:
                # The flush's post_migrate handlers made content types and permissions again: out with them.
                cursor.execute(f"TRUNCATE {', '.join(quote(t) for t in cls.pg_tables)}")
                for table in cls.pg_tables:
                    cursor.execute(f"INSERT INTO {quote(table)} SELECT * FROM {cls.SCHEMA}.{quote(table)}")  # noqa: S608
        else:
            return False
        # The flush re-created the content types under new ids: forget those.
        ContentType.objects.clear_cache()
        return True


@pytest.fixture(scope="session", autouse=True)
def frozen_clock() -> Iterator[time_machine.Traveller]:
    """The clock of the whole session stands still at ``TEST_NOW`` (see the module docstring)."""
    with time_machine.travel(TEST_NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Every test starts with an empty cache: no rate-limit counter or job progress left by another test."""
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()


@pytest.fixture(scope="session")
def django_db_setup(frozen_clock: Any, django_db_setup: Any, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock():
        _load_world()
        WorldSnapshot.take()


@pytest.fixture
def persona(db: Any) -> Callable[[str], Any]:
    """``persona("huzhou_official")``: a demo user, fresh from the database."""
    from scorehub.accounts.models import User

    def get(username: str) -> Any:
        return User.objects.get(username=username)

    return get


@pytest.fixture
def client_as(client: Any, persona: Callable[[str], Any]) -> Callable[[str], Any]:
    """``client_as("trainer")``: the test client signed in as a persona."""

    def sign_in(username: str) -> Any:
        client.force_login(persona(username))
        return client

    return sign_in


@pytest.fixture
def nanxun_enterprise(db: Any) -> Any:
    from scorehub.accounts.models import Organisation

    return Organisation.objects.get(kind="enterprise").enterprise


@pytest.fixture
def live_world(transactional_db: Any) -> None:
    """For live-server tests: the demo world committed for real, removed again by the flush after."""
    from scorehub.accounts.models import User

    # The session's world is still there for the first such test (the flush comes after each one).
    if not User.objects.filter(username="admin").exists() and not WorldSnapshot.put_back():
        _load_world()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    # Debian's Chromium, never a downloaded browser.
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM", "/usr/bin/chromium"),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def artifacts() -> Path:
    """Where browser tests keep their screenshots (kept by CI as test artefacts)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
