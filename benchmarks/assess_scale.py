"""The assessment at scale: N historical cases (default 10,000,000), the department × month
table with every indicator, slices × month, the cases behind one figure — and the plain
GROUP BY of the same rows into department × month on PostgreSQL and in DuckDB, our time
printed as a ratio of each."""
from __future__ import annotations

import argparse
import datetime as dt
import sys
import time

import common
import duckdb
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from sqlalchemy import text

from civicloop.assess import periods, service
from civicloop.assess.generate import generate
from civicloop.db import make_engine, transaction

console = Console()
END = dt.datetime(2026, 11, 22)
SLICES = ("grid", "category", "channel", "street")
PLAIN = ("SELECT lead_department_id, date_trunc('month', reported_at) AS month, count(*) "
         "FROM narrow GROUP BY 1, 2")


def timed(call, runs: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(runs):
        started = time.perf_counter()
        out = call()
        times.append(time.perf_counter() - started)
    return common.median(times), out


def months(n: int) -> list[periods.Period]:
    """The last n whole months before END."""
    out, y, m = [], END.year, END.month
    for _ in range(n):
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
        out.append(periods.month(y, m))
    return out


def plain_group_by(engine, runs: int) -> dict:
    """The same rows, narrow (department, reported_at), grouped by department × month on
    PostgreSQL and in DuckDB (in memory, loaded from the same table)."""
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS narrow"))
        conn.execute(text("CREATE TABLE narrow AS SELECT lead_department_id, reported_at FROM cases"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE narrow"))
    with engine.connect() as conn:
        pg, _ = timed(lambda: conn.execute(text(PLAIN)).all(), runs)
    csv = common.VAR / "assess_narrow.csv"
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cursor, cursor.copy("COPY narrow TO STDOUT WITH CSV") as copy, csv.open("wb") as out:
            for chunk in copy:
                out.write(chunk)
    finally:
        raw.close()
    duck = duckdb.connect()
    duck.execute(f"CREATE TABLE narrow AS SELECT * FROM read_csv('{csv}', header=false, "
                 "columns={'lead_department_id': 'INTEGER', 'reported_at': 'TIMESTAMP'})")
    dd, _ = timed(lambda: duck.execute(PLAIN).fetchall(), runs)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE narrow"))
    return {"postgresql_group_by_s": pg, "duckdb_group_by_s": dd}


def load(db: str, args) -> tuple[str, dict]:
    """A fresh database with the district and N generated cases; or, with --reuse, the one a
    --load-only run left (its load time is in that run's results)."""
    name = f"civicloop_bench_assess{args.tag}"
    result = {"db": db, "load_at_start": common.machine()["load_average"], "problems": []}
    if args.reuse:
        url = common.database_url(db, name, args.pg_url)
        with make_engine(url).connect() as conn:
            result["cases"] = conn.execute(text("SELECT count(*) FROM cases")).scalar()
        return url, result
    url = common.fresh_database(db, name, args.pg_url)
    console.print(f"[bold]{db}[/]: building the district …")
    result.update(world=common.build_world(url, cell_area_m2=args.cell_area).kind, cases=args.cases)
    engine = make_engine(url)
    with Progress(TextColumn("  {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as bar:
        task = bar.add_task("generating cases", total=args.cases)
        started = time.perf_counter()
        generate(engine, args.cases, years=3, district=common.DISTRICT, end=END,
                 progress=lambda k: bar.advance(task, k), step=lambda t: bar.update(task, description=t))
        result["generate_s"] = time.perf_counter() - started
    with engine.connect() as conn:
        result["events"] = conn.execute(text("SELECT count(*) FROM case_events")).scalar()
    engine.dispose()
    return url, result


def run(db: str, args) -> dict:
    url, result = load(db, args)
    if args.load_only:
        console.print(f"{db}: {result['cases']:,} cases loaded in {result['generate_s']:.0f} s; kept for --reuse")
        return result
    engine = make_engine(url)
    common.wait_quiet(console, args.quiet_wait)
    chosen = months(args.months)
    with transaction(engine) as s:
        by_department = [timed(lambda p=p: service.figures(s, p, by="department"), args.runs)[0] for p in chosen]
        result["department_month_s"] = common.median(by_department)
        for by in SLICES:
            result[f"{by}_month_s"] = common.median(
                [timed(lambda p=p, by=by: service.figures(s, p, by=by), args.runs)[0] for p in chosen])
        rows, total = service.figures(s, chosen[0], by="department")
        result["month_cases"] = total.counts["reported"]
        biggest = service.Slice("department", rows[0].key)
        result["behind_first_page_s"], behind = timed(
            lambda: service.cases_behind(s, "on_time_closure_rate", chosen[0], biggest, limit=50), args.runs)
        result["behind_total"] = behind.total
        result["district_behind_first_page_s"], _ = timed(
            lambda: service.cases_behind(s, "reported", chosen[0], limit=50), args.runs)
        if args.check:  # the live recount of one month agrees with the rollup
            live = service.count_rows(s, chosen[0], by="department", live=True)
            assert live == service.count_rows(s, chosen[0], by="department"), "rollup and live recount differ"
            result["checked"] = True
    if db == "postgresql":
        result.update(plain_group_by(engine, args.runs))
        csv_path = common.VAR / "assess_narrow.csv"
        csv_path.unlink(missing_ok=True)
    engine.dispose()
    if not args.keep:
        common.drop_database(url, args.pg_url)
    return result


def summary(results: list[dict]) -> None:
    table = Table(title="assessment at scale (medians)")
    for column in ("db", "cases", "generate", "dept × month", *(f"{s} × month" for s in SLICES), "behind (page)",
                   "district behind"):
        table.add_column(column, justify="right")
    for r in results:
        table.add_row(r["db"], f"{r['cases']:,}", f"{r['generate_s']:.0f} s" if "generate_s" in r else "(kept)", f"{r['department_month_s']:.3f} s",
                      *(f"{r[f'{s}_month_s']:.3f} s" for s in SLICES), f"{1000 * r['behind_first_page_s']:.0f} ms",
                      f"{1000 * r['district_behind_first_page_s']:.0f} ms")
    console.print(table)
    ours = [r for r in results if "postgresql_group_by_s" in r]
    for r in ours:
        for other in results:
            console.print(f"{other['db']} department × month {other['department_month_s']:.3f} s = "
                          f"{other['department_month_s'] / r['postgresql_group_by_s']:.3f} × PostgreSQL GROUP BY "
                          f"({r['postgresql_group_by_s']:.3f} s), "
                          f"{other['department_month_s'] / r['duckdb_group_by_s']:.3f} × DuckDB GROUP BY "
                          f"({r['duckdb_group_by_s']:.3f} s)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common.add_common_arguments(parser)
    parser.add_argument("--cases", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each query (the median is reported)")
    parser.add_argument("--months", type=int, default=3, help="months timed (the median over them)")
    parser.add_argument("--cell-area", type=float, default=None, help="a coarser grid (m²) builds faster")
    parser.add_argument("--check", action="store_true", help="also recount one month live and compare")
    parser.add_argument("--load-only", action="store_true", help="load the cases and keep the database, no timing")
    parser.add_argument("--reuse", action="store_true", help="time on the database a --load-only run kept")
    args = parser.parse_args(argv)
    args.keep = args.keep or args.load_only
    dbs, info = common.start(args, console)
    results = [run(db, args) for db in dbs]
    if not args.load_only:
        summary(results)
    return common.finish("assess_scale", results, args, info, console)


if __name__ == "__main__":
    sys.exit(main())
