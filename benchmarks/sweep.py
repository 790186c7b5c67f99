"""Sweep benchmark: how long civicloop.cases.sweep.sweep takes over a district's open cases.

Builds a database of --open open cases (Core inserts straight into the cases table),
of which --crossing are due (half turning yellow, half turning red and escalating), then
times the sweep on fresh copies of the due rows (the median of --runs), a plain SQL
UPDATE of the same rows as the floor, and on PostgreSQL --sweepers sweepers at once,
checking that no case got two events.

    .venv/bin/python benchmarks/sweep.py [--db sqlite|postgresql|both] [--open 1000000] [--crossing 0.01]
"""
from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rich.console import Console  # noqa: E402
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import bindparam, func, insert, select, text, update  # noqa: E402

import common  # noqa: E402
from civicloop.cases.models import Case, CaseEvent  # noqa: E402
from civicloop.cases.sweep import sweep  # noqa: E402
from civicloop.db import make_engine  # noqa: E402
from civicloop.departments.models import Department  # noqa: E402

NOW = dt.datetime(2026, 11, 25, 10, 0)  # a Wednesday morning
MINUTE = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)
BATCH = 10_000
CHANNELS = ("hotline", "hotline", "hotline", "web", "app", "patrol")
console = Console()


# ---------------------------------------------------------------- the rows

def kind_of(case_id: int, every: int) -> str:
    """'yellow' / 'red' for the due rows (one in `every`), else 'future'."""
    if case_id % every:
        return "future"
    return "yellow" if (case_id // every) % 2 else "red"


def clock_fields(case_id: int, every: int) -> dict:
    """The clock columns of a handling case; due ones have next_check_at <= NOW."""
    kind = kind_of(case_id, every)
    step = 40.0
    if kind == "yellow":  # yellow_at passed minutes ago, the deadline is still hours ahead
        yellow_at = NOW - (1 + case_id % 240) * MINUTE
        deadline = yellow_at + 8 * HOUR
        return dict(step_hours=step, deadline=deadline, yellow_at=yellow_at, handle_deadline=deadline,
                    warning="green", next_check_at=yellow_at, overdue=False, escalation_level=0, version=4)
    if kind == "red":  # the handling deadline passed minutes ago
        deadline = NOW - (1 + case_id % 600) * MINUTE
        return dict(step_hours=step, deadline=deadline, yellow_at=deadline - 8 * HOUR, handle_deadline=deadline,
                    warning="yellow", next_check_at=deadline, overdue=False, escalation_level=0, version=5)
    yellow_at = NOW + (1 + case_id % 40_000) * MINUTE  # spread over the next four weeks
    deadline = yellow_at + 8 * HOUR
    return dict(step_hours=step, deadline=deadline, yellow_at=yellow_at, handle_deadline=deadline,
                warning="green", next_check_at=yellow_at, overdue=False, escalation_level=0, version=4)


def case_row(case_id: int, every: int, departments: list[int]) -> dict:
    reported = NOW - (3 + case_id % 200) * HOUR
    grid = f"{common.DISTRICT}{1 + case_id % 14:03d}{1 + case_id % 9:03d}{1 + case_id % 300:04d}"
    return dict(id=case_id, idempotency_key=None, request_hash=None, channel=CHANNELS[case_id % len(CHANNELS)],
                state="handling", title="路灯不亮", body="积玉桥某路段路灯连续三晚不亮, 请尽快修复",
                reporter_name="张三", reporter_phone="13812345678", reporter_user_id=None, created_by_id=None,
                address="武昌区积玉桥街道", lon=114.30 + (case_id % 997) / 50_000, lat=30.54 + (case_id % 991) / 50_000,
                district_code=common.DISTRICT, street_code=grid[:9], community_code=grid[:12], grid_code=grid,
                category_id=None, priority="normal", lead_department_id=departments[case_id % len(departments)],
                reported_at=reported, registered_at=reported + 10 * MINUTE, dispatched_at=reported + 20 * MINUTE,
                accepted_at=reported + HOUR, fed_back_at=None, closed_at=None, updated_at=reported + HOUR,
                time_basis="natural" if case_id % 10 == 3 else "working", remaining_hours=None,
                extension_hours=0.0, extension_requested_hours=None, return_count=0, rework_count=0,
                supervision_count=0, rating=None, rated_at=None, merged_into_id=None, resolution_note=None,
                **clock_fields(case_id, every))


def build(url: str, n_open: int, every: int) -> float:
    """Fill the cases table; returns the seconds it took."""
    engine = make_engine(url)
    started = time.perf_counter()
    with engine.begin() as conn:
        departments = []
        for code, name in (("cg", "区城管执法局"), ("zj", "区住建局"), ("sw", "区水务局")):
            departments.append(conn.execute(insert(Department).values(
                code=code, name=name, kind="bureau", district_code=common.DISTRICT, active=True)
                .returning(Department.id)).scalar_one())
    with Progress(TextColumn("  inserting open cases"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task("insert", total=n_open)
        for start in range(1, n_open + 1, BATCH):
            rows = [case_row(i, every, departments) for i in range(start, min(start + BATCH, n_open + 1))]
            with engine.begin() as conn:
                conn.execute(insert(Case.__table__), rows)
            bar.advance(task, len(rows))
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:  # explicit ids were given: later inserts continue after them
            conn.execute(text("SELECT setval(pg_get_serial_sequence('cases', 'id'), max(id)) FROM cases"))
    common.maintain(engine, ("cases", "case_events"))
    engine.dispose()
    return time.perf_counter() - started


_RESET = (update(Case.__table__).where(Case.__table__.c.id == bindparam("_id"))
          .values({c: bindparam(c) for c in ("version", "warning", "overdue", "escalation_level",
                                              "next_check_at", "updated_at")}))


def reset(engine, n_open: int, every: int) -> None:
    """Put the due rows back as they were before any sweep, and drop the events."""
    rows = []
    for case_id in range(every, n_open + 1, every):
        fields = clock_fields(case_id, every)
        rows.append({"_id": case_id, **{k: fields[k] for k in ("version", "warning", "overdue", "escalation_level",
                                                               "next_check_at")}, "updated_at": NOW - HOUR})
    with engine.begin() as conn:
        conn.execute(CaseEvent.__table__.delete())
        if rows:
            conn.execute(_RESET, rows)
    common.maintain(engine, ("cases", "case_events"))


# ---------------------------------------------------------------- the measurements

def events_check(engine) -> tuple[int, int, int]:
    """(events, cases with an event, cases with more than one)."""
    with engine.connect() as conn:
        total = conn.scalar(select(func.count()).select_from(CaseEvent))
        per_case = select(CaseEvent.case_id, func.count().label("n")).group_by(CaseEvent.case_id).subquery()
        cases = conn.scalar(select(func.count()).select_from(per_case))
        doubled = conn.scalar(select(func.count()).select_from(per_case).where(per_case.c.n > 1))
    return total, cases, doubled


def time_raw_update(engine) -> tuple[float, int]:
    started = time.perf_counter()
    with engine.begin() as conn:
        count = conn.execute(text("UPDATE cases SET warning = 'red' WHERE next_check_at <= :now"),
                             {"now": NOW}).rowcount
    return time.perf_counter() - started, count


def _sweeper(url: str, ready, go, out) -> None:
    engine = make_engine(url)
    with engine.connect() as conn:  # connect before the start, like a running service
        conn.execute(text("SELECT 1"))
    ready.put(True)
    go.wait()
    result = sweep(engine, now=NOW)
    out.put({"seconds": result.seconds, "checked": result.checked, "changed": result.yellow + result.red,
             "yellow": result.yellow, "red": result.red, "escalated": result.escalated, "batches": result.batches})
    engine.dispose()


def concurrent_sweeps(url: str, n: int, quiet_wait: float) -> dict:
    ctx = mp.get_context("spawn")
    ready, go, out = ctx.Queue(), ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_sweeper, args=(url, ready, go, out), daemon=True) for _ in range(n)]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get(timeout=600)
    common.wait_quiet(console, quiet_wait)
    started = time.perf_counter()
    go.set()
    results = [out.get() for _ in procs]
    seconds = time.perf_counter() - started
    for p in procs:
        p.join()
    return {"sweepers": n, "wall_seconds": seconds, "per_sweeper": results}


def run(db: str, args) -> dict:
    every = max(1, round(1 / args.crossing)) if args.crossing > 0 else args.open + 1
    due = args.open // every
    console.rule(f"[bold]sweep on {db}: {args.open:,} open cases, {due:,} due")
    url = common.fresh_database(db, f"civicloop_bench_sweep{args.tag}", args.pg_url)
    build_seconds = build(url, args.open, every)
    console.print(f"  built in {build_seconds:.0f} s")
    engine = make_engine(url)
    runs, raws = [], []
    for number in range(args.runs):
        reset(engine, args.open, every)
        quiet = [common.wait_quiet(console, args.quiet_wait)]
        raw_seconds, raw_rows = time_raw_update(engine)
        reset(engine, args.open, every)
        quiet.append(common.wait_quiet(console, args.quiet_wait))
        result = sweep(engine, now=NOW)
        events, cases_with_event, doubled = events_check(engine)
        again = sweep(engine, now=NOW)  # the same instant again: nothing left to do
        runs.append({"seconds": result.seconds, "checked": result.checked, "changed": result.yellow + result.red,
                     "yellow": result.yellow, "red": result.red, "escalated": result.escalated,
                     "batches": result.batches, "events": events, "cases_with_event": cases_with_event,
                     "cases_with_two_events": doubled, "second_sweep_checked": again.checked,
                     "other_cores_before_raw_and_sweep": quiet})
        raws.append({"seconds": raw_seconds, "rows": raw_rows})
        console.print(f"  run {number + 1}: sweep {result.seconds:.3f} s ({result.yellow:,} yellow, "
                      f"{result.red:,} red, {events:,} events); raw UPDATE {raw_seconds:.3f} s ({raw_rows:,} rows)")
    concurrent = None
    if db == "postgresql" and args.sweepers > 1:
        reset(engine, args.open, every)
        concurrent = concurrent_sweeps(url, args.sweepers, args.quiet_wait)
        events, cases_with_event, doubled = events_check(engine)
        concurrent.update(events=events, cases_with_event=cases_with_event, cases_with_two_events=doubled,
                          changed=sum(r["changed"] for r in concurrent["per_sweeper"]))
        console.print(f"  {args.sweepers} sweepers at once: {concurrent['wall_seconds']:.3f} s, "
                      f"{concurrent['changed']:,} changed, {events:,} events, {doubled} cases with two events")
    engine.dispose()
    if not args.keep:
        common.drop_database(url, args.pg_url)
    sweep_s = common.median([r["seconds"] for r in runs])
    raw_s = common.median([r["seconds"] for r in raws])
    problems = [f"run {i + 1}: {what}" for i, r in enumerate(runs) for what in (
        [f"{r['changed']} changed, expected {due}"] * (r["changed"] != due)
        + [f"{r['events']} events, expected {due}"] * (r["events"] != due)
        + [f"{r['cases_with_two_events']} cases with two events"] * bool(r["cases_with_two_events"])
        + [f"a second sweep still found {r['second_sweep_checked']}"] * bool(r["second_sweep_checked"]))]
    if concurrent and (concurrent["events"] != due or concurrent["changed"] != due
                       or concurrent["cases_with_two_events"]):
        problems.append(f"concurrent: {concurrent['changed']} changed, {concurrent['events']} events, "
                        f"{concurrent['cases_with_two_events']} cases with two events (expected {due}, {due}, 0)")
    return {"db": db, "open": args.open, "due": due, "build_seconds": build_seconds, "runs": runs,
            "raw_update": raws, "sweep_seconds_median": sweep_s, "raw_update_seconds_median": raw_s,
            "ratio_to_raw": sweep_s / raw_s if raw_s else None, "concurrent": concurrent,
            "aim_seconds": 2.0, "problems": problems}


def summary(results: list[dict]) -> None:
    table = Table(title="sweep (median of runs)")
    for column in ("db", "open", "due", "runs", "sweep s", "events", "raw UPDATE s", "× raw", "< 2 s"):
        table.add_column(column, justify="right")
    for r in results:
        table.add_row(r["db"], f"{r['open']:,}", f"{r['due']:,}", str(len(r["runs"])),
                      f"{r['sweep_seconds_median']:.3f}", f"{r['runs'][-1]['events']:,}",
                      f"{r['raw_update_seconds_median']:.3f}",
                      f"{r['ratio_to_raw']:.1f}" if r["ratio_to_raw"] else "-",
                      "yes" if r["sweep_seconds_median"] < r["aim_seconds"] else "no")
    console.print(table)
    for r in results:
        if c := r["concurrent"]:
            console.print(f"{r['db']}: {c['sweepers']} sweepers at once took {c['wall_seconds']:.3f} s, "
                          f"{c['events']:,} events, {c['cases_with_two_events']} cases with two events")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common.add_common_arguments(parser)
    parser.add_argument("--open", type=int, default=1_000_000, help="open cases in the table")
    parser.add_argument("--crossing", type=float, default=0.01, help="share of them due now")
    parser.add_argument("--runs", type=int, default=3, help="timed sweeps, each on a fresh copy of the due rows")
    parser.add_argument("--sweepers", type=int, default=3, help="concurrent sweepers on PostgreSQL")
    args = parser.parse_args(argv)
    dbs, info = common.start(args, console)
    results = [run(db, args) for db in dbs]
    summary(results)
    return common.finish("sweep", results, args, info, console)


if __name__ == "__main__":
    sys.exit(main())
