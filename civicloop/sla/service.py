"""The calendar table: admin overrides of the official calendar, and the WorkCalendar
built from them."""
from __future__ import annotations

import csv
import datetime as dt
import io

from sqlalchemy import extract, select
from sqlalchemy.orm import Session

from civicloop import cache
from civicloop.errors import InvalidInput, NotFound
from civicloop.settings import get_settings
from civicloop.sla.calendar import WorkCalendar
from civicloop.sla.models import CalendarDay

CSV_COLUMNS = ("date", "is_workday", "name")
_TRUE = {"1", "true", "yes", "y", "workday", "班", "上班"}
_FALSE = {"0", "false", "no", "n", "holiday", "休", "休息"}
_NAME_MAX = CalendarDay.__table__.c.name.type.length

# (the rows it was built from, office hours) -> calendar. The key is the whole table (a few
# dozen rows a year), not a fingerprint: a flipped day leaves count and max(day) unchanged.
# Keeping the calendar keeps its per-day cache warm.
_cached: tuple[tuple, WorkCalendar] | None = None
_DAYS = "calendar_days"


def _read_days(session: Session) -> tuple:
    return tuple((d, w) for d, w in session.execute(
        select(CalendarDay.day, CalendarDay.is_workday).order_by(CalendarDay.day)))


def load_calendar(session: Session) -> WorkCalendar:
    """The calendar as the table says (a process-wide snapshot, see civicloop/cache.py: every
    case action asks for it); rebuilt only when the table or office hours changed."""
    global _cached
    rows = cache.snapshot(session, _DAYS, _read_days)
    key = (rows, get_settings().office_hours)
    if _cached is None or _cached[0] != key:
        _cached = (key, WorkCalendar(dict(rows), key[1]))
    return _cached[1]


def year_status(session: Session, year: int) -> str:
    """'package', 'overrides' or 'unknown': see WorkCalendar.year_status."""
    return load_calendar(session).year_status(year)


def set_day(session: Session, day: dt.date, is_workday: bool, name: str | None = None) -> CalendarDay:
    """Mark one day as workday or holiday; replaces an earlier override of that day."""
    name = _check_name(name, "name")
    row = session.get(CalendarDay, day)
    if row is None:
        row = CalendarDay(day=day)
        session.add(row)
    row.is_workday = is_workday
    row.name = name
    session.flush()
    cache.changed(session, _DAYS)
    return row


def unset_day(session: Session, day: dt.date) -> None:
    """Drop an override: the day follows the official calendar again."""
    row = session.get(CalendarDay, day)
    if row is None:
        raise NotFound("date", f"{day.isoformat()}: no override for this day")
    session.delete(row)
    session.flush()
    cache.changed(session, _DAYS)


def list_days(session: Session, year: int | None = None) -> list[CalendarDay]:
    query = select(CalendarDay).order_by(CalendarDay.day)
    if year is not None:
        query = query.where(extract("year", CalendarDay.day) == year)
    return list(session.scalars(query))


def import_days(session: Session, csv_text: str) -> int:
    """Load overrides from CSV (header date,is_workday,name). Every row is checked before
    anything is written; one bad row rejects the file with every fault named by line."""
    reader = csv.reader(io.StringIO(csv_text.lstrip("\ufeff")))  # Excel writes a BOM
    header = [h.strip() for h in next(reader, [])]
    if tuple(header) != CSV_COLUMNS:
        raise InvalidInput("csv", f"line 1: expected the header {','.join(CSV_COLUMNS)}, got {','.join(header) or 'nothing'}")
    days: dict[dt.date, tuple[bool, str | None]] = {}
    faults: list[str] = []
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) not in (2, 3):
            faults.append(f"line {line}: expected 3 columns ({','.join(CSV_COLUMNS)}), got {len(row)}")
            continue
        raw_day, raw_flag, raw_name = (cell.strip() for cell in (row + [""])[:3])
        row_faults = []
        try:
            day = dt.date.fromisoformat(raw_day)
            if day in days:
                row_faults.append(f"line {line}, date: {raw_day} appears twice")
        except ValueError:
            row_faults.append(f"line {line}, date: {raw_day!r} is not a date like 2027-01-01")
        flag = raw_flag.lower()
        if flag not in _TRUE | _FALSE:
            row_faults.append(f"line {line}, is_workday: {raw_flag!r} is not one of workday/holiday, 1/0, true/false, 班/休")
        try:
            name = _check_name(raw_name, f"line {line}, name")
        except InvalidInput as exc:
            row_faults.append(str(exc))
        if row_faults:
            faults += row_faults
        else:
            days[day] = (flag in _TRUE, name)
    if faults:
        raise InvalidInput("csv", "; ".join(faults), faults=faults)
    if not days:
        raise InvalidInput("csv", "no rows after the header")
    for day, (is_workday, name) in days.items():
        set_day(session, day, is_workday, name)
    return len(days)


def _check_name(name: str | None, field: str) -> str | None:
    name = (name or "").strip() or None
    if name is not None and len(name) > _NAME_MAX:
        raise InvalidInput(field, f"longer than {_NAME_MAX} characters")
    return name
