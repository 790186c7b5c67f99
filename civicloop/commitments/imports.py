"""A work report read by civicloop.reports into tracked items: one per target (主要预期目标)
and one per 实事 item, each keeping the sentence it came from. Items are made through
service.create_item; an item already imported (same district, year, kind and sentence) is
not made twice, so a report can be imported again after a correction."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicloop.cases.lifecycle import Actor
from civicloop.commitments import service
from civicloop.commitments.models import TrackedItem
from civicloop.departments.models import Department
from civicloop.errors import InvalidInput
from civicloop.reports.numbers import POST_QUALIFIER
from civicloop.reports.reading import Commitment, ReportReading, Target

_AFTER = frozenset(POST_QUALIFIER.split("|"))


@dataclass
class Imported:
    year: int
    created: list[int] = field(default_factory=list)
    already: int = 0                                   # imported before: left as they are
    notes: list[str] = field(default_factory=list)     # owners the text names that are no department


def target_title(target: Target) -> str:
    """地区生产总值增长12%以上, 力争城镇登记失业率控制在4%以内 …; a qualitative target is its
    sentence, after its indicator's name when the sentence begins with another's."""
    if target.value is None:
        sentence = target.source.text.strip(" ，,。；;")
        title = sentence if sentence.startswith(target.name) else f"{target.name}：{sentence}"
        return title[:service.TITLE_MAX]
    verb = {"up": "增长", "down": "下降"}.get(target.direction or "", "达到" if target.kind == "level" else "")
    before = target.qualifier if target.qualifier and target.qualifier not in _AFTER else ""
    after = target.qualifier if target.qualifier in _AFTER else ""
    return f"{before}{target.name}{verb}{target.value:g}{target.unit or ''}{after}"[:service.TITLE_MAX]


def _lead(text: str, keyword_leads: tuple[tuple[str, str], ...], default: int | str) -> int | str:
    return next((department for keyword, department in keyword_leads if keyword in text), default)


def _owner(session: Session, item: Commitment, district_code: str, default: int | str,
           notes: list[str]) -> int | str:
    """The department the text names, when it is one of the district's by name; else the default."""
    if not item.owner:
        return default
    found = session.scalar(select(Department.id).where(Department.district_code == district_code,
                                                       Department.name == item.owner))
    if found is None:
        notes.append(f"实事{item.number}: 牵头单位“{item.owner}”不是本区已有单位，暂由默认牵头单位负责")
        return default
    return found


def import_reading(session: Session, reading: ReportReading, *, district_code: str, lead_department: int | str,
                   actor: Actor, now: dt.datetime, year: int | None = None,
                   keyword_leads: tuple[tuple[str, str], ...] = ()) -> Imported:
    """Targets and 实事 of `reading` as tracked items of `district_code` for the plan year
    (the report's own, unless `year` is given). An item whose text names no department of
    the district is led by the department of the first of `keyword_leads` (keyword,
    department) whose keyword its text holds, else by `lead_department`."""
    year = year or reading.metadata.plan_year
    if year is None:
        raise InvalidInput("year", "the report does not say which year it plans; give the year")
    default = service.department_of(session, "lead_department", lead_department, district_code).id
    done = set(session.execute(select(TrackedItem.kind, TrackedItem.title, TrackedItem.source_sentence).where(
        TrackedItem.district_code == district_code, TrackedItem.year == year)).tuples())
    result = Imported(year)
    # Two targets read from one sentence (全口径和区级财政收入增长13%) differ by their titles.
    rows = [("target", target_title(t), t.source.text, t.source.text, t.value, t.unit,
             _lead(t.source.text, keyword_leads, default)) for t in reading.targets]
    rows += [("commitment", c.title or c.text[:service.TITLE_MAX], c.text, c.source.text,
              c.quantities[0].value if c.quantities else None, c.quantities[0].unit if c.quantities else None,
              _owner(session, c, district_code, _lead(c.text, keyword_leads, default), result.notes))
             for c in reading.commitments]
    for kind, title, body, sentence, quantity, unit, lead in rows:
        if (kind, title, sentence) in done:
            result.already += 1
            continue
        item = service.create_item(session, actor=actor, now=now, kind=kind, district_code=district_code, year=year,
                                   title=title, body=body, source_sentence=sentence, quantity=quantity, unit=unit,
                                   lead_department=lead)
        done.add((kind, title, sentence))
        result.created.append(item.id)
    return result
