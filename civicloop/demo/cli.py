"""`civicloop demo`: build a district and play weeks of simulated traffic; `--accounts`
lists the demo's accounts again."""
from __future__ import annotations

from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from civicloop.cases.lifecycle import BY_ACTION, STATE_LABELS, State
from civicloop.commitments.rules import STATUS_LABELS
from civicloop.db import transaction
from civicloop.demo.people import DEMO_PASSWORD, AccountGroup, accounts
from civicloop.demo.simulate import DEFAULT_DISTRICT, DemoSummary, run_demo
from civicloop.settings import get_settings

console = Console()
EVENT_LABELS = {"report": "上报", "warn": "黄灯/红灯预警"} | {a: r.label for a, r in BY_ACTION.items()}
RATING_LABELS = {"satisfied": "满意", "basic": "基本满意", "dissatisfied": "不满意"}
SHOWN_PER_GROUP = 3


def demo(
    district: str = typer.Option(DEFAULT_DISTRICT, "--district", "-d", help="District code (default 武汉市武昌区)"),
    weeks: int = typer.Option(6, min=1, help="Simulated weeks, ending today"),
    per_day: float = typer.Option(60, "--per-day", help="New cases on a workday (rest days: about 40 %)"),
    seed: int = typer.Option(1, help="Random seed: the same seed on the same day plays the same weeks"),
    cell_area: Optional[float] = typer.Option(None, "--cell-area", help="Grid cell area in m² (default 10000)"),
    fresh: bool = typer.Option(False, "--fresh", help="Delete everything in the database first"),
    show_accounts: bool = typer.Option(False, "--accounts", help="Only list the demo's accounts"),
) -> None:
    """Build a demo district on the configured database and play weeks of simulated cases."""
    if show_accounts:
        with transaction() as session:
            groups = accounts(session)
        if not groups:
            console.print("no accounts in this database: run `civicloop demo` first")
            raise typer.Exit(1)
        print_accounts(groups)
        return
    with Progress(TextColumn("{task.description:<24}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task("preparing", total=1.0)
        summary = run_demo(get_settings().database_url, district=district, weeks=weeks, per_day=per_day,
                           seed=seed, cell_area_m2=cell_area, fresh=fresh,
                           progress=lambda what, done: bar.update(task, description=what, completed=done))
    print_summary(summary)


def _line(title: str, counts: dict, labels: dict | None = None) -> None:
    parts = "  ".join(f"{(labels or {}).get(k, k)} {v}" for k, v in counts.items())
    console.print(f"[bold]{title}[/]  {parts}")


def print_summary(s: DemoSummary) -> None:
    console.print(f"[bold]{s.district_code} {s.district_name}[/]: {s.cells} grid cells of about "
                  f"{s.cell_area_m2:,.0f} m², {s.departments} departments, {s.users} accounts")
    console.print(f"[bold]period[/] {s.period_start:%Y-%m-%d %H:%M} – {s.period_end:%Y-%m-%d %H:%M} "
                  f"({s.period_note}): {s.cases} cases, {s.actions} lifecycle actions, {s.sweeps} sweeps")
    _line("by channel", s.by_channel)
    _line("by state", s.by_state, {st.value: STATE_LABELS[st] for st in State})
    _line("time limits", {"yellow now": s.yellow, "red now": s.red, "ever overdue": s.overdue,
                          "escalated": s.escalated})
    _line("ratings", {k: s.ratings[k] for k in RATING_LABELS if k in s.ratings}, RATING_LABELS)
    if s.tracked:
        _line("targets and 实事", s.tracked, {st.value: label for st, label in STATUS_LABELS.items()})
    events = Table(title="events by action", title_justify="left", show_header=False, box=None)
    items = [(f"{a} {EVENT_LABELS.get(a, '')}", str(n)) for a, n in s.events_by_action.items()]
    half = (len(items) + 1) // 2
    for left, right in zip(items[:half], items[half:] + [("", "")]):
        events.add_row(*left, *right)
    console.print(events)
    colour = "green" if not s.refused else "red"
    console.print(f"[{colour}]refused actions: {s.refused}[/]")
    for line in s.refusals:
        console.print(f"  {line}")
    console.print(f"[bold]time[/] setup {s.setup_seconds:.1f} s, simulation {s.simulate_seconds:.1f} s "
                  f"({s.cases_per_s:.0f} cases/s, {s.actions_per_s:.0f} actions/s)")
    print_accounts(s.accounts)
    console.print("[bold]Look around[/]")
    console.print("  civicloop case list                       the latest cases")
    console.print("  civicloop case list --state handling      处置中 (--warning red: the red ones)")
    for label, number in s.examples.items():
        console.print(f"  civicloop case show {number}  {label}")
    if s.tracked:
        console.print(f"  civicloop commitments list --district {s.district_code}   the year's targets and 实事 (工作报告)")
    console.print("  civicloop demo --accounts                 these accounts again")
    console.print("  civicloop serve                           the web API at http://127.0.0.1:8000 "
                  "(/docs to try it; docs/api.md)")


def print_accounts(groups: list[AccountGroup]) -> None:
    table = Table("role", "usernames", "who", title=f"demo accounts: every one signs in with the password "
                  f"'{DEMO_PASSWORD}'", title_justify="left")
    for group in groups:
        names = ", ".join(group.usernames[:SHOWN_PER_GROUP])
        if len(group.usernames) > SHOWN_PER_GROUP:
            names += f", … ({len(group.usernames)} in all)"
        table.add_row(group.role, names, group.what)
    console.print(table)
