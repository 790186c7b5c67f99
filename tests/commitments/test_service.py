"""Tracked items through the service, on SQLite and PostgreSQL: creation, milestones,
progress and the status derived from them, 督办, drop, case links, who may do what, and
bad input refused with nothing written."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from civicloop.commitments import service
from civicloop.commitments.models import (
    ItemEvent,
    Milestone,
    ProgressReport,
    Supervision,
    TrackedItem,
)
from civicloop.commitments.rules import Status
from civicloop.db import transaction
from civicloop.errors import Conflict, Forbidden, InvalidInput, NotFound

D = dt.date


def count(tracking, model) -> int:
    with transaction(tracking.engine) as s:
        return s.scalar(select(func.count()).select_from(model))


def test_an_item_keeps_what_it_was_given_and_its_first_event(tracking):
    item_id = tracking.park()
    with transaction(tracking.engine) as s:
        item = service.get_item(s, item_id)
        assert (item.kind, item.year, item.title, item.quantity, item.unit) == ("commitment", 2026, "建设口袋公园30个", 30, "个")
        assert item.source_sentence == "建设口袋公园30个。" and item.due == D(2026, 12, 31)
        assert item.lead_department_id == tracking.world.departments["zj"]
        assert service.co_department_ids(s, item_id) == {tracking.world.departments["cg"]}
        [event] = service.events(s, item_id)
        assert event.action == "create" and event.actor_role == "supervisor" and event.seq == item.version
        assert event.changes["title"] == "建设口袋公园30个"
        assert event.changes["co_department_ids"] == [tracking.world.departments["cg"]]


@pytest.mark.parametrize("fields, field", [
    ({"lead_department": "nope"}, "lead_department"),
    ({"co_departments": ("cg", "nope")}, "co_departments[1]"),
    ({"co_departments": ("zj",)}, "co_departments[0]"),           # the lead again
    ({"title": "   "}, "title"),
    ({"title": "园" * 201}, "title"),
    ({"kind": "wish"}, "kind"),
    ({"year": 1999}, "year"),
    ({"district_code": "4201"}, "district_code"),
    ({"district_code": "420102"}, "lead_department"),            # a department of another district
    ({"quantity": -1}, "quantity"),
    ({"quantity": float("nan")}, "quantity"),
    ({"due": "2026-13-01"}, "due"),
    ({"due": "2027-03-31"}, "due"),
])
def test_bad_items_are_refused_naming_the_field_and_nothing_is_written(tracking, fields, field):
    with pytest.raises(InvalidInput) as refused:
        tracking.park(**fields)
    assert refused.value.field == field, refused.value
    assert count(tracking, TrackedItem) == 0 and count(tracking, ItemEvent) == 0


def test_milestones_by_quarter_month_or_date_within_the_year(tracking):
    item_id = tracking.park(due="2026-11-30")
    add = lambda due, **kw: tracking.call(service.add_milestone, item_id, who="admin", due=due,
                                          what=f"节点 {due}", **kw)
    ids = [add("Q1"), add("2026-06", target_quantity=10), add("2026-09-15", target_quantity=20)]
    with transaction(tracking.engine) as s:
        got = [(m.id, m.due, m.target_quantity) for m in service.milestones(s, item_id)]
        assert got == [(ids[0], D(2026, 3, 31), None), (ids[1], D(2026, 6, 30), 10), (ids[2], D(2026, 9, 15), 20)]
        assert [e.action for e in service.events(s, item_id)] == ["create", "milestone", "milestone", "milestone"]
    for due, why in (("2027-03-31", "outside the item's year"), ("2025-12-31", "outside the item's year"),
                     ("Q4", "after the item's own due date"), ("六月底", "or quarter"),
                     ("2026-02-30", "or quarter")):
        with pytest.raises(InvalidInput, match=why) as refused:
            add(due)
        assert refused.value.field == "due"
    with pytest.raises(InvalidInput) as refused:
        add("Q3", target_quantity=31)
    assert refused.value.field == "target_quantity"
    with pytest.raises(InvalidInput) as refused:
        tracking.call(service.add_milestone, item_id, who="admin", due="Q3", what=" ")
    assert refused.value.field == "what"
    assert count(tracking, Milestone) == 3


def test_status_follows_milestones_and_progress(tracking):
    item_id = tracking.park()
    q2 = tracking.call(service.add_milestone, item_id, who="admin", due="Q2", what="完成10个", target_quantity=10)
    tracking.call(service.add_milestone, item_id, who="admin", due="Q3", what="完成20个", target_quantity=20)

    def status(day):
        with transaction(tracking.engine) as s:
            return service.status_of(s, service.get_item(s, item_id), day)

    assert status(D(2026, 2, 1)).status is Status.ON_TRACK
    tracking.call(service.report_progress, item_id, who="handler_zj", at=dt.datetime(2026, 5, 10, 10),
                  text="已开工6个", quantity=6, evidence=["https://example.gov.cn/p/1.jpg"])
    assert status(D(2026, 6, 25)).status is Status.AT_RISK
    assert status(D(2026, 7, 1)).status is Status.LATE
    # the co-department reports the milestone done (by a later entry dated back to the quarter's end)
    tracking.call(service.report_progress, item_id, who="handler", at=dt.datetime(2026, 7, 3, 10),
                  reported_on="2026-06-30", text="10个已建成", quantity=10, milestone_id=q2)
    late_then_fixed = status(D(2026, 7, 1))
    assert late_then_fixed.status is Status.ON_TRACK and late_then_fixed.achieved == 10
    tracking.call(service.report_progress, item_id, who="handler_zj", at=dt.datetime(2026, 11, 20, 10),
                  text="30个全部建成", quantity=30)
    assert status(D(2026, 11, 20)).status is Status.DONE
    with transaction(tracking.engine) as s:
        reports = service.progress(s, item_id)
        assert [(r.quantity, r.department_id) for r in reports] == [
            (6, tracking.world.departments["zj"]), (10, tracking.world.departments["cg"]),
            (30, tracking.world.departments["zj"])]
        assert reports[0].evidence == ["https://example.gov.cn/p/1.jpg"]
        assert [e.seq for e in service.events(s, item_id)] == list(range(1, 7))


@pytest.mark.parametrize("kw, field", [
    ({"reported_on": "2026-02-31"}, "reported_on"),
    ({"reported_on": "2026-07-01"}, "reported_on"),    # after "now"
    ({"reported_on": "2025-12-31"}, "reported_on"),    # before the item's year
    ({"text": ""}, "text"),
    ({"quantity": 1e13}, "quantity"),
    ({"evidence": ["not a link"]}, "evidence[0]"),
    ({"evidence": ["https://a"] * 21}, "evidence"),
    ({"milestone_id": 999999}, "milestone_id"),
])
def test_bad_progress_is_refused(tracking, kw, field):
    item_id = tracking.park()
    fields = {"text": "进展", **kw}
    with pytest.raises(InvalidInput) as refused:
        tracking.call(service.report_progress, item_id, who="handler_zj", at=dt.datetime(2026, 6, 1, 9), **fields)
    assert refused.value.field == field
    assert count(tracking, ProgressReport) == 0


def test_who_may_do_what(tracking):
    with pytest.raises(Forbidden):
        tracking.call(service.create_item, who="handler_zj", kind="target", district_code="420106", year=2026,
                      title="x", lead_department="zj")
    item_id = tracking.call(service.create_item, who="admin", kind="target", district_code="420106", year=2026,
                            title="地区生产总值增长6%左右", lead_department="zj", co_departments=("cg",))
    at = dt.datetime(2026, 3, 1, 9)
    for who in ("handler_jyq", "supervisor", "admin", "dispatcher"):   # not the lead or a co-department
        with pytest.raises(Forbidden):
            tracking.call(service.report_progress, item_id, who=who, at=at, text="进展")
    for who in ("handler_zj", "handler"):
        tracking.call(service.report_progress, item_id, who=who, at=at, text="进展")
    for who in ("admin", "handler_zj", "dispatcher"):
        with pytest.raises(Forbidden):
            tracking.call(service.supervise, item_id, who=who, at=at, note="加快", due="2026-03-10")
    for who in ("handler_zj", "operator", "dispatcher"):
        with pytest.raises(Forbidden):
            tracking.call(service.add_milestone, item_id, who=who, due="Q2", what="x")
        with pytest.raises(Forbidden):
            tracking.call(service.drop_item, item_id, who=who, reason="x")
    assert count(tracking, ProgressReport) == 2 and count(tracking, Supervision) == 0


def test_a_dropped_item_takes_no_more_progress_milestones_or_supervision(tracking):
    item_id = tracking.park()
    with pytest.raises(InvalidInput) as refused:
        tracking.call(service.drop_item, item_id, who="admin", reason=" ")
    assert refused.value.field == "reason"
    tracking.call(service.drop_item, item_id, who="admin", at=dt.datetime(2026, 4, 1, 9), reason="选址调整，并入明年计划")
    at = dt.datetime(2026, 4, 2, 9)
    for function, kw in ((service.report_progress, {"who": "handler_zj", "text": "进展"}),
                         (service.add_milestone, {"who": "admin", "due": "Q3", "what": "x"}),
                         (service.supervise, {"who": "supervisor", "note": "x", "due": "2026-04-10"}),
                         (service.drop_item, {"who": "admin", "reason": "again"})):
        with pytest.raises(Conflict, match="选址调整，并入明年计划") as refused:
            tracking.call(function, item_id, at=at, **kw)
        assert refused.value.field == "item" and refused.value.status == 409
    assert count(tracking, ProgressReport) == 0 and count(tracking, Milestone) == 0
    with transaction(tracking.engine) as s:
        item = service.get_item(s, item_id)
        verdict = service.status_of(s, item, D(2026, 4, 2))
        assert verdict.status is Status.DROPPED and verdict.reason == "选址调整，并入明年计划"
        assert service.status_of(s, item, D(2026, 3, 31)).status is not Status.DROPPED
        assert [e.action for e in service.events(s, item_id)] == ["create", "drop"]


def test_supervision_is_recorded_and_an_unanswered_one_puts_the_item_at_risk(tracking):
    item_id = tracking.park()
    at = dt.datetime(2026, 2, 2, 9)
    with pytest.raises(InvalidInput) as refused:
        tracking.call(service.supervise, item_id, who="supervisor", at=at, note="请加快", due="2026-02-01")
    assert refused.value.field == "due"
    with pytest.raises(InvalidInput) as refused:
        tracking.call(service.supervise, item_id, who="supervisor", at=at, note="请加快", due="下周")
    assert refused.value.field == "due"
    tracking.call(service.supervise, item_id, who="supervisor", at=at, note="请区住建局一周内报告选址进展",
                  due="2026-02-09")
    with transaction(tracking.engine) as s:
        [order] = service.supervisions(s, item_id)
        assert (order.note, order.due, order.leader_id) == ("请区住建局一周内报告选址进展", D(2026, 2, 9),
                                                            tracking.actor("supervisor").user_id)
        assert service.events(s, item_id)[-1].action == "supervise"
        item = service.get_item(s, item_id)
        assert service.status_of(s, item, D(2026, 2, 9)).status is Status.ON_TRACK
        assert service.status_of(s, item, D(2026, 2, 10)).status is Status.AT_RISK


def test_a_case_links_to_the_item_it_concerns(tracking):
    item_id = tracking.park()
    case = tracking.world.create(title="小区旁口袋公园何时建", body="听说今年建口袋公园，我们小区旁边那块空地能建吗")
    tracking.call(service.link_case, item_id, case.number, who="operator")
    with pytest.raises(Conflict):
        tracking.call(service.link_case, item_id, case.id, who="dispatcher")
    with pytest.raises(NotFound) as missing:
        tracking.call(service.link_case, item_id, "420106-20261123-999999", who="operator")
    assert missing.value.field == "case"
    with pytest.raises(Forbidden):
        tracking.call(service.link_case, item_id, case.id, who="handler_zj")
    with transaction(tracking.engine) as s:
        assert service.linked_cases(s, item_id) == [case.id]
        assert service.events(s, item_id)[-1].changes["case_number"] == case.number


def test_item_history_is_append_only(tracking):
    item_id = tracking.park()
    with pytest.raises(DBAPIError, match="append-only"), transaction(tracking.engine) as s:
        s.execute(text("UPDATE tracked_item_events SET note = 'rewritten' WHERE item_id = :i"), {"i": item_id})


def test_lists_filter_by_year_kind_and_department(tracking):
    park = tracking.park()
    gdp = tracking.call(service.create_item, who="admin", kind="target", district_code="420106", year=2026,
                        title="地区生产总值增长6%左右", lead_department="jyq")
    old = tracking.park(year=2025)
    with transaction(tracking.engine) as s:
        ids = lambda **kw: [i.id for i in service.list_items(s, district_code="420106", **kw)]
        assert ids() == [park, gdp, old]
        assert ids(year=2026) == [park, gdp]
        assert ids(kind="target") == [gdp]
        assert ids(department="cg") == [park, old]   # as a co-department
        assert ids(department="jyq") == [gdp]
        with pytest.raises(InvalidInput) as refused:
            ids(department="nope")
        assert refused.value.field == "department"
