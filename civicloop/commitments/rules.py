"""The status of a tracked item as of a date, who may do what to one, and the dates a
milestone may take.

Plain Python on purpose, like cases/lifecycle.py: no database, no web, no clock. The
service loads an item into an `ItemView` and asks `derive`; docs/commitments.md holds the
same rules as a table (and tests/commitments/test_rules.py pins them).
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

from civicloop.cases.lifecycle import Actor, Role
from civicloop.errors import InvalidInput


class Status(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    LATE = "late"
    DONE = "done"
    DROPPED = "dropped"


STATUS_LABELS = {Status.ON_TRACK: "正常推进", Status.AT_RISK: "存在风险", Status.LATE: "滞后",
                 Status.DONE: "已完成", Status.DROPPED: "已终止"}
KINDS = {"target": "主要预期目标", "commitment": "民生实事"}

# A milestone not yet met this close to its due date puts the item at risk (临期未完成).
RISK_DAYS = 10
# No progress reported for this long (counted from the later of the item's creation and
# its last report) puts the item at risk (长期未报进展).
SILENCE_DAYS = 45


@dataclass(frozen=True)
class MilestoneView:
    id: int
    due: dt.date
    what: str = ""
    target_quantity: float | None = None


@dataclass(frozen=True)
class ProgressView:
    reported_on: dt.date
    quantity: float | None = None
    milestone_id: int | None = None   # the milestone this report says is complete
    completed: bool = False           # the whole item is done


@dataclass(frozen=True)
class SupervisionView:
    created_on: dt.date
    due: dt.date


@dataclass(frozen=True)
class ItemView:
    """What the rules need to know about an item."""
    created_on: dt.date
    due: dt.date
    quantity: float | None = None
    # A commitment's quantity is delivered by adding up (30 个 built); a target's (增长12%) is
    # a rate or level the year is judged on at its end, so reaching it early is not done.
    cumulative: bool = True
    dropped_on: dt.date | None = None
    drop_reason: str | None = None
    milestones: tuple[MilestoneView, ...] = ()
    progress: tuple[ProgressView, ...] = ()
    supervisions: tuple[SupervisionView, ...] = ()


@dataclass(frozen=True)
class Verdict:
    status: Status
    reason: str
    achieved: float | None = None   # the latest cumulative quantity reported by the date

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]


def _fmt(value: float) -> str:
    return f"{value:g}"


def milestone_met(milestone: MilestoneView, reports: tuple[ProgressView, ...]) -> bool:
    """Met when a report (among those given: the ones up to the date asked about) says so,
    or when the quantity reported reaches the milestone's target quantity."""
    for report in reports:
        if report.milestone_id == milestone.id:
            return True
        if (milestone.target_quantity is not None and report.quantity is not None
                and report.quantity >= milestone.target_quantity):
            return True
    return False


def derive(item: ItemView, as_of: dt.date) -> Verdict:
    """The item's status as of the end of `as_of`: the first rule that applies wins.

    1. dropped on or before the date                          → dropped (with its reason)
    2. a report says the item is complete, or (a commitment)
       the quantity reported reaches the promised quantity    → done
    3. the item's own due date has passed                     → late
    4. a milestone's due date has passed and it is not met    → late
    5. a milestone is due within RISK_DAYS and not met        → at risk
    6. a 督办 is past its due date with no report since it     → at risk
    7. nothing reported for SILENCE_DAYS                      → at risk
    8. otherwise                                              → on track
    Only reports dated on or before `as_of` count."""
    if item.dropped_on is not None and item.dropped_on <= as_of:
        return Verdict(Status.DROPPED, item.drop_reason or "已终止")
    reports = tuple(sorted((p for p in item.progress if p.reported_on <= as_of), key=lambda p: p.reported_on))
    achieved = next((p.quantity for p in reversed(reports) if p.quantity is not None), None)
    finished = next((p for p in reports if p.completed), None)
    if finished is not None:
        return Verdict(Status.DONE, f"{finished.reported_on} 报告已完成", achieved)
    if item.cumulative and item.quantity is not None and achieved is not None and achieved >= item.quantity:
        return Verdict(Status.DONE, f"已完成 {_fmt(achieved)}，达到承诺的 {_fmt(item.quantity)}", achieved)
    if as_of > item.due:
        return Verdict(Status.LATE, f"已过完成期限 {item.due}，尚未完成", achieved)
    pending = sorted((m for m in item.milestones if not milestone_met(m, reports)), key=lambda m: m.due)
    overdue = [m for m in pending if m.due < as_of]
    if overdue:
        first = overdue[0]
        return Verdict(Status.LATE, f"节点“{first.what}”应于 {first.due} 完成，尚未完成"
                       + (f"（目标 {_fmt(first.target_quantity)}，已完成 {_fmt(achieved or 0)}）"
                          if first.target_quantity is not None else ""), achieved)
    if pending and (pending[0].due - as_of).days <= RISK_DAYS:
        first = pending[0]
        return Verdict(Status.AT_RISK, f"节点“{first.what}”将于 {first.due} 到期，尚未完成", achieved)
    for order in sorted(item.supervisions, key=lambda s: s.due):
        answered = any(p.reported_on >= order.created_on for p in reports)
        if order.created_on <= as_of and order.due < as_of and not answered:
            return Verdict(Status.AT_RISK, f"督办要求 {order.due} 前报告进展，未报告", achieved)
    last = reports[-1].reported_on if reports else item.created_on
    if as_of >= item.created_on and (as_of - last).days > SILENCE_DAYS:
        return Verdict(Status.AT_RISK, f"已 {(as_of - last).days} 天未报告进展", achieved)
    return Verdict(Status.ON_TRACK, "按节点推进", achieved)


# ------------------------------------------------------------------ who may do what

def may_report_progress(actor: Actor, *, lead_department_id: int, co_department_ids: frozenset[int]) -> str | None:
    """Why not, or None. Progress is reported by the handlers of the lead department and
    of the co-departments (配合单位) — no one else, whatever their role."""
    if actor.role is not Role.HANDLER:
        return f"role: a {actor.role.value} may not report progress; the lead or a co-department's handler does"
    if actor.department_id is None or (actor.department_id != lead_department_id
                                       and actor.department_id not in co_department_ids):
        return "actor: only the lead department's and the co-departments' handlers may report progress"
    return None


# ------------------------------------------------------------------ dates

_QUARTER = re.compile(r"(?:(\d{4})-?)?Q([1-4])", re.IGNORECASE)
_MONTH = re.compile(r"(\d{4})-(\d{1,2})")


def parse_date(field: str, text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise InvalidInput(field, f"a date like 2026-06-30 is required, got {text!r}") from None


def period_end(field: str, text: str, year: int) -> dt.date:
    """A due date from a date (2026-06-30), a month (2026-06: its last day) or a quarter
    (Q2 or 2026-Q2: its last day) of `year`."""
    text = str(text).strip()
    if quarter := _QUARTER.fullmatch(text):
        in_year = int(quarter.group(1) or year)
        month = int(quarter.group(2)) * 3
        return dt.date(in_year, month, calendar.monthrange(in_year, month)[1])
    if month := _MONTH.fullmatch(text):
        in_year, number = int(month.group(1)), int(month.group(2))
        if not 1 <= number <= 12:
            raise InvalidInput(field, f"{text!r}: there is no month {number}")
        return dt.date(in_year, number, calendar.monthrange(in_year, number)[1])
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(field, f"a date (2026-06-30), month (2026-06) or quarter (Q2) is required, "
                                  f"got {text!r}") from None


def check_in_year(field: str, day: dt.date, year: int, *, latest: dt.date | None = None) -> dt.date:
    """A milestone or due date lies in the item's year (and not after `latest`, the item's due date)."""
    if day.year != year:
        raise InvalidInput(field, f"{day} is outside the item's year {year} ({year}-01-01 to {year}-12-31)")
    if latest is not None and day > latest:
        raise InvalidInput(field, f"{day} is after the item's own due date {latest}")
    return day
