"""``scorehub bench``: synthetic data at a chosen scale, then dashboard and API times against a floor.

The run has two halves, each in its own process so that the database of the demo is never touched:

1. The command (``bench``) names a **separate** database: ``--database-url`` (a PostgreSQL database it
   creates when missing) or, by default, the SQLite file ``data/bench-<N>.sqlite3``.  A database that
   already holds data is refused unless ``--reuse`` (measure what is there) or ``--fresh`` (drop and
   recreate; only for a database whose name contains "bench") is given.  It migrates it and starts
   the second half with ``DATABASE_URL`` pointing there.
2. Inside (``bench --inside``): the synthetic world is generated (regions, enterprises, people, and
   every installed app's records through its ``bench.py`` hook), then each scope is measured:
   the dashboard page and the indicator API through Django's test client, and the **floor**: hand
   written SQL over the raw tables that computes the same numbers (each app's ``bench.py`` supplies
   the floor of its own indicators).  A page and its floor run alternately, so that the machine's
   slower spells weigh on both sides of their ratio.  The floor's totals are compared with the API's
   values, so the run also proves both compute the same numbers.

A ``bench.py`` hook of an app may define:

* ``def generate(ctx: BenchContext) -> None``: insert the app's records for ``ctx.enterprises`` over
  ``ctx.months`` at the volumes the reports imply (use ``ctx.copy`` for speed);
* ``FLOORS = {"<source app label>": floor}`` where ``floor(ctx: FloorContext) -> dict[str, dict]``
  answers ``{group key: {code: value}}`` like ``compute_groups`` (key ``""`` without grouping).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import random
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import import_module
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone

from .base import Grouping, Period, _add_months

# ---------------------------------------------------------------------------------------------------
# Writing rows fast


class RowWriter:
    """COPY on PostgreSQL, batched ``executemany`` on SQLite; explicit ids, sequences reset after."""

    def __init__(self) -> None:
        self.vendor = connection.vendor
        self.next_ids: dict[str, int] = {}
        self.counts: dict[str, int] = {}

    def allocate(self, table: str, count: int) -> range:
        """``count`` fresh ids for ``table`` (rows written with ``copy`` must use them)."""
        if table not in self.next_ids:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 - our table names
                self.next_ids[table] = int(cursor.fetchone()[0]) + 1
        start = self.next_ids[table]
        self.next_ids[table] = start + count
        return range(start, start + count)

    def copy(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        written = 0
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                raw = cursor.cursor
                with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                        written += 1
            else:
                sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
                batch: list[Sequence[Any]] = []
                for row in rows:
                    batch.append([_sqlite_value(v) for v in row])
                    if len(batch) >= 5000:
                        cursor.executemany(sql, batch)
                        written += len(batch)
                        batch = []
                if batch:
                    cursor.executemany(sql, batch)
                    written += len(batch)
        self.counts[table] = self.counts.get(table, 0) + written
        return written

    def reset_sequences(self) -> None:
        if self.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            for table in self.next_ids:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"COALESCE((SELECT MAX(id) FROM {table}), 1))"
                )
            cursor.execute("ANALYZE")


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


# ---------------------------------------------------------------------------------------------------
# The synthetic world


@dataclass
class BenchEnterprise:
    id: int
    region_id: str
    employees: int


@dataclass
class BenchContext:
    enterprise_count: int
    years: int
    rng: random.Random
    writer: RowWriter
    #: The months covered, oldest first (first days), ending with the last complete month.
    months: list[dt.date]
    enterprises: list[BenchEnterprise] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)

    def copy(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        return self.writer.copy(table, columns, rows)

    def allocate(self, table: str, count: int) -> range:
        return self.writer.allocate(table, count)


# Zhejiang's cities (the province measured) and a few of Beijing's districts (the rest of the nation).
ZHEJIANG_CITIES = [
    ("3301", "杭州市", "Hangzhou"),
    ("3302", "宁波市", "Ningbo"),
    ("3303", "温州市", "Wenzhou"),
    ("3304", "嘉兴市", "Jiaxing"),
    ("3305", "湖州市", "Huzhou"),
    ("3306", "绍兴市", "Shaoxing"),
    ("3307", "金华市", "Jinhua"),
    ("3308", "衢州市", "Quzhou"),
    ("3309", "舟山市", "Zhoushan"),
    ("3310", "台州市", "Taizhou"),
    ("3311", "丽水市", "Lishui"),
]
DISTRICTS_PER_CITY = 8
PROVINCE_SHARE = 0.9
DIVISIONS = ["13", "17", "18", "21", "26", "29", "30", "33", "34", "38"]


def _ensure_regions(rng: random.Random) -> dict[str, list[str]]:
    """The region tree the bench uses; answers the district codes per city prefix."""
    from scorehub.regions.models import Region, RegionLevel

    existing = set(Region.objects.values_list("code", flat=True))
    new: list[Region] = []

    def add(code: str, level: int, zh: str, en: str, parent: str | None) -> None:
        if code not in existing:
            region = Region(code=code, level=level, name_zh=zh, name_en=en, parent_id=parent)
            region.prefix = {1: code[:2], 2: code[:4], 3: code}[level]
            new.append(region)
            existing.add(code)

    add("330000", RegionLevel.PROVINCE, "浙江省", "Zhejiang", None)
    add("110000", RegionLevel.PROVINCE, "北京市", "Beijing", None)
    districts: dict[str, list[str]] = {}
    for prefix, zh, en in ZHEJIANG_CITIES:
        city = f"{prefix}00"
        add(city, RegionLevel.CITY, zh, en, "330000")
    Region.objects.bulk_create(new)
    new = []
    for prefix, zh, en in ZHEJIANG_CITIES:
        city = f"{prefix}00"
        codes = sorted(c for c in existing if c.startswith(prefix) and c != city and len(c) == 6)
        number = 1
        while len(codes) < DISTRICTS_PER_CITY:
            code = f"{prefix}{number:02d}"
            number += 1
            if code in existing:
                continue
            add(code, RegionLevel.DISTRICT, f"{zh[:-1]}{number - 1}区", f"{en} District {number - 1}", city)
            codes.append(code)
        districts[prefix] = sorted(codes)
    beijing = sorted({c for c in existing if c.startswith("11") and c != "110000"} | {"110105", "110108", "110111"})
    for code in beijing:
        add(code, RegionLevel.DISTRICT, f"北京{code[-2:]}区", f"Beijing District {code[-2:]}", "110000")
    districts["11"] = beijing
    Region.objects.bulk_create(new)
    del rng
    return districts


def _create_people() -> dict[str, Any]:
    from scorehub.accounts.models import Membership, Organisation, OrganisationKind, User
    from scorehub.core.scoping import Role

    people: dict[str, Any] = {}
    specs = [
        ("bench_admin", OrganisationKind.PROGRAMME_OFFICE, "SCORE 项目办公室", None, Role.PROGRAMME_ADMIN),
        ("bench_province", OrganisationKind.BUREAU, "浙江省应急管理厅", "330000", Role.OFFICIAL),
        ("bench_city", OrganisationKind.BUREAU, "湖州市应急管理局", "330500", Role.OFFICIAL),
        ("bench_district", OrganisationKind.BUREAU, "南浔区应急管理局", "330503", Role.OFFICIAL),
    ]
    for username, kind, name, region, role in specs:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create(username=username, display_name=name, is_superuser=role == Role.PROGRAMME_ADMIN)
            organisation = Organisation.objects.create(kind=kind, name_zh=name, region_id=region)
            Membership.objects.create(user=user, organisation=organisation, role=role)
        people[username] = user
    return people


def _generate_enterprises(ctx: BenchContext, districts: dict[str, list[str]]) -> None:
    from scorehub.enterprises.credit_code import ALPHABET, build_credit_code
    from scorehub.enterprises.industries import DIVISIONS as ALL_DIVISIONS

    rng = ctx.rng
    n = ctx.enterprise_count
    in_province = round(n * PROVINCE_SHARE)
    city_prefixes = [prefix for prefix, _zh, _en in ZHEJIANG_CITIES]
    ids = ctx.allocate("enterprises_enterprise", n)
    now = timezone.now()
    codes: set[str] = set()
    rows = []
    for index, pk in enumerate(ids):
        if index < in_province:
            city = city_prefixes[index % len(city_prefixes)]
            region = districts[city][(index // len(city_prefixes)) % len(districts[city])]
        else:
            region = districts["11"][index % len(districts["11"])]
        code = build_credit_code(region, "".join(rng.choice(ALPHABET) for _ in range(9)))
        while code in codes:
            code = build_credit_code(region, "".join(rng.choice(ALPHABET) for _ in range(9)))
        codes.add(code)
        division = DIVISIONS[index % len(DIVISIONS)]
        employees = rng.choice([rng.randint(12, 60), rng.randint(60, 280), rng.randint(280, 900)])
        size = "micro" if employees < 20 else "small" if employees < 300 else "medium"
        created = now - dt.timedelta(days=rng.randint(400, 1500))
        rows.append(
            (
                pk,
                f"基准企业{index:05d}有限公司",
                f"Bench Enterprise {index:05d} Co., Ltd.",
                code,
                region,
                "",
                division,
                ALL_DIVISIONS[division].section,
                size,
                employees,
                int(employees * rng.uniform(0.15, 0.65)),
                "active",
                None,
                created,
                created,
            )
        )
        ctx.enterprises.append(BenchEnterprise(pk, region, employees))
    ctx.copy(
        "enterprises_enterprise",
        [
            "id",
            "name_zh",
            "name_en",
            "credit_code",
            "region_id",
            "address",
            "industry_division",
            "industry_section",
            "size_class",
            "employees_total",
            "employees_women",
            "status",
            "archived_at",
            "created_at",
            "updated_at",
        ],
        rows,
    )


def bench_modules() -> list[Any]:
    modules = []
    for app_config in apps.get_app_configs():
        if not app_config.name.startswith("scorehub."):
            continue
        name = f"{app_config.name}.bench"
        try:
            modules.append(import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return modules


def floors() -> dict[str, Callable[[FloorContext], dict[str, dict[str, Any]]]]:
    result: dict[str, Callable[[FloorContext], dict[str, dict[str, Any]]]] = {}
    for module in bench_modules():
        result.update(getattr(module, "FLOORS", {}))
    return result


def generate(*, enterprise_count: int, years: int, seed: int, log: Callable[[str], None]) -> dict[str, Any]:
    from auditlog.context import disable_auditlog

    rng = random.Random(seed)  # noqa: S311 - synthetic data
    last = timezone.localdate().replace(day=1)
    last = _add_months(last, -1)
    months = [_add_months(last, -i) for i in range(12 * years - 1, -1, -1)]
    writer = RowWriter()
    ctx = BenchContext(enterprise_count=enterprise_count, years=years, rng=rng, writer=writer, months=months)
    started = time.perf_counter()
    with transaction.atomic(), disable_auditlog():
        districts = _ensure_regions(rng)
        _create_people()
        _generate_enterprises(ctx, districts)
        log(f"  enterprises: {len(ctx.enterprises):,} ({time.perf_counter() - started:.1f} s)")
        for module in bench_modules():
            hook = getattr(module, "generate", None)
            if hook is None:
                continue
            step = time.perf_counter()
            hook(ctx)
            log(f"  {module.__name__}: {time.perf_counter() - step:.1f} s")
        writer.reset_sequences()
    return {"seconds": round(time.perf_counter() - started, 1), "rows": dict(writer.counts)}


# ---------------------------------------------------------------------------------------------------
# The floor


@dataclass
class FloorContext:
    """What a floor query needs: an open cursor, the scope as SQL over the enterprise table, a period
    and an optional grouping (its key as SQL over the enterprise table aliased ``e``)."""

    cursor: Any
    scope_sql: str  # a condition on the enterprise table aliased "e" (e.g. "e.region_id LIKE %s")
    scope_params: tuple[Any, ...]
    period: Period
    grouping: Grouping | None = None

    @property
    def key_sql(self) -> str:
        if self.grouping is None:
            return "''"
        if self.grouping.kind == "region":
            return f"SUBSTR(e.region_id, 1, {int(self.grouping.length)})"
        if self.grouping.kind == "enterprise":
            return "e.id"
        raise ValueError(self.grouping.kind)


@dataclass
class Measured:
    scope: str
    kind: str
    user: str
    enterprises: int
    dashboard_ms: float
    dashboard_floor_ms: float
    api_ms: float
    api_floor_ms: float
    queries: int
    exact: bool
    mismatches: list[str]
    #: One run of the dashboard's floor, by source: where the floor's time goes.
    floor_by_source: dict[str, float] = field(default_factory=dict)

    @property
    def dashboard_ratio(self) -> float:
        return self.dashboard_ms / self.dashboard_floor_ms if self.dashboard_floor_ms else float("inf")

    @property
    def api_ratio(self) -> float:
        return self.api_ms / self.api_floor_ms if self.api_floor_ms else float("inf")


#: The bench repeats a quick measurement until it has taken about this long (up to ``MAX_RUNS`` runs),
#: so that the milliseconds of a single enterprise rest on more than a handful of samples.
MIN_SECONDS = 2.0
MAX_RUNS = 40


def _paired_median_ms(
    subject: Callable[[], Any], floor: Callable[[], Any], repeat: int, min_seconds: float = 0.0
) -> tuple[float, float, Any, Any]:
    """The median times of ``subject`` and of its ``floor``, run alternately after a warm-up of each.

    Alternating puts both under the same conditions: a slower spell of the machine (another process,
    a busy host) lands on both sides of the ratio instead of on one of them.  Answers both medians
    and both last results."""
    result, floor_result = subject(), floor()  # warm-up (plans, caches)
    times: list[float] = []
    floor_times: list[float] = []
    started = time.perf_counter()
    while len(times) < repeat or (time.perf_counter() - started < min_seconds and len(times) < MAX_RUNS):
        start = time.perf_counter()
        result = subject()
        middle = time.perf_counter()
        floor_result = floor()
        times.append((middle - start) * 1000)
        floor_times.append((time.perf_counter() - middle) * 1000)
    return statistics.median(times), statistics.median(floor_times), result, floor_result


def _scope_condition(scope: Any) -> tuple[str, tuple[Any, ...]]:
    obj = scope.object
    if scope.kind == "nation":
        return "1 = 1", ()
    if scope.kind == "enterprise":
        return "e.id = %s", (obj.pk,)
    return "e.region_id LIKE %s", (f"{obj.prefix}%",)


@dataclass(frozen=True)
class PageCodes:
    """Which indicators a dashboard shows per child and per enterprise (headline) and per month (trend)."""

    headline: frozenset[str]
    trend: frozenset[str]

    @classmethod
    def read(cls) -> PageCodes:
        from . import layer

        with layer.computation():
            return cls(
                frozenset(s.code for s in layer.headline_specs()), frozenset(s.code for s in layer.trend_specs())
            )


def _floor_run(
    scope: Any,
    period: Period,
    page_ids: list[int],
    *,
    dashboard: bool,
    codes: PageCodes | None = None,
    timings: dict[str, float] | None = None,
) -> dict[str, dict[str, dict[str, Any]]]:
    """The floor: every source's hand-written SQL for what the page (or the API) shows.  ``codes``
    (read once per measurement, not timed) says which indicators the page groups."""
    from . import layer

    floor_funcs = floors()
    condition, params = _scope_condition(scope)
    results: dict[str, dict[str, dict[str, Any]]] = {}
    codes = codes or PageCodes.read()
    headline, trend = codes.headline, codes.trend
    with connection.cursor() as cursor:
        for source in layer.discover():
            floor = floor_funcs.get(source.name)
            if floor is None:
                continue
            runs: list[tuple[str, Period, Grouping | None, str, tuple[Any, ...]]] = [
                ("current", period, None, condition, params),
                ("previous", period.previous(), None, condition, params),
            ]
            if dashboard:
                runs.append(("months", period, Grouping("month", codes=trend), condition, params))
                if scope.children and scope.child_grouping is not None:
                    by_child = Grouping("region", scope.child_grouping.length, headline)
                    runs.append(("children", period, by_child, condition, params))
                if page_ids:
                    placeholders = ", ".join(["%s"] * len(page_ids))
                    runs.append(
                        (
                            "page",
                            period,
                            Grouping("enterprise", codes=headline),
                            f"{condition} AND e.id IN ({placeholders})",
                            (*params, *page_ids),
                        )
                    )
            started = time.perf_counter()
            for name, p, grouping, cond, cond_params in runs:
                ctx = FloorContext(cursor, cond, cond_params, p, grouping)
                results.setdefault(name, {}).setdefault(source.name, {}).update(floor(ctx))
            if timings is not None:
                timings[source.name] = round((time.perf_counter() - started) * 1000, 1)
    return results


def _compare(api_json: dict[str, Any], floor_totals: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    """Codes whose API value differs from the floor's (sources without a floor are not compared)."""
    from .layer import json_number

    api = {item["code"]: item["value"] for item in api_json["indicators"]}
    mismatches = []
    for _source, by_key in floor_totals.items():
        for code, value in by_key.get("", {}).items():
            expected = json_number(value)
            got = api.get(code)
            if isinstance(expected, float) or isinstance(got, float):
                same = expected is not None and got is not None and abs(float(expected) - float(got)) < 1e-9
                same = same or (expected is None and got is None)
            else:
                same = expected == got
            if not same:
                mismatches.append(f"{code}: api {got!r} floor {expected!r}")
    return mismatches


def _measure_scope(kind: str, key: str, user: Any, period: Period, repeat: int, min_seconds: float = 0.0) -> Measured:
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from .periods import period_param
    from .scopes import resolve_scope

    client = Client()
    client.force_login(user)
    query = {"scope": key, "period": period_param(period)}
    scope = resolve_scope(user, key)
    count = scope.enterprises.count()
    page_ids: list[int] = []
    if scope.lists_enterprises:
        page_ids = list(scope.enterprises.order_by("name_zh", "pk").values_list("pk", flat=True)[:25])

    def page() -> Any:
        response = client.get("/indicators/", query)
        assert response.status_code == 200, response.status_code
        return response

    def api() -> Any:
        response = client.get("/api/v1/indicators/", query)
        assert response.status_code == 200, response.status_code
        return response.json()

    # The page's shape is not part of the floor: the indicators it groups are read once, untimed.
    codes = PageCodes.read()
    dashboard_ms, floor_ms, _page, floor_result = _paired_median_ms(
        page, lambda: _floor_run(scope, period, page_ids, dashboard=True, codes=codes), repeat, min_seconds
    )
    api_ms, api_floor_ms, api_json, _api_floor = _paired_median_ms(
        api, lambda: _floor_run(scope, period, [], dashboard=False, codes=codes), repeat, min_seconds
    )
    with CaptureQueriesContext(connection) as captured:
        page()
    by_source: dict[str, float] = {}
    _floor_run(scope, period, page_ids, dashboard=True, codes=codes, timings=by_source)
    mismatches = _compare(api_json, floor_result.get("current", {}))
    return Measured(
        scope=key,
        kind=kind,
        user=user.username,
        enterprises=count,
        dashboard_ms=round(dashboard_ms, 1),
        dashboard_floor_ms=round(floor_ms, 1),
        api_ms=round(api_ms, 1),
        api_floor_ms=round(api_floor_ms, 1),
        queries=len(captured.captured_queries),
        exact=not mismatches,
        mismatches=mismatches[:20],
        floor_by_source=by_source,
    )


def measure(*, repeat: int, log: Callable[[str], None], min_seconds: float = MIN_SECONDS) -> list[Measured]:
    from scorehub.accounts.models import User
    from scorehub.enterprises.models import Enterprise

    last = _add_months(timezone.localdate().replace(day=1), -1)
    period = Period(_add_months(last, -11), _add_months(last, 1) - dt.timedelta(days=1))
    enterprise = Enterprise.objects.filter(region_id="330503").order_by("pk").first()
    plans = [
        ("nation", "nation", "bench_admin"),
        ("province", "region:330000", "bench_province"),
        ("city", "region:330500", "bench_city"),
        ("district", "region:330503", "bench_district"),
        ("enterprise", f"enterprise:{enterprise.pk if enterprise else 0}", "bench_district"),
    ]
    from . import layer

    without = [s.name for s in layer.discover() if s.name not in floors()]
    if without:
        log(f"Sources without a floor (their time counts in the pages, not in the floor): {', '.join(without)}")
    results = []
    for kind, key, username in plans:
        measured = _measure_scope(kind, key, User.objects.get(username=username), period, repeat, min_seconds)
        results.append(measured)
        log(
            f"{kind:<10} {measured.enterprises:>7,}  dashboard {measured.dashboard_ms:>8.1f} ms"
            f"  floor {measured.dashboard_floor_ms:>8.1f} ms  ratio {measured.dashboard_ratio:>5.2f}"
            f"   api {measured.api_ms:>8.1f} ms  floor {measured.api_floor_ms:>8.1f} ms"
            f"  ratio {measured.api_ratio:>5.2f}   queries {measured.queries:>3}"
            f"  {'exact' if measured.exact else 'MISMATCH'}"
        )
        for line in measured.mismatches[:5]:
            log(f"           {line}")
    return results


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "database": connection.vendor,
    }
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            info["memory_gib"] = round(int(handle.readline().split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
        else:
            cursor.execute("SELECT sqlite_version()")
        info["database_version"] = cursor.fetchone()[0]
    return info


def write_json(path: Path, payload: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
