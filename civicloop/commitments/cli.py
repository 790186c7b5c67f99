"""`civicloop commitments …`: the year's targets and 实事 — list, show, add, plan, report,
drop, supervise, link cases, and the 周督查/半月通报 bulletin."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from civicloop.cases.cli import _now, actor_for
from civicloop.commitments import bulletin as bulletins
from civicloop.commitments import service
from civicloop.commitments.imports import import_reading
from civicloop.commitments.rules import KINDS, Status, parse_date
from civicloop.db import transaction
from civicloop.departments.seed import bureau_code
from civicloop.departments.service import name_of
from civicloop.reports.reader import read_bytes

app = typer.Typer(help="Track the work report's targets and commitments.", no_args_is_help=True)
console = Console()
STATUS_STYLE = {Status.LATE: "red", Status.AT_RISK: "yellow", Status.DONE: "green", Status.DROPPED: "dim"}
AS = typer.Option(..., "--as", help="Username of the person acting")
AT = typer.Option(None, help="Pretend it is this time (ISO)")


def _day(field: str, text: Optional[str], default: dt.date) -> dt.date:
    return parse_date(field, text) if text else default


@app.command("list")
def list_items(district: Optional[str] = typer.Option(None, help="District code"),
               year: Optional[int] = None,
               kind: Optional[str] = typer.Option(None, help=", ".join(KINDS)),
               department: Optional[str] = typer.Option(None, help="Lead or co-department (code)"),
               as_of: Optional[str] = typer.Option(None, help="Status as of this date (default: today)")) -> None:
    """Tracked items with their status as of a date."""
    with transaction() as session:
        day = _day("as_of", as_of, _now(None).date())
        items = service.list_items(session, district_code=district, year=year, kind=kind, department=department)
        verdicts = service.statuses(session, items, day)
        table = Table("#", "类别", "事项", "牵头单位", "状态", "说明", title=f"截至 {day}")
        for item in items:
            verdict = verdicts[item.id]
            table.add_row(str(item.id), KINDS[item.kind], escape(item.title),
                          escape(name_of(session, item.lead_department_id) or ""),
                          f"[{STATUS_STYLE.get(verdict.status, 'default')}]{verdict.label}[/]", escape(verdict.reason))
    console.print(table)


@app.command()
def show(item: int, as_of: Optional[str] = typer.Option(None, help="Status as of this date (default: today)")) -> None:
    """One item: what was promised, its milestones, progress, 督办, linked cases and history."""
    with transaction() as session:
        found = service.get_item(session, item)
        verdict = service.status_of(session, found, _day("as_of", as_of, _now(None).date()))
        co = "、".join(name_of(session, d) or "" for d in sorted(service.co_department_ids(session, found.id)))
        promised = f"{found.quantity:g}{found.unit or ''}" if found.quantity is not None else "—"
        console.print(f"[bold]#{found.id} {escape(found.title)}[/]  {KINDS[found.kind]} {found.district_code} {found.year}年")
        console.print(f"状态: [{STATUS_STYLE.get(verdict.status, 'default')}]{verdict.label}[/] — {escape(verdict.reason)}")
        console.print(f"牵头: {escape(name_of(session, found.lead_department_id) or '')}  配合: {escape(co) or '—'}  "
                      f"目标: {promised}  期限: {found.due}")
        console.print(f"内容: {escape(found.body)}")
        if found.source_sentence:
            console.print(f"原文: {escape(found.source_sentence)}")
        for m in service.milestones(session, found.id):
            target = f" 目标 {m.target_quantity:g}" if m.target_quantity is not None else ""
            console.print(f"  节点 #{m.id} {m.due} {escape(m.what)}{target}")
        for p in service.progress(session, found.id):
            figure = f" 累计 {p.quantity:g}" if p.quantity is not None else ""
            console.print(f"  进展 {p.reported_on} {escape(name_of(session, p.department_id) or '')}: "
                          f"{escape(p.text)}{figure}{' 〔已完成〕' if p.completed else ''}"
                          + "".join(f"\n      佐证 {escape(link)}" for link in p.evidence))
        for order in service.supervisions(session, found.id):
            console.print(f"  督办 {order.created_at:%Y-%m-%d}: {escape(order.note)} (反馈期限 {order.due})")
        for case_id in service.linked_cases(session, found.id):
            console.print(f"  关联案件 #{case_id}")
        for event in service.events(session, found.id):
            console.print(f"  [dim]{event.seq:>3} {event.at:%Y-%m-%d %H:%M} {event.action} ({event.actor_role})"
                          f"{' ' + escape(event.note) if event.note else ''}[/]")


@app.command()
def add(district: str = typer.Option(..., help="District code, e.g. 420106"),
        year: int = typer.Option(..., help="The year of the work report's plan"),
        title: str = typer.Option(...),
        lead: str = typer.Option(..., help="Lead department (code)"),
        kind: str = typer.Option("commitment", help=", ".join(KINDS)),
        text: Optional[str] = typer.Option(None, "--text", help="The full text (default: the title)"),
        source: Optional[str] = typer.Option(None, help="The report's sentence it comes from"),
        quantity: Optional[float] = typer.Option(None, help="The promised quantity or value"),
        unit: Optional[str] = None,
        co: list[str] = typer.Option([], help="A co-department (code); repeat for more"),
        due: Optional[str] = typer.Option(None, help="Due date in the year (default: its last day)"),
        by: str = AS, at: Optional[str] = AT) -> None:
    """Add a target or 实事 commitment by hand."""
    with transaction() as session:
        item = service.create_item(session, actor=actor_for(session, by), now=_now(at), kind=kind,
                                   district_code=district, year=year, title=title, body=text,
                                   source_sentence=source, quantity=quantity, unit=unit, lead_department=lead,
                                   co_departments=tuple(co), due=due)
        console.print(f"已添加 #{item.id} {escape(item.title)}")


@app.command()
def milestone(item: int,
              due: str = typer.Option(..., help="A date (2026-06-30), month (2026-06) or quarter (Q2)"),
              what: str = typer.Option(..., help="What is to be done by then"),
              target: Optional[float] = typer.Option(None, help="Quantity to be reached by then (cumulative)"),
              by: str = AS, at: Optional[str] = AT) -> None:
    """Add a milestone (节点) to an item."""
    with transaction() as session:
        made = service.add_milestone(session, item, actor=actor_for(session, by), now=_now(at), due=due, what=what,
                                     target_quantity=target)
        console.print(f"已添加节点 #{made.id}: {made.due} {escape(made.what)}")


@app.command()
def progress(item: int,
             text: str = typer.Option(..., "--text", help="What was done"),
             on: Optional[str] = typer.Option(None, help="The date the figures are as of (default: today)"),
             quantity: Optional[float] = typer.Option(None, help="Achieved so far (cumulative)"),
             milestone_id: Optional[int] = typer.Option(None, "--milestone", help="The milestone this completes"),
             done: bool = typer.Option(False, "--done", help="The whole item is complete"),
             evidence: list[str] = typer.Option([], help="A link to evidence (photo, document); repeat for more"),
             by: str = AS, at: Optional[str] = AT) -> None:
    """Report progress (as a handler of the lead or a co-department)."""
    with transaction() as session:
        now = _now(at)
        report = service.report_progress(session, item, actor=actor_for(session, by), now=now, text=text,
                                         reported_on=on, quantity=quantity, milestone_id=milestone_id,
                                         completed=done, evidence=evidence)
        verdict = service.status_of(session, service.get_item(session, item), now.date())
        console.print(f"已报告进展 #{report.id}; 当前状态: {verdict.label} — {escape(verdict.reason)}")


@app.command()
def drop(item: int, reason: str = typer.Option(..., help="Why it is dropped"), by: str = AS,
         at: Optional[str] = AT) -> None:
    """Drop an item, with the reason (no more progress is taken)."""
    with transaction() as session:
        found = service.drop_item(session, item, actor=actor_for(session, by), now=_now(at), reason=reason)
        console.print(f"已终止 #{found.id}: {escape(reason)}")


@app.command()
def supervise(item: int, note: str = typer.Option(..., help="What the leader asks"),
              due: str = typer.Option(..., help="Answer by this date"), by: str = AS, at: Optional[str] = AT) -> None:
    """督办: a leader's order on an item, answered by a progress report before its due date."""
    with transaction() as session:
        order = service.supervise(session, item, actor=actor_for(session, by), now=_now(at), note=note, due=due)
        console.print(f"已督办 #{item}（反馈期限 {order.due}）")


@app.command()
def link(item: int, case: str = typer.Argument(..., help="Case id or number"), by: str = AS,
         at: Optional[str] = AT) -> None:
    """Link a citizen case to the item it concerns."""
    with transaction() as session:
        service.link_case(session, item, case, actor=actor_for(session, by), now=_now(at))
        console.print(f"已关联案件 {escape(case)} → #{item}")


@app.command("import")
def import_report(report: Path = typer.Argument(..., help="A work report as found (UTF-8, UTF-16 or GB18030 text)"),
                  district: str = typer.Option(..., help="District code"),
                  year: Optional[int] = typer.Option(None, help="The plan year (default: the one the report names)"),
                  lead: Optional[str] = typer.Option(None, help="Lead department of items whose text names none "
                                                                "(default: the district's 人民政府办公室)"),
                  by: str = AS, at: Optional[str] = AT) -> None:
    """Read a 政府工作报告 and track each of its targets and 实事 items, with its sentence."""
    if not report.is_file():
        raise typer.BadParameter(f"{report} is not a readable file")
    reading = read_bytes(report.read_bytes(), report.name)
    with transaction() as session:
        result = import_reading(session, reading, district_code=district, year=year,
                                lead_department=lead or bureau_code(district, "zfb"),
                                actor=actor_for(session, by), now=_now(at))
    console.print(f"{result.year}年: 新建跟踪事项 {len(result.created)} 项（目标 {len(reading.targets)}、"
                  f"实事 {len(reading.commitments)}），已导入过 {result.already} 项")
    for note in result.notes:
        console.print(f"  {escape(note)}")
    for missed in reading.unparsed:
        console.print(f"  [yellow]未能解析[/]（{missed.kind}）: {escape(missed.source.text[:80])}")


@app.command()
def bulletin(district: str = typer.Option(..., help="District code"),
             as_of: str = typer.Option(..., help="The bulletin's date"),
             since: Optional[str] = typer.Option(None, help="Changes after this date (default: the last bulletin's date)"),
             year: Optional[int] = typer.Option(None, help="Items of this year (default: the year of --as-of)"),
             xlsx: Optional[Path] = typer.Option(None, help="Write the Excel workbook here"),
             html: Optional[Path] = typer.Option(None, help="Write the printable HTML page here"),
             by: str = AS, at: Optional[str] = AT) -> None:
    """The 周督查/半月通报: late, at risk, what changed since the last bulletin, by department.
    Recorded as issued, so the next one's "since" is this one's date."""
    for path in (xlsx, html):
        if path is not None and not path.parent.is_dir():
            raise typer.BadParameter(f"no folder {path.parent}")
    with transaction() as session:
        data = bulletins.issue(session, actor=actor_for(session, by), now=_now(at), district_code=district,
                               as_of=parse_date("as_of", as_of), since=parse_date("since", since) if since else None,
                               year=year)
        if xlsx is not None:
            bulletins.write_xlsx(data, xlsx)
        if html is not None:
            bulletins.write_html(data, html)
    console.print(f"[bold]{data.title}[/]")
    for line in bulletins.summary_lines(data):
        console.print(line)
    for row in data.late:
        console.print(f"  [red]滞后[/] #{row.id} {escape(row.title)}（{escape(row.lead)}）{escape(row.reason)}")
    for row in data.at_risk:
        console.print(f"  [yellow]风险[/] #{row.id} {escape(row.title)}（{escape(row.lead)}）{escape(row.reason)}")
    for path in (xlsx, html):
        if path is not None:
            console.print(f"已写入 {path}")
