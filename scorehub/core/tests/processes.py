"""Helpers for tests that run the real ``scorehub`` console command in another process.

Such a process gets its own SQLite file (never the test run's database) and the environment of the test
run less its relaxations.  The process-table helpers read ``/proc`` so that a test can tell exactly which
processes a command started and whether any of them outlived it.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[3]
SCOREHUB = Path(sys.executable).with_name("scorehub")
# Variables of the test run that would change what the command does.
DROPPED = {"DATABASE_URL", "DATABASE_REPLICA_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "DEBUG", "STATIC_ROOT", "REDIS_URL"}


def command_environment(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment for a ``scorehub`` subprocess working on its own SQLite file under ``data_dir``."""
    base = {k: v for k, v in os.environ.items() if k not in DROPPED}
    return {
        **base,
        "SCOREHUB_DATA_DIR": str(data_dir),
        "DATABASE_URL": f"sqlite:///{data_dir / 'scorehub.sqlite3'}",
        "MEDIA_ROOT": str(data_dir / "media"),
        **extra,
    }


def run_scorehub(*args: str, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own console command
        [str(SCOREHUB), *args], env=env, capture_output=True, text=True, timeout=timeout, check=False, cwd=BASE_DIR
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Poll ``condition`` until it holds; fail after ``timeout`` seconds (a bound, not a measurement)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback test server
            return bool(response.status == 200)
    except (OSError, urllib.error.URLError):
        return False


def process_table() -> dict[int, tuple[int, int, str]]:
    """pid -> (parent pid, session id, state) of every process on the machine."""
    table: dict[int, tuple[int, int, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may contain spaces and parentheses: the fields start after the last ")".
        fields = stat[stat.rindex(")") + 2 :].split()
        table[int(entry.name)] = (int(fields[1]), int(fields[3]), fields[0])
    return table


def command_line(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def descendants(pid: int) -> set[int]:
    table = process_table()
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        children = {child for child, (parent, _, _) in table.items() if parent in frontier}
        frontier = children - found
        found |= children
    return found


def live_session_members(session: int) -> set[int]:
    """Processes of a session that still run (zombies waiting for their parent do not count)."""
    return {pid for pid, (_, sid, state) in process_table().items() if sid == session and state != "Z"}


def copy_sqlite(source: Path, target: Path) -> Path:
    """A consistent copy of a SQLite database (its WAL included), through SQLite's online backup."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return target


def run_python_script(script: str, *args: str, env: dict[str, str]) -> object:
    """Run ``script`` in a new Python process of this virtualenv and return what its last line printed,
    read as JSON; a failed script fails the test with the end of its error output."""
    result = subprocess.run(  # noqa: S603 - the test's own script
        [sys.executable, "-c", script, *args],
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])
