"""The fast path: each case's facts kept as a row, and the counts per anchor day and slice
kept as signed rows that add up, both updated in the transaction of every case change.

An action calls `refresh` with the cases it changed: their facts are recomputed with the
live definition (service.facts) and, where they moved, the kept row is replaced and the
difference (new counts minus old) appended to the rollup. Rows are only ever appended, so
concurrent actions never wait on one another's rollup rows; `compact` folds the rows of
each day into one per key. `rebuild` recomputes everything from the cases; the agreement
test (tests/assess/test_rollup.py) plays random traffic and compares every figure of the
rollup with the live recount."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Date,
    String,
    and_,
    bindparam,
    case,
    cast,
    column,
    delete,
    false,
    func,
    insert,
    literal,
    literal_column,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session

from civicloop.assess import indicators as ind
from civicloop.assess.models import STORED_DIMENSIONS, CaseFacts, Rollup, RollupMonth, RollupState
from civicloop.assess.periods import Period
from civicloop.regions.models import GridCell

FACT_COLUMNS = tuple(c.key for c in CaseFacts.__table__.c)
COUNT_KEYS = tuple(c.key for c in ind.COUNTS)
# The fact column each stored dimension keys on.
KEY_COLUMNS = {"district": "district_code", "department": "lead_department_id", "street": "street_code",
               "community": "community_code", "grid": "grid_code", "category": "category_code",
               "channel": "channel", "reporter": "reporter_id", "verifier": "verifier_id"}
# Where a grid worker's counts are read from, by whose figure a count is (indicators.Count.worker).
WORKER_DIMENSIONS = {ind.GRID_OWNER: "grid", ind.REPORTER: "reporter", ind.VERIFIER: "verifier"}
INTEGER_KEYS = ("department", "grid_worker")
REFRESH_CHUNK = 500
ZERO, ONE = literal_column("0"), literal_column("1")


_READY = select(RollupState.__table__.c.ready).where(RollupState.__table__.c.id == 1)


def ready(session: Session) -> bool:
    return bool(session.connection().scalar(_READY))


def _day(session: Session, column):
    if session.get_bind().dialect.name == "sqlite":
        return func.date(column)
    return cast(column, Date)


def _contributions(session: Session, source):
    """What the fact rows of `source` add to the rollup: one row per (day, dimension, key,
    district), each count summed on its own anchor's day (_add_row is the same rule for
    one case). Constants are
    written into the SQL (literal_column), not bound: hundreds of parameters per statement
    cost more than the statement itself."""
    parts = []
    for dimension in STORED_DIMENSIONS:
        key = func.coalesce(cast(source.c[KEY_COLUMNS[dimension]], String), literal_column("''"))
        for anchor in {c.anchor for c in ind.COUNTS}:
            sums = []
            for c in ind.COUNTS:
                if c.anchor != anchor:
                    sums.append(ZERO.label(c.key))
                    continue
                value = source.c[c.measure] if c.measure else ONE
                matches = and_(*(source.c[name] == literal_column(str(v)) for name, v in c.where.items()))
                sums.append(func.sum(case((matches, value), else_=ZERO)).label(c.key))
            day = _day(session, source.c[anchor])
            parts.append(select(day.label("day"), literal_column(f"'{dimension}'").label("dimension"), key.label("key"),
                                source.c.district_code, *sums)
                         .where(source.c[anchor].is_not(None))
                         .group_by(day, key, source.c.district_code))
    every = union_all(*parts).subquery("parts")
    return (select(every.c.day, every.c.dimension, every.c.key, every.c.district_code,
                   *(func.sum(every.c[k]) for k in COUNT_KEYS))
            .group_by(every.c.day, every.c.dimension, every.c.key, every.c.district_code))


def _add_all(session: Session, source):
    rows = _contributions(session, source).subquery("rows")
    columns = ("day", "dimension", "key", "district_code", *COUNT_KEYS)
    return insert(Rollup).from_select((*columns, "delta"), select(*(rows.c[i] for i in range(len(columns))), false()))


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
_KEEP, _APPEND, _APPEND_MONTH = insert(CaseFacts.__table__), insert(Rollup.__table__), insert(RollupMonth.__table__)
TABLES = (Rollup.__table__, RollupMonth.__table__)  # the day grain, the month grain


# Per count: its key, anchor, measure and conditions, unpacked once for _add_row's loop.
_COUNT_RULES = tuple((c.key, c.anchor, c.measure, tuple(c.where.items())) for c in ind.COUNTS)
_DIMENSION_KEYS = tuple((dimension, KEY_COLUMNS[dimension]) for dimension in STORED_DIMENSIONS)


def _add_row(totals: dict, facts, sign: int) -> None:
    """What one case's facts add to the rollup, into `totals` {(day, dimension, key,
    district): {count: n}}: the rule of _contributions, for the few cases an action
    changed, where one small INSERT costs less than the SQL that sums a table."""
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
            for dimension, column in _DIMENSION_KEYS:
                key = facts[column]
                row = (day, dimension, "" if key is None else str(key), facts["district_code"])
                if row not in totals:
                    totals[row] = dict.fromkeys(COUNT_KEYS, 0)
                rows[day].append(totals[row])
        for counts in rows[day]:
            counts[count] += value


def refresh(session: Session, case_ids) -> None:
    """Bring the facts and rollup of these cases up to date; called in the transaction of
    the change (cases/service.py, cases/sweep.py). The live facts are recomputed and the
    kept ones read, and only a case whose facts moved writes: its fact row replaced and
    the difference appended to the rollup, zero rows left out. Nothing is kept before the
    rollup is built (`ready`): the live query then answers no rows, and no rows are kept."""
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
        months: dict = {}
        for (day, *rest), counts in totals.items():
            month = months.setdefault((day.replace(day=1), *rest), dict.fromkeys(COUNT_KEYS, 0))
            for k, n in counts.items():
                month[k] += n
        for statement, grain in ((_APPEND, totals), (_APPEND_MONTH, months)):
            rows = [{"day": day, "dimension": dimension, "key": key, "district_code": district, "delta": True,
                     **counts} for (day, dimension, key, district), counts in grain.items() if any(counts.values())]
            if rows:
                connection.execute(statement, rows)


def rebuild(session: Session, *, now: dt.datetime) -> int:
    """Recompute every case's facts and the whole rollup from the cases and their events."""
    from civicloop.assess.service import facts

    for table in (*TABLES, CaseFacts.__table__):
        session.execute(delete(table))
    live = facts(session)
    session.execute(insert(CaseFacts).from_select(FACT_COLUMNS, select(*(live.c[k] for k in FACT_COLUMNS))))
    session.execute(_add_all(session, CaseFacts.__table__))
    session.execute(fold_months(session))
    state = session.get(RollupState, 1) or RollupState(id=1)
    state.ready, state.rebuilt_at = True, now
    session.add(state)
    session.flush()
    return session.scalar(select(func.count()).select_from(CaseFacts))


def month_start(session: Session, day):
    if session.get_bind().dialect.name == "sqlite":
        return func.date(day, "start of month")
    return cast(func.date_trunc("month", day), Date)


def fold_months(session: Session):
    """The month grain made from the day grain: one row per month, dimension, key and district."""
    day, month = Rollup.__table__, RollupMonth.__table__
    keys = (month_start(session, day.c.day), day.c.dimension, day.c.key, day.c.district_code)
    columns = ("day", "dimension", "key", "district_code", *COUNT_KEYS, "delta")
    return insert(month).from_select(columns, select(*keys, *(func.sum(day.c[k]) for k in COUNT_KEYS), false())
                                     .group_by(*keys))


def compact(session: Session) -> int:
    """Fold the rows actions appended into one row per (day, dimension, key, district), at
    both grains. Returns how many days and months were folded."""
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

def _first_of_next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def source(period: Period, dimension: str, district: str | None):
    """The rollup rows of one dimension covering the period: the month grain for its whole
    months, the day grain for the days before and after them. A subquery with the rollup's
    columns; every figure sums over it."""
    day, month = Rollup.__table__, RollupMonth.__table__
    end = period.end + dt.timedelta(days=1)  # exclusive
    first = period.start if period.start.day == 1 else _first_of_next_month(period.start)
    last = end.replace(day=1)  # whole months are [first, last)
    ranges = [(day, period.start, end)] if first >= last else [
        (day, period.start, first), (month, first, last), (day, last, end)]
    parts = []
    for table, start, stop in ranges:
        if start < stop:
            part = select(table).where(table.c.dimension == dimension, table.c.day >= start, table.c.day < stop)
            parts.append(part if district is None else part.where(table.c.district_code == district))
    return union_all(*parts).subquery("rows") if len(parts) > 1 else parts[0].subquery("rows")


def _sums(rows, key, counts, *, grid_owner: bool = False):
    query = select(key.label("key"), *(func.sum(rows.c[c.key]).label(c.key) for c in counts)).group_by(key)
    if grid_owner:
        query = query.select_from(rows.outerjoin(GridCell, GridCell.code == rows.c.key))
    return query


def count_rows(session: Session, period: Period, *, by: str, level: int, district: str | None) -> dict:
    """service.count_rows from the rollup: {slice value: {count: n}}, keys as the live path gives them."""
    queries = []
    if by == "grid_worker":
        for worker, dimension in WORKER_DIMENSIONS.items():
            counts = [c for c in ind.COUNTS if c.worker == worker]
            rows = source(period, dimension, district)
            key = GridCell.worker_id if worker == ind.GRID_OWNER else rows.c.key
            queries.append((counts, _sums(rows, key, counts, grid_owner=worker == ind.GRID_OWNER)))
    else:
        rows = source(period, by, district)
        key = func.substr(rows.c.key, 1, 2 * level) if by == "category" else rows.c.key
        queries.append((ind.COUNTS, _sums(rows, key, ind.COUNTS)))
    out: dict = {}
    for counts, query in queries:
        for row in session.execute(query):
            key = None if row.key in (None, "") else (int(row.key) if by in INTEGER_KEYS else row.key)
            values = out.setdefault(key, {k: 0 for k in COUNT_KEYS})
            for c in counts:
                values[c.key] += int(getattr(row, c.key))
    return out


def fact_source(session: Session):
    """The kept fact rows with the grid's worker now, shaped like service.facts."""
    table = CaseFacts.__table__
    return (select(*table.c, GridCell.worker_id.label("grid_worker_id"))
            .select_from(table.outerjoin(GridCell, GridCell.code == table.c.grid_code))
            .subquery("facts"))

