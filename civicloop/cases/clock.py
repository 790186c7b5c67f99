"""A case's clock: the current step's deadline, when it turns yellow, what happens while
suspended or extended, and when the sweep should look at it next.

Each step (dispatch, handling, verification) runs against a limit in hours (`step_hours`,
approved extensions included), counted in the category's basis (working or natural
time) on the official calendar. Yellow comes at the category's share of the limit, red at
the deadline; an overdue case climbs the escalation ladder (四级五调) one level per further
full limit that passes."""
from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from civicloop.cases.lifecycle import ESCALATION_LEVELS
from civicloop.sla.deadlines import Limits, colour

TOP_LEVEL = len(ESCALATION_LEVELS) - 1


def limits_for(session: Session, category_id: int | None) -> Limits:
    from civicloop.categories.service import effective_limits

    return effective_limits(session, category_id)


def calendar(session: Session):
    from civicloop.sla.service import load_calendar

    return load_calendar(session)


def _yellow_ratio(session: Session, case) -> float:
    return limits_for(session, case.category_id).yellow_ratio


def _running(cal, now: dt.datetime, basis: str, step_hours: float, remaining: float, ratio: float) -> dict:
    """The clock fields for a step with `remaining` of `step_hours` left, counted from `now`."""
    deadline = cal.add(now, remaining, basis) if remaining > 0 else now
    to_yellow = remaining - (1 - ratio) * step_hours
    yellow_at = cal.add(now, to_yellow, basis) if to_yellow > 0 else now
    warning = colour(now, deadline, yellow_at)
    return {"step_hours": step_hours, "remaining_hours": None, "deadline": deadline, "yellow_at": yellow_at,
            "warning": warning, "next_check_at": yellow_at if warning == "green" else deadline}


def start_step(session: Session, case, now: dt.datetime, hours: float, *, handling: bool = False) -> dict:
    """A new step begins now with a full limit of `hours`."""
    fields = _running(calendar(session), now, case.time_basis, hours, hours, _yellow_ratio(session, case))
    fields["handle_deadline"] = fields["deadline"] if handling else case.handle_deadline
    return fields


def stopped() -> dict:
    """No clock runs (closed, rejected, merged)."""
    return {"deadline": None, "yellow_at": None, "next_check_at": None, "remaining_hours": None}


def suspend(session: Session, case, now: dt.datetime) -> dict:
    """挂起 stops the clock; what is left of the step is kept (negative when already overdue)."""
    left = calendar(session).hours_between(now, case.deadline, case.time_basis)
    return {**stopped(), "remaining_hours": left}


def resume(session: Session, case, now: dt.datetime) -> dict:
    fields = _running(calendar(session), now, case.time_basis, case.step_hours, case.remaining_hours,
                      _yellow_ratio(session, case))
    if case.remaining_hours <= 0:
        fields["warning"] = "red"
    return {**fields, "handle_deadline": fields["deadline"]}


def extend(session: Session, case, now: dt.datetime, hours: float) -> dict:
    """An approved extension moves the deadline by `hours` of the case's basis."""
    step = case.step_hours + hours
    if case.deadline is None:  # suspended: the extension waits in what is left
        return {"step_hours": step, "remaining_hours": case.remaining_hours + hours}
    cal = calendar(session)
    left = cal.hours_between(now, case.deadline, case.time_basis) + hours
    fields = _running(cal, now, case.time_basis, step, left, _yellow_ratio(session, case))
    return {**fields, "handle_deadline": fields["deadline"]}


def sweep_fields(cal, case, now: dt.datetime) -> dict:
    """What the sweep changes on a case whose next check has come: colour, overdue,
    escalation level, and when to look again. Empty when nothing changes but the check."""
    warning = colour(now, case.deadline, case.yellow_at)
    changes: dict = {}
    if warning != case.warning:
        changes["warning"] = warning
    if warning != "red":
        changes["next_check_at"] = case.yellow_at if warning == "green" else case.deadline
        return changes
    if case.deadline == case.handle_deadline and not case.overdue:
        changes["overdue"] = True
    late = cal.hours_between(case.deadline, now, case.time_basis)
    due_level = min(TOP_LEVEL, 1 + int(late // case.step_hours))
    if due_level > case.escalation_level:
        changes["escalation_level"] = due_level
    level = max(due_level, case.escalation_level)
    changes["next_check_at"] = (cal.add(case.deadline, level * case.step_hours, case.time_basis)
                                if level < TOP_LEVEL else None)
    return changes
