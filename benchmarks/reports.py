"""Report-reading benchmark: reports read per second on one core (civicloop.reports.reader.read).

The five real reports civicloop is tested on (tests/reports/data/, 12–15 thousand
characters each, noise included) are read in turn, --repeat times each, from their text
(decoding is measured apart, on their GB18030 bytes). Each figure is the median of --runs
runs, pinned to one core; the other load on the machine during each run is recorded.

    .venv/bin/python benchmarks/reports.py [--repeat 20] [--runs 5] [--quiet-wait 60]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

import common  # noqa: E402
from civicloop.reports.reader import read, read_bytes  # noqa: E402

console = Console()
REPORTS = Path(__file__).resolve().parent.parent / "tests" / "reports" / "data"


def timed(texts: list, reader, repeat: int) -> tuple[float, float, float]:
    """(reports per second of wall time, per second of this process's CPU time, other cores
    busy) for one run over every text, `repeat` times."""
    before = common.cpu_counters()
    cpu = time.process_time()
    started = time.perf_counter()
    for _ in range(repeat):
        for text in texts:
            reader(text)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    other = common.busy_cores(before, common.cpu_counters(), ours=cpu)
    return repeat * len(texts) / seconds, repeat * len(texts) / cpu, other


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=20, help="times each report is read per run")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quiet-wait", type=float, default=60)
    parser.add_argument("--results", type=Path, default=common.RESULTS)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    texts = [p.read_text(encoding="utf-8") for p in sorted(REPORTS.glob("*.txt"))]
    encoded = [t.encode("gb18030") for t in texts]
    for text in texts:                       # warm the registry and the compiled patterns
        read(text)
    common.wait_quiet(console, args.quiet_wait)
    figures = {}
    for name, items, reader in (("text", texts, read), ("GB18030 bytes", encoded, lambda b: read_bytes(b, "bench"))):
        runs = [timed(items, reader, args.repeat) for _ in range(args.runs)]
        rates = [rate for rate, _, _ in runs]
        figures[name] = {"median": common.median(rates), "min": min(rates), "max": max(rates),
                         "per_cpu_second": common.median([per_cpu for _, per_cpu, _ in runs]),
                         "other_cores_busy": [round(other, 2) for _, _, other in runs]}
    characters = sum(map(len, texts)) / len(texts)
    table = Table(title=f"reports read per second, one core ({len(texts)} reports of {characters:,.0f} characters "
                        f"on average, ×{args.repeat}, median of {args.runs} runs)", title_justify="left")
    for column in ("input", "reports/s", "min – max", "per CPU second", "characters/s", "other cores busy"):
        table.add_column(column)
    for name, f in figures.items():
        table.add_row(name, f"{f['median']:.1f}", f"{f['min']:.1f} – {f['max']:.1f}", f"{f['per_cpu_second']:.1f}",
                      f"{f['median'] * characters:,.0f}", f"{min(f['other_cores_busy']):.2f}–"
                                                           f"{max(f['other_cores_busy']):.2f}")
    console.print(table)
    path = common.write_result("reports", {"machine": common.machine(), "commit": common.git_commit(),
                                           "reports": len(texts), "repeat": args.repeat, "runs": args.runs,
                                           "average_characters": characters, "figures": figures}, args.results)
    console.print(f"results: {path}")


if __name__ == "__main__":
    main()
