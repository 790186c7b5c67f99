"""The fast path: each case's facts kept as a row, and the counts per anchor day and slice
kept as signed rows that add up, both updated in the transaction of every case change.

An action calls `refresh` with the cases it changed: their old fact rows are subtracted
from the rollup (rows of −1 × their counts), replaced by the facts recomputed with the
live definition (service.facts), and added back. Rows are only ever appended, so
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
    delete,
    false,
    func,
    insert,
    literal,
    literal_column,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session

from civicloop.assess import indicators as ind
from civicloop.assess.models import STORED_DIMENSIONS, CaseFacts, Rollup, RollupState
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


def ready(session: Session) -> bool:
    return bool(session.scalar(select(RollupState.ready).where(RollupState.id == 1)))


def _day(session: Session, column):
    if session.get_bind().dialect.name == "sqlite":
        return func.date(column)
    return cast(column, Date)


def _contributions(session: Session, source, sign: int):
    """What the fact rows of `source` add to the rollup: one row per (day, dimension, key,
    district), each count summed on its own anchor's day, times `sign`. Constants are
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
                   *(literal_column(str(sign)) * func.sum(every.c[k]) for k in COUNT_KEYS))
            .group_by(every.c.day, every.c.dimension, every.c.key, every.c.district_code))


def _add(session: Session, source, sign, *, delta: bool):
    rows = _contributions(session, source, sign).subquery("rows")
    columns = ("day", "dimension", "key", "district_code", *COUNT_KEYS)
    return insert(Rollup).from_select((*columns, "delta"),
                                      select(*(rows.c[i] for i in range(len(columns))), true() if delta else false()))


_CACHE: dict[str, tuple] = {}


def _refresh_statements(session: Session) -> tuple:
    """Built once per dialect (the expressions are large): subtract the kept rows of the
    cases :ids, forget them, keep them recomputed, add them."""
    from civicloop.assess.service import facts

    dialect = session.get_bind().dialect.name
    if dialect not in _CACHE:
        table = CaseFacts.__table__
        ids = bindparam("ids", expanding=True)
        kept = select(table).where(table.c.id.in_(ids)).subquery("kept")
        live = facts(session, ids)
        _CACHE[dialect] = (_add(session, kept, -1, delta=True), delete(table).where(table.c.id.in_(ids)),
                           insert(table).from_select(FACT_COLUMNS, select(*(live.c[k] for k in FACT_COLUMNS))),
                           _add(session, kept, 1, delta=True))
    return _CACHE[dialect]


def refresh(session: Session, case_ids) -> None:
    """Bring the facts and rollup of these cases up to date; called in the transaction of
    the change (cases/service.py, cases/sweep.py)."""
    ids = sorted(set(case_ids))
    if not ids or not ready(session):
        return
    statements, connection = _refresh_statements(session), session.connection()
    for start in range(0, len(ids), REFRESH_CHUNK):
        for statement in statements:
            connection.execute(statement, {"ids": ids[start:start + REFRESH_CHUNK]})


def rebuild(session: Session, *, now: dt.datetime) -> int:
    """Recompute every case's facts and the whole rollup from the cases and their events."""
    from civicloop.assess.service import facts

    session.execute(delete(Rollup))
    session.execute(delete(CaseFacts))
    live = facts(session)
    session.execute(insert(CaseFacts).from_select(FACT_COLUMNS, select(*(live.c[k] for k in FACT_COLUMNS))))
    session.execute(_add(session, CaseFacts.__table__, 1, delta=False))
    state = session.get(RollupState, 1) or RollupState(id=1)
    state.ready, state.rebuilt_at = True, now
    session.add(state)
    session.flush()
    return session.scalar(select(func.count()).select_from(CaseFacts))


def compact(session: Session) -> int:
    """Fold the rows actions appended into one row per (day, dimension, key, district).
    Returns how many days were folded."""
    table = Rollup.__table__
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

def _sums(dimension: str, key, counts, period: Period, district: str | None, *, grid_owner: bool = False):
    table = Rollup.__table__
    query = (select(key.label("key"), *(func.sum(table.c[c.key]).label(c.key) for c in counts))
             .where(table.c.dimension == dimension, table.c.day >= period.start, table.c.day <= period.end)
             .group_by(key))
    if grid_owner:
        query = query.select_from(table.outerjoin(GridCell, GridCell.code == table.c.key))
    if district is not None:
        query = query.where(table.c.district_code == district)
    return query


def count_rows(session: Session, period: Period, *, by: str, level: int, district: str | None) -> dict:
    """service.count_rows from the rollup: {slice value: {count: n}}, keys as the live path gives them."""
    table = Rollup.__table__
    queries = []
    if by == "grid_worker":
        for worker, dimension in WORKER_DIMENSIONS.items():
            counts = [c for c in ind.COUNTS if c.worker == worker]
            key = GridCell.worker_id if worker == ind.GRID_OWNER else table.c.key
            queries.append((counts, _sums(dimension, key, counts, period, district,
                                          grid_owner=worker == ind.GRID_OWNER)))
    else:
        key = func.substr(table.c.key, 1, 2 * level) if by == "category" else table.c.key
        queries.append((ind.COUNTS, _sums(by, key, ind.COUNTS, period, district)))
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

