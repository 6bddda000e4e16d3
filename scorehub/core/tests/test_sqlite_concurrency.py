"""The embedded SQLite default holds 8 concurrent writers: no "database is locked", no write lost.

Eight threads, each with its own database connection, submit suggestions through the public QR form
(the project's real view, form and service) at the same moment, against a real SQLite file with the
project's settings: the same situation in which 4 API clients used to get HTTP 500 on a third of writes.
The writers run in a separate process so that the settings are the production ones, not the test run's.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest

from scorehub.core.tests.processes import BASE_DIR, command_environment, copy_sqlite

pytestmark = pytest.mark.xdist_group("sqlite-file")

WRITERS = 8
SUBMISSIONS_PER_WRITER = 6

WRITERS_SCRIPT = """
import json, sys, threading
import django
django.setup()
from django.conf import settings
from django.db import connections
from django.test import Client
from scorehub.suggestions.models import Poster

writers, rounds = int(sys.argv[1]), int(sys.argv[2])
# The public form's abuse limits are not what this measures.
settings.SCOREHUB_SUGGESTION_THROTTLE = [("ip", 10**6, 600), ("token", 10**6, 600)]
token = Poster.objects.filter(revoked_at__isnull=True).order_by("pk").values_list("token", flat=True).first()
connections.close_all()
start = threading.Barrier(writers)
results = []

def write(writer):
    client = Client()
    start.wait()
    for round in range(rounds):
        marker = f"concurrent-writer-{writer}-round-{round}"
        try:
            response = client.post(f"/suggestions/s/{token}/", {
                "problem": marker, "proposal": "keep the aisle clear", "category": "safety",
                "form_key": marker,
            })
            results.append((marker, response.status_code, ""))
        except Exception as error:
            results.append((marker, 0, repr(error)))
    connections.close_all()

threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps(results))
"""


def test_eight_concurrent_writers_on_sqlite_get_no_error_and_lose_nothing(demo_sqlite_file, tmp_path):
    database = copy_sqlite(demo_sqlite_file, tmp_path / "scorehub.sqlite3")
    env = command_environment(tmp_path, DJANGO_SETTINGS_MODULE="scorehub.settings", LOG_LEVEL="CRITICAL")
    result = subprocess.run(  # noqa: S603 - the test's own script
        [sys.executable, "-c", WRITERS_SCRIPT, str(WRITERS), str(SUBMISSIONS_PER_WRITER)],
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    results = json.loads(result.stdout.strip().splitlines()[-1])

    failures = [(marker, status, error) for marker, status, error in results if status != 302]
    assert len(results) == WRITERS * SUBMISSIONS_PER_WRITER
    assert failures == []
    assert "database is locked" not in result.stderr
    with sqlite3.connect(database) as connection:
        stored = connection.execute(
            "SELECT problem, COUNT(*) FROM suggestions_suggestion WHERE problem LIKE 'concurrent-writer-%' "
            "GROUP BY problem"
        ).fetchall()
    assert dict(stored) == {marker: 1 for marker, _, _ in results}
