"""HTTP endpoints of the working calendar: which days of a year are workdays and why, and
the admin's overrides of the official calendar (chinesecalendar), one day or a CSV file."""
from __future__ import annotations

import datetime as dt
from typing import Annotated

import chinese_calendar
from fastapi import APIRouter, Path, Request, Response

from civicloop.api.deps import CalendarAdmin, Reader, read, write
from civicloop.errors import InvalidInput, UnsupportedType
from civicloop.sla import service
from civicloop.sla.schemas import DayIn, DayOut, Imported, Override, YearOut

router = APIRouter(tags=["calendar"])
Year = Annotated[int, Path(ge=1900, le=2100)]
DayPath = Annotated[dt.date, Path(description="YYYY-MM-DD")]
CSV_MAX = 100_000


def _holiday_name(day: dt.date) -> str | None:
    try:
        return chinese_calendar.get_holiday_detail(day)[1]
    except NotImplementedError:
        return None


@router.get("/calendar/{year}", response_model=YearOut, summary="A year's workdays and holidays")
def calendar_year(request: Request, year: Year, principal: Reader) -> YearOut:
    """Every day of the year with whether it is a workday and where that comes from: an
    admin's override, the official calendar, or (a year only overrides know) Monday–Friday."""
    with read(request) as session:
        calendar = service.load_calendar(session)
        overrides = {row.day: row for row in service.list_days(session, year)}
    status = calendar.year_status(year)
    days = []
    day = dt.date(year, 1, 1)
    while day.year == year:
        row = overrides.get(day)
        if row is not None:
            days.append(DayOut(date=day, is_workday=row.is_workday, source="override", name=row.name))
        elif status == "unknown":
            days.append(DayOut(date=day, is_workday=None, source="unknown", name=None))
        else:
            days.append(DayOut(date=day, is_workday=calendar.is_workday(day),
                               source="package" if status == "package" else "weekdays",
                               name=_holiday_name(day) if status == "package" else None))
        day += dt.timedelta(days=1)
    known = status != "unknown"
    workdays = sum(bool(d.is_workday) for d in days)
    return YearOut(year=year, status=status, workdays=workdays if known else None,
                   holidays=len(days) - workdays if known else None,
                   overrides=[Override(date=r.day, is_workday=r.is_workday, name=r.name) for r in overrides.values()],
                   days=days)


@router.put("/calendar/days/{date}", response_model=Override, summary="Mark a day as workday or holiday (admin)")
def set_day(request: Request, date: DayPath, body: DayIn, principal: CalendarAdmin) -> Override:
    """Wins over the official calendar; replaces an earlier override of the day. Marking a
    day of a year the official calendar lacks makes that year known (Monday–Friday
    otherwise): enter all its holidays and 调休 workdays."""
    with write(request) as session:
        row = service.set_day(session, date, body.is_workday, body.name)
        return Override(date=row.day, is_workday=row.is_workday, name=row.name)


@router.delete("/calendar/days/{date}", status_code=204, summary="Drop a day's override (admin)")
def unset_day(request: Request, date: DayPath, principal: CalendarAdmin) -> Response:
    """The day follows the official calendar again; 404 when it has no override."""
    with write(request) as session:
        service.unset_day(session, date)
    return Response(status_code=204)


@router.post("/calendar/import", response_model=Imported, summary="Load overrides from CSV (admin)",
             openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {"schema": {
                 "type": "string", "description": "header date,is_workday,name"}}}}})
async def import_days(request: Request, principal: CalendarAdmin) -> Imported:
    """Send the CSV as text/csv (header date,is_workday,name). One bad row rejects the
    file, every fault named by line."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in ("text/csv", "text/plain"):
        raise UnsupportedType("content-type", f"send text/csv, not {content_type!r}")
    raw = await request.body()
    if len(raw) > CSV_MAX:
        raise InvalidInput("csv", f"larger than {CSV_MAX} bytes")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("csv", "not UTF-8 text") from None
    with write(request) as session:
        return Imported(days=service.import_days(session, text))
