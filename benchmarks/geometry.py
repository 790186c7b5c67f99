"""Geometry and calendar benchmark: building a district's grid, locating points in it, and
working-time arithmetic — the figures docs/regions.md and docs/time-limits.md quote.

    .venv/bin/python benchmarks/geometry.py [--districts 420106 310104 430602] [--points 1000000]

Grids are built in SQLite files under var/bench/ (the build is dominated by geometry, not
by the database); each figure is the median of --runs runs.
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

import common  # noqa: E402
from civicloop.db import make_engine, transaction  # noqa: E402
from civicloop.regions import service  # noqa: E402
from civicloop.regions.locator import locator_for  # noqa: E402
from civicloop.sla.calendar import WorkCalendar  # noqa: E402

console = Console()


def grid(code: str, runs: int) -> dict:
    seconds, summary = [], None
    for run in range(runs):
        url = common.fresh_database("sqlite", f"geometry_{code}_{run}")
        engine = make_engine(url)
        started = time.perf_counter()
        with transaction(engine) as session:
            summary = service.init_district(session, code)
        seconds.append(time.perf_counter() - started)
        engine.dispose()
        if run < runs - 1:
            common.drop_database(url)
    return {"district": f"{code} {summary.full_name}", "cells": summary.cells, "km2": summary.area_km2,
            "init_s": statistics.median(seconds), "url": url}


def locate(url: str, code: str, points: int, runs: int) -> float:
    engine = make_engine(url)
    rng = np.random.default_rng(3)
    with transaction(engine) as session:
        west, south, east, north = locator_for(session, code).boundary.bounds
        lon, lat = rng.uniform(west, east, points), rng.uniform(south, north, points)
        service.locate_many(session, code, lon[:10], lat[:10])  # build and cache the index
        rates = []
        for _ in range(runs):
            started = time.perf_counter()
            service.locate_many(session, code, lon, lat)
            rates.append(points / (time.perf_counter() - started))
    engine.dispose()
    return statistics.median(rates)


def calendar_add(runs: int) -> float:
    """µs per add(40 working hours) from random starts over 2025–26, warm per-day cache."""
    cal = WorkCalendar()
    rng = random.Random(7)
    starts = [dt.datetime(2025, 1, 1) + dt.timedelta(minutes=rng.randrange(600 * 1440)) for _ in range(10_000)]
    for start in starts:
        cal.add(start, 40, "working")
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        for start in starts:
            cal.add(start, 40, "working")
        timings.append((time.perf_counter() - started) / len(starts) * 1e6)
    return statistics.median(timings)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--districts", nargs="+", default=["420106", "310104", "430602"])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    table = Table(title=f"grids at the default cell size; locate_many over {args.points:,} points (median of {args.runs})")
    for column in ("district", "cells", "km²", "init s", "points/s"):
        table.add_column(column, justify="right")
    for code in args.districts:
        built = grid(code, args.runs)
        rate = locate(built["url"], code, args.points, args.runs)
        common.drop_database(built["url"])
        table.add_row(built["district"], f"{built['cells']:,}", f"{built['km2']:.1f}", f"{built['init_s']:.2f}",
                      f"{rate:,.0f}")
    console.print(table)
    console.print(f"calendar add(40 working hours): {calendar_add(args.runs):.2f} µs per call (median of {args.runs})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
