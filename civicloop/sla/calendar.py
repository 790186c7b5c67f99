"""Working time on the official Chinese calendar: which days are workdays, and how office
hours add up. Pure: the admin overrides and the office hours are passed in.

Which days are workdays, in order:
1. an admin override (CalendarDay row) for that day wins;
2. else the `chinesecalendar` package, which knows the State Council's holidays and the
   调休 make-up workdays for the years it ships;
3. else, for a year the package does not know, the year counts as known once an admin has
   marked any day of it: the unmarked days follow the plain Monday–Friday rule, so admins
   enter only the holidays and the 调休 days the State Council publishes;
4. else CalendarUnknown: a holiday is never silently counted as a workday.

Datetimes are naive local times of the district (Asia/Shanghai).
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping

import chinese_calendar

from civicloop.errors import CalendarUnknown, InvalidInput
from civicloop.settings import get_settings

BASES = ("working", "natural")
# Float slack in minutes (under a millisecond): a limit that uses a period to the last
# minute ends at that period's end rather than spilling into the next by rounding noise.
_EPS = 1e-5
_DAY = 24 * 60

# The same range the package itself accepts (it validates against its holiday table).
PACKAGE_YEARS = range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)

Periods = str | Iterable[tuple[dt.time, dt.time]]


def parse_office_hours(value: Periods) -> tuple[tuple[float, float], ...]:
    """Office periods as (start, end) minutes of the day, sorted and not overlapping."""
    if isinstance(value, str):
        pairs = []
        for part in value.split(","):
            try:
                a, b = (dt.time.fromisoformat(x.strip()) for x in part.split("-"))
            except ValueError:
                raise InvalidInput("office_hours", f"{part.strip()!r}: expected HH:MM-HH:MM, e.g. 09:00-12:00,13:30-17:30") from None
            pairs.append((a, b))
    else:
        pairs = list(value)
    periods = sorted((_minutes(a), _minutes(b)) for a, b in pairs)
    if not periods:
        raise InvalidInput("office_hours", "at least one office period is needed")
    for (s, e), nxt in zip(periods, periods[1:] + [(_DAY, _DAY)]):
        if not s < e <= nxt[0]:
            raise InvalidInput("office_hours", "each period must end after it starts and before the next one starts")
    return tuple(periods)


def _minutes(t: dt.time | dt.datetime) -> float:
    return t.hour * 60 + t.minute + (t.second + t.microsecond / 1e6) / 60


def _check_basis(basis: str) -> None:
    if basis not in BASES:
        raise InvalidInput("basis", f"{basis!r}: expected 'working' or 'natural'")


def _naive(value: dt.datetime, field: str) -> None:
    if value.tzinfo is not None:
        raise InvalidInput(field, "expected a naive local time (Asia/Shanghai), got one with a time zone")


class WorkCalendar:
    """Satisfies civicloop.sla.deadlines.Calendar."""

    def __init__(self, overrides: Mapping[dt.date, bool] | None = None, office_hours: Periods | None = None):
        self._overrides = {d.toordinal(): bool(w) for d, w in (overrides or {}).items()}
        self._override_years = {d.year for d in (overrides or {})}
        self.periods = parse_office_hours(get_settings().office_hours if office_hours is None else office_hours)
        self.day_minutes = sum(e - s for s, e in self.periods)
        self._workday: dict[int, bool] = {}  # by date ordinal: the hot loops look up ints

    # --- days -------------------------------------------------------------------------

    def year_status(self, year: int) -> str:
        """'package' (the package knows it; overrides may adjust), 'overrides', or 'unknown'."""
        if year in PACKAGE_YEARS:
            return "package"
        return "overrides" if year in self._override_years else "unknown"

    def is_workday(self, day: dt.date) -> bool:
        return self._is_workday(day.toordinal())

    def _is_workday(self, ordinal: int) -> bool:
        known = self._workday.get(ordinal)
        if known is not None:
            return known
        known = self._overrides.get(ordinal)
        if known is None:
            day = dt.date.fromordinal(ordinal)
            status = self.year_status(day.year)
            if status == "package":
                known = chinese_calendar.is_workday(day)
            elif status == "overrides":
                known = day.weekday() < 5
            else:
                raise CalendarUnknown(
                    "date",
                    f"{day.isoformat()}: the official calendar package does not know {day.year}; add the year's "
                    "holidays with `civicloop calendar import` or `civicloop calendar set`",
                )
        self._workday[ordinal] = known
        return known

    # --- time -------------------------------------------------------------------------

    def add(self, start: dt.datetime, hours: float, basis: str) -> dt.datetime:
        """The instant `hours` after `start`. Working time counts office minutes on workdays
        only; a start outside office hours counts from the next office period, and the result
        lies in an office period (a limit used up exactly at 12:00 ends at 12:00)."""
        _check_basis(basis)
        _naive(start, "start")
        if not (math.isfinite(hours) and hours >= 0):
            raise InvalidInput("hours", f"{hours!r}: expected a finite number of hours, 0 or more")
        if basis == "natural":
            return start + dt.timedelta(hours=hours)
        return self._add_working(start, hours * 60)

    def _add_working(self, start: dt.datetime, left: float) -> dt.datetime:
        ordinal = start.toordinal()
        now = _minutes(start)
        if self._is_workday(ordinal):
            for s, e in self.periods:
                if now >= e:
                    continue
                s = max(s, now)
                if left <= e - s + _EPS:
                    return self._at(ordinal, min(s + left, e))
                left -= e - s
        full = self.day_minutes
        while True:
            ordinal += 1
            if not self._is_workday(ordinal):
                continue
            if left > full + _EPS:
                left -= full
                continue
            for s, e in self.periods:
                if left <= e - s + _EPS:
                    return self._at(ordinal, min(s + left, e))
                left -= e - s

    @staticmethod
    def _at(ordinal: int, minute: float) -> dt.datetime:
        day = dt.date.fromordinal(ordinal)
        return dt.datetime(day.year, day.month, day.day) + dt.timedelta(minutes=minute)

    def hours_between(self, start: dt.datetime, end: dt.datetime, basis: str) -> float:
        """Hours elapsed from `start` to `end` in `basis`; negative when end < start."""
        _check_basis(basis)
        _naive(start, "start")
        _naive(end, "end")
        if basis == "natural":
            return (end - start).total_seconds() / 3600
        if end < start:
            return -self._working_minutes(end, start) / 60
        return self._working_minutes(start, end) / 60

    def _working_minutes(self, start: dt.datetime, end: dt.datetime) -> float:
        first, last = start.toordinal(), end.toordinal()
        if first == last:
            return self._office_minutes(first, _minutes(start), _minutes(end))
        total = self._office_minutes(first, _minutes(start), _DAY) + self._office_minutes(last, 0, _minutes(end))
        full = self.day_minutes
        for ordinal in range(first + 1, last):
            if self._is_workday(ordinal):
                total += full
        return total

    def _office_minutes(self, ordinal: int, a: float, b: float) -> float:
        """Office minutes of one day between minute `a` and minute `b`."""
        if not self._is_workday(ordinal):
            return 0.0
        return sum(max(0.0, min(e, b) - max(s, a)) for s, e in self.periods)
