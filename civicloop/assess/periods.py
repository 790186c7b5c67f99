"""Assessment periods: a span of whole days, and the month, ISO week or quarter 讲评 speaks of.

A period is [start, end] in local dates, both included; in SQL it is the half-open
[start 00:00, end + 1 day 00:00), so a case at 23:59:59 of the last day is in it."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from civicloop.errors import InvalidInput

MAX_DAYS = 366 * 20  # beyond this a request is a typo, not an assessment
KINDS = ("month", "week", "quarter", "year", "span")


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date
    kind: str = "span"

    def __post_init__(self):
        if self.end < self.start:
            raise InvalidInput("to", f"{self.end} is before from {self.start}: an empty period")
        if (self.end - self.start).days > MAX_DAYS:
            raise InvalidInput("to", f"a period of at most {MAX_DAYS} days, got {(self.end - self.start).days + 1}")

    @property
    def begins(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time())

    @property
    def ends(self) -> dt.datetime:
        """The first moment after the period."""
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time())

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.start.year}年{self.start.month}月"
        if self.kind == "quarter":
            return f"{self.start.year}年第{(self.start.month - 1) // 3 + 1}季度"
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}年第{week}周"
        if self.kind == "year":
            return f"{self.start.year}年"
        return f"{self.start:%Y-%m-%d}至{self.end:%Y-%m-%d}"

    def previous(self) -> Period:
        """The period before, of the same kind (a span: as many days, just before)."""
        if self.kind == "month":
            last = self.start - dt.timedelta(days=1)
            return month(last.year, last.month)
        if self.kind == "quarter":
            last = self.start - dt.timedelta(days=1)
            return quarter(last.year, (last.month - 1) // 3 + 1)
        if self.kind == "year":
            return year(self.start.year - 1)
        days = (self.end - self.start).days + 1
        return Period(self.start - dt.timedelta(days=days), self.start - dt.timedelta(days=1), self.kind)


def month(y: int, m: int) -> Period:
    following = dt.date(y + m // 12, m % 12 + 1, 1)
    return Period(dt.date(y, m, 1), following - dt.timedelta(days=1), "month")


def quarter(y: int, q: int) -> Period:
    start = dt.date(y, 3 * (q - 1) + 1, 1)
    return Period(start, month(y, 3 * q).end, "quarter")


def year(y: int) -> Period:
    return Period(dt.date(y, 1, 1), dt.date(y, 12, 31), "year")


def week(y: int, w: int) -> Period:
    start = dt.date.fromisocalendar(y, w, 1)
    return Period(start, start + dt.timedelta(days=6), "week")


def parse_date(text: str | dt.date, field: str) -> dt.date:
    if isinstance(text, dt.date):
        return text
    try:
        return dt.date.fromisoformat((text or "").strip())
    except ValueError:
        raise InvalidInput(field, f"{text!r} is not a date: write YYYY-MM-DD, e.g. 2026-11-01") from None


def span(start: str | dt.date, end: str | dt.date) -> Period:
    return Period(parse_date(start, "from"), parse_date(end, "to"))


PATTERNS = (
    (re.compile(r"(\d{4})-(\d{1,2})"), lambda y, m: month(y, m), (1, 12)),
    (re.compile(r"(\d{4})-?Q([1-4])", re.IGNORECASE), lambda y, q: quarter(y, q), (1, 4)),
    (re.compile(r"(\d{4})-?W(\d{1,2})", re.IGNORECASE), lambda y, w: week(y, w), (1, 53)),
)


def parse_period(text: str, field: str = "period") -> Period:
    """2026-11 (a month), 2026-Q4 (a quarter), 2026-W47 (an ISO week) or 2026 (a year)."""
    value = (text or "").strip()
    if re.fullmatch(r"\d{4}", value) and 2000 <= int(value) <= 2100:
        return year(int(value))
    for pattern, make, (low, high) in PATTERNS:
        found = pattern.fullmatch(value)
        if found:
            y, n = int(found.group(1)), int(found.group(2))
            if not (2000 <= y <= 2100 and low <= n <= high):
                break
            try:
                return make(y, n)
            except ValueError:
                break
    raise InvalidInput(field, f"{text!r} is not a period: a month 2026-11, a quarter 2026-Q4, "
                              f"an ISO week 2026-W47 or a year 2026")
