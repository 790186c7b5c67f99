"""Message classifier benchmark: messages classified per second on one core, one at a time
(the intake path) and in a batch (`civicloop intake classify --csv`, evaluation), the time
to train, and the model's size — the figures docs/benchmarks.md quotes.

    .venv/bin/python benchmarks/classify.py [--runs 5] [--single 1000] [--train-runs 1] [--quiet-wait 120]

The messages are the 3,111 carried ones; the model is the one intake uses (`make install`
builds it). Rates are given per second of wall time and per second of the process's own
CPU time: on a shared machine the second is what one core of its own would do.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core, as the aim says
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

import common  # noqa: E402
from civicloop.intake import classifier as model  # noqa: E402
from civicloop.intake import service  # noqa: E402

console = Console()


def timed(work) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of work()."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def rates(count: int, runs: list[tuple[float, float]]) -> dict:
    return {"per_s_wall": count / statistics.median(w for w, _ in runs),
            "per_s_cpu": count / statistics.median(c for _, c in runs)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs of each classification measurement (median)")
    parser.add_argument("--single", type=int, default=1000, help="messages classified one at a time per run")
    parser.add_argument("--train-runs", type=int, default=1, help="trainings to time (0: skip)")
    parser.add_argument("--quiet-wait", type=float, default=120,
                        help="seconds to wait at most for other processes to go quiet before measuring")
    args = parser.parse_args()
    info = common.machine()
    console.print(f"[bold]machine[/]: {info['cpu']}, {info['cores']} cores; load average {info['load_average']}")
    classifier = service.require_model()
    examples = model.carried_examples()
    pairs = [(e.title, e.text) for e in examples]
    singles = (pairs * (args.single // len(pairs) + 1))[:args.single]
    classifier.predict_many(pairs[:50])  # warm: imports, first allocations

    other = common.wait_quiet(console, args.quiet_wait)
    single = [timed(lambda: [classifier.predict(t, x) for t, x in singles]) for _ in range(args.runs)]
    batch = [timed(lambda: classifier.predict_many(pairs)) for _ in range(args.runs)]
    training = []
    for _ in range(args.train_runs):
        common.wait_quiet(console, args.quiet_wait)
        training.append(timed(lambda: model.train(examples)))
    path = service.model_path()
    result = {
        "model": classifier.version, "sklearn": classifier.meta["sklearn"], "messages": len(examples),
        "single": rates(len(singles), single), "batch": rates(len(pairs), batch),
        "train_s_wall": statistics.median(w for w, _ in training) if training else None,
        "train_s_cpu": statistics.median(c for _, c in training) if training else None,
        "model_mb": round(path.stat().st_size / 1e6, 2), "other_cores_busy": other,
    }
    table = Table(title=f"classifier {classifier.version}, median of {args.runs} runs")
    for column in ("", "per s (wall)", "per s (own CPU)"):
        table.add_column(column, justify="right" if column else "left")
    table.add_row(f"one message at a time ({len(singles)})", f"{result['single']['per_s_wall']:,.0f}",
                  f"{result['single']['per_s_cpu']:,.0f}")
    table.add_row(f"batch of {len(pairs)}", f"{result['batch']['per_s_wall']:,.0f}",
                  f"{result['batch']['per_s_cpu']:,.0f}")
    console.print(table)
    if training:
        console.print(f"training on {len(examples)} messages (5 calibration folds + the final fit): "
                      f"{result['train_s_wall']:.1f} s wall, {result['train_s_cpu']:.1f} s CPU")
    console.print(f"model file: {result['model_mb']} MB")
    written = common.write_result("classify", {
        "benchmark": "classify", "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": common.git_commit(), "machine": info, "args": vars(args), **result})
    console.print(f"  wrote {written}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
