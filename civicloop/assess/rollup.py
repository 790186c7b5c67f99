"""The fast path: each case's facts kept as a row, and the counts per anchor day and slice
kept as signed rows that add up, brought up to date in batches from the cases that changed.

An action only writes its case to `assess_rollup_pending` (`mark`), in the transaction of
the change; `catch_up` takes those cases in batches, recomputes their facts with the live
definition (service.facts) and, where they moved, replaces the kept row and appends the
difference (new counts minus old) to the rollup. The sweep's lease holder catches up every
second (ops/scheduler.py) and every reader of the figures catches up before it reads, so a
figure counts every change committed before it was asked for (`catch_up` says the one
exception). Rows are only ever
appended, so concurrent batches never wait on one another's rollup rows; `compact` folds
the rows of each day into one per key. The same counts are kept per day, 旬, month,
quarter and year (the grains), so that any period reads few rows (`_plan`). `rebuild`
recomputes everything from the cases; the agreement test (tests/assess/test_rollup.py)
plays random traffic and compares every figure of the rollup with the live recount."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from sqlalchemy import (
    Date,
    Integer,
    bindparam,
    cast,
    column,
    delete,
    func,
    insert,
    literal,
    literal_column,
    select,
    text,
    union_all,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from civicloop.assess import indicators as ind
from civicloop.assess.models import (
    FLAGS,
    STORED_DIMENSIONS,
    CaseFacts,
    Rollup,
    RollupDekad,
    RollupMonth,
    RollupPending,
    RollupQuarter,
    RollupState,
    RollupYear,
)
from civicloop.assess.periods import Period
from civicloop.db import indexes_made_after, read_only, roomy, transaction
from civicloop.regions.models import GridCell

FACT_COLUMNS = tuple(c.key for c in CaseFacts.__table__.c)
COUNT_KEYS = ind.COUNT_KEYS
_COUNTED = frozenset(COUNT_KEYS)
# The fact column each stored dimension keys on.
KEY_COLUMNS = {"district": "district_code", "department": "lead_department_id", "street": "street_code",
               "community": "community_code", "grid": "grid_code", "category": "category_code",
               "channel": "channel", "reporter": "reporter_id", "verifier": "verifier_id"}
# Where a grid worker's counts are read from, by whose figure a count is (indicators.Count.worker).
WORKER_DIMENSIONS = {ind.GRID_OWNER: "grid", ind.REPORTER: "reporter", ind.VERIFIER: "verifier"}
INTEGER_KEYS = ("department", "grid_worker")
REFRESH_CHUNK = 500


_READY = select(RollupState.__table__.c.ready).where(RollupState.__table__.c.id == 1)


def ready(session: Session) -> bool:
    return bool(session.connection().scalar(_READY))


_LIVE: dict[str, object] = {}
_SENTINEL = -918273645  # an id no case has: where the ids go in the rendered query


def _live_facts(session: Session):
    """service.facts of the cases :ids while the rollup is kept (none otherwise), rendered
    to SQL once per dialect with its constants written in: bound, its hundred-odd constants
    cost the driver layer about twenty times what the database takes to answer (6.8
    against 0.24 ms a case on SQLite)."""
    from civicloop.assess.service import facts

    dialect = session.get_bind().dialect
    if dialect.name not in _LIVE:
        live = facts(session, [_SENTINEL])
        state = RollupState.__table__
        query = (select(*(live.c[k] for k in FACT_COLUMNS))
                 .where(select(state.c.ready).where(state.c.id == 1).scalar_subquery().is_(True)))
        sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        typed = [column(k, CaseFacts.__table__.c[k].type) for k in FACT_COLUMNS]
        _LIVE[dialect.name] = (text(sql.replace(f"IN ({_SENTINEL})", "IN :ids"))
                               .bindparams(bindparam("ids", expanding=True)).columns(*typed))
    return _LIVE[dialect.name]


_IDS = bindparam("ids", expanding=True)
_KEPT = select(CaseFacts.__table__).where(CaseFacts.__table__.c.id.in_(_IDS))
_FORGET = delete(CaseFacts.__table__).where(CaseFacts.__table__.c.id.in_(_IDS))
_KEEP = insert(CaseFacts.__table__)


def _month_after(day: dt.date) -> dt.date:
    """The first day of the month after the day's."""
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _dekad(day: dt.date) -> tuple[dt.date, dt.date]:
    """The 旬 holding the day, as [its first day, the first day after it): the 1st–10th,
    11th–20th or 21st–end of the month."""
    first = day.replace(day=min((day.day - 1) // 10, 2) * 10 + 1)
    return first, first.replace(day=first.day + 10) if first.day < 21 else _month_after(day)


def _quarter(day: dt.date) -> tuple[dt.date, dt.date]:
    first = day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return first, dt.date(first.year + first.month // 10, (first.month + 2) % 12 + 1, 1)


def _months(days: np.ndarray) -> np.ndarray:
    """Day numbers (since 1970-01-01) as month numbers (since 1970-01)."""
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def _first_days_of_months(months: np.ndarray) -> np.ndarray:
    return months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def _first_days_of_dekads(days: np.ndarray) -> np.ndarray:
    month = _first_days_of_months(_months(days))
    return month + np.minimum((days - month) // 10, 2) * 10


class Grain(NamedTuple):
    table: object
    period_of: Callable[[dt.date], tuple[dt.date, dt.date]]  # [first day, first day after) holding a day
    first_days: Callable[[np.ndarray], np.ndarray]  # the same over day numbers: the first day's


GRAINS = (Grain(Rollup.__table__, lambda d: (d, d + dt.timedelta(days=1)), lambda days: days),
          Grain(RollupDekad.__table__, _dekad, _first_days_of_dekads),
          Grain(RollupMonth.__table__, lambda d: (d.replace(day=1), _month_after(d)),
                lambda days: _first_days_of_months(_months(days))),
          Grain(RollupQuarter.__table__, _quarter, lambda days: _first_days_of_months(_months(days) // 3 * 3)),
          Grain(RollupYear.__table__, lambda d: (d.replace(month=1, day=1), dt.date(d.year + 1, 1, 1)),
                lambda days: days.astype("datetime64[D]").astype("datetime64[Y]").astype("datetime64[D]")
                .astype(np.int64)))
TABLES = tuple(grain.table for grain in GRAINS)


# Per count: its place in COUNT_KEYS, anchor, measure and conditions, unpacked once for _add_row's loop.
_COUNT_RULES = tuple((i, c.anchor, c.measure, tuple(c.where.items())) for i, c in enumerate(ind.COUNTS))
_DIMENSION_KEYS = tuple((dimension, KEY_COLUMNS[dimension]) for dimension in STORED_DIMENSIONS)


def _add_row(totals: dict, facts, sign: int) -> None:
    """What one case's facts add to the rollup, into `totals` {(day, dimension, key,
    district): [n per count of COUNT_KEYS]}: the rule of _Tally, for the few cases an
    action changed."""
    rows = {}
    for count, anchor, measure, where in _COUNT_RULES:
        moment = facts[anchor]
        if moment is None or any(facts[name] != value for name, value in where):
            continue
        value = sign * (facts[measure] if measure else 1)
        if not value:
            continue
        day = moment.date()
        if day not in rows:
            rows[day] = []
            for dimension, key_column in _DIMENSION_KEYS:
                key = facts[key_column]
                row = (day, dimension, "" if key is None else str(key), facts["district_code"])
                if row not in totals:
                    totals[row] = [0] * len(COUNT_KEYS)
                rows[day].append(totals[row])
        for counts in rows[day]:
            counts[count] += value


_PENDING = RollupPending.__table__
# Written as text: SQLAlchemy does not cache the compiled form of its dialects' upserts,
# and compiling one costs more than the round trip. On PostgreSQL the upsert also locks
# the row until the change commits, so that no batch takes it before (a batch skips it),
# and a change to a case whose mark a batch has taken waits for that batch, then marks
# the case again; SQLite has one writer at a time.
_ON_CONFLICT = {"postgresql": "ON CONFLICT (case_id) DO UPDATE SET case_id = excluded.case_id",
                "sqlite": "ON CONFLICT (case_id) DO NOTHING"}
_MARK = {dialect: text(f"INSERT INTO {_PENDING.name} (case_id) VALUES (:case_id) {then}")
         for dialect, then in _ON_CONFLICT.items()}


def marking(changed: str):
    """PostgreSQL: `mark` as a CTE over the ids (column `id`) of the CTE named `changed`,
    for a change to mark its case within its own statement (cases/service: one round
    trip fewer). Give it to add_cte after `changed`: CTEs see only those before them."""
    return (text(f"INSERT INTO {_PENDING.name} (case_id) SELECT id FROM {changed} {_ON_CONFLICT['postgresql']}")
            .columns(column("case_id", Integer)).cte("marked"))


# A batch of marked cases, taken out of the list (at most :most, in id order). Marks that
# another batch or an uncommitted change holds are skipped: a batch never waits on a
# change, so a change that touches several cases (a merge) cannot deadlock with it.
_TAKE = (delete(_PENDING)
         .where(_PENDING.c.case_id.in_(select(_PENDING.c.case_id).order_by(_PENDING.c.case_id)
                                       .limit(bindparam("most")).with_for_update(skip_locked=True)))
         .returning(_PENDING.c.case_id))
# PostgreSQL: every batch holds this advisory lock shared until it commits, so that a
# reader can wait for the batches under way with it exclusive (an arbitrary 63-bit key).
_BATCHES = 0x636C5F726F6C6C
_IN_A_BATCH = text("SELECT pg_advisory_xact_lock_shared(:key)").bindparams(key=_BATCHES)
_AFTER_THE_BATCHES = text("SELECT pg_advisory_xact_lock(:key)").bindparams(key=_BATCHES)


def mark(session: Session, case_ids) -> None:
    """Note, in the transaction of a change, that these cases' facts are to be brought up
    to date (`catch_up`): an action costs one small write, not the recount of its facts."""
    ids = sorted(set(case_ids))
    if ids:
        session.connection().execute(_MARK[session.get_bind().dialect.name],
                                     {"case_id": ids[0]} if len(ids) == 1 else [{"case_id": i} for i in ids])


def pending(session: Session) -> int:
    """How many cases the figures have yet to catch up with."""
    return session.scalar(select(func.count()).select_from(_PENDING))


def take(session: Session, most: int) -> list[int]:
    """Take up to `most` marked cases out of the list for a batch in this transaction
    (which `_refresh` then brings up to date)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_IN_A_BATCH)
    return list(session.connection().scalars(_TAKE, {"most": most}))


def catch_up(engine: Engine, *, batch: int = REFRESH_CHUNK, wait: bool = True) -> int:
    """Bring the facts and rollup of the marked cases up to date, `batch` cases a
    transaction, and return how many this call took: at most as many as were marked when
    it began, so that a stream of new changes cannot keep a reader from reading.

    `wait` (a reader of the figures): when some marks were held elsewhere, wait for the
    batches under way to commit, so that the figures then read count every change
    committed before — but a case whose mark a change still holds, uncommitted, is
    counted once that change commits and the next batch runs. The sweep's holder does
    not wait (`wait=False`). Nothing marked costs one read (on SQLite it takes no write
    lock; there one writer at a time makes batches wait for each other anyway). Not to be
    called inside another transaction of this thread (on SQLite the writer's lock is not
    reentrant)."""
    with transaction(read_only(engine)) as session:
        marked = pending(session)
    taken = 0
    while taken < marked:
        with transaction(engine) as session:
            ids = take(session, min(batch, marked - taken))
            _refresh(session, ids)
        taken += len(ids)
        if not ids:
            break
    if wait and taken < marked and engine.dialect.name == "postgresql":
        with transaction(engine) as session:
            session.execute(_AFTER_THE_BATCHES)
    return taken


def _refresh(session: Session, case_ids) -> None:
    """Bring the facts and rollup of these cases up to date, in the session's transaction.
    The live facts are recomputed and the kept ones read, and only a case whose facts
    moved writes: its fact row replaced and the difference appended to the rollup, zero
    rows left out. Nothing is kept before the rollup is built (`ready`): the live query
    then answers no rows, and no rows are kept."""
    ids = sorted(set(case_ids))
    connection = session.connection()
    for start in range(0, len(ids), REFRESH_CHUNK):
        chunk = ids[start:start + REFRESH_CHUNK]
        live = {r.id: r._mapping for r in connection.execute(_live_facts(session), {"ids": chunk})}
        kept = {r.id: r._mapping for r in connection.execute(_KEPT, {"ids": chunk})}
        moved = [i for i in chunk if kept.get(i) != live.get(i)]
        if not moved:
            continue
        totals: dict = {}
        for case_id in moved:
            if case_id in kept:
                _add_row(totals, kept[case_id], -1)
            if case_id in live:
                _add_row(totals, live[case_id], 1)
        if kept:
            connection.execute(_FORGET, {"ids": moved})
        written = [dict(live[i]) for i in moved if i in live]
        if written:
            connection.execute(_KEEP, written)
        for table, period_of, _ in GRAINS:
            grain: dict = {}
            for (day, *rest), counts in totals.items():
                at = (period_of(day)[0].isoformat(), *rest)
                grain[at] = [a + b for a, b in zip(grain[at], counts)] if at in grain else counts
            rows = [(*at, *counts) for at, counts in grain.items() if any(counts)]
            if rows:  # as _write does: SQLAlchemy's parameters per row would cost more than the rest
                _write(session, table, rows, delta=True)


def rebuild(session: Session, *, now: dt.datetime) -> int:
    """Recompute every case's facts and the whole rollup from the cases and their events:
    the facts in SQL, the rollup from them with numpy (`_tally`), written in bulk, the
    tables' indexes made again after (on PostgreSQL, readers of the figures wait for it)."""
    from civicloop.assess.service import facts

    connection = session.connection()
    roomy(connection)
    for table in (*TABLES, CaseFacts.__table__, _PENDING):  # every case is recounted: none waits
        session.execute(delete(table))
    with indexes_made_after(connection, tuple(t.name for t in (CaseFacts.__table__, *TABLES))):
        live = facts(session)
        session.execute(insert(CaseFacts).from_select(FACT_COLUMNS, select(*(live.c[k] for k in FACT_COLUMNS))))
        tally = _tally(session)
        for table, _, first_days in GRAINS:
            for dimension in STORED_DIMENSIONS:
                for rows in tally.rows(first_days, dimension):
                    _write(session, table, rows)
    state = session.get(RollupState, 1) or RollupState(id=1)
    state.ready, state.rebuilt_at = True, now
    session.add(state)
    session.flush()
    return tally.cases


# ---------------------------------------------------------------- rebuilding

READ_CHUNK = 100_000
WRITE_CHUNK = 20_000
_DAY_SHIFT, _KEY_SHIFT = 32, 8  # a group's code: day << 32 | key << 8 | district
_MOST_KEYS, _MOST_DISTRICTS = 1 << (_DAY_SHIFT - _KEY_SHIFT), 1 << _KEY_SHIFT


def _day_number(session: Session, column):
    """The column's day as days since 1970-01-01 (NULL stays NULL)."""
    if session.get_bind().dialect.name == "sqlite":
        return cast(func.julianday(func.date(column)) - 2440587.5, Integer)
    return cast(column, Date) - cast(literal_column("'1970-01-01'"), Date)


def _summed(codes: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct codes, sorted, and the values' column sums per code."""
    if not len(codes):
        return codes, np.zeros((0, values.shape[1]), np.int64)
    order = np.argsort(codes, kind="stable")
    codes = codes[order]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    return codes[starts], np.add.reduceat(values[order], starts, axis=0, dtype=np.int64)


class _Tally:
    """`_add_row`'s rule (a case's facts into counts per anchor day and stored dimension)
    over every kept fact row at once, with numpy. The rows are read in chunks and kept
    narrow: per anchor, the day and the counts each case adds (16-bit integers); per
    dimension, its key and district as one number. `close` joins the chunks once; `rows`
    then sums them at each grain and dimension."""

    def __init__(self):
        self.names = {dimension: {} for dimension in STORED_DIMENSIONS}  # key text -> its number
        self.districts: dict[str, int] = {}
        self.anchors = sorted({c.anchor for c in ind.COUNTS})
        self.columns = {a: [i for i, c in enumerate(ind.COUNTS) if c.anchor == a] for a in self.anchors}
        self.days: dict[str, list] = {a: [] for a in self.anchors}
        self.values: dict[str, list] = {a: [] for a in self.anchors}
        self.keys: dict[str, list] = {d: [] for d in STORED_DIMENSIONS}
        self.used: dict[str, np.ndarray] = {}  # per anchor, the cases that add to some count
        self.cases = 0

    @staticmethod
    def _numbered(values, names: dict, most: int) -> np.ndarray:
        numbers = np.fromiter((names.setdefault("" if v is None else str(v), len(names)) for v in values),
                              np.int64, len(values))
        if len(names) > most:  # the group code has room for `most`: more would mix groups up
            raise OverflowError(f"more than {most:,} distinct values of one dimension")
        return numbers

    def add(self, chunk: dict) -> None:
        """One chunk: {fact column: its values}, each anchor as a day number (None for none)."""
        self.cases += len(chunk["district_code"])
        flags = {name: np.asarray(chunk[name], dtype=np.int64) for name in FLAGS}
        district = self._numbered(chunk["district_code"], self.districts, _MOST_DISTRICTS)
        for d in STORED_DIMENSIONS:
            self.keys[d].append(self._numbered(chunk[KEY_COLUMNS[d]], self.names[d], _MOST_KEYS) << _KEY_SHIFT
                                | district)
        for anchor in self.anchors:
            days = np.array([-1 if d is None else d for d in chunk[anchor]], dtype=np.int64)
            values = np.zeros((len(days), len(self.columns[anchor])), dtype=np.int16)
            for j, i in enumerate(self.columns[anchor]):
                count = ind.COUNTS[i]
                match = days >= 0
                for name, wanted in count.where.items():
                    match &= flags[name] == wanted
                values[:, j] = match * (flags[count.measure] if count.measure else 1)
            self.days[anchor].append(days)
            self.values[anchor].append(values)

    def close(self) -> None:
        """Join each anchor's and dimension's chunks into one array, once, keeping of the
        anchors only the cases that add to some count."""
        for anchor in self.anchors:
            days = np.concatenate(self.days[anchor]) if self.cases else np.zeros(0, np.int64)
            values = np.concatenate(self.values[anchor]) if self.cases else np.zeros((0, 1), np.int16)
            self.used[anchor] = values.any(axis=1)
            self.days[anchor], self.values[anchor] = days[self.used[anchor]], values[self.used[anchor]]
        for d in STORED_DIMENSIONS:
            self.keys[d] = np.concatenate(self.keys[d]) if self.cases else np.zeros(0, np.int64)

    def rows(self, first_days, dimension: str):
        """The rollup rows of one grain (`first_days`: Grain.first_days) and dimension, in
        lists of WRITE_CHUNK: (first day, dimension, key, district, *counts)."""
        parts = []
        for anchor in self.anchors:
            days = first_days(self.days[anchor])
            keys = self.keys[dimension][self.used[anchor]]
            parts.append((anchor, *_summed(days << _DAY_SHIFT | keys, self.values[anchor])))
        codes, at = np.unique(np.concatenate([p[1] for p in parts]), return_inverse=True)
        at, start = at.ravel(), 0
        counts = np.zeros((len(codes), len(ind.COUNTS)), dtype=np.int64)
        for anchor, part_codes, sums in parts:  # codes are distinct within a part
            counts[np.ix_(at[start:start + len(part_codes)], self.columns[anchor])] += sums
            start += len(part_codes)
        names = np.array(list(self.names[dimension]) or [""], dtype=object)
        districts = np.array(list(self.districts) or [""], dtype=object)
        for first in range(0, len(codes), WRITE_CHUNK):
            part, sums = codes[first:first + WRITE_CHUNK], counts[first:first + WRITE_CHUNK]
            days = np.datetime_as_string((part >> _DAY_SHIFT).astype("datetime64[D]")).tolist()
            keys_of = names[(part >> _KEY_SHIFT) & (_MOST_KEYS - 1)].tolist()
            districts_of = districts[part & (_MOST_DISTRICTS - 1)].tolist()
            yield list(zip(days, [dimension] * len(part), keys_of, districts_of, *sums.T.tolist()))


def _tally(session: Session) -> _Tally:
    """Every kept fact row, read in chunks into a _Tally."""
    table = CaseFacts.__table__
    anchors = sorted({c.anchor for c in ind.COUNTS})
    columns = [*anchors, "district_code", *sorted(set(KEY_COLUMNS.values()) - {"district_code"}), *FLAGS]
    query = select(*(_day_number(session, table.c[a]).label(a) for a in anchors),
                   *(table.c[c] for c in columns[len(anchors):]))
    tally = _Tally()
    result = session.connection().execute(query.execution_options(stream_results=True))
    while rows := result.fetchmany(READ_CHUNK):
        tally.add(dict(zip(columns, zip(*rows))))
    tally.close()
    return tally


def _write(session: Session, table, rows: list[tuple], *, delta: bool = False) -> None:
    """Rollup rows (day, dimension, key, district, *counts) in bulk, in the session's
    transaction: COPY on PostgreSQL. `delta` for an action's rows, not yet compacted."""
    columns = ("day", "dimension", "key", "district_code", *COUNT_KEYS, "delta")
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        with connection.connection.driver_connection.cursor() as cursor, \
                cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row((*row, delta))
    else:
        connection.exec_driver_sql(
            f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            [(*row, int(delta)) for row in rows])


def compact(session: Session) -> int:
    """Fold the rows actions appended into one row per (day, dimension, key, district), at
    every grain. Returns how many periods (days, 旬, months, quarters, years) were folded."""
    return sum(_compact(session, table) for table in TABLES)


def _compact(session: Session, table) -> int:
    days = [d for (d,) in session.execute(select(table.c.day).where(table.c.delta.is_(True)).distinct())]
    columns = ("day", "dimension", "key", "district_code")
    for day in days:
        if session.get_bind().dialect.name == "postgresql":
            # The rows deleted are exactly the rows summed: an action's rows committed meanwhile stay.
            moved = delete(table).where(table.c.day == day).returning(*table.c).cte("moved")
        else:  # SQLite: one writer at a time, the day's rows cannot change under us
            moved = select(table).where(table.c.day == day).subquery("moved")
        summed = (select(*(moved.c[c] for c in columns), *(func.sum(moved.c[k]) for k in COUNT_KEYS), literal(False))
                  .group_by(*(moved.c[c] for c in columns)))
        if session.get_bind().dialect.name == "postgresql":
            session.execute(insert(table).from_select((*columns, *COUNT_KEYS, "delta"), summed))
        else:
            rows = session.execute(summed).all()
            session.execute(delete(table).where(table.c.day == day))
            if rows:
                session.execute(insert(table), [dict(zip((*columns, *COUNT_KEYS, "delta"), r)) for r in rows])
    return len(days)


# ---------------------------------------------------------------- reading

# The grains coarser than a day, coarsest first; by month, those that lie within a month.
_ENCLOSING = GRAINS[:0:-1]
_WITHIN_MONTHS = tuple(g for g in _ENCLOSING if g.table in (RollupMonth.__table__, RollupDekad.__table__))


def _cost(plan: list[tuple]) -> int:
    return sum(part[4] for part in plan)


def _plan(start: dt.date, stop: dt.date, grains) -> list[tuple]:
    """[start, stop) as parts (table, start, stop, sign, periods) whose rows, summed with
    their sign, give its counts: the whole periods of the coarsest grain, and each partial
    one either from the finer grains or as the whole period less the finer parts outside
    the range (2–30 January: January less the 1st), whichever reads fewer periods."""
    if start >= stop:
        return []
    if not grains:
        return [(Rollup.__table__, start, stop, 1, (stop - start).days)]
    (table, enclosing, _), finer = grains[0], grains[1:]
    plan: list[tuple] = []
    day = start
    while day < stop:
        first, after = enclosing(day)
        end = min(after, stop)
        if (day, end) == (first, after):  # a whole period: joined to the whole one before it
            if plan and plan[-1][0] is table and plan[-1][2] == first and plan[-1][3] == 1:
                plan[-1] = (table, plan[-1][1], after, 1, plan[-1][4] + 1)
            else:
                plan.append((table, first, after, 1, 1))
        else:
            outside = [(*part[:3], -part[3], part[4]) for part in (*_plan(first, day, finer), *_plan(end, after, finer))]
            plan += min(_plan(day, end, finer), [(table, first, after, 1, 1), *outside], key=_cost)
        day = end
    return plan


def source(period: Period, dimension: str, district: str | None, *, by_month: bool = False):
    """The rollup rows of one dimension that add up to the period's counts (`_plan`): its
    whole years from the year grain, then quarters, months, 旬 and days, some of them
    subtracted (their counts negated). `by_month`, only months and 旬: a year's or a
    quarter's row would be read as its first month; a month less some of its days stays
    that month. A subquery with the rollup's columns; every figure sums over it."""
    end = period.end + dt.timedelta(days=1)  # exclusive
    parts = []
    for table, start, stop, sign, _ in _plan(period.start, end, _WITHIN_MONTHS if by_month else _ENCLOSING):
        columns = table.c if sign > 0 else [(-c).label(c.key) if c.key in _COUNTED else c for c in table.c]
        part = select(*columns).where(table.c.dimension == dimension, table.c.day >= start, table.c.day < stop)
        parts.append(part if district is None else part.where(table.c.district_code == district))
    return union_all(*parts).subquery("rows") if len(parts) > 1 else parts[0].subquery("rows")


def _sums(rows, key, counts, *, grid_owner: bool = False):
    query = select(key.label("key"), *(func.sum(rows.c[c.key]).label(c.key) for c in counts)).group_by(key)
    if grid_owner:
        query = query.select_from(rows.outerjoin(GridCell, GridCell.code == rows.c.key))
    return query


def _key_of(rows, by: str, level: int):
    return func.substr(rows.c.key, 1, 2 * level) if by == "category" else rows.c.key


def _value(key, by: str):
    """A slice value as the live path gives it: None for none, department and worker ids as numbers."""
    return None if key in (None, "") else (int(key) if by in INTEGER_KEYS else key)


def count_rows(session: Session, period: Period, *, by: str, level: int, district: str | None,
               only: str | None = None) -> dict:
    """service.count_rows from the rollup: {slice value: {count: n}}, keys as the live path
    gives them; of the one value `only` (its text) when given."""
    queries = []
    if by == "grid_worker":
        for worker, dimension in WORKER_DIMENSIONS.items():
            counts = [c for c in ind.COUNTS if c.worker == worker]
            rows = source(period, dimension, district)
            owner = worker == ind.GRID_OWNER
            key = GridCell.worker_id if owner else rows.c.key
            query = _sums(rows, key, counts, grid_owner=owner)
            queries.append((counts, query if only is None else query.where(key == (int(only) if owner else only))))
    else:
        rows = source(period, by, district)
        key = _key_of(rows, by, level)
        query = _sums(rows, key, ind.COUNTS)
        queries.append((ind.COUNTS, query if only is None else query.where(key == only)))
    out: dict = {}
    for counts, query in queries:
        names = [c.key for c in counts]
        for key, *sums in session.execute(query).tuples():  # by position: thousands of rows × 37 sums
            value = _value(key, by)
            if len(queries) == 1:  # one row per value
                out[value] = dict(zip(names, map(int, sums)))
                continue
            values = out.setdefault(value, dict.fromkeys(COUNT_KEYS, 0))
            for name, n in zip(names, sums):
                values[name] += int(n)
    return out


def monthly(session: Session, period: Period, *, by: str, level: int, district: str | None) -> dict[str, dict]:
    """{'YYYY-MM': {slice value: {count: n}}} from the rollup's rows of one dimension,
    grouped by month and key in one read (not for grid workers: count_rows reads three)."""
    rows = source(period, by, district, by_month=True)
    month = (func.strftime("%Y-%m", rows.c.day) if session.get_bind().dialect.name == "sqlite"
             else func.to_char(rows.c.day, "YYYY-MM"))
    query = _sums(rows, _key_of(rows, by, level), ind.COUNTS).add_columns(month.label("month")).group_by(month)
    out: dict[str, dict] = {}
    for key, *sums, month in session.execute(query).tuples():
        if any(sums):
            out.setdefault(month, {})[_value(key, by)] = dict(zip(COUNT_KEYS, map(int, sums)))
    return out


def fact_source(session: Session):
    """The kept fact rows with the grid's worker now, shaped like service.facts."""
    table = CaseFacts.__table__
    return (select(*table.c, GridCell.worker_id.label("grid_worker_id"))
            .select_from(table.outerjoin(GridCell, GridCell.code == table.c.grid_code))
            .subquery("facts"))

