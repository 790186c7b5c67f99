"""The fast path agrees with a full recount: random lifecycle traffic through the case
service (create, every action the lifecycle allows, the sweep, a grid worker moving, the
rollup catching up now and then), then every count of every slice and period from the rollup against the live recount from
the cases and their events — after the traffic, after compaction and after a rebuild; and
every kept fact row against the live one. On SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import random
import threading

import pytest
from sqlalchemy import select, update

from civicloop.assess import rollup, service
from civicloop.assess.models import CaseFacts, Rollup, RollupDekad, RollupMonth, RollupQuarter, RollupState
from civicloop.assess.periods import Period
from civicloop.cases import service as cases
from civicloop.cases.lifecycle import State, allowed_actions
from civicloop.cases.sweep import sweep
from civicloop.db import transaction
from civicloop.errors import CivicloopError
from civicloop.regions.models import GridCell
from tests.cases.conftest import D, World, build_world

START = dt.datetime(2026, 11, 2, 8, 0)
HOUR = dt.timedelta(hours=1)
CELLS = ((114.305, 30.545), (114.305, 30.555), (114.315, 30.545), (114.315, 30.555), (None, None))
CHANNELS = ("hotline", "web", "app", "patrol", "petition")
CATEGORIES = ("010101", "0102", "01")
RATINGS = ("satisfied", "basic", "dissatisfied")
FORWARD = ("register", "dispatch", "accept", "feedback", "verify_pass", "rate")
PERIODS = (Period(dt.date(2026, 11, 2), dt.date(2026, 11, 2)), Period(dt.date(2026, 11, 3), dt.date(2026, 11, 9)),
           Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30)), Period(dt.date(2026, 10, 1), dt.date(2026, 12, 31)),
           Period(dt.date(2025, 1, 1), dt.date(2025, 1, 31)),
           Period(dt.date(2026, 10, 25), dt.date(2026, 12, 3)),  # days, a whole month read at its grain, days
           Period(dt.date(2026, 1, 1), dt.date(2026, 12, 31)),  # a whole year read at its grain
           Period(dt.date(2025, 11, 20), dt.date(2027, 2, 3)),  # days, months, a year, a month, days
           Period(dt.date(2026, 11, 3), dt.date(2026, 11, 29)),  # November less its 1st, 2nd and 30th
           Period(dt.date(2026, 1, 1), dt.date(2026, 11, 29)),  # the year less 30 November and December
           Period(dt.date(2026, 11, 12), dt.date(2026, 11, 27)))  # 旬 less a day, a 旬 less three


def _traffic(world: World, rng: random.Random, steps: int) -> list[int]:
    ids: list[int] = []
    now = START
    by_role: dict[str, list[str]] = {}
    for name, actor in world.actors.items():
        by_role.setdefault(actor.role.value, []).append(name)
    for step in range(steps):
        now += dt.timedelta(minutes=rng.choice((5, 30, 90, 240)))
        if not ids or rng.random() < 0.08:
            lon, lat = rng.choice(CELLS)
            who = "grid_worker" if rng.random() < 0.2 else "operator"
            data = cases.NewCase(channel="patrol" if who == "grid_worker" else rng.choice(CHANNELS), title="测试",
                                 body=f"随机案件{step}", district_code=D, lon=lon, lat=lat,
                                 address=None if lon else "不明地点",
                                 category=rng.choice(CATEGORIES))
            with transaction(world.engine) as s:
                ids.append(cases.create_case(s, data, actor=world.actors[who], now=now).case.id)
            continue
        if rng.random() < 0.05:
            sweep(world.engine, now=now)
            continue
        if rng.random() < 0.05:  # a batch brings the changes so far into the figures
            rollup.catch_up(world.engine, batch=rng.choice((1, 3, 500)))
            continue
        if rng.random() < 0.02:  # the grid's worker changes: the grid worker's figures follow the grid
            with transaction(world.engine) as s:
                s.execute(update(GridCell).where(GridCell.code == world.cells[1])
                          .values(worker_id=rng.choice((None, world.actors["grid_worker"].user_id))))
            continue
        case_id = rng.choice(ids[-12:])  # a few cases at a time, so that many go the whole way
        found = world.get(case_id)
        state = State(found.state)
        choices: dict[str, list[str]] = {}
        for role, names in by_role.items():
            for who in names if role != "system" else ():
                for action in allowed_actions(state, world.actors[who].role):
                    choices.setdefault(action, []).append(who)
        if not choices:
            continue
        forward = [a for a in FORWARD if a in choices]
        action = rng.choice(forward if forward and rng.random() < 0.6 else sorted(choices))
        who = rng.choice(choices[action])
        lead = [w for w in choices[action] if world.actors[w].department_id == found.lead_department_id]
        if lead and rng.random() < 0.8:  # mostly the department the case is with
            who = rng.choice(lead)
        try:
            world.act(case_id, action, who, now, note="随机操作", department_id=rng.choice(list(world.departments.values())),
                      master_case_id=rng.choice(ids), extension_hours=rng.choice((4, 8, 24)),
                      rating=rng.choice(RATINGS), category=rng.choice(CATEGORIES))
        except CivicloopError:
            pass  # a guard said no (not this department's, no pending extension …): traffic goes on
    return ids


def _every_figure(s, live: bool) -> dict:
    out = {}
    for period in PERIODS:
        for by in service.DIMENSIONS:
            for level in (service.CATEGORY_LEVELS if by == "category" else (1,)):
                for district in (None, D):
                    out[period, by, level, district] = service.count_rows(s, period, by=by, level=level,
                                                                          district=district, live=live)
    return out


def _agree(engine) -> None:
    rollup.catch_up(engine)
    with transaction(engine) as s:
        assert rollup.ready(s) and rollup.pending(s) == 0
        fast, live = _every_figure(s, live=False), _every_figure(s, live=True)
        assert fast.keys() == live.keys()
        for key in live:
            assert fast[key] == live[key], key
        kept, recomputed = service.source(s), service.facts(s)
        kept = {r.id: r._asdict() for r in s.execute(select(*(kept.c[k] for k in rollup.FACT_COLUMNS)))}
        recomputed = {r.id: r._asdict() for r in s.execute(select(*(recomputed.c[k] for k in rollup.FACT_COLUMNS)))}
        assert kept == recomputed


def test_the_rollup_agrees_with_a_full_recount_after_random_traffic(engine):
    world = build_world(engine)
    with transaction(engine) as s:
        rollup.rebuild(s, now=START)  # the tables were emptied for this test: start complete
    ids = _traffic(world, random.Random(20261122), 400)
    rollup.catch_up(engine)
    with transaction(engine) as s:
        states = {r for (r,) in s.execute(select(cases.Case.state).where(cases.Case.id.in_(ids)))}
        deltas = s.scalar(select(Rollup.id).where(Rollup.delta.is_(True)).limit(1))
    assert {"closed", "handling", "merged"} <= states, states  # the traffic went the whole way
    assert deltas is not None
    some = next(iter(_every_figure_of_month(engine).values()))
    assert some["reported"] > 20 and some["closed"] > 3
    _agree(engine)
    with transaction(engine) as s:
        assert rollup.compact(s) > 0
        for table in rollup.TABLES:
            assert s.scalar(select(table.c.id).where(table.c.delta.is_(True)).limit(1)) is None
    with transaction(engine) as s:
        # The month grain alone answers a whole month: November's days removed, its figures stay.
        november = {key: n for key, n in service.count_rows(s, PERIODS[2]).items()}
        s.execute(Rollup.__table__.delete().where(Rollup.day >= dt.date(2026, 11, 1), Rollup.day < dt.date(2026, 12, 1)))
        assert november and service.count_rows(s, PERIODS[2]) == november
        # The year grain alone answers a whole year; by month, the months answer it.
        year, by_month = service.count_rows(s, PERIODS[6]), service.monthly(s, PERIODS[6], by="district")
        for finer in (RollupQuarter, RollupMonth, RollupDekad, Rollup):
            s.execute(finer.__table__.delete().where(finer.day >= dt.date(2026, 1, 1)))
        assert year[D]["reported"] > 20 and service.count_rows(s, PERIODS[6]) == year
        assert by_month["2026-11"] and not any(service.monthly(s, PERIODS[6], by="district").values())
        s.rollback()
    _agree(engine)
    _traffic(world, random.Random(7), 60)  # traffic after compaction adds to the folded rows
    _agree(engine)
    with transaction(engine) as s:
        assert rollup.rebuild(s, now=START) == len(s.scalars(select(CaseFacts.id)).all())
    _agree(engine)


def _every_figure_of_month(engine) -> dict:
    rollup.catch_up(engine)
    with transaction(engine) as s:
        return service.count_rows(s, PERIODS[2])


def test_the_rollup_is_not_used_until_complete(engine):
    """A database that had cases before the rollup counts live until it is rebuilt."""
    world = build_world(engine)
    with transaction(engine) as s:
        s.merge(RollupState(id=1, ready=False))
    world.create()
    assert rollup.catch_up(engine) == 1  # taken, and nothing kept
    with transaction(engine) as s:
        counted = service.count_rows(s, PERIODS[2])
        assert counted == service.count_rows(s, PERIODS[2], live=True)
        assert counted[D]["reported"] == 1
        assert s.scalar(select(CaseFacts.id).limit(1)) is None  # nothing kept while incomplete
        assert rollup.rebuild(s, now=START) == 1
    with transaction(engine) as s:
        assert service.count_rows(s, PERIODS[2]) == counted


def test_the_sweep_schedule_folds_the_rollup_rows_of_the_day(engine):
    """The sweep's lease holder compacts every `compact_every` seconds; the figures stay."""
    from civicloop.ops.scheduler import SweepSchedule

    world = build_world(engine)
    with transaction(engine) as s:
        rollup.rebuild(s, now=START)
    _traffic(world, random.Random(11), 40)
    rollup.catch_up(engine)
    with transaction(engine) as s:
        assert s.scalar(select(Rollup.id).where(Rollup.delta.is_(True)).limit(1)) is not None
    schedule = SweepSchedule(engine, every=60, compact_every=3600)
    assert schedule.step() and schedule.compactions == 0  # swept; the hour since it started has not passed
    schedule.lease.release()
    schedule = SweepSchedule(engine, every=60, compact_every=0)
    assert schedule.step() and schedule.compactions == 1
    schedule.lease.release()
    with transaction(engine) as s:
        assert s.scalar(select(Rollup.id).where(Rollup.delta.is_(True)).limit(1)) is None
    _agree(engine)


def test_a_new_database_starts_with_the_fast_path_complete(tmp_path):
    """Migrations that mark the rollup for a rebuild (0015) do so only where cases exist."""
    from civicloop.db import make_engine
    from civicloop.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'new.db'}"
    upgrade(url)
    engine = make_engine(url)
    with transaction(engine) as s:
        assert rollup.ready(s)
    engine.dispose()


def test_a_period_is_read_as_signed_parts_that_cover_each_of_its_days_once():
    """rollup._plan: every day of the period counted once, no day outside it, over random
    periods of up to three years; and few rows read: besides whole years, at most twelve
    days and eight 旬, months or quarters in all."""
    rng = random.Random(5)
    starts = [dt.date(2023, 1, 1) + dt.timedelta(days=i) for i in range(800)]
    grains = {g.table.name: g for g in rollup.GRAINS}
    for _ in range(300):
        start = rng.choice(starts)
        stop = start + dt.timedelta(days=rng.randint(1, 1100))
        for by_month in (False, True):
            plan = rollup._plan(start, stop, rollup._WITHIN_MONTHS if by_month else rollup._ENCLOSING)
            counted: dict[dt.date, int] = {}
            for table, first, after, sign, periods in plan:
                assert grains[table.name].period_of(first)[0] == first  # parts start and end on their grain
                assert grains[table.name].period_of(after)[0] == after
                day = first
                while day < after:
                    counted[day] = counted.get(day, 0) + sign
                    day += dt.timedelta(days=1)
            assert {day for day, n in counted.items() if n} == {start + dt.timedelta(days=i)
                                                                for i in range((stop - start).days)}
            assert set(counted.values()) <= {0, 1}, (start, stop, plan)
            if by_month:
                assert {t.name for t, *_ in plan} <= {"assess_rollup", "assess_rollup_dekad", "assess_rollup_month"}
            else:
                days = sum(p for t, *_, p in plan if t.name == "assess_rollup")
                coarser = sum(p for t, *_, p in plan if t.name in ("assess_rollup_dekad", "assess_rollup_month",
                                                                   "assess_rollup_quarter"))
                assert days <= 12 and coarser <= 8, (start, stop, plan)


def _kept(engine, case_id: int):
    with transaction(engine) as s:
        return s.get(CaseFacts, case_id)


def test_the_sweep_holder_catches_the_figures_up_between_sweeps(engine):
    """A change only marks its case; the lease holder brings its facts up to date every
    `catch_up_every` seconds, with no sweep due."""
    from civicloop.ops.scheduler import SweepSchedule

    world = build_world(engine)
    with transaction(engine) as s:
        rollup.rebuild(s, now=START)
    schedule = SweepSchedule(engine, every=3600, catch_up_every=0)
    assert schedule.step()  # the first sweep
    case = world.create(at=START)
    with transaction(engine) as s:
        assert rollup.pending(s) == 1 and s.get(CaseFacts, case.id) is None
    assert not schedule.step() and schedule.caught_up == 1  # no sweep due: only caught up
    schedule.lease.release()
    with transaction(engine) as s:
        assert rollup.pending(s) == 0 and s.get(CaseFacts, case.id).reported_at == START
    with transaction(engine) as s:
        assert service.count_rows(s, PERIODS[2])[D]["reported"] == 1


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # SQLite: one writer, no overlap
def test_a_batch_a_change_and_a_reader_at_once_lose_nothing(engine):
    """Transactions at once. A batch that took a case holds its mark until it commits: a
    change to the case meanwhile waits to mark it again, so the next batch reads the
    change. A mark a change holds is skipped by every batch (a batch never waits on a
    change: a change that touches two cases cannot deadlock with it), and taken once the
    change commits. A reader that found marks held waits for the batches under way."""
    world = build_world(engine)
    with transaction(engine) as s:
        rollup.rebuild(s, now=START)
    case = world.create(at=START)
    with transaction(engine) as batch:
        assert rollup.take(batch, 10) == [case.id]
        rollup._refresh(batch, [case.id])
        change = threading.Thread(target=world.act, args=(case.id, "register", "dispatcher", START + HOUR))
        change.start()
        change.join(0.5)
        assert change.is_alive()  # waiting for the batch's lock on the mark
        reader = threading.Thread(target=rollup.catch_up, args=(engine,))
        reader.start()
        reader.join(0.5)
        assert reader.is_alive()  # the mark it found is the batch's: it waits for the batch
    for thread in (change, reader):
        thread.join(10)
        assert not thread.is_alive()
    assert _kept(engine, case.id).registered == 0  # the batch read the case before the change
    with transaction(engine) as s:
        assert rollup.pending(s) == 1
    assert rollup.catch_up(engine) == 1
    assert _kept(engine, case.id).registered == 1

    other = world.create(at=START)  # marked and committed; a change then holds the mark
    with transaction(engine) as change:
        cases.act(change, other.id, cases.ActionInput(action="register"), actor=world.actors["dispatcher"],
                  now=START + 2 * HOUR)
        assert rollup.catch_up(engine, wait=False) == 0  # skipped, by the holder's batch
        assert rollup.catch_up(engine) == 0  # and by a reader's, which does not wait for a change
    assert rollup.catch_up(engine) == 1  # committed: taken
    assert _kept(engine, other.id).registered == 1
    _agree(engine)
