"""Deadlines and warning colours, computed from a calendar. Pure: time is passed in."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol


class Calendar(Protocol):
    def add(self, start: dt.datetime, hours: float, basis: str) -> dt.datetime: ...
    def hours_between(self, start: dt.datetime, end: dt.datetime, basis: str) -> float: ...


@dataclass(frozen=True)
class Limits:
    """A category's time limits (hours), counted in `basis`: working or natural time."""
    dispatch_hours: float
    handle_hours: float
    basis: str = "working"
    yellow_ratio: float = 0.8
    priority: str = "normal"


@dataclass(frozen=True)
class Step:
    """The clock of the current step: when it turns yellow and when it is overdue."""
    deadline: dt.datetime
    yellow_at: dt.datetime


def plan(cal: Calendar, start: dt.datetime, hours: float, basis: str, yellow_ratio: float) -> Step:
    return Step(deadline=cal.add(start, hours, basis), yellow_at=cal.add(start, hours * yellow_ratio, basis))


def colour(now: dt.datetime, step_deadline: dt.datetime | None, yellow_at: dt.datetime | None) -> str:
    if step_deadline is None:
        return "green"
    if now >= step_deadline:
        return "red"
    if yellow_at is not None and now >= yellow_at:
        return "yellow"
    return "green"
