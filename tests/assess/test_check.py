"""核实: the operator sends the grid's worker to check a reported matter before 立案; the
worker answers within the check limit (1 working hour) or not. 按时核实率 counts it, on
the fast path and the live recount alike. On SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt

import pytest

from civicloop.assess import indicators as ind
from civicloop.assess import rollup, service
from civicloop.assess.periods import Period
from civicloop.cases.lifecycle import State
from civicloop.db import transaction
from civicloop.errors import CivicloopError
from tests.cases.conftest import D, MONDAY, build_world

NOVEMBER = Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30))


def test_timely_check_rate_counts_each_request_and_the_answer_by_its_deadline(engine):
    world = build_world(engine)
    with transaction(engine) as s:
        rollup.rebuild(s, now=MONDAY)
    on_time, late, unanswered, unasked = (world.create(at=MONDAY) for _ in range(4))
    assert on_time.grid_code == world.cells[0]  # the grid worker's own cell
    for case in (on_time, late):
        world.act(case.id, "request_check", "operator", MONDAY + dt.timedelta(minutes=5))
    # 派核实 after the first step's deadline (2 working hours): the operator was late.
    world.act(unanswered.id, "request_check", "operator", MONDAY + dt.timedelta(hours=5))
    world.act(on_time.id, "check", "grid_worker", MONDAY + dt.timedelta(minutes=50), note="现场属实")
    world.act(late.id, "check", "grid_worker", MONDAY + dt.timedelta(hours=3), note="现场属实")
    world.act(unasked.id, "check", "grid_worker", MONDAY + dt.timedelta(minutes=20), note="巡查时顺路看过")
    request = next(e for e in world.events(on_time.id) if e.action == "request_check")
    assert request.changes["check_deadline"] == (MONDAY + dt.timedelta(minutes=65)).isoformat()
    assert world.get(on_time.id).state == State.REPORTED.value  # 核实 moves no state: 立案 comes next
    rollup.catch_up(engine)
    with transaction(engine) as s:
        for live in (False, True):
            counts = service.count_rows(s, NOVEMBER, live=live)[D]
            assert (counts["check_requested"], counts["checked_on_time"]) == (3, 1), live
            assert counts["check_requested_on_time"] == 2, live
        ids = {c.id for c in service.cases_behind(s, "checked_on_time", NOVEMBER).cases}
        assert ids == {on_time.id}
        late_requests = {c.id for c in service.cases_behind(s, "timely_check_request_rate", NOVEMBER).cases
                         if not c.in_numerator}
        assert late_requests == {unanswered.id}
    assert ind.RATE["timely_check_rate"].role == "监督员" and ind.RATE["timely_check_request_rate"].role == "受理员"


def test_only_the_grid_s_worker_checks_and_says_what_was_found(engine):
    world = build_world(engine)
    case = world.create(at=MONDAY)
    with pytest.raises(CivicloopError) as refused:
        world.act(case.id, "check", "grid_worker", MONDAY, note="")
    assert refused.value.field == "note"
    with pytest.raises(CivicloopError):
        world.act(case.id, "request_check", "handler", MONDAY)
    world.act(case.id, "register", "dispatcher", MONDAY)
    with pytest.raises(CivicloopError):  # after 立案 the matter is no longer checked, it is handled
        world.act(case.id, "request_check", "operator", MONDAY)
