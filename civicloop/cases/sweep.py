"""The sweep: turns cases yellow and red as their time runs out and escalates the overdue.

It reads only the cases whose `next_check_at` has passed (an index range scan), takes
them in batches with FOR UPDATE SKIP LOCKED on PostgreSQL, so any number of sweepers can
run at once without ever acting twice on one case, and writes each change as an event
like every other action. Running it again at the same instant finds nothing to do."""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Engine

from civicloop.assess import rollup as assessment
from civicloop.cases.clock import calendar, sweep_fields
from civicloop.cases.lifecycle import ESCALATION_LABELS, Role
from civicloop.cases.models import Case, CaseEvent
from civicloop.db import transaction
from civicloop.errors import CalendarUnknown

_COLUMNS = (Case.id, Case.version, Case.state, Case.warning, Case.deadline, Case.yellow_at,
            Case.handle_deadline, Case.step_hours, Case.escalation_level, Case.overdue, Case.time_basis)
_UPDATE = (update(Case.__table__)
           .where(Case.__table__.c.id == bindparam("_id"), Case.__table__.c.version == bindparam("_version"))
           .values(version=bindparam("_new_version"), updated_at=bindparam("_now"),
                   warning=bindparam("_warning"), overdue=bindparam("_overdue"),
                   escalation_level=bindparam("_level"), next_check_at=bindparam("_next")))


@dataclass
class SweepResult:
    checked: int = 0
    calendar_unknown: int = 0  # cases whose next threshold falls in a year the calendar lacks
    yellow: int = 0
    red: int = 0
    escalated: int = 0
    batches: int = 0
    seconds: float = 0.0


def sweep(engine: Engine, *, now: dt.datetime, batch_size: int = 5000, progress=None) -> SweepResult:
    result = SweepResult()
    started = time.perf_counter()
    stuck: set[int] = set()  # cases the calendar cannot count for: reported, not retried this run
    while True:
        with transaction(engine) as session:
            query = (select(*_COLUMNS).where(Case.next_check_at <= now)
                     .order_by(Case.next_check_at).limit(batch_size))
            if stuck:
                query = query.where(Case.id.notin_(stuck))
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = session.execute(query).all()
            if not rows:
                break
            cal = calendar(session)
            updates, events = [], []
            for row in rows:
                try:
                    changes = sweep_fields(cal, row, now)
                except CalendarUnknown:
                    stuck.add(row.id)
                    continue
                new_version = row.version + 1
                level = changes.get("escalation_level", row.escalation_level)
                updates.append({"_id": row.id, "_version": row.version, "_new_version": new_version,
                                "_now": now, "_warning": changes.get("warning", row.warning),
                                "_overdue": changes.get("overdue", row.overdue), "_level": level,
                                "_next": changes.get("next_check_at")})
                changes.update(version=new_version, updated_at=now)
                events.append({"case_id": row.id, "seq": new_version,
                               "action": "escalate" if "escalation_level" in changes else "warn",
                               "at": now, "actor_id": None, "actor_role": Role.SYSTEM.value,
                               "department_id": None, "from_state": row.state, "to_state": row.state,
                               "note": _note(row, changes),
                               "changes": {k: v.isoformat() if isinstance(v, dt.datetime) else v
                                           for k, v in changes.items()}})
                result.yellow += changes.get("warning") == "yellow"
                result.red += changes.get("warning") == "red"
                result.escalated += "escalation_level" in changes
            if updates:
                connection = session.connection()
                connection.execute(_UPDATE, updates)
                connection.execute(insert(CaseEvent.__table__), events)
                assessment.mark(session, [u["_id"] for u in updates])
            result.checked += len(rows)
            result.batches += 1
        if progress:
            progress(result)
        if len(rows) < batch_size:
            break
    result.calendar_unknown = len(stuck)
    result.seconds = time.perf_counter() - started
    return result


def _note(row, changes: dict) -> str:
    parts = []
    if changes.get("warning") == "yellow":
        parts.append("黄灯预警: 时限将到")
    if changes.get("warning") == "red":
        parts.append("红灯: 已超期")
    if "escalation_level" in changes:
        parts.append(f"超期升级至{ESCALATION_LABELS[changes['escalation_level']]}")
    return "; ".join(parts) or "时限检查"
