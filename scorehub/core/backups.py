"""Backups of the database and the uploaded files, with a checksum manifest; restore onto an empty database.

A backup is a directory (or the same directory packed as a ``.tar``/``.tar.gz`` archive) holding

* ``database.dump`` (PostgreSQL: ``pg_dump --format=custom``) or ``database.sqlite3`` (SQLite: the online
  backup API, consistent while the site runs);
* ``media/...``: every uploaded file, read through the media storage (filesystem or S3 alike);
* ``manifest.json``: what the backup is (engine, time, the applied migrations) and the SHA-256 and size of
  every other file.

A restore verifies the whole manifest before it touches anything, refuses a damaged or incomplete backup,
and writes only into an empty database and an empty media storage unless told ``force``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.files.base import File
from django.core.files.storage import Storage, storages
from django.db import connections
from django.db.migrations.recorder import MigrationRecorder

FORMAT = "scorehub-backup/1"
MANIFEST = "manifest.json"
MEDIA_PREFIX = "media/"
DATABASE_FILES = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz")


class BackupError(Exception):
    """A backup or restore that cannot be made; the message says why, for the operator."""


@dataclass
class RestoreResult:
    engine: str
    media_files: int
    seconds: float


def engine_of(alias: str = "default") -> str:
    vendor = connections[alias].vendor
    if vendor not in DATABASE_FILES:
        raise BackupError(f"Backups support PostgreSQL and SQLite, not {vendor}.")
    return vendor


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def postgres_environment(settings_dict: dict[str, Any]) -> dict[str, str]:
    """libpq's variables for pg_dump / pg_restore (the password never appears on a command line)."""
    env = dict(os.environ)
    for variable, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"), ("PGPASSWORD", "PASSWORD")):
        if settings_dict.get(key):
            env[variable] = str(settings_dict[key])
    sslmode = settings_dict.get("OPTIONS", {}).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = str(sslmode)
    return env


def run_tool(command: list[str], env: dict[str, str]) -> None:
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError:
        raise BackupError(f"{command[0]} is not installed (Debian: apt-get install postgresql-client).") from None
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[-2000:]}")


def walk_storage(storage: Storage, directory: str = "") -> Iterator[str]:
    directories, files = storage.listdir(directory)
    for name in sorted(files):
        yield f"{directory}/{name}" if directory else name
    for name in sorted(directories):
        yield from walk_storage(storage, f"{directory}/{name}" if directory else name)


def media_storage() -> Storage:
    return storages["default"]


def media_is_empty(storage: Storage) -> bool:
    try:
        return next(walk_storage(storage), None) is None
    except FileNotFoundError:  # the media directory does not exist yet
        return True


# ---------------------------------------------------------------------------------------------------------
# Backup


def back_up(output: Path) -> dict[str, Any]:
    """Write a backup to ``output`` (a new directory, or an archive when it ends in .tar / .tar.gz)."""
    if output.exists():
        raise BackupError(f"{output} already exists; name a new directory or archive.")
    archive = output.name.endswith(ARCHIVE_SUFFIXES)
    with tempfile.TemporaryDirectory(prefix="scorehub-backup-", dir=output.parent if not archive else None) as work:
        directory = Path(work) / "backup" if archive else output
        directory.mkdir(parents=True)
        try:
            manifest = write_backup(directory)
            if archive:
                pack(directory, output)
        except BaseException:
            if not archive:
                shutil.rmtree(directory, ignore_errors=True)
            else:
                output.unlink(missing_ok=True)
            raise
    return manifest


def pack(directory: Path, output: Path) -> None:
    compression = "" if output.name.endswith(".tar") else "gz"
    with tarfile.open(output, f"w:{compression}") as packed:  # type: ignore[call-overload]
        for path in sorted(directory.rglob("*")):
            packed.add(path, arcname=str(path.relative_to(directory)), recursive=False)


def write_backup(directory: Path) -> dict[str, Any]:
    engine = engine_of()
    connection = connections["default"]
    database_file = directory / DATABASE_FILES[engine]
    if engine == "postgresql":
        database_name = str(connection.settings_dict["NAME"])
        run_tool(
            ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={database_file}", database_name],
            postgres_environment(connection.settings_dict),
        )
    else:
        connection.ensure_connection()
        target = sqlite3.connect(database_file)
        try:
            connection.connection.backup(target)  # type: ignore[union-attr]
        finally:
            target.close()

    storage = media_storage()
    media_files = [] if media_is_empty(storage) else list(walk_storage(storage))
    for name in media_files:
        destination = directory / MEDIA_PREFIX / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        with storage.open(name, "rb") as source, destination.open("wb") as copy:
            shutil.copyfileobj(source, copy, 1024 * 1024)

    applied = MigrationRecorder(connection).applied_migrations()
    latest: dict[str, str] = {}
    for app, name in sorted(applied):
        latest[app] = max(latest.get(app, ""), name)
    files = {}
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        relative = path.relative_to(directory).as_posix()
        files[relative] = {"sha256": sha256_of(path), "bytes": path.stat().st_size}
    manifest = {
        "format": FORMAT,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "engine": engine,
        "database_file": database_file.name,
        "media_files": len(media_files),
        "migrations": latest,
        "files": files,
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest


# ---------------------------------------------------------------------------------------------------------
# Restore


@contextmanager
def opened_backup(source: Path) -> Iterator[Path]:
    """The backup's directory: ``source`` itself, or an archive unpacked into a temporary directory."""
    if source.is_dir():
        yield source
        return
    if not source.is_file():
        raise BackupError(f"There is no backup at {source}.")
    with tempfile.TemporaryDirectory(prefix="scorehub-restore-") as work:
        try:
            with tarfile.open(source) as packed:
                packed.extractall(work, filter="data")  # refuses absolute paths, links out, devices
        except (tarfile.TarError, OSError, EOFError) as error:
            raise BackupError(f"{source} is not a readable backup archive: {error}") from None
        yield Path(work)


def verify(directory: Path) -> dict[str, Any]:
    """The manifest, once every file it lists is present and intact and nothing else is there."""
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BackupError(f"The backup has no readable {MANIFEST}: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{MANIFEST} is not a SCORE Hub backup manifest ({FORMAT}).")
    listed: dict[str, dict[str, Any]] = manifest.get("files") or {}
    if manifest.get("engine") not in DATABASE_FILES or manifest.get("database_file") not in listed:
        raise BackupError("The manifest names no database file.")
    present = {p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file()} - {MANIFEST}
    problems = [f"missing: {name}" for name in sorted(set(listed) - present)]
    problems += [f"not in the manifest: {name}" for name in sorted(present - set(listed))]
    for name in sorted(set(listed) & present):
        path = directory / name
        if path.stat().st_size != listed[name].get("bytes") or sha256_of(path) != listed[name].get("sha256"):
            problems.append(f"checksum does not match: {name}")
    if problems:
        shown = "; ".join(problems[:10]) + ("; ..." if len(problems) > 10 else "")
        raise BackupError(f"The backup is damaged and was not restored ({len(problems)} problems: {shown}).")
    return manifest


def database_is_empty() -> bool:
    connection = connections["default"]
    if connection.vendor == "sqlite":
        name = str(connection.settings_dict["NAME"])
        if name == ":memory:" or not Path(name).exists():
            return True
    with connection.cursor() as cursor:
        return not connection.introspection.table_names(cursor)


def restore(source: Path, *, force: bool = False) -> RestoreResult:
    started = time.monotonic()
    engine = engine_of()
    with opened_backup(source) as directory:
        manifest = verify(directory)
        if manifest["engine"] != engine:
            raise BackupError(
                f"This backup is of a {manifest['engine']} database; the configured database is {engine}."
            )
        storage = media_storage()
        if not force:
            if not database_is_empty():
                raise BackupError(
                    "The database is not empty. Restore into a new, empty database, or use --force to replace it."
                )
            if not media_is_empty(storage):
                raise BackupError("The media storage is not empty. Use an empty one, or --force to add to it.")
        restore_database(directory / manifest["database_file"], engine=engine, force=force)
        media = sorted(name for name in manifest["files"] if name.startswith(MEDIA_PREFIX))
        for name in media:
            stored_name = name.removeprefix(MEDIA_PREFIX)
            if force and storage.exists(stored_name):
                storage.delete(stored_name)
            with (directory / name).open("rb") as handle:
                saved = storage.save(stored_name, File(handle))
            if saved != stored_name:
                raise BackupError(f"The media storage renamed {stored_name} to {saved}.")
    return RestoreResult(engine=engine, media_files=len(media), seconds=time.monotonic() - started)


def restore_database(dump: Path, *, engine: str, force: bool) -> None:
    connection = connections["default"]
    if engine == "postgresql":
        connection.close()
        command = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
        if force:
            command += ["--clean", "--if-exists"]
        run_tool(
            [*command, f"--dbname={connection.settings_dict['NAME']}", str(dump)],
            postgres_environment(connection.settings_dict),
        )
        return
    connection.ensure_connection()
    source = sqlite3.connect(dump)
    try:
        source.backup(connection.connection)  # type: ignore[arg-type]
    finally:
        source.close()
    connection.close()
