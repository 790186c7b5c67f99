"""Years of historical cases for the scale benchmark and load tests
(`civicloop assess generate`).

It writes case rows and, beside them, the **events the figures read** — not a case's
whole history, which would be ten events and more a case for figures that read a few:

- `report` at intake, carrying the first step's deadline (立案 and 派遣 are on time
  before it: 2 hours);
- every `dispatch` (the first one decides 按时派遣);
- `return` (退回申请): 5 % of the dispatched cases, 3 points of them approved — sent back
  to the dispatcher and dispatched again (误派, the case's return_count);
- `approve_extension` (批准延期): 6 % of the cases handled, one in six of them twice;
- the `feedback` that the verification closed on, carrying its deadline (48 hours);
- the `verify_pass` that closed the case, by the grid's worker where the cell has one
  (核查), else by the dispatcher.

The outcomes that live in the case row — state, the lifecycle's times, overdue, rework
and return counts, merges, ratings — are drawn with the shares of a district's year, so
every indicator of docs/indicators.md is non-zero on generated data. The steps not
written (立案, 签收, 回访, …) still count in the events' `seq`, which is the case's version
after each, as the service numbers them; a case is therefore not rebuildable from its
events (cases/service.py: rebuild), which the history does not need.

A district without grid workers gets one per cell first (一格一员; patrols and 核查 need
them). Rows go in bulk: COPY on PostgreSQL, executemany in transactions of `BATCH` cases
on SQLite; then the fast path is rebuilt from them with the live definition
(rollup.rebuild), which the live recount agrees with."""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy import func, select, text, update
from sqlalchemy.engine import Engine

from civicloop.assess import rollup
from civicloop.cases.models import Case, CaseEvent
from civicloop.categories.models import Category
from civicloop.db import transaction
from civicloop.departments.models import Department
from civicloop.errors import InvalidInput, NotFound
from civicloop.regions.models import GridCell
from civicloop.users.models import User

BATCH = 50_000
MAX_CASES = 50_000_000
# How cases come in (12345 practice: the hotline carries most, grid patrols find a fifth).
CHANNEL_WEIGHTS = {"hotline": 0.52, "patrol": 0.2, "app": 0.12, "web": 0.08, "petition": 0.04,
                   "supervision": 0.02, "instruction": 0.02}
HOUR = dt.timedelta(hours=1)
FIRST_STEP = 2 * HOUR    # 立案 and 派遣 are due this long after intake
VERIFY_STEP = 48 * HOUR  # 核查 is due this long after the feedback
COLUMNS = ("id", "version", "channel", "state", "title", "body", "created_by_id", "district_code", "street_code",
           "community_code", "grid_code", "category_id", "priority", "lead_department_id", "reported_at",
           "registered_at", "dispatched_at", "accepted_at", "fed_back_at", "closed_at", "updated_at", "time_basis",
           "extension_hours", "warning", "escalation_level", "overdue", "return_count", "rework_count",
           "supervision_count", "rating", "rated_at", "assists_pending", "merged_into_id")
EVENT_COLUMNS = ("id", "case_id", "seq", "action", "at", "actor_id", "actor_role", "department_id", "from_state",
                 "to_state", "note", "changes")

# What every generated case starts as, before its story (Cases._story) moves it on.
BLANK = {"version": 1, "state": "reported", "title": "历史案件", "body": "生成的历史案件", "priority": "normal",
         "lead_department_id": None, "registered_at": None, "dispatched_at": None, "accepted_at": None,
         "fed_back_at": None, "closed_at": None, "time_basis": "working", "extension_hours": 0.0, "warning": "green",
         "escalation_level": 0, "overdue": False, "return_count": 0, "rework_count": 0, "supervision_count": 0,
         "rating": None, "rated_at": None, "assists_pending": 0, "merged_into_id": None}
# The lifecycle's steps in order: the case's column, its mean hours after the step before, the state after.
STEPS = (("registered_at", 0.3, "registered"), ("dispatched_at", 0.6, "dispatched"), ("accepted_at", 3, "handling"),
         ("fed_back_at", 40, "verifying"), ("closed_at", 20, "closed"))


@dataclass
class Reference:
    cells: list[tuple[str, str, int | None]]  # (grid code, community code, the cell's grid worker)
    departments: list[int]
    categories: list[int]
    grid_workers: list[int]
    dispatcher: int | None


def _staff(session, district: str) -> None:
    """One grid worker per cell of a district that has none (一格一员)."""
    if session.scalar(select(func.count()).select_from(GridCell)
                      .where(GridCell.district_code == district, GridCell.worker_id.is_not(None))):
        return
    codes = list(session.scalars(select(GridCell.code).where(GridCell.district_code == district)
                                 .order_by(GridCell.code)))
    workers = [User(username=f"grid-{code}", name=f"网格员{code[-4:]}", role="grid_worker") for code in codes]
    session.add_all(workers)
    session.flush()
    session.execute(update(GridCell), [{"code": code, "worker_id": w.id} for code, w in zip(codes, workers)])


def reference(engine: Engine, district: str) -> Reference:
    with transaction(engine) as s:
        cells = [(r.code, r.community_code, r.worker_id) for r in s.execute(
            select(GridCell.code, GridCell.community_code, GridCell.worker_id)
            .where(GridCell.district_code == district).order_by(GridCell.code))]
        departments = list(s.scalars(select(Department.id).where(Department.district_code == district)
                                     .order_by(Department.id)))
        categories = list(s.scalars(select(Category.id).where(Category.level == 3).order_by(Category.code)))
        if not cells:
            raise NotFound("district",
                           f"district {district!r} has no grid cells: run `civicloop init {district}` first")
        if not departments or not categories:
            raise NotFound("district", f"district {district!r} needs departments and categories first")
        if not any(worker for _, _, worker in cells):
            _staff(s, district)
            cells = [(r.code, r.community_code, r.worker_id) for r in s.execute(
                select(GridCell.code, GridCell.community_code, GridCell.worker_id)
                .where(GridCell.district_code == district).order_by(GridCell.code))]
        workers = list(s.scalars(select(User.id).where(User.role == "grid_worker").order_by(User.id)))
        dispatcher = s.scalar(select(func.min(User.id)).where(User.role == "dispatcher"))
    return Reference(cells, departments, categories, workers, dispatcher)


def _zipf(n: int, rng: random.Random, s: float = 0.8) -> list[float]:
    """Uneven weights, shuffled: a few grids, departments and categories carry most cases."""
    weights = [1 / (rank + 1) ** s for rank in range(n)]
    rng.shuffle(weights)
    return weights


class Cases:
    """Rows of `cases` and `case_events`, drawn reproducibly."""

    def __init__(self, ref: Reference, district: str, start: dt.datetime, days: int, seed: int):
        self.ref, self.district, self.start, self.days = ref, district, start, days
        self.rng = rng = random.Random(seed)
        self.cell_weights = _zipf(len(ref.cells), rng)
        self.department_weights = _zipf(len(ref.departments), rng)
        self.category_weights = _zipf(len(ref.categories), rng)
        self.channels, self.channel_weights = list(CHANNEL_WEIGHTS), list(CHANNEL_WEIGHTS.values())

    def batch(self, first_id: int, n: int, end: dt.datetime, first_event: int) -> tuple[list[tuple], list[tuple]]:
        """n case rows from `first_id` on, and their events from id `first_event` on."""
        rng, ref = self.rng, self.ref
        cells = rng.choices(ref.cells, self.cell_weights, k=n)
        departments = rng.choices(ref.departments, self.department_weights, k=n)
        categories = rng.choices(ref.categories, self.category_weights, k=n)
        channels = rng.choices(self.channels, self.channel_weights, k=n)
        # Volume grows over the years (sqrt of a uniform leans late); hours follow office life.
        offsets = sorted(self.days * rng.random() ** 0.8 for _ in range(n))
        rows, events = [], []
        for i in range(n):
            case_id = first_id + i
            reported = self.start + dt.timedelta(days=int(offsets[i]), hours=7 + 14 * rng.random())
            grid, community, worker = cells[i]
            channel = channels[i]
            reporter = None
            if channel == "patrol" and ref.grid_workers:
                reporter = worker or rng.choice(ref.grid_workers)
            row = {**BLANK, "id": case_id, "channel": channel, "created_by_id": reporter,
                   "district_code": self.district, "street_code": community[:9], "community_code": community,
                   "grid_code": grid, "category_id": categories[i], "reported_at": reported, "updated_at": reported}
            story = self._story(row, departments[i], worker, end)
            rows.append(tuple(row[c] for c in COLUMNS))
            for seq, action, at, actor, role, from_state, to_state, deadline in story:
                changes = f'{{"deadline": "{deadline.isoformat()}"}}' if deadline else "{}"
                events.append((first_event + len(events), case_id, seq, action, at, actor, role, None, from_state,
                               to_state, None, changes))
        return rows, events

    def _story(self, row: dict, department: int, worker: int | None, end: dt.datetime) -> list[tuple]:
        """How far the case went and how well, by the shares of a district's year; returns
        the events the figures read: (seq, action, at, actor, role, from, to, deadline)."""
        rng, at, dispatcher = self.rng, row["reported_at"], self.ref.dispatcher
        reporter_role = "grid_worker" if row["created_by_id"] else "operator"
        events = [(1, "report", at, row["created_by_id"], reporter_role, None, "reported", at + FIRST_STEP)]
        draw = rng.random()
        if draw < 0.03 and row["id"] > 1:  # a duplicate, merged into an earlier case
            row.update(state="merged", merged_into_id=row["id"] - 1 - rng.randrange(min(50, row["id"] - 1)),
                       updated_at=at + HOUR, version=2)
            return events
        if draw < 0.07:
            row.update(state="rejected", updated_at=at + HOUR, version=2)
            return events
        version = 1
        returned = rng.random()  # < 0.03: the return approved (误派); < 0.05: refused
        row["rework_count"] = rework = int(rng.random() < 0.06)
        row["overdue"] = rng.random() < 0.08
        extensions = rng.choices((0, 1, 2), (0.94, 0.05, 0.01))[0]
        for column, mean_hours, state in STEPS:
            step_at = at + dt.timedelta(hours=rng.expovariate(1 / mean_hours))
            if column == "dispatched_at" and returned < 0.03:  # dispatched to the wrong department first
                asked = step_at + dt.timedelta(hours=rng.expovariate(1 / 2))
                again = asked + dt.timedelta(hours=rng.expovariate(1 / 1))
                if again >= end:
                    break
                events += [(version + 1, "dispatch", step_at, dispatcher, "dispatcher", "registered", "dispatched",
                            None),
                           (version + 2, "return", asked, None, "handler", "dispatched", "return_requested", None)]
                version, step_at, row["return_count"] = version + 3, again, 1  # + approve_return
            elif column == "accepted_at" and returned < 0.05:  # asked to return it, refused: handled after all
                asked = at + dt.timedelta(hours=rng.expovariate(1 / 2))
                step_at = asked + (step_at - at)
                if step_at >= end:
                    break
                events.append((version + 1, "return", asked, None, "handler", "dispatched", "return_requested", None))
                version += 2  # + refuse_return
            elif column == "fed_back_at":
                step_at += dt.timedelta(hours=24 * extensions)
            if step_at >= end:
                break
            if column == "fed_back_at":
                version += 2 * rework  # a feedback sent back at verification (返工) before this one
                for k in range(extensions):  # approved while handling, each after its request
                    events.append((version + 2 * k + 2, "approve_extension", at + (step_at - at) * (k + 1) / 3,
                                   dispatcher, "dispatcher", "handling", "handling", None))
                version += 2 * extensions
                row["extension_hours"] = 24.0 * extensions
            version += 1
            at = row[column] = step_at
            if column == "dispatched_at":
                row["lead_department_id"] = department
                events.append((version, "dispatch", at, dispatcher, "dispatcher", "registered", state, None))
            elif column == "fed_back_at":
                events.append((version, "feedback", at, None, "handler", "handling", state, at + VERIFY_STEP))
            elif column == "closed_at":
                verifier, role = (worker, "grid_worker") if worker and rng.random() < 0.8 else (dispatcher,
                                                                                                 "dispatcher")
                events.append((version, "verify_pass", at, verifier, role, "verifying", state, None))
            row["state"] = state
        if row["state"] == "closed" and rng.random() < 0.7:
            row["rating"] = rng.choices(("satisfied", "basic", "dissatisfied"), (0.82, 0.14, 0.04))[0]
            row["rated_at"] = at + HOUR
            version += 1
        row["updated_at"] = at
        row["version"] = version
        return events


def _copy(engine: Engine, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        raw.commit()
    finally:
        raw.close()


def _sqlite_value(value):
    """A datetime as SQLAlchemy's SQLite dialect stores it (so `=` between the case's and
    an event's time holds), other values as they are."""
    return f"{value:%Y-%m-%d %H:%M:%S.%f}" if isinstance(value, dt.datetime) else value


def _insert_sqlite(engine: Engine, batches: tuple[tuple[str, tuple[str, ...], list[tuple]], ...]) -> None:
    with engine.begin() as conn:
        for table, columns, rows in batches:
            conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                                 [tuple(_sqlite_value(v) for v in row) for row in rows])


def generate(engine: Engine, n: int, *, years: int, district: str, end: dt.datetime, seed: int = 1,
             progress=None, step=None) -> int:
    """Load `n` cases reported over the `years` before `end`, then rebuild the fast path.
    `progress(k)` is told of each batch written; `step(text)` of each phase after."""
    if not 0 < n <= MAX_CASES:
        raise InvalidInput("cases", f"between 1 and {MAX_CASES:,}, got {n}")
    if not 1 <= years <= 20:
        raise InvalidInput("years", f"between 1 and 20, got {years}")
    ref = reference(engine, district)
    with transaction(engine) as s:
        first = (s.scalar(select(func.max(Case.id))) or 0) + 1
        next_event = (s.scalar(select(func.max(CaseEvent.id))) or 0) + 1
    days = 365 * years
    source = Cases(ref, district, end - dt.timedelta(days=days), days, seed)
    postgres = engine.dialect.name == "postgresql"
    for start in range(0, n, BATCH):
        rows, events = source.batch(first + start, min(BATCH, n - start), end, next_event)
        next_event += len(events)
        if postgres:  # the cases first: the events refer to them
            _copy(engine, "cases", COLUMNS, rows)
            _copy(engine, "case_events", EVENT_COLUMNS, events)
        else:
            _insert_sqlite(engine, (("cases", COLUMNS, rows), ("case_events", EVENT_COLUMNS, events)))
        if progress:
            progress(len(rows))
    if postgres:
        with engine.begin() as conn:  # ids were given: later rows continue after them
            for table in ("cases", "case_events"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"))
    if step:
        step("rebuilding the facts and the rollup")
    with transaction(engine) as s:
        rollup.rebuild(s, now=end)
    if step:
        step("analysing the tables")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    return n
