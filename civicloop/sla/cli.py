"""`civicloop calendar …`: admin overrides of the official holiday calendar, and a check
of how a deadline comes out."""
from __future__ import annotations

import datetime as dt
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from civicloop.db import transaction
from civicloop.errors import InvalidInput
from civicloop.sla import service
from civicloop.sla.calendar import PACKAGE_YEARS

app = typer.Typer(help="Working-time calendar: holidays, 调休 make-up workdays, deadlines.", no_args_is_help=True)

WEEKDAYS = "一二三四五六日"


class Kind(str, Enum):
    workday = "workday"
    holiday = "holiday"


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("date", f"{value!r} is not a date like 2027-01-01") from None


def _label(day: dt.date, is_workday: bool) -> str:
    return f"{day.isoformat()} 周{WEEKDAYS[day.weekday()]} {'上班' if is_workday else '休息'}"


@app.command("set")
def set_(date: str, kind: Kind, name: Optional[str] = typer.Option(None, help="e.g. 春节, 国庆节调休上班")) -> None:
    """Mark DATE as a workday or a holiday; this wins over the official calendar."""
    day = _date(date)
    with transaction() as session:
        newly_known = service.year_status(session, day.year) == "unknown"
        service.set_day(session, day, kind is Kind.workday, name)
    typer.echo(f"已设置：{_label(day, kind is Kind.workday)} {name or ''}".rstrip())
    if newly_known:
        typer.secho(
            f"注意：{day.year} 年官方日历包未收录，现按管理员录入计算，未录入的日子按周一至周五上班。"
            f"请录入该年全部法定节假日和调休上班日。",
            fg="yellow",
        )


@app.command("unset")
def unset(date: str) -> None:
    """Drop the override of DATE: it follows the official calendar again."""
    day = _date(date)
    with transaction() as session:
        service.unset_day(session, day)
    typer.echo(f"已删除 {day.isoformat()} 的调整，恢复按官方日历。")


@app.command("list")
def list_(year: Optional[int] = typer.Option(None, help="only this year")) -> None:
    """The admin overrides, by date."""
    with transaction() as session:
        rows = service.list_days(session, year)
    if not rows:
        typer.echo("没有管理员调整。")
    for row in rows:
        typer.echo(f"{_label(row.day, row.is_workday)} {row.name or ''}".rstrip())


@app.command("import")
def import_(file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV: date,is_workday,name")) -> None:
    """Load overrides from a CSV file; one bad row rejects the whole file."""
    with transaction() as session:
        count = service.import_days(session, file.read_text(encoding="utf-8-sig"))
    typer.echo(f"已导入 {count} 天。")


@app.command("check")
def check(year: Optional[int] = typer.Option(None, help="the year to check (default: next year)")) -> None:
    """Whether YEAR's workdays are known, and from where. Exit code 1 when unknown."""
    year = year or dt.date.today().year + 1
    with transaction() as session:
        status = service.year_status(session, year)
        rows = service.list_days(session, year)
    holidays = sum(not r.is_workday for r in rows)
    marked = f"管理员调整 {len(rows)} 天（休息 {holidays} 天，上班 {len(rows) - holidays} 天）"
    if status == "package":
        typer.echo(f"{year} 年：已知，来自官方日历包 chinesecalendar（收录 {PACKAGE_YEARS.start}–{PACKAGE_YEARS.stop - 1} 年）；{marked}。")
    elif status == "overrides":
        typer.echo(f"{year} 年：已知，来自{marked}；官方日历包未收录，未录入的日子按周一至周五上班。")
    else:
        typer.secho(
            f"{year} 年：未知。官方日历包未收录，也没有管理员录入；涉及该年的工作时限会报错。"
            "国务院每年秋季公布次年放假安排，请用 `civicloop calendar import` 录入。",
            fg="red",
        )
        raise typer.Exit(1)


@app.command("add")
def add(start: str, hours: float, natural: bool = typer.Option(False, "--natural", help="natural hours, not working hours")) -> None:
    """Print the deadline HOURS after START (e.g. "2025-01-27 16:00")."""
    try:
        begin = dt.datetime.fromisoformat(start)
    except ValueError:
        raise InvalidInput("start", f"{start!r} is not a time like 2025-01-27 16:00") from None
    basis = "natural" if natural else "working"
    with transaction() as session:
        deadline = service.load_calendar(session).add(begin, hours, basis)
    typer.echo(f"截止：{deadline:%Y-%m-%d %H:%M} 周{WEEKDAYS[deadline.weekday()]}（{'自然' if natural else '工作'}时间 {hours:g} 小时）")
