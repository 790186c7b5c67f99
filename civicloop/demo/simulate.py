"""`civicloop demo`: a real district with weeks of simulated traffic, played through the
service layer.

Every change is a real transaction (civicloop.db.transaction + service.create_case /
service.act) at a simulated `now`, taken from one queue ordered by simulated time; the
sweep runs every simulated hour of the day. Each case gets its fate when it arrives (a
`Plan`: rejected, merged, returned, extended, suspended, handled jointly, reworked, late,
supervised, rated …) and then walks its steps one at a time, each scheduled when the one
before it has happened. Staff act in office hours on the official calendar; cases whose
category counts natural hours (违法建设, 突发事件) are handled around the clock by the
duty staff. A refused action means the simulation asked for something the rules forbid:
it is counted and shown, never hidden.
"""
from __future__ import annotations

import datetime as dt
import heapq
import itertools
import math
import random
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import shapely
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import Engine, make_url

from civicloop import migrate
from civicloop.assess.rollup import catch_up as catch_up_rollup
from civicloop.assess.rollup import compact as compact_rollup
from civicloop.cases import service
from civicloop.cases.lifecycle import ESCALATION_LEVELS, OPEN, Actor, Role, State
from civicloop.cases.models import CHANNELS, Case, CaseEvent
from civicloop.cases.sweep import sweep
from civicloop.categories.service import effective_limits, find_category, import_builtin, list_categories
from civicloop.commitments.demo import DISTRICT as TRACKED_DISTRICT, play_year
from civicloop.db import Base, engine_for, make_engine, transaction
from civicloop.addresses.generate import nameable, written_form
from civicloop.addresses.service import generate_demo_registry
from civicloop.demo.messages import LANDMARKS, PATROL_FINDINGS, CategoryMatcher, load_messages
from civicloop.demo.people import AccountGroup, People, accounts, create_people, fake_name, fake_phone
from civicloop.departments import routing
from civicloop.departments.models import Department
from civicloop.departments.seed import seed_district
from civicloop.errors import CalendarUnknown, CivicloopError, Conflict, InvalidInput
from civicloop.regions.models import GridCell, Region
from civicloop.regions.service import init_district
from civicloop.settings import local_now
from civicloop.sla.service import load_calendar
from civicloop.users.models import User

DEFAULT_DISTRICT = "420106"  # 武汉市武昌区
# Shares of the channels among new cases (12345 hotline, web board, app, grid patrol,
# petitions, supervision orders, leaders' instructions).
CHANNEL_MIX = {"hotline": 0.45, "web": 0.25, "app": 0.08, "patrol": 0.14, "petition": 0.03,
               "supervision": 0.03, "instruction": 0.02}
CITIZEN_CHANNELS = ("hotline", "web", "app", "petition")  # a reporter to call back and to rate
OFFICE_CHANNELS = ("petition", "supervision", "instruction")  # arrive in office hours on workdays
WEEKEND_SHARE = 0.4  # of a workday's traffic on a rest day
# Relative arrivals per hour of the day: 12345 and the web never close, with peaks at 10 and 15.
DAY_CURVE = (0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1.2, 2.5, 3.5, 3.5, 3.0,
             2.0, 2.0, 3.0, 3.2, 3.0, 2.5, 2.0, 1.8, 1.6, 1.2, 0.8, 0.5)
PATROL_CURVE = tuple(3.0 if 8 <= h < 12 or 14 <= h < 18 else 0.0 for h in range(24))  # twice a day
OFFICE_CURVE = tuple(3.0 if 9 <= h < 12 or 14 <= h < 17 else 0.0 for h in range(24))

# How often each path happens (the share of cases that reach the step).
P = dict(
    address_only=0.05,    # a caller who can only name the place: no point, no grid cell
    duplicate=0.045,      # a second report of an open case: 合并
    reject=0.065,         # of citizens' reports: 不予立案
    miscategorised=0.03,  # taken in under a wrong category, put right (改类) at the first look
    merge_registered=0.3, # of duplicates: noticed only after 立案
    returned=0.085,       # of dispatched cases: 退回 …
    return_approved=0.55, # … approved and re-dispatched, else refused
    extension=0.085,      # of accepted cases: 延期 …
    extension_approved=0.65,
    suspend=0.035,        # 挂起 and later 恢复
    joint=0.055,          # 联办 with 1–2 assisting departments
    rework=0.075,         # 返工 at verification
    late=0.14,            # slow handlers: feedback after the deadline
    supervise_late=0.25,  # of late cases: 督办
    supervise_petition=0.35,
    comment=0.04,         # of citizens' cases: the reporter calls again with more detail (补充说明)
    check=0.15,           # of located citizens' reports: the grid's worker checks on site first (核实)
    grid_verify=0.7,      # of located cases: the grid worker checks on site (核查), else the dispatcher
    rated=0.9,            # of closed citizens' cases: reached on the callback (回访)
    account_app=0.3,      # of app reports: by a registered citizen, who rates in the app
    reopen=0.5,           # of 不满意: 重办
)
RATINGS = (("satisfied", 0.70), ("basic", 0.18), ("dissatisfied", 0.12))
# Delays in hours of the case's basis, drawn uniformly, as (low, high).
DELAY = dict(accept=(0.2, 4.0), return_=(0.5, 6.0), decide_return=(0.5, 6.0), redispatch=(0.2, 1.0),
             decide_extension=(0.5, 4.0), verify=(0.5, 6.0), check=(0.2, 1.5), rate=(4.0, 14.0), reopen=(1.0, 8.0))
# A category with a short limit (暴露垃圾: 2 h) is taken up at once: these delays are also
# kept within a small share of the handling limit.
QUICK_ON_SHORT_LIMITS = frozenset({"accept", "return_", "decide_return", "redispatch", "decide_extension"})
EXTENSION_HOURS = (8, 16, 24, 40)
# Cases reported in the last two working days are partly left where they stand, deepest
# state first, so that every open state has cases to look at when the demo ends.
TAIL_WORKDAYS = 2
TAIL_EVERY = 4
TAIL_STATES = (State.VERIFYING, State.SUSPENDED, State.HANDLING, State.RETURN_REQUESTED, State.DISPATCHED,
               State.REGISTERED, State.REPORTED)
SWEEP_HOURS = range(7, 23)  # the sweep runs on the hour during the day
EXTENSION_MAX = max(EXTENSION_HOURS)

REJECT_REASONS = ("不属于本区受理范围，已告知反映人向有权机关反映", "诉求内容不明确，多次联系反映人未果",
                  "该事项已进入司法程序，不予立案", "咨询类诉求，已当场解答")
RETURN_REASONS = ("经核实该事项不属于我单位职责范围，请重新派遣", "涉及属地管理事项，应由街道办理")
REFUSE_RETURN_REASONS = ("经核实属你单位职责，请按时办理", "按照职责清单属你单位办理事项")
EXTENSION_REASONS = ("涉及多部门协调，需延期办理", "需等待第三方检测结果", "施工需待天气转好")
REFUSE_EXTENSION_REASONS = ("延期理由不充分，请按时办结",)
SUSPEND_REASONS = ("等待产权单位提供资料", "反映人外出，需待其返回后现场核实")
ASSIST_NOTES = ("已配合主办单位现场核查", "已派员协助处置完毕")
FEEDBACK_NOTES = ("经现场核实，已安排人员处理完毕，并与反映人沟通", "问题已整改到位，附处理前后照片",
                  "已约谈相关责任单位，限期整改完成", "已向反映人详细解释相关政策")
CHECK_NOTES = ("现场核实，情况属实", "现场核实，问题存在，已拍照留存")
VERIFY_FAIL_NOTES = ("现场核查问题未解决，请重新处置", "整改不到位，反映人仍有意见")
SUPERVISE_NOTES = ("请加快办理，按期办结", "群众反映强烈，请主要负责人过问")
COMMENT_NOTES = ("市民来电补充：问题在晚间更为严重", "市民来电补充：现场已有安全隐患，请尽快处理",
                 "市民来电补充：具体位置在小区东门附近")
REOPEN_NOTES = ("群众回访不满意，重新办理",)


@dataclass
class Plan:
    """A case's fate, decided when it arrives."""
    reject: bool = False
    taken_as: int | None = None          # the wrong category it came in under: 改类 to the right one
    master: "Sim | None" = None          # a duplicate of this earlier case: 合并
    merge_registered: bool = False
    returned: str | None = None          # approve | refuse | pending
    extension: str | None = None         # approve | refuse
    suspend: bool = False
    joint: bool = False
    rework: bool = False
    late: bool = False
    supervise: bool = False
    comment: bool = False
    check: bool = False                  # 派核实 to the grid's worker before the first look
    escalate: bool = False               # a leader's instruction goes up a level at once
    rated: bool = False
    stop_at: State | None = None         # left in this state at the end


@dataclass
class Sim:
    """The simulation's view of one case."""
    id: int
    channel: str
    title: str
    body: str
    basis: str
    dispatch_hours: float
    category_id: int
    grid_code: str | None
    community_code: str | None
    street_code: str | None
    reported_at: dt.datetime
    plan: Plan
    handle_hours: float | None = None    # known once dispatched
    rater: Actor | None = None           # who rates it: the citizen's account, else the operator
    state: str = State.REPORTED.value
    lead: int | None = None
    assisting: tuple[int, ...] = ()
    returned: bool = False
    reworked: bool = False
    reopened: bool = False
    checked: bool = False
    agenda: deque = field(default_factory=deque)  # (time, step, kwargs), in time order
    queued: bool = False                 # the agenda's head waits in the queue
    running: bool = False
    last: dt.datetime | None = None      # of its latest action


@dataclass
class DemoSummary:
    district_code: str
    district_name: str
    period_start: dt.datetime
    period_end: dt.datetime
    period_note: str
    cell_area_m2: float
    cells: int
    departments: int
    users: int
    cases: int
    actions: int                          # lifecycle actions taken (service.act)
    sweeps: int
    by_channel: dict[str, int]
    by_state: dict[str, int]
    yellow: int                           # open cases yellow now
    red: int                              # open cases red now
    overdue: int                          # cases ever past their handling deadline
    escalated: int                        # cases above the grid level
    events_by_action: dict[str, int]
    ratings: dict[str, int]
    refused: int
    refusals: list[str]
    merge_fallbacks: int                  # duplicates registered because their case had closed meanwhile
    examples: dict[str, str]              # what to look at -> a case number
    setup_seconds: float
    simulate_seconds: float
    accounts: list[AccountGroup]
    tracked: dict[str, int] = field(default_factory=dict)  # the year's targets and 实事 by status (commitments/)

    @property
    def cases_per_s(self) -> float:
        return self.cases / self.simulate_seconds if self.simulate_seconds else 0.0

    @property
    def actions_per_s(self) -> float:
        return self.actions / self.simulate_seconds if self.simulate_seconds else 0.0


Progress = Callable[[str, float], None]  # (what, fraction done)
SETUP_SHARE = 0.2  # of the progress bar: building the district; the rest is the simulation


# ---------------------------------------------------------------- the database

def _url(target: Engine | str) -> str:
    return target.url.render_as_string(hide_password=False) if isinstance(target, Engine) else target


def _sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def reset_database(target: Engine | str) -> None:
    """--fresh: delete the SQLite file, or drop and recreate the PostgreSQL schema (tables,
    and the functions of triggers with them)."""
    url = _url(target)
    path = _sqlite_file(url)
    if path is not None:
        if isinstance(target, Engine):
            target.dispose()
        engine_for(url).dispose()  # the migration's pooled connections to the old file
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    engine = target if isinstance(target, Engine) else make_engine(url)
    with engine.begin() as conn:
        schema = conn.dialect.identifier_preparer.quote(conn.scalar(text("SELECT current_schema()")))
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))


def check_empty(engine: Engine) -> None:
    """Refuse a database that holds anything: the demo never mixes with real data."""
    with engine.connect() as conn:
        # Our own tables only: SQLite's full-text index keeps rows of its own even when empty.
        # assess_rollup_state is filled by its migration: its one row is no one's data.
        tables = [t for t in inspect(conn).get_table_names()
                  if t in Base.metadata.tables and t != "assess_rollup_state"]
        filled = [t for t in tables if conn.execute(text(f'SELECT 1 FROM "{t}" LIMIT 1')).first()]
    if filled:
        where = engine.url.render_as_string(hide_password=True)
        raise Conflict("database", f"{where} is not empty (tables {', '.join(sorted(filled)[:5])} hold rows); "
                                   "the demo builds its own district: run it with --fresh to delete everything "
                                   "in this database first, or point CIVICLOOP_DATABASE_URL at another one")


# ---------------------------------------------------------------- the period

def _horizon_hours(session) -> float:
    """Working hours after the last simulated moment that deadlines may still reach."""
    longest = max(effective_limits(session, c.id).handle_hours for c in list_categories(session))
    return longest + EXTENSION_MAX + 8


def choose_period(session, end: dt.datetime, weeks: int) -> tuple[dt.datetime, dt.datetime, str]:
    """The `weeks` weeks ending at `end` when the calendar knows every day they (and their
    deadlines) touch; else the last such weeks the calendar knows."""
    cal = load_calendar(session)
    horizon = _horizon_hours(session)

    def known(moment: dt.datetime) -> bool:
        try:
            cal.add(moment, horizon, "working")
            cal.is_workday(moment.date() - dt.timedelta(weeks=weeks))
            return True
        except CalendarUnknown:
            return False

    note = "ending now"
    if not known(end):
        year = end.year
        while year > 1900 and cal.year_status(year) == "unknown":
            year -= 1
        end = dt.datetime(year, 12, 31, 18, 0)
        while not known(end):
            end -= dt.timedelta(days=1)
        note = (f"the official calendar does not know {year + 1} yet, where deadlines of these weeks would "
                f"fall (`civicloop calendar import` adds it): the last {weeks} weeks it knows")
    start = dt.datetime.combine(end.date() - dt.timedelta(days=7 * weeks - 1), dt.time())
    return start, end, note


# ---------------------------------------------------------------- the world

@dataclass
class World:
    district_code: str
    district_name: str
    cells: list[tuple[str, str, str]]                 # (code, community code, GeoJSON)
    names: dict[str, str]                             # region code -> name
    offices: dict[str, int]                           # street/community code -> its office's department id
    bureaus: list[int]
    department_names: dict[int, str]
    people: People
    matcher: CategoryMatcher
    patrol: list[tuple[int, int, tuple[str, ...]]]    # (category id, weight, descriptions)
    cell_area_m2: float
    addresses: list[dict]                             # registered addresses callers name (addresses/)


def build_world(session, district_code: str, cell_area_m2: float | None, rng: random.Random,
                progress: Progress | None) -> World:
    def step(what: str, share: float) -> None:
        if progress:
            progress(what, share * SETUP_SHARE)

    summary = init_district(session, district_code, cell_area_m2=cell_area_m2,
                            progress=lambda what, done, total: step(f"district: {what}", 0.6 * done / total))
    step("categories, departments", 0.7)
    import_builtin(session)
    seed_district(session, district_code)
    generate_demo_registry(session, district_code)  # generated demo addresses, not surveyed
    step("accounts, grid workers", 0.8)
    people = create_people(session, district_code, rng)
    cells = [tuple(r) for r in session.execute(select(GridCell.code, GridCell.community_code, GridCell.geometry)
                                               .where(GridCell.district_code == district_code)
                                               .order_by(GridCell.code))]
    names = dict(session.execute(select(Region.code, Region.name).where(Region.district_code == district_code)).all())
    departments = session.scalars(select(Department).where(Department.district_code == district_code)).all()
    city = find_category(session, "数字城管")
    patrol = [(find_category(session, f"{city.name}/{path}").id, weight, texts)
              for path, weight, texts in PATROL_FINDINGS]
    return World(district_code=district_code, district_name=summary.full_name, cells=cells, names=names,
                 offices={d.region_code: d.id for d in departments if d.region_code},
                 bureaus=[d.id for d in departments if d.kind == "bureau"],
                 department_names={d.id: d.name for d in departments}, people=people,
                 matcher=CategoryMatcher(list_categories(session)), patrol=patrol,
                 cell_area_m2=summary.cell_area_m2, addresses=nameable(session, district_code))


# ---------------------------------------------------------------- the simulation

def _second(moment: dt.datetime) -> dt.datetime:
    """Whole seconds, rounded up: event times read cleanly and never go backwards."""
    return moment if not moment.microsecond else moment.replace(microsecond=0) + dt.timedelta(seconds=1)


NEVER = dt.datetime(9000, 1, 1)
MASTER_STATES = frozenset({"registered", "dispatched", "handling", "return_requested", "suspended"})


class Simulation:
    def __init__(self, engine: Engine, world: World, rng: random.Random, start: dt.datetime, end: dt.datetime,
                 per_day: float, calendar, progress: Progress | None):
        self.engine, self.world, self.rng = engine, world, rng
        self.start, self.end, self.per_day = start, end, per_day
        self.cal = calendar
        self.progress = progress
        self.queue: list = []
        self.counter = itertools.count()
        self.messages = load_messages()
        self.cell_geojson = {code: geojson for code, _, geojson in world.cells}
        self.geometries: dict[str, object] = {}
        self.recent: deque[Sim] = deque(maxlen=300)  # cases a duplicate report may repeat
        self.tail_start = self._tail_start()
        self.tail_seen = 0
        self.cases = self.actions = self.sweeps = self.merge_fallbacks = 0
        self.refusals: list[str] = []

    # --- time ---------------------------------------------------------------------

    def after(self, moment: dt.datetime, hours: float, basis: str = "working") -> dt.datetime:
        """`hours` of `basis` after `moment`: working hours land in office hours, when staff act.
        Past the end nothing happens, so a step the calendar cannot place yet is simply never."""
        if moment > self.end:
            return moment
        try:
            return _second(self.cal.add(moment, hours, basis))
        except CalendarUnknown:
            return NEVER

    def delay(self, sim: Sim, moment: dt.datetime, key: str) -> dt.datetime:
        hours = self.rng.uniform(*DELAY[key])
        if key in QUICK_ON_SHORT_LIMITS and sim.handle_hours:
            hours = min(hours, self.rng.uniform(0.05, 0.2) * sim.handle_hours)
        return self.after(moment, hours, sim.basis)

    def _tail_start(self) -> dt.datetime:
        day, seen = self.end.date(), 0
        while day > self.start.date():
            seen += self.cal.is_workday(day)
            if seen == TAIL_WORKDAYS:
                break
            day -= dt.timedelta(days=1)
        return dt.datetime.combine(day, dt.time())

    # --- the queue ----------------------------------------------------------------

    def push(self, moment: dt.datetime, fn, *args) -> None:
        heapq.heappush(self.queue, (moment, next(self.counter), fn, args))

    def later(self, sim: Sim, moment: dt.datetime, step: str, **kw) -> None:
        """Put a step on the case's agenda; only the agenda's head waits in the queue, so a
        case's steps happen one after another, each after the one before."""
        previous = sim.agenda[-1][0] if sim.agenda else sim.last
        if moment <= previous:  # a step that waited for the one before follows it shortly
            moment = self.after(previous, self.rng.uniform(0.05, 0.5), sim.basis)
        sim.agenda.append((moment, step, kw))
        if not sim.queued and not sim.running:
            self.push(moment, self._run_step, sim)
            sim.queued = True

    def _run_step(self, sim: Sim) -> None:
        sim.queued, sim.running = False, True
        moment, step, kw = sim.agenda.popleft()
        getattr(self, "_" + step)(sim, moment, **kw)
        sim.running = False
        if sim.agenda:
            self.push(sim.agenda[0][0], self._run_step, sim)
            sim.queued = True

    def run(self) -> None:
        self._schedule_arrivals()
        day = self.start.date()
        while day <= self.end.date():
            for hour in SWEEP_HOURS:
                moment = dt.datetime.combine(day, dt.time(hour))
                self.push(moment, self._sweep, moment)
            day += dt.timedelta(days=1)
        self.push(self.end, self._sweep, self.end)
        span = max((self.end - self.start).total_seconds(), 1)
        done = 0
        while self.queue and self.queue[0][0] <= self.end:
            moment, _, fn, args = heapq.heappop(self.queue)
            fn(*args)
            done += 1
            if self.progress and done % 50 == 0:
                elapsed = (moment - self.start).total_seconds() / span
                self.progress(f"simulating {moment:%Y-%m-%d %H:%M}", SETUP_SHARE + (1 - SETUP_SHARE) * elapsed)

    def _sweep(self, now: dt.datetime) -> None:
        sweep(self.engine, now=now)
        self.sweeps += 1

    # --- arrivals -----------------------------------------------------------------

    def _schedule_arrivals(self) -> None:
        day = self.start.date()
        while day <= self.end.date():
            workday = self.cal.is_workday(day)
            for channel, share in CHANNEL_MIX.items():
                if channel in OFFICE_CHANNELS and not workday:
                    continue
                mean = share * self.per_day * (1 if workday else WEEKEND_SHARE)
                curve = (OFFICE_CURVE if channel in OFFICE_CHANNELS
                         else PATROL_CURVE if channel == "patrol" else DAY_CURVE)
                for _ in range(self._poisson(mean)):
                    hour = self.rng.choices(range(24), weights=curve)[0]
                    moment = dt.datetime.combine(day, dt.time(hour)) + dt.timedelta(seconds=self.rng.randrange(3600))
                    if self.start <= moment <= self.end:
                        self.push(moment, self._arrive, channel, moment)
            day += dt.timedelta(days=1)

    def _poisson(self, mean: float) -> int:
        if mean > 50:  # the normal approximation; Knuth's method below underflows
            return max(0, round(self.rng.gauss(mean, math.sqrt(mean))))
        limit, k, p = math.exp(-mean), 0, 1.0
        while True:
            p *= self.rng.random()
            if p <= limit:
                return k
            k += 1

    def _point_in(self, cell_code: str) -> tuple[float, float]:
        geom = self.geometries.get(cell_code)
        if geom is None:
            geom = self.geometries[cell_code] = shapely.from_geojson(self.cell_geojson[cell_code])
        x0, y0, x1, y1 = geom.bounds
        for _ in range(30):
            x, y = round(self.rng.uniform(x0, x1), 6), round(self.rng.uniform(y0, y1), 6)
            if shapely.contains_xy(geom, x, y):
                return x, y
        point = geom.representative_point()  # a sliver at the district's edge
        return round(point.x, 6), round(point.y, 6)

    def _place(self, community: str) -> str:
        names = self.world.names
        return f"{names.get(community[:9], '')}{names.get(community, '')}{self.rng.choice(LANDMARKS)}"

    def _duplicate_of(self, now: dt.datetime) -> Sim | None:
        """An open case reported in the last days, for a second report of the same matter."""
        if self.rng.random() >= P["duplicate"] or not self.recent:
            return None
        for _ in range(5):
            sim = self.rng.choice(self.recent)
            if sim.state in MASTER_STATES and sim.reported_at > now - dt.timedelta(days=3):
                return sim
        return None

    def _arrive(self, channel: str, now: dt.datetime) -> None:
        rng, world = self.rng, self.world
        plan, rater, user_id, master = Plan(), None, None, None
        reporter_name = reporter_phone = None
        if channel == "patrol":
            category_id, _, texts = rng.choices(world.patrol, weights=[w for _, w, _ in world.patrol])[0]
            cell, community, _ = rng.choice(world.cells)
            actor = world.people.grid_worker(cell)
            place = self._place(community)
            finding = rng.choice(texts).format(place=place)
            title = finding.removeprefix(place)
            body = f"网格员巡查发现：{finding}。已拍照上报，请尽快处置。（网格 {cell}）"
            reporter_name, user_id = world.people.cell_workers[cell][1], actor.user_id
        else:
            master = self._duplicate_of(now) if channel in ("hotline", "web", "app") else None
            if master is not None:  # the same matter, reported again by someone else
                title, body, category_id = master.title, master.body, master.category_id
                cell, community = master.grid_code, master.community_code
                plan.master, plan.merge_registered = master, rng.random() < P["merge_registered"]
            else:
                message = rng.choice(self.messages)
                title, body, category_id = message.title, message.body, world.matcher.match(message)
                cell, community, _ = rng.choice(world.cells)
                if rng.random() < P["miscategorised"]:
                    other = world.matcher.match(rng.choice(self.messages))
                    plan.taken_as = other if other != category_id else None
            if channel in ("supervision", "instruction"):
                actor = world.people.staff["supervisor1" if channel == "supervision" else "leader1"]
            elif channel in ("hotline", "petition"):
                actor = rng.choice(world.people.of_role(Role.OPERATOR))
                reporter_name, reporter_phone = fake_name(rng), fake_phone(rng)
            elif channel == "app" and rng.random() < P["account_app"]:
                actor, reporter_name, reporter_phone = rng.choice(world.people.citizens)
                rater, user_id = actor, actor.user_id
            else:  # the web board and anonymous app users
                actor = Actor(user_id=None, role=Role.CITIZEN)
                reporter_name, reporter_phone = fake_name(rng), fake_phone(rng)
        located = master is not None or channel not in CITIZEN_CHANNELS or rng.random() >= P["address_only"]
        lon, lat = self._point_in(cell) if located else (None, None)
        address = self._place(community)
        if not located and world.addresses:  # the caller names a registered address in words
            named = rng.choice(world.addresses)
            address, cell, community = written_form(named, rng), named["grid_code"], named["community_code"]
        label = {"supervision": "督办：", "instruction": "领导批示："}.get(channel, "")
        data = service.NewCase(channel=channel, title=(label + title)[:200], body=body,
                               district_code=world.district_code, reporter_name=reporter_name,
                               reporter_phone=reporter_phone, reporter_user_id=user_id,
                               address=address, lon=lon, lat=lat, category=plan.taken_as or category_id)
        try:
            with transaction(self.engine) as session:
                case = service.create_case(session, data, actor=actor, now=now).case
        except CivicloopError as exc:
            self.refusals.append(f"create ({channel}) at {now:%Y-%m-%d %H:%M}: {exc}")
            return
        self.cases += 1
        sim = Sim(id=case.id, channel=channel, title=title, body=body, basis=case.time_basis,
                  dispatch_hours=case.step_hours, category_id=category_id, grid_code=case.grid_code,
                  community_code=case.community_code, street_code=case.street_code, reported_at=now,
                  plan=plan, rater=rater, last=now)
        self._plan(sim)
        if sim.grid_code and not plan.master:
            self.recent.append(sim)
        if plan.stop_at is not State.REPORTED:
            self.later(sim, self.after(now, rng.uniform(0.05, 0.45) * sim.dispatch_hours, sim.basis), "first_look")

    def _plan(self, sim: Sim) -> None:
        p, rng = sim.plan, self.rng
        if sim.reported_at >= self.tail_start and p.master is None:
            self.tail_seen += 1
            if self.tail_seen % TAIL_EVERY == 1:
                p.stop_at = TAIL_STATES[(self.tail_seen // TAIL_EVERY) % len(TAIL_STATES)]
                p.returned = "pending" if p.stop_at is State.RETURN_REQUESTED else None
                p.suspend = p.stop_at is State.SUSPENDED
                return
        if p.master is not None:
            return
        citizen = sim.channel in CITIZEN_CHANNELS
        p.reject = citizen and rng.random() < P["reject"]
        if rng.random() < P["returned"]:
            p.returned = "approve" if rng.random() < P["return_approved"] else "refuse"
        roll = rng.random()  # extension, suspension and joint handling exclude one another
        if roll < P["extension"]:
            p.extension = "approve" if rng.random() < P["extension_approved"] else "refuse"
        elif roll < P["extension"] + P["suspend"]:
            p.suspend = True
        elif roll < P["extension"] + P["suspend"] + P["joint"] and not p.returned:
            p.joint = True
        p.rework = rng.random() < P["rework"]
        p.late = rng.random() < P["late"]
        p.supervise = ((p.late and rng.random() < P["supervise_late"])
                       or (sim.channel == "petition" and rng.random() < P["supervise_petition"]))
        p.escalate = sim.channel == "instruction"
        p.rated = citizen and rng.random() < P["rated"]
        p.comment = citizen and rng.random() < P["comment"]
        p.check = citizen and sim.grid_code is not None and rng.random() < P["check"]

    # --- acting ---------------------------------------------------------------------

    def _act(self, sim: Sim, now: dt.datetime, action: str, actor: Actor, **kw) -> Case | None:
        try:
            with transaction(self.engine) as session:
                case = service.act(session, sim.id, service.ActionInput(action=action, **kw), actor=actor, now=now)
        except CivicloopError as exc:
            self.refusals.append(f"{action} on case {sim.id} ({sim.state}) at {now:%Y-%m-%d %H:%M} "
                                 f"by {actor.role.value}: {exc}")
            sim.agenda.clear()  # the case stops where it is; the refusal is reported
            return None
        self.actions += 1
        sim.state, sim.last = case.state, now
        return case

    def _staff(self, role: Role) -> Actor:
        return self.rng.choice(self.world.people.of_role(role))

    def _handler(self, department_id: int) -> Actor:
        return self.world.people.handlers[department_id]

    def _note(self, notes: tuple[str, ...]) -> str:
        return self.rng.choice(notes)

    # --- the steps (each `_name(sim, now, **kw)`, scheduled with later(sim, at, "name")) --

    def _first_look(self, sim: Sim, now: dt.datetime) -> None:
        p = sim.plan
        if p.check and not sim.checked:  # the operator sends the grid's worker first; the look waits for 核实
            if self._act(sim, now, "request_check", self._staff(Role.OPERATOR)) is not None:
                self.later(sim, self.delay(sim, now, "check"), "check")
            return
        if p.taken_as is not None and self._act(sim, now, "reclassify", self._staff(Role.DISPATCHER),
                                                category=sim.category_id) is None:
            return
        if p.master is not None and not p.merge_registered:
            self._merge(sim, now)
        elif p.reject:
            self._act(sim, now, "reject", self._staff(Role.DISPATCHER), note=self._note(REJECT_REASONS))
        else:
            self._register(sim, now)

    def _check(self, sim: Sim, now: dt.datetime) -> None:
        sim.checked = True
        if self._act(sim, now, "check", self.world.people.grid_worker(sim.grid_code),
                     note=self._note(CHECK_NOTES)) is not None:
            self._first_look(sim, now)

    def _register(self, sim: Sim, now: dt.datetime) -> None:
        if self._act(sim, now, "register", self._staff(Role.DISPATCHER)) is None:
            return
        next_at = self.after(now, self.rng.uniform(0.05, 0.4) * sim.dispatch_hours, sim.basis)
        if sim.plan.master is not None:
            self.later(sim, next_at, "merge")
        elif sim.plan.stop_at is not State.REGISTERED:
            self.later(sim, next_at, "dispatch")

    def _merge(self, sim: Sim, now: dt.datetime) -> None:
        master = sim.plan.master
        if master.state in {s.value for s in OPEN}:
            self._act(sim, now, "merge", self._staff(Role.DISPATCHER), master_case_id=master.id,
                      note=f"与案件 {master.id} 反映同一问题，合并办理")
            return
        # The earlier case closed meanwhile: this report is a matter of its own again.
        self.merge_fallbacks += 1
        sim.plan.master = None
        if sim.state == State.REPORTED.value:
            self._register(sim, now)
        else:
            self._dispatch(sim, now)

    def _dispatch(self, sim: Sim, now: dt.datetime, department: int | None = None) -> None:
        assisting: tuple[int, ...] = ()
        if sim.plan.joint and not sim.assisting:
            with transaction(self.engine) as session:  # the dispatcher reads the routing's choice
                department = routing.route(session, category_id=sim.category_id, community_code=sim.community_code,
                                           street_code=sim.street_code,
                                           district_code=self.world.district_code).department.id
            assisting = self._assistants(sim, department)
        case = self._act(sim, now, "dispatch", self._staff(Role.DISPATCHER), department_id=department,
                         assisting_department_ids=assisting)
        if case is None:
            return
        sim.lead, sim.assisting = case.lead_department_id, sim.assisting or assisting
        sim.handle_hours = case.step_hours
        if sim.plan.stop_at is State.DISPATCHED:
            return
        if sim.plan.returned and not sim.returned:
            self.later(sim, self.delay(sim, now, "return_"), "return_")
        else:
            self.later(sim, self.delay(sim, now, "accept"), "accept")

    def _assistants(self, sim: Sim, lead: int) -> tuple[int, ...]:
        """联办: the street office and community committee of the place, else other bureaus."""
        local = [self.world.offices.get(code) for code in (sim.street_code, sim.community_code) if code]
        pool = [d for d in local if d and d != lead] or [b for b in self.world.bureaus if b != lead]
        return tuple(self.rng.sample(pool, k=min(len(pool), self.rng.choice((1, 2)))))

    def _return_(self, sim: Sim, now: dt.datetime) -> None:
        if self._act(sim, now, "return", self._handler(sim.lead), note=self._note(RETURN_REASONS)) is None:
            return
        sim.returned = True
        if sim.plan.returned != "pending":
            self.later(sim, self.delay(sim, now, "decide_return"), "decide_return")

    def _decide_return(self, sim: Sim, now: dt.datetime) -> None:
        dispatcher = self._staff(Role.DISPATCHER)
        if sim.plan.returned == "approve":
            local = self.world.offices.get(sim.street_code) if sim.street_code else None
            other = local if local and local != sim.lead else self.rng.choice(
                [b for b in self.world.bureaus if b != sim.lead])
            note = f"同意退回，改派{self.world.department_names[other]}"
            if self._act(sim, now, "approve_return", dispatcher, note=note) is not None:
                self.later(sim, self.delay(sim, now, "redispatch"), "dispatch", department=other)
        elif self._act(sim, now, "refuse_return", dispatcher, note=self._note(REFUSE_RETURN_REASONS)) is not None:
            self.later(sim, self.delay(sim, now, "accept"), "accept")

    def _accept(self, sim: Sim, now: dt.datetime) -> None:
        case = self._act(sim, now, "accept", self._handler(sim.lead))
        if case is not None:
            self._handle(sim, now, case, first=True)

    def _handle(self, sim: Sim, now: dt.datetime, case: Case, first: bool) -> None:
        """Plan the handling step: what happens while the department works, then its feedback."""
        p, rng, limit = sim.plan, self.rng, case.step_hours
        if p.stop_at is State.VERIFYING:
            share = rng.uniform(0.05, 0.25)
        elif p.late and first:
            share = rng.uniform(1.1, 3.0)
        else:
            share = rng.triangular(0.1, 0.95, 0.4)
        busy = min(share, 1.0) * limit  # the part of the limit in which the side steps happen
        feedback_at = self.after(now, share * limit, sim.basis)
        items = []
        if first and sim.assisting:
            items += [(self.after(now, rng.uniform(0.05, 0.8) * busy, sim.basis), "assist_feedback",
                       {"department": dep}) for dep in sim.assisting]
        if first and p.extension:
            hours = rng.choice(EXTENSION_HOURS)
            ask = self.after(now, rng.uniform(0.2, 0.6) * busy, sim.basis)
            items += [(ask, "request_extension", {"hours": hours}),
                      (self.delay(sim, ask, "decide_extension"), "decide_extension", {})]
            if p.extension == "approve":
                feedback_at = self.after(now, share * (limit + hours), sim.basis)
        if first and p.suspend:
            pause = self.after(now, rng.uniform(0.1, 0.5) * busy, sim.basis)
            items.append((pause, "suspend", {}))
            if p.stop_at is not State.SUSPENDED:
                back = self.after(pause + dt.timedelta(days=rng.uniform(1, 6)), rng.uniform(0, 2))
                used = self.cal.hours_between(now, pause, sim.basis)
                items.append((back, "resume", {}))
                feedback_at = self.after(back, max(0.2, share * limit - used), sim.basis)
        if first and p.escalate:
            items.append((self.after(now, rng.uniform(0.1, 1.0)), "escalate", {}))
        if first and p.comment:
            items.append((self.after(now, rng.uniform(0.1, 0.9) * busy, sim.basis), "comment", {}))
        if first and p.supervise:
            due = case.handle_deadline
            at = (self.after(due, rng.uniform(0.5, 8.0)) if p.late and due < feedback_at
                  else self.after(now, rng.uniform(0.1, 0.9) * busy, sim.basis))
            items.append((at, "supervise", {}))
        for at, step, kw in sorted(items, key=lambda item: item[0]):
            self.later(sim, at, step, **kw)
        if p.stop_at not in (State.HANDLING, State.SUSPENDED):
            self.later(sim, feedback_at, "feedback")

    def _assist_feedback(self, sim: Sim, now: dt.datetime, department: int) -> None:
        self._act(sim, now, "assist_feedback", self._handler(department), note=self._note(ASSIST_NOTES))

    def _request_extension(self, sim: Sim, now: dt.datetime, hours: float) -> None:
        self._act(sim, now, "request_extension", self._handler(sim.lead), note=self._note(EXTENSION_REASONS),
                  extension_hours=hours)

    def _decide_extension(self, sim: Sim, now: dt.datetime) -> None:
        if sim.plan.extension == "approve":
            self._act(sim, now, "approve_extension", self._staff(Role.DISPATCHER))
        else:
            self._act(sim, now, "refuse_extension", self._staff(Role.DISPATCHER),
                      note=self._note(REFUSE_EXTENSION_REASONS))

    def _suspend(self, sim: Sim, now: dt.datetime) -> None:
        self._act(sim, now, "suspend", self._handler(sim.lead), note=self._note(SUSPEND_REASONS))

    def _resume(self, sim: Sim, now: dt.datetime) -> None:
        self._act(sim, now, "resume", self._handler(sim.lead), note="条件具备，恢复办理")

    def _escalate(self, sim: Sim, now: dt.datetime) -> None:
        with transaction(self.engine) as session:
            level = session.scalar(select(Case.escalation_level).where(Case.id == sim.id))
        if level < len(ESCALATION_LEVELS) - 1:  # the sweep may have taken it to the top already
            self._act(sim, now, "escalate", self.world.people.staff["leader1"], note="领导批示，提级办理")

    def _comment(self, sim: Sim, now: dt.datetime) -> None:
        self._act(sim, now, "comment", self._staff(Role.OPERATOR), note=self._note(COMMENT_NOTES))

    def _supervise(self, sim: Sim, now: dt.datetime) -> None:
        self._act(sim, now, "supervise", self.world.people.staff["supervisor1"], note=self._note(SUPERVISE_NOTES))

    def _feedback(self, sim: Sim, now: dt.datetime) -> None:
        if self._act(sim, now, "feedback", self._handler(sim.lead), note=self._note(FEEDBACK_NOTES)) is None:
            return
        if sim.plan.stop_at is State.VERIFYING:
            return
        on_site = sim.grid_code is not None and (sim.channel == "patrol" or self.rng.random() < P["grid_verify"])
        self.later(sim, self.delay(sim, now, "verify"), "verify", on_site=on_site)

    def _verify(self, sim: Sim, now: dt.datetime, on_site: bool) -> None:
        actor = self.world.people.grid_worker(sim.grid_code) if on_site else self._staff(Role.DISPATCHER)
        if sim.plan.rework and not sim.reworked:
            case = self._act(sim, now, "verify_fail", actor, note=self._note(VERIFY_FAIL_NOTES))
            if case is not None:
                sim.reworked = True
                self._handle(sim, now, case, first=False)
        elif (self._act(sim, now, "verify_pass", actor, note="现场核查，问题已解决" if on_site else "核查通过")
              is not None and sim.plan.rated):
            self.later(sim, self.delay(sim, now, "rate"), "rate")

    def _rate(self, sim: Sim, now: dt.datetime) -> None:
        rating = self.rng.choices([r for r, _ in RATINGS], weights=[w for _, w in RATINGS])[0]
        actor = sim.rater or self._staff(Role.OPERATOR)
        if self._act(sim, now, "rate", actor, rating=rating) is None:
            return
        if rating == "dissatisfied" and not sim.reopened and self.rng.random() < P["reopen"]:
            self.later(sim, self.delay(sim, now, "reopen"), "reopen")

    def _reopen(self, sim: Sim, now: dt.datetime) -> None:
        case = self._act(sim, now, "reopen", self.world.people.staff["supervisor1"], note=self._note(REOPEN_NOTES))
        if case is not None:
            sim.reopened = True
            self._handle(sim, now, case, first=False)


# ---------------------------------------------------------------- the whole demo

def run_demo(target: Engine | str, *, district: str = DEFAULT_DISTRICT, weeks: int = 6, per_day: float = 60,
             seed: int = 1, cell_area_m2: float | None = None, fresh: bool = False,
             end: dt.datetime | None = None, progress: Progress | None = None) -> DemoSummary:
    """Build the district on an empty database (`target`: an engine or a URL) and play
    `weeks` weeks of traffic ending at `end` (default: now), about `per_day` new cases a
    workday. With fresh=True whatever the database holds is deleted first."""
    if weeks < 1:
        raise InvalidInput("weeks", f"at least one week, not {weeks}")
    if not per_day > 0:
        raise InvalidInput("per_day", f"a positive number of new cases a workday, not {per_day}")
    if fresh:
        reset_database(target)
    if isinstance(target, Engine):
        return _run(target, district, weeks, per_day, seed, cell_area_m2, end, progress)
    engine = make_engine(target)
    try:
        return _run(engine, district, weeks, per_day, seed, cell_area_m2, end, progress)
    finally:
        engine.dispose()


def _run(engine: Engine, district: str, weeks: int, per_day: float, seed: int, cell_area_m2: float | None,
         end: dt.datetime | None, progress: Progress | None) -> DemoSummary:
    check_empty(engine)
    started = time.perf_counter()
    migrate.upgrade(_url(engine))
    rng = random.Random(seed)
    with transaction(engine) as session:
        world = build_world(session, district, cell_area_m2, rng, progress)
    with transaction(engine) as session:
        start, end, note = choose_period(session, _second(end or local_now()), weeks)
        calendar = load_calendar(session)
    setup_seconds = time.perf_counter() - started

    started = time.perf_counter()
    sim = Simulation(engine, world, rng, start, end, per_day, calendar, progress)
    sim.run()
    simulate_seconds = time.perf_counter() - started
    if progress:
        progress("targets and 实事", 0.99)
    # The district's own work report, tracked through the year (only 420106's is packaged).
    tracked = play_year(engine, sim.end, seed) if district == TRACKED_DISTRICT else {}
    catch_up_rollup(engine)  # the figures of the weeks' changes, then their rows folded as a night's job would
    with transaction(engine) as session:
        compact_rollup(session)
    if progress:
        progress("done", 1.0)
    summary = summarize(engine, world, sim, note, setup_seconds, simulate_seconds)
    summary.tracked = tracked
    return summary


def summarize(engine: Engine, world: World, sim: Simulation, note: str, setup_seconds: float,
              simulate_seconds: float) -> DemoSummary:
    with transaction(engine) as session:
        def grouped(column, *where) -> dict[str, int]:
            query = select(column, func.count()).where(Case.district_code == world.district_code, *where)
            return {k: n for k, n in session.execute(query.group_by(column).order_by(column)).all() if k is not None}

        def count(*where) -> int:
            return session.scalar(select(func.count()).select_from(Case).where(
                Case.district_code == world.district_code, *where))

        open_ = Case.state.in_([s.value for s in OPEN])
        channels, states = grouped(Case.channel), grouped(Case.state)
        events = dict(session.execute(select(CaseEvent.action, func.count()).group_by(CaseEvent.action)
                                      .order_by(func.count().desc())).all())
        summary = DemoSummary(
            district_code=world.district_code, district_name=world.district_name,
            period_start=sim.start, period_end=sim.end, period_note=note, cell_area_m2=world.cell_area_m2,
            cells=len(world.cells), departments=len(world.department_names),
            users=session.scalar(select(func.count()).select_from(User)),
            cases=count(), actions=sim.actions, sweeps=sim.sweeps,
            by_channel={label: channels[k] for k, label in CHANNELS.items() if k in channels},
            by_state={s.value: states[s.value] for s in State if s.value in states},
            yellow=count(open_, Case.warning == "yellow"),
            red=count(open_, Case.warning == "red"), overdue=count(Case.overdue.is_(True)),
            escalated=count(Case.escalation_level > 0), events_by_action=events,
            ratings=grouped(Case.rating), refused=len(sim.refusals), refusals=sim.refusals[:20],
            merge_fallbacks=sim.merge_fallbacks, examples=_examples(session, world.district_code),
            setup_seconds=setup_seconds,
            simulate_seconds=simulate_seconds, accounts=accounts(session))
    return summary


def _examples(session, district_code: str) -> dict[str, str]:
    """A case number for each of a few interesting histories, for `civicloop case show`."""
    wanted = {"退回后改派": Case.return_count > 0, "返工": Case.rework_count > 0,
              "超期升级至区级联调": Case.escalation_level == len(ESCALATION_LEVELS) - 1,
              "督办": Case.supervision_count > 0, "合并": Case.state == State.MERGED.value,
              "不满意": Case.rating == "dissatisfied"}
    found = {}
    for label, condition in wanted.items():
        case = session.scalar(select(Case).where(Case.district_code == district_code, condition)
                              .order_by(Case.id).limit(1))
        if case is not None:
            found[label] = case.number
    return found
