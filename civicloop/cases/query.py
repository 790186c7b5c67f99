"""Finding cases: the caller's scope as SQL, filters, work queues, sorting and paging.

The scope comes from auth/policy.py (`case_scope`); a test checks that a case is listed
exactly when `policy.can_see` says it may be seen."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import and_, exists, false, func, or_, select
from sqlalchemy.orm import Session, aliased

from civicloop.auth.policy import Scope, case_scope
from civicloop.cases import search
from civicloop.cases.lifecycle import OPEN, Actor, State, allowed_actions
from civicloop.cases.models import Case, CaseAssist, CaseEvent
from civicloop.errors import InvalidInput

PER_PAGE_MAX = 200
SORTS = {"reported_at": Case.reported_at, "updated_at": Case.updated_at, "deadline": Case.deadline,
         "handle_deadline": Case.handle_deadline, "id": Case.id}
SORT_CHOICES = tuple(k for name in SORTS for k in (name, "-" + name))
_OPEN = tuple(s.value for s in OPEN)
# Work queues: each a plain condition; `mine` is the cases the caller has an action to take on.
QUEUES = {
    "to_register": lambda actor: Case.state == State.REPORTED.value,
    "to_dispatch": lambda actor: Case.state.in_((State.REGISTERED.value, State.RETURN_REQUESTED.value)),
    "to_accept": lambda actor: Case.state == State.DISPATCHED.value,
    "handling": lambda actor: Case.state.in_((State.HANDLING.value, State.SUSPENDED.value)),
    "to_check": lambda actor: awaiting_check(),
    "to_verify": lambda actor: Case.state == State.VERIFYING.value,
    "extension_requests": lambda actor: Case.extension_requested_hours.is_not(None) & Case.state.in_(_OPEN),
    "overdue": lambda actor: Case.overdue.is_(True) & Case.state.in_(_OPEN),
    "yellow": lambda actor: (Case.warning == "yellow") & Case.state.in_(_OPEN),
    "red": lambda actor: (Case.warning == "red") & Case.state.in_(_OPEN),
    "mine": lambda actor: mine(actor),
}


def awaiting_check():
    """Cases not yet registered whose last 派核实 (request_check) no 核实 (check) has
    answered: the grid worker's 待核实. The request lives in the event log only."""
    asked, answered = aliased(CaseEvent), aliased(CaseEvent)
    unanswered = ~exists().where(answered.case_id == asked.case_id, answered.action == "check",
                                 answered.seq > asked.seq)
    return and_(Case.state == State.REPORTED.value,
                exists().where(asked.case_id == Case.id, asked.action == "request_check", unanswered))


def mine(actor: Actor):
    """Cases the caller's role has an action of its own to take on now: open states where
    the lifecycle gives it one (督办 and escalation, which a supervisor may take anywhere,
    do not make a case 'theirs'), and closed cases still to rate (回访) or rated
    dissatisfied (重办)."""
    ambient = {"supervise", "escalate"}
    states = [s.value for s in OPEN if set(allowed_actions(s, actor.role)) - ambient]
    closed = set(allowed_actions(State.CLOSED, actor.role))
    condition = Case.state.in_(states)
    if "rate" in closed:
        condition = condition | ((Case.state == State.CLOSED.value) & Case.rated_at.is_(None))
    if "reopen" in closed:
        condition = condition | ((Case.state == State.CLOSED.value) & (Case.rating == "dissatisfied"))
    return condition


def scope_condition(actor: Actor):
    scope = case_scope(actor)
    if scope is Scope.ALL:
        return None
    if scope is Scope.DEPARTMENT:
        if actor.department_id is None:
            return false()
        assisted = select(CaseAssist.case_id).where(CaseAssist.department_id == actor.department_id)
        return or_(Case.lead_department_id == actor.department_id, Case.id.in_(assisted))
    own = or_(Case.reporter_user_id == actor.user_id, Case.created_by_id == actor.user_id)
    if scope is Scope.GRIDS:
        return or_(own, Case.grid_code.in_(sorted(actor.grid_codes))) if actor.grid_codes else own
    if scope is Scope.OWN and actor.user_id is not None:
        return own
    return false()


@dataclass
class Filters:
    state: list[str] = field(default_factory=list)
    department_id: int | None = None
    street_code: str | None = None
    community_code: str | None = None
    grid_code: str | None = None
    category_id: int | None = None       # with every category under it
    channel: list[str] = field(default_factory=list)
    reported_from: dt.datetime | None = None
    reported_to: dt.datetime | None = None
    closed_from: dt.datetime | None = None
    closed_to: dt.datetime | None = None
    overdue: bool | None = None
    warning: str | None = None
    q: str | None = None
    queue: str | None = None


def conditions(session: Session, actor: Actor, f: Filters) -> list:
    where = []
    scope = scope_condition(actor)
    if scope is not None:
        where.append(scope)
    if f.state:
        where.append(Case.state.in_(f.state))
    if f.department_id is not None:
        where.append(Case.lead_department_id == f.department_id)
    for column, value in ((Case.street_code, f.street_code), (Case.community_code, f.community_code),
                          (Case.grid_code, f.grid_code)):
        if value:
            where.append(column == value)
    if f.category_id is not None:
        from civicloop.categories.models import Category
        code = session.scalar(select(Category.code).where(Category.id == f.category_id))
        if code is None:
            raise InvalidInput("category", f"no category {f.category_id}")
        where.append(Case.category_id.in_(select(Category.id).where(Category.code.startswith(code))))
    if f.channel:
        where.append(Case.channel.in_(f.channel))
    for name, column, start, end in (("reported", Case.reported_at, f.reported_from, f.reported_to),
                                     ("closed", Case.closed_at, f.closed_from, f.closed_to)):
        if start is not None and end is not None and start > end:
            raise InvalidInput(f"{name}_from", f"must not be after {name}_to")
        if start is not None:
            where.append(column >= start)
        if end is not None:
            where.append(column <= end)
    if f.overdue is not None:
        where.append(Case.overdue.is_(f.overdue))
    if f.warning:
        where.append(Case.warning == f.warning)
    if f.q is not None and f.q.strip():
        ids = search.matching_ids(session, f.q)
        if ids is None:
            raise InvalidInput("q", "give at least one Chinese character, letter or digit to search for")
        where.append(Case.id.in_(ids))
    if f.queue:
        if f.queue not in QUEUES:
            raise InvalidInput("queue", f"one of {', '.join(QUEUES)}")
        where.append(QUEUES[f.queue](actor))
    return where


def find(session: Session, actor: Actor, f: Filters, *, sort: str = "-reported_at", page: int = 1,
         per_page: int = 50) -> tuple[list, int]:
    """(rows of the page, total matching)."""
    if sort not in SORT_CHOICES:
        raise InvalidInput("sort", f"one of {', '.join(SORT_CHOICES)}")
    if page < 1:
        raise InvalidInput("page", "1 or more")
    if not 1 <= per_page <= PER_PAGE_MAX:
        raise InvalidInput("per_page", f"1–{PER_PAGE_MAX}")
    where = conditions(session, actor, f)
    column = SORTS[sort.lstrip("-")]
    descending = sort.startswith("-")
    first = column.desc() if descending else column.asc()
    if column.nullable:  # cases without a deadline last; NOT NULL columns keep their index usable
        first = first.nulls_last()
    order = [first, Case.id.desc() if descending else Case.id.asc()]
    total = session.scalar(select(func.count()).select_from(Case).where(*where))
    rows = session.execute(select(*Case.__table__.c).where(*where).order_by(*order)
                           .limit(per_page).offset((page - 1) * per_page)).all()
    return rows, total


def queue_counts(session: Session, actor: Actor) -> dict[str, int]:
    scope = scope_condition(actor)
    counts = {}
    for name, condition in QUEUES.items():
        where = [condition(actor)] + ([scope] if scope is not None else [])
        counts[name] = session.scalar(select(func.count()).select_from(Case).where(*where))
    return counts
