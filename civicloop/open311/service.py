"""Open311 over the case engine: categories are the services, cases the service requests,
and the event log the updates (mySociety's extension), all of one district.

A service_request_id is the case number (案件编号); the case endpoints accept it too. What
goes out is public: reporters' names and phones never, numbers in free text masked.
"""
from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from civicloop.auth import policy
from civicloop.cases import service as cases
from civicloop.cases.lifecycle import OPEN, STATE_LABELS, TERMINAL, Actor, Role, State
from civicloop.cases.models import Attachment, Case, CaseEvent
from civicloop.cases.views import only_district, case_out
from civicloop.categories.models import Category
from civicloop.categories.service import list_categories
from civicloop.errors import CivicloopError, Forbidden, InvalidInput, NotFound
from civicloop.open311.formats import w3c
from civicloop.privacy import mask_text
from civicloop.regions.coords import gcj02_to_wgs84
from civicloop.regions.service import get_district

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-22T00:00:00+08:00"  # when this API last changed, for discovery
WINDOW = dt.timedelta(days=90)  # the spec's default and widest span of a date filter
MAX_ITEMS = 1000                # the spec's default query limit
TITLE_CHARS = 40
# An Open311 intake keeps the token it was given as its idempotency key.
TOKEN_PREFIX = "open311:"
# A media_url given with an intake or an update is kept on this line of its text.
MEDIA_LINE = "\n\n照片："
# Our fields → the Open311 arguments they come from, so that errors name what the client sent.
ARGUMENT_OF = {"lon": "long", "location": "lat/long", "grid_code": "address_id", "address": "address_string",
               "title": "description", "body": "description", "category": "service_code",
               "reporter_name": "first_name/last_name", "reporter_phone": "phone", "district_code": "jurisdiction_id",
               "note": "description", "case": "service_request_id"}
# mySociety's extended statuses, for the updates a FixMyStreet instance polls.
UPDATE_STATUS = {
    State.REPORTED: "OPEN", State.REGISTERED: "OPEN", State.DISPATCHED: "ACTION_SCHEDULED",
    State.RETURN_REQUESTED: "INTERNAL_REFERRAL", State.HANDLING: "IN_PROGRESS", State.SUSPENDED: "IN_PROGRESS",
    State.VERIFYING: "INVESTIGATING", State.CLOSED: "FIXED", State.REJECTED: "NO_FURTHER_ACTION",
    State.MERGED: "DUPLICATE",
}
UPDATE_STATUSES = frozenset(UPDATE_STATUS.values()) | {"CLOSED", "NOT_COUNCILS_RESPONSIBILITY"}


def open311_error(exc: CivicloopError) -> CivicloopError:
    """The same error naming the Open311 argument instead of our field."""
    exc.field = ARGUMENT_OF.get(exc.field, exc.field)
    return exc


def district(session: Session, jurisdiction_id: str | None) -> str:
    """The district served: the one named (jurisdiction_id is its code), else the only one."""
    if jurisdiction_id is None:
        try:
            return only_district(session)
        except InvalidInput as exc:
            raise open311_error(exc) from None
    try:
        return get_district(session, jurisdiction_id).code
    except NotFound:
        raise NotFound("jurisdiction_id", f"no jurisdiction {jurisdiction_id!r}; it is the district's code") from None


# ------------------------------------------------------------------ services

def services(session: Session) -> list[dict]:
    """Every active category without active sub-categories: a reporter picks the most
    specific matter; its path says where it sits."""
    every = list_categories(session)
    by_id = {c.id: c for c in every}
    parents = {c.parent_id for c in every if c.active}
    out = []
    for category in every:
        if not category.active or category.id in parents:
            continue
        chain = [category]
        while chain[-1].parent_id is not None:
            chain.append(by_id[chain[-1].parent_id])
        names = [c.name for c in reversed(chain)]
        out.append({"service_code": category.code, "service_name": category.name, "description": "/".join(names),
                    "metadata": False, "type": "realtime", "keywords": ", ".join(names), "group": names[0]})
    return out


def service(session: Session, code: str) -> dict:
    found = next((s for s in services(session) if s["service_code"] == code), None)
    if found is None:
        raise NotFound("service_code", f"no service {code!r}; GET services lists them")
    return found


def service_definition(session: Session, code: str) -> dict:
    """No service asks for more than a description and a place: no attributes."""
    return {"service_code": service(session, code)["service_code"], "attributes": []}


# ------------------------------------------------------------------ requests

@dataclass(frozen=True)
class NewRequest:
    """The arguments of POST requests (those civicloop keeps; email, device_id and
    account_id have no place on a case)."""
    service_code: str
    lat: float | None = None
    long: float | None = None
    address_string: str | None = None
    address_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    description: str | None = None
    media_url: str | None = None


def with_media(text: str, media_url: str | None) -> str:
    if media_url is None:
        return text
    if not media_url.startswith(("https://", "http://")) or any(ch.isspace() for ch in media_url):
        raise InvalidInput("media_url", "an http(s) URL")
    return text + MEDIA_LINE + media_url


def without_media(text: str | None) -> tuple[str | None, str | None]:
    """(the text, the media_url kept in it)."""
    if not text or MEDIA_LINE not in text:
        return text, None
    text, _, media_url = text.rpartition(MEDIA_LINE)
    return text, media_url


def public_note(note: str | None) -> str | None:
    """A note of the history as the public may read it: numbers masked, the media line
    left to media_url."""
    return mask_text(without_media(note)[0]) if note else None


def _reporter_name(first: str | None, last: str | None) -> str | None:
    """Chinese names are written family name first, without a space; others given name first."""
    given, family = (first or "").strip(), (last or "").strip()
    if not (given or family):
        return None
    if any("\u4e00" <= ch <= "\u9fff" for ch in given + family):
        return family + given
    return " ".join(part for part in (given, family) if part)


def create_request(session: Session, district_code: str, new: NewRequest, *, actor: Actor,
                   now: dt.datetime) -> tuple[cases.CaseRecord, str]:
    """A case taken in through the web channel, acting as the API key's account; returns it
    with the token it can also be found by."""
    if "web" not in policy.INTAKE_CHANNELS.get(actor.role, ()):
        raise Forbidden("api_key", f"the key's account is a {actor.role.value}, who may not take in web cases; "
                                   "issue the key for an operator")
    offered = service(session, new.service_code)
    description = (new.description or "").strip()
    title = description.splitlines()[0][:TITLE_CHARS] if description else offered["service_name"]
    token = secrets.token_urlsafe(16)
    data = cases.NewCase(channel="web", title=title, body=with_media(description or offered["description"],
                                                                    new.media_url),
                         district_code=district_code, reporter_name=_reporter_name(new.first_name, new.last_name),
                         reporter_phone=new.phone, reporter_user_id=actor.user_id if actor.role is Role.CITIZEN
                         else None, address=new.address_string, lon=new.long, lat=new.lat, crs="wgs84",
                         grid_code=new.address_id, category=offered["service_code"],
                         idempotency_key=TOKEN_PREFIX + token)
    try:
        created = cases.create_case(session, data, actor=actor, now=now)
    except CivicloopError as exc:
        raise open311_error(exc) from None
    return created.case, token


def service_notice(case) -> str:
    label = STATE_LABELS[State(case.state)]
    if case.deadline is None or State(case.state) not in OPEN:
        return label
    return f"{label}，本环节时限 {case.deadline:%Y-%m-%d %H:%M}"


def request_out(session: Session, case: cases.CaseRecord, *, note: str | None, photo_url: str | None) -> dict:
    """A case as the public sees it (case_out masks it as for an anonymous caller)."""
    shown = case_out(session, case, None)
    description, media_url = without_media(shown.body)
    lon, lat = gcj02_to_wgs84(shown.lon, shown.lat) if shown.lon is not None else (None, None)
    return {
        "service_request_id": shown.number,
        "status": "closed" if State(shown.state) in TERMINAL else "open",
        "status_notes": shown.state_label + (f"：{public_note(note)}" if note else ""),
        "service_name": shown.category.name if shown.category else None,
        "service_code": shown.category.code if shown.category else None,
        "description": description,
        "agency_responsible": shown.lead_department.name if shown.lead_department else None,
        "service_notice": service_notice(case),
        "requested_datetime": w3c(shown.reported_at),
        "updated_datetime": w3c(shown.updated_at),
        "expected_datetime": w3c(shown.handle_deadline),
        "address": shown.address,
        "address_id": shown.grid_code,
        "zipcode": None,
        "lat": round(lat, 6) if lat is not None else None,
        "long": round(lon, 6) if lon is not None else None,
        "media_url": photo_url or media_url,
    }


@dataclass(frozen=True)
class Query:
    """GET requests: ids override everything else; otherwise a window of at most 90 days."""
    ids: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    start: dt.datetime | None = None
    end: dt.datetime | None = None


def window(start: dt.datetime | None, end: dt.datetime | None, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The spec's convention: the most recent 90 days unless told, and never more."""
    if start is None and end is None:
        return now - WINDOW, now
    if start is None:
        return end - WINDOW, end
    if end is None:
        return start, start + WINDOW
    if end < start:
        raise InvalidInput("end_date", "is before start_date")
    if end - start > WINDOW:
        raise InvalidInput("end_date", f"the span from start_date may not exceed {WINDOW.days} days")
    return start, end


_CASES = Case.__table__


def _case_ids(session: Session, refs: tuple[str, ...]) -> list[int]:
    """The ids of the cases named (unknown ones are left out, as a search leaves them)."""
    found = []
    for ref in refs:
        try:
            found.append(cases.get_case(session, ref).id)
        except NotFound:
            continue
    return found


def find_requests(session: Session, district_code: str, query: Query, *, now: dt.datetime,
                  base_url: str) -> list[dict]:
    where = [_CASES.c.district_code == district_code]
    if len(query.ids) > MAX_ITEMS:
        raise InvalidInput("service_request_id", f"at most {MAX_ITEMS} at once")
    if query.ids:
        where.append(_CASES.c.id.in_(_case_ids(session, query.ids)))
    else:
        start, end = window(query.start, query.end, now)
        where += [_CASES.c.reported_at >= start, _CASES.c.reported_at <= end]
        if query.service_codes:
            where.append(_CASES.c.category_id.in_(select(Category.id).where(Category.code.in_(query.service_codes))))
        if set(query.statuses) == {"open"}:
            where.append(_CASES.c.state.in_([s.value for s in OPEN]))
        elif set(query.statuses) == {"closed"}:
            where.append(_CASES.c.state.in_([s.value for s in TERMINAL]))
    rows = session.execute(select(*_CASES.c).where(*where)
                           .order_by(_CASES.c.reported_at.desc(), _CASES.c.id.desc()).limit(MAX_ITEMS))
    return _requests_out(session, [cases.CaseRecord(row._mapping) for row in rows], base_url)


def _requests_out(session: Session, records: list[cases.CaseRecord], base_url: str) -> list[dict]:
    """Each case with its latest note and its first photo, read for all of them at once."""
    ids = [r.id for r in records]
    latest = (select(CaseEvent.case_id, func.max(CaseEvent.seq).label("seq"))
              .where(CaseEvent.case_id.in_(ids), CaseEvent.note.is_not(None)).group_by(CaseEvent.case_id).subquery())
    notes = dict(session.execute(select(CaseEvent.case_id, CaseEvent.note).join(
        latest, and_(CaseEvent.case_id == latest.c.case_id, CaseEvent.seq == latest.c.seq))).all())
    photos = dict(session.execute(select(Attachment.case_id, func.min(Attachment.id))
                                  .where(Attachment.case_id.in_(ids), Attachment.kind == "photo")
                                  .group_by(Attachment.case_id)).all())
    return [request_out(session, r, note=notes.get(r.id),
                        photo_url=attachment_url(base_url, photos[r.id]) if r.id in photos else None)
            for r in records]


def attachment_url(base_url: str, attachment_id: int) -> str:
    return f"{base_url.rstrip('/')}/api/v1/attachments/{attachment_id}"


def _case_in(session: Session, district_code: str, ref: str) -> cases.CaseRecord:
    try:
        case = cases.get_case(session, ref)
    except NotFound:
        case = None
    if case is None or case.district_code != district_code:
        raise NotFound("service_request_id", f"no service request {ref!r}")
    return case


def get_request(session: Session, district_code: str, ref: str, *, base_url: str) -> dict:
    return _requests_out(session, [_case_in(session, district_code, ref)], base_url)[0]


def by_token(session: Session, district_code: str, token: str) -> dict:
    """The request an intake's token stands for."""
    case_id = session.scalar(select(_CASES.c.id).where(_CASES.c.idempotency_key == TOKEN_PREFIX + token,
                                                       _CASES.c.district_code == district_code))
    if case_id is None:
        raise NotFound("token", f"no token {token!r}")
    return {"service_request_id": cases.get_case(session, case_id).number, "token": token}


# ------------------------------------------------------------------ updates (mySociety)

def add_update(session: Session, district_code: str, ref: str, *, status: str | None, description: str,
               media_url: str | None, actor: Actor, now: dt.datetime) -> int:
    """A reporter's update from a client such as FixMyStreet, kept in the case's history as a
    comment (补充说明). The status they report is recorded with it, not applied: closing a
    case is for the district's verification (核查), not for the reporter's word.
    Returns the event's id: the update_id."""
    if status is not None and status.upper() not in UPDATE_STATUSES:
        raise InvalidInput("status", f"one of {', '.join(sorted(UPDATE_STATUSES))}, got {status!r}")
    if not description.strip():
        raise InvalidInput("description", "the text of the update is required")
    case = _case_in(session, district_code, ref)
    note = with_media((f"[{status.upper()}] " if status else "") + description.strip(), media_url)
    try:
        done = cases.act(session, case.id, cases.ActionInput(action="comment", note=note),
                         actor=actor, now=now)
    except CivicloopError as exc:
        raise open311_error(exc) from None
    return session.scalar(select(CaseEvent.id).where(CaseEvent.case_id == done.id, CaseEvent.seq == done.version))


def _number(row) -> str:
    return cases.CaseRecord({"id": row.case_id, "district_code": row.district_code,
                             "reported_at": row.reported_at}).number


def updates(session: Session, district_code: str, start: dt.datetime | None, end: dt.datetime | None, *,
            now: dt.datetime, base_url: str) -> list[dict]:
    """Every change of state in the window, oldest first: what a FixMyStreet instance polls
    to tell its users. Comments are left out: they came from the reporters themselves."""
    start, end = window(start, end, now)
    rows = session.execute(
        select(CaseEvent.id, CaseEvent.case_id, CaseEvent.seq, CaseEvent.at, CaseEvent.to_state, CaseEvent.note,
               _CASES.c.district_code, _CASES.c.reported_at)
        .join(_CASES, _CASES.c.id == CaseEvent.case_id)
        .where(_CASES.c.district_code == district_code, CaseEvent.at >= start, CaseEvent.at <= end,
               CaseEvent.from_state.is_not(None), CaseEvent.from_state != CaseEvent.to_state)
        .order_by(CaseEvent.at, CaseEvent.id).limit(MAX_ITEMS)).all()
    photos = {(case_id, seq): photo for case_id, seq, photo in session.execute(
        select(Attachment.case_id, Attachment.event_seq, func.min(Attachment.id))
        .where(Attachment.case_id.in_({r.case_id for r in rows}), Attachment.kind == "photo")
        .group_by(Attachment.case_id, Attachment.event_seq))}
    out = []
    for row in rows:
        state = State(row.to_state)
        note = public_note(row.note)
        photo = photos.get((row.case_id, row.seq))
        out.append({"update_id": str(row.id), "service_request_id": _number(row),
                    "status": UPDATE_STATUS[state], "updated_datetime": w3c(row.at),
                    "description": STATE_LABELS[state] + (f"：{note}" if note else ""),
                    "media_url": attachment_url(base_url, photo) if photo else None})
    return out
