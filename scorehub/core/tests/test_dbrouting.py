"""Which database a read goes to: the primary, or the streaming replica (``scorehub.core.dbrouting``).

The in-process tests check the decisions that need no second database: who is marked as having just
written, and that nothing leaves the primary without a replica.  The end-to-end tests run the real views in
another process with two *different* SQLite files as primary and replica (the replica a copy that never
catches up), so that the figure a user gets shows which database answered.
"""

from __future__ import annotations

import sqlite3

import pytest
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, router
from django.urls import reverse

from scorehub.core.dbrouting import reads_from_replica, recent_write_key
from scorehub.core.tests.processes import command_environment, copy_sqlite, run_python_script
from scorehub.enterprises.models import Enterprise


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
def test_a_successful_post_marks_the_user_as_having_just_written(client_as, persona, nanxun_enterprise):
    client = client_as("factory_manager")
    response = client.post(
        reverse("api:suggestion-list"),
        {"enterprise": nanxun_enterprise.pk, "problem": "loose guard", "proposal": "fix it", "category": "safety"},
    )
    assert response.status_code == 201
    assert cache.get(recent_write_key(persona("factory_manager").pk)) is not None


@pytest.mark.django_db
def test_reading_pages_does_not_mark_the_user(client_as, persona):
    client = client_as("huzhou_official")
    assert client.get(reverse("indicators:dashboard")).status_code == 200
    assert client.get(reverse("api:indicators-list")).status_code == 200
    assert cache.get(recent_write_key(persona("huzhou_official").pk)) is None


@pytest.mark.django_db
def test_a_refused_write_does_not_mark_the_user(client_as, persona, nanxun_enterprise):
    client = client_as("fangshan_official")  # Beijing: the Nanxun enterprise is out of reach
    response = client.post(
        reverse("api:suggestion-list"),
        {"enterprise": nanxun_enterprise.pk, "problem": "x", "proposal": "y", "category": "safety"},
    )
    assert response.status_code == 404
    assert cache.get(recent_write_key(persona("fangshan_official").pk)) is None


@pytest.mark.django_db
def test_without_a_replica_every_read_and_write_stays_on_the_primary(persona):
    with reads_from_replica(persona("huzhou_official")) as using_replica:
        assert using_replica is False
        assert router.db_for_read(Enterprise) == DEFAULT_DB_ALIAS
        assert router.db_for_write(Enterprise) == DEFAULT_DB_ALIAS
    assert router.allow_migrate("replica", "enterprises") is False


# ---------------------------------------------------------------------------------------------------------
# End to end, with a replica that differs from the primary.

ROUTING_SCRIPT = """
import json, sys, time
import django
django.setup()
import time_machine
from django.db import transaction
from django.test import Client
from scorehub.accounts.models import Organisation, User

enterprise = Organisation.objects.get(kind="enterprise").enterprise
url = f"/api/v1/indicators/?scope=enterprise:{enterprise.pk}"

def submitted(client):
    response = client.get(url)
    assert response.status_code == 200, response.content
    return next(f["value"] for f in response.json()["indicators"] if f["code"] == "suggestions.submitted")

official, manager = Client(), Client()
official.force_login(User.objects.get(username="huzhou_official"))
manager.force_login(User.objects.get(username="factory_manager"))
seen = {"before": {"official": submitted(official), "manager": submitted(manager)}}
if sys.argv[1] == "write":
    response = manager.post("/api/v1/suggestions/", {
        "enterprise": enterprise.pk, "problem": "routing-test", "proposal": "fix it", "category": "safety"})
    assert response.status_code == 201, response.content
    seen["after write"] = {"official": submitted(official), "manager": submitted(manager)}
    with transaction.atomic():
        seen["in a transaction"] = {"official": submitted(official)}
    with time_machine.travel(time.time() + 3600, tick=True):
        seen["an hour later"] = {"manager": submitted(manager)}
print(json.dumps(seen))
"""


def run_routing_script(tmp_path, replica_url: str, mode: str) -> dict:
    env = command_environment(
        tmp_path, DATABASE_REPLICA_URL=replica_url, DJANGO_SETTINGS_MODULE="scorehub.settings", LOG_LEVEL="CRITICAL"
    )
    return run_python_script(ROUTING_SCRIPT, mode, env=env)


def suggestion_rows(database) -> int:
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT COUNT(*) FROM suggestions_suggestion").fetchone()[0]


@pytest.mark.xdist_group("sqlite-file")
def test_dashboard_figures_come_from_the_replica_except_for_a_user_who_has_just_written(demo_sqlite_file, tmp_path):
    copy_sqlite(demo_sqlite_file, tmp_path / "scorehub.sqlite3")
    replica = copy_sqlite(demo_sqlite_file, tmp_path / "replica" / "replica.sqlite3")
    rows_on_replica = suggestion_rows(replica)

    seen = run_routing_script(tmp_path, f"sqlite:///{replica}", "write")

    before = seen["before"]["official"]
    assert seen["before"]["manager"] == before
    # The manager wrote: the primary has one more suggestion, which the manager sees at once ...
    assert seen["after write"]["manager"] == before + 1
    # ... while the official, who wrote nothing, is served by the replica (which never caught up here).
    assert seen["after write"]["official"] == before
    # A transaction reads the primary.
    assert seen["in a transaction"]["official"] == before + 1
    # Once the "just wrote" mark has expired, the manager is served by the replica again.
    assert seen["an hour later"]["manager"] == before
    # Nothing was written to the replica.
    assert suggestion_rows(replica) == rows_on_replica
    assert suggestion_rows(tmp_path / "scorehub.sqlite3") == rows_on_replica + 1


@pytest.mark.xdist_group("sqlite-file")
def test_an_unreachable_replica_leaves_reads_on_the_primary(demo_sqlite_file, tmp_path):
    copy_sqlite(demo_sqlite_file, tmp_path / "scorehub.sqlite3")
    unreachable = tmp_path / "no-such-directory" / "replica.sqlite3"

    seen = run_routing_script(tmp_path, f"sqlite:///{unreachable}", "read")

    assert seen["before"]["official"] == seen["before"]["manager"]
    assert not unreachable.exists()
