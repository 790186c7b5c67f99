"""What both benchmarks share: fresh databases, the machine description, the world
(district, categories, departments, people) and the result file."""
from __future__ import annotations

import datetime as dt
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

import civicloop.models  # noqa: F401 — every table on Base.metadata
from civicloop.cases.lifecycle import Actor, Role
from civicloop.db import engine_for, make_engine, transaction
from civicloop.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
VAR = Path("var/bench")  # under the working directory, like the application's own var/
RESULTS = Path(__file__).resolve().parent / "results"
# The server, not a database: each benchmark makes its own databases there and drops them.
PG_URL = os.environ.get("CIVICLOOP_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
DISTRICT = "420106"
MONDAY = dt.datetime(2026, 11, 23, 9, 0)  # a plain working Monday
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- databases

def _admin(pg_url: str):
    return create_engine(pg_url, isolation_level="AUTOCOMMIT")


def database_url(db: str, name: str, pg_url: str = PG_URL) -> str:
    if db == "sqlite":
        return f"sqlite:///{VAR / f'{name}.db'}"
    return make_url(pg_url).set(database=name).render_as_string(hide_password=False)


def fresh_database(db: str, name: str, pg_url: str = PG_URL) -> str:
    """An empty, migrated database named `name`; any earlier one of that name is dropped."""
    url = database_url(db, name, pg_url)
    drop_database(url, pg_url)
    if db == "postgresql":
        with _admin(pg_url).connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    upgrade(url)
    return url


def drop_database(url: str, pg_url: str = PG_URL) -> None:
    engine_for(url).dispose()  # the migrations' cached engine would keep the old database open
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
        return
    with _admin(pg_url).connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))


def maintain(engine, tables: tuple[str, ...]) -> None:
    """Fresh statistics and no dead rows, so every timed run starts from the same tables."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in tables:
                conn.execute(text(f"VACUUM ANALYZE {table}"))
    else:
        raw = engine.raw_connection()  # outside the engine's BEGIN IMMEDIATE: a checkpoint needs that
        try:
            raw.execute("ANALYZE")
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()


# ---------------------------------------------------------------- the machine

def machine(pg_url: str | None = None) -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
                if line.startswith("model name")), platform.processor() or "unknown")
    mem_kb = next((int(line.split()[1]) for line in _read("/proc/meminfo").splitlines()
                   if line.startswith("MemTotal:")), 0)
    info = {"cpu": cpu, "cores": os.cpu_count(), "ram_gib": round(mem_kb / 2**20, 1),
            "os": platform.platform(), "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "load_average": " ".join(_read("/proc/loadavg").split()[:3]) or "0"}
    if pg_url:
        with _admin(pg_url).connect() as conn:
            info["postgresql"] = conn.scalar(text("SHOW server_version"))
            info["postgresql_settings"] = {name: conn.scalar(text(f"SHOW {name}")) for name in
                                           ("shared_buffers", "synchronous_commit", "fsync", "max_connections")}
    return info


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


# ---------------------------------------------------------------- other load on the machine

def cpu_counters() -> tuple[float, float]:
    """(busy, wall) seconds of all cores together, from /proc/stat (zeros where there is none)."""
    line = _read("/proc/stat").split("\n", 1)[0].split()
    if not line or line[0] != "cpu":
        return 0.0, 0.0
    ticks = [int(v) for v in line[1:9]]  # user nice system idle iowait irq softirq steal
    idle = ticks[3] + ticks[4]
    return (sum(ticks) - idle) / CLOCK_TICKS, sum(ticks) / CLOCK_TICKS


def busy_cores(before: tuple[float, float], after: tuple[float, float], ours: float = 0.0) -> float:
    """Cores kept busy between two cpu_counters() readings by anything but `ours` CPU seconds."""
    wall = (after[1] - before[1]) / (os.cpu_count() or 1)
    return max(0.0, (after[0] - before[0] - ours) / wall) if wall > 0 else 0.0


def wait_quiet(console, limit: float, threshold: float = 0.3) -> float | None:
    """Wait (at most `limit` seconds) until other processes keep fewer than `threshold`
    cores busy; returns the last reading (None with limit 0: not looked at): other
    services and processes may share the machine."""
    if limit <= 0:
        return None
    deadline = time.monotonic() + limit
    while True:
        before = cpu_counters()
        time.sleep(2)
        busy = busy_cores(before, cpu_counters())
        if busy < threshold or time.monotonic() >= deadline:
            if busy >= threshold:
                console.print(f"[yellow]  still {busy:.1f} cores busy with other work after {limit:.0f} s: "
                              "measuring anyway[/]")
            return busy
        console.print(f"  waiting for a quiet machine ({busy:.1f} cores busy with other work)")
        time.sleep(3)


# ---------------------------------------------------------------- figures

def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def median(values):
    return statistics.median(values) if values else 0.0


def write_result(name: str, payload: dict, directory: Path = RESULTS) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n")
    return path


def finish(name: str, results: list[dict], args, info: dict, console) -> int:
    """Write each database's result file and print the problems; the exit code (1 for any)."""
    for r in results:
        path = write_result(f"{name}-{r['db']}", {
            "benchmark": name, "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "commit": git_commit(), "machine": info,
            "args": {k: v for k, v in vars(args).items() if k not in ("pg_url", "results")}, **r}, args.results)
        console.print(f"  wrote {path}")
    problems = [f"{r['db']}: {p}" for r in results for p in r["problems"]]
    for p in problems:
        console.print(f"[red]FAILED[/] {p}")
    return 1 if problems else 0


def git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


# ---------------------------------------------------------------- the world

@dataclass
class World:
    """What a worker needs to drive cases: where they happen, what they are, who acts."""
    kind: str                                   # "real 420106" or "hand-made"
    points: list[tuple[float, float]]           # lon/lat (GCJ-02) inside the district
    categories: list[int]                       # leaf categories that route to a department
    operator: Actor = None
    dispatcher: Actor = None
    handlers: dict[int, Actor] = field(default_factory=dict)  # department id -> a handler of it


def build_world(url: str, *, cell_area_m2: float | None = None) -> World:
    """The real district 420106 (at a coarser grid when asked: quick for smoke tests)."""
    engine = make_engine(url)
    try:
        return _real_world(engine, cell_area_m2)
    finally:
        engine.dispose()


def _people(session, department_ids) -> tuple[Actor, Actor, dict[int, Actor]]:
    from civicloop.users.models import User

    operator = User(username="bench-operator", name="受理员", role="operator")
    dispatcher = User(username="bench-dispatcher", name="派遣员", role="dispatcher")
    handlers = {dep: User(username=f"bench-handler-{dep}", name="承办人", role="handler", department_id=dep)
                for dep in department_ids}
    session.add_all([operator, dispatcher, *handlers.values()])
    session.flush()
    return (Actor(operator.id, Role.OPERATOR), Actor(dispatcher.id, Role.DISPATCHER),
            {dep: Actor(u.id, Role.HANDLER, department_id=dep) for dep, u in handlers.items()})


def _real_world(engine, cell_area_m2: float | None) -> World:
    from civicloop.categories.models import Category
    from civicloop.categories.service import import_builtin
    from civicloop.departments import routing
    from civicloop.departments.models import Department
    from civicloop.departments.seed import seed_district
    from civicloop.regions.models import GridCell
    from civicloop.regions.service import init_district

    with transaction(engine) as s:
        init_district(s, DISTRICT, cell_area_m2=cell_area_m2)
    with transaction(engine) as s:
        import_builtin(s)
    with transaction(engine) as s:
        seed_district(s, DISTRICT)
    with transaction(engine) as s:
        cells = s.execute(select(GridCell.center_lon, GridCell.center_lat, GridCell.community_code)
                          .where(GridCell.district_code == DISTRICT).order_by(GridCell.code)).all()
        leaves = s.scalars(select(Category.id).where(Category.level == 3).order_by(Category.code)).all()
        # Keep the categories the default rules route everywhere (tried on one cell of each street).
        streets = {c.community_code[:9]: c for c in cells}
        routable = []
        for category_id in leaves:
            try:
                for cell in streets.values():
                    routing.route(s, category_id=category_id, community_code=cell.community_code,
                                  street_code=cell.community_code[:9], district_code=DISTRICT)
            except Exception:  # noqa: BLE001 — unroutable here: not used by the benchmark
                continue
            routable.append(category_id)
        departments = s.scalars(select(Department.id).where(Department.district_code == DISTRICT)).all()
        operator, dispatcher, handlers = _people(s, departments)
    return World(f"real district {DISTRICT} ({len(cells)} grid cells, {len(routable)} routable leaf categories)",
                 [(c.center_lon, c.center_lat) for c in cells], routable, operator, dispatcher, handlers)


def add_common_arguments(parser) -> None:
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg-url", default=PG_URL, help="the PostgreSQL server (env CIVICLOOP_BENCH_PG_URL)")
    parser.add_argument("--tag", default="", help="suffix of the benchmark databases' names")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the JSON results go")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark databases afterwards")
    parser.add_argument("--quiet-wait", type=float, default=120,
                        help="seconds to wait at most for other processes to go quiet before each measurement")


def start(args, console) -> tuple[tuple[str, ...], dict]:
    """The databases asked for, and the machine, printed."""
    dbs = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    info = machine(args.pg_url if "postgresql" in dbs else None)
    console.print(f"[bold]machine[/]: {info['cpu']}, {info['cores']} cores, {info['ram_gib']} GiB, "
                  f"Python {info['python']}, SQLite {info['sqlite']}"
                  + (f", PostgreSQL {info['postgresql']}" if "postgresql" in info else "")
                  + f"; load average {info['load_average']}")
    return dbs, info
