"""The sweep (yellow, red, escalation; idempotent; safe with concurrent sweepers) and
concurrent actions on one case (exactly one wins)."""
import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from civicloop.cases import service
from civicloop.cases.models import Case, CaseEvent
from civicloop.cases.sweep import sweep
from civicloop.db import transaction
from civicloop.errors import Conflict

from .conftest import MONDAY

H = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def all_at_once(target, calls: list[tuple]) -> None:
    """Run target(*args) for every args in `calls`, each in its own thread, released together."""
    barrier = threading.Barrier(len(calls))

    def go(*args):
        barrier.wait()
        target(*args)

    threads = [threading.Thread(target=go, args=args) for args in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def handling_case(world, at=MONDAY):
    c = world.create(at=at)
    world.act(c.id, "register", "dispatcher", at)
    world.act(c.id, "dispatch", "dispatcher", at, department_id=world.departments["cg"])
    return world.act(c.id, "accept", "handler", at)


def test_sweep_turns_yellow_then_red_then_escalates(world):
    c = handling_case(world)  # 16 working hours from Mon 09:00: yellow at 12 h (Tue 15:30), due Wed 11:00
    assert c.yellow_at == dt.datetime(2026, 11, 24, 15, 30) and c.deadline == dt.datetime(2026, 11, 25, 11, 0)
    assert sweep(world.engine, now=MONDAY + 2 * H).checked == 0          # nothing due yet
    r = sweep(world.engine, now=dt.datetime(2026, 11, 24, 15, 35))
    assert (r.checked, r.yellow, r.red) == (1, 1, 0)
    assert world.get(c.id).warning == "yellow"
    r = sweep(world.engine, now=dt.datetime(2026, 11, 25, 11, 1))
    assert (r.red, r.escalated) == (1, 1)
    c = world.get(c.id)
    assert c.warning == "red" and c.escalation_level == 1 and c.overdue
    # the next level comes one full limit (16 working hours) after the deadline: Fri 14:30
    assert c.next_check_at == dt.datetime(2026, 11, 27, 14, 30)
    assert sweep(world.engine, now=dt.datetime(2026, 11, 27, 14, 29)).checked == 0
    assert sweep(world.engine, now=dt.datetime(2026, 11, 27, 14, 30)).escalated == 1
    assert world.get(c.id).escalation_level == 2
    # weeks later it has reached the district level and is never looked at again
    r = sweep(world.engine, now=MONDAY + 30 * DAY)
    c = world.get(c.id)
    assert r.escalated == 1 and c.escalation_level == 3 and c.next_check_at is None
    assert [e.action for e in world.events(c.id)][-4:] == ["warn", "escalate", "escalate", "escalate"]
    assert all(e.actor_role == "system" for e in world.events(c.id)[-4:])
    with transaction(world.engine) as s:
        assert service.rebuild_mismatches(s, s.get(Case, c.id)) == {}


def test_sweep_is_idempotent(world):
    for _ in range(5):
        handling_case(world)
    later = MONDAY + 3 * DAY
    first = sweep(world.engine, now=later)
    assert first.checked == 5 and first.red == 5
    again = sweep(world.engine, now=later)
    assert again.checked == 0
    with transaction(world.engine) as s:
        assert s.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.actor_role == "system")) == 5


def test_suspended_and_closed_cases_are_not_swept(world):
    a, b = handling_case(world), handling_case(world)
    world.act(a.id, "suspend", "handler", MONDAY + H, note="等待")
    world.act(b.id, "feedback", "handler", MONDAY + H, note="已处理")
    world.act(b.id, "verify_pass", "dispatcher", MONDAY + H)
    assert sweep(world.engine, now=MONDAY + 30 * DAY).checked == 0


def test_a_case_fed_back_late_counts_as_overdue(world):
    c = handling_case(world)
    c = world.act(c.id, "feedback", "handler", MONDAY + 3 * DAY, note="迟到的处理")
    assert c.overdue and c.state == "verifying"


# Row locks with SKIP LOCKED are PostgreSQL's; SQLite serialises writers anyway.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_concurrent_sweepers_never_double_act(world):
    ids = [handling_case(world).id for _ in range(60)]
    now = MONDAY + 3 * DAY
    results, errors = [], []

    def run():
        try:
            results.append(sweep(world.engine, now=now, batch_size=7))
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(exc)

    all_at_once(run, [()] * 4)
    assert not errors
    assert sum(r.checked for r in results) == len(ids)
    with transaction(world.engine) as s:
        per_case = dict(s.execute(select(CaseEvent.case_id, func.count()).where(CaseEvent.actor_role == "system")
                                  .group_by(CaseEvent.case_id)).all())
    assert per_case == {i: 1 for i in ids}


def test_two_people_acting_at_once_exactly_one_wins(world):
    c = world.create()
    world.act(c.id, "register", "dispatcher", MONDAY)
    c = world.act(c.id, "dispatch", "dispatcher", MONDAY, department_id=world.departments["cg"])
    outcomes = {}

    def attempt(action, note):
        try:
            world.act(c.id, action, "handler", MONDAY + H, note=note)
            outcomes[action] = "won"
        except Conflict as exc:
            outcomes[action] = exc

    all_at_once(attempt, [("accept", ""), ("return", "不是我们的")])
    winners = [a for a, o in outcomes.items() if o == "won"]
    assert len(winners) == 1, outcomes
    loser = next(o for o in outcomes.values() if o != "won")
    assert loser.state in {"handling", "return_requested"}  # names the state the winner left
    assert len(world.events(c.id)) == 4
    assert world.get(c.id).version == 4


def test_many_concurrent_actions_on_one_case(world):
    """Eight supervisors press 督办 on one case at the same moment, at the same version:
    one succeeds, seven are told the case moved on; one event is written."""
    c = world.create()
    wins, conflicts = [], []

    def press(i):
        try:
            world.act(c.id, "supervise", "supervisor", MONDAY, note=f"督办{i}", expected_version=1)
            wins.append(i)
        except Conflict:
            conflicts.append(i)

    all_at_once(press, [(i,) for i in range(8)])
    assert len(wins) == 1 and len(conflicts) == 7
    assert world.get(c.id).supervision_count == 1 and len(world.events(c.id)) == 2


def test_concurrent_intakes_with_one_idempotency_key_make_one_case(world):
    ids, errors = [], []

    def send():
        try:
            ids.append(world.create(key="retry-42").id)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    all_at_once(send, [()] * 6)
    assert not errors and len(set(ids)) == 1 and len(ids) == 6
    with transaction(world.engine) as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 1
        assert s.scalar(select(func.count()).select_from(CaseEvent)) == 1
