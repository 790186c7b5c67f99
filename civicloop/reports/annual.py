"""The next report's review section drafted from the data: the year's targets met or missed
and its 实事 done, as tracked through the year (commitments/), and the year's case figures
(assess.annual_paragraph). Every number in the draft comes from the database; what the
database does not hold is said plainly, never filled in.

A target's kind and qualifier (以上, 以内, 左右 …) come from the report when one is given,
else from the tracked item's own sentence read again; the figure it is judged on is the
latest quantity reported on the item by the year's end (in the item's unit: a growth in
percent, a fall as a positive number like the target's 下降3.2%).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from sqlalchemy.orm import Session

from civicloop.assess.service import annual_paragraph, only_district
from civicloop.commitments import service as tracking
from civicloop.commitments.imports import target_title
from civicloop.commitments.models import TrackedItem
from civicloop.commitments.rules import Status, Verdict
from civicloop.errors import InvalidInput
from civicloop.reports.compare import (
    CommitmentLine,
    Comparison,
    TargetLine,
    fmt,
    judge,
    lines_dict,
)
from civicloop.reports.reading import (
    Commitment,
    Quantity,
    ReportReading,
    Source,
    Target,
)
from civicloop.reports.targets import read_targets
from civicloop.reports.text import clean, paragraphs

YEARS = range(2000, 2101)


def _year_end(year: int) -> dt.date:
    return dt.date(year, 12, 31)


def _check_year(year: int) -> int:
    if not isinstance(year, int) or year not in YEARS:
        raise InvalidInput("year", f"a year between {YEARS.start} and {YEARS.stop - 1}, got {year!r}")
    return year


def _reread(item: TrackedItem) -> Target | None:
    """The target a tracked item was made from, read again from its sentence."""
    cleaned = clean(item.source_sentence or item.body)
    found = [t for paragraph in paragraphs(cleaned.text) for t in read_targets(paragraph, cleaned.source)[0]]
    return next((t for t in found if target_title(t) == item.title), found[0] if len(found) == 1 else None)


def target_line(target: Target, item: TrackedItem | None, verdict: Verdict | None) -> TargetLine:
    """A target judged on what its tracked item reports."""
    if item is None or verdict is None:
        return TargetLine(target, "no_figure", None, "库中没有跟踪此目标")
    if verdict.status is Status.DROPPED:
        return TargetLine(target, "not_comparable", None, f"已终止：{verdict.reason}")
    if target.value is None:
        return TargetLine(target, "not_comparable", None, f"定性目标，没有可比的数值（跟踪状态：{verdict.label}）")
    if verdict.achieved is None:
        return TargetLine(target, "no_figure", None, f"跟踪中没有报告完成数（{verdict.label}：{verdict.reason}）")
    achieved = verdict.achieved
    shown = f"{fmt(achieved)}{item.unit or target.unit or ''}"
    if target.kind == "growth":
        # The item's quantity is the target's own figure: a fall is reported as a positive number.
        result, reason = judge(target, -achieved if target.direction == "down" else achieved, "%", growth=True)
        shown = f"{'下降' if target.direction == 'down' else '增长'}{shown}"
    else:
        result, reason = judge(target, achieved, item.unit or target.unit, growth=False)
    return TargetLine(target, result, shown, reason)


def commitment_line(commitment: Commitment, item: TrackedItem | None, verdict: Verdict | None) -> CommitmentLine:
    """A 实事 item as tracked: done, partly (reported on, not finished), or not reported."""
    if item is None or verdict is None:
        return CommitmentLine(commitment, "not_mentioned", "库中没有跟踪此项")
    promised = f"承诺{fmt(item.quantity)}{item.unit or ''}" if item.quantity is not None else ""
    so_far = f"已完成{fmt(verdict.achieved)}{item.unit or ''}" if verdict.achieved is not None else ""
    amounts = "，".join(filter(None, (so_far, promised)))
    detail = f"{verdict.label}：{verdict.reason}" + (f"（{amounts}）" if amounts and amounts not in verdict.reason else "")
    if verdict.status is Status.DONE:
        return CommitmentLine(commitment, "done", detail)
    if verdict.achieved is not None or verdict.status is Status.DROPPED:
        return CommitmentLine(commitment, "partly", detail)
    return CommitmentLine(commitment, "not_mentioned", f"没有报告进展（{detail}）")


def _items(session: Session, district_code: str, year: int) -> tuple[list[TrackedItem], dict[int, Verdict]]:
    items = tracking.list_items(session, district_code=district_code, year=year)
    return items, tracking.statuses(session, items, _year_end(year))


def _match(items: list[TrackedItem], kind: str, sentence: str, title: str) -> TrackedItem | None:
    """The item imported from this sentence with this title (commitments/imports.py), else
    the one with the title alone (an item entered by hand)."""
    same_kind = [i for i in items if i.kind == kind]
    return (next((i for i in same_kind if i.source_sentence == sentence and i.title == title), None)
            or next((i for i in same_kind if i.source_sentence == sentence), None)
            or next((i for i in same_kind if i.title == title), None))


def compare_tracked(session: Session, reading: ReportReading, *, district_code: str,
                    year: int | None = None) -> Comparison:
    """A report's targets and 实事 against the items tracked for them, as of the year's end."""
    year = year or reading.metadata.plan_year
    if year is None:
        raise InvalidInput("year", "the report does not say which year it plans; give the year")
    _check_year(year)
    only_district(session, district_code)
    items, verdicts = _items(session, district_code, year)
    warnings = [] if items else [f"库中没有{district_code}的{year}年跟踪事项"]
    targets = []
    for t in reading.targets:
        item = _match(items, "target", t.source.text, target_title(t))
        targets.append(target_line(t, item, verdicts.get(item.id) if item else None))
    commitments = []
    for c in reading.commitments:
        item = _match(items, "commitment", c.source.text, c.title or c.text)
        commitments.append(commitment_line(c, item, verdicts.get(item.id) if item else None))
    return Comparison(reading.metadata, None, tuple(targets), tuple(commitments), tuple(warnings), year)


# ------------------------------------------------------------------ the draft

@dataclass(frozen=True)
class Section:
    heading: str
    text: str


@dataclass(frozen=True)
class Draft:
    district_code: str | None
    district: str
    year: int
    sections: tuple[Section, ...]
    targets: tuple[TargetLine, ...]
    commitments: tuple[CommitmentLine, ...]

    @property
    def text(self) -> str:
        return "\n\n".join(f"{s.heading}\n{s.text}" for s in self.sections)

    def to_dict(self) -> dict:
        return {"district_code": self.district_code, "district": self.district, "year": self.year,
                "sections": [asdict(s) for s in self.sections], "text": self.text,
                **lines_dict(self.targets, self.commitments)}


def _as_commitment(item: TrackedItem, number: int) -> Commitment:
    quantities = (Quantity(item.quantity, item.unit or ""),) if item.quantity is not None else ()
    sentence = item.source_sentence or item.body
    return Commitment(number, item.title, item.body, quantities, None, Source(sentence, 0, len(sentence)))


def _target_phrase(line: TargetLine) -> str:
    goal = target_title(line.target)
    if line.achieved is None:
        return goal
    name = line.target.name
    return f"{name}{line.achieved.removeprefix(name)}（目标：{goal.removeprefix(name)}）"


def _why_not_judged(line: TargetLine) -> str:
    if line.verdict == "no_figure":
        return "未报告完成数"
    return "定性目标" if line.target.value is None else line.reason


def _targets_text(year: int, lines: list[TargetLine]) -> str:
    if not lines:
        return f"库中没有{year}年跟踪的主要预期目标。"
    met = [_target_phrase(x) for x in lines if x.verdict == "met"]
    missed = [_target_phrase(x) for x in lines if x.verdict == "missed"]
    other = [f"{target_title(x.target)}（{_why_not_judged(x)}）" for x in lines
             if x.verdict in ("not_comparable", "no_figure")]
    parts = [f"{year}年确定的{len(lines)}项主要预期目标中"]
    if met:
        parts.append(f"{len(met)}项完成：{'；'.join(met)}")
    if missed:
        parts.append(f"{len(missed)}项未完成：{'；'.join(missed)}")
    if other:
        parts.append(f"{len(other)}项无法以数字判定：{'；'.join(other)}")
    return "，".join(parts[:2]) + ("。" if len(parts) <= 2 else "；" + "；".join(parts[2:]) + "。")


def _commitments_text(year: int, items: list[TrackedItem], verdicts: dict[int, Verdict]) -> str:
    if not items:
        return f"库中没有{year}年跟踪的民生实事。"
    done = [i.title for i in items if verdicts[i.id].status is Status.DONE]
    dropped = [f"{i.title}（{verdicts[i.id].reason}）" for i in items if verdicts[i.id].status is Status.DROPPED]
    going = []
    for i in items:
        verdict = verdicts[i.id]
        if verdict.status in (Status.DONE, Status.DROPPED):
            continue
        promised = f"，承诺{fmt(i.quantity)}{i.unit or ''}" if i.quantity is not None else ""
        so_far = f"已完成{fmt(verdict.achieved)}{i.unit or ''}" if verdict.achieved is not None else "未报告完成数量"
        going.append(f"{i.title}（{so_far}{promised}）")
    text = f"{year}年承诺的{len(items)}件民生实事，已完成{len(done)}件" + (f"：{'、'.join(done)}" if done else "")
    if going:
        text += f"；{len(going)}件未完成：{'；'.join(going)}"
    if dropped:
        text += f"；{len(dropped)}件终止：{'；'.join(dropped)}"
    return text + "。"


def draft(session: Session, district: str | None, year: int, reading: ReportReading | None = None) -> Draft:
    """The review section of the report that follows `year`: targets, 实事, case figures.
    With `reading` (the report that set the year's targets) its targets are judged as it
    words them; without it, as each tracked item's sentence words them."""
    _check_year(year)
    code, name = only_district(session, district)
    items, verdicts = _items(session, code, year) if code else ([], {})
    if reading is not None:
        compared = compare_tracked(session, reading, district_code=code, year=year) if code else None
        target_lines = list(compared.targets) if compared else []
    else:
        target_lines = []
        for item in (i for i in items if i.kind == "target"):
            target = _reread(item)
            if target is None:      # an item entered by hand in words the reader cannot take
                sentence = item.source_sentence or item.body
                target_lines.append(TargetLine(Target(None, item.title, "qualitative", None, None, None, None, None,
                                                      Source(sentence, 0, len(sentence))), "not_comparable", None,
                                               "无法从跟踪事项的原句读出目标"))
            else:
                target_lines.append(target_line(target, item, verdicts[item.id]))
    tracked = [i for i in items if i.kind == "commitment"]
    commitment_lines = [commitment_line(_as_commitment(i, n), i, verdicts[i.id]) for n, i in enumerate(tracked, 1)]
    sections = (Section("一、主要预期目标完成情况", _targets_text(year, target_lines)),
                Section("二、民生实事办理情况", _commitments_text(year, tracked, verdicts)),
                Section("三、群众诉求办理情况", annual_paragraph(session, code, year)))
    return Draft(code, name, year, sections, tuple(target_lines), tuple(commitment_lines))
