"""Assessment figures in SQL over `cases` and `case_events`: counts and rates for a period
and a slice, the cases behind any figure, rankings and the annual paragraph.

The definitions live in indicators.py; here each case is reduced to its facts (one row
per case, `facts`), and every count is `SUM(CASE WHEN <all its facts match> …)` over the
cases whose anchor date falls in the period — so a figure and the list of cases behind
it come from the same condition and always agree."""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from sqlalchemy import DateTime, and_, case, cast, func, literal, or_, select
from sqlalchemy.orm import Session

from civicloop.assess import indicators as ind
from civicloop.assess import rollup
from civicloop.assess.periods import Period
from civicloop.cases.lifecycle import TERMINAL, Rating, Role, State
from civicloop.cases.models import CHANNELS, Case, CaseEvent
from civicloop.categories.models import Category
from civicloop.departments.models import Department
from civicloop.errors import InvalidInput, NotFound
from civicloop.regions.models import GridCell, Region
from civicloop.users.models import User

# What a figure can be sliced by, and the column of the facts that says it.
DIMENSIONS = {
    "district": "district_code", "department": "lead_department_id", "street": "street_code",
    "community": "community_code", "grid": "grid_code", "category": "category_code", "channel": "channel",
    "grid_worker": None,  # the column depends on the count: indicators.Count.worker
}
DIMENSION_LABELS = {"district": "区", "department": "承办单位", "street": "街道", "community": "社区",
                    "grid": "网格", "category": "类别", "channel": "渠道", "grid_worker": "网格员"}
WORKER_COLUMNS = {ind.GRID_OWNER: "grid_worker_id", ind.REPORTER: "reporter_id", ind.VERIFIER: "verifier_id"}
CATEGORY_LEVELS = (1, 2, 3)
PAGE_MAX = 1000


@dataclass(frozen=True)
class Slice:
    """One value of a dimension: the cases of department 12, of street 420106001, …"""
    dimension: str
    key: str

    def __post_init__(self):
        check_dimension(self.dimension, "slice")


def check_dimension(name: str, field: str) -> str:
    if name not in DIMENSIONS:
        raise InvalidInput(field, f"unknown slice {name!r}; one of {', '.join(DIMENSIONS)}")
    return name


def check_indicator(key: str) -> str:
    if key not in ind.COUNT and key not in ind.RATE:
        raise InvalidInput("indicator", f"unknown indicator {key!r}; one of {', '.join(ind.INDICATORS)}")
    return key


# ---------------------------------------------------------------- one row of facts per case

def _flag(condition):
    return case((condition, 1), else_=0)


def _not_later(dialect: str, moment, due_text):
    """`moment` ≤ a time written in an event's JSON (ISO 8601): 1, else 0 (also when unknown)."""
    if dialect == "sqlite":  # julianday reads both the stored and the ISO form
        return _flag(func.julianday(moment) <= func.julianday(due_text))
    return _flag(moment <= cast(due_text, DateTime))


def facts(session: Session, ids=None):
    """A subquery with one row per case: its dimensions, anchor dates and 0/1 facts (of
    the cases `ids` only, a list or an expanding bind parameter, when given: rollup._refresh
    recomputes the cases an action changed)."""
    dialect = session.get_bind().dialect.name
    ev, c = CaseEvent.__table__, Case.__table__
    deadline = ev.c.changes["deadline"].as_string()
    check_deadline = ev.c.changes["check_deadline"].as_string()
    per_case = (
        select(
            ev.c.case_id,
            func.sum(_flag(ev.c.action == "return")).label("returns"),
            func.sum(_flag(ev.c.action == "approve_extension")).label("extensions"),
            func.min(case((ev.c.action == "dispatch", ev.c.at))).label("first_dispatch_at"),
            # The first step's deadline (立案 and 派遣 share it) is in the intake's event.
            func.max(case((ev.c.action == "report", deadline))).label("dispatch_due"),
            # The verification that closed the case, and the deadline the feedback before it set.
            func.max(case((and_(ev.c.action == "feedback", ev.c.at == c.c.fed_back_at), deadline))).label("verify_due"),
            func.max(case((and_(ev.c.action == "verify_pass", ev.c.at == c.c.closed_at), ev.c.actor_id))
                     ).label("verifier_id"),
            func.max(case((and_(ev.c.action == "verify_pass", ev.c.at == c.c.closed_at), ev.c.actor_role))
                     ).label("verifier_role"),
            # 核实: the first request's deadline (ISO text: the least is the earliest) and the first answer.
            func.min(case((ev.c.action == "request_check", check_deadline))).label("check_due"),
            func.min(case((ev.c.action == "check", ev.c.at))).label("first_check_at"),
            func.min(case((ev.c.action == "request_check", ev.c.at))).label("first_check_request_at"),
        )
        .join(c, c.c.id == ev.c.case_id)
        .where(ev.c.action.in_(("return", "approve_extension", "dispatch", "report", "feedback", "verify_pass",
                                "request_check", "check")),
               ev.c.case_id.in_(ids) if ids is not None else literal(True))
        .group_by(ev.c.case_id)
        .subquery("per_case")
    )
    terminal = tuple(s.value for s in TERMINAL)
    merged = c.c.merged_into_id.is_not(None)
    closed = and_(c.c.state == State.CLOSED.value, ~merged)
    opened = c.c.state.not_in(terminal)
    fed_back = or_(c.c.fed_back_at.is_not(None), c.c.rework_count > 0)
    overdue = c.c.overdue.is_(True)
    returns = func.coalesce(per_case.c.returns, 0)
    extensions = func.coalesce(per_case.c.extensions, 0)
    return (
        select(
            c.c.id, c.c.reported_at, c.c.closed_at, c.c.district_code, c.c.lead_department_id, c.c.street_code,
            c.c.community_code, c.c.grid_code, c.c.channel, Category.code.label("category_code"),
            GridCell.worker_id.label("grid_worker_id"), c.c.created_by_id.label("reporter_id"),
            per_case.c.verifier_id,
            _flag(merged).label("merged"),
            _flag(c.c.registered_at.is_not(None)).label("registered"),
            _flag(c.c.state == State.REJECTED.value).label("rejected"),
            _flag(c.c.dispatched_at.is_not(None)).label("dispatched"),
            _flag(closed).label("closed"),
            _flag(opened).label("open"),
            _flag(overdue).label("overdue"),
            _flag(or_(closed, and_(opened, overdue))).label("due"),
            _flag(fed_back).label("fed_back"),
            _flag(or_(fed_back, overdue)).label("handling_due"),
            _flag(c.c.fed_back_at.is_not(None)).label("replied"),
            _flag(c.c.rework_count > 0).label("reworked"),
            _flag(returns > 0).label("returned"),
            _flag(c.c.return_count > 0).label("wrongly_dispatched"),
            _flag(and_(c.c.return_count == 0, c.c.rework_count == 0, returns == 0)).label("first_time"),
            _flag(extensions > 0).label("extended"),
            extensions.label("extensions"),
            _flag(c.c.rating.is_not(None)).label("rated"),
            _flag(c.c.rating == Rating.SATISFIED.value).label("satisfied"),
            _flag(c.c.rating.in_((Rating.SATISFIED.value, Rating.BASICALLY_SATISFIED.value))
                  ).label("satisfied_or_basic"),
            _flag(c.c.channel == "patrol").label("patrol"),
            case((c.c.registered_at.is_(None), 0),
                 else_=_not_later(dialect, c.c.registered_at, per_case.c.dispatch_due)).label("registered_on_time"),
            case((per_case.c.first_dispatch_at.is_(None), 0),
                 else_=_not_later(dialect, per_case.c.first_dispatch_at, per_case.c.dispatch_due)
                 ).label("dispatched_on_time"),
            case((~closed, 0), else_=_not_later(dialect, c.c.closed_at, per_case.c.verify_due)
                 ).label("verified_on_time"),
            _flag(and_(closed, per_case.c.verifier_role == Role.GRID_WORKER.value)).label("verified_by_grid_worker"),
            _flag(per_case.c.check_due.is_not(None)).label("check_requested"),
            case((or_(per_case.c.first_check_at.is_(None), per_case.c.check_due.is_(None)), 0),
                 else_=_not_later(dialect, per_case.c.first_check_at, per_case.c.check_due)).label("checked_on_time"),
            # 派发核实 (受理员): the first request came before the first step's deadline.
            case((or_(per_case.c.first_check_request_at.is_(None), per_case.c.dispatch_due.is_(None)), 0),
                 else_=_not_later(dialect, per_case.c.first_check_request_at, per_case.c.dispatch_due)
                 ).label("check_requested_on_time"),
        )
        .select_from(c)
        .outerjoin(per_case, per_case.c.case_id == c.c.id)
        .outerjoin(Category, Category.id == c.c.category_id)
        .outerjoin(GridCell, GridCell.code == c.c.grid_code)
        .where(c.c.id.in_(ids) if ids is not None else literal(True))
        .subquery("facts")
    )


def _matches(f, count: ind.Count):
    return and_(*(f.c[name] == value for name, value in count.where.items()))


def _in_period(f, count: ind.Count, period: Period):
    column = f.c[count.anchor]
    return and_(column >= period.begins, column < period.ends)


def _column(f, dimension: str, count: ind.Count, level: int):
    if dimension == "district":
        return f.c.district_code
    if dimension == "grid_worker":
        return f.c[WORKER_COLUMNS[count.worker]]
    if dimension == "category":
        return func.substr(f.c.category_code, 1, 2 * level)
    return f.c[DIMENSIONS[dimension]]


def _slice_condition(f, where: Slice | None, count: ind.Count):
    if where is None:
        return literal(True)
    if where.dimension == "category":  # a category with all its sub-categories
        return f.c.category_code.like(where.key + "%")
    key = int(where.key) if where.dimension in ("department", "grid_worker") else where.key
    return _column(f, where.dimension, count, 1) == key


# ---------------------------------------------------------------- resolving what is asked

def resolve_slice(session: Session, dimension: str, ref: str, field: str = "slice") -> Slice:
    """A slice from what a user typed: a department's code or id, a street's or community's
    code, a grid cell, a category's code, path or name, a channel, a grid worker's username."""
    check_dimension(dimension, field)
    ref = (ref or "").strip()
    if not ref:
        raise InvalidInput(field, f"name the {dimension}")
    if dimension == "department":
        from civicloop.departments.service import get_department

        found = session.get(Department, int(ref)) if ref.isdigit() and len(ref) <= 9 else None
        return Slice(dimension, str((found or get_department(session, ref)).id))
    if dimension in ("district", "street", "community"):
        region = session.get(Region, ref)
        if region is None or region.level != dimension:
            raise NotFound(field, f"no {dimension} {ref!r}")
        return Slice(dimension, ref)
    if dimension == "grid":
        if session.get(GridCell, ref) is None:
            raise NotFound(field, f"no grid cell {ref!r}")
        return Slice(dimension, ref)
    if dimension == "category":
        from civicloop.categories.service import find_category

        return Slice(dimension, find_category(session, ref).code)
    if dimension == "channel":
        if ref not in CHANNELS:
            raise InvalidInput(field, f"unknown channel {ref!r}; one of {', '.join(CHANNELS)}")
        return Slice(dimension, ref)
    user = session.get(User, int(ref)) if ref.isdigit() and len(ref) <= 9 else None
    user = user or session.query(User).filter(User.username == ref).one_or_none()
    if user is None or user.role != Role.GRID_WORKER.value:
        raise NotFound(field, f"no grid worker {ref!r}")
    return Slice(dimension, str(user.id))


def _labels(session: Session, dimension: str, keys: list, level: int) -> dict:
    keys = [k for k in keys if k is not None]
    if not keys:
        return {}
    if dimension == "department":
        return dict(session.execute(select(Department.id, Department.name).where(Department.id.in_(keys))).all())
    if dimension in ("district", "street", "community"):
        return dict(session.execute(select(Region.code, Region.name).where(Region.code.in_(keys))).all())
    if dimension == "category":
        return dict(session.execute(select(Category.code, Category.name).where(Category.code.in_(keys))).all())
    if dimension == "channel":
        return {k: CHANNELS.get(k, k) for k in keys}
    if dimension == "grid_worker":
        return dict(session.execute(select(User.id, User.name).where(User.id.in_(keys))).all())
    return {k: k for k in keys}


# ---------------------------------------------------------------- the figures

@dataclass
class Figures:
    """The counts of one slice value, and the rates and score made from them."""
    key: str | None
    label: str
    counts: dict[str, int]

    @property
    def rates(self) -> dict[str, float | None]:
        return ind.rates_of(self.counts)


def _zero() -> dict[str, int]:
    return {c.key: 0 for c in ind.COUNTS}


def _groups(dimension: str | None, where: Slice | None) -> list[list[ind.Count]]:
    """Counts grouped and filtered by the same column run as one query (one in all, but by
    grid worker, where a count says whose it is)."""
    groups: dict[str | None, list[ind.Count]] = {}
    for count in ind.COUNTS:
        worker = count.worker if "grid_worker" in (dimension, where and where.dimension) else None
        groups.setdefault(worker, []).append(count)
    return list(groups.values())


def _sum(f, count: ind.Count, period: Period):
    value = f.c[count.measure] if count.measure else literal(1)
    return func.coalesce(func.sum(case((and_(_in_period(f, count, period), _matches(f, count)), value), else_=0)), 0)


def source(session: Session, *, live: bool = False):
    """The facts to count from: the rows kept by rollup.py when they are complete, else
    (or when `live`) recomputed from the cases and their events."""
    return facts(session) if live or not rollup.ready(session) else rollup.fact_source(session)


def count_rows(session: Session, period: Period, *, by: str = "district", level: int = 1,
               where: Slice | None = None, district: str | None = None, live: bool = False) -> dict:
    """{slice value: {count: n}} for the period; only values with a count above 0 appear
    (None: the cases without one, e.g. not yet dispatched). From the rollup when it is
    complete and no slice narrows the cases (`live`: recounted from the cases)."""
    check_dimension(by, "by")
    if level not in CATEGORY_LEVELS:
        raise InvalidInput("level", f"a category level is 1, 2 or 3, got {level!r}")
    if where is None and not live and rollup.ready(session):
        out = rollup.count_rows(session, period, by=by, level=level, district=district)
        return {key: counts for key, counts in out.items() if any(counts.values())}
    f = source(session, live=live)
    out: dict = {}
    for counts in _groups(by, where):
        key = _column(f, by, counts[0], level)
        anchors = {c.anchor: c for c in counts}.values()
        query = (select(key.label("key"), *(_sum(f, c, period).label(c.key) for c in counts))
                 .where(or_(*(_in_period(f, c, period) for c in anchors)), _slice_condition(f, where, counts[0]))
                 .group_by(key))
        if district is not None:
            query = query.where(f.c.district_code == district)
        for row in session.execute(query):
            values = out.setdefault(row.key, _zero())
            for c in counts:
                values[c.key] += int(getattr(row, c.key))
    return {key: counts for key, counts in out.items() if any(counts.values())}


def figures(session: Session, period: Period, *, by: str = "district", level: int = 1,
            where: Slice | None = None, district: str | None = None,
            live: bool = False) -> tuple[list[Figures], Figures]:
    """The figures of every slice value that has cases in the period (largest first), and
    the total over the whole slice — there, in zeros, when the period has none. Every case
    has one value of each dimension per count (or none: the row with key None), so the
    rows add up to the total."""
    rows = count_rows(session, period, by=by, level=level, where=where, district=district, live=live)
    # Summed column by column (each row's counts are in indicators.COUNTS's order): a grid has 11,000 rows.
    total_counts = dict(zip(ind.COUNT_KEYS, map(sum, zip(*(counts.values() for counts in rows.values()))))) \
        if rows else _zero()
    labels = _labels(session, by, list(rows), level)
    out = [Figures(None if key is None else str(key), labels.get(key) or _unknown(by, key), counts)
           for key, counts in rows.items()]
    out.sort(key=lambda r: (-r.counts["reported"], -r.counts["closed"], r.key or ""))
    return out, Figures(where.key if where else None, "合计", total_counts)


def months_of(period: Period) -> list[tuple[str, Period]]:
    """The period cut at month ends: ('YYYY-MM', the part of the period in that month)."""
    out, day = [], period.start
    while day <= period.end:
        following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        out.append((f"{day:%Y-%m}", Period(day, min(period.end, following - dt.timedelta(days=1)))))
        day = following
    return out


def monthly(session: Session, period: Period, *, by: str = "department", level: int = 1,
            district: str | None = None) -> dict[str, dict]:
    """{'YYYY-MM': count_rows of that month} over the months of the period (its first and
    last cut at its ends): the slice × month table of years in one read of the rollup
    (the rollup's rows of one dimension, grouped by month and key), when it is complete
    and the slice is not a grid worker (whose figures are three reads: count_rows)."""
    check_dimension(by, "by")
    if level not in CATEGORY_LEVELS:
        raise InvalidInput("level", f"a category level is 1, 2 or 3, got {level!r}")
    if by == "grid_worker" or not rollup.ready(session):
        return {label: count_rows(session, part, by=by, level=level, district=district)
                for label, part in months_of(period)}
    out: dict[str, dict] = {label: {} for label, _ in months_of(period)}
    for month, rows in rollup.monthly(session, period, by=by, level=level, district=district).items():
        out[month] = rows
    return out


def _unknown(dimension: str, key) -> str:
    return {"department": "（未派遣）", "grid_worker": "（无网格员）", "category": "（未分类）",
            "grid": "（未定位网格）", "street": "（未定位）", "community": "（未定位）"}.get(dimension, "—") \
        if key is None else str(key)


# ---------------------------------------------------------------- the cases behind a figure

@dataclass(frozen=True)
class CaseLine:
    id: int
    number: str
    title: str
    state: str
    channel: str
    reported_at: dt.datetime
    closed_at: dt.datetime | None
    lead_department: str | None
    overdue: bool
    in_numerator: bool  # of a rate: counted above the line too; of a count: always


@dataclass
class Behind:
    indicator: str
    label: str
    value: float | int | None
    numerator: int
    denominator: int | None  # None: the indicator is a count
    total: int               # cases in the list (a count's `extensions` is a sum: see docs)
    cases: list[CaseLine] = field(default_factory=list)


def _counted(f, count: ind.Count, period: Period, where: Slice | None, district: str | None):
    """The condition that puts a case in `count` for the period and slice."""
    condition = and_(_in_period(f, count, period), _matches(f, count), _slice_condition(f, where, count))
    return and_(condition, f.c.district_code == district) if district is not None else condition


def _rollup_figure(session: Session, period: Period, where: Slice | None, district: str | None) -> dict[str, int]:
    """Every count of one slice value over the period, summed from the rollup: the figure
    as the tables show it, read from a month's rows of one dimension, not its cases."""
    if where is None:
        rows = rollup.count_rows(session, period, by="district", level=1, district=district)
    else:
        level = len(where.key) // 2 if where.dimension == "category" else 1  # with all its sub-categories
        rows = rollup.count_rows(session, period, by=where.dimension, level=level, district=district, only=where.key)
    out = _zero()
    for counts in rows.values():
        for key, n in counts.items():
            out[key] += n
    return out


def _cases_of(count: ind.Count) -> str | None:
    """The count of the cases a summed count (批准延期次数) sums over, when there is one."""
    if count.measure is None:
        return count.key
    return next((c.key for c in ind.COUNTS if c.measure is None and
                 (c.where, c.anchor, c.worker) == (count.where, count.anchor, count.worker)), None)


def _disjoint(counts: list[ind.Count]) -> bool:
    """No case can be in two of these counts (each pair asks one fact for different values):
    the cases of their union are then the sum of the counts."""
    return all(any(name in b.where and b.where[name] != v for name, v in a.where.items())
               for i, a in enumerate(counts) for b in counts[i + 1:])


def cases_behind(session: Session, indicator: str, period: Period, where: Slice | None = None, *,
                 part: str | None = None, offset: int = 0, limit: int | None = None, after: int | None = None,
                 district: str | None = None, live: bool = False) -> Behind:
    """The cases behind one figure: a count's cases, or a rate's denominator cases each
    marked whether the numerator counts it too (`part` numerator: the numerator's cases
    only). Oldest first (by the figure's date, then id); `offset`/`limit` page through
    it, or `after` (the last case id of the page before) reads on from there through the
    date's index, as fast on the thousandth page as on the first. The figure and the
    list's length are the slice's counts in the rollup when it is complete (else counted
    from the cases), so a list of a million cases opens as fast as one of ten."""
    check_indicator(indicator)
    if part not in (None, "numerator", "denominator"):
        raise InvalidInput("part", f"numerator or denominator, got {part!r}")
    if offset < 0:
        raise InvalidInput("offset", "must be 0 or more")
    if limit is not None and not 0 < limit <= PAGE_MAX:
        raise InvalidInput("limit", f"between 1 and {PAGE_MAX}")
    f = source(session, live=live)
    rate = ind.RATE.get(indicator)
    if rate is None:
        above_counts = listed_counts = [ind.COUNT[indicator]]
        label = ind.COUNT[indicator].label
    else:
        above_counts, listed_counts = [ind.COUNT[rate.numerator]], [ind.COUNT[k] for k in rate.denominator]
        label = rate.label
    shown_counts = above_counts if part == "numerator" else listed_counts
    above, listed, shown = (or_(*(_counted(f, c, period, where, district) for c in counts))
                            for counts in (above_counts, listed_counts, shown_counts))
    fast = not live and rollup.ready(session) and (
        _cases_of(shown_counts[0]) if len(shown_counts) == 1 else _disjoint(shown_counts))
    if fast:
        figure = _rollup_figure(session, period, where, district)
        numerator = figure[above_counts[0].key]
        denominator = sum(figure[c.key] for c in listed_counts)
        total = sum(figure[_cases_of(c)] for c in shown_counts)
    else:
        value = f.c[above_counts[0].measure] if above_counts[0].measure else literal(1)
        totals = session.execute(select(func.coalesce(func.sum(case((above, value), else_=0)), 0).label("above"),
                                        func.coalesce(func.sum(_flag(listed)), 0).label("listed"),
                                        func.coalesce(func.sum(_flag(shown)), 0).label("shown"))
                                 .where(or_(above, listed))).one()
        numerator, denominator, total = int(totals.above), int(totals.listed), int(totals.shown)
    anchors = {c.anchor for c in shown_counts}
    order = [f.c[anchors.pop()], f.c.id] if len(anchors) == 1 else [f.c.id]
    if len(order) == 2:  # the date's range, said once: the index walks it in the list's order
        shown = and_(_in_period(f, shown_counts[0], period), shown)
    if after is not None:
        last = session.execute(select(*order).where(f.c.id == after)).first()
        if last is None or last[0] is None:
            raise InvalidInput("after", f"case {after} is not in this list")
        shown = and_(shown, order[0] >= last[0], or_(order[0] > last[0], f.c.id > after)) if len(order) == 2 \
            else and_(shown, f.c.id > after)
    page = []
    if total > (offset if after is None else 0):
        page = session.execute(select(f.c.id, _flag(above).label("above")).where(shown).order_by(*order)
                               .offset(offset).limit(limit)).all()
    value = numerator if rate is None else ind.rate_value(numerator, denominator)
    return Behind(indicator, label, value, numerator, None if rate is None else denominator, total,
                  _lines(session, [r.id for r in page], {r.id: bool(r.above) for r in page}))


def _lines(session: Session, ids: list[int], flags: dict[int, bool]) -> list[CaseLine]:
    if not ids:
        return []
    rows = session.execute(select(Case.id, Case.district_code, Case.reported_at, Case.title, Case.state, Case.channel,
                                  Case.closed_at, Case.overdue, Department.name.label("department"))
                           .outerjoin(Department, Department.id == Case.lead_department_id)
                           .where(Case.id.in_(ids))).all()
    position = {case_id: i for i, case_id in enumerate(ids)}
    rows.sort(key=lambda r: position[r.id])  # the page's order
    return [CaseLine(r.id, f"{r.district_code}-{r.reported_at:%Y%m%d}-{r.id:06d}", r.title, r.state, r.channel,
                     r.reported_at, r.closed_at, r.department, bool(r.overdue), flags[r.id]) for r in rows]


# ---------------------------------------------------------------- rankings

@dataclass
class Ranked:
    rank: int
    figures: Figures
    score: ind.Score
    cases: int           # registered cases: the sample the score stands on
    small_sample: bool


RANKED_BY = ("department", "street")


def ranking(session: Session, period: Period, *, by: str = "department", weights: dict[str, float] | None = None,
            district: str | None = None) -> list[Ranked]:
    """Units ranked on the lower bound of their 综合指标值's 95 % interval (indicators.score),
    then on the number of cases: a unit with a few perfect cases ranks below one with many
    nearly perfect ones. Units without a department or place are left out."""
    if by not in RANKED_BY:
        raise InvalidInput("by", f"rankings are by {' or '.join(RANKED_BY)}, got {by!r}")
    rows, _ = figures(session, period, by=by, district=district)
    return rank([r for r in rows if r.key is not None], weights)


def rank(rows: list[Figures], weights: dict[str, float] | None = None) -> list[Ranked]:
    weights = ind.check_weights(dict(weights)) if weights is not None else ind.DEFAULT_WEIGHTS
    scored = [(r, ind.score(r.counts, weights)) for r in rows]
    scored.sort(key=lambda item: (-item[1].low, -item[0].counts["registered"], item[0].key or ""))
    return [Ranked(i, r, s, r.counts["registered"], r.counts["registered"] < ind.SMALL_SAMPLE)
            for i, (r, s) in enumerate(scored, start=1)]


# ---------------------------------------------------------------- the worst overdue cases

def worst_overdue(session: Session, period: Period, *, limit: int = 10, district: str | None = None,
                  now: dt.datetime) -> list[dict]:
    """Open overdue cases of the period, longest past their handling deadline first."""
    query = (select(Case.id, Case.district_code, Case.reported_at, Case.title, Case.state, Case.handle_deadline,
                    Case.supervision_count, Case.escalation_level, Department.name.label("department"))
             .outerjoin(Department, Department.id == Case.lead_department_id)
             .where(Case.overdue.is_(True), Case.state.not_in(tuple(s.value for s in TERMINAL)),
                    Case.merged_into_id.is_(None), Case.reported_at >= period.begins, Case.reported_at < period.ends)
             .order_by(Case.handle_deadline.asc().nulls_last(), Case.id).limit(limit))
    if district is not None:
        query = query.where(Case.district_code == district)
    return [{"id": r.id, "number": f"{r.district_code}-{r.reported_at:%Y%m%d}-{r.id:06d}", "title": r.title,
             "state": r.state, "department": r.department, "handle_deadline": r.handle_deadline,
             "days_late": round((now - r.handle_deadline).total_seconds() / 86400, 1) if r.handle_deadline else None,
             "supervision_count": r.supervision_count, "escalation_level": r.escalation_level}
            for r in session.execute(query)]


# ---------------------------------------------------------------- 讲评: the period's review

# The figures a 讲评 leads with, in the order it reads them.
HEADLINE = ("reported", "registered", "closed", "closure_rate", "on_time_closure_rate", "on_time_handling_rate",
            "rework_rate", "reply_rate", "first_contact_rate", "satisfaction_rate", "satisfaction_broad_rate",
            "overdue_open", "returned", "wrongly_dispatched", "extended")
HOT_TOPICS = 10


@dataclass
class Change:
    key: str
    label: str
    now: float | int | None
    before: float | int | None

    @property
    def is_rate(self) -> bool:
        return self.key in ind.RATE

    @property
    def delta(self) -> float | int | None:
        """Counts: the difference; rates: percentage points."""
        if self.now is None or self.before is None:
            return None
        return 100 * (self.now - self.before) if self.is_rate else self.now - self.before


@dataclass
class Review:
    period: Period
    previous: Period
    district_code: str | None
    district_name: str
    made_at: dt.datetime
    total: Figures
    before: Figures
    headline: list[Change]
    departments: list[Figures]
    streets: list[Figures]
    channels: list[Figures]
    categories: list[Figures]
    department_ranking: list[Ranked]
    street_ranking: list[Ranked]
    worst_overdue: list[dict]
    hot: list[dict] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)


def label_of(key: str) -> str:
    return ind.RATE[key].label if key in ind.RATE else ind.COUNT[key].label


def only_district(session: Session, district: str | None) -> tuple[str | None, str]:
    """The district asked for, or the database's only one."""
    if district is not None:
        region = session.get(Region, district)
        if region is None or region.level != "district":
            raise NotFound("district", f"no district {district!r}")
        return district, region.name
    found = session.execute(select(Region.code, Region.name).where(Region.level == "district").limit(2)).all()
    if len(found) == 1:
        return found[0].code, found[0].name
    if not found:
        return None, "全区"
    raise InvalidInput("district", "this database holds several districts: name one")


def review(session: Session, period: Period, *, now: dt.datetime, district: str | None = None,
           weights: dict[str, float] | None = None, worst: int = 10, hot: bool = True) -> Review:
    """The 讲评 of a period: its figures against the period before, by department, street,
    channel and category, the rankings, the longest-overdue open cases and (unless `hot` is
    False: grouping a month of cases into topics takes seconds) the hot issues."""
    code, name = only_district(session, district)
    previous = period.previous()
    _, total = figures(session, period, district=code)
    _, before = figures(session, previous, district=code)
    now_values = {**total.counts, **total.rates}
    before_values = {**before.counts, **before.rates}
    headline = [Change(k, label_of(k), now_values[k], before_values[k]) for k in HEADLINE]
    departments = figures(session, period, by="department", district=code)[0]
    streets = figures(session, period, by="street", district=code)[0]
    return Review(
        period=period, previous=previous, district_code=code, district_name=name, made_at=now, total=total,
        before=before, headline=headline, departments=departments, streets=streets,
        channels=figures(session, period, by="channel", district=code)[0],
        categories=figures(session, period, by="category", level=1, district=code)[0],
        department_ranking=rank([r for r in departments if r.key is not None], weights),
        street_ranking=rank([r for r in streets if r.key is not None], weights),
        worst_overdue=worst_overdue(session, period, limit=worst, district=code, now=now),
        hot=hot_issues(session, period, district=code, now=now) if code and hot else [],
        gaps=[] if code and hot else ["热点问题：本报告未含（未要求，或库中没有区）"])


def hot_issues(session: Session, period: Period, *, district: str, now: dt.datetime) -> list[dict]:
    """The period's hot issues (热点问题) as hot/ finds them: its topics of the district's
    cases reported in the period (up to now), hottest first."""
    from civicloop.cases.lifecycle import Actor
    from civicloop.hot.service import MAX_DAYS, hot_cases

    until = min(period.ends - dt.timedelta(microseconds=1), now)  # hot/ takes cases up to `until`, included
    if until <= period.begins:
        return []
    days = min(MAX_DAYS, math.ceil((until - period.begins).total_seconds() / 86400))  # hot/ counts whole days
    found = hot_cases(session, Actor(user_id=None, role=Role.ASSESSOR), district_code=district, days=days,
                      top=HOT_TOPICS, until=until)
    return [{"title": t.title, "place": t.place, "reports": t.heat.reports, "reporters": t.heat.reporters,
             "heat": round(t.heat.index, 2), "first_at": t.first_at, "last_at": t.last_at,
             "case_ids": [int(ref) for ref in t.refs]} for t in found.topics]


# ---------------------------------------------------------------- the work report's paragraph

def percent(value: float | None) -> str:
    """A rate as the reports write it: 93.72%; “—” when there is nothing to divide by."""
    return "—" if value is None else f"{100 * value:.2f}%"


def annual_paragraph(session: Session, district: str | None, year: int) -> str:
    """The year's figures in the words of a work report's review section, every number from
    the data (the indicators of docs/indicators.md over the calendar year)."""
    from civicloop.assess.periods import year as year_period

    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise InvalidInput("year", f"a year between 2000 and 2100, got {year!r}")
    code, name = only_district(session, district)
    period = year_period(year)
    _, total = figures(session, period, district=code)
    c, r = total.counts, total.rates
    if c["reported"] == 0 and c["closed"] == 0:
        return f"{year}年，{name}未受理群众诉求。"
    channels = [f"{row.label}{row.counts['reported']}件"
                for row in figures(session, period, by="channel", district=code)[0] if row.counts["reported"]]
    largest = [f"{row.label}{row.counts['reported']}件"
               for row in figures(session, period, by="category", level=1, district=code)[0][:3]
               if row.counts["reported"]]
    text = (f"{year}年，{name}全年受理群众诉求{c['reported']}件，其中{'、'.join(channels)}；"
            f"立案{c['registered']}件，办结{c['closed']}件，结案率{percent(r['closure_rate'])}，"
            f"按期办结率{percent(r['on_time_closure_rate'])}，办复率{percent(r['reply_rate'])}，"
            f"一次解决率{percent(r['first_contact_rate'])}，群众满意率{percent(r['satisfaction_rate'])}"
            f"（满意和基本满意率{percent(r['satisfaction_broad_rate'])}）。")
    if largest:
        text += f"诉求较多的是{'、'.join(largest)}。"
    return text
