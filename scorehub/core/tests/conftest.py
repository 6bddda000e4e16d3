"""Fixtures for tests that run the real ``scorehub`` command against a database file of their own."""

from __future__ import annotations

from pathlib import Path

import pytest

from scorehub.conftest import DEMO_ENTERPRISES, DEMO_SEED
from scorehub.core.tests.processes import command_environment, run_scorehub


@pytest.fixture(scope="session")
def demo_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with the schema and the demo world, made once by ``scorehub migrate`` and ``scorehub demo``.

    Tests work on copies (``copy_sqlite``); mark them ``xdist_group("sqlite-file")`` so that one worker makes it.
    """
    data_dir = tmp_path_factory.mktemp("demo-sqlite")
    env = command_environment(data_dir)
    for command in (
        ["migrate", "--noinput", "-v0"],
        ["demo", "--enterprises", str(DEMO_ENTERPRISES), "--seed", str(DEMO_SEED)],
    ):
        result = run_scorehub(*command, env=env)
        assert result.returncode == 0, result.stdout + result.stderr
    return data_dir / "scorehub.sqlite3"
