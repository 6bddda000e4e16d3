"""The production test: SCORE Hub as a province runs it, on this machine, under load, with a crash.

Started by ``.ci/run`` (``.venv/bin/python deploy/test/production_test.py``), as root, on loopback only:

* a scratch PostgreSQL database on the machine's cluster (the primary), loaded with the demo, and a
  second PostgreSQL cluster on another port as its streaming replica (``pg_basebackup -R``);
* two application servers under ``scorehub serve`` reading dashboards, reports, exports and the
  indicator API from the replica, one job worker (``scorehub qcluster``), Redis for cache, broker and
  rate-limit counters, and Debian's nginx in front with the site of ``deploy/nginx/scorehub.conf``;
* a mixed load from a small client: 32 workers sending suggestions through the public QR form (each
  from its own loopback address), officials opening dashboards, lists and exports, one import;
  one application server is killed with SIGKILL in the middle of it.

It asserts that no acknowledged suggestion was lost or stored twice, that only requests in flight on the
killed server failed, that dashboards served from the replica equal the primary's once replication has
caught up, and that the whole stack stops cleanly.  The figures go to stdout and to
``test-artifacts/production-test.json``.  Every step is bounded in time; the stack is torn down whatever
happens.
"""

from __future__ import annotations

import contextlib
import http.client
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
SCOREHUB = str(VENV_BIN / "scorehub")
PG_VERSION = os.environ.get("PG_VERSION") or sorted(os.listdir("/etc/postgresql"))[-1]
PRIMARY_PORT = 5432
REPLICA_PORT = 5433
REPLICA_CLUSTER = "scorehub_replica"
DATABASE = "scorehub_prodtest"
REDIS_DB = 13
APP_PORTS = (18101, 18102)
PRIMARY_ONLY_PORT = 18103  # a third server without the replica, to compare the figures with
NGINX_PORT = 18443
SUBMITTERS = 32
OFFICIALS = 4
LOAD_SECONDS = float(os.environ.get("PRODTEST_LOAD_SECONDS", "30"))
KILL_AFTER = LOAD_SECONDS / 3
DEMO_PASSWORD = "score-demo"  # noqa: S105 - the demo personas' documented password
ARTIFACTS = Path(os.environ.get("SCOREHUB_TEST_ARTIFACTS", ROOT / "test-artifacts"))


def log(message: str) -> None:
    print(f"[production-test {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run(*args: str, env: dict[str, str] | None = None, timeout: float = 300, **kwargs: Any) -> str:
    result = subprocess.run(  # noqa: S603 - fixed commands of this test
        args, env=env, timeout=timeout, capture_output=True, text=True, check=False, **kwargs
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def psql(sql: str, *, port: int = PRIMARY_PORT, database: str = DATABASE) -> str:
    return run("psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", database, "-XAtqc", sql).strip()


def wait_until(predicate: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.25) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if predicate():
                return
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


# ---------------------------------------------------------------------------------------------------
# The stack.


@dataclass
class Stack:
    workdir: Path
    env: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    replica_created: bool = False
    database_created: bool = False
    hba_line_added: bool = False

    def start(self, name: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        logfile = (self.workdir / f"{name}.log").open("wb")
        process = subprocess.Popen(  # noqa: S603
            args, env=env or self.env, stdout=logfile, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes[name] = process
        return process

    def kill_hard(self, name: str) -> None:
        """SIGKILL to the server's whole process group, as a crashed machine would do it."""
        process = self.processes[name]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop(self, name: str, timeout: float = 40) -> int | None:
        process = self.processes.get(name)
        if process is None or process.poll() is not None:
            return process.returncode if process else None
        # As systemd's KillMode=mixed does: SIGTERM to the main process, which stops its children.
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGTERM)
        try:
            code = process.wait(timeout=timeout)
            deadline = time.monotonic() + timeout
            while self.group_alive(name) and time.monotonic() < deadline:
                time.sleep(0.2)
            return code
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
            return None

    def group_alive(self, name: str) -> bool:
        try:
            os.killpg(self.processes[name].pid, 0)
        except ProcessLookupError:
            return False
        return True


def hba_file() -> Path:
    return Path(f"/etc/postgresql/{PG_VERSION}/main/pg_hba.conf")


REPLICATION_HBA = "host replication all 127.0.0.1/32 trust"


def set_up_databases(stack: Stack) -> None:
    log("primary: scratch database, migrations, demo data")
    psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)", database="postgres")
    psql(f"CREATE DATABASE {DATABASE}", database="postgres")
    stack.database_created = True
    run(SCOREHUB, "migrate", "--noinput", env=stack.env, timeout=600)
    run(SCOREHUB, "demo", "--enterprises", "30", "--seed", "7", env=stack.env, timeout=600)

    log("replica: a second cluster streaming from the primary")
    hba = hba_file()
    if REPLICATION_HBA not in hba.read_text():
        with hba.open("a") as handle:
            handle.write(f"\n{REPLICATION_HBA}  # added by the SCORE Hub production test\n")
        stack.hba_line_added = True
        psql("SELECT pg_reload_conf()", database="postgres")
    with contextlib.suppress(RuntimeError):
        run("pg_dropcluster", "--stop", PG_VERSION, REPLICA_CLUSTER)
    run("pg_createcluster", PG_VERSION, REPLICA_CLUSTER, "-p", str(REPLICA_PORT))
    stack.replica_created = True
    data_dir = Path(f"/var/lib/postgresql/{PG_VERSION}/{REPLICA_CLUSTER}")
    # pg_basebackup fills the new cluster's (empty) directory, which only root may create here.
    for entry in data_dir.iterdir():
        shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    run(
        "runuser", "-u", "postgres", "--", "pg_basebackup", "-h", "127.0.0.1", "-p", str(PRIMARY_PORT),
        "-U", "postgres", "-D", str(data_dir), "-R", "-X", "stream", "-c", "fast",
    )  # fmt: skip
    shutil.copy(hba, f"/etc/postgresql/{PG_VERSION}/{REPLICA_CLUSTER}/pg_hba.conf")
    run("pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, REPLICA_CLUSTER, "start")
    wait_until(lambda: psql("SELECT pg_is_in_recovery()", port=REPLICA_PORT) == "t", timeout=60, what="the replica")


def render_nginx(stack: Stack, upstream_ports: tuple[int, ...]) -> Path:
    """The shipped site, with this test's ports, paths and certificate put in, inside a minimal nginx.conf."""
    prefix = stack.workdir / "nginx"
    (prefix / "logs").mkdir(parents=True)
    run(
        "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
        "-keyout", str(prefix / "key.pem"), "-out", str(prefix / "cert.pem"),
    )  # fmt: skip
    site = (ROOT / "deploy" / "nginx" / "scorehub.conf").read_text()
    upstreams = "".join(f"    server 127.0.0.1:{port} max_fails=3 fail_timeout=10s;\n" for port in upstream_ports)
    site = re.sub(r"(upstream scorehub_app \{\n(?:    #.*\n)*)(?:    server .*\n)+", rf"\g<1>{upstreams}", site)
    replacements = {
        "listen 80;": f"listen 127.0.0.1:{NGINX_PORT + 1};",
        "listen [::]:80;": "",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{NGINX_PORT} ssl http2;",
        "listen [::]:443 ssl http2;": "",
        "/etc/ssl/scorehub/fullchain.pem": str(prefix / "cert.pem"),
        "/etc/ssl/scorehub/privkey.pem": str(prefix / "key.pem"),
        "/srv/scorehub/staticfiles/": f"{stack.env['STATIC_ROOT']}/",
        "/var/log/nginx/scorehub.access.log": f"{prefix}/logs/access.log timed",
        "/var/log/nginx/scorehub.error.log": f"{prefix}/logs/error.log",
    }
    for old, new in replacements.items():
        assert old in site, f"deploy/nginx/scorehub.conf no longer contains {old!r}"
        site = site.replace(old, new)
    conf = prefix / "nginx.conf"
    conf.write_text(
        f"""worker_processes 2;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    log_format timed '$remote_addr [$time_iso8601] "$request" $status upstream=$upstream_addr '
                     'upstream_status=$upstream_status rt=$request_time';
{site}
}}
"""
    )
    run("nginx", "-t", "-c", str(conf), "-p", str(prefix))
    return conf


def app_env(stack: Stack, *, replica: bool) -> dict[str, str]:
    env = dict(stack.env)
    if replica:
        env["DATABASE_REPLICA_URL"] = f"postgres://postgres@127.0.0.1:{REPLICA_PORT}/{DATABASE}"
    return env


def serve(bind: str, workers: int = 2) -> tuple[str, ...]:
    return (SCOREHUB, "serve", "--bind", bind, "--workers", str(workers))


def start_stack(stack: Stack) -> None:
    log("collectstatic, two application servers, a third on the primary only, the worker, nginx")
    run(SCOREHUB, "collectstatic", "--noinput", env=stack.env, timeout=300)
    for number, port in enumerate(APP_PORTS, start=1):
        stack.start(f"app{number}", *serve(f"127.0.0.1:{port}"), env=app_env(stack, replica=True))
    stack.start("primary_only", *serve(f"127.0.0.1:{PRIMARY_ONLY_PORT}", workers=1))
    stack.start("worker", SCOREHUB, "qcluster")
    for port in (*APP_PORTS, PRIMARY_ONLY_PORT):
        wait_until(lambda port=port: port_open(port), timeout=60, what=f"the application server on {port}")
    conf = render_nginx(stack, APP_PORTS)
    stack.start("nginx", "nginx", "-c", str(conf), "-p", str(conf.parent), "-g", "daemon off;")
    wait_until(lambda: port_open(NGINX_PORT), timeout=30, what="nginx")


# ---------------------------------------------------------------------------------------------------
# The client.


TLS = ssl.create_default_context()
TLS.check_hostname = False
TLS.verify_mode = ssl.CERT_NONE  # the test's own self-signed certificate


@dataclass
class Sample:
    kind: str
    path: str
    started: float
    ended: float
    status: int | None  # None: the connection failed
    error: str = ""


class Browser:
    """One person's browser: cookies, CSRF, one keep-alive connection to nginx from a given address."""

    def __init__(self, source_address: str = "127.0.0.1", port: int = NGINX_PORT, tls: bool = True) -> None:
        self.source_address = source_address
        self.port = port
        self.tls = tls
        self.cookies: dict[str, str] = {}
        self.connection: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self.connection is None:
            if self.tls:
                self.connection = http.client.HTTPSConnection(
                    "127.0.0.1", self.port, timeout=60, context=TLS, source_address=(self.source_address, 0)
                )
            else:
                self.connection = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=60, source_address=(self.source_address, 0)
                )
        return self.connection

    def request(
        self, method: str, path: str, body: dict[str, str] | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        all_headers = {"Host": "127.0.0.1", "Accept-Language": "zh-hans", **(headers or {})}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body).encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
            all_headers["Referer"] = f"https://127.0.0.1:{self.port}{path}"
            if "csrftoken" in self.cookies:
                all_headers["X-CSRFToken"] = self.cookies["csrftoken"]
        connection = self._connect()
        try:
            connection.request(method, path, body=data, headers=all_headers)
            response = connection.getresponse()
            content = response.read()
        except Exception:
            connection.close()
            self.connection = None
            raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.getheader("Connection", "").lower() == "close":
            connection.close()
            self.connection = None
        return response.status, {k.lower(): v for k, v in response.getheaders()}, content

    def sign_in(self, username: str) -> None:
        status, _, page = self.request("GET", "/accounts/login/")
        assert status == 200, f"login page answered {status}"
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, "no CSRF token on the login page"
        status, _headers, _ = self.request(
            "POST",
            "/accounts/login/",
            {"csrfmiddlewaretoken": token.group(1).decode(), "username": username, "password": DEMO_PASSWORD},
        )
        assert status == 302, f"signing in as {username} answered {status}"


@dataclass
class Submission:
    marker: str
    started: float
    ended: float
    acknowledged: bool
    status: int | None
    error: str = ""


class Load:
    def __init__(self, posters: list[str], stop_at: float) -> None:
        self.posters = posters
        self.stop_at = stop_at
        self.samples: list[Sample] = []
        self.submissions: list[Submission] = []
        self.retries = 0
        self.lock = threading.Lock()

    def record(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)

    def timed(self, browser: Browser, kind: str, method: str, path: str, body: dict[str, str] | None = None) -> Any:
        started = time.monotonic()
        try:
            status, headers, content = browser.request(method, path, body)
        except Exception as exc:  # noqa: BLE001 - a failed request is a figure of the test
            self.record(Sample(kind, path, started, time.monotonic(), None, f"{type(exc).__name__}: {exc}"))
            return None
        self.record(Sample(kind, path, started, time.monotonic(), status))
        return status, headers, content

    def submitter(self, number: int) -> None:
        # Each worker's phone has its own address, as on a factory's Wi-Fi with many phones.
        browser = Browser(source_address=f"127.0.1.{number + 1}")
        token = self.posters[number % len(self.posters)]
        sequence = 0
        while time.monotonic() < self.stop_at:
            sequence += 1
            marker = f"LOADTEST-{number:02d}-{sequence:04d}-{secrets.token_hex(4)}"
            answer = self.timed(browser, "public form", "GET", f"/suggestions/s/{token}/")
            if answer is None or answer[0] != 200:
                continue
            form_key = re.search(rb'name="form_key" value="([^"]*)"', answer[2])
            csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', answer[2])
            if not (form_key and csrf):
                continue
            started = time.monotonic()
            body = {
                "csrfmiddlewaretoken": csrf.group(1).decode(),
                "form_key": form_key.group(1).decode(),
                "problem": f"{marker} 冲床三号的防护罩松动",
                "proposal": "每班检查防护罩并拧紧螺丝",
                "category": "safety",
            }
            # A phone that gets no answer sends the same form again (same form key): the server must
            # store it once.  One retry, as the page does.
            status, headers, error = None, {}, ""
            for _attempt in range(2):
                try:
                    status, headers, _ = browser.request("POST", f"/suggestions/s/{token}/", body)
                    error = ""
                except Exception as exc:  # noqa: BLE001
                    status, headers, error = None, {}, f"{type(exc).__name__}: {exc}"
                if status is not None and status < 500:
                    break
                with self.lock:
                    self.retries += 1
            ended = time.monotonic()
            acknowledged = status == 302 and "/track/" in headers.get("location", "")
            self.record(Sample("public submit", f"/suggestions/s/{token}/", started, ended, status, error))
            with self.lock:
                self.submissions.append(Submission(marker, started, ended, acknowledged, status, error))

    def official(self, browser: Browser, paths: list[tuple[str, str]]) -> None:
        index = 0
        while time.monotonic() < self.stop_at:
            kind, path = paths[index % len(paths)]
            index += 1
            self.timed(browser, kind, "GET", path)


# ---------------------------------------------------------------------------------------------------
# The run.


def import_csv(rows: int) -> str:
    """Enterprises of Nanxun with valid credit codes, as a bureau's spreadsheet would list them."""
    sys.path.insert(0, str(ROOT))
    from scorehub.enterprises.credit_code import ALPHABET, check_character

    lines = ["企业名称,统一社会信用代码,行政区划代码,行业,企业规模,从业人数"]
    for n in range(rows):
        serial = "".join(ALPHABET[(n // 31**k) % 31] for k in range(4))
        first17 = f"91330503MA2LT{serial}"
        lines.append(f"负载测试企业{n},{first17}{check_character(first17)},330503,C17,小型,{20 + n % 300}")
    return "\n".join(lines) + "\n"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def indicator_figures(port: int, tls: bool, api_token: str, query: str) -> dict[str, Any]:
    browser = Browser(port=port, tls=tls)
    status, _, content = browser.request(
        "GET", f"/api/v1/indicators/?{query}", headers={"Authorization": f"Token {api_token}"}
    )
    assert status == 200, f"indicator API on {port} answered {status}: {content[:300]!r}"
    return json.loads(content)


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="scorehub-prodtest-"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE", "PYTEST"))},
        "DJANGO_SETTINGS_MODULE": "scorehub.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{PRIMARY_PORT}/{DATABASE}",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CSRF_TRUSTED_ORIGINS": f"https://127.0.0.1:{NGINX_PORT}",
        "HTTPS": "True",
        "BEHIND_PROXY": "True",
        "TRUSTED_PROXY_COUNT": "1",
        "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
        "SCOREHUB_DATA_DIR": str(workdir / "data"),
        "MEDIA_ROOT": str(workdir / "media"),
        "STATIC_ROOT": str(workdir / "static"),
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "WARNING",
        # Each simulated phone sends a form every second or so, far above what one worker does; the
        # limits themselves have their own tests.
        "SUGGESTION_RATES": "ip=10000/600,token=10000/600,lookup=10000/600",
        "WEB_CONCURRENCY": "2",
        "SCOREHUB_THREADS": "4",
    }
    stack = Stack(workdir=workdir, env=env)
    report: dict[str, Any] = {"load_seconds": LOAD_SECONDS, "submitters": SUBMITTERS, "officials": OFFICIALS}
    failures: list[str] = []
    started_at = time.monotonic()
    try:
        run("redis-cli", "-n", str(REDIS_DB), "FLUSHDB")
        set_up_databases(stack)
        api_token = run(SCOREHUB, "drf_create_token", "admin", env=env).split()[2]
        posters = psql("SELECT token FROM suggestions_poster WHERE revoked_at IS NULL ORDER BY id").split()
        assert posters, "the demo has no active poster"
        start_stack(stack)

        # Each official works in their own jurisdiction (anything else is a 404 by design).
        officials = {
            "huzhou_official": "region:330500",
            "zhejiang_official": "region:330000",
            "nanxun_inspector": "region:330503",
            "admin": "nation",
        }
        browsers = []
        for username, scope in list(officials.items())[:OFFICIALS]:
            browser = Browser()
            browser.sign_in(username)
            paths = [
                ("dashboard", f"/indicators/?scope={scope}"),
                ("list", "/enterprises/"),
                ("list", "/suggestions/list/"),
                ("list", "/safety/hazards/"),
                ("export", "/enterprises/?_export=csv"),
            ]
            browsers.append((browser, paths))
        log(f"load: {SUBMITTERS} submitters, {OFFICIALS} officials, one import, for {LOAD_SECONDS:.0f} s")
        load_started = time.monotonic()
        load = Load(posters, stop_at=load_started + LOAD_SECONDS)
        threads = [threading.Thread(target=load.submitter, args=(n,), daemon=True) for n in range(SUBMITTERS)]
        threads += [threading.Thread(target=load.official, args=pair, daemon=True) for pair in browsers]
        import_file = workdir / "enterprises.csv"
        import_file.write_text(import_csv(rows=200), encoding="utf-8")
        import_result: dict[str, Any] = {}

        def importer() -> None:
            time.sleep(LOAD_SECONDS / 2)
            began = time.monotonic()
            result = subprocess.run(  # noqa: S603
                [SCOREHUB, "import", "enterprises", str(import_file)], env=env, capture_output=True, text=True
            )
            import_result.update(
                returncode=result.returncode, seconds=time.monotonic() - began, output=result.stdout + result.stderr
            )

        threads.append(threading.Thread(target=importer, daemon=True))
        for thread in threads:
            thread.start()
        time.sleep(KILL_AFTER)
        kill_time = time.monotonic()
        log("kill -9 of the first application server")
        stack.kill_hard("app1")
        for thread in threads:
            thread.join(timeout=LOAD_SECONDS + 120)
        load_seconds = time.monotonic() - load_started

        # --- what the load did ---------------------------------------------------------------------
        by_kind: dict[str, list[Sample]] = {}
        for sample in load.samples:
            by_kind.setdefault(sample.kind, []).append(sample)
        report["kinds"] = {}
        for kind, samples in sorted(by_kind.items()):
            ok = [s for s in samples if s.status is not None and s.status < 500]
            durations = [(s.ended - s.started) * 1000 for s in ok]
            report["kinds"][kind] = {
                "requests": len(samples),
                "per_second": round(len(samples) / load_seconds, 1),
                "p50_ms": round(percentile(durations, 0.5), 1),
                "p95_ms": round(percentile(durations, 0.95), 1),
                "errors": len(samples) - len(ok),
            }
        report["requests_per_second"] = round(len(load.samples) / load_seconds, 1)
        failed = [s for s in load.samples if s.status is None or s.status >= 500]
        report["failed_requests"] = len(failed)
        # A failure is accepted only for a request that nginx had sent to the killed server while it
        # died, or over a connection it held to it (a POST is never sent twice by nginx).  nginx stops
        # choosing a failed server at once, so every failure must start within a few seconds of the kill.
        killed = f"127.0.0.1:{APP_PORTS[0]}"
        access = (workdir / "nginx" / "logs" / "access.log").read_text().splitlines()
        failed_in_nginx = [line for line in access if re.search(r'" 5\d\d upstream=', line)]
        not_killed = [line for line in failed_in_nginx if killed not in line]
        if not_killed:
            failures.append(f"{len(not_killed)} requests failed on a server that was not killed: {not_killed[0]}")
        late = [s for s in failed if s.started > kill_time + 5.0 or s.ended < kill_time]
        if late:
            failures.append(f"{len(late)} requests failed outside the kill window, e.g. {late[0]}")
        # (A GET whose server died while sending the page reaches the client cut short: that is a
        # request in flight too, and is held to the same window.)
        report["retries_after_failure"] = load.retries
        other_status = [
            s for s in load.samples if s.status is not None and s.status not in (200, 302) and s.status < 500
        ]
        if other_status:
            failures.append(
                f"{len(other_status)} requests answered {sorted({s.status for s in other_status})}, "
                f"e.g. {other_status[0].path}"
            )
        if import_result.get("returncode") != 0:
            failures.append(f"the import failed: {import_result.get('output', '')[-800:]}")
        report["import_seconds"] = round(import_result.get("seconds", 0.0), 2)

        # --- no lost, no duplicated writes ---------------------------------------------------------
        stored: dict[str, int] = {}
        for line in psql(
            "SELECT substring(problem from '^(LOADTEST-[0-9]+-[0-9]+-[0-9a-f]+)'), count(*) "
            "FROM suggestions_suggestion WHERE problem LIKE 'LOADTEST-%' GROUP BY 1"
        ).splitlines():
            marker, count = line.split("|")
            stored[marker] = int(count)
        acknowledged = [s for s in load.submissions if s.acknowledged]
        lost = [s.marker for s in acknowledged if stored.get(s.marker, 0) == 0]
        duplicated = [m for m, count in stored.items() if count > 1]
        report["submissions"] = {
            "sent": len(load.submissions),
            "acknowledged": len(acknowledged),
            "stored": sum(stored.values()),
            "lost_acknowledged": len(lost),
            "duplicated": len(duplicated),
            "unacknowledged_but_stored": len(
                [s for s in load.submissions if not s.acknowledged and stored.get(s.marker)]
            ),
        }
        if lost:
            failures.append(f"{len(lost)} acknowledged suggestions were lost, e.g. {lost[:3]}")
        if duplicated:
            failures.append(f"{len(duplicated)} suggestions were stored twice, e.g. {duplicated[:3]}")
        if len(acknowledged) < SUBMITTERS:
            failures.append(f"only {len(acknowledged)} suggestions were acknowledged: the load did not run")

        # --- the replica answers what the primary answers ------------------------------------------
        primary_lsn = psql("SELECT pg_current_wal_lsn()", database="postgres")
        wait_until(
            lambda: (
                psql(
                    f"SELECT pg_last_wal_replay_lsn() >= '{primary_lsn}'::pg_lsn",
                    port=REPLICA_PORT,
                    database="postgres",
                )
                == "t"
            ),
            timeout=60,
            what="the replica to catch up",
        )
        replica_lag = psql(
            "SELECT COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)",
            port=REPLICA_PORT,
            database="postgres",
        )
        report["replica_lag_seconds_after_load"] = float(replica_lag or 0)
        compared = 0
        for query in ("scope=region:330500", "scope=nation", "scope=region:330503&period=2025"):
            via_replica = indicator_figures(NGINX_PORT, True, api_token, query)
            on_primary = indicator_figures(PRIMARY_ONLY_PORT, False, api_token, query)
            if via_replica.get("values") != on_primary.get("values"):
                failures.append(f"the replica's figures for {query} differ from the primary's")
            compared += 1
        report["dashboards_compared_with_primary"] = compared

        # --- the nginx log: the survivor took the traffic after the kill ---------------------------
        report["nginx_requests_logged"] = len(access)
        report["nginx_requests_to_killed_server"] = sum(killed in line for line in access)
        report["nginx_requests_to_survivor"] = sum(f"upstream=127.0.0.1:{APP_PORTS[1]}" in line for line in access)
    except Exception as exc:  # noqa: BLE001 - reported below, after the stack is down
        failures.append(f"{type(exc).__name__}: {exc}")
    finally:
        teardown_failures = tear_down(stack)
        failures.extend(teardown_failures)
        report["total_seconds"] = round(time.monotonic() - started_at, 1)
        report["failures"] = failures
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "production-test.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
        print(json.dumps(report, indent=2, ensure_ascii=False))
        if failures:
            for line in failures:
                log(f"FAILED: {line}")
            for name in ("app1", "app2", "primary_only", "worker"):
                logfile = workdir / f"{name}.log"
                if logfile.exists():
                    print(f"--- last lines of {name}.log", file=sys.stderr)
                    print("\n".join(logfile.read_text(errors="replace").splitlines()[-20:]), file=sys.stderr)
        shutil.rmtree(workdir, ignore_errors=True)
    log("passed" if not failures else f"{len(failures)} failures")
    return 0 if not failures else 1


def tear_down(stack: Stack) -> list[str]:
    """Stop everything, in order, and say what did not stop by itself."""
    problems: list[str] = []
    for name in ("nginx", "app2", "primary_only", "worker", "app1"):
        if name not in stack.processes:
            continue
        code = stack.stop(name)
        if code is None:
            problems.append(f"{name} did not stop within its time on SIGTERM")
        if stack.group_alive(name):
            problems.append(f"a process of {name} was still running after it stopped")
    for port in (*APP_PORTS, PRIMARY_ONLY_PORT, NGINX_PORT):
        if port_open(port):
            problems.append(f"port {port} still open after the stack stopped")
    if stack.replica_created:
        with contextlib.suppress(RuntimeError):
            run("pg_dropcluster", "--stop", PG_VERSION, REPLICA_CLUSTER)
    if stack.database_created:
        with contextlib.suppress(RuntimeError):
            psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)", database="postgres")
    if stack.hba_line_added:
        hba = hba_file()
        hba.write_text(
            "".join(line for line in hba.read_text().splitlines(keepends=True) if REPLICATION_HBA not in line)
        )
        with contextlib.suppress(RuntimeError):
            psql("SELECT pg_reload_conf()", database="postgres")
    with contextlib.suppress(RuntimeError):
        run("redis-cli", "-n", str(REDIS_DB), "FLUSHDB")
    return problems


if __name__ == "__main__":
    sys.exit(main())
