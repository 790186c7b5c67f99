"""The dashboard's (大屏) figures in one answer, each counted by one GROUP BY in the database
(on the indexed state, grid, reported and closed columns of `cases`) rather than by paging
through case lists in the browser: open cases by state, open cases per grid cell by warning
colour, the work queues of open cases, and the new and closed cases of each recent day.

Every figure is narrowed to the caller's scope exactly as `GET /cases` is (`cases/query.py`),
so each number equals the total of the list it opens."""
from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import Field
from sqlalchemy import func, select

from civicloop.api.deps import CurrentPrincipal, read
from civicloop.api.schemas import ApiModel
from civicloop.cases import query
from civicloop.cases.lifecycle import OPEN, State
from civicloop.cases.models import Case
from civicloop.settings import local_now

router = APIRouter(tags=["dashboard"])
OPEN_STATES = tuple(s.value for s in State if s in OPEN)  # in the lifecycle's order
WARNINGS = ("green", "yellow", "red")
# The work queues the board shows: each a condition on open cases (cases/query.QUEUES), so one
# pass over the open cases counts them all; `mine` and the others that read closed cases are
# the lists' business, not the board's.
QUEUES = ("overdue", "red", "yellow", "extension_requests")


class CellCounts(ApiModel):
    grid: str = Field(description="grid cell code; its list: GET /cases?grid=…")
    open: int
    green: int
    yellow: int
    red: int


class DayCounts(ApiModel):
    day: dt.date
    reported: int = Field(description="cases reported that day; its list: GET /cases?reported_from=…&reported_to=…")
    closed: int = Field(description="cases closed that day")


class DashboardOut(ApiModel):
    as_of: dt.datetime
    by_state: dict[str, int] = Field(description="open cases by state (every open state, 0 included)")
    queues: dict[str, int] = Field(description="overdue, red, yellow and extension_requests: the counts of "
                                               "those queues, as GET /cases/queues")
    cells: list[CellCounts] = Field(description="grid cells with open cases, by warning colour, in code order")
    days: list[DayCounts] = Field(description="the last `days` days, oldest first, today last")


def _per_day(session, column, since: dt.datetime, scope) -> dict[dt.date, int]:
    day = func.date(column)
    rows = session.execute(select(day, func.count()).where(column >= since, *scope).group_by(day)).all()
    # SQLite's date() is text, PostgreSQL's a date.
    return {dt.date.fromisoformat(str(d)): n for d, n in rows}


def figures(session, actor, days: int) -> DashboardOut:
    now = local_now()
    scope = [c for c in [query.scope_condition(actor)] if c is not None]
    is_open = Case.state.in_(OPEN_STATES)
    by_state = dict.fromkeys(OPEN_STATES, 0)
    by_state.update(session.execute(select(Case.state, func.count()).where(is_open, *scope)
                                    .group_by(Case.state)).all())
    queues = session.execute(select(*(func.count().filter(query.QUEUES[name](actor)).label(name) for name in QUEUES))
                             .where(is_open, *scope)).one()._asdict()
    cells: dict[str, dict[str, int]] = {}
    for grid, warning, n in session.execute(
            select(Case.grid_code, Case.warning, func.count())
            .where(is_open, Case.grid_code.is_not(None), *scope).group_by(Case.grid_code, Case.warning)):
        cells.setdefault(grid, dict.fromkeys(WARNINGS, 0))[warning] = n
    first = now.date() - dt.timedelta(days=days - 1)
    since = dt.datetime.combine(first, dt.time())
    reported = _per_day(session, Case.reported_at, since, scope)
    closed = _per_day(session, Case.closed_at, since, scope)
    return DashboardOut(
        as_of=now, by_state=by_state, queues=queues,
        cells=[CellCounts(grid=g, open=sum(n.values()), **n) for g, n in sorted(cells.items())],
        days=[DayCounts(day=d, reported=reported.get(d, 0), closed=closed.get(d, 0))
              for d in (first + dt.timedelta(days=i) for i in range(days))])


@router.get("/dashboard", response_model=DashboardOut, summary="The dashboard's figures (大屏)")
def dashboard(request: Request, principal: CurrentPrincipal,
              days: Annotated[int, Query(ge=1, le=366, description="days of the trend, today included")] = 14,
              ) -> DashboardOut:
    """Open cases by state and per grid cell by warning colour, the work queues, and the cases
    reported and closed on each of the last `days` days — of the cases the caller may see."""
    with read(request) as session:
        return figures(session, principal.actor, days)
