"""Location benchmark: point → grid cell on the real district 420106 (武昌区, 11,030 cells
at 10,000 m²), and written address → standard address over its generated registry.

    .venv/bin/python benchmarks/locate.py [--db sqlite|postgresql|both] [--points 1000000] [--addresses 5000] [--runs 5]

Figures, each the median of --runs runs, with the index already built (as in a running
server):
- `locate_many`: points/s for --points random points in the district's bounding box
  (about two thirds fall inside a cell);
- `locate`: single-point calls/s through the service, each reading the grid's version
  (one primary-key read), and the same lookups in memory (`Buckets.cell_index`);
- address matches/s (`addresses.service.match_address`) over --addresses written forms of
  registered addresses (generate.written_form: no province or city, numerals in words,
  号楼/幢, trailers) and as many unknown ones, with the share resolved to the right cell.
"""
from __future__ import annotations

import argparse
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
from civicloop.addresses import service as addresses  # noqa: E402
from civicloop.addresses.generate import nameable, written_form  # noqa: E402
from civicloop.db import make_engine, transaction  # noqa: E402
from civicloop.regions import service  # noqa: E402
from civicloop.regions.locator import locator_for  # noqa: E402

console = Console()
UNKNOWN = ("人民西路{n}号", "月球背面{n}号楼", "火星小区{n}栋2单元", "北京市海淀区中关村大街{n}号", "请尽快处理{n}")


def build(url: str, cell_area_m2: float | None) -> None:
    engine = make_engine(url)
    with transaction(engine) as s:
        service.init_district(s, common.DISTRICT, cell_area_m2=cell_area_m2)
    with transaction(engine) as s:
        addresses.generate_demo_registry(s, common.DISTRICT)
    engine.dispose()


def timed(runs: int, work) -> list[float]:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - started)
    return seconds


def measure(url: str, args) -> dict:
    engine = make_engine(url)
    rng = np.random.default_rng(3)
    code = common.DISTRICT
    with transaction(engine) as s:
        locator = locator_for(s, code)  # built once, as a server's first lookup does
        west, south, east, north = locator.boundary.bounds
        lon, lat = rng.uniform(west, east, args.points), rng.uniform(south, north, args.points)
        found = service.locate_many(s, code, lon, lat)
        inside = np.flatnonzero(found.found)
        singles = inside[:args.singles]
        cells = len(locator.codes)

        common.wait_quiet(console, args.quiet_wait)
        many = timed(args.runs, lambda: service.locate_many(s, code, lon, lat))

        def one_by_one():
            for i in singles:
                service.locate(s, code, float(lon[i]), float(lat[i]))
        single = timed(args.runs, one_by_one)

        def in_memory():
            for i in singles:
                locator.buckets.cell_index(locator.geoms, float(lon[i]), float(lat[i]))
        memory = timed(args.runs, in_memory)

        rows = nameable(s, code)
        pick = random.Random(5)
        named = [pick.choice(rows) for _ in range(args.addresses)]
        texts = [written_form(r, pick) for r in named]
        unknown = [pick.choice(UNKNOWN).format(n=pick.randrange(1, 999)) for _ in range(args.addresses)]
        started = time.perf_counter()
        addresses.match_address(s, code, texts[0])  # builds the matching index
        index_seconds = time.perf_counter() - started
        results = {}

        def match_all():
            results["known"] = [addresses.match_address(s, code, t) for t in texts]
            results["unknown"] = [addresses.match_address(s, code, t) for t in unknown]
        matching = timed(args.runs, match_all)
    engine.dispose()
    right = sum(m.resolved and m.address.grid_code == r["grid_code"] for m, r in zip(results["known"], named))
    wrong = sum(m.resolved and m.address.grid_code != r["grid_code"] for m, r in zip(results["known"], named))
    return {
        "cells": cells, "points": args.points, "inside": len(inside),
        "locate_many_points_per_s": statistics.median(args.points / t for t in many),
        "locate_calls_per_s": statistics.median(len(singles) / t for t in single),
        "single_point_in_memory_per_s": statistics.median(len(singles) / t for t in memory),
        "address_matches_per_s": statistics.median(2 * args.addresses / t for t in matching),
        "index_build_s": index_seconds, "addresses": args.addresses, "known_resolved_right": right, "known_resolved_wrong": wrong,
        "unknown_resolved": sum(m.resolved for m in results["unknown"]),
        "runs": {"locate_many_s": many, "locate_s": single, "in_memory_s": memory, "match_s": matching},
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common.add_common_arguments(parser)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--singles", type=int, default=2_000, help="points located one call each")
    parser.add_argument("--addresses", type=int, default=5_000, help="written addresses matched (and as many unknown)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cell-area", type=float, default=None, help="grid cell area in m² (default 10,000)")
    args = parser.parse_args(argv)
    dbs, info = common.start(args, console)
    table = Table(title=f"{common.DISTRICT} 武昌区: location, median of {args.runs} runs")
    for column in ("database", "cells", "locate_many points/s", "locate calls/s", "in memory /s", "address matches/s",
                   "right / wrong / unknown resolved"):
        table.add_column(column, justify="right")
    for db in dbs:
        url = common.fresh_database(db, f"civicloop_bench_locate{args.tag}", args.pg_url)
        try:
            build(url, args.cell_area)
            result = measure(url, args)
        finally:
            if not args.keep:
                common.drop_database(url, args.pg_url)
        result.update(machine=info, commit=common.git_commit(), database=db)
        common.write_result(f"locate-{db}", result, args.results)
        table.add_row(db, f"{result['cells']:,}", f"{result['locate_many_points_per_s']:,.0f}",
                      f"{result['locate_calls_per_s']:,.0f}", f"{result['single_point_in_memory_per_s']:,.0f}",
                      f"{result['address_matches_per_s']:,.0f}",
                      f"{result['known_resolved_right']:,} / {result['known_resolved_wrong']} / "
                      f"{result['unknown_resolved']}")
    console.print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
