"""The loop closed: a year's report against the next one's review (or against the items
tracked through the year).

Each target is judged against the achieved figure of the same registry indicator
(`judge`, the rules of docs/reports.md), each 实事 item against the review sentence that
speaks of it (`find_mention`). Pure functions over readings: no database here (the
tracked variant is given the items' figures by annual.py).
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Literal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from civicloop.commitments.imports import target_title
from civicloop.reports import indicators
from civicloop.reports.numbers import quantities
from civicloop.reports.reading import (
    Commitment,
    Figure,
    Metadata,
    Quantity,
    ReportReading,
    Source,
    Target,
)
from civicloop.reports.text import Span, clean, paragraphs, split

TargetVerdict = Literal["met", "missed", "not_comparable", "no_figure"]
CommitmentVerdict = Literal["done", "partly", "not_mentioned"]
TARGET_LABELS = {"met": "完成", "missed": "未完成", "not_comparable": "不可比", "no_figure": "未见完成数"}
COMMITMENT_LABELS = {"done": "已完成", "partly": "部分完成", "not_mentioned": "未提及"}

# 左右 (about): an achieved rate this many percentage points below the target, or a level
# this share below it, still meets it; above it always does.
ABOUT_POINTS = 0.5
ABOUT_SHARE = 0.02
_CEILING_WORDS = ("以内", "以下", "控制在", "控制", "不超过", "不高于", "低于")
# Amounts in one unit family, as multiples of the family's smallest unit.
_SCALE = {"元": 1, "千元": 1e3, "万元": 1e4, "亿元": 1e8, "人": 1, "名": 1, "万人": 1e4, "万名": 1e4,
          "户": 1, "万户": 1e4, "册": 1, "万册": 1e4, "吨": 1, "万吨": 1e4, "套": 1, "万套": 1e4,
          "件": 1, "万件": 1e4, "人次": 1, "万人次": 1e4, "平方米": 1, "万平方米": 1e4}
_FAMILY = {"名": "人", "万人": "人", "万名": "人", "千元": "元", "万元": "元", "亿元": "元", "万户": "户",
           "万册": "册", "万吨": "吨", "万套": "套", "万件": "件", "万人次": "人次", "万平方米": "平方米"}
_REVIEW_SENTENCE_END = r"[。;;!?!?]+[”\"’)]?"
_DONE_WORDS = re.compile(r"完成|建成|实现|落实|全覆盖|开通|投入使用|交付|达到|超额|新建|新增|改造|建设|开展|举办|发放|购置")
_UNFINISHED_WORDS = re.compile(r"未完成|尚未|未能|推进中|正在|启动|开工建设|部分|加快推进|持续推进|按计划推进")
_GENERAL_DONE = re.compile(r"实事[^。;;]{0,12}(?:全面|全部|圆满|如期|基本)?(?:完成|兑现|落实)")
_MIN_MATCH = 0.5        # share of an item's key words a sentence must hold to speak of it
_MIN_KEY = 3            # things shorter than this (社区, 道路 …) match too widely to count alone
_SAME_THING = 0.5       # share of a promised thing's character pairs a reported thing must hold


@dataclass(frozen=True)
class TargetLine:
    target: Target
    verdict: TargetVerdict
    achieved: str | None        # what the figure says, as written for people: 增长12.6%, 640亿元
    reason: str
    figure: Figure | None = None


@dataclass(frozen=True)
class CommitmentLine:
    commitment: Commitment
    verdict: CommitmentVerdict
    reason: str
    mention: Source | None = None   # the sentence of the next report that speaks of it


@dataclass(frozen=True)
class Comparison:
    this: Metadata
    following: Metadata | None      # None when compared with tracked items
    targets: tuple[TargetLine, ...]
    commitments: tuple[CommitmentLine, ...]
    warnings: tuple[str, ...] = ()
    tracked_year: int | None = None     # the year of the tracked items compared with, if any

    def to_dict(self) -> dict:
        """Plain JSON-ready data (dates as ISO strings), the shape of the API's answer."""
        data = asdict(self)
        for meta in (data["this"], data["following"]):
            for key in ("delivered_on", "published_on"):
                if meta and meta[key]:
                    meta[key] = meta[key].isoformat()
        data["counts"] = self.counts()
        return data | lines_dict(self.targets, self.commitments)

    def counts(self) -> dict[str, int]:
        lines = [t.verdict for t in self.targets] + [c.verdict for c in self.commitments]
        return {verdict: lines.count(verdict) for verdict in (*TARGET_LABELS, *COMMITMENT_LABELS)}


def lines_dict(targets: tuple[TargetLine, ...], commitments: tuple[CommitmentLine, ...]) -> dict:
    """The lines as plain data, each with its verdict's Chinese label."""
    return {"targets": [asdict(line) | {"label": TARGET_LABELS[line.verdict]} for line in targets],
            "commitments": [asdict(line) | {"label": COMMITMENT_LABELS[line.verdict]} for line in commitments]}


def fmt(value: float) -> str:
    return f"{value:g}"


def _is_ceiling(t: Target) -> bool:
    return t.kind == "ceiling" or (t.qualifier or "") in _CEILING_WORDS


def _scaled(value: float, unit: str, to_unit: str) -> float | None:
    """`value` in `unit` expressed in `to_unit`, or None when they measure different things."""
    if unit == to_unit:
        return value
    if _FAMILY.get(unit, unit) != _FAMILY.get(to_unit, to_unit) or unit not in _SCALE or to_unit not in _SCALE:
        return None
    return value * _SCALE[unit] / _SCALE[to_unit]


def judge(t: Target, achieved: float, unit: str | None, *, growth: bool) -> tuple[TargetVerdict, str]:
    """Met or missed: `achieved` is a growth rate in percent (negative for a fall) when
    `growth`, else a level or rate in `unit`. The rules are docs/reports.md's table."""
    assert t.value is not None
    goal = t.value
    if growth:
        if t.unit != "%":
            return "not_comparable", f"目标单位为{t.unit}，完成数为增速"
        # A fall promised (能耗下降3.2%) is met by falling at least that much.
        value = -achieved if t.direction == "down" else achieved
        shown = f"{'下降' if t.direction == 'down' else '增长'}{fmt(value)}%"
    else:
        converted = _scaled(achieved, unit or "", t.unit or "")
        if converted is None:
            return "not_comparable", f"完成数单位{unit or '(无)'}与目标单位{t.unit or '(无)'}不同"
        value, shown = converted, f"{fmt(converted)}{t.unit or ''}"
    goal_text = f"{fmt(goal)}{t.unit or ''}"
    if _is_ceiling(t) and t.direction != "down":
        met = value <= goal
        rule = f"{'未超过' if met else '超过'}上限{goal_text}"
    elif t.qualifier == "左右":
        rate = growth or t.unit == "%"
        slack = ABOUT_POINTS if rate else goal * ABOUT_SHARE
        met = value >= goal - slack
        rule = (f"{'在' if met else '低于'}{goal_text}左右的容差（{fmt(slack)}{'个百分点' if rate else t.unit or ''}）"
                f"{'内' if met else ''}")
    else:
        met = value >= goal
        rule = f"{'达到' if met else '低于'}目标{goal_text}"
    return ("met" if met else "missed"), f"{shown}，{rule}"


def judge_figure(t: Target, figure: Figure | None) -> TargetLine:
    """A target against the achieved figure the next report gives for its indicator."""
    if t.value is None:
        return TargetLine(t, "not_comparable", _figure_text(figure), "定性目标，没有可比的数值", figure)
    if t.indicator is None:
        return TargetLine(t, "not_comparable", None, f"“{t.name}”不在指标库中，无法与完成数对应")
    if figure is None:
        return TargetLine(t, "no_figure", None, "下一年报告未给出该指标的完成数")
    estimated = "（预计数）" if figure.estimated else ""
    if t.kind == "growth" and figure.growth is not None:
        verdict, reason = judge(t, figure.growth, "%", growth=True)
    elif t.kind == "growth" and t.level is not None and figure.value is not None:
        level = Target(t.indicator, t.name, "level", t.level.value, t.level.unit, t.qualifier, None, None, t.source)
        verdict, reason = judge(level, figure.value, figure.unit, growth=False)
        reason = f"按总量目标{fmt(t.level.value)}{t.level.unit}：{reason}"
    elif t.kind != "growth" and figure.value is not None:
        verdict, reason = judge(t, figure.value, figure.unit, growth=False)
    else:
        return TargetLine(t, "no_figure", _figure_text(figure),
                          "完成数只有" + ("总量，没有增速" if t.kind == "growth" else "增速，没有总量"), figure)
    return TargetLine(t, verdict, _figure_text(figure), reason + estimated, figure)


def _figure_text(figure: Figure | None) -> str | None:
    if figure is None:
        return None
    parts = []
    if figure.value is not None:
        parts.append(f"{fmt(figure.value)}{figure.unit or ''}")
    if figure.growth is not None:
        parts.append(f"{'增长' if figure.growth >= 0 else '下降'}{fmt(abs(figure.growth))}%")
    return "，".join(parts) + ("（预计）" if figure.estimated else "")


# ------------------------------------------------------------------ 实事 in the next review

def _bigrams(text: str) -> set[str]:
    runs = re.findall(r"[\u4e00-\u9fff]+", text)
    return {run[i:i + 2] for run in runs for i in range(len(run) - 1)}


def _keys(c: Commitment) -> list[str]:
    """What an item is about: the things it counts (幸福社区, 轮椅车) and its title's words."""
    keys = [q.thing for q in c.quantities if q.thing and len(q.thing) >= _MIN_KEY]
    return keys + [c.title]


def _share(key: str, text: str) -> float:
    """How much of `key` `text` holds: 1 when whole, else the share of its character pairs."""
    if key in text:
        return 1.0
    pairs = _bigrams(key)
    return len(pairs & _bigrams(text)) / len(pairs) if pairs else 0.0


def _speaks_of(keys: list[str], sentence: str) -> float:
    return max(_share(key, sentence) for key in keys)


def review_sentences(text: str, reading: ReportReading) -> list[Source]:
    """The sentences of a report's review: those before its plan (its first target or 实事)."""
    cleaned = clean(text)
    plan = [s.source.start for s in (*reading.targets, *reading.commitments)]
    end = min(plan) if plan else len(text)
    found = []
    for paragraph in paragraphs(cleaned.text):
        for piece in split(Span(paragraph.text, paragraph.start, paragraph.end), _REVIEW_SENTENCE_END):
            source = cleaned.source(piece.start, piece.end)
            if source.end <= end:
                found.append(source)
    return found


def _delivered(promised: Quantity, sentence: str) -> float | None:
    """The amount of the promised thing the sentence reports, in the promised unit."""
    best = None
    for q in quantities(sentence):
        amount = _scaled(q.value, q.unit, promised.unit)
        if amount is None:
            continue
        if promised.thing and q.thing and _share(promised.thing, q.thing) < _SAME_THING:
            continue
        best = amount if best is None else max(best, amount)
    return best


def find_mention(c: Commitment, sentences: list[Source], general: Source | None = None) -> CommitmentLine:
    """Done / partly / not mentioned, with the review sentence that speaks of the item."""
    keys = _keys(c)
    # Of the sentences that speak of the item, the one reporting most of its amounts (a
    # heading such as 幸福社区建设成效明显 names it as well as the sentence with the figures).
    speaking = [s for s in sentences if _speaks_of(keys, s.text) >= _MIN_MATCH]
    sentence = max(speaking, default=None, key=lambda s: (
        sum(_delivered(q, s.text) is not None for q in c.quantities), _speaks_of(keys, s.text)))
    if sentence is None:
        reason = "下一年报告的回顾中没有说到此项"
        if general is not None:
            reason += f"（只有总述：“{general.text.strip()}”）"
        return CommitmentLine(c, "not_mentioned", reason)
    results = []
    for promised in c.quantities:
        got = _delivered(promised, sentence.text)
        if got is not None:
            results.append((promised, got))
    unfinished = _UNFINISHED_WORDS.search(sentence.text)
    short = [f"{fmt(got)}{p.unit}{p.thing or ''}（承诺{fmt(p.value)}）" for p, got in results if got < p.value]
    met = [f"{fmt(got)}{p.unit}{p.thing or ''}" for p, got in results if got >= p.value]
    if short:
        return CommitmentLine(c, "partly", "未达承诺数量：" + "、".join(short), sentence)
    if unfinished:
        return CommitmentLine(c, "partly", f"回顾说“{unfinished.group()}”", sentence)
    if met and len(results) == len(c.quantities):
        return CommitmentLine(c, "done", "达到承诺数量：" + "、".join(met), sentence)
    if met:
        missing = [f"{fmt(p.value)}{p.unit}{p.thing or ''}" for p in c.quantities if p not in dict(results)]
        return CommitmentLine(c, "partly", "达到" + "、".join(met) + "；未说到" + "、".join(missing), sentence)
    if c.quantities:
        return CommitmentLine(c, "partly", "回顾说到此项，但没有给出承诺的数量", sentence)
    if _DONE_WORDS.search(sentence.text):
        return CommitmentLine(c, "done", "回顾说已办成", sentence)
    return CommitmentLine(c, "partly", "回顾说到此项，但没有说办成", sentence)


# ------------------------------------------------------------------ the comparison

def _checks(this: ReportReading, following: ReportReading, same_text: bool) -> list[str]:
    """What makes the pair doubtful; compared all the same, so that a user can see why."""
    warnings = []
    a, b = this.metadata, following.metadata
    if same_text:
        warnings.append("两份报告内容相同：这是同一份报告，比较没有意义")
    if a.district and b.district and not (a.district.endswith(b.district) or b.district.endswith(a.district)):
        warnings.append(f"两份报告不是同一个区的：{a.district} 与 {b.district}")
    if a.plan_year and b.report_year and a.plan_year != b.report_year:
        warnings.append(f"下一年报告回顾的是{b.report_year}年，而本年报告计划的是{a.plan_year}年")
    if not this.targets and not this.commitments:
        warnings.append("本年报告中没有读出目标或实事")
    if not following.figures:
        warnings.append("下一年报告中没有读出完成数")
    return warnings


def compare(this: ReportReading, following: ReportReading, following_text: str, *, same_text: bool = False) -> Comparison:
    """This year's targets and 实事 against the next year's report (its reading and text)."""
    figures: dict[str, Figure] = {}
    for figure in following.figures:
        if figure.indicator is not None:
            figures.setdefault(figure.indicator, figure)   # the first: the headline sentence
    targets = tuple(judge_figure(t, figures.get(t.indicator or "")) for t in this.targets)
    sentences = review_sentences(following_text, following)
    general = next((s for s in sentences if _GENERAL_DONE.search(s.text)), None)
    commitments = tuple(find_mention(c, sentences, general) for c in this.commitments)
    return Comparison(this.metadata, following.metadata, targets, commitments,
                      tuple(_checks(this, following, same_text)))


# ------------------------------------------------------------------ as a table (terminal and Excel)

TARGET_COLUMNS = ("指标", "目标（原文）", "完成情况", "判定", "说明")
COMMITMENT_COLUMNS = ("#", "实事", "判定", "说明", "下一年报告原句")


def target_rows(comparison: Comparison) -> list[tuple[str, ...]]:
    return [(indicators.standard_name(line.target.indicator) or line.target.name, target_title(line.target),
             line.achieved or "", TARGET_LABELS[line.verdict], line.reason) for line in comparison.targets]


def commitment_rows(comparison: Comparison) -> list[tuple[str, ...]]:
    return [(str(line.commitment.number), line.commitment.title, COMMITMENT_LABELS[line.verdict], line.reason,
             line.mention.text.strip() if line.mention else "") for line in comparison.commitments]


_HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
_VERDICT_FILLS = {"完成": "E2EFDA", "已完成": "E2EFDA", "未完成": "FCE4D6", "部分完成": "FFF2CC",
                  "未提及": "FCE4D6", "未见完成数": "EDEDED", "不可比": "EDEDED"}
_WIDTHS = {"指标": 20, "目标（原文）": 30, "完成情况": 22, "判定": 10, "说明": 50, "#": 5, "实事": 24,
           "下一年报告原句": 70}


def _sheet(book: Workbook, name: str, title: str, columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    sheet = book.create_sheet(name)
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(list(columns))
    for cell in sheet[2]:
        cell.font, cell.fill = Font(bold=True), _HEAD_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center")
    verdict_column = columns.index("判定")
    for row in rows:
        sheet.append(list(row))
        verdict = sheet.cell(row=sheet.max_row, column=verdict_column + 1)
        verdict.fill = PatternFill("solid", fgColor=_VERDICT_FILLS[row[verdict_column]])
        for cell in sheet[sheet.max_row]:
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = _WIDTHS[column]
    sheet.freeze_panes = "A3"


def title(comparison: Comparison) -> str:
    this, following = comparison.this, comparison.following
    district = this.district or "本区"
    against = f"{following.report_year or '下一'}年回顾" if following else "跟踪事项"
    return f"{district}{comparison.tracked_year or this.plan_year or ''}年目标与实事完成情况（对照{against}）"


def workbook(comparison: Comparison) -> Workbook:
    """The comparison as a formatted workbook: targets, 实事, and the warnings if any."""
    book = Workbook()
    book.remove(book.active)
    _sheet(book, "主要预期目标", title(comparison), TARGET_COLUMNS, target_rows(comparison))
    _sheet(book, "实事", title(comparison), COMMITMENT_COLUMNS, commitment_rows(comparison))
    if comparison.warnings:
        sheet = book.create_sheet("提示")
        for warning in comparison.warnings:
            sheet.append([warning])
        sheet.column_dimensions["A"].width = 80
    return book
