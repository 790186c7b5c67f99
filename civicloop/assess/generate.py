"""Years of historical cases for the scale benchmark and load tests
(`civicloop assess generate`).

It writes case rows and, beside them, the **events the figures read** — not a case's
whole history, which would be ten events and more a case for figures that read a few:

- `report` at intake, carrying the first step's deadline (立案 and 派遣 are on time
  before it: 2 hours);
- `request_check` and `check` (派核实, 核实): a quarter of the citizens' reports in a cell
  with a worker are checked on site before 立案, due an hour after the request;
- every `dispatch` (the first one decides 按时派遣);
- `return` (退回申请): 5 % of the dispatched cases, 3 points of them approved — sent back
  to the dispatcher and dispatched again (误派, the case's return_count);
- `approve_extension` (批准延期): 6 % of the cases handled, one in six of them twice;
- the `feedback` that the verification closed on, carrying its deadline (48 hours);
- the `verify_pass` that closed the case, by the grid's worker where the cell has one
  (核查), else by the dispatcher.

The outcomes that live in the case row — state, the lifecycle's times, overdue (past
4 days of handling, and a day per extension), rework and return counts, merges, ratings —
are drawn with the shares of a district's year, so every indicator of docs/indicators.md
is non-zero on generated data. The steps not
written (立案, 签收, 回访, …) still count in the events' `seq`, which is the case's version
after each, as the service numbers them; a case is therefore not rebuildable from its
events (cases/service.py: rebuild), which the history does not need.

A district without grid workers gets one per cell first (一格一员; patrols and 核查 need
them). Each batch of `BATCH` cases is drawn with numpy and goes in bulk: COPY on
PostgreSQL, executemany in one transaction on SQLite; then the fast path is rebuilt from them with the live definition
(rollup.rebuild), which the live recount agrees with."""
from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select, text, update
from sqlalchemy.engine import Engine

from civicloop.assess import rollup
from civicloop.cases.models import Case, CaseEvent
from civicloop.categories.models import Category
from civicloop.db import roomy, secondary_indexes, transaction
from civicloop.departments.models import Department
from civicloop.errors import InvalidInput, NotFound
from civicloop.regions.models import GridCell
from civicloop.users.models import User

BATCH = 50_000
MAX_CASES = 50_000_000
# How cases come in (12345 practice: the hotline carries most, grid patrols find a fifth).
CHANNEL_WEIGHTS = {"hotline": 0.52, "patrol": 0.2, "app": 0.12, "web": 0.08, "petition": 0.04,
                   "supervision": 0.02, "instruction": 0.02}
HOUR = np.timedelta64(1, "h")
FIRST_STEP = 2 * HOUR    # 立案 and 派遣 are due this long after intake
VERIFY_STEP = 48 * HOUR  # 核查 is due this long after the feedback
CHECK_STEP = HOUR        # 核实 is due this long after the request
COLUMNS = ("id", "version", "channel", "state", "title", "body", "created_by_id", "district_code", "street_code",
           "community_code", "grid_code", "category_id", "priority", "lead_department_id", "reported_at",
           "registered_at", "dispatched_at", "accepted_at", "fed_back_at", "closed_at", "updated_at", "time_basis",
           "extension_hours", "warning", "escalation_level", "overdue", "return_count", "rework_count",
           "supervision_count", "rating", "rated_at", "assists_pending", "merged_into_id")
EVENT_COLUMNS = ("id", "case_id", "seq", "action", "at", "actor_id", "actor_role", "department_id", "from_state",
                 "to_state", "note", "changes")

# What every generated case says alike.
BLANK = {"title": "历史案件", "body": "生成的历史案件", "priority": "normal", "time_basis": "working", "warning": "green"}


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


def _zipf(n: int, rng: np.random.Generator, s: float = 0.8) -> np.ndarray:
    """Uneven shares, shuffled: a few grids, departments and categories carry most cases."""
    weights = 1 / np.arange(1, n + 1) ** s
    rng.shuffle(weights)
    return weights / weights.sum()


def _hours(rng: np.random.Generator, mean: float, n: int) -> np.ndarray:
    return (rng.exponential(mean * 3600e6, n)).astype("timedelta64[us]")


def _text(times: np.ndarray) -> np.ndarray:
    """Times as SQLAlchemy's SQLite dialect writes them (PostgreSQL reads them too), so `=`
    between a case's time and an event's holds on both."""
    return np.char.replace(np.datetime_as_string(times, unit="us"), "T", " ").astype(object)


def _or_none(values: np.ndarray, present: np.ndarray) -> list:
    out = values.astype(object)
    out[~present] = None
    return out.tolist()


class Cases:
    """Rows of `cases` and `case_events`, drawn reproducibly, a batch at a time with numpy
    (a Python loop per case would take an hour for ten million). Case ids follow the
    report time, as in a district's own database."""

    def __init__(self, ref: Reference, district: str, start: dt.datetime, days: int, seed: int, n: int):
        self.ref, self.district, self.days, self.n = ref, district, days, n
        self.start = np.datetime64(start, "us")
        self.rng = rng = np.random.default_rng(seed)
        self.cell_p, self.department_p = _zipf(len(ref.cells), rng), _zipf(len(ref.departments), rng)
        self.category_p = _zipf(len(ref.categories), rng)
        self.grids = np.array([c[0] for c in ref.cells], dtype=object)
        self.communities = np.array([c[1] for c in ref.cells], dtype=object)
        self.workers = np.array([c[2] or 0 for c in ref.cells])
        self.channels = np.array(list(CHANNEL_WEIGHTS), dtype=object)
        self.channel_p = np.array(list(CHANNEL_WEIGHTS.values())) / sum(CHANNEL_WEIGHTS.values())

    def batch(self, first_id: int, done: int, k: int, end: dt.datetime,
              first_event: int) -> tuple[list[tuple], list[tuple]]:
        """Cases `done` to `done + k` of the n (ids from `first_id`), and their events
        (ids from `first_event`)."""
        rng, ref, n = self.rng, self.ref, k
        ids = np.arange(first_id, first_id + n)
        cell = rng.choice(len(ref.cells), n, p=self.cell_p)
        department = np.array(ref.departments)[rng.choice(len(ref.departments), n, p=self.department_p)]
        category = np.array(ref.categories)[rng.choice(len(ref.categories), n, p=self.category_p)]
        channel = self.channels[rng.choice(len(self.channels), n, p=self.channel_p)]
        # Volume grows over the years (a uniform to the power 0.8 leans late); hours follow office life.
        share = ((done + np.arange(n) + rng.random(n)) / self.n) ** 0.8
        day = (self.days * share).astype("int64").astype("timedelta64[D]")
        reported = self.start + day + (7 * 3600e6 + 14 * 3600e6 * rng.random(n)).astype("timedelta64[us]")
        worker = self.workers[cell]
        patrol = (channel == "patrol") & bool(ref.grid_workers)
        if ref.grid_workers:
            worker_or_any = np.where(worker > 0, worker, rng.choice(ref.grid_workers, n))
        else:
            worker_or_any = worker
        reporter = np.where(patrol, worker_or_any, 0)

        # The story: how far each case went and how well, by the shares of a district's year.
        draw = rng.random(n)
        merged = (draw < 0.03) & (ids > 1)
        live = draw >= 0.07
        master = ids - 1 - (rng.random(n) * np.minimum(50, np.maximum(ids - 1, 1))).astype("int64")
        returned = rng.random(n)
        wrong, refused = returned < 0.03, (returned >= 0.03) & (returned < 0.05)  # 误派; a return refused
        rework = (rng.random(n) < 0.06).astype("int64")
        extensions = rng.choice(3, n, p=(0.94, 0.05, 0.01))
        limit = np.datetime64(end, "us")
        check_asked = reported + _hours(rng, 0.1, n)
        check_done = check_asked + _hours(rng, 0.5, n)
        checked = live & ~patrol & (worker > 0) & (rng.random(n) < 0.25) & (check_done < limit)
        registered = np.where(checked, check_done, reported) + _hours(rng, 0.3, n)
        first_dispatch = registered + _hours(rng, 0.6, n)
        return_asked = first_dispatch + _hours(rng, 2, n)  # by the wrong department
        dispatched = np.where(wrong, return_asked + _hours(rng, 1, n), first_dispatch)
        refusal_asked = dispatched + _hours(rng, 2, n)
        accepted = np.where(refused, refusal_asked, dispatched) + _hours(rng, 3, n)
        fed_back = accepted + _hours(rng, 40, n) + (24 * extensions).astype("timedelta64[h]")
        closed = fed_back + _hours(rng, 20, n)
        reached = [live & (t < limit) for t in (registered, dispatched, accepted, fed_back, closed)]
        at_registered, at_dispatched, at_accepted, at_fed_back, at_closed = reached
        # Past the handling deadline (4 days, and a day per extension) before the feedback, or still without one.
        overdue = at_accepted & (accepted + (96 + 24 * extensions).astype("timedelta64[h]")
                                 < np.minimum(fed_back, limit))
        rated = at_closed & (rng.random(n) < 0.7)
        rating = rng.choice(np.array(("satisfied", "basic", "dissatisfied"), dtype=object), n, p=(0.82, 0.14, 0.04))
        by_worker = (worker > 0) & (rng.random(n) < 0.8)  # 核查 by the grid's worker, else by the dispatcher

        # The case's version after each step, as the service numbers its events.
        v_registered = 1 + 2 * checked + at_registered
        v_dispatched = v_registered + at_dispatched * (1 + 3 * wrong)
        v_accepted = v_dispatched + at_accepted * (1 + 2 * refused)
        v_before_feedback = v_accepted + at_fed_back * 2 * rework
        v_fed_back = v_before_feedback + at_fed_back * (1 + 2 * extensions)
        v_closed = v_fed_back + at_closed
        version = np.where(live, v_closed + rated, 2 + 2 * checked)
        state = np.full(n, "reported", dtype=object)
        state[~live] = "rejected"
        state[merged] = "merged"
        for mask, name in zip(reached, ("registered", "dispatched", "handling", "verifying", "closed")):
            state[mask] = name
        last = reported.copy()
        for mask, times in zip(reached, (registered, dispatched, accepted, fed_back, closed)):
            last[mask] = times[mask]
        updated = np.where(live, last, reported + HOUR)
        rated_at = closed + HOUR

        text = {name: _text(times) for name, times in (("reported", reported), ("registered", registered),
                ("dispatched", dispatched), ("accepted", accepted), ("fed_back", fed_back), ("closed", closed),
                ("updated", updated), ("rated_at", rated_at), ("first_dispatch", first_dispatch),
                ("return_asked", return_asked), ("refusal_asked", refusal_asked), ("check_asked", check_asked),
                ("check_done", check_done))}
        cases = {
            "id": ids.tolist(), "version": version.tolist(), "channel": channel.tolist(), "state": state.tolist(),
            "title": [BLANK["title"]] * n, "body": [BLANK["body"]] * n, "created_by_id": _or_none(reporter, patrol),
            "district_code": [self.district] * n, "street_code": [c[:9] for c in self.communities[cell]],
            "community_code": self.communities[cell].tolist(), "grid_code": self.grids[cell].tolist(),
            "category_id": category.tolist(), "priority": [BLANK["priority"]] * n,
            "lead_department_id": _or_none(department, at_dispatched), "reported_at": text["reported"].tolist(),
            "registered_at": _or_none(text["registered"], at_registered),
            "dispatched_at": _or_none(text["dispatched"], at_dispatched),
            "accepted_at": _or_none(text["accepted"], at_accepted),
            "fed_back_at": _or_none(text["fed_back"], at_fed_back), "closed_at": _or_none(text["closed"], at_closed),
            "updated_at": text["updated"].tolist(), "time_basis": [BLANK["time_basis"]] * n,
            "extension_hours": (24.0 * extensions * at_fed_back).tolist(), "warning": [BLANK["warning"]] * n,
            "escalation_level": [0] * n, "overdue": overdue.tolist(),
            "return_count": (wrong & at_dispatched).astype("int64").tolist(),
            "rework_count": (rework * at_fed_back).tolist(), "supervision_count": [0] * n,
            "rating": _or_none(rating, rated), "rated_at": _or_none(text["rated_at"], rated),
            "assists_pending": [0] * n, "merged_into_id": _or_none(master, merged)}
        rows = list(zip(*(cases[c] for c in COLUMNS)))

        # The events the figures read: (which cases, seq, action, at, actor, role, from, to, deadline).
        dispatcher = np.full(n, ref.dispatcher or 0)
        kinds = [
            (np.ones(n, bool), 1, "report", "reported", reporter, np.where(patrol, "grid_worker", "operator"),
             None, "reported", ("deadline", reported + FIRST_STEP)),
            (checked, 2, "request_check", "check_asked", None, "operator", "reported", "reported",
             ("check_deadline", check_asked + CHECK_STEP)),
            (checked, 3, "check", "check_done", worker, "grid_worker", "reported", "reported", None),
            (at_dispatched & wrong, v_registered + 1, "dispatch", "first_dispatch", dispatcher, "dispatcher",
             "registered", "dispatched", None),
            (at_dispatched & wrong, v_registered + 2, "return", "return_asked", None, "handler", "dispatched",
             "return_requested", None),
            (at_dispatched, v_dispatched, "dispatch", "dispatched", dispatcher, "dispatcher", "registered",
             "dispatched", None),
            (at_accepted & refused, v_dispatched + 1, "return", "refusal_asked", None, "handler", "dispatched",
             "return_requested", None),
            (at_fed_back, v_fed_back, "feedback", "fed_back", None, "handler", "handling", "verifying",
             ("deadline", fed_back + VERIFY_STEP)),
            (at_closed, v_closed, "verify_pass", "closed", np.where(by_worker, worker, dispatcher),
             np.where(by_worker, "grid_worker", "dispatcher"), "verifying", "closed", None),
        ]
        for k in (1, 2):  # approved while handling, each after its request, within the handling's time
            share = np.float64(k / 3)
            times = accepted + ((fed_back - accepted) * share).astype("timedelta64[us]")
            kinds.append((at_fed_back & (extensions >= k), v_before_feedback + 2 * k, "approve_extension", times,
                          dispatcher, "dispatcher", "handling", "handling", None))
        events = []
        for mask, seq, action, times, actor, role, from_state, to_state, deadline in kinds:
            at = text[times][mask] if isinstance(times, str) else _text(times[mask])
            columns = [ids[mask].tolist(), (np.broadcast_to(seq, n)[mask]).tolist(), [action] * int(mask.sum()),
                       at.tolist(),
                       [None] * int(mask.sum()) if actor is None else _or_none(actor[mask], actor[mask] > 0),
                       np.broadcast_to(np.array(role, dtype=object), n)[mask].tolist(),
                       [from_state] * int(mask.sum()), [to_state] * int(mask.sum()), [None] * int(mask.sum()),
                       ['{"%s": "%s"}' % (deadline[0], d) for d in np.datetime_as_string(deadline[1][mask], unit="us")]
                       if deadline is not None else ["{}"] * int(mask.sum())]
            events.extend(zip(*columns))
        events.sort(key=lambda e: (e[0], e[1]))  # each case's events together, in order
        return rows, [(first_event + i, *e[:6], None, *e[6:]) for i, e in enumerate(events)]


def _copy(engine: Engine, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """COPY the rows in. They are consistent by construction, so where the session may (a
    superuser's), the foreign-key triggers are skipped as pg_restore skips them: each
    check locks the row it refers to, and they cost more than the rows themselves."""
    import psycopg

    raw = engine.raw_connection()
    try:
        with raw.cursor() as cursor:
            try:
                cursor.execute("SET LOCAL session_replication_role = replica")
            except psycopg.errors.InsufficientPrivilege:
                raw.rollback()
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        raw.commit()
    finally:
        raw.close()


def _insert_sqlite(engine: Engine, batches: tuple[tuple[str, tuple[str, ...], list[tuple]], ...]) -> None:
    with engine.begin() as conn:
        roomy(conn)
        for table, columns, rows in batches:
            conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                                 rows)


@contextmanager
def _indexes_after(engine: Engine, tables: tuple[str, ...], step=None):
    """Rows go faster into tables without their secondary indexes, which are made again
    after, each in one sort (and made again if the load fails)."""
    with engine.connect() as conn:
        indexes = secondary_indexes(conn, tables)
    with engine.begin() as conn:
        for name, _ in indexes:
            conn.execute(text(f'DROP INDEX "{name}"'))
    try:
        yield
    finally:
        if indexes and step:
            step(f"making the {len(indexes)} indexes again")
        with engine.begin() as conn:
            roomy(conn)
            for _, sql in indexes:
                conn.execute(text(sql))


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
    source = Cases(ref, district, end - dt.timedelta(days=days), days, seed, n)
    postgres = engine.dialect.name == "postgresql"
    with engine.connect() as conn:  # worth it into tables smaller than the load
        small = conn.execute(select(func.count()).select_from(Case)).scalar() < n
    with _indexes_after(engine, ("cases", "case_events") if small else (), step):
        for start in range(0, n, BATCH):
            rows, events = source.batch(first + start, start, min(BATCH, n - start), end, next_event)
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
