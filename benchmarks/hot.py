"""Hot-issue benchmark: grouping --cases cases into topics (civicloop.hot.grouping.group) on one core.

The cases are made from the 4,326 real messages civicloop carries (data/hot-messages.csv):
each takes a real message's words and moves it to another place named in the messages
(its place names replaced) and to a day of a 90-day window. A share of them (--planted)
are copies of a few hundred planted topics, one matter at one place, each copy with a
sentence left out and reported within ten days of its topic's first; the others are single
reports scattered over the places. Timed: place extraction, TF-IDF, the blocked
comparisons, the components, titles and heat, i.e. everything `civicloop hot` does after
reading its rows; the median of --runs runs, pinned to one core, in CPU seconds (ours alone
on a shared machine) and wall seconds. Also reported: how many
planted topics came out whole (most of their copies in one topic).

    .venv/bin/python benchmarks/hot.py [--cases 100000] [--runs 3] [--planted 0.3] [--seed 1]
"""
from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core: no BLAS threads
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import dataclasses
import datetime as dt
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common
from rich.console import Console
from rich.table import Table

from civicloop.hot.grouping import Report, group
from civicloop.hot.places import find_places, is_estate
from civicloop.hot.service import read_messages
from civicloop.settings import PACKAGE_DIR

START = dt.datetime(2026, 8, 1)
WINDOW_DAYS = 90
console = Console()


def synthesise(n: int, planted_share: float, seed: int) -> tuple[list[Report], dict[str, str]]:
    """n cases from the real messages, and for each planted copy the topic it belongs to."""
    rng = random.Random(seed)
    real = read_messages(PACKAGE_DIR / "data" / "hot-messages.csv")
    named = [(r, find_places(f"{r.title} {r.text[:200]}")) for r in real]
    named = [(r, places) for r, places in named if places]
    estates = sorted({p.name for _, places in named for p in places if is_estate(p.key)})
    planted_n = int(n * planted_share)
    topics = max(1, planted_n // 100)  # about a hundred reports each, some far more, some few
    seeds = [(rng.choice(named), rng.choice(estates), START + dt.timedelta(days=rng.uniform(0, WINDOW_DAYS - 10)))
             for _ in range(topics)]
    weights = [rng.paretovariate(1.2) for _ in seeds]
    reports, truth = [], {}
    for i in range(n):
        if i < planted_n:
            k = rng.choices(range(topics), weights)[0]
            (source, places), place, first = seeds[k]
            at = first + dt.timedelta(days=rng.uniform(0, 10))
            text = _drop_a_sentence(source.text, rng)
            truth[f"c{i}"] = f"t{k}"
        else:
            (source, places), place = rng.choice(named), rng.choice(estates)
            at = START + dt.timedelta(days=rng.uniform(0, WINDOW_DAYS))
            text = source.text
        title = source.title
        for p in sorted(places, key=lambda p: len(p.name), reverse=True):
            title, text = title.replace(p.name, place), text.replace(p.name, place)
        reports.append(dataclasses.replace(source, ref=f"c{i}", title=title, text=text, at=at,
                                           reporter=f"u{rng.randrange(n)}"))
    rng.shuffle(reports)
    return reports, truth


def _drop_a_sentence(text: str, rng: random.Random) -> str:
    sentences = [s for s in text.split("。") if s]
    if len(sentences) > 1:
        sentences.pop(rng.randrange(len(sentences)))
    return "。".join(sentences)


def whole(topics, truth: dict[str, str]) -> tuple[int, int]:
    """(planted topics with at least 80 % of their copies in one found topic, planted topics)."""
    sizes = Counter(truth.values())
    best: Counter = Counter()
    for topic in topics:
        for planted, count in Counter(truth[r] for r in topic.refs if r in truth).items():
            best[planted] = max(best[planted], count)
    return sum(best[t] >= 0.8 * size for t, size in sizes.items() if size >= 2), \
        sum(size >= 2 for size in sizes.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--planted", type=float, default=0.3, help="share of cases that are copies of planted topics")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--results", type=Path, default=common.RESULTS)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    reports, truth = synthesise(args.cases, args.planted, args.seed)
    console.print(f"{len(reports):,} cases from the real messages, {len(set(truth.values()))} planted topics")
    runs = []
    for run in range(1, args.runs + 1):
        started, cpu_started = time.perf_counter(), time.process_time()
        topics = group(reports)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        found, planted = whole(topics, truth)
        runs.append({"seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2), "topics": len(topics),
                     "grouped": sum(len(t.refs) for t in topics), "largest": max((len(t.refs) for t in topics),
                                                                                  default=0),
                     "planted_whole": found, "planted": planted})
        console.print(f"run {run}: {seconds:.1f} s ({cpu:.1f} s of CPU), {len(topics):,} topics")
    # On a shared machine the wall clock counts others' work too; the CPU time is ours alone.
    table = Table(title=f"grouping {len(reports):,} cases, one core", title_justify="left")
    for name in ("median CPU s", "median wall s", "min–max CPU s", "topics", "cases in topics", "largest topic",
                 "planted found whole"):
        table.add_column(name, justify="right")
    seconds, cpu = [r["seconds"] for r in runs], [r["cpu_seconds"] for r in runs]
    last = runs[-1]
    table.add_row(f"{common.median(cpu):.1f}", f"{common.median(seconds):.1f}", f"{min(cpu):.1f}–{max(cpu):.1f}",
                  f"{last['topics']:,}", f"{last['grouped']:,}", str(last["largest"]),
                  f"{last['planted_whole']}/{last['planted']}")
    console.print(table)
    path = common.write_result("hot", {"machine": common.machine(), "commit": common.git_commit(),
                                       "cases": len(reports), "runs": runs,
                                       "median_seconds": common.median(seconds),
                                       "median_cpu_seconds": common.median(cpu)}, args.results)
    console.print(f"results: {path}")


if __name__ == "__main__":
    main()
