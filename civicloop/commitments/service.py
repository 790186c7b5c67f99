"""Tracked items (targets and 实事): creation, milestones, progress, 督办, drop, links from
cases, the event history, derived statuses and the bulletins issued.

Every change of an item goes through `_log`: it bumps the item's version (the ORM's
check refuses a concurrent writer) and appends the event, in the caller's transaction.
Who may do what is asked of auth/policy.py and commitments/rules.py; status is derived by
rules.derive, never stored."""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from civicloop.auth.policy import may
from civicloop.cases.lifecycle import Actor
from civicloop.cases.service import get_case
from civicloop.commitments import rules
from civicloop.commitments.models import (
    Bulletin,
    CaseLink,
    ItemDepartment,
    ItemEvent,
    Milestone,
    ProgressReport,
    Supervision,
    TrackedItem,
)
from civicloop.departments.models import Department
from civicloop.departments.service import check_district_code, get_department
from civicloop.errors import Conflict, Forbidden, InvalidInput, NotFound

TITLE_MAX = 200
BODY_MAX = 20_000
SENTENCE_MAX = 4_000
TEXT_MAX = 5_000
UNIT_MAX = 20
QUANTITY_MAX = 1e12
EVIDENCE_MAX = 20
LINK_MAX = 500
CO_DEPARTMENTS_MAX = 20
YEARS = range(2000, 2101)


def _require(actor: Actor, permission: str) -> None:
    if not may(actor, permission):
        raise Forbidden("role", f"a {actor.role.value} may not do this ({permission})")


def _text(field: str, value: str | None, limit: int, *, required: bool) -> str | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise InvalidInput(field, "must not be empty")
        return None
    if len(value) > limit:
        raise InvalidInput(field, f"at most {limit} characters, got {len(value)}")
    return value


def _quantity(field: str, value: float | None) -> float | None:
    if value is None:
        return None
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) \
            or not 0 <= value <= QUANTITY_MAX:
        raise InvalidInput(field, f"a number from 0 to {QUANTITY_MAX:g} is required, got {value!r}")
    return float(value)


def _date(field: str, value: dt.date | str) -> dt.date:
    return value if isinstance(value, dt.date) else rules.parse_date(field, value)


def department_of(session: Session, field: str, ref: int | str, district_code: str) -> Department:
    """A department of the district, or an error naming the field that named it."""
    try:
        found = get_department(session, ref)
    except NotFound:
        raise InvalidInput(field, f"no department {ref!r}") from None
    if found.district_code != district_code:
        raise InvalidInput(field, f"{found.code} ({found.name}) is a department of {found.district_code}, "
                                  f"not of {district_code}")
    return found


def _log(session: Session, item: TrackedItem, action: str, *, actor: Actor, now: dt.datetime,
         note: str | None = None, changes: dict | None = None) -> ItemEvent:
    """Bump the item's version under the ORM's check and append the event."""
    item.updated_at = now
    flag_modified(item, "updated_at")
    session.flush()
    event = ItemEvent(item_id=item.id, seq=item.version, action=action, at=now, actor_id=actor.user_id,
                      actor_role=actor.role.value, note=note, changes=changes or {})
    session.add(event)
    session.flush()
    return event


def _jsonable(value):
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


# ------------------------------------------------------------------ items

def create_item(session: Session, *, actor: Actor, now: dt.datetime, kind: str, district_code: str, year: int,
                title: str, lead_department: int | str, body: str | None = None,
                source_sentence: str | None = None, quantity: float | None = None, unit: str | None = None,
                co_departments: tuple[int | str, ...] = (), due: dt.date | str | None = None) -> TrackedItem:
    """A target or 实事 commitment of `district_code`'s work report for `year`. Its due date
    is the year's last day unless given (a date in the year)."""
    _require(actor, "commitments.write")
    if kind not in rules.KINDS:
        raise InvalidInput("kind", f"{kind!r} is not one of {', '.join(rules.KINDS)}")
    district_code = check_district_code(district_code)
    if not isinstance(year, int) or year not in YEARS:
        raise InvalidInput("year", f"a year from {YEARS.start} to {YEARS.stop - 1} is required, got {year!r}")
    title = _text("title", title, TITLE_MAX, required=True)
    body = _text("body", body, BODY_MAX, required=False) or title
    source_sentence = _text("source_sentence", source_sentence, SENTENCE_MAX, required=False)
    quantity = _quantity("quantity", quantity)
    unit = _text("unit", unit, UNIT_MAX, required=False)
    due_date = rules.check_in_year("due", _date("due", due), year) if due is not None else dt.date(year, 12, 31)
    lead = department_of(session, "lead_department", lead_department, district_code)
    if len(co_departments) > CO_DEPARTMENTS_MAX:
        raise InvalidInput("co_departments", f"at most {CO_DEPARTMENTS_MAX}")
    co_ids: list[int] = []
    for index, ref in enumerate(co_departments):
        found = department_of(session, f"co_departments[{index}]", ref, district_code)
        if found.id == lead.id:
            raise InvalidInput(f"co_departments[{index}]", f"{found.code} is already the lead department")
        if found.id not in co_ids:
            co_ids.append(found.id)
    item = TrackedItem(kind=kind, district_code=district_code, year=year, title=title, body=body,
                       source_sentence=source_sentence, quantity=quantity, unit=unit, due=due_date,
                       lead_department_id=lead.id, created_at=now, created_by_id=actor.user_id, updated_at=now)
    session.add(item)
    session.flush()
    session.add_all(ItemDepartment(item_id=item.id, department_id=d) for d in co_ids)
    carried = {c.key: _jsonable(getattr(item, c.key)) for c in TrackedItem.__table__.columns
               if c.key not in ("id", "version")}
    session.add(ItemEvent(item_id=item.id, seq=item.version, action="create", at=now, actor_id=actor.user_id,
                          actor_role=actor.role.value, changes={**carried, "co_department_ids": co_ids}))
    session.flush()
    return item


def get_item(session: Session, item_id: int) -> TrackedItem:
    found = session.get(TrackedItem, item_id) if isinstance(item_id, int) and 0 < item_id < 2**31 else None
    if found is None:
        raise NotFound("item", f"no tracked item {item_id!r}")
    return found


def co_departments(session: Session, item_ids: list[int]) -> dict[int, list[int]]:
    """Each item's co-departments in the order they were given, in a query per 500 items."""
    found: dict[int, list[int]] = {}
    for start in range(0, len(item_ids), 500):
        for link in session.execute(select(ItemDepartment.item_id, ItemDepartment.department_id)
                                    .where(ItemDepartment.item_id.in_(item_ids[start:start + 500]))
                                    .order_by(ItemDepartment.id)):
            found.setdefault(link.item_id, []).append(link.department_id)
    return found


def co_department_ids(session: Session, item_id: int) -> frozenset[int]:
    return frozenset(co_departments(session, [item_id]).get(item_id, ()))


def list_items(session: Session, *, district_code: str | None = None, year: int | None = None,
               kind: str | None = None, department: int | str | None = None) -> list[TrackedItem]:
    """In the order they were created; `department` matches the lead and the co-departments."""
    query = select(TrackedItem).order_by(TrackedItem.id)
    if district_code is not None:
        query = query.where(TrackedItem.district_code == check_district_code(district_code))
    if year is not None:
        query = query.where(TrackedItem.year == year)
    if kind is not None:
        if kind not in rules.KINDS:
            raise InvalidInput("kind", f"{kind!r} is not one of {', '.join(rules.KINDS)}")
        query = query.where(TrackedItem.kind == kind)
    if department is not None:
        try:
            dept = get_department(session, department)
        except NotFound:
            raise InvalidInput("department", f"no department {department!r}") from None
        co = select(ItemDepartment.item_id).where(ItemDepartment.department_id == dept.id)
        query = query.where((TrackedItem.lead_department_id == dept.id) | TrackedItem.id.in_(co))
    return list(session.scalars(query))


def _open(item: TrackedItem, what: str) -> None:
    if item.dropped_at is not None:
        raise Conflict("item", f"item {item.id} was dropped on {item.dropped_at:%Y-%m-%d} "
                               f"({item.drop_reason}); {what} is refused", state=rules.Status.DROPPED.value)


def add_milestone(session: Session, item_id: int, *, actor: Actor, now: dt.datetime, due: dt.date | str,
                  what: str, target_quantity: float | None = None) -> Milestone:
    """`due`: a date, a month (2026-06) or a quarter (Q2) of the item's year, not after its due date."""
    _require(actor, "commitments.write")
    item = get_item(session, item_id)
    _open(item, "a new milestone")
    due_date = due if isinstance(due, dt.date) else rules.period_end("due", due, item.year)
    rules.check_in_year("due", due_date, item.year, latest=item.due)
    what = _text("what", what, 300, required=True)
    target_quantity = _quantity("target_quantity", target_quantity)
    if target_quantity is not None and item.quantity is not None and target_quantity > item.quantity:
        raise InvalidInput("target_quantity", f"{target_quantity:g} exceeds the item's promised {item.quantity:g}")
    milestone = Milestone(item_id=item.id, due=due_date, what=what, target_quantity=target_quantity)
    session.add(milestone)
    session.flush()
    _log(session, item, "milestone", actor=actor, now=now, note=what,
         changes={"milestone_id": milestone.id, "due": due_date.isoformat(), "target_quantity": target_quantity})
    return milestone


def _evidence(links: tuple[str, ...] | list[str]) -> list[str]:
    if len(links) > EVIDENCE_MAX:
        raise InvalidInput("evidence", f"at most {EVIDENCE_MAX} links")
    out = []
    for index, link in enumerate(links):
        link = (link or "").strip()
        if not link.lower().startswith(("http://", "https://")) or len(link) > LINK_MAX or any(c.isspace() for c in link):
            raise InvalidInput(f"evidence[{index}]", f"an http(s) link of at most {LINK_MAX} characters, got {link[:80]!r}")
        out.append(link)
    return out


def report_progress(session: Session, item_id: int, *, actor: Actor, now: dt.datetime, text: str,
                    reported_on: dt.date | str | None = None, quantity: float | None = None,
                    milestone_id: int | None = None, completed: bool = False,
                    evidence: tuple[str, ...] | list[str] = ()) -> ProgressReport:
    """A progress report by a handler of the lead or a co-department: what was done, the
    quantity achieved so far (cumulative), the milestone it completes, evidence links."""
    _require(actor, "commitments.progress")
    item = get_item(session, item_id)
    why_not = rules.may_report_progress(actor, lead_department_id=item.lead_department_id,
                                        co_department_ids=co_department_ids(session, item.id))
    if why_not:
        field, detail = why_not.split(": ", 1)
        raise Forbidden(field, detail)
    _open(item, "a progress report")
    on = _date("reported_on", reported_on) if reported_on is not None else now.date()
    if on > now.date():
        raise InvalidInput("reported_on", f"{on} is in the future")
    if on.year < item.year:
        raise InvalidInput("reported_on", f"{on} is before the item's year {item.year}")
    text = _text("text", text, TEXT_MAX, required=True)
    quantity = _quantity("quantity", quantity)
    if milestone_id is not None and session.scalar(select(Milestone.id).where(
            Milestone.id == milestone_id, Milestone.item_id == item.id)) is None:
        raise InvalidInput("milestone_id", f"item {item.id} has no milestone {milestone_id!r}")
    report = ProgressReport(item_id=item.id, reported_on=on, text=text, quantity=quantity, milestone_id=milestone_id,
                            completed=bool(completed), evidence=_evidence(evidence), reporter_id=actor.user_id,
                            department_id=actor.department_id, created_at=now)
    session.add(report)
    session.flush()
    _log(session, item, "progress", actor=actor, now=now, note=text,
         changes={"progress_id": report.id, "reported_on": on.isoformat(), "quantity": quantity,
                  "milestone_id": milestone_id, "completed": bool(completed), "evidence": report.evidence})
    return report


def supervise(session: Session, item_id: int, *, actor: Actor, now: dt.datetime, note: str,
              due: dt.date | str) -> Supervision:
    """督办 by a leader: what is asked, and by when the departments must answer."""
    _require(actor, "commitments.supervise")
    item = get_item(session, item_id)
    _open(item, "督办")
    note = _text("note", note, TEXT_MAX, required=True)
    due_date = _date("due", due)
    if due_date < now.date():
        raise InvalidInput("due", f"{due_date} is already past")
    order = Supervision(item_id=item.id, note=note, due=due_date, leader_id=actor.user_id, created_at=now)
    session.add(order)
    session.flush()
    _log(session, item, "supervise", actor=actor, now=now, note=note,
         changes={"supervision_id": order.id, "due": due_date.isoformat()})
    return order


def drop_item(session: Session, item_id: int, *, actor: Actor, now: dt.datetime, reason: str) -> TrackedItem:
    _require(actor, "commitments.write")
    item = get_item(session, item_id)
    _open(item, "dropping it again")
    reason = _text("reason", reason, TEXT_MAX, required=True)
    item.dropped_at, item.drop_reason = now, reason
    _log(session, item, "drop", actor=actor, now=now, note=reason,
         changes={"dropped_at": now.isoformat(), "drop_reason": reason})
    return item


def link_case(session: Session, item_id: int, case_ref: int | str, *, actor: Actor, now: dt.datetime) -> CaseLink:
    """A citizen case concerns this item (e.g. a complaint about a promised park)."""
    _require(actor, "commitments.link")
    item = get_item(session, item_id)
    case = get_case(session, case_ref)
    if case.district_code != item.district_code:
        raise InvalidInput("case", f"case {case.number} is in {case.district_code}, the item in {item.district_code}")
    if session.scalar(select(CaseLink.id).where(CaseLink.case_id == case.id, CaseLink.item_id == item.id)):
        raise Conflict("case", f"case {case.number} is already linked to item {item.id}")
    link = CaseLink(case_id=case.id, item_id=item.id, linked_by_id=actor.user_id, created_at=now)
    session.add(link)
    session.flush()
    _log(session, item, "link_case", actor=actor, now=now, changes={"case_id": case.id, "case_number": case.number})
    return link


def linked_cases(session: Session, item_id: int) -> list[int]:
    return list(session.scalars(select(CaseLink.case_id).where(CaseLink.item_id == item_id).order_by(CaseLink.id)))


def milestones(session: Session, item_id: int) -> list[Milestone]:
    return list(session.scalars(select(Milestone).where(Milestone.item_id == item_id)
                                .order_by(Milestone.due, Milestone.id)))


def progress(session: Session, item_id: int) -> list[ProgressReport]:
    return list(session.scalars(select(ProgressReport).where(ProgressReport.item_id == item_id)
                                .order_by(ProgressReport.reported_on, ProgressReport.id)))


def supervisions(session: Session, item_id: int) -> list[Supervision]:
    return list(session.scalars(select(Supervision).where(Supervision.item_id == item_id)
                                .order_by(Supervision.created_at, Supervision.id)))


def events(session: Session, item_id: int) -> list[ItemEvent]:
    return list(session.scalars(select(ItemEvent).where(ItemEvent.item_id == item_id).order_by(ItemEvent.seq)))


# ------------------------------------------------------------------ derived status

def views(session: Session, items: list[TrackedItem]) -> dict[int, rules.ItemView]:
    """What rules.derive needs of each item, read in four queries whatever their number."""
    ids = [item.id for item in items]
    by_item: dict[int, dict[str, list]] = {i: {"m": [], "p": [], "s": []} for i in ids}
    for start in range(0, len(ids), 500):  # bounded IN lists
        chunk = ids[start:start + 500]
        for m in session.execute(select(Milestone.item_id, Milestone.id, Milestone.due, Milestone.what,
                                        Milestone.target_quantity).where(Milestone.item_id.in_(chunk))):
            by_item[m.item_id]["m"].append(rules.MilestoneView(m.id, m.due, m.what, m.target_quantity))
        for p in session.execute(select(ProgressReport.item_id, ProgressReport.reported_on, ProgressReport.quantity,
                                        ProgressReport.milestone_id, ProgressReport.completed)
                                 .where(ProgressReport.item_id.in_(chunk))):
            by_item[p.item_id]["p"].append(rules.ProgressView(p.reported_on, p.quantity, p.milestone_id, p.completed))
        for s in session.execute(select(Supervision.item_id, Supervision.created_at, Supervision.due)
                                 .where(Supervision.item_id.in_(chunk))):
            by_item[s.item_id]["s"].append(rules.SupervisionView(s.created_at.date(), s.due))
    return {item.id: rules.ItemView(
        created_on=item.created_at.date(), due=item.due, quantity=item.quantity, cumulative=item.kind == "commitment",
        dropped_on=item.dropped_at.date() if item.dropped_at else None, drop_reason=item.drop_reason,
        milestones=tuple(by_item[item.id]["m"]), progress=tuple(by_item[item.id]["p"]),
        supervisions=tuple(by_item[item.id]["s"])) for item in items}


def statuses(session: Session, items: list[TrackedItem], as_of: dt.date) -> dict[int, rules.Verdict]:
    return {item_id: rules.derive(view, as_of) for item_id, view in views(session, items).items()}


def status_of(session: Session, item: TrackedItem, as_of: dt.date) -> rules.Verdict:
    return statuses(session, [item], as_of)[item.id]


# ------------------------------------------------------------------ bulletins issued

@dataclass(frozen=True)
class Period:
    since: dt.date | None      # changes after this date count; None: since the year began
    previous: Bulletin | None  # the bulletin `since` comes from, when it was not given


def period(session: Session, district_code: str, as_of: dt.date, since: dt.date | None) -> Period:
    """The bulletin's period: from `since` when given, else from the last bulletin issued
    for the district before `as_of`."""
    if since is not None:
        if since >= as_of:
            raise InvalidInput("since", f"{since} is not before the bulletin's date {as_of}")
        return Period(since, None)
    previous = session.scalar(select(Bulletin).where(Bulletin.district_code == district_code,
                                                     Bulletin.as_of < as_of)
                              .order_by(Bulletin.as_of.desc(), Bulletin.id.desc()).limit(1))
    return Period(previous.as_of if previous else None, previous)


def record_bulletin(session: Session, *, actor: Actor, now: dt.datetime, district_code: str, year: int,
                    as_of: dt.date, since: dt.date | None, statuses_as_of: dict[int, str]) -> Bulletin:
    """Keep the bulletin issued (and each item's status in it) for the next one's "since"."""
    _require(actor, "commitments.bulletin")
    issued = Bulletin(district_code=district_code, year=year, as_of=as_of, since=since, issued_at=now,
                      issued_by_id=actor.user_id, statuses={str(k): v for k, v in statuses_as_of.items()})
    session.add(issued)
    session.flush()
    return issued


def bulletin_number(session: Session, district_code: str, year: int) -> int:
    """第 N 期: how many bulletins of the year the district has issued, this one included."""
    return session.scalar(select(func.count(Bulletin.id)).where(Bulletin.district_code == district_code,
                                                                Bulletin.year == year))
