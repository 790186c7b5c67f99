"""Duplicates benchmark: the duplicate check of a draft among a district's open cases.

Loads --open open cases (real messages of civicloop/data/messages.csv, spread over the
grid cells of the real district 420106 and over the last --days days; Core inserts into
cases and case_search, so the full-text index is filled as intake fills it), then times
`duplicates.service.draft` + `candidates` — what POST /api/v1/duplicates/check runs, in
one read transaction — for --drafts new drafts: some rewritten copies of a loaded case
at its place (the case must be found), the others new messages at random places.

    .venv/bin/python benchmarks/duplicates.py [--db sqlite|postgresql|both] [--open 100000] [--drafts 1000]
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common
from lifecycle import backend_cpu
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from sqlalchemy import insert, select, text

from civicloop.cases.lifecycle import OPEN
from civicloop.cases.models import Case, CaseSearch
from civicloop.cases.search import tokens
from civicloop.db import make_engine, read_only, transaction
from civicloop.demo.messages import load_messages
from civicloop.duplicates import service

NOW = dt.datetime(2026, 11, 25, 10, 0)
BATCH = 5_000
OPEN_STATES = sorted(s.value for s in OPEN)
# Wordings people use for the same thing: a rewrite swaps them, reorders the sentences
# and leaves one out.
SYNONYMS = [("小区", "住宅小区"), ("希望", "盼望"), ("领导", "政府"), ("问题", "情况"), ("解决", "处理"),
            ("严重", "十分"), ("我们", "大家"), ("居民", "住户"), ("反映", "投诉"), ("现在", "目前")]
_SENTENCE = re.compile(r"[^。！？!?；;]+[。！？!?；;]?")
console = Console()


def rewrite(title: str, body: str, rng: random.Random) -> tuple[str, str]:
    sentences = [s for s in _SENTENCE.findall(body) if s.strip()]
    if len(sentences) > 2:
        sentences.pop(rng.randrange(len(sentences)))
    rng.shuffle(sentences)
    body = "".join(sentences)
    for old, new in SYNONYMS:
        body, title = body.replace(old, new), title.replace(old, new)
    return title, body


# ---------------------------------------------------------------- the district and its cases

def world(url: str, cell_area_m2: float | None) -> tuple[list, list[int]]:
    """The real district and the built-in categories, made."""
    from civicloop.categories.service import import_builtin
    from civicloop.regions.service import init_district

    engine = make_engine(url)
    with transaction(engine) as s:
        init_district(s, common.DISTRICT, cell_area_m2=cell_area_m2)
    with transaction(engine) as s:
        import_builtin(s)
    engine.dispose()
    return read_world(url)


def loaded(url: str) -> int | None:
    """How many cases a kept benchmark database holds (None: there is none)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(text("SELECT count(*) FROM cases"))
    except Exception:  # noqa: BLE001 — no such database or table: nothing to reuse
        return None
    finally:
        engine.dispose()


def read_world(url: str) -> tuple[list, list[int]]:
    """The district's grid cells (code, community, centre) and the leaf categories."""
    from civicloop.categories.models import Category
    from civicloop.regions.models import GridCell

    engine = make_engine(url)
    with transaction(engine) as s:
        cells = s.execute(select(GridCell.code, GridCell.community_code, GridCell.center_lon, GridCell.center_lat)
                          .where(GridCell.district_code == common.DISTRICT).order_by(GridCell.code)).all()
        leaves = s.scalars(select(Category.id).where(Category.level == 3).order_by(Category.code)).all()
    engine.dispose()
    return [tuple(c) for c in cells], list(leaves)


def case_row(case_id: int, rng: random.Random, cells: list, leaves: list[int], messages, days: float) -> dict:
    message = messages[case_id % len(messages)]
    code, community, lon, lat = cells[rng.randrange(len(cells))]
    reported = NOW - dt.timedelta(seconds=rng.randrange(int(days * 86_400)))
    return {"id": case_id, "version": 2, "channel": "hotline", "state": rng.choice(OPEN_STATES),
            "title": message.title, "body": message.body, "reporter_phone": "13812345678",
            "lon": lon + rng.uniform(-0.0004, 0.0004), "lat": lat + rng.uniform(-0.0004, 0.0004),
            "district_code": common.DISTRICT, "street_code": community[:9], "community_code": community,
            "grid_code": code, "category_id": rng.choice(leaves), "priority": "normal", "reported_at": reported,
            "updated_at": reported, "time_basis": "working", "extension_hours": 0.0, "warning": "green",
            "escalation_level": 0, "overdue": False, "return_count": 0, "rework_count": 0, "supervision_count": 0,
            "assists_pending": 0}



def load(url: str, n_open: int, cells: list, leaves: list[int], seed: int, days: float) -> float:
    """Fill cases and case_search in batches; returns the seconds it took."""
    engine = make_engine(url)
    rng, messages = random.Random(seed), load_messages()
    started = time.perf_counter()
    with Progress(TextColumn("  inserting open cases"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task("insert", total=n_open)
        for start in range(1, n_open + 1, BATCH):
            rows = [case_row(i, rng, cells, leaves, messages, days)
                    for i in range(start, min(start + BATCH, n_open + 1))]
            with engine.begin() as conn:
                conn.execute(insert(Case.__table__), rows)
                conn.execute(insert(CaseSearch.__table__),
                             [{"case_id": r["id"], "tokens": tokens(r["title"] + " " + r["body"])} for r in rows])
            bar.advance(task, len(rows))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":  # explicit ids were given: later inserts continue after them
            conn.execute(text("SELECT setval(pg_get_serial_sequence('cases', 'id'), max(id)) FROM cases"))
    common.maintain(engine, ("cases", "case_search"))
    engine.dispose()
    return time.perf_counter() - started


# ---------------------------------------------------------------- the drafts

def drafts(url: str, n: int, cells: list, leaves: list[int], seed: int, rewritten_share: float,
           recent_days: float) -> list[dict]:
    """Keyword arguments of `service.draft`, with `expect`: the case a rewrite must find."""
    rng, messages = random.Random(seed + 1), load_messages()
    engine = make_engine(url)
    out, grids = [], []
    with transaction(read_only(engine)) as s:
        # A rewrite repeats a case of the last few days: a copy from before the window is
        # rightly not a candidate (tests/duplicates), so it would say nothing here.
        recent = s.scalars(select(Case.id).where(Case.reported_at >= NOW - dt.timedelta(days=recent_days))).all()
        for _ in range(n):
            if rng.random() < rewritten_share:
                case = s.execute(select(Case.id, Case.title, Case.body, Case.lon, Case.lat, Case.category_id,
                                        Case.grid_code).where(Case.id == rng.choice(recent))).one()
                title, body = rewrite(case.title, case.body, rng)
                out.append({"title": title, "text": body, "lon": case.lon + rng.uniform(-0.0003, 0.0003),
                            "lat": case.lat + rng.uniform(-0.0003, 0.0003), "category": case.category_id,
                            "expect": case.id})
                grids.append(case.grid_code)
            else:
                message = rng.choice(messages)
                grid, _, lon, lat = rng.choice(cells)
                out.append({"title": message.title, "text": message.body, "lon": lon, "lat": lat,
                            "category": rng.choice(leaves), "expect": None})
                grids.append(grid)
        # A jittered point may fall just outside the district at its edge: there the cell's
        # centre stands in, as an operator would pick the place on the map.
        from civicloop.regions.locator import locate_many

        inside = locate_many(s, common.DISTRICT, [d["lon"] for d in out], [d["lat"] for d in out]).found
    centres = {code: (lon, lat) for code, _, lon, lat in cells}
    for item, grid, ok in zip(out, grids, inside):
        if not ok:
            item["lon"], item["lat"] = centres[grid]
    engine.dispose()
    return out


def time_checks(url: str, items: list[dict]) -> dict:
    """Each check in its own read transaction, as the endpoint runs it."""
    engine = read_only(make_engine(url))
    with transaction(engine) as s:  # the grid index and category snapshots are loaded once per process
        service.candidates(s, service.draft(s, title="路灯不亮", text="路灯不亮", district_code=common.DISTRICT,
                                            now=NOW, lon=items[0]["lon"], lat=items[0]["lat"]))
        backend = s.scalar(text("SELECT pg_backend_pid()")) if engine.dialect.name == "postgresql" else None
    times, cpu, found, expected, candidates = [], [], 0, 0, 0
    server_before = backend_cpu(backend)
    for item in items:
        fields = {k: v for k, v in item.items() if k != "expect"}
        started, started_cpu = time.perf_counter(), time.process_time()
        with transaction(engine) as s:
            result = service.candidates(s, service.draft(s, district_code=common.DISTRICT, now=NOW, **fields))
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        candidates += len(result)
        if item["expect"] is not None:
            expected += 1
            found += any(c.case.id == item["expect"] for c in result)
    engine.dispose()
    # CPU: of this process (on SQLite all the work), and of its PostgreSQL backend (clock
    # ticks, so only the mean): what the check costs whatever else keeps the machine busy.
    return {"p50_ms": common.percentile(times, 50), "p95_ms": common.percentile(times, 95),
            "p99_ms": common.percentile(times, 99), "max_ms": max(times), "mean_ms": sum(times) / len(times),
            "cpu_p50_ms": common.percentile(cpu, 50), "cpu_p99_ms": common.percentile(cpu, 99),
            "cpu_mean_ms": sum(cpu) / len(cpu),
            "server_cpu_mean_ms": (backend_cpu(backend) - server_before) * 1000 / len(items),
            "rewrites": expected, "rewrites_found": found, "candidates_per_draft": candidates / len(items)}


def run(db: str, args) -> dict:
    console.rule(f"[bold]duplicates on {db}: {args.open:,} open cases, {args.drafts:,} drafts")
    name = f"civicloop_bench_duplicates{args.tag}"
    url = common.database_url(db, name, args.pg_url)
    load_seconds = None
    if args.reuse and loaded(url) == args.open:
        cells, leaves = read_world(url)
        console.print(f"  reusing the {args.open:,} cases of {name}")
    else:
        url = common.fresh_database(db, name, args.pg_url)
        cells, leaves = world(url, args.cell_area)
        load_seconds = load(url, args.open, cells, leaves, args.seed, args.days)
        console.print(f"  loaded in {load_seconds:.0f} s")
    console.print(f"  district {common.DISTRICT}: {len(cells):,} grid cells, {len(leaves)} leaf categories")
    items = drafts(url, args.drafts, cells, leaves, args.seed, args.rewritten,
                   min(args.days, service.DEFAULT_WINDOW_DAYS - 1))
    runs = []
    for number in range(args.runs):
        quiet = common.wait_quiet(console, args.quiet_wait)
        result = time_checks(url, items)
        result["other_cores"] = quiet
        runs.append(result)
        console.print(f"  run {number + 1}: p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms, "
                      f"p99 {result['p99_ms']:.1f} ms; CPU p50 {result['cpu_p50_ms']:.1f} ms, "
                      f"p99 {result['cpu_p99_ms']:.1f} ms (+ server {result['server_cpu_mean_ms']:.1f} ms); "
                      f"rewrites found {result['rewrites_found']}/"
                      f"{result['rewrites']}, {result['candidates_per_draft']:.2f} candidates per draft")
    if not args.keep:
        common.drop_database(url, args.pg_url)
    median = {k: common.median([r[k] for r in runs]) for k in ("p50_ms", "p95_ms", "p99_ms", "mean_ms", "cpu_p50_ms",
                                                                "cpu_p99_ms", "server_cpu_mean_ms")}
    problems = [f"run {i + 1}: only {r['rewrites_found']} of {r['rewrites']} rewritten copies found"
                for i, r in enumerate(runs) if r["rewrites_found"] < 0.95 * r["rewrites"]]
    return {"db": db, "open": args.open, "drafts": args.drafts, "cells": len(cells), "load_seconds": load_seconds,
            "runs": runs, **{k + "_median": v for k, v in median.items()}, "aim_p99_ms": 50.0, "problems": problems}


def summary(results: list[dict]) -> None:
    table = Table(title="duplicate check of a draft (median of runs)")
    for column in ("db", "open", "drafts", "runs", "p50 ms", "p95 ms", "p99 ms", "CPU p50", "CPU p99", "server CPU",
                   "rewrites found", "p99 < 50 ms"):
        table.add_column(column, justify="right")
    for r in results:
        last = r["runs"][-1]
        table.add_row(r["db"], f"{r['open']:,}", f"{r['drafts']:,}", str(len(r["runs"])), f"{r['p50_ms_median']:.1f}",
                      f"{r['p95_ms_median']:.1f}", f"{r['p99_ms_median']:.1f}", f"{r['cpu_p50_ms_median']:.1f}",
                      f"{r['cpu_p99_ms_median']:.1f}", f"{r['server_cpu_mean_ms_median']:.1f}",
                      f"{last['rewrites_found']}/{last['rewrites']}",
                      "yes" if r["p99_ms_median"] < r["aim_p99_ms"] else "no")
    console.print(table)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common.add_common_arguments(parser)
    parser.add_argument("--open", type=int, default=100_000, help="open cases in the table")
    parser.add_argument("--drafts", type=int, default=1_000, help="drafts checked per run")
    parser.add_argument("--days", type=float, default=30.0, help="the open cases were reported over this many days")
    parser.add_argument("--rewritten", type=float, default=0.5, help="share of drafts that rewrite a loaded case")
    parser.add_argument("--runs", type=int, default=3, help="timed runs over the same drafts")
    parser.add_argument("--cell-area", type=float, default=None, help="grid cell size in m² (default: the settings')")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reuse", action="store_true",
                        help="time again on the cases a run with --keep left, if they are --open many")
    args = parser.parse_args(argv)
    dbs, info = common.start(args, console)
    results = [run(db, args) for db in dbs]
    summary(results)
    return common.finish("duplicates", results, args, info, console)


if __name__ == "__main__":
    sys.exit(main())
