"""``scorehub backup`` and ``scorehub restore``, run as an operator runs them, on SQLite and PostgreSQL.

The demo world is backed up, restored into an empty database, and the indicator API then gives the same
figures (nation and the Nanxun district, current and previous period) as the original database.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from scorehub.conftest import DEMO_ENTERPRISES, DEMO_SEED
from scorehub.core.tests.processes import command_environment, copy_sqlite, run_scorehub

pytestmark = pytest.mark.xdist_group("sqlite-file")

FIGURES_SCRIPT = """
import json
from django.test import Client
from scorehub.accounts.models import User
client = Client()
client.force_login(User.objects.get(username="admin"))
figures = {}
for scope in ("nation", "region:330503"):
    answer = client.get("/api/v1/indicators/", {"scope": scope}).json()
    figures[scope] = {
        "period": answer["period"]["param"],
        "previous_period": answer["previous_period"]["param"],
        "indicators": {f["code"]: [f["value"], f["previous"]] for f in answer["indicators"]},
    }
print(json.dumps(figures, sort_keys=True))
"""


def indicator_figures(env: dict[str, str]) -> dict:
    result = run_scorehub("shell", "--no-imports", "-c", FIGURES_SCRIPT, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def tree_digest(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def restore_seconds(stdout: str) -> float:
    found = re.search(r"in (\d+\.\d) s\.", stdout)
    assert found, stdout
    return float(found[1])


def assert_same_figures(original: dict, restored: dict) -> None:
    assert restored == original
    # Not a comparison of two empty answers: the demo world has numbers in both scopes and periods.
    for scope in ("nation", "region:330503"):
        assert original[scope]["indicators"]["suggestions.submitted"][0] > 0
        assert original[scope]["indicators"]["suggestions.submitted"][1] is not None


@pytest.fixture
def source(demo_sqlite_file: Path, tmp_path: Path) -> dict[str, str]:
    """A copy of the demo database and its media files (the demo's case-study photos, and one more)."""
    data_dir = tmp_path / "source"
    copy_sqlite(demo_sqlite_file, data_dir / "scorehub.sqlite3")
    demo_media = demo_sqlite_file.parent / "media"
    if demo_media.exists():
        shutil.copytree(demo_media, data_dir / "media")
    (data_dir / "media" / "suggestions" / "extra").mkdir(parents=True, exist_ok=True)
    (data_dir / "media" / "suggestions" / "extra" / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a photo")
    return command_environment(data_dir)


def test_sqlite_backup_restores_into_an_empty_database_with_identical_figures(source, tmp_path):
    archive = tmp_path / "scorehub-backup.tar.gz"
    backed_up = run_scorehub("backup", "--output", str(archive), env=source)
    assert backed_up.returncode == 0, backed_up.stderr
    assert "Backed up the sqlite database" in backed_up.stdout

    target = command_environment(tmp_path / "target")
    restored = run_scorehub("restore", str(archive), env=target)
    assert restored.returncode == 0, restored.stderr
    print(f"SQLite restore time: {restore_seconds(restored.stdout)} s")

    assert_same_figures(indicator_figures(source), indicator_figures(target))
    assert tree_digest(tmp_path / "target" / "media") == tree_digest(tmp_path / "source" / "media")
    assert "suggestions/extra/photo.jpg" in tree_digest(tmp_path / "target" / "media")

    # The database now has data: a second restore is refused and changes nothing.
    again = run_scorehub("restore", str(archive), env=target)
    assert again.returncode == 1
    assert "The database is not empty" in again.stderr


def test_a_damaged_backup_is_refused_before_anything_is_written(source, tmp_path):
    backup = tmp_path / "backup"
    assert run_scorehub("backup", "--output", str(backup), env=source).returncode == 0
    manifest = json.loads((backup / "manifest.json").read_text())
    assert set(manifest["files"]) >= {"database.sqlite3", "media/suggestions/extra/photo.jpg"}
    assert all(re.fullmatch(r"[0-9a-f]{64}", entry["sha256"]) for entry in manifest["files"].values())

    database = backup / "database.sqlite3"
    damaged = bytearray(database.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    database.write_bytes(bytes(damaged))

    target_dir = tmp_path / "target"
    result = run_scorehub("restore", str(backup), env=command_environment(target_dir))
    assert result.returncode == 1
    assert "The backup is damaged and was not restored" in result.stderr
    assert "checksum does not match: database.sqlite3" in result.stderr
    assert not (target_dir / "scorehub.sqlite3").exists()
    assert not (target_dir / "media").exists()


def test_a_backup_with_a_missing_or_added_file_is_refused(source, tmp_path):
    backup = tmp_path / "backup"
    assert run_scorehub("backup", "--output", str(backup), env=source).returncode == 0
    (backup / "media" / "suggestions" / "extra" / "photo.jpg").unlink()
    (backup / "media" / "planted.txt").write_text("not from the backup")

    result = run_scorehub("restore", str(backup), env=command_environment(tmp_path / "target"))
    assert result.returncode == 1
    assert "missing: media/suggestions/extra/photo.jpg" in result.stderr
    assert "not in the manifest: media/planted.txt" in result.stderr


def test_backup_never_overwrites_an_existing_backup(source, tmp_path):
    existing = tmp_path / "backup"
    existing.mkdir()
    result = run_scorehub("backup", "--output", str(existing), env=source)
    assert result.returncode == 1
    assert "already exists" in result.stderr


# ---------------------------------------------------------------------------------------------------------
# PostgreSQL: pg_dump in the custom format, pg_restore into a new database.


def postgres_url(name: str) -> str:
    settings_dict = connection.settings_dict
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    return (
        f"postgres://{settings_dict['USER']}{password}@{settings_dict['HOST'] or '127.0.0.1'}:"
        f"{settings_dict['PORT'] or 5432}/{name}"
    )


def maintenance(statement: str) -> None:
    with psycopg.connect(postgres_url("postgres"), autocommit=True) as admin:
        admin.execute(statement)


@pytest.fixture
def scratch_postgres_databases(db):
    if connection.vendor != "postgresql":
        pytest.skip("the PostgreSQL backup test runs in the PostgreSQL run of the suite (DATABASE_URL=postgres://...)")
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.fail("pg_dump and pg_restore are needed (apt-get install postgresql-client)")
    base = str(connection.settings_dict["NAME"])
    names = (f"{base}_backup_source", f"{base}_restore")
    for name in names:
        maintenance(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        maintenance(f'CREATE DATABASE "{name}"')
    yield names
    for name in names:
        maintenance(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.django_db
def test_postgres_backup_restores_into_an_empty_database_with_identical_figures(scratch_postgres_databases, tmp_path):
    source_name, target_name = scratch_postgres_databases
    source = command_environment(tmp_path / "source", DATABASE_URL=postgres_url(source_name))
    for command in (
        ["migrate", "--noinput", "-v0"],
        ["demo", "--enterprises", str(DEMO_ENTERPRISES), "--seed", str(DEMO_SEED)],
    ):
        result = run_scorehub(*command, env=source)
        assert result.returncode == 0, result.stderr[-3000:]

    backup = tmp_path / "backup"
    backed_up = run_scorehub("backup", "--output", str(backup), env=source)
    assert backed_up.returncode == 0, backed_up.stderr
    assert (backup / "database.dump").read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format

    target = command_environment(tmp_path / "target", DATABASE_URL=postgres_url(target_name))
    restored = run_scorehub("restore", str(backup), env=target)
    assert restored.returncode == 0, restored.stderr
    print(f"PostgreSQL restore time: {restore_seconds(restored.stdout)} s")

    assert_same_figures(indicator_figures(source), indicator_figures(target))
    assert tree_digest(tmp_path / "target" / "media") == tree_digest(tmp_path / "source" / "media")

    again = run_scorehub("restore", str(backup), env=target)
    assert again.returncode == 1
    assert "The database is not empty" in again.stderr
