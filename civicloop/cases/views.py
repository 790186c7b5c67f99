"""Case endpoints: intake (with photos), lists with filters and search, work queues, one
case, its lifecycle actions, its history and its attachments.

A case outside the caller's scope answers 404, as if it did not exist; what the caller
may then do to a case it sees is the lifecycle's to decide (403 for the wrong role, 409
with the current state for the wrong moment)."""
from __future__ import annotations

import datetime as dt
import math
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicloop import cache
from civicloop.api.deps import CurrentPrincipal, read, write
from civicloop.api.problems import validation_errors
from civicloop.auth import policy
from civicloop.auth.service import Principal, hit
from civicloop.cases import query, service
from civicloop.cases.attachments import Upload, read as read_attachment
from civicloop.cases.lifecycle import STATE_LABELS, Actor, Role, State, allowed_actions
from civicloop.cases.models import Attachment, CaseAssist
from civicloop.cases.schemas import (ActionIn, ActionName, AttachmentOut, CaseIn, CaseOut, CasePage, Channel,
                                     EventOut, PublicCaseIn, PublicCaseOut, QueueCounts, Ref, StateName)
from civicloop.errors import Forbidden, InvalidInput, NotFound, UnsupportedType
from civicloop.privacy import mask_name, mask_phone, mask_text
from civicloop.settings import get_settings, local_now

router = APIRouter(tags=["cases"])
IDEMPOTENCY_KEY_MAX = 80
PHOTOS_MAX = 9
# Keys of an event's `changes` that carry the reporter's personal data.
_PERSONAL = {"reporter_name": mask_name, "reporter_phone": mask_phone, "body": mask_text, "title": mask_text}


# ------------------------------------------------------------------ bodies: JSON or multipart

def _body_schema(model: type[BaseModel]) -> dict:
    schema = model.model_json_schema()
    with_photos = {"allOf": [schema, {"type": "object", "properties": {
        "photos": {"type": "array", "maxItems": PHOTOS_MAX, "items": {"type": "string", "format": "binary"},
                   "description": "photos (JPEG, PNG, GIF, WebP, HEIC) or PDF documents"}}}]}
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": schema},
        "multipart/form-data": {"schema": with_photos}}}}


async def _parse(request: Request, model: type[BaseModel]) -> tuple[BaseModel, tuple[Upload, ...]]:
    """The body as `model`, from JSON or from a multipart form whose fields are the model's
    fields and whose files are `photos`."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    uploads: list[Upload] = []
    try:
        if content_type == "multipart/form-data":
            limit = get_settings().attachment_max_bytes
            form = await request.form(max_files=PHOTOS_MAX, max_fields=50, max_part_size=limit)
            data: dict = {}
            list_fields = {name for name, f in model.model_fields.items() if "list" in str(f.annotation)}
            for key in form.keys():
                values = form.getlist(key)
                if key == "photos":
                    for value in values:
                        if isinstance(value, str):
                            raise InvalidInput("photos", "each photo must be a file part")
                        uploads.append(Upload(value.filename or "photo", await value.read(), value.content_type))
                    continue
                if any(not isinstance(v, str) for v in values):
                    raise InvalidInput(key, "a file where a value was expected; files go in 'photos'")
                data[key] = values if key in list_fields else values[-1]
            return model.model_validate(data), tuple(uploads)
        if content_type in ("application/json", ""):
            raw = await request.body()
            return model.model_validate_json(raw or b"{}"), ()
    except ValidationError as exc:
        errors = validation_errors(exc.errors())
        raise InvalidInput(errors[0]["field"], errors[0]["detail"], errors=errors) from None
    except (ValueError, UnicodeDecodeError) as exc:  # a malformed multipart body
        raise InvalidInput("body", f"not a readable multipart form: {exc}") from None
    raise UnsupportedType("content-type", f"send application/json or multipart/form-data, not {content_type!r}")


def _idempotency_key(request: Request, principal: Principal | None) -> str | None:
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > IDEMPOTENCY_KEY_MAX or not key.isprintable():
        raise InvalidInput("Idempotency-Key", f"1–{IDEMPOTENCY_KEY_MAX} printable characters")
    # Keys are the client's own: one client's key never collides with another's.
    owner = f"u{principal.actor.user_id}" if principal is not None else "public"
    return f"{owner}:{key}"


# ------------------------------------------------------------------ outputs

def _assisting(session: Session, case_id: int) -> frozenset[int]:
    return frozenset(session.scalars(select(CaseAssist.department_id).where(CaseAssist.case_id == case_id)))


def visible_case(session: Session, principal: Principal, ref: str):
    """The case if the caller may see it; 404 otherwise (its existence is not told)."""
    case = service.get_case(session, ref)
    actor = principal.actor
    assisting = _assisting(session, case.id) if actor.role is Role.HANDLER else frozenset()
    if not policy.can_see(actor, lead_department_id=case.lead_department_id, assisting_department_ids=assisting,
                          grid_code=case.grid_code, reporter_user_id=case.reporter_user_id,
                          created_by_id=case.created_by_id):
        raise NotFound("case", f"no case {ref!r}")
    return case


def _ref_department(session: Session, department_id: int | None) -> Ref | None:
    from civicloop.departments.service import name_of
    return Ref(id=department_id, name=name_of(session, department_id)) if department_id is not None else None


def _ref_category(session: Session, category_id: int | None) -> Ref | None:
    from civicloop.categories.service import label_of
    label = label_of(session, category_id)
    return Ref(id=category_id, code=label[0], name=label[1]) if label else None


def case_out(session: Session, case, principal: Principal | None) -> CaseOut:
    actor = principal.actor if principal else None
    shown = policy.sees_reporter(actor, lead_department_id=case.lead_department_id,
                                 reporter_user_id=case.reporter_user_id)
    values = {c: getattr(case, c) for c in CaseOut.model_fields if hasattr(case, c) and c != "number"}
    values.update(
        number=service.Case.number.fget(case), state_label=STATE_LABELS[State(case.state)],
        category=_ref_category(session, case.category_id),
        lead_department=_ref_department(session, case.lead_department_id),
        reporter_masked=not shown,
        allowed_actions=list(allowed_actions(State(case.state), actor.role)) if actor else [])
    if not shown:
        values.update(reporter_name=mask_name(case.reporter_name), reporter_phone=mask_phone(case.reporter_phone),
                      body=mask_text(case.body), title=mask_text(case.title),
                      resolution_note=mask_text(case.resolution_note))
    return CaseOut(**values)


# ------------------------------------------------------------------ intake

@router.post("/cases", status_code=201, response_model=CaseOut, openapi_extra=_body_schema(CaseIn),
             summary="Take in a case (上报)", responses={200: {"model": CaseOut, "description": "an idempotent retry"}})
async def create_case(request: Request, response: Response, principal: CurrentPrincipal) -> CaseOut:
    """A new case from any channel the caller's role takes cases in through. With an
    `Idempotency-Key` header a retry returns the case the first request made (200)."""
    if not policy.INTAKE_CHANNELS.get(principal.actor.role):
        raise Forbidden("role", f"a {principal.actor.role.value} does not take in cases")
    body, uploads = await _parse(request, CaseIn)
    key = _idempotency_key(request, principal)

    def run():
        actor = principal.actor
        if body.channel not in policy.INTAKE_CHANNELS.get(actor.role, ()):
            allowed = ", ".join(policy.INTAKE_CHANNELS.get(actor.role, ())) or "none"
            raise Forbidden("channel", f"a {actor.role.value} may not take in cases by {body.channel}; "
                                       f"allowed: {allowed}")
        with write(request) as session:
            data = service.NewCase(**body.model_dump(exclude={"district_code"}),
                                   district_code=body.district_code or only_district(session),
                                   reporter_user_id=actor.user_id if actor.role is Role.CITIZEN else None,
                                   idempotency_key=key)
            created = service.create_case(session, data, actor=actor, now=local_now(), attachments=uploads)
            return created.created, case_out(session, created.case, principal)

    created, out = await run_in_threadpool(run)
    if not created:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = f"{request.scope.get('root_path', '')}/api/v1/cases/{out.id}"
    return out


def _district_codes(session: Session) -> tuple[str, ...]:
    from civicloop.regions.models import Region
    return tuple(session.scalars(select(Region.code).where(Region.level == "district").limit(2)))


def only_district(session: Session) -> str:
    codes = cache.snapshot(session, "district_codes", _district_codes)
    if len(codes) != 1:
        cache.invalidate("district_codes")
        codes = cache.snapshot(session, "district_codes", _district_codes)
    if len(codes) != 1:
        raise InvalidInput("district_code", "required: " + ("no district is set up" if not codes
                                                           else "this server serves several districts"))
    return codes[0]


# ------------------------------------------------------------------ the public

PUBLIC = Actor(user_id=None, role=Role.CITIZEN)


def public_out(session: Session, case) -> PublicCaseOut:
    return PublicCaseOut(number=service.Case.number.fget(case), state=case.state,
                         state_label=STATE_LABELS[State(case.state)], title=mask_text(case.title),
                         category=_ref_category(session, case.category_id),
                         lead_department=_ref_department(session, case.lead_department_id),
                         reported_at=case.reported_at, handle_deadline=case.handle_deadline,
                         closed_at=case.closed_at, updated_at=case.updated_at, reply=mask_text(case.resolution_note))


def limit_public(session: Session, request: Request) -> None:
    """Anonymous intake is limited per client address, counted in the database so that
    every worker shares the count (429 with Retry-After past the limit)."""
    settings = get_settings()
    client = request.client.host if request.client else "unknown"
    hit(session, "public:" + client, now=local_now(), limit=settings.public_rate_limit,
        window_seconds=settings.public_rate_window_seconds)


@router.post("/public/cases", status_code=201, response_model=PublicCaseOut, tags=["public"],
             openapi_extra=_body_schema(PublicCaseIn), summary="Report a problem without an account (网上留言)")
async def create_public_case(request: Request, response: Response) -> PublicCaseOut:
    """Anyone may report; the answer is the case number to follow it by. Limited per
    client address (429 with Retry-After). Location from a phone is WGS-84 by default."""
    body, uploads = await _parse(request, PublicCaseIn)
    key = _idempotency_key(request, None)

    def run():
        with write(request) as session:
            limit_public(session, request)
        with write(request) as session:
            data = service.NewCase(channel="web", **body.model_dump(exclude={"district_code"}),
                                   district_code=body.district_code or only_district(session), idempotency_key=key)
            created = service.create_case(session, data, actor=PUBLIC, now=local_now(), attachments=uploads)
            return created.created, public_out(session, created.case)

    created, out = await run_in_threadpool(run)
    if not created:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return out


@router.get("/public/cases/{number}", response_model=PublicCaseOut, tags=["public"],
            summary="Follow a case by its number, without an account")
def get_public_case(request: Request, number: Annotated[str, Path(max_length=40)]) -> PublicCaseOut:
    """Only by the full case number (not by id), and nothing personal in the answer."""
    if number.count("-") != 2:
        raise NotFound("case", f"no case {number!r}; give the full case number, e.g. 420106-20261122-000017")
    with read(request) as session:
        return public_out(session, service.get_case(session, number))


# ------------------------------------------------------------------ lists and queues

@router.get("/cases", response_model=CasePage, summary="Find cases")
def list_cases(
    request: Request, principal: CurrentPrincipal,
    state: Annotated[list[StateName], Query(description="one or more states")] = [],  # noqa: B006
    department_id: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="lead department")] = None,
    street: Annotated[str | None, Query(max_length=12)] = None,
    community: Annotated[str | None, Query(max_length=12)] = None,
    grid: Annotated[str | None, Query(max_length=20)] = None,
    category_id: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="with its sub-categories")] = None,
    channel: Annotated[list[Channel], Query()] = [],  # noqa: B006
    reported_from: dt.datetime | None = None,
    reported_to: dt.datetime | None = None,
    closed_from: Annotated[dt.datetime | None, Query(description="closed (结案) at or after")] = None,
    closed_to: Annotated[dt.datetime | None, Query(description="closed (结案) at or before")] = None,
    overdue: bool | None = None,
    warning: Annotated[str | None, Query(pattern="^(green|yellow|red)$")] = None,
    q: Annotated[str | None, Query(max_length=100, description="words of the title or text (Chinese or not)")] = None,
    queue: Annotated[str | None, Query(pattern="^(" + "|".join(query.QUEUES) + ")$")] = None,
    sort: Annotated[str, Query(pattern="^(" + "|".join(query.SORT_CHOICES) + ")$")] = "-reported_at",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=query.PER_PAGE_MAX)] = 50,
) -> CasePage:
    """Cases the caller may see, newest first unless sorted otherwise. `queue` picks a work
    queue: to_register, to_check (派核实 not yet answered by a 核实), to_dispatch, to_accept,
    handling, to_verify, extension_requests, overdue, yellow, red, or mine (cases the caller
    has an action to take on)."""
    filters = query.Filters(state=list(state), department_id=department_id, street_code=street,
                            community_code=community, grid_code=grid, category_id=category_id, channel=list(channel),
                            reported_from=_naive(reported_from, "reported_from"),
                            reported_to=_naive(reported_to, "reported_to"),
                            closed_from=_naive(closed_from, "closed_from"), closed_to=_naive(closed_to, "closed_to"),
                            overdue=overdue, warning=warning, q=q, queue=queue)
    with read(request) as session:
        rows, total = query.find(session, principal.actor, filters, sort=sort, page=page, per_page=per_page)
        items = [case_out(session, service.CaseRecord(row._mapping), principal) for row in rows]
    return CasePage(items=items, total=total, page=page, per_page=per_page, pages=math.ceil(total / per_page))


def _naive(value: dt.datetime | None, field: str) -> dt.datetime | None:
    """Stored times are the district's local time: an aware time is converted to it."""
    if value is None or value.tzinfo is None:
        return value
    from zoneinfo import ZoneInfo
    try:
        return value.astimezone(ZoneInfo(get_settings().timezone)).replace(tzinfo=None)
    except (OverflowError, ValueError):
        raise InvalidInput(field, "out of range") from None


@router.get("/cases/queues", response_model=QueueCounts, summary="How many cases wait in each queue")
def queue_counts(request: Request, principal: CurrentPrincipal) -> QueueCounts:
    with read(request) as session:
        return QueueCounts(counts=query.queue_counts(session, principal.actor))


# ------------------------------------------------------------------ one case

@router.get("/cases/{ref}", response_model=CaseOut, summary="One case, by id or number")
def get_case(request: Request, ref: str, principal: CurrentPrincipal) -> CaseOut:
    with read(request) as session:
        return case_out(session, visible_case(session, principal, ref), principal)


@router.post("/cases/{ref}/actions/{action}", response_model=CaseOut, openapi_extra=_body_schema(ActionIn),
             summary="Take a lifecycle action")
async def act(request: Request, ref: str, action: ActionName, principal: CurrentPrincipal) -> CaseOut:
    """Who may take which action, and in which state, is in docs/lifecycle.md; a refusal
    says why, with the case's state and the actions allowed there. Photos of the work may
    come along as a multipart form."""
    body, uploads = await _parse(request, ActionIn)

    def run():
        with write(request) as session:
            case = visible_case(session, principal, ref)
            inp = service.ActionInput(action=action, note=body.note, department_id=body.department_id,
                                      assisting_department_ids=tuple(body.assisting_department_ids),
                                      master_case_id=body.master_case_id, extension_hours=body.extension_hours,
                                      rating=body.rating, category=body.category,
                                      expected_version=body.expected_version,
                                      attachments=uploads)
            done = service.act(session, case.id, inp, actor=principal.actor, now=local_now())
            return case_out(session, done, principal)

    return await run_in_threadpool(run)


@router.get("/cases/{ref}/events", response_model=list[EventOut], summary="A case's history")
def case_events(request: Request, ref: str, principal: CurrentPrincipal) -> list[EventOut]:
    from civicloop.users.models import User
    with read(request) as session:
        case = visible_case(session, principal, ref)
        shown = policy.sees_reporter(principal.actor, lead_department_id=case.lead_department_id,
                                     reporter_user_id=case.reporter_user_id)
        events = service.events(session, case.id)
        people = {u.id: u for u in session.execute(
            select(User.id, User.username, User.name).where(User.id.in_({e.actor_id for e in events if e.actor_id})))}
        out = []
        for event in events:
            person = people.get(event.actor_id)
            changes = dict(event.changes or {})
            note = event.note
            if not shown:
                note = mask_text(note)
                changes = {k: (_PERSONAL[k](v) if k in _PERSONAL else v) for k, v in changes.items()}
                if "resolution_note" in changes:
                    changes["resolution_note"] = mask_text(changes["resolution_note"])
            out.append(EventOut(seq=event.seq, action=event.action, at=event.at, from_state=event.from_state,
                                to_state=event.to_state, note=note, changes=changes,
                                actor={"id": event.actor_id, "username": person.username if person else None,
                                       "name": person.name if person else None, "role": event.actor_role,
                                       "department_id": event.department_id}))
        return out


def _attachment_out(a: Attachment) -> AttachmentOut:
    return AttachmentOut(id=a.id, case_id=a.case_id, event_seq=a.event_seq, kind=a.kind, filename=a.filename,
                         content_type=a.content_type, size=a.size, sha256=a.sha256, created_at=a.created_at,
                         url=f"/api/v1/attachments/{a.id}")


@router.get("/cases/{ref}/attachments", response_model=list[AttachmentOut], summary="A case's photos and documents")
def case_attachments(request: Request, ref: str, principal: CurrentPrincipal) -> list[AttachmentOut]:
    with read(request) as session:
        case = visible_case(session, principal, ref)
        rows = session.scalars(select(Attachment).where(Attachment.case_id == case.id).order_by(Attachment.id))
        return [_attachment_out(a) for a in rows]


@router.get("/attachments/{attachment_id}", summary="An attachment's content",
            responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "application/pdf": {}}}},
            response_class=Response)
def attachment_content(request: Request, attachment_id: int, principal: CurrentPrincipal) -> Response:
    if not 1 <= attachment_id <= 2**31 - 1:
        raise NotFound("attachment", f"no attachment {attachment_id}")
    with read(request) as session:
        found = session.get(Attachment, attachment_id)
        if found is None:
            raise NotFound("attachment", f"no attachment {attachment_id}")
        try:
            visible_case(session, principal, str(found.case_id))
        except NotFound:
            raise NotFound("attachment", f"no attachment {attachment_id}") from None
        data = read_attachment(found)
    return Response(data, media_type=found.content_type, headers={
        "Content-Disposition": f"inline; filename*=UTF-8''{_quote(found.filename)}", "ETag": f'"{found.sha256}"',
        "Cache-Control": "private, max-age=86400"})


def _quote(name: str) -> str:
    from urllib.parse import quote
    return quote(name, safe="")

