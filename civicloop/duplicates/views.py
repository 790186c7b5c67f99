"""HTTP endpoints of duplicates/: the open cases a case repeats, and the same for a draft
before it is taken in. The merge is the case's `merge` action
(POST /api/v1/cases/{ref}/actions/merge with master_case_id)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session

from civicloop.api.deps import allowed, read
from civicloop.cases.lifecycle import STATE_LABELS, State
from civicloop.cases.service import Case
from civicloop.cases.views import _ref_category, only_district, visible_case
from civicloop.duplicates import service
from civicloop.duplicates.schemas import (
    CandidateCase,
    CandidateOut,
    DraftIn,
    Duplicates,
    Options,
)
from civicloop.privacy import mask_text
from civicloop.settings import local_now

router = APIRouter(tags=["duplicates"])
Checker = allowed("duplicates.check")


def duplicates_out(session: Session, case_id: int | None, found: list[service.Candidate],
                   options: Options) -> Duplicates:
    return Duplicates(case_id=case_id, window_days=options.window_days, radius_m=options.radius_m, candidates=[
        CandidateOut(case=CandidateCase(
            id=c.case.id, number=Case.number.fget(c.case), title=mask_text(c.case.title), state=c.case.state,
            state_label=STATE_LABELS[State(c.case.state)], category=_ref_category(session, c.case.category_id),
            grid_code=c.case.grid_code, reported_at=c.case.reported_at),
            score=c.score, text_similarity=c.text, reasons=c.reasons) for c in found])


@router.get("/cases/{ref}/duplicates", response_model=Duplicates, summary="Open cases this case may repeat")
def case_duplicates(request: Request, ref: str, principal: Checker,
                    options: Annotated[Options, Query()]) -> Duplicates:
    """Open cases of the district near this one (same or neighbouring grid cell, within
    `radius_m`, or the same community), reported within `window_days` of it, whose text is
    alike; each with a score and the reasons in words."""
    with read(request) as session:
        case = visible_case(session, principal, ref)
        found = service.candidates(session, case, **options.model_dump())
        return duplicates_out(session, case.id, found, options)


@router.post("/duplicates/check", response_model=Duplicates, summary="Open cases a draft may repeat, before intake")
def check_draft(request: Request, body: DraftIn, principal: Checker) -> Duplicates:
    """The same comparison for a case not yet taken in: an operator on a call asks before
    making a second case of a matter already open."""
    options = Options(**body.model_dump(include=set(Options.model_fields)))
    with read(request) as session:
        subject = service.draft(session, title=body.title, text=body.text,
                                district_code=body.district_code or only_district(session), now=local_now(),
                                lon=body.lon, lat=body.lat, crs=body.crs, grid_code=body.grid_code,
                                category=body.category)
        return duplicates_out(session, None, service.candidates(session, subject, **options.model_dump()), options)
