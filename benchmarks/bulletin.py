"""Bulletin benchmark: the 周督查/半月通报 over --items tracked targets and 实事 (default
1,000), each with quarterly milestones, progress reports and some 督办, some dropped.

Per database (a fresh one, migrated): the items are made through the service layer
(commitments.service, as the CLI and API make them; timed, but only as set-up), then each
run times, as of one date with the same `since`:
  statuses  — every item's status derived (service.list_items + service.statuses)
  compose   — the whole bulletin read from the data (bulletin.compose)
  xlsx      — the Excel workbook written (bulletin.write_xlsx, a sheet per view)
  html      — the printable page written (bulletin.write_html)
  issue     — what `civicloop commitments bulletin --xlsx --html` does: compose, record the
              bulletin issued, write both files, commit
Each figure is the median of --runs runs, as wall time and as this process's CPU time
(what a core of its own would take, when other work shares the machine).

    .venv/bin/python benchmarks/bulletin.py [--db sqlite|postgresql|both] [--items 1000] [--runs 5]
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.progress import track  # noqa: E402
from rich.table import Table  # noqa: E402

from civicloop.cases.lifecycle import Actor, Role  # noqa: E402
from civicloop.commitments import bulletin, service  # noqa: E402
from civicloop.db import make_engine, transaction  # noqa: E402
from civicloop.departments.models import Department  # noqa: E402
from civicloop.users.models import User  # noqa: E402

console = Console()
YEAR = 2026
AS_OF = dt.date(2026, 7, 15)
SINCE = dt.date(2026, 6, 15)
DEPARTMENTS = 24
THINGS = ("口袋公园", "老旧小区", "社区食堂", "充电桩", "停车泊位", "公厕", "断头路", "养老服务中心", "学位", "菜市场")


def populate(engine, items: int, seed: int = 7) -> float:
    """Departments, people and `items` tracked items with milestones, progress and 督办;
    returns the seconds it took."""
    rng = random.Random(seed)
    started = time.perf_counter()
    with transaction(engine) as s:
        departments = [Department(code=f"b{i:02d}", name=f"区第{i + 1}局", kind="bureau", district_code=common.DISTRICT)
                       for i in range(DEPARTMENTS)]
        s.add_all(departments)
        s.flush()
        people = [User(username=f"h{d.id}", name=f"承办人{d.id}", role="handler", department_id=d.id)
                  for d in departments] + [User(username="leader", name="区领导", role="supervisor")]
        s.add_all(people)
        s.flush()
        handlers = {u.department_id: Actor(u.id, Role.HANDLER, u.department_id) for u in people[:-1]}
        leader = Actor(people[-1].id, Role.SUPERVISOR)
        codes = [d.code for d in departments]
        ids = [d.id for d in departments]
    for start in track(range(0, items, 100), description="tracked items", console=console):
        with transaction(engine) as s:
            for n in range(start, min(start + 100, items)):
                made_at = dt.datetime(YEAR, 1, 20, 9) + dt.timedelta(minutes=n)
                lead = rng.randrange(DEPARTMENTS)
                co = rng.sample([c for c in range(DEPARTMENTS) if c != lead], rng.randrange(3))
                amount = rng.randrange(10, 200)
                item = service.create_item(
                    s, actor=leader, now=made_at, kind="target" if n % 10 == 0 else "commitment",
                    district_code=common.DISTRICT, year=YEAR, title=f"建设{THINGS[n % len(THINGS)]}{amount}个（{n}）",
                    body=f"年内新建改造{THINGS[n % len(THINGS)]}{amount}个。", source_sentence=f"建设{amount}个。",
                    quantity=amount, unit="个", lead_department=codes[lead], co_departments=tuple(codes[c] for c in co))
                for quarter in (1, 2, 3):
                    service.add_milestone(s, item.id, actor=leader, now=made_at, due=f"Q{quarter}",
                                          what=f"完成{quarter * 25}%", target_quantity=amount * quarter // 4)
                # Progress at the end of each month so far, some departments ahead and some behind.
                pace = rng.uniform(0.8, 1.4)
                for month in range(2, 8):
                    if rng.random() < 0.8:
                        on = dt.date(YEAR, month, rng.randrange(20, 29))
                        reporter = handlers[ids[rng.choice([lead, *co])]]
                        done = min(amount, round(amount * pace * month / 12))
                        service.report_progress(s, item.id, actor=reporter, now=dt.datetime.combine(on, dt.time(10)),
                                                reported_on=on, text=f"累计完成{done}个", quantity=done,
                                                evidence=[f"https://example.gov.cn/evidence/{item.id}/{month}.jpg"])
                if rng.random() < 0.15:
                    on = dt.datetime(YEAR, rng.randrange(5, 8), rng.randrange(1, 28), 9)
                    service.supervise(s, item.id, actor=leader, now=on, note="请加快推进，按期报告进展",
                                      due=(on + dt.timedelta(days=10)).date())
                if rng.random() < 0.02:
                    service.drop_item(s, item.id, actor=leader, now=dt.datetime(YEAR, 5, 1, 9), reason="规划调整")
    return time.perf_counter() - started


class Stopwatch:
    """Wall and CPU time of each named step (CPU: this process's own, so what a core of its
    own would take; on PostgreSQL the server's share is not in it)."""

    def __init__(self):
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    @contextmanager
    def step(self, name: str):
        wall, cpu = time.perf_counter(), time.process_time()
        yield
        self.wall[name] = time.perf_counter() - wall
        self.cpu[name] = time.process_time() - cpu


def one_run(engine, folder: Path, leader: Actor) -> tuple[Stopwatch, dict]:
    watch = Stopwatch()
    with watch.step("statuses"), transaction(engine) as s:
        items = service.list_items(s, district_code=common.DISTRICT, year=YEAR)
        verdicts = service.statuses(s, items, AS_OF)
    with watch.step("compose"), transaction(engine) as s:
        data = bulletin.compose(s, district_code=common.DISTRICT, as_of=AS_OF, since=SINCE)
    with watch.step("xlsx"):
        bulletin.write_xlsx(data, folder / "bulletin.xlsx")
    with watch.step("html"):
        bulletin.write_html(data, folder / "bulletin.html")
    with watch.step("issue"), transaction(engine) as s:
        issued = bulletin.issue(s, actor=leader, now=dt.datetime(2026, 7, 15, 17), district_code=common.DISTRICT,
                                as_of=AS_OF, since=SINCE)
        bulletin.write_xlsx(issued, folder / "issued.xlsx")
        bulletin.write_html(issued, folder / "issued.html")
    assert len(verdicts) == len(data.items), (len(verdicts), len(data.items))
    counts = {status.value: n for status, n in data.totals.items()} | {
        "new_progress": len(data.new_progress), "changes": len(data.changes),
        "new_supervisions": len(data.new_supervisions)}
    return watch, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    common.add_common_arguments(parser)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    dbs, info = common.start(args, console)
    results = {}
    for db in dbs:
        url = common.fresh_database(db, f"civicloop_bench_bulletin{args.tag}", args.pg_url)
        engine = make_engine(url)
        try:
            setup = populate(engine, args.items)
            with transaction(engine) as s:
                leader_id = s.query(User.id).filter(User.username == "leader").scalar()
            leader = Actor(leader_id, Role.SUPERVISOR)
            other = common.wait_quiet(console, args.quiet_wait)
            with tempfile.TemporaryDirectory() as folder:
                one_run(engine, Path(folder), leader)   # warm: imports, compiled statements, page cache
                before = common.cpu_counters()
                runs = [one_run(engine, Path(folder), leader) for _ in range(args.runs)]
                busy = common.busy_cores(before, common.cpu_counters(),
                                         ours=sum(sum(w.cpu.values()) for w, _ in runs))
                sizes = {name: (Path(folder) / name).stat().st_size for name in ("bulletin.xlsx", "bulletin.html")}
        finally:
            engine.dispose()
            if not args.keep:
                common.drop_database(url, args.pg_url)
        steps = ("statuses", "compose", "xlsx", "html", "issue")
        results[db] = {"setup_seconds": setup, "other_cores_busy_before": other, "other_cores_busy": busy,
                       "sizes": sizes, "counts": runs[-1][1],
                       "median_ms": {k: 1000 * common.median([w.wall[k] for w, _ in runs]) for k in steps},
                       "min_ms": {k: 1000 * min(w.wall[k] for w, _ in runs) for k in steps},
                       "max_ms": {k: 1000 * max(w.wall[k] for w, _ in runs) for k in steps},
                       "median_cpu_ms": {k: 1000 * common.median([w.cpu[k] for w, _ in runs]) for k in steps}}
        table = Table(title=f"{db}: bulletin over {args.items} tracked items (median of {args.runs} runs; "
                            f"set-up {setup:.1f} s; other work kept {busy:.1f} cores busy)", title_justify="left")
        for column in ("step", "median ms", "min – max ms", "CPU ms (ours)"):
            table.add_column(column)
        for step in steps:
            table.add_row(step, f"{results[db]['median_ms'][step]:.0f}",
                          f"{results[db]['min_ms'][step]:.0f} – {results[db]['max_ms'][step]:.0f}",
                          f"{results[db]['median_cpu_ms'][step]:.0f}")
        console.print(table)
        console.print(f"statuses: {results[db]['counts']}; files: {sizes}")
    path = common.write_result("bulletin", {"machine": info, "commit": common.git_commit(), "items": args.items,
                                            "runs": args.runs, "as_of": AS_OF.isoformat(),
                                            "since": SINCE.isoformat(), "results": results}, args.results)
    console.print(f"results: {path}")


if __name__ == "__main__":
    main()
