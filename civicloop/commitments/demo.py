"""`civicloop demo`'s year of targets and 实事 for 武昌区 (420106).

The district's real 政府工作报告 (data/work-report-420106.txt, delivered 2012-12-25) is read
and tracked as if it planned the demo's year: each target and 实事 led by the bureau its
text points to, quarterly milestones on what it promises, monthly progress by the lead
departments' handlers (some ahead, some behind) up to the demo's last day, 督办 on items
that fell behind, and two bulletins a fortnight apart — so that `civicloop commitments
list|show|bulletin` have a year to show. Everything goes through the service layer."""
from __future__ import annotations

import datetime as dt
import random
from collections import Counter

from sqlalchemy import select
from sqlalchemy.engine import Engine

from civicloop.cases.lifecycle import Actor, Role
from civicloop.commitments import bulletin, service
from civicloop.commitments.imports import import_reading
from civicloop.commitments.rules import Status
from civicloop.db import transaction
from civicloop.departments.seed import bureau_code
from civicloop.reports.reader import read_bytes
from civicloop.settings import PACKAGE_DIR
from civicloop.users.models import User
from civicloop.users.service import actor_for_username

DISTRICT = "420106"
REPORT = PACKAGE_DIR / "data" / "work-report-420106.txt"
# (a word of the item's text, the key of the bureau that leads it): the first match wins,
# so the particular words come before 社区, which many items mention.
KEYWORD_LEADS = (("财政", "czj"), ("消费", "swj"), ("生产总值", "fgj"), ("节能", "fgj"), ("污染", "sthj"),
                 ("文体", "wlj"), ("绿化", "ylj"), ("就业", "rsj"), ("养老", "mzj"), ("老年", "mzj"),
                 ("道路", "zfcx"), ("居住", "zfcx"), ("困难", "mzj"), ("收入", "rsj"), ("社区", "mzj"))


def play_year(engine: Engine, end: dt.datetime, seed: int) -> dict[str, int]:
    """Track the report's items for `end`'s year up to `end`; returns how many are in each
    status as of `end`'s day."""
    rng = random.Random(seed)
    year, today = end.year, end.date()
    planned = dt.datetime(year, 1, 10, 9)
    reading = read_bytes(REPORT.read_bytes(), REPORT.name)
    with transaction(engine) as s:
        leader, supervisor = actor_for_username(s, "leader1"), actor_for_username(s, "supervisor1")
        made = import_reading(s, reading, district_code=DISTRICT, year=year, actor=leader, now=planned,
                              lead_department=bureau_code(DISTRICT, "zfb"),
                              keyword_leads=tuple((word, bureau_code(DISTRICT, key)) for word, key in KEYWORD_LEADS))
        handlers = {u.department_id: Actor(u.id, Role.HANDLER, u.department_id) for u in s.scalars(
            select(User).where(User.role == Role.HANDLER.value).order_by(User.id))}
        items = [service.get_item(s, item_id) for item_id in made.created]
        for item in items:
            _plan_and_report(s, item, handlers[item.lead_department_id], leader, rng, planned, today)
    with transaction(engine) as s:
        behind = [item for item in service.list_items(s, district_code=DISTRICT, year=year)
                  if service.status_of(s, item, today - dt.timedelta(days=20)).status is Status.LATE]
        for item in behind[:3]:
            ordered = dt.datetime.combine(today - dt.timedelta(days=20), dt.time(10))
            service.supervise(s, item.id, actor=leader, now=ordered, note="进度滞后，请牵头单位十日内报告整改措施",
                              due=ordered.date() + dt.timedelta(days=10))
    for day in (today - dt.timedelta(days=14), today):
        with transaction(engine) as s:
            bulletin.issue(s, actor=supervisor, now=dt.datetime.combine(day, dt.time(17)), district_code=DISTRICT,
                           as_of=day)
    with transaction(engine) as s:
        items = service.list_items(s, district_code=DISTRICT, year=year)
        return dict(Counter(v.status.value for v in service.statuses(s, items, today).values()))


def _plan_and_report(s, item, handler: Actor, leader: Actor, rng: random.Random, planned: dt.datetime,
                     today: dt.date) -> None:
    """Milestones at the ends of Q1–Q3, then a report near each month's end, at a pace of
    its own. An amount to build (46 个) is counted up a quarter a quarter; a rate (增长12%)
    is reported as the year so far, and its milestones are met by the reports that name them."""
    counted = item.quantity is not None and item.unit != "%"
    quarters = [q for q in (1, 2, 3) if dt.date(item.year, q * 3, 28) <= item.due]
    ids = [service.add_milestone(s, item.id, actor=leader, now=planned, due=f"Q{q}",
                                 what=f"完成全年任务的{q * 25}%" if counted else f"第{q}季度推进情况分析",
                                 target_quantity=round(item.quantity * q / 4, 1) if counted else None).id
           for q in quarters]
    pace = rng.uniform(0.75, 1.3)
    for month in range(2, 13):
        on = dt.date(item.year, month, 25)
        if on > today or rng.random() < 0.2:
            continue
        share = min(1.0, pace * month / 12)
        if counted:
            quantity, text = round(item.quantity * share, 1), f"已完成全年任务的{share:.0%}"
        elif item.quantity is not None:
            quantity = round(item.quantity * min(pace, 1.1), 1)
            text = f"1—{month}月累计增长{quantity:g}%"
        else:
            quantity, text = None, f"已完成全年任务的{share:.0%}"
        finished = [m for q, m in zip(quarters, ids) if q * 3 <= month and share >= q / 4]
        service.report_progress(s, item.id, actor=handler, now=dt.datetime.combine(on, dt.time(16)), reported_on=on,
                                text=text, quantity=quantity, milestone_id=None if counted or not finished else finished[-1],
                                # a target is in only with the year's figure; a commitment when it is all done
                                completed=month == 12 if item.kind == "target" else share >= 1.0 and not counted)
        if counted and share >= 1.0:
            break
