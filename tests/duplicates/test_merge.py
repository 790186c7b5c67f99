"""The one-action merge and what follows it: the merged case takes its master's outcome
(closed, rejected, or moved on when the master is itself merged), with a system event
in the master's transaction, and every reporter is told."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from civicloop.cases import service
from civicloop.db import transaction
from civicloop.errors import Conflict, Forbidden, InvalidInput, NotFound
from civicloop.notify.models import Notification
from tests.cases.conftest import MONDAY

HOUR = dt.timedelta(hours=1)


def notices(world, case_id) -> list[Notification]:
    with transaction(world.engine) as s:
        rows = s.scalars(select(Notification).where(Notification.case_id == case_id).order_by(Notification.id))
        return [(n.event, n.channel, n.recipient_user_id, n.recipient_phone, n.text) for n in rows]


def count_notices(world) -> int:
    with transaction(world.engine) as s:
        return s.scalar(select(func.count()).select_from(Notification))


def three_reports(world):
    """The same broken street light reported three times: by phone, by phone, by a citizen's app."""
    citizen = world.actors["citizen"].user_id
    master = world.create(reporter_phone="13811112222")
    by_phone = world.create(title="路灯坏了", body="积玉桥那段路灯三天晚上都不亮", reporter_phone="13933334444",
                            at=MONDAY + HOUR)
    by_app = world.create(channel="app", title="路灯不亮", body="路灯一直不亮，晚上很黑", reporter_phone=None,
                          reporter_name=None, reporter_user_id=citizen, at=MONDAY + 2 * HOUR)
    return master, by_phone, by_app


def close(world, case_id, at):
    world.act(case_id, "dispatch", "dispatcher", at)
    world.act(case_id, "accept", "handler_zj", at + HOUR)
    world.act(case_id, "feedback", "handler_zj", at + 2 * HOUR, note="已更换灯泡，路灯恢复照明")
    return world.act(case_id, "verify_pass", "dispatcher", at + 3 * HOUR)


def test_merge_then_close_the_master_closes_every_merged_case_and_tells_every_reporter(world):
    master, by_phone, by_app = three_reports(world)
    world.act(master.id, "register", "dispatcher", MONDAY + 3 * HOUR)
    for dup in (by_phone, by_app):
        merged = world.act(dup.id, "merge", "dispatcher", MONDAY + 3 * HOUR, master_case_id=master.id)
        assert merged.state == "merged" and merged.merged_into_id == master.id and merged.deadline is None
    closed_at = MONDAY + 7 * HOUR
    close(world, master.id, MONDAY + 4 * HOUR)
    for dup in (by_phone, by_app):
        after = world.get(dup.id)
        assert (after.state, after.closed_at, after.merged_into_id) == ("closed", closed_at, master.id)
        assert after.resolution_note == "已更换灯泡，路灯恢复照明"
        last = world.events(dup.id)[-1]
        assert (last.action, last.actor_role, last.from_state, last.to_state, last.at) == (
            "close_with_master", "system", "merged", "closed", closed_at)
        assert master.number in last.note
        with transaction(world.engine) as s:
            assert service.rebuild_mismatches(s, s.get(service.Case, dup.id)) == {}

    told = notices(world, master.id)
    assert [(e, c, p) for e, c, _, p, _ in told] == [("register", "sms", "13811112222"),
                                                       ("verify_pass", "sms", "13811112222")]
    assert master.number in told[0][4] and "已更换灯泡" in told[1][4]
    phone = notices(world, by_phone.id)
    assert [e for e, *_ in phone] == ["merge", "close_with_master"]
    assert master.number in phone[0][4] and by_phone.number in phone[0][4] and "合并办理" in phone[0][4]
    assert "已办结" in phone[1][4] and "已更换灯泡" in phone[1][4]
    app = notices(world, by_app.id)
    assert [(e, c, u, p) for e, c, u, p, _ in app] == [
        ("merge", "app", world.actors["citizen"].user_id, None),
        ("close_with_master", "app", world.actors["citizen"].user_id, None)]

    # Each reporter rates their own case; not another's.
    rated = world.act(by_app.id, "rate", "citizen", closed_at + HOUR, rating="satisfied")
    assert rated.rating == "satisfied"
    with pytest.raises(Forbidden):
        world.act(by_phone.id, "rate", "citizen", closed_at + HOUR, rating="dissatisfied")
    assert world.act(by_phone.id, "rate", "operator", closed_at + HOUR, rating="basic").rating == "basic"


def test_a_rejected_master_takes_its_merged_cases_with_it(world):
    master, by_phone, _ = three_reports(world)
    world.act(by_phone.id, "merge", "dispatcher", MONDAY + 3 * HOUR, master_case_id=master.id)
    world.act(master.id, "reject", "dispatcher", MONDAY + 4 * HOUR, note="属于供电公司产权，已告知联系方式")
    after = world.get(by_phone.id)
    assert after.state == "rejected" and after.resolution_note == "属于供电公司产权，已告知联系方式"
    assert world.events(by_phone.id)[-1].action == "reject_with_master"
    assert [e for e, *_ in notices(world, by_phone.id)] == ["merge", "reject_with_master"]
    assert "不予立案" in notices(world, by_phone.id)[1][4] and "供电公司" in notices(world, by_phone.id)[1][4]


def test_a_master_merged_in_turn_hands_its_merged_cases_on(world):
    first, second, third = three_reports(world)
    world.act(third.id, "merge", "dispatcher", MONDAY + 3 * HOUR, master_case_id=second.id)
    world.act(second.id, "merge", "dispatcher", MONDAY + 3 * HOUR, master_case_id=first.id)
    moved = world.get(third.id)
    assert (moved.state, moved.merged_into_id) == ("merged", first.id)
    assert world.events(third.id)[-1].action == "follow_master"
    assert first.number in notices(world, third.id)[-1][4]
    world.act(first.id, "register", "dispatcher", MONDAY + 4 * HOUR)
    close(world, first.id, MONDAY + 5 * HOUR)
    assert {world.get(c.id).state for c in (second, third)} == {"closed"}


def test_merges_refused_with_the_existing_errors_and_nothing_written(world):
    master, dup, third = three_reports(world)
    before = count_notices(world)
    with pytest.raises(InvalidInput) as refused:
        world.act(dup.id, "merge", "dispatcher", MONDAY + HOUR, master_case_id=dup.id)
    assert refused.value.field == "master_case_id" and "itself" in refused.value.detail
    with pytest.raises(NotFound) as refused:
        world.act(dup.id, "merge", "dispatcher", MONDAY + HOUR, master_case_id=999_999)
    assert refused.value.field == "master_case_id"
    with pytest.raises(InvalidInput) as refused:
        world.act(dup.id, "merge", "dispatcher", MONDAY + HOUR)
    assert refused.value.field == "master_case_id"
    world.act(master.id, "register", "dispatcher", MONDAY + 3 * HOUR)
    close(world, master.id, MONDAY + 4 * HOUR)
    with pytest.raises(InvalidInput) as refused:
        world.act(dup.id, "merge", "dispatcher", MONDAY + 8 * HOUR, master_case_id=master.id)
    assert refused.value.field == "master_case_id" and "open case" in refused.value.detail
    with pytest.raises(Forbidden):
        world.act(dup.id, "merge", "operator", MONDAY + 8 * HOUR, master_case_id=master.id)
    with pytest.raises(Conflict) as refused:  # a closed case is not merged into anything
        world.act(master.id, "merge", "dispatcher", MONDAY + 8 * HOUR, master_case_id=dup.id)
    assert refused.value.field == "state"
    assert world.get(dup.id).state == "reported"
    assert count_notices(world) == before + 2  # the master's register and close, nothing for the refusals
    world.act(dup.id, "merge", "dispatcher", MONDAY + 8 * HOUR, master_case_id=third.id)
    with pytest.raises(Forbidden):  # following a master is the system's to do
        world.act(dup.id, "close_with_master", "dispatcher", MONDAY + 8 * HOUR, master_case_id=third.id)
