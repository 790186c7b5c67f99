"""`civicloop hot`: the hot issues (热点问题) of a district's recent cases, or of a CSV of messages."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from civicloop.cases.lifecycle import Actor, Role
from civicloop.cases.views import only_district
from civicloop.db import transaction
from civicloop.errors import InvalidInput
from civicloop.hot import service
from civicloop.settings import local_now

app = typer.Typer(help="Hot issues (热点问题) of recent cases or of a file of messages.")
console = Console()
SYSTEM = Actor(user_id=None, role=Role.SYSTEM)
BAR_FROM = 5000  # reports; fewer are grouped in about a second


@app.callback(invoke_without_command=True)
def hot(
    days: Annotated[int | None, typer.Option(help="Cases (or messages) of the last DAYS days; cases: 7 if omitted, a file: all of it")] = None,
    top: Annotated[int, typer.Option(help="How many topics to show")] = 10,
    district: Annotated[str | None, typer.Option(help="District code (default: the only district)")] = None,
    until: Annotated[str | None, typer.Option(help="End of the window, e.g. 2026-11-23T09:00 (default: now)")] = None,
    messages: Annotated[Path | None, typer.Option(
        "--messages", help="A CSV with the columns of hot-messages.csv, instead of cases")] = None,
    refs: Annotated[bool, typer.Option("--refs", help="List every case or message behind each topic")] = False,
) -> None:
    """Group recent reports into topics and rank them by heat (docs/hot.md says how)."""
    if messages is not None:
        if district or until:
            raise InvalidInput("messages", "--district and --until are for cases; a file is read whole "
                                           "(use --days for its last days)")
        reports = service.read_messages(messages)
        result = _with_bar(len(reports), lambda progress: service.hot_messages(reports, top=top, days=days,
                                                                               progress=progress))
        source = f"{messages.name}: {result.reports} 条留言"
    else:
        end = _until(until)
        with transaction() as session:
            code = district or only_district(session)
            result = _with_bar(None, lambda progress: service.hot_cases(
                session, SYSTEM, district_code=code, days=7 if days is None else days, top=top, until=end,
                progress=progress))
        source = f"{code}: {result.reports} 件案件"
    _print(result, source, refs)


def _until(text: str | None) -> dt.datetime:
    if not text:
        return local_now()
    try:
        return dt.datetime.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        raise InvalidInput("until", f"an ISO date-time like 2026-11-23T09:00, got {text!r}") from None


def _with_bar(size: int | None, run):
    """Run with a progress bar over the blocks compared, when there are many reports."""
    with Progress(TextColumn("归并话题"), BarColumn(), TextColumn("{task.completed}/{task.total} 组"),
                  TimeElapsedColumn(), console=console, transient=True,
                  disable=size is not None and size < BAR_FROM) as bar:
        task = bar.add_task("group", total=None)
        return run(lambda done, total: bar.update(task, completed=done, total=total))


def _print(result: service.HotIssues, source: str, refs: bool) -> None:
    window = f"{result.since:%Y-%m-%d %H:%M} – {result.until:%Y-%m-%d %H:%M}" if result.until else "—"
    console.print(f"[bold]{source}[/] ({window}), {result.grouped} 条归入话题")
    if not result.topics:
        console.print("没有热点话题：这段时间里没有两条以上说同一地点同一件事的诉求。")
        return
    table = Table(title="热点问题", title_justify="left")
    for name, justify in (("#", "right"), ("热度", "right"), ("话题", "left"), ("诉求", "right"),
                          ("人数", "right"), ("支持", "right"), ("时间", "left")):
        table.add_column(name, justify=justify, no_wrap=name != "话题")
    for rank, topic in enumerate(result.topics, start=1):
        table.add_row(str(rank), f"{topic.heat.index:.1f}", topic.title, str(topic.heat.reports),
                      str(topic.heat.reporters), str(topic.heat.support),
                      f"{topic.first_at:%Y-%m-%d}–{topic.last_at:%m-%d}")
    console.print(table)
    if not refs:
        console.print("诉求: 件数; 人数: 不同诉求人; 支持: 点赞 − 反对. --refs 列出每个话题背后的编号。")
        return
    for rank, topic in enumerate(result.topics, start=1):
        console.print(f"{rank}. {topic.title}: {', '.join(topic.refs)}", soft_wrap=True)
