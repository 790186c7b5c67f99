"""HTTP endpoints of commitments/: tracked targets and 实事 with their status as of a date,
milestones, progress, 督办, drop, case links, history, and the 周督查/半月通报 bulletin.

The role is checked by a dependency before the body is read (auth/policy.py
"commitments.*"); which department may report on which item is the service's to decide
(403), and a change refused in the item's state is 409 with the reason."""
from __future__ import annotations

import datetime as dt
import io
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicloop.api.deps import allowed, read, write
from civicloop.commitments import bulletin as bulletins
from civicloop.commitments import service
from civicloop.commitments.models import Bulletin, TrackedItem
from civicloop.commitments.rules import KINDS, parse_date
from civicloop.commitments.schemas import (
    BulletinIn,
    BulletinOut,
    CaseLinkIn,
    DepartmentRef,
    DropIn,
    EventOut,
    IssuedBulletin,
    ItemDetail,
    ItemIn,
    ItemOut,
    Kind,
    MilestoneIn,
    MilestoneOut,
    ProgressIn,
    ProgressOut,
    StatusOut,
    SupervisionIn,
    SupervisionOut,
)
from civicloop.departments.service import name_of
from civicloop.settings import local_now

router = APIRouter(tags=["commitments"])
ItemId = Annotated[int, Path(ge=1, le=2**31 - 1)]
DateQuery = Annotated[str | None, Query(max_length=20, description="a date: 2026-06-30; default: today")]
Reader = allowed("commitments.read")
Planner = allowed("commitments.write")
Reporter = allowed("commitments.progress")
Leader = allowed("commitments.supervise")
Issuer = allowed("commitments.bulletin")
Linker = allowed("commitments.link")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _as_of(text: str | None) -> dt.date:
    return parse_date("as_of", text) if text is not None else local_now().date()


def _department(session: Session, department_id: int | None) -> DepartmentRef | None:
    return DepartmentRef(id=department_id, name=name_of(session, department_id)) if department_id is not None else None


def item_out(session: Session, item: TrackedItem, as_of: dt.date, verdict=None, co: list[int] | None = None,
             model=ItemOut, **extra):
    verdict = verdict or service.status_of(session, item, as_of)
    co = co if co is not None else service.co_departments(session, [item.id]).get(item.id, [])
    values = {c: getattr(item, c) for c in model.model_fields if hasattr(item, c) and not c.startswith("co_")}
    values.update(kind_label=KINDS[item.kind], lead_department=_department(session, item.lead_department_id),
                  co_departments=[_department(session, d) for d in co],
                  status=StatusOut(status=verdict.status.value, label=verdict.label, reason=verdict.reason,
                                   achieved=verdict.achieved, as_of=as_of), **extra)
    return model(**values)


def detail_out(session: Session, item: TrackedItem, as_of: dt.date) -> ItemDetail:
    return item_out(
        session, item, as_of, model=ItemDetail,
        milestones=[MilestoneOut(id=m.id, due=m.due, what=m.what, target_quantity=m.target_quantity)
                    for m in service.milestones(session, item.id)],
        progress=[ProgressOut(id=p.id, reported_on=p.reported_on, text=p.text, quantity=p.quantity,
                              milestone_id=p.milestone_id, completed=p.completed, evidence=p.evidence,
                              reporter_id=p.reporter_id, department=_department(session, p.department_id),
                              created_at=p.created_at) for p in service.progress(session, item.id)],
        supervisions=[SupervisionOut(id=s.id, note=s.note, due=s.due, leader_id=s.leader_id, created_at=s.created_at)
                      for s in service.supervisions(session, item.id)],
        case_ids=service.linked_cases(session, item.id))


# ------------------------------------------------------------------ bulletins (before /{item_id})

@router.post("/commitments/bulletins", status_code=201, summary="Issue the 周督查/半月通报 bulletin",
             response_model=BulletinOut,
             responses={201: {"content": {XLSX: {}, "text/html": {}},
                              "description": "the bulletin as JSON, an Excel workbook or a printable HTML page"}})
def issue_bulletin(request: Request, body: BulletinIn, principal: Issuer):
    """What is late, what is at risk, what changed since the last bulletin (or `since`),
    and counts by department, as of `as_of`. Recorded as issued, so that the next
    bulletin's changes count from this one's date."""
    as_of = parse_date("as_of", body.as_of)
    since = parse_date("since", body.since) if body.since is not None else None
    with write(request) as session:
        data = bulletins.issue(session, actor=principal.actor, now=local_now(), district_code=body.district_code,
                               as_of=as_of, since=since, year=body.year)
    name = f"bulletin-{data.district_code}-{data.as_of}"
    if body.format == "xlsx":
        buffer = io.BytesIO()
        bulletins.write_xlsx(data, buffer)
        return Response(buffer.getvalue(), status_code=201, media_type=XLSX,
                        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})
    if body.format == "html":
        return Response(bulletins.render_html(data), status_code=201, media_type="text/html; charset=utf-8")
    return BulletinOut(number=data.number, title=data.title, district_code=data.district_code, year=data.year,
                       as_of=data.as_of, since=data.since, summary=bulletins.summary_lines(data),
                       late=data.late, at_risk=data.at_risk, changes=data.changes, new_progress=data.new_progress,
                       new_supervisions=data.new_supervisions, departments=data.departments)


@router.get("/commitments/bulletins", response_model=list[IssuedBulletin], summary="Bulletins issued")
def list_bulletins(request: Request, principal: Reader,
                   district: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None) -> list[IssuedBulletin]:
    """Newest first."""
    with read(request) as session:
        query = select(Bulletin).order_by(Bulletin.as_of.desc(), Bulletin.id.desc())
        if district is not None:
            query = query.where(Bulletin.district_code == district)
        return [IssuedBulletin.model_validate(b, from_attributes=True) for b in session.scalars(query)]


# ------------------------------------------------------------------ items

@router.get("/commitments", response_model=list[ItemOut], summary="Tracked targets and 实事, with their status")
def list_items(request: Request, principal: Reader,
               district: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
               year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
               kind: Kind | None = None,
               department: Annotated[str | None, Query(max_length=40, description="lead or co-department code")] = None,
               as_of: DateQuery = None) -> list[ItemOut]:
    day = _as_of(as_of)
    with read(request) as session:
        items = service.list_items(session, district_code=district, year=year, kind=kind, department=department)
        verdicts = service.statuses(session, items, day)
        co = service.co_departments(session, [item.id for item in items])
        return [item_out(session, item, day, verdicts[item.id], co.get(item.id, [])) for item in items]


@router.post("/commitments", status_code=201, response_model=ItemOut, summary="Add a target or 实事 (admin, leader)")
def create_item(request: Request, response: Response, body: ItemIn, principal: Planner) -> ItemOut:
    """An unknown department is 422 naming the field (`lead_department`, `co_departments[i]`)."""
    now = local_now()
    with write(request) as session:
        item = service.create_item(session, actor=principal.actor, now=now, **body.model_dump(
            exclude={"co_departments"}), co_departments=tuple(body.co_departments))
        out = item_out(session, item, now.date())
    response.headers["Location"] = f"/api/v1/commitments/{out.id}"
    return out


@router.get("/commitments/{item_id}", response_model=ItemDetail, summary="One item: milestones, progress, 督办, cases")
def get_item(request: Request, item_id: ItemId, principal: Reader, as_of: DateQuery = None) -> ItemDetail:
    day = _as_of(as_of)
    with read(request) as session:
        return detail_out(session, service.get_item(session, item_id), day)


@router.get("/commitments/{item_id}/events", response_model=list[EventOut], summary="An item's history")
def item_events(request: Request, item_id: ItemId, principal: Reader) -> list[EventOut]:
    with read(request) as session:
        service.get_item(session, item_id)
        return [EventOut.model_validate(e, from_attributes=True) for e in service.events(session, item_id)]


def _changed(request: Request, item_id: int, change) -> ItemDetail:
    """Run one change in a transaction; answer with the item as it now stands."""
    now = local_now()
    with write(request) as session:
        change(session, now)
        return detail_out(session, service.get_item(session, item_id), now.date())


@router.post("/commitments/{item_id}/milestones", status_code=201, response_model=ItemDetail,
             summary="Add a milestone (admin, leader)")
def add_milestone(request: Request, item_id: ItemId, body: MilestoneIn, principal: Planner) -> ItemDetail:
    """A due date outside the item's year or after its own due date is 422; a dropped item 409."""
    return _changed(request, item_id, lambda session, now: service.add_milestone(
        session, item_id, actor=principal.actor, now=now, **body.model_dump()))


@router.post("/commitments/{item_id}/progress", status_code=201, response_model=ItemDetail,
             summary="Report progress (the lead or a co-department's handler)")
def report_progress(request: Request, item_id: ItemId, body: ProgressIn, principal: Reporter) -> ItemDetail:
    """A handler of another department is 403; a dropped item 409 with the reason it was dropped."""
    return _changed(request, item_id, lambda session, now: service.report_progress(
        session, item_id, actor=principal.actor, now=now, **body.model_dump()))


@router.post("/commitments/{item_id}/drop", response_model=ItemDetail, summary="Drop an item, with the reason")
def drop_item(request: Request, item_id: ItemId, body: DropIn, principal: Planner) -> ItemDetail:
    return _changed(request, item_id, lambda session, now: service.drop_item(
        session, item_id, actor=principal.actor, now=now, reason=body.reason))


@router.post("/commitments/{item_id}/supervisions", status_code=201, response_model=ItemDetail,
             summary="督办 (leader)")
def supervise(request: Request, item_id: ItemId, body: SupervisionIn, principal: Leader) -> ItemDetail:
    return _changed(request, item_id, lambda session, now: service.supervise(
        session, item_id, actor=principal.actor, now=now, note=body.note, due=body.due))


@router.post("/commitments/{item_id}/cases", status_code=201, response_model=ItemDetail,
             summary="Link a citizen case to the item it concerns")
def link_case(request: Request, item_id: ItemId, body: CaseLinkIn, principal: Linker) -> ItemDetail:
    return _changed(request, item_id, lambda session, now: service.link_case(
        session, item_id, body.case.strip(), actor=principal.actor, now=now))
