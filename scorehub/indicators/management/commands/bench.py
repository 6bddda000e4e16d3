"""``scorehub bench --enterprises N``: generate synthetic data in a separate database and measure the
dashboards and the indicator API against a hand-written SQL floor (see ``scorehub.indicators.benchmark``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import environ
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def _same_database(a: dict[str, Any], b: dict[str, Any]) -> bool:
    keys = ("ENGINE", "NAME", "HOST", "PORT")
    return all(str(a.get(k) or "") == str(b.get(k) or "") for k in keys)


def _application_databases() -> list[dict[str, Any]]:
    """The database the application runs on: as configured now, and as the environment names it."""
    configured = environ.Env().db("DATABASE_URL", default=f"sqlite:///{settings.DATA_DIR / 'scorehub.sqlite3'}")
    return [settings.DATABASES["default"], configured]


class Command(BaseCommand):
    help = "Generate synthetic data at a chosen scale in a separate database and time the dashboards."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--enterprises", type=int, default=1000, help="1000 a city, 10000 a province")
        parser.add_argument("--years", type=int, default=2, help="years of records (default 2)")
        parser.add_argument("--repeat", type=int, default=5, help="timed runs per measurement (median)")
        parser.add_argument("--seed", type=int, default=2019)
        parser.add_argument(
            "--database-url",
            default=os.environ.get("BENCH_DATABASE_URL", ""),
            help="the bench database (default: sqlite file data/bench-<N>.sqlite3); never the demo's",
        )
        parser.add_argument("--reuse", action="store_true", help="measure the data already in the bench database")
        parser.add_argument("--fresh", action="store_true", help="drop and recreate the bench database first")
        parser.add_argument("--output", default="", help="JSON results (default: bench-results-<N>.json)")
        parser.add_argument("--inside", action="store_true", help="(internal) run in the bench database")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["inside"]:
            self._inside(options)
            return
        n = options["enterprises"]
        if n < 20:
            raise CommandError("Use at least 20 enterprises.")
        url = options["database_url"] or f"sqlite:///{settings.DATA_DIR / f'bench-{n}.sqlite3'}"
        target = environ.Env.db_url_config(url)
        if any(_same_database(target, db) for db in _application_databases()):
            raise CommandError("The bench database must not be the application's database.")
        self._prepare(target, url, options)
        env = {**os.environ, "DATABASE_URL": url, "AXES_ENABLED": "false", "DEBUG": "false"}
        python = sys.executable
        self.stdout.write(f"Bench database: {url}")
        subprocess.run([python, "-m", "scorehub.cli", "migrate", "--noinput", "-v", "0"], env=env, check=True)  # noqa: S603
        inside = [
            python,
            "-m",
            "scorehub.cli",
            "bench",
            "--inside",
            f"--enterprises={n}",
            f"--years={options['years']}",
            f"--repeat={options['repeat']}",
            f"--seed={options['seed']}",
            f"--output={options['output'] or f'bench-results-{n}.json'}",
        ]
        if options["reuse"]:
            inside.append("--reuse")
        result = subprocess.run(inside, env=env, check=False)  # noqa: S603
        if result.returncode:
            raise CommandError("The bench run failed.")

    def _prepare(self, target: dict[str, Any], url: str, options: dict[str, Any]) -> None:
        name = str(target["NAME"])
        if options["fresh"] and "bench" not in Path(name).name:
            raise CommandError("--fresh drops the database: only for a database whose name contains 'bench'.")
        if "sqlite" in target["ENGINE"]:
            path = Path(name)
            if options["fresh"] and path.exists():
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
            path.parent.mkdir(parents=True, exist_ok=True)
            has_data = path.exists() and path.stat().st_size > 0 and self._sqlite_has_data(path)
        else:
            has_data = self._postgres_prepare(target, fresh=options["fresh"])
        if has_data and not options["reuse"]:
            raise CommandError(
                f"{url} already holds data. Pass --reuse to measure it, or --fresh to drop and recreate it."
            )

    def _sqlite_has_data(self, path: Path) -> bool:
        import sqlite3

        with sqlite3.connect(path) as db:
            try:
                return bool(db.execute("SELECT 1 FROM enterprises_enterprise LIMIT 1").fetchone())
            except sqlite3.OperationalError:
                return False

    def _postgres_prepare(self, target: dict[str, Any], *, fresh: bool) -> bool:
        import psycopg
        from psycopg import sql

        params: dict[str, Any] = {
            "host": target.get("HOST") or None,
            "port": target.get("PORT") or None,
            "user": target.get("USER") or None,
            "password": target.get("PASSWORD") or None,
        }
        name = str(target["NAME"])
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
            exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if exists and fresh:
                admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
                exists = None
            if not exists:
                admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                return False
        with psycopg.connect(dbname=name, **params) as db:
            table = db.execute("SELECT to_regclass('enterprises_enterprise')").fetchone()
            if not table or table[0] is None:
                return False
            return bool(db.execute("SELECT 1 FROM enterprises_enterprise LIMIT 1").fetchone())

    def _inside(self, options: dict[str, Any]) -> None:
        from scorehub.enterprises.models import Enterprise
        from scorehub.indicators import benchmark

        if settings.DATABASES["default"]["NAME"] == str(settings.DATA_DIR / "scorehub.sqlite3"):
            raise CommandError("Refusing to generate bench data in the application's database.")
        payload: dict[str, Any] = {"enterprises": options["enterprises"], "years": options["years"]}
        if Enterprise.objects.exists():
            if not options["reuse"]:
                raise CommandError("The bench database already holds enterprises.")
            self.stdout.write(f"Reusing the data in the bench database ({Enterprise.objects.count():,} enterprises).")
        else:
            self.stdout.write(
                f"Generating {options['enterprises']:,} enterprises, {options['years']} years of records…"
            )
            payload["generation"] = benchmark.generate(
                enterprise_count=options["enterprises"],
                years=options["years"],
                seed=options["seed"],
                log=self.stdout.write,
            )
            self.stdout.write(f"Generated in {payload['generation']['seconds']} s: {payload['generation']['rows']}")
        payload["machine"] = benchmark.machine()
        self.stdout.write(
            f"Measuring (median of at least {options['repeat']} runs after a warm-up, each page run"
            f" alternately with its floor)…"
        )
        results = benchmark.measure(repeat=options["repeat"], log=self.stdout.write)
        payload["results"] = [
            {**r.__dict__, "dashboard_ratio": round(r.dashboard_ratio, 2), "api_ratio": round(r.api_ratio, 2)}
            for r in results
        ]
        output = Path(options["output"])
        benchmark.write_json(output, payload)
        self.stdout.write(self.style.SUCCESS(f"Results written to {output}"))
