"""HTTP endpoints of hot/: the hot issues (热点问题) of a district's recent cases, each topic
with the cases behind it, for those who watch the district: dispatchers, leaders, assessors,
and departments over their own cases."""
from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request

from civicloop.api.deps import allowed, read
from civicloop.cases.models import Case
from civicloop.cases.views import _naive, only_district
from civicloop.hot import service
from civicloop.hot.schemas import CaseRef, HeatOut, HotIssuesOut, TopicOut
from civicloop.privacy import mask_text
from civicloop.settings import local_now

router = APIRouter(tags=["hot issues"])
HotReader = allowed("hot.read")


@router.get("/hot-issues", response_model=HotIssuesOut, summary="Hot issues (热点问题) of recent cases")
def hot_issues(
    request: Request, principal: HotReader,
    district_code: Annotated[str | None, Query(pattern=r"^\d{6}$", description="default: the only district")] = None,
    days: Annotated[int, Query(ge=1, le=service.MAX_DAYS, description="cases of the last DAYS days")] = 7,
    top: Annotated[int, Query(ge=1, le=service.MAX_TOP)] = 10,
    until: Annotated[dt.datetime | None, Query(description="end of the window (default: now)")] = None,
) -> HotIssuesOut:
    """The district's cases of the window that the caller may see, grouped into topics (the
    same place, the same matter, close in time) and ranked by heat (docs/hot.md). Every
    count opens: each topic lists its cases, and each case opens at /api/v1/cases/{id}."""
    end = _naive(until, "until") or local_now()
    with read(request) as session:
        code = district_code or only_district(session)
        result = service.hot_cases(session, principal.actor, district_code=code, days=days, top=top, until=end)
        rows = service.cases_behind(session, result.topics)
    topics = [TopicOut(rank=rank, title=mask_text(t.title), place=t.place, first_at=t.first_at, last_at=t.last_at,
                       heat=HeatOut(**{k: getattr(t.heat, k) for k in HeatOut.model_fields}),
                       cases=[_case_ref(rows[int(ref)]) for ref in t.refs])
              for rank, t in enumerate(result.topics, start=1)]
    return HotIssuesOut(district_code=code, since=result.since, until=result.until, reports=result.reports,
                        grouped=result.grouped, topics=topics)


def _case_ref(row) -> CaseRef:
    return CaseRef(id=row.id, number=Case.number.fget(row), title=mask_text(row.title), state=row.state,
                   reported_at=row.reported_at, grid_code=row.grid_code)
