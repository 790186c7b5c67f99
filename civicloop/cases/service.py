"""Cases: intake, lifecycle actions, history and rebuild.

Every change goes through `_commit_change`: it applies the field changes, lets the ORM's
version check refuse a concurrent writer, and appends the event row carrying exactly the
fields that changed — so the event log alone can rebuild every case row (`rebuild`).
The rules (who may do what, when) are asked of `lifecycle.decide`; time limits of `sla`.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import DateTime, bindparam, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from civicloop.assess import rollup as assessment
from civicloop.cases import clock
from civicloop.cases.attachments import Upload, check as check_upload, store as store_uploads
from civicloop.cases.lifecycle import (OPEN, STATE_LABELS, Actor, CaseView, Rating, Request, Role, State,
                                       allowed_actions, decide)
from civicloop.cases.models import CHANNELS, Case, CaseAssist, CaseEvent, CaseSearch
from civicloop.cases.search import tokens as search_tokens
from civicloop.errors import Conflict, Forbidden, InvalidInput, NotFound

TITLE_MAX = 200
BODY_MAX = 20_000
PRIORITIES = ("urgent", "high", "normal", "low")
# Columns an event may carry and a rebuild restores: everything but the key.
REBUILT_COLUMNS = tuple(c.key for c in Case.__table__.columns if c.key != "id")
_DATETIME_COLUMNS = frozenset(c.key for c in Case.__table__.columns if isinstance(c.type, DateTime))


@dataclass(frozen=True)
class NewCase:
    """An intake: a call, a message, a patrol finding, a petition or an order."""
    channel: str
    title: str
    body: str
    district_code: str
    reporter_name: str | None = None
    reporter_phone: str | None = None
    reporter_user_id: int | None = None
    address: str | None = None
    lon: float | None = None
    lat: float | None = None
    crs: str = "gcj02"          # of lon/lat: gcj02 (stored) or wgs84 (a phone's GPS)
    grid_code: str | None = None
    category: str | int | None = None  # id, code, path or leaf name
    priority: str | None = None
    idempotency_key: str | None = None

    def fingerprint(self) -> str:
        payload = {k: v for k, v in self.__dict__.items() if k != "idempotency_key"}
        return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False,
                                         default=str).encode()).hexdigest()


class CaseRecord:
    """A case as it stands in its row: every column as an attribute. Reads and writes on
    the hot path use plain statements, not ORM objects (see `_commit_change`)."""

    def __init__(self, values):
        self.__dict__.update(values)

    @property
    def number(self) -> str:
        return Case.number.fget(self)


_TABLE = Case.__table__
_COLUMNS = tuple(_TABLE.c)
_BY_ID = select(*_COLUMNS).where(_TABLE.c.id == bindparam("case_id"))
_BY_KEY = select(*_COLUMNS).where(_TABLE.c.idempotency_key == bindparam("key"))
_EVENT = insert(CaseEvent.__table__)
_SEARCH = insert(CaseSearch.__table__)


def _record(row) -> CaseRecord | None:
    return CaseRecord(row._mapping) if row is not None else None


@lru_cache(maxsize=None)
def _update_for(columns: tuple[str, ...]):
    """UPDATE cases SET <columns> WHERE id = :_id AND version = :_version, built once per set."""
    return (update(_TABLE).where(_TABLE.c.id == bindparam("_id"), _TABLE.c.version == bindparam("_version"))
            .values({c: bindparam("v_" + c) for c in columns}))


@dataclass
class Created:
    case: CaseRecord
    created: bool  # False when an idempotent retry returned the existing case


# ---------------------------------------------------------------- the one write path

def _jsonable(value):
    return value.isoformat() if isinstance(value, dt.datetime) else value


_EVENT_FIELDS = tuple(c.key for c in CaseEvent.__table__.c if c.key != "id")


@lru_cache(maxsize=None)
def _update_and_log_for(columns: tuple[str, ...]):
    """PostgreSQL: the version-checked UPDATE, the case's mark for the figures and the
    event INSERT as one statement (WITH changed AS (UPDATE … RETURNING id), marked AS
    (INSERT … SELECT FROM changed) INSERT … SELECT FROM changed): two round trips fewer on
    the hottest path; a lost race inserts no event row and marks nothing."""
    changed = _update_for(columns).returning(_TABLE.c.id).cte("changed")
    events = CaseEvent.__table__
    row = [changed.c.id] + [bindparam("e_" + k, type_=events.c[k].type) for k in _EVENT_FIELDS if k != "case_id"]
    return (insert(events).from_select(list(_EVENT_FIELDS), select(*row)).returning(events.c.id)
            .add_cte(changed, assessment.marking(changed.name)))


def _commit_change(session: Session, case: CaseRecord, *, action: str, actor: Actor, now: dt.datetime,
                   changes: dict, note: str | None = None, from_state: str | None = None,
                   recorded: dict | None = None) -> None:
    """Write `changes` to the case under the version check and append the event; the
    record is updated in place. `from_state` None: the case was just inserted, and its
    event carries every field. `recorded`: what the event keeps beside the case's fields
    (a 核实's deadline)."""
    event = {"case_id": case.id, "action": action, "at": now, "actor_id": actor.user_id,
             "actor_role": actor.role.value, "department_id": actor.department_id, "from_state": from_state,
             "note": note}
    if from_state is None:
        carried = {key: getattr(case, key) for key in REBUILT_COLUMNS}
        session.execute(_EVENT, {**event, "seq": case.version, "to_state": case.state,
                                 "changes": {k: _jsonable(v) for k, v in carried.items()}})
        assessment.mark(session, [case.id])
        return
    values = {**changes, "updated_at": now, "version": case.version + 1}
    carried = {k: _jsonable(v) for k, v in values.items() if getattr(case, k) != v} | (recorded or {})
    event.update(seq=values["version"], to_state=values.get("state", case.state), changes=carried)
    params = {"v_" + key: value for key, value in values.items()} | {"_id": case.id, "_version": case.version}
    columns = tuple(sorted(values))
    if session.get_bind().dialect.name == "postgresql":
        written = session.execute(_update_and_log_for(columns),
                                  params | {"e_" + k: v for k, v in event.items()}).first() is not None
    else:
        written = session.execute(_update_for(columns), params).rowcount == 1
        if written:
            session.execute(_EVENT, event)
            assessment.mark(session, [case.id])  # the figures catch up with the case later (assess/rollup.py)
    if not written:
        current = session.scalar(select(_TABLE.c.state).where(_TABLE.c.id == case.id))
        raise Conflict("version", f"case {case.number} was changed by someone else meanwhile; it is now {current}",
                       state=current, allowed_actions=allowed_actions(State(current), actor.role) if current else ())
    case.__dict__.update(values)


# ---------------------------------------------------------------- intake

def _validate_new(data: NewCase) -> None:
    if data.channel not in CHANNELS:
        raise InvalidInput("channel", f"unknown channel {data.channel!r}; one of {', '.join(CHANNELS)}")
    if not data.title or not data.title.strip():
        raise InvalidInput("title", "must not be empty")
    if len(data.title) > TITLE_MAX:
        raise InvalidInput("title", f"at most {TITLE_MAX} characters, got {len(data.title)}")
    if not data.body or not data.body.strip():
        raise InvalidInput("body", "must not be empty")
    if len(data.body) > BODY_MAX:
        raise InvalidInput("body", f"at most {BODY_MAX} characters, got {len(data.body)}")
    if data.priority is not None and data.priority not in PRIORITIES:
        raise InvalidInput("priority", f"one of {', '.join(PRIORITIES)}, got {data.priority!r}")
    if (data.lon is None) != (data.lat is None):
        raise InvalidInput("location", "give both lon and lat, or neither")
    if data.lon is not None and not (-180 <= data.lon <= 180 and -90 <= data.lat <= 90):
        raise InvalidInput("location", f"({data.lon}, {data.lat}) is not a longitude/latitude pair")
    if data.crs not in ("gcj02", "wgs84"):
        raise InvalidInput("crs", f"gcj02 or wgs84, got {data.crs!r}")
    if data.lon is None and not data.grid_code and not (data.address and data.address.strip()):
        raise InvalidInput("location", "a case needs a place: lon/lat, a grid cell or an address")


def place_of(session: Session, data: NewCase) -> dict:
    """Where a case being taken in lies: its coordinates (GCJ-02), grid cell, community
    and street, from its coordinates, its grid cell or its address (intake and the
    duplicate check of a draft both ask)."""
    from civicloop.regions import service as regions
    from civicloop.regions.coords import wgs84_to_gcj02
    from civicloop.regions.models import GridCell

    if data.lon is not None:  # locate() itself refuses a district that is not set up
        loc = regions.locate(session, data.district_code, data.lon, data.lat, crs=data.crs)
        lon, lat = (data.lon, data.lat) if data.crs == "gcj02" else wgs84_to_gcj02(data.lon, data.lat)
        return dict(lon=lon, lat=lat, grid_code=loc.grid_code, community_code=loc.community_code,
                    street_code=loc.street_code)
    regions.get_district(session, data.district_code)  # NotFound names the district field
    if data.grid_code:
        cell = session.get(GridCell, data.grid_code)
        if cell is None or cell.district_code != data.district_code:
            raise InvalidInput("grid_code", f"no grid cell {data.grid_code} in district {data.district_code}")
        return dict(lon=cell.center_lon, lat=cell.center_lat, grid_code=cell.code,
                    community_code=cell.community_code, street_code=cell.community_code[:9])
    from civicloop.addresses.service import locate_case_address

    # An address only: its grid, community and street from the standard address registry
    # when it names one address for sure (no point: the registry's is not the caller's).
    match = locate_case_address(session, data.district_code, data.address)
    found = match.address
    place = dict(grid_code=found.grid_code, community_code=found.community_code,
                 street_code=found.street_code) if found else {}
    return place | {"address_match": match}


def create_case(session: Session, data: NewCase, *, actor: Actor, now: dt.datetime,
                attachments: tuple[Upload, ...] = ()) -> Created:
    """Register an intake as a new case in state `reported`, with its first clock running.

    With an idempotency key, a retry of the same intake returns the case made the first
    time (its photos are not stored twice); the same key with a different intake is refused."""
    _validate_new(data)
    for index, upload in enumerate(attachments):
        check_upload(upload, index)
    fingerprint = data.fingerprint()
    if data.idempotency_key:
        existing = _record(session.execute(_BY_KEY, {"key": data.idempotency_key}).one_or_none())
        if existing is not None:
            return _idempotent_replay(existing, fingerprint)
    from civicloop.categories import service as categories

    category_id = categories.category_id(session, data.category) if data.category is not None else None
    suggestion = None
    if category_id is None:  # the classifier fills it in when it is confident (intake/)
        from civicloop.intake.service import keep_suggestion, suggest
        suggestion = suggest(session, data.title, data.body)
        category_id = suggestion.category_id if suggestion else None
    limits = clock.limits_for(session, category_id)
    case = CaseRecord({column.key: None for column in _COLUMNS})
    case.__dict__.update(
        version=1, channel=data.channel, state=State.REPORTED.value, title=data.title.strip(),
        body=data.body.strip(), reporter_name=data.reporter_name, reporter_phone=data.reporter_phone,
        reporter_user_id=data.reporter_user_id, created_by_id=actor.user_id, address=data.address,
        district_code=data.district_code, category_id=category_id, assists_pending=0,
        priority=data.priority or limits.priority, reported_at=now, updated_at=now, time_basis=limits.basis,
        idempotency_key=data.idempotency_key, request_hash=fingerprint, extension_hours=0.0, warning="green",
        escalation_level=0, overdue=False, return_count=0, rework_count=0, supervision_count=0,
        **place_of(session, data))
    match = case.__dict__.pop("address_match", None)
    case.__dict__.update(clock.start_step(session, case, now, limits.dispatch_hours))
    values = {key: getattr(case, key) for key in REBUILT_COLUMNS}
    statement = insert(_TABLE)
    if data.idempotency_key:  # of concurrent twins with one key, exactly one row is inserted
        dialect = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}[session.get_bind().dialect.name]
        statement = dialect(_TABLE).on_conflict_do_nothing(index_elements=["idempotency_key"])
    case.id = session.execute(statement.returning(_TABLE.c.id), values).scalar()
    if case.id is None:
        existing = _record(session.execute(_BY_KEY, {"key": data.idempotency_key}).one())
        return _idempotent_replay(existing, fingerprint)
    _commit_change(session, case, action="report", actor=actor, now=now, changes={},
                   note=f"{CHANNELS[data.channel]}上报" + (f"；{match.note()}" if match else ""))
    if match:
        from civicloop.addresses.service import record_case_match

        record_case_match(session, case.id, match)
    if suggestion is not None:
        keep_suggestion(session, case.id, suggestion, now)
    session.execute(_SEARCH, {"case_id": case.id, "tokens": search_tokens(case.title + " " + case.body)})
    store_uploads(session, case_id=case.id, event_seq=case.version, uploads=attachments,
                  actor_id=actor.user_id, now=now)
    return Created(case, True)


def _idempotent_replay(existing: CaseRecord, fingerprint: str) -> Created:
    if existing.request_hash != fingerprint:
        raise Conflict("idempotency_key", f"already used for case {existing.number} with different content",
                       state=existing.state)
    return Created(existing, False)


# ---------------------------------------------------------------- lifecycle actions

@dataclass
class ActionInput:
    action: str
    note: str = ""
    department_id: int | None = None
    assisting_department_ids: tuple[int, ...] = ()
    master_case_id: int | None = None
    extension_hours: float | None = None
    rating: str | None = None
    category: str | int | None = None  # reclassify: id, code, path or name
    expected_version: int | None = None
    attachments: tuple[Upload, ...] = ()  # evidence that comes with the action (photos of the work)


_CONFLICT_FIELDS = {"state", "extension", "assists", "escalation_level", "rated"}
_FORBIDDEN_FIELDS = {"role", "actor"}


def _refusal(case: Case, reasons: tuple[str, ...], allowed: tuple[str, ...]):
    field_name, _, detail = reasons[0].partition(": ")
    detail = "; ".join(r.partition(": ")[2] for r in reasons) if len(reasons) > 1 else detail
    if field_name in _FORBIDDEN_FIELDS:
        return Forbidden(field_name, detail, state=case.state)
    if field_name in _CONFLICT_FIELDS:
        return Conflict(field_name, f"{detail} (case {case.number} is {case.state}; "
                        f"allowed here: {', '.join(allowed) or 'none'})", state=case.state, allowed_actions=allowed)
    return InvalidInput(field_name, detail)


def _is_id(text: str) -> bool:
    """A row id: ASCII digits within the database's integer range."""
    return isinstance(text, str) and text.isascii() and text.isdigit() and 0 < int(text) < 2**31


def get_case(session: Session, ref: int | str) -> CaseRecord:
    """By id or by case number."""
    case = None
    if isinstance(ref, int) or _is_id(ref):
        case = _record(session.execute(_BY_ID, {"case_id": int(ref)}).one_or_none()) if _is_id(str(ref)) else None
    if case is None and isinstance(ref, str) and ref.count("-") == 2:
        number_id = ref.rsplit("-", 1)[1]
        found = _record(session.execute(_BY_ID, {"case_id": int(number_id)}).one_or_none()) if _is_id(number_id) else None
        case = found if found is not None and found.number == ref else None
    if case is None:
        raise NotFound("case", f"no case {ref!r}")
    return case


def _view(session: Session, case: CaseRecord, needs_assists: bool) -> CaseView:
    assisting, pending = frozenset(), frozenset()
    if needs_assists:
        rows = session.execute(select(CaseAssist.department_id, CaseAssist.fed_back_at)
                               .where(CaseAssist.case_id == case.id)).all()
        assisting = frozenset(r.department_id for r in rows)
        pending = frozenset(r.department_id for r in rows if r.fed_back_at is None)
    return CaseView(state=State(case.state), lead_department_id=case.lead_department_id,
                    assisting_department_ids=assisting, assists_pending=pending, grid_code=case.grid_code,
                    reporter_user_id=case.reporter_user_id,
                    extension_pending=case.extension_requested_hours is not None,
                    rating=Rating(case.rating) if case.rating else None,
                    escalation_level=case.escalation_level)


def act(session: Session, case_ref: int | str, inp: ActionInput, *, actor: Actor, now: dt.datetime) -> CaseRecord:
    """Take one lifecycle action on a case, or refuse it with the reason."""
    for index, upload in enumerate(inp.attachments):
        check_upload(upload, index)
    case = get_case(session, case_ref)
    if inp.expected_version is not None and inp.expected_version != case.version:
        raise Conflict("version", f"case {case.number} is at version {case.version}, not {inp.expected_version}; "
                       f"it is now {case.state}", state=case.state,
                       allowed_actions=allowed_actions(State(case.state), actor.role))
    if inp.action == "dispatch" and inp.department_id is None and case.category_id is not None:
        inp.department_id = _route(session, case)  # the dispatcher confirms the routing's choice
    try:
        rating = Rating(inp.rating) if inp.rating else None
    except ValueError:
        raise InvalidInput("rating", f"one of {', '.join(r.value for r in Rating)}, got {inp.rating!r}")
    category_id = None
    if inp.category is not None:
        from civicloop.categories.service import category_id as find_category_id
        category_id = find_category_id(session, inp.category)
    req = Request(note=inp.note or "", department_id=inp.department_id,
                  assisting_department_ids=tuple(inp.assisting_department_ids),
                  master_case_id=inp.master_case_id, extension_hours=inp.extension_hours, rating=rating,
                  category_id=category_id)
    view = _view(session, case, needs_assists=inp.action == "assist_feedback"
                 or (inp.action == "feedback" and case.assists_pending > 0))
    decision = decide(view, inp.action, actor, req)
    if not decision.allowed:
        raise _refusal(case, decision.reasons, decision.allowed_actions)
    changes = EFFECTS.get(inp.action, _no_effect)(session, case, req, actor, now)
    recorded = RECORDS[inp.action](session, case, now) if inp.action in RECORDS else None
    changes["state"] = decision.to_state.value
    from_state = case.state
    _commit_change(session, case, action=inp.action, actor=actor, now=now, changes=changes,
                   note=req.note or None, from_state=from_state, recorded=recorded)
    store_uploads(session, case_id=case.id, event_seq=case.version, uploads=inp.attachments,
                  actor_id=actor.user_id, now=now)
    if inp.action in _FOLLOWED:
        _follow_master(session, case, inp.action, now)
    from civicloop.notify.service import case_changed

    case_changed(session, case, inp.action, now=now)
    return case


# What the cases merged into a master do when the master takes one of these actions.
_FOLLOWED = {"verify_pass": "close_with_master", "reject": "reject_with_master", "merge": "follow_master"}
SYSTEM = Actor(user_id=None, role=Role.SYSTEM)


def _follow_master(session: Session, master: CaseRecord, action: str, now: dt.datetime) -> None:
    """Every case merged into `master` takes its outcome, in the master's transaction: closed
    or rejected with it, or moved on to the case the master was itself merged into."""
    follow = _FOLLOWED[action]
    target = master.merged_into_id if follow == "follow_master" else master.id
    followers = session.scalars(select(_TABLE.c.id).where(_TABLE.c.merged_into_id == master.id,
                                                          _TABLE.c.state == State.MERGED.value)).all()
    note = f"随主件 {master.number} {STATE_LABELS[State(master.state)]}"
    for follower_id in followers:
        act(session, follower_id, ActionInput(follow, note=note, master_case_id=target), actor=SYSTEM, now=now)


def _route(session: Session, case: CaseRecord) -> int:
    from civicloop.departments import routing

    found = routing.owner(session, category_id=case.category_id, community_code=case.community_code,
                          street_code=case.street_code, district_code=case.district_code)
    if found is None:  # route() says in full which category and place have no rule
        routing.route(session, category_id=case.category_id, community_code=case.community_code,
                      street_code=case.street_code, district_code=case.district_code)
    return found


def _no_effect(session, case, req, actor, now) -> dict:
    return {}


def _check_deadline(session, case, now):
    from civicloop.settings import get_settings

    due = clock.calendar(session).add(now, get_settings().check_limit_hours, case.time_basis)
    return {"check_deadline": _jsonable(due)}


# What an action writes into its event only, not into a column of the case.
RECORDS = {"request_check": _check_deadline}


def _register(session, case, req, actor, now):
    return {"registered_at": now}


def _close_clock(session, case, req, actor, now):
    return {**clock.stopped(), "resolution_note": req.note or None}


def _merge(session, case, req, actor, now):
    master = _record(session.execute(_BY_ID, {"case_id": req.master_case_id}).one_or_none())
    if master is None:
        raise NotFound("master_case_id", f"no case {req.master_case_id}")
    if master.id == case.id:
        raise InvalidInput("master_case_id", "a case cannot be merged into itself")
    if master.district_code != case.district_code:
        raise InvalidInput("master_case_id", f"case {master.number} is in another district")
    if master.state not in {s.value for s in OPEN}:
        raise InvalidInput("master_case_id", f"case {master.number} is {master.state}; merge into an open case")
    return {**clock.stopped(), "merged_into_id": master.id}


def _master_outcome(session, case, req, actor, now):
    master = _record(session.execute(_BY_ID, {"case_id": req.master_case_id}).one())
    return {"resolution_note": master.resolution_note}


def _close_with_master(session, case, req, actor, now):
    return {**_master_outcome(session, case, req, actor, now), "closed_at": now}


def _follow(session, case, req, actor, now):
    return {"merged_into_id": req.master_case_id}


def _reclassify(session, case, req, actor, now):
    from civicloop.intake.service import record_example

    record_example(session, case_id=case.id, title=case.title, text=case.body, category_id=req.category_id,
                   previous_category_id=case.category_id, actor_id=actor.user_id, now=now)
    return {"category_id": req.category_id}


def _dispatch(session, case, req, actor, now):
    from civicloop.departments.service import is_active

    for dep_id in (req.department_id, *req.assisting_department_ids):
        if not is_active(session, dep_id):
            raise NotFound("department_id", f"no active department {dep_id}")
    assisting = [d for d in dict.fromkeys(req.assisting_department_ids) if d != req.department_id]
    session.add_all(CaseAssist(case_id=case.id, department_id=d) for d in assisting)
    limits = clock.limits_for(session, case.category_id)
    return {"lead_department_id": req.department_id, "dispatched_at": now, "accepted_at": None,
            "assists_pending": len(assisting),
            **clock.start_step(session, case, now, limits.handle_hours + case.extension_hours, handling=True)}


def _accept(session, case, req, actor, now):
    return {"accepted_at": now}


def _approve_return(session, case, req, actor, now):
    session.query(CaseAssist).filter(CaseAssist.case_id == case.id).delete()
    limits = clock.limits_for(session, case.category_id)
    return {**clock.start_step(session, case, now, limits.dispatch_hours), "assists_pending": 0,
            "lead_department_id": None, "return_count": case.return_count + 1, "handle_deadline": None}


def _request_extension(session, case, req, actor, now):
    return {"extension_requested_hours": req.extension_hours}


def _approve_extension(session, case, req, actor, now):
    hours = case.extension_requested_hours
    return {"extension_requested_hours": None, "extension_hours": case.extension_hours + hours,
            **clock.extend(session, case, now, hours)}


def _refuse_extension(session, case, req, actor, now):
    return {"extension_requested_hours": None}


def _suspend(session, case, req, actor, now):
    return clock.suspend(session, case, now)


def _resume(session, case, req, actor, now):
    return clock.resume(session, case, now)


def _assist_feedback(session, case, req, actor, now):
    assist = session.scalar(select(CaseAssist).where(CaseAssist.case_id == case.id,
                                                     CaseAssist.department_id == actor.department_id))
    assist.feedback, assist.fed_back_at = req.note, now
    return {"assists_pending": case.assists_pending - 1}


def _feedback(session, case, req, actor, now):
    late = case.handle_deadline is not None and now > case.handle_deadline
    from civicloop.settings import get_settings

    return {"fed_back_at": now, "resolution_note": req.note, "overdue": case.overdue or late,
            **clock.start_step(session, case, now, get_settings().verify_limit_hours)}


def _verify_pass(session, case, req, actor, now):
    return {"closed_at": now, **clock.stopped()}


def _rework(session, case, req, actor, now):
    limits = clock.limits_for(session, case.category_id)
    return {"rework_count": case.rework_count + 1, "closed_at": None, "fed_back_at": None,
            **clock.start_step(session, case, now, limits.handle_hours, handling=True)}


def _reopen(session, case, req, actor, now):
    return {**_rework(session, case, req, actor, now), "rating": None, "rated_at": None}


def _rate(session, case, req, actor, now):
    return {"rating": req.rating.value, "rated_at": now}


def _supervise(session, case, req, actor, now):
    return {"supervision_count": case.supervision_count + 1}


def _escalate(session, case, req, actor, now):
    return {"escalation_level": case.escalation_level + 1}


EFFECTS = {
    "register": _register, "reject": _close_clock, "reclassify": _reclassify, "merge": _merge, "dispatch": _dispatch,
    "accept": _accept, "approve_return": _approve_return,
    "request_extension": _request_extension, "approve_extension": _approve_extension,
    "refuse_extension": _refuse_extension, "suspend": _suspend, "resume": _resume,
    "assist_feedback": _assist_feedback, "feedback": _feedback, "verify_pass": _verify_pass,
    "verify_fail": _rework, "rate": _rate, "reopen": _reopen, "supervise": _supervise,
    "escalate": _escalate, "close_with_master": _close_with_master, "reject_with_master": _master_outcome,
    "follow_master": _follow,
}


# ---------------------------------------------------------------- history and rebuild

def events(session: Session, case_id: int) -> list[CaseEvent]:
    return list(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq)))


def rebuild(session: Session, case_id: int) -> dict:
    """The case row as its event log says it must be."""
    state: dict = {}
    for event in events(session, case_id):
        for key, value in event.changes.items():
            state[key] = dt.datetime.fromisoformat(value) if key in _DATETIME_COLUMNS and value else value
    return state


def rebuild_mismatches(session: Session, case: Case) -> dict:
    """Fields where the row and its rebuild from events differ (empty when they agree)."""
    rebuilt = rebuild(session, case.id)
    return {k: (getattr(case, k), rebuilt.get(k)) for k in REBUILT_COLUMNS
            if getattr(case, k) != rebuilt.get(k)}
