"""The status rules (commitments/rules.py), table-driven: one item with quarterly
milestones, seen on many dates with different progress."""
from __future__ import annotations

import datetime as dt

import pytest

from civicloop.cases.lifecycle import Actor, Role
from civicloop.commitments.rules import (
    RISK_DAYS,
    SILENCE_DAYS,
    ItemView,
    MilestoneView,
    ProgressView,
    Status,
    SupervisionView,
    check_in_year,
    derive,
    may_report_progress,
    period_end,
)
from civicloop.errors import InvalidInput

D = dt.date
# 建设口袋公园 30 个: 10 by the end of Q2, 20 by Q3, all 30 by the year's end.
Q2 = MilestoneView(1, D(2026, 6, 30), "完成10个", 10)
Q3 = MilestoneView(2, D(2026, 9, 30), "完成20个", 20)
PLAN = MilestoneView(3, D(2026, 3, 31), "完成选址设计")  # no quantity: met only when a report says so


def park(*progress: ProgressView, supervisions=(), dropped_on=None, milestones=(PLAN, Q2, Q3)) -> ItemView:
    return ItemView(created_on=D(2026, 2, 10), due=D(2026, 12, 31), quantity=30, dropped_on=dropped_on,
                    drop_reason="规划调整" if dropped_on else None, milestones=milestones, progress=progress,
                    supervisions=tuple(supervisions))


DESIGNED = ProgressView(D(2026, 3, 25), None, milestone_id=3)
TEN = ProgressView(D(2026, 6, 28), 10)
EIGHT = ProgressView(D(2026, 6, 28), 8)
TWENTY = ProgressView(D(2026, 9, 29), 20)
THIRTY = ProgressView(D(2026, 12, 1), 30)

CASES = [
    # (as of, progress, expected status, a word the reason must contain)
    (D(2026, 2, 15), (), Status.ON_TRACK, "按节点推进"),
    (D(2026, 3, 21), (), Status.AT_RISK, "完成选址设计"),          # due in 10 days, not met
    (D(2026, 3, 20), (), Status.ON_TRACK, "按节点推进"),           # 11 days before: not yet
    (D(2026, 3, 31), (), Status.AT_RISK, "2026-03-31"),           # due today: still not late
    (D(2026, 4, 1), (), Status.LATE, "完成选址设计"),              # the day after: late
    (D(2026, 4, 1), (DESIGNED,), Status.ON_TRACK, "按节点推进"),
    (D(2026, 3, 24), (DESIGNED,), Status.AT_RISK, "完成选址设计"),  # the report is dated later than the date asked
    (D(2026, 6, 25), (DESIGNED,), Status.AT_RISK, "完成10个"),
    (D(2026, 7, 1), (DESIGNED, EIGHT), Status.LATE, "已完成 8"),   # 8 of 10 by Q2
    (D(2026, 7, 1), (DESIGNED, TEN), Status.ON_TRACK, "按节点推进"),
    (D(2026, 10, 1), (DESIGNED, TEN), Status.LATE, "完成20个"),
    (D(2026, 10, 1), (DESIGNED, TEN, TWENTY), Status.ON_TRACK, "按节点推进"),
    (D(2026, 12, 2), (DESIGNED, TEN, TWENTY, THIRTY), Status.DONE, "30"),
    (D(2027, 1, 1), (DESIGNED, TEN, TWENTY), Status.LATE, "2026-12-31"),
    (D(2026, 5, 1), (DESIGNED, ProgressView(D(2026, 4, 30), 5, completed=True)), Status.DONE, "已完成"),
    # silence: nothing for more than SILENCE_DAYS after the last report (or the creation)
    (D(2026, 3, 25) + dt.timedelta(days=SILENCE_DAYS + 1), (DESIGNED,), Status.AT_RISK, "未报告进展"),
    (D(2026, 3, 25) + dt.timedelta(days=SILENCE_DAYS), (DESIGNED,), Status.ON_TRACK, "按节点推进"),
]


@pytest.mark.parametrize("as_of, progress, expected, word", CASES,
                         ids=[f"{c[0]}-{len(c[1])}reports-{c[2].value}" for c in CASES])
def test_status_over_dates(as_of, progress, expected, word):
    verdict = derive(park(*progress), as_of)
    assert verdict.status is expected, verdict
    assert word in verdict.reason


def test_risk_window_is_the_documented_one():
    due = PLAN.due
    assert derive(park(), due - dt.timedelta(days=RISK_DAYS)).status is Status.AT_RISK
    assert derive(park(), due - dt.timedelta(days=RISK_DAYS + 1)).status is Status.ON_TRACK


def test_dropped_wins_from_its_date_with_its_reason():
    item = park(DESIGNED, TEN, dropped_on=D(2026, 8, 1))
    assert derive(item, D(2026, 7, 31)).status is Status.ON_TRACK
    verdict = derive(item, D(2026, 8, 1))
    assert verdict.status is Status.DROPPED and verdict.reason == "规划调整"


def test_achieved_is_the_latest_quantity_reported_by_the_date():
    assert derive(park(DESIGNED, TEN, TWENTY), D(2026, 7, 15)).achieved == 10
    assert derive(park(DESIGNED, TEN, TWENTY), D(2026, 9, 29)).achieved == 20
    assert derive(park(DESIGNED), D(2026, 4, 1)).achieved is None


def test_unanswered_supervision_puts_an_item_at_risk_until_a_report_comes():
    order = SupervisionView(created_on=D(2026, 7, 2), due=D(2026, 7, 10))
    item = park(DESIGNED, TEN, supervisions=[order])
    assert derive(item, D(2026, 7, 10)).status is Status.ON_TRACK      # not yet past its due date
    verdict = derive(item, D(2026, 7, 11))
    assert verdict.status is Status.AT_RISK and "督办" in verdict.reason
    answered = park(DESIGNED, TEN, ProgressView(D(2026, 7, 8), 12), supervisions=[order])
    assert derive(answered, D(2026, 7, 11)).status is Status.ON_TRACK


def test_a_target_reached_early_is_not_done_until_a_report_says_the_year_is_in():
    growth = ItemView(created_on=D(2026, 1, 10), due=D(2026, 12, 31), quantity=12, cumulative=False,
                      progress=(ProgressView(D(2026, 5, 25), 12.4),))
    verdict = derive(growth, D(2026, 6, 1))
    assert verdict.status is Status.ON_TRACK and verdict.achieved == 12.4
    final = ProgressView(D(2026, 12, 31), 12.6, completed=True)
    assert derive(ItemView(**{**growth.__dict__, "progress": growth.progress + (final,)}), D(2027, 1, 5)).status \
        is Status.DONE


def test_an_item_without_milestones_is_judged_by_its_due_date_and_silence():
    item = ItemView(created_on=D(2026, 1, 1), due=D(2026, 6, 30), quantity=None,
                    progress=(ProgressView(D(2026, 6, 1), None),))
    assert derive(item, D(2026, 6, 30)).status is Status.ON_TRACK
    assert derive(item, D(2026, 7, 1)).status is Status.LATE


@pytest.mark.parametrize("text, expected", [
    ("Q1", D(2026, 3, 31)), ("q2", D(2026, 6, 30)), ("2026-Q4", D(2026, 12, 31)),
    ("2026-02", D(2026, 2, 28)), ("2026-06-15", D(2026, 6, 15))])
def test_period_end(text, expected):
    assert period_end("due", text, 2026) == expected


@pytest.mark.parametrize("text", ["Q5", "2026-13", "2026-02-30", "六月", "", "2026/06/30"])
def test_period_end_refuses_what_is_not_a_date(text):
    with pytest.raises(InvalidInput) as refused:
        period_end("due", text, 2026)
    assert refused.value.field == "due"


def test_milestones_stay_in_the_item_year():
    assert check_in_year("due", D(2026, 1, 1), 2026) == D(2026, 1, 1)
    for day in (D(2025, 12, 31), D(2027, 1, 1)):
        with pytest.raises(InvalidInput, match="outside the item's year 2026"):
            check_in_year("due", day, 2026)
    with pytest.raises(InvalidInput, match="after the item's own due date"):
        check_in_year("due", D(2026, 7, 1), 2026, latest=D(2026, 6, 30))


@pytest.mark.parametrize("role, department, allowed", [
    (Role.HANDLER, 1, True),      # the lead department
    (Role.HANDLER, 2, True),      # a co-department
    (Role.HANDLER, 3, False),     # another department
    (Role.HANDLER, None, False),
    (Role.SUPERVISOR, 1, False),  # leaders supervise, they do not report
    (Role.ADMIN, None, False),
    (Role.DISPATCHER, 1, False),
])
def test_who_reports_progress(role, department, allowed):
    why = may_report_progress(Actor(7, role, department), lead_department_id=1, co_department_ids=frozenset({2}))
    assert (why is None) is allowed, why
