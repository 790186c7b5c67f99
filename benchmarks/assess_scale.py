"""The assessment at scale: N historical cases (default 10,000,000), the department × month
table with every indicator over all of them (each month of the three years) and for one
month, slices × a week, month, quarter, year, a span, the three years and the worst span, the cases behind one figure (the first page, a page
2,000 cases down by keyset, a rare figure) — and the plain GROUP BY of the same rows into
department × month in the database itself and in DuckDB, our time printed as a ratio of
each. `--load-only` loads and keeps the database; `--reuse` times on it later."""
from __future__ import annotations

import argparse
import csv as _csv
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

from civicloop.assess import indicators as ind
from civicloop.assess import periods, service
from civicloop.assess.generate import generate
from civicloop.db import make_engine, transaction

console = Console()
END = dt.datetime(2026, 11, 22)
SLICES = ("grid", "category", "channel", "street")
# The periods each slice is timed over besides the months: how they read the rollup's grains.
SPANS = ("week", "quarter", "year", "span", "all", "worst")
SPAN_NAMES = {"week": "the last whole ISO week", "quarter": "last year's fourth quarter", "year": "last year",
              "span": "2 Jan – 30 Mar of last year", "all": "the three years, to the day",
              "worst": "16 May 2024 – 25 May 2026, the period of these three years that reads the most rollup rows"}
PLAIN = ("SELECT lead_department_id, date_trunc('month', reported_at) AS month, count(*) "
         "FROM narrow GROUP BY 1, 2")
PLAIN_SQLITE = "SELECT lead_department_id, strftime('%Y-%m', reported_at) AS month, count(*) FROM narrow GROUP BY 1, 2"


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
    """The same rows, narrow (department, reported_at), grouped by department × month in the
    database itself and in DuckDB (in memory, loaded from the same table)."""
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS narrow"))
        conn.execute(text("CREATE TABLE narrow AS SELECT lead_department_id, reported_at FROM cases"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE narrow" if postgres else "ANALYZE narrow"))
    with engine.connect() as conn:
        own, _ = timed(lambda: conn.execute(text(PLAIN if postgres else PLAIN_SQLITE)).all(), runs)
    csv = common.VAR / "assess_narrow.csv"
    csv.parent.mkdir(parents=True, exist_ok=True)
    if postgres:
        raw = engine.raw_connection()
        try:
            with raw.cursor() as cursor, cursor.copy("COPY narrow TO STDOUT WITH CSV") as copy, \
                    csv.open("wb") as out:
                for chunk in copy:
                    out.write(chunk)
        finally:
            raw.close()
    else:
        with engine.connect() as conn, csv.open("w", newline="") as out:
            writer = _csv.writer(out)
            for rows in conn.execute(text("SELECT lead_department_id, reported_at FROM narrow")).partitions(100_000):
                writer.writerows(rows)
    duck = duckdb.connect()
    duck.execute(f"CREATE TABLE narrow AS SELECT * FROM read_csv('{csv}', header=false, "
                 "columns={'lead_department_id': 'INTEGER', 'reported_at': 'TIMESTAMP'})")
    dd, _ = timed(lambda: duck.execute(PLAIN).fetchall(), runs)
    csv.unlink()
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE narrow"))
    return {"own_group_by_s": own, "duckdb_group_by_s": dd}


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
    whole = periods.Period((END - dt.timedelta(days=3 * 365)).date(), END.date() - dt.timedelta(days=1))
    last_year = END.year - 1
    spans = {"week": periods.week(*(END - dt.timedelta(days=7)).isocalendar()[:2]),
             "quarter": periods.quarter(last_year, 4), "year": periods.year(last_year),
             "span": periods.Period(dt.date(last_year, 1, 2), dt.date(last_year, 3, 30)), "all": whole,
             "worst": periods.Period(dt.date(2024, 5, 16), dt.date(2026, 5, 25))}
    with transaction(engine) as s:
        by_department = [timed(lambda p=p: service.figures(s, p, by="department"), args.runs)[0] for p in chosen]
        result["department_month_s"] = common.median(by_department)
        # The department × month table over everything: every month of the three years, all counts and rates.
        result["department_by_month_all_s"], table = timed(lambda: {
            month: {key: ind.rates_of(counts) for key, counts in rows.items()}
            for month, rows in service.monthly(s, whole, by="department").items()}, args.runs)
        result["department_by_month_cells"] = sum(len(rows) for rows in table.values())
        for by in SLICES:
            result[f"{by}_month_s"] = common.median(
                [timed(lambda p=p, by=by: service.figures(s, p, by=by), args.runs)[0] for p in chosen])
            for kind, period in spans.items():
                result[f"{by}_{kind}_s"], _ = timed(lambda by=by, p=period: service.figures(s, p, by=by), args.runs)
        rows, total = service.figures(s, chosen[0], by="department")
        result["month_cases"] = total.counts["reported"]
        biggest = service.Slice("department", rows[0].key)
        result["behind_first_page_s"], behind = timed(
            lambda: service.cases_behind(s, "on_time_closure_rate", chosen[0], biggest, limit=50), args.runs)
        result["behind_total"] = behind.total
        result["district_behind_first_page_s"], behind = timed(
            lambda: service.cases_behind(s, "reported", chosen[0], limit=50), args.runs)
        deep, down = behind.cases[-1].id, 50
        while down < 2000 and down + 100 <= behind.total:  # page by page, 2,000 cases down the list
            deep = service.cases_behind(s, "reported", chosen[0], limit=50, after=deep).cases[-1].id
            down += 50
        result["district_behind_deep_s"], _ = timed(
            lambda: service.cases_behind(s, "reported", chosen[0], limit=50, after=deep), args.runs)
        result["district_behind_deep_at"] = down
        # The worst: a rare figure (误派, the department with the fewest but one) found across the month's cases.
        rare = min((r for r in rows if r.key and r.counts["wrongly_dispatched"]),
                   key=lambda r: r.counts["wrongly_dispatched"])
        result["rare_behind_s"], behind = timed(lambda: service.cases_behind(
            s, "wrongly_dispatched", chosen[0], service.Slice("department", rare.key), limit=50), args.runs)
        result["rare_behind_total"] = behind.total
        if args.check:  # the live recount of one month agrees with the rollup
            live = service.count_rows(s, chosen[0], by="department", live=True)
            assert live == service.count_rows(s, chosen[0], by="department"), "rollup and live recount differ"
            result["checked"] = True
    result.update(plain_group_by(engine, args.runs))
    engine.dispose()
    if not args.keep:
        common.drop_database(url, args.pg_url)
    return result


def summary(results: list[dict]) -> None:
    table = Table(title="assessment at scale (medians)")
    for column in ("db", "cases", "generate", "dept × month (all)", "dept × month (one)",
                   "behind (page 1)", "district behind (page 1 / deep)",
                   "rare behind"):
        table.add_column(column, justify="right")
    for r in results:
        table.add_row(r["db"], f"{r['cases']:,}", f"{r['generate_s']:.0f} s" if "generate_s" in r else "(kept)",
                      f"{r['department_by_month_all_s']:.3f} s", f"{r['department_month_s']:.3f} s",
                      f"{1000 * r['behind_first_page_s']:.0f} ms",
                      f"{1000 * r['district_behind_first_page_s']:.0f} / {1000 * r['district_behind_deep_s']:.0f} ms "
                      f"(after {r['district_behind_deep_at']:,})",
                      f"{1000 * r['rare_behind_s']:.0f} ms ({r['rare_behind_total']})")
    console.print(table)
    periods_table = Table(title="slices × periods (medians, s)")
    for column in ("db", "slice", "month", *SPANS):
        periods_table.add_column(column, justify="right")
    for r in results:
        for s in SLICES:
            periods_table.add_row(r["db"], s, *(f"{r[f'{s}_{kind}_s']:.3f}" for kind in ("month", *SPANS)))
    console.print(periods_table)
    console.print("; ".join(f"{kind}: {name}" for kind, name in SPAN_NAMES.items()))
    for r in results:
        ours = r["department_by_month_all_s"]
        console.print(f"{r['db']}: department × month over all {r['cases']:,} cases {ours:.3f} s = "
                      f"{ours / r['own_group_by_s']:.3f} × its own plain GROUP BY ({r['own_group_by_s']:.3f} s), "
                      f"{ours / r['duckdb_group_by_s']:.3f} × DuckDB's ({r['duckdb_group_by_s']:.3f} s)")


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
