"""Lifecycle benchmark: cases through the whole closed loop, through the service layer.

Each case goes create → register → dispatch (the routing's department) → accept →
feedback → verify_pass, every step its own transaction (civicloop.db.transaction +
service.create_case / service.act), driven by W worker processes with an engine each.
Reports cases/s, transitions/s and p50/p99 per action, checks the database holds exactly
N cases and 6N events, and on PostgreSQL compares with pgbench's simple-update run
against the same server with as many clients.

The assessment's figures follow the cases as in the server: one more process catches the
rollup up every second, as the sweep's lease holder does (assess/rollup.catch_up), during
the run; what it has left when the workers finish is caught up and timed after, and the
figures are checked to hold every case closed. "Figures current" is the transitions over
the run and that tail.

    .venv/bin/python benchmarks/lifecycle.py [--db sqlite|postgresql|both] [--cases N] [--workers W]
"""
from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import multiprocessing as mp
import os
import pstats
import queue
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rich.console import Console  # noqa: E402
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,  # noqa: E402
                           TimeRemainingColumn)
from rich.table import Table  # noqa: E402
from sqlalchemy import create_engine, event, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

import common  # noqa: E402
from civicloop.assess import rollup  # noqa: E402
from civicloop.assess.models import CaseFacts, RollupPending  # noqa: E402
from civicloop.cases import service  # noqa: E402
from civicloop.cases.models import Case, CaseEvent  # noqa: E402
from civicloop.db import make_engine, transaction  # noqa: E402

ACTIONS = ("create", "register", "dispatch", "accept", "feedback", "verify_pass")
MINUTE = dt.timedelta(minutes=1)
PROGRESS_EVERY = 10  # cases between progress messages: a queue put per case would be measurable
console = Console()


# ---------------------------------------------------------------- one case

class Meter:
    """Per action: wall time of the whole transaction, time waiting in the driver, commit
    time, statements, and CPU spent in this process and in its PostgreSQL backend."""

    KINDS = ("wall", "sql", "commit", "statements", "cpu", "server_cpu")

    def __init__(self, engine, backend_pid: int | None = None):
        self.backend_pid = backend_pid
        self.statements = 0
        self.sql_seconds = 0.0
        self._started = 0.0
        self.samples = {a: {k: [] for k in self.KINDS} for a in ACTIONS}
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, *_):
        self._started = time.perf_counter()

    def _after(self, *_):
        self.sql_seconds += time.perf_counter() - self._started
        self.statements += 1

    def run(self, engine, action: str, body):
        """Run body(session) in its own transaction and record its costs."""
        statements, sql, server = self.statements, self.sql_seconds, backend_cpu(self.backend_pid)
        cpu, started = time.process_time(), time.perf_counter()
        with transaction(engine) as session:
            result = body(session)
            body_done = time.perf_counter()
        ended = time.perf_counter()
        s = self.samples[action]
        s["wall"].append(ended - started)
        s["commit"].append(ended - body_done)
        s["sql"].append(self.sql_seconds - sql)
        s["statements"].append(self.statements - statements)
        s["cpu"].append(time.process_time() - cpu)
        s["server_cpu"].append(backend_cpu(self.backend_pid) - server)
        return result


def backend_cpu(pid: int | None) -> float:
    """CPU seconds used so far by a PostgreSQL backend on this machine (0 when not local).
    Counted in clock ticks: exact only summed over many actions."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / common.CLOCK_TICKS  # utime + stime


def drive_case(engine, world: common.World, meter: Meter, k: int) -> None:
    lon, lat = world.points[k % len(world.points)]
    category = world.categories[k % len(world.categories)]
    at = common.MONDAY + (k % 60) * MINUTE
    intake = service.NewCase(channel="hotline", title="路灯不亮", body=f"积玉桥某路段路灯连续三晚不亮 ({k})",
                             district_code=common.DISTRICT, reporter_name="张三", reporter_phone="13812345678",
                             lon=lon, lat=lat, category=category)
    case = meter.run(engine, "create", lambda s: service.create_case(s, intake, actor=world.operator, now=at).case)

    def act(action, actor, minutes, **kw):
        return meter.run(engine, action, lambda s: service.act(
            s, case.id, service.ActionInput(action=action, **kw), actor=actor, now=at + minutes * MINUTE))

    act("register", world.dispatcher, 5)
    dispatched = act("dispatch", world.dispatcher, 10)  # department_id None: the routing's choice
    handler = world.handlers[dispatched.lead_department_id]
    act("accept", handler, 30)
    act("feedback", handler, 120, note="已修复")
    act("verify_pass", world.dispatcher, 180)


# ---------------------------------------------------------------- workers

def warm_up(engine, world: common.World) -> int | None:
    """Connect and load the calendar, categories and grid before the clock starts; the
    PostgreSQL backend's pid (the pool hands a sequential worker the same connection)."""
    from civicloop.cases import clock
    from civicloop.regions.locator import locator_for

    with transaction(engine) as session:
        clock.calendar(session)
        clock.limits_for(session, world.categories[0])
        locator_for(session, common.DISTRICT)
        if engine.dialect.name == "postgresql":
            return session.scalar(text("SELECT pg_backend_pid()"))
    return None


def _worker(url: str, world: common.World, ks: range, ready, go, progress, out) -> None:
    engine = make_engine(url)
    meter = Meter(engine, warm_up(engine, world))
    ready.put(os.getpid())
    go.wait()
    failures, done = [], 0
    for k in ks:
        try:
            drive_case(engine, world, meter, k)
        except Exception as exc:  # noqa: BLE001 — counted and reported, never hidden
            failures.append(f"case {k}: {exc.__class__.__name__}: {exc}")
        done += 1
        if done % PROGRESS_EVERY == 0:
            progress.put(PROGRESS_EVERY)
    progress.put(done % PROGRESS_EVERY)
    out.put({"samples": meter.samples, "failures": failures})
    engine.dispose()


def _catch_up_loop(url: str, every: float, batch: int, ready, go, stop, out) -> None:
    """The sweep holder's part: rollup.catch_up every `every` seconds until `stop`; then
    the rest, timed."""
    engine = make_engine(url)
    ready.put(os.getpid())
    go.wait()
    taken, cpu = 0, time.process_time()
    while not stop.wait(every):
        taken += rollup.catch_up(engine, batch=batch, wait=False)
    cpu, started = time.process_time() - cpu, time.perf_counter()
    tail = rollup.catch_up(engine)
    out.put({"during": taken, "tail": tail, "tail_seconds": time.perf_counter() - started, "cpu_seconds": cpu})
    engine.dispose()


def run_workers(url: str, world: common.World, n_cases: int, workers: int, label: str, quiet_wait: float,
                catch_up_every: float = 1.0, catch_up_batch: int = rollup.REFRESH_CHUNK) -> dict:
    ctx = mp.get_context("spawn")  # no engine or connection crosses into a worker
    ready, go, stop, progress, out, caught = ctx.Queue(), ctx.Event(), ctx.Event(), ctx.Queue(), ctx.Queue(), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(url, world, range(w, n_cases, workers), ready, go, progress, out),
                         daemon=True) for w in range(workers)]
    catcher = ctx.Process(target=_catch_up_loop, args=(url, catch_up_every, catch_up_batch, ready, go, stop, caught), daemon=True)
    for p in (*procs, catcher):
        p.start()
    for _ in (*procs, catcher):
        ready.get(timeout=600)
    quiet = common.wait_quiet(console, quiet_wait)
    results = []
    with Progress(TextColumn(f"  {label}"), BarColumn(), MofNCompleteColumn(), TextColumn("cases"),
                  TimeElapsedColumn(), TimeRemainingColumn(), console=console) as bar:
        task = bar.add_task(label, total=n_cases)
        counters, started = common.cpu_counters(), time.perf_counter()
        go.set()
        while len(results) < workers:
            try:
                bar.advance(task, progress.get(timeout=0.2))
            except queue.Empty:
                pass
            while True:
                try:
                    results.append(out.get_nowait())
                except queue.Empty:
                    break
            if any(p.exitcode not in (None, 0) for p in procs):
                raise RuntimeError("a worker process died")
        wall, counters = time.perf_counter() - started, (counters, common.cpu_counters())
        while True:
            try:
                bar.advance(task, progress.get_nowait())
            except queue.Empty:
                break
    stop.set()
    catching = caught.get(timeout=3600)
    for p in (*procs, catcher):
        p.join()
    samples = {a: {k: [] for k in Meter.KINDS} for a in ACTIONS}
    for r in results:
        for a in ACTIONS:
            for k, values in r["samples"][a].items():
                samples[a][k] += values
    ours = sum(sum(samples[a][k]) for a in ACTIONS for k in ("cpu", "server_cpu")) + catching["cpu_seconds"]
    return {"wall_seconds": wall, "samples": samples, "failures": [f for r in results for f in r["failures"]],
            "catch_up": catching,
            "other_cores_before": quiet, "other_cores_during": common.busy_cores(*counters, ours=ours)}


# ---------------------------------------------------------------- checks and figures

def verify(url: str, n_cases: int) -> dict:
    engine = make_engine(url)
    with engine.connect() as conn:
        cases = conn.scalar(select(func.count()).select_from(Case))
        closed = conn.scalar(select(func.count()).select_from(Case).where(Case.state == "closed"))
        events = conn.scalar(select(func.count()).select_from(CaseEvent))
        actions = dict(conn.execute(select(CaseEvent.action, func.count()).group_by(CaseEvent.action)).all())
        kept_closed = conn.scalar(select(func.count()).select_from(CaseFacts).where(CaseFacts.closed == 1))
        pending = conn.scalar(select(func.count()).select_from(RollupPending))
    engine.dispose()
    expected_actions = {"report": n_cases, **{a: n_cases for a in ACTIONS[1:]}}
    problems = []
    if cases != n_cases or closed != n_cases:
        problems.append(f"{cases} cases, {closed} closed; expected {n_cases} and {n_cases}")
    if events != 6 * n_cases or actions != expected_actions:
        problems.append(f"{events} events {actions}; expected {6 * n_cases}")
    if kept_closed != n_cases or pending:
        problems.append(f"the figures hold {kept_closed} cases closed, {pending} waiting; expected {n_cases} and 0")
    return {"cases": cases, "closed": closed, "events": events, "events_by_action": actions,
            "figures_closed": kept_closed, "problems": problems}


def figures(run: dict, n_cases: int) -> dict:
    per_action = {}
    for a in ACTIONS:
        s = run["samples"][a]
        n = len(s["wall"]) or 1
        per_action[a] = {"calls": len(s["wall"]),
                         "p50_ms": common.percentile(s["wall"], 50) * 1e3,
                         "p99_ms": common.percentile(s["wall"], 99) * 1e3,
                         "mean_ms": sum(s["wall"]) / n * 1e3,
                         "sql_mean_ms": sum(s["sql"]) / n * 1e3,
                         "commit_mean_ms": sum(s["commit"]) / n * 1e3,
                         "statements_mean": sum(s["statements"]) / n,
                         "cpu_mean_ms": sum(s["cpu"]) / n * 1e3,
                         "server_cpu_mean_ms": sum(s["server_cpu"]) / n * 1e3}
    transitions = sum(len(run["samples"][a]["wall"]) for a in ACTIONS)
    caught = run["catch_up"]
    return {"wall_seconds": run["wall_seconds"], "cases_per_s": n_cases / run["wall_seconds"],
            # the rollup's catching up: during the run (every second) and what was left after it
            "catch_up": caught,
            "transitions_per_s_figures_current": transitions / (run["wall_seconds"] + caught["tail_seconds"]),
            # cores kept busy by other processes (and, during the run, by our own driver and server
            # processes beyond the measured actions: the checkpointer, WAL writer, progress bar)
            "other_cores_before": run["other_cores_before"], "other_cores_during": run["other_cores_during"],
            "transitions": transitions, "transitions_per_s": transitions / run["wall_seconds"],
            # CPU per transition: the workers' Python, and their PostgreSQL backends (0 on SQLite)
            "client_cpu_ms_per_transition": sum(sum(run["samples"][a]["cpu"]) for a in ACTIONS) / transitions * 1e3,
            "server_cpu_ms_per_transition": sum(sum(run["samples"][a]["server_cpu"]) for a in ACTIONS)
            / transitions * 1e3,
            "per_action": per_action}


# ---------------------------------------------------------------- pgbench

def pgbench(pg_url: str, clients: int, seconds: int, tag: str, quiet_wait: float) -> dict:
    exe = shutil.which("pgbench") or next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"))), None)
    if exe is None:
        raise RuntimeError("pgbench not found: apt-get install postgresql-contrib (or postgresql-client)")
    url = make_url(pg_url)
    name = f"civicloop_bench_pgbench{tag}"
    env = {**os.environ, "PGHOST": url.host or "127.0.0.1", "PGPORT": str(url.port or 5432),
           "PGUSER": url.username or "postgres"}
    if url.password:
        env["PGPASSWORD"] = url.password
    eng = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        subprocess.run([str(exe), "-i", "-s", "10", "-q", name], env=env, check=True, capture_output=True)
        jobs = min(2, clients)
        quiet = common.wait_quiet(console, quiet_wait)
        console.print(f"  pgbench with {clients} clients for {seconds} s …")
        done = subprocess.run([str(exe), "-N", "-c", str(clients), "-j", str(jobs), "-T", str(seconds), name],
                              env=env, check=True, capture_output=True, text=True)
    finally:
        with eng.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        eng.dispose()
    tps = float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", done.stdout).group(1))
    latency = re.search(r"latency average = ([\d.]+) ms", done.stdout)
    return {"command": f"pgbench -N -c {clients} -j {jobs} -T {seconds} (scale 10)", "tps": tps,
            "other_cores_before": quiet,
            "latency_avg_ms": float(latency.group(1)) if latency else None}


# ---------------------------------------------------------------- profile

def profile(url: str, world: common.World, n_cases: int) -> None:
    """One process, cProfile over n_cases: where a transition's time goes."""
    engine = make_engine(url)
    meter = Meter(engine, warm_up(engine, world))
    drive_case(engine, world, meter, 10**6)  # warm the caches outside the profile
    profiler = cProfile.Profile()
    profiler.enable()
    for k in range(n_cases):
        drive_case(engine, world, meter, k)
    profiler.disable()
    path = common.VAR / f"lifecycle-{engine.dialect.name}.prof"
    path.parent.mkdir(parents=True, exist_ok=True)
    profiler.dump_stats(path)
    console.print(f"  profile of {n_cases} cases written to {path} (snakeviz / pstats)")
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(25)
    engine.dispose()


# ---------------------------------------------------------------- main

def run(db: str, args, worlds: dict) -> list[dict]:
    workers = (1,) if args.profile else args.workers or ((1, 2) if db == "sqlite" else (4,))
    out = []
    for w in workers:
        console.rule(f"[bold]lifecycle on {db}: {args.cases:,} cases × 6 transitions, {w} worker process(es)")
        url = common.fresh_database(db, f"civicloop_bench_lifecycle{args.tag}", args.pg_url)
        started = time.perf_counter()
        world = common.build_world(url, cell_area_m2=args.cell_area)
        console.print(f"  world: {world.kind} (built in {time.perf_counter() - started:.1f} s)")
        worlds[db] = world.kind
        if args.profile:
            profile(url, world, args.cases)
            common.drop_database(url, args.pg_url)
            continue
        result = run_workers(url, world, args.cases, w, f"{db} W={w}", args.quiet_wait,
                             catch_up_batch=args.catch_up_batch)
        checked = verify(url, args.cases)
        if not args.keep:
            common.drop_database(url, args.pg_url)
        out.append({"db": db, "workers": w, "cases": args.cases, "world": world.kind, **figures(result, args.cases),
                    "verified": checked, "failures": result["failures"][:20], "failure_count": len(result["failures"])})
    return out


def summary(results: list[dict], bench: dict[int, dict]) -> None:
    table = Table(title="lifecycle: 6 transitions per case, each its own transaction")
    for column in ("db", "W", "cases", "cases/s", "transitions/s", "× pgbench", "figures current: transitions/s",
                   "caught up during / after (s)", "CPU ms/transition: Python + server", "other load", "failed",
                   "verified"):
        table.add_column(column, justify="right")
    for r in results:
        ratio = f"{r['ratio_to_pgbench']:.2f}" if r.get("ratio_to_pgbench") else "-"
        table.add_row(r["db"], str(r["workers"]), f"{r['cases']:,}", f"{r['cases_per_s']:,.0f}",
                      f"{r['transitions_per_s']:,.0f}", ratio, f"{r['transitions_per_s_figures_current']:,.0f}",
                      f"{r['catch_up']['during']:,} / {r['catch_up']['tail']:,} ({r['catch_up']['tail_seconds']:.2f})",
                      f"{r['client_cpu_ms_per_transition']:.2f} + {r['server_cpu_ms_per_transition']:.2f}",
                      f"{r['other_cores_during']:.2f} cores", str(r["failure_count"]),
                      "ok" if not r["verified"]["problems"] else "NO")
    console.print(table)
    for one in bench.values():
        console.print(f"pgbench: {one['command']}: {one['tps']:,.0f} tps (latency {one['latency_avg_ms']} ms)")
    actions = Table(title="per action, ms (wall time of the whole transaction)")
    for column in ("db", "W", "action", "p50", "p99", "mean", "in driver", "commit", "statements",
                   "Python CPU", "server CPU"):
        actions.add_column(column, justify="right")
    for r in results:
        for a, f in r["per_action"].items():
            actions.add_row(r["db"], str(r["workers"]), a, f"{f['p50_ms']:.2f}", f"{f['p99_ms']:.2f}",
                            f"{f['mean_ms']:.2f}", f"{f['sql_mean_ms']:.2f}", f"{f['commit_mean_ms']:.2f}",
                            f"{f['statements_mean']:.1f}", f"{f['cpu_mean_ms']:.2f}", f"{f['server_cpu_mean_ms']:.2f}")
    console.print(actions)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common.add_common_arguments(parser)
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--workers", type=int, action="append",
                        help="worker processes (repeatable); default 4 on PostgreSQL, 1 and 2 on SQLite")
    parser.add_argument("--pgbench-seconds", type=int, default=25, help="0 skips pgbench")
    parser.add_argument("--cell-area", type=float, default=None,
                        help="grid cell area in m² (default 10,000; larger builds the district faster)")
    parser.add_argument("--catch-up-batch", type=int, default=rollup.REFRESH_CHUNK,
                        help="cases per transaction of the figures' catching up (default: the server's)")
    parser.add_argument("--profile", action="store_true", help="cProfile --cases cases in one process instead")
    args = parser.parse_args(argv)
    dbs, info = common.start(args, console)
    worlds: dict = {}
    results = [r for db in dbs for r in run(db, args, worlds)]
    if args.profile:
        return 0
    # pgbench with as many clients as each run had workers: the ratio compares like with like.
    pg_workers = sorted({r["workers"] for r in results if r["db"] == "postgresql"}) if args.pgbench_seconds else []
    bench = {w: pgbench(args.pg_url, w, args.pgbench_seconds, args.tag, args.quiet_wait) for w in pg_workers}
    for r in results:
        if r["db"] == "postgresql" and r["workers"] in bench:
            r["ratio_to_pgbench"] = r["transitions_per_s"] / bench[r["workers"]]["tps"]
    summary(results, bench)
    for db in dbs:
        mine = [r for r in results if r["db"] == db]
        payload = {"benchmark": "lifecycle", "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                   "commit": common.git_commit(), "machine": info, "world": worlds[db], "runs": mine,
                   "aims": {"transitions_per_s": 2000, "ratio_to_pgbench": 0.5}}
        if db == "postgresql" and bench:
            payload["pgbench"] = list(bench.values())
        path = common.write_result(f"lifecycle-{db}", payload, args.results)
        console.print(f"  wrote {path}")
    problems = [f"{r['db']} W={r['workers']}: {p}" for r in results
                for p in r["verified"]["problems"] + r["failures"][:5]]
    for p in problems:
        console.print(f"[red]FAILED[/] {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
