"""``scorehub serve``: the production entry point, gunicorn running the project's WSGI application.

Processes and threads come from options or the environment (``--workers``/``WEB_CONCURRENCY``,
``--threads``/``SCOREHUB_THREADS``, ...).  Gunicorn's master restarts a worker that dies and, on SIGTERM,
stops accepting, lets every request in flight finish within the graceful timeout and stops every child;
SIGINT (Ctrl-C) stops at once.  ``--with-worker`` also runs the job worker (``qcluster``) as a child of the
same master, stopped with it: that is how ``make run`` serves the demo.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from scorehub.core.staticfiles import uncollected_static_files

if TYPE_CHECKING:
    from gunicorn.arbiter import Arbiter


def environment_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise CommandError(f"{name} must be a whole number, not {raw!r}.") from None


def run_gunicorn(config: dict[str, Any]) -> None:
    """Run gunicorn's master with ``config`` instead of its own command line or a config file."""
    # Imported here: gunicorn reads WEB_CONCURRENCY when it is imported, and fails on a bad value
    # before the command could say what is wrong.
    from gunicorn.app.base import BaseApplication

    class ScoreHubApplication(BaseApplication):
        def load_config(self) -> None:
            assert self.cfg is not None
            for key, value in config.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            from scorehub.wsgi import application

            return application

    ScoreHubApplication().run()


def forget_worker_metrics(server: Arbiter, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


class JobWorker:
    """``scorehub qcluster`` as a child of gunicorn's master: started when it is ready, stopped when it exits.

    A worker that dies on its own is started again after a pause, as gunicorn does for its web workers.
    """

    RESTART_PAUSE = 5.0

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.stopping = threading.Event()
        self.lock = threading.Lock()

    def start(self, server: Arbiter) -> None:
        threading.Thread(target=self.supervise, args=(server,), name="job-worker", daemon=True).start()

    def supervise(self, server: Arbiter) -> None:
        while not self.stopping.is_set():
            with self.lock:
                if self.stopping.is_set():
                    return
                self.process = subprocess.Popen([sys.executable, "-m", "scorehub.cli", "qcluster"])
            server.log.info("Job worker started (pid %s)", self.process.pid)
            status = self.process.wait()
            if not self.stopping.is_set():
                server.log.error("Job worker exited with status %s; starting it again", status)
                self.stopping.wait(self.RESTART_PAUSE)

    def stop(self, server: Arbiter, timeout: float) -> None:
        with self.lock:
            self.stopping.set()
            process = self.process
        if process is None or process.poll() is not None:
            return
        # qcluster stops its own children on SIGTERM and lets running tasks finish.
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            server.log.warning("Job worker did not stop within %s s; killing it", timeout)
            process.kill()
            process.wait()
        server.log.info("Job worker stopped")


class Command(BaseCommand):
    help = "Serve SCORE Hub with gunicorn, the production application server."

    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--bind",
            default=os.environ.get("SCOREHUB_BIND", "127.0.0.1:8000"),
            help="Address to listen on: HOST:PORT or unix:PATH (SCOREHUB_BIND; default 127.0.0.1:8000).",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="Worker processes (WEB_CONCURRENCY; default 2).",
        )
        parser.add_argument("--threads", type=int, default=None, help="Threads per worker (SCOREHUB_THREADS; 4).")
        parser.add_argument(
            "--timeout",
            type=int,
            default=None,
            help="Seconds a request may take before its worker is restarted (SCOREHUB_TIMEOUT; 60).",
        )
        parser.add_argument(
            "--graceful-timeout",
            type=int,
            default=None,
            help="Seconds requests in flight get to finish on SIGTERM (SCOREHUB_GRACEFUL_TIMEOUT; 30).",
        )
        parser.add_argument("--pid", default=None, metavar="FILE", help="Write the master's process id to FILE.")
        parser.add_argument(
            "--collectstatic",
            action="store_true",
            help="Run collectstatic first if the collected static files are missing or out of date.",
        )
        parser.add_argument(
            "--with-worker",
            action="store_true",
            help="Also run the job worker (qcluster), started and stopped with the server (make run).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        def setting(option: str, variable: str, default: int) -> int:
            given = options[option]
            return int(given) if given is not None else environment_int(variable, default)

        workers = setting("workers", "WEB_CONCURRENCY", 2)
        threads = setting("threads", "SCOREHUB_THREADS", 4)
        timeout = setting("timeout", "SCOREHUB_TIMEOUT", 60)
        graceful_timeout = setting("graceful_timeout", "SCOREHUB_GRACEFUL_TIMEOUT", 30)
        for name, value in (("workers", workers), ("threads", threads), ("timeout", timeout)):
            if value < 1:
                raise CommandError(f"--{name} must be at least 1.")

        self.ensure_static_files(collect=options["collectstatic"])
        # Nothing opened here may be shared with the forked workers.
        connections.close_all()

        metrics_directory = self.prepare_metrics_directory()

        config: dict[str, Any] = {
            "bind": [options["bind"]],
            "workers": workers,
            "worker_class": "gthread",
            "threads": threads,
            "timeout": timeout,
            "graceful_timeout": graceful_timeout,
            # Longer than nginx keeps idle upstream connections (60 s in deploy/nginx/scorehub.conf), so that
            # nginx, not the server, closes them: a request is never sent on a connection being closed.
            "keepalive": environment_int("SCOREHUB_KEEPALIVE", 75),
            # Access and error lines through the project's LOGGING (JSON or text, with request ids).
            "logger_class": "scorehub.core.gunicorn_logging.GunicornLogger",
            "accesslog": "-",
            "errorlog": "-",
            "proc_name": "scorehub",
            "child_exit": forget_worker_metrics,
            # Several servers may run on one machine: no shared control socket under $HOME.
            "control_socket_disable": True,
        }
        if options["pid"]:
            config["pidfile"] = options["pid"]
        job_worker = JobWorker() if options["with_worker"] else None
        if job_worker is not None:
            config["when_ready"] = job_worker.start

        def on_exit(server: Arbiter) -> None:
            if job_worker is not None:
                job_worker.stop(server, float(graceful_timeout))
            if metrics_directory is not None:
                shutil.rmtree(metrics_directory, ignore_errors=True)

        config["on_exit"] = on_exit
        run_gunicorn(config)

    def prepare_metrics_directory(self) -> Path | None:
        """Let the workers' metrics be added up: prometheus_client's multiprocess mode in a fresh directory.

        Each worker writes its counters to files there and ``/metrics`` (whichever worker answers) reads them
        all.  An operator may name the directory (``PROMETHEUS_MULTIPROC_DIR``, e.g. systemd's
        RuntimeDirectory); otherwise a private one is made and removed on exit.  Returns the one to remove.
        """
        from prometheus_client import values

        configured = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        directory = Path(configured) if configured else Path(tempfile.mkdtemp(prefix="scorehub-metrics-"))
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):  # counters of an earlier run would be added to ours
            stale.unlink()
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
        # prometheus_client chose its value class when Django imported it, before the variable was set; the
        # request metrics are made when a worker loads the application, so choosing again here covers them.
        values.ValueClass = values.get_value_class()
        return None if configured else directory

    def ensure_static_files(self, *, collect: bool) -> None:
        uncollected = uncollected_static_files()
        if not uncollected:
            return
        if not collect:
            sample = ", ".join(uncollected[:3]) + (", ..." if len(uncollected) > 3 else "")
            raise CommandError(
                f"{len(uncollected)} static files are not collected or out of date ({sample}). "
                "Run `scorehub collectstatic --noinput` first (or start with --collectstatic)."
            )
        self.stdout.write(f"Collecting {len(uncollected)} new or changed static files ...")
        call_command("collectstatic", interactive=False, verbosity=0)
