"""`civicloop case …` and `civicloop sweep`."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select

from civicloop.cases import lifecycle, service
from civicloop.cases.attachments import Upload
from civicloop.cases.lifecycle import Actor
from civicloop.cases.models import CHANNELS, Case
from civicloop.db import get_engine, transaction
from civicloop.errors import InvalidInput
from civicloop.privacy import mask_name, mask_phone, mask_text
from civicloop.settings import PROJECT_DIR, local_now

app = typer.Typer(help="Cases (案件/工单): create, show, list, act.", no_args_is_help=True)
console = Console()


def _now(at: Optional[str]) -> dt.datetime:
    if not at:
        return local_now()
    try:
        return dt.datetime.fromisoformat(at)
    except ValueError:
        raise InvalidInput("at", f"an ISO date-time like 2026-11-23T09:30, got {at!r}")


def _uploads(paths: list[Path]) -> tuple[Upload, ...]:
    for index, path in enumerate(paths):
        if not path.is_file():
            raise InvalidInput(f"photo[{index}]", f"{path} is not a readable file")
    return tuple(Upload(path.name, path.read_bytes()) for path in paths)


def actor_for(session, username: str) -> Actor:
    from civicloop.users.service import actor_for_username

    return actor_for_username(session, username)


@app.command()
def create(
    district: str = typer.Option(..., help="District code, e.g. 420106"),
    title: str = typer.Option(...),
    text: str = typer.Option(..., "--text", help="What the reporter said"),
    channel: str = typer.Option("hotline", help=", ".join(f"{k} {v}" for k, v in CHANNELS.items())),
    by: str = typer.Option(..., "--as", help="Username of the person registering it"),
    lon: Optional[float] = None, lat: Optional[float] = None,
    wgs84: bool = typer.Option(False, help="lon/lat are GPS (WGS-84), not GCJ-02"),
    grid: Optional[str] = None, address: Optional[str] = None, category: Optional[str] = None,
    name: Optional[str] = None, phone: Optional[str] = None, priority: Optional[str] = None,
    key: Optional[str] = typer.Option(None, help="Idempotency key: a retry with it creates no second case"),
    photo: list[Path] = typer.Option([], help="A photo (or PDF) that comes with the report"),
    at: Optional[str] = typer.Option(None, help="Pretend it is this time (ISO)"),
) -> None:
    """Register a new case (上报)."""
    uploads = _uploads(photo)
    with transaction() as session:
        made = service.create_case(session, service.NewCase(
            channel=channel, title=title, body=text, district_code=district, reporter_name=name,
            reporter_phone=phone, address=address, lon=lon, lat=lat, crs="wgs84" if wgs84 else "gcj02",
            grid_code=grid, category=category, priority=priority, idempotency_key=key),
            actor=actor_for(session, by), now=_now(at), attachments=uploads)
        verb = "created" if made.created else "already exists (same idempotency key)"
        console.print(f"case {made.case.number} (id {made.case.id}) {verb}: {made.case.state}, "
                      f"grid {made.case.grid_code or '—'}, deadline {made.case.deadline}")


@app.command()
def act(
    case: str = typer.Argument(..., help="Case id or number"),
    action: str = typer.Argument(..., help=", ".join(lifecycle.ACTIONS)),
    by: str = typer.Option(..., "--as", help="Username of the actor"),
    note: str = "", department: Optional[str] = typer.Option(None, help="Lead department code (dispatch)"),
    assist: list[str] = typer.Option([], help="Assisting department codes (联办)"),
    master: Optional[str] = typer.Option(None, help="Case to merge into"),
    hours: Optional[float] = typer.Option(None, help="Extension hours"),
    rating: Optional[str] = typer.Option(None, help="satisfied | basic | dissatisfied"),
    version: Optional[int] = typer.Option(None, help="Refuse if the case is no longer at this version"),
    photo: list[Path] = typer.Option([], help="Evidence: a photo (or PDF) of the work"),
    at: Optional[str] = None,
) -> None:
    """Take one lifecycle action on a case."""
    uploads = _uploads(photo)
    from civicloop.departments.service import get_department

    with transaction() as session:
        inp = service.ActionInput(
            action=action, note=note, expected_version=version, extension_hours=hours, rating=rating,
            attachments=uploads,
            department_id=get_department(session, department).id if department else None,
            assisting_department_ids=tuple(get_department(session, d).id for d in assist),
            master_case_id=service.get_case(session, master).id if master else None)
        c = service.act(session, case, inp, actor=actor_for(session, by), now=_now(at))
        console.print(f"case {c.number}: {action} → {c.state} ({lifecycle.STATE_LABELS[lifecycle.State(c.state)]}), "
                      f"version {c.version}, deadline {c.deadline}")


@app.command()
def show(case: str, contact: bool = typer.Option(False, help="Show the reporter's name and phone unmasked"),
         full: bool = typer.Option(False, help="The whole text, however long")) -> None:
    """A case with its full event history."""
    from civicloop.categories.service import path_of
    from civicloop.categories.models import Category
    from civicloop.departments.models import Department
    from civicloop.regions.models import Region
    from civicloop.users.models import User

    with transaction() as session:
        c = service.get_case(session, case)
        names = dict(session.execute(select(Department.id, Department.name)).all())
        users = dict(session.execute(select(User.id, User.username)).all())
        place = " ".join(session.get(Region, code).name for code in (c.street_code, c.community_code) if code)
        category = session.get(Category, c.category_id) if c.category_id else None
        body = c.body if contact else mask_text(c.body)
        facts = Table.grid(padding=(0, 2))
        facts.add_column(style="bold")
        facts.add_column()
        for label, value in [
            ("状态 state", f"{lifecycle.STATE_LABELS[lifecycle.State(c.state)]} ({c.state}), version {c.version}"),
            ("预警 warning", f"{c.warning}{'，曾超期 overdue' if c.overdue else ''}; "
                            f"escalation: {lifecycle.ESCALATION_LABELS[c.escalation_level]}"),
            ("渠道 channel", CHANNELS[c.channel]),
            ("类别 category", path_of(session, category) if category else "—"),
            ("地点 place", f"{place} grid {c.grid_code or '—'}  {c.address or ''}"),
            ("诉求人 reporter", f"{(c.reporter_name if contact else mask_name(c.reporter_name)) or '—'} "
                               f"{(c.reporter_phone if contact else mask_phone(c.reporter_phone)) or ''}"),
            ("承办 department", names.get(c.lead_department_id, "—")),
            ("时限 deadline", f"step {c.deadline or '—'}; handling {c.handle_deadline or '—'} ({c.time_basis})"),
            ("评价 rating", c.rating or "—"),
        ]:
            facts.add_row(label, escape(str(value)))
        console.print(f"[bold]{c.number}[/]  {escape(c.title)}")
        console.print(facts)
        console.print(escape(body if full or len(body) <= 300 else body[:300] + " …(--full)"))
        table = Table("#", "at", "action", "by", "state", "note")
        for e in service.events(session, c.id):
            who = users.get(e.actor_id, e.actor_role)
            table.add_row(str(e.seq), f"{e.at:%m-%d %H:%M}", e.action, escape(who),
                          e.to_state if e.from_state in (None, e.to_state) else f"{e.from_state} → {e.to_state}",
                          escape(mask_text(e.note) or ""))
        console.print(table)


@app.command("list")
def list_cases(state: Optional[str] = None, district: Optional[str] = None, warning: Optional[str] = None,
               limit: int = 30) -> None:
    """The latest cases, newest first."""
    with transaction() as session:
        q = select(Case).order_by(Case.id.desc()).limit(limit)
        if state:
            q = q.where(Case.state == state)
        if district:
            q = q.where(Case.district_code == district)
        if warning:
            q = q.where(Case.warning == warning)
        table = Table("number", "state", "warning", "channel", "title", "deadline")
        table.columns[0].no_wrap = True
        table.columns[4].no_wrap = True
        table.columns[4].overflow = "ellipsis"
        for c in session.scalars(q):
            table.add_row(c.number, lifecycle.STATE_LABELS[lifecycle.State(c.state)], c.warning,
                          CHANNELS[c.channel], escape(c.title), f"{c.deadline:%m-%d %H:%M}" if c.deadline else "")
        console.print(table)


@app.command()
def diagram(write: bool = typer.Option(False, help="Rewrite docs/lifecycle.md from the rules")) -> None:
    """The lifecycle state diagram (Mermaid), generated from cases/lifecycle.py."""
    text = lifecycle_doc()
    if write:
        (PROJECT_DIR / "docs" / "lifecycle.md").write_text(text, encoding="utf-8")
        console.print("docs/lifecycle.md written")
    else:
        typer.echo(lifecycle.mermaid())


def lifecycle_doc() -> str:
    rows = "\n".join(
        f"| `{r.action}` | {r.label} | {', '.join(sorted(s.value for s in r.sources))} | "
        f"{r.target.value if r.target else '(unchanged)'} | {', '.join(sorted(x.value for x in r.roles))} | "
        f"{', '.join(g.__name__ for g in r.guards) or '—'} |" for r in lifecycle.RULES)
    states = "\n".join(f"| `{s.value}` | {lifecycle.STATE_LABELS[s]} | {'terminal' if s in lifecycle.TERMINAL else 'open'} |"
                       for s in lifecycle.State)
    return f"""# The case lifecycle

Generated by `civicloop case diagram --write` from `civicloop/cases/lifecycle.py`, the one
module that holds the rules; a test fails when this page and the code disagree.

An action not allowed in the current state is refused with the state and the actions that
are allowed there (HTTP 409); an action by a role that may not take it is refused as
forbidden (403); a missing reason, department or rating is refused naming the field (422).
Every action is one transaction that writes the change and one event row (actor, time,
note, from/to state, the fields it changed).

```mermaid
{lifecycle.mermaid()}```

## States

| state | 中文 | kind |
|---|---|---|
{states}

## Actions

| action | 中文 | from | to | roles | guards |
|---|---|---|---|---|---|
{rows}

The sweep (`civicloop sweep`, role `system`) also writes `warn` events when a case turns
yellow or red, and `escalate` events along 网格 → 社区 → 街道 → 区 (四级五调): one level at
the deadline and one more for every further full time limit that passes.
"""


@app.command("rebuild-check")
def rebuild_check() -> None:
    """Rebuild every case from its event log and compare with the stored row."""
    bad = 0
    with transaction() as session:
        ids = session.scalars(select(Case.id)).all()
        for case_id in ids:
            diff = service.rebuild_mismatches(session, session.get(Case, case_id))
            if diff:
                bad += 1
                console.print(f"case {case_id}: {json.dumps({k: [str(a), str(b)] for k, (a, b) in diff.items()}, ensure_ascii=False)}")
    console.print(f"{len(ids)} cases rebuilt from their events, {bad} differ")
    raise typer.Exit(1 if bad else 0)


def sweep_command(
    at: Optional[str] = typer.Option(None, help="Sweep as of this time (ISO); default now"),
    loop: bool = typer.Option(False, help="Keep sweeping, every --every seconds, while this process holds the "
                                          "sweep lease (one sweeper at a time across servers and processes)"),
    every: float = typer.Option(60.0, min=0.1, help="Seconds between sweeps with --loop"),
) -> None:
    """Mark yellow/red and escalate overdue cases (safe to run from several processes at once)."""
    from civicloop.cases.sweep import sweep

    if loop:
        from civicloop.ops.scheduler import run_forever
        return run_forever(get_engine(), every)
    result = sweep(get_engine(), now=_now(at))
    console.print(f"sweep: {result.checked} checked, {result.yellow} yellow, {result.red} red, "
                  f"{result.escalated} escalated in {result.seconds:.2f} s")
    if result.calendar_unknown:
        console.print(f"[red]{result.calendar_unknown} case(s) not counted: their next time limit falls in a year "
                      f"the official calendar does not know yet; see `civicloop calendar check`[/]")
