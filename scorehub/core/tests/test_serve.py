"""``scorehub serve`` and ``make run``: the production server as an operator starts and stops it.

Every test runs the real console command (gunicorn, WhiteNoise, the job worker) in its own process
group, on a SQLite file of its own and with static files collected once for the module.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from scorehub.core.tests.processes import (
    BASE_DIR,
    SCOREHUB,
    answers,
    command_environment,
    command_line,
    copy_sqlite,
    descendants,
    free_port,
    live_session_members,
    run_scorehub,
    wait_until,
)

pytestmark = pytest.mark.xdist_group("sqlite-file")

STARTUP_BOUND = 180  # seconds: a bound for a loaded machine, never a measurement


@pytest.fixture(scope="module")
def served_data(demo_sqlite_file: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A copy of the demo database and static files collected once, by the real command."""
    data_dir = tmp_path_factory.mktemp("served")
    copy_sqlite(demo_sqlite_file, data_dir / "scorehub.sqlite3")
    env = command_environment(data_dir, STATIC_ROOT=str(data_dir / "static"), Q_WORKERS="1")
    result = run_scorehub("collectstatic", "--noinput", "-v0", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return env


@pytest.fixture
def process_groups() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Process groups started by a test; whatever a failing test leaves running is killed, group by group."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        for pid in live_session_members(process.pid):
            os.kill(pid, signal.SIGKILL)


def test_serve_refuses_to_start_without_collected_static_files(tmp_path):
    env = command_environment(tmp_path, STATIC_ROOT=str(tmp_path / "nothing-collected"))
    result = run_scorehub("serve", "--bind", f"127.0.0.1:{free_port()}", env=env, timeout=120)
    assert result.returncode == 1
    assert "static files are not collected" in result.stderr
    assert "scorehub collectstatic" in result.stderr


def test_serve_rejects_a_worker_count_that_is_not_a_number(tmp_path):
    env = command_environment(tmp_path, WEB_CONCURRENCY="two")
    result = run_scorehub("serve", env=env, timeout=120)
    assert result.returncode == 1
    assert "WEB_CONCURRENCY must be a whole number" in result.stderr


def test_serve_rejects_zero_workers(tmp_path):
    result = run_scorehub("serve", "--workers", "0", env=command_environment(tmp_path), timeout=120)
    assert result.returncode == 1
    assert "--workers must be at least 1" in result.stderr


def test_serve_answers_with_hashed_static_files_and_drains_a_request_in_flight_on_sigterm(
    served_data, process_groups, tmp_path
):
    port = free_port()
    pid_file = tmp_path / "serve.pid"
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_99999.db").write_bytes(b"left over from an earlier run")
    output = (tmp_path / "out").open("wb")
    server = subprocess.Popen(  # noqa: S603 - our own console command
        [str(SCOREHUB), "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--pid", str(pid_file)],
        env={**served_data, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)},
        cwd=BASE_DIR,
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    process_groups.append(server)
    base = f"http://127.0.0.1:{port}"
    wait_until(lambda: answers(f"{base}/healthz"), timeout=STARTUP_BOUND, what="the server")
    assert int(pid_file.read_text()) == server.pid

    # Pages name static files by content hash; WhiteNoise serves them compressed and cached for good.
    with urllib.request.urlopen(f"{base}/accounts/login/", timeout=30) as response:  # noqa: S310
        page = response.read().decode()
    stylesheet = re.search(r'href="(/static/vendor/bootstrap/css/bootstrap\.min\.[0-9a-f]{12}\.css)"', page)
    assert stylesheet, page
    request = urllib.request.Request(f"{base}{stylesheet[1]}", headers={"Accept-Encoding": "br"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        assert response.headers["Content-Encoding"] == "br"
        assert "immutable" in response.headers["Cache-Control"]
        assert "max-age=315360000" in response.headers["Cache-Control"]

    # Both workers count into the shared metrics directory, which was cleared of the earlier run's files.
    for _ in range(6):
        assert answers(f"{base}/healthz")
    with urllib.request.urlopen(f"{base}/metrics", timeout=30) as response:  # noqa: S310
        exported = response.read().decode()
    counted = re.search(r'^django_http_requests_total_by_method_total\{method="GET"\} (\d+)', exported, re.M)
    assert counted, exported[:2000]
    assert int(counted[1]) >= 8
    assert not (metrics_dir / "counter_99999.db").exists()
    assert list(metrics_dir.glob("counter_*.db"))

    # A request whose body is still arriving when SIGTERM comes is answered in full, then the server ends.
    workers = descendants(server.pid)
    body = b"reason=slow"
    with socket.create_connection(("127.0.0.1", port), timeout=60) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert read_one_response(connection).startswith(b"HTTP/1.1 200")
        connection.sendall(
            b"POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body) + body[:4]
        )
        os.kill(server.pid, signal.SIGTERM)
        connection.sendall(body[4:])
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    # CSRF refuses the anonymous POST: what matters is that a whole answer came back.
    assert answer.startswith(b"HTTP/1.1 403"), answer[:200]
    assert server.wait(timeout=120) == 0
    assert not live_session_members(server.pid) & workers
    output.close()
    # One JSON object a line; the access lines carry the request id the answers had.
    lines = [json.loads(line) for line in (tmp_path / "out").read_text().splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "gunicorn.access"]
    assert any(line["path"] == "/healthz" and line["status"] == 200 for line in access)
    assert all(re.fullmatch(r"[0-9a-f]{32}", line["request_id"]) for line in access if line["path"] == "/healthz")
    assert any(line["message"] == "Handling signal: term" for line in lines)


def read_one_response(connection: socket.socket) -> bytes:
    """One whole HTTP answer (headers and a Content-Length body), however TCP splits it into reads."""
    received = b""
    while b"\r\n\r\n" not in received:
        received += connection.recv(65536)
    head, _, body = received.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?im)^content-length:\s*(\d+)", head)[1])
    while len(body) < length:
        body += connection.recv(65536)
    return head + b"\r\n\r\n" + body


@pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")
@pytest.mark.parametrize("stop", ["sigterm-to-make", "ctrl-c-to-the-process-group"])
def test_make_run_stops_the_server_and_the_job_worker_with_it(served_data, process_groups, tmp_path, stop):
    port = free_port()
    output = (tmp_path / "out").open("wb")
    # The same recipe as `make run`, without the set-up steps the test run has already done.
    make_command = ["make", "--no-print-directory", "serve", f"PORT={port}", f"BIN={Path(sys.executable).parent}"]
    make = subprocess.Popen(  # noqa: S603 - GNU make on our own Makefile
        make_command,
        env=served_data,
        cwd=BASE_DIR,
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    process_groups.append(make)
    wait_until(lambda: answers(f"http://127.0.0.1:{port}/healthz"), timeout=STARTUP_BOUND, what="the server")

    def job_worker_is_up() -> bool:
        # qcluster, its sentinel, and the sentinel's pusher, monitor and one worker (Q_WORKERS=1).
        clusters = [pid for pid in descendants(make.pid) if command_line(pid).endswith(" qcluster ")]
        return any(len(descendants(pid)) >= 4 for pid in clusters)

    wait_until(job_worker_is_up, timeout=STARTUP_BOUND, what="the job worker")
    started = live_session_members(make.pid)
    assert len(started) >= 9  # make, gunicorn's master and 2 workers, the job worker's 5 processes

    if stop == "sigterm-to-make":
        os.kill(make.pid, signal.SIGTERM)
    else:
        os.killpg(make.pid, signal.SIGINT)
    make.wait(timeout=120)
    assert live_session_members(make.pid) == set(), [command_line(pid) for pid in live_session_members(make.pid)]
    output.close()
