"""What the reader gives: a report as data (plain, frozen dataclasses).

Every item carries `source`: the sentence it came from, as it stands in the ORIGINAL text
handed to `reader.read` (before any cleaning), with `start`/`end` character offsets into
that text, so that `text[source.start:source.end] == source.text` always holds.
Those who build on the reader (tracking of targets and commitments, the comparison of a
year's targets with the next report's figures) match indicators by `indicator` (a key of
the registry in `data/report-indicators.csv`), never by the report's own wording.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Literal

# growth: a rate of change (增长8%, 下降3.2%); level: an amount to reach (达到581亿元);
# ceiling / floor: a bound (控制在4%以内 / 不低于…); qualitative: no figure (与经济增长同步).
TargetKind = Literal["growth", "level", "ceiling", "floor", "qualitative"]


@dataclass(frozen=True)
class Source:
    """The sentence an item came from: the exact original text and its offsets."""
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Quantity:
    """A promised or reported amount: 30 个 口袋公园, 2 亿元, 4 %."""
    value: float
    unit: str
    thing: str | None = None        # what is counted (口袋公园), when the text says


@dataclass(frozen=True)
class Target:
    """One 主要预期目标: `indicator` is the registry key (None when the indicator is not in
    the registry; `name` is always the report's wording)."""
    indicator: str | None
    name: str
    kind: TargetKind
    value: float | None             # None for qualitative targets
    unit: str | None                # "%", "亿元", "人" …
    qualifier: str | None           # 左右 / 以上 / 以内 / 力争 / 不低于 …
    direction: Literal["up", "down"] | None  # growth targets: 增长 (up) or 下降 (down)
    level: Quantity | None          # the absolute level when the text gives both (增10%,达到581亿元)
    source: Source


@dataclass(frozen=True)
class Commitment:
    """One 实事 item: its own record, with what it promises."""
    number: int                     # its place in the list, from 1
    title: str                      # short: the first clause
    text: str                       # the whole item as written (numbering removed)
    quantities: tuple[Quantity, ...]
    owner: str | None               # the department named as responsible, if any
    source: Source


@dataclass(frozen=True)
class Figure:
    """An achieved figure from the review of the past year (全年完成地区生产总值640亿元,增长12.6%)."""
    indicator: str | None
    name: str
    value: float | None             # the level (640), None when only a growth is given
    unit: str | None
    growth: float | None            # percent; negative for a fall
    estimated: bool                 # 预计: the report was written before the year's close
    source: Source


@dataclass(frozen=True)
class GlossaryEntry:
    """One 名词解释 / 注释 entry."""
    term: str
    explanation: str
    source: Source


@dataclass(frozen=True)
class Unparsed:
    """A sentence that looks like a target or a commitment but could not be read."""
    kind: Literal["target", "commitment"]
    reason: str
    source: Source


@dataclass(frozen=True)
class Metadata:
    title: str | None
    district: str | None            # 武汉市武昌区 (as fully as the text names it)
    meeting: str | None             # 武汉市武昌区第十四届人民代表大会第二次会议
    delivered_on: date | None       # the day the report was delivered
    report_year: int | None         # the year reviewed
    plan_year: int | None           # the year planned
    speaker: str | None             # 张幸平
    speaker_title: str | None       # 区长, 代理区长
    published_by: str | None        # where it can be read: 来源 / 发布机构 of the page
    published_on: date | None


@dataclass(frozen=True)
class ReportReading:
    """A whole report as data. `unparsed` lists what looked like a target or commitment
    but could not be read, so nothing is dropped in silence."""
    metadata: Metadata
    targets: tuple[Target, ...]
    commitments: tuple[Commitment, ...]
    figures: tuple[Figure, ...]
    glossary: tuple[GlossaryEntry, ...]
    unparsed: tuple[Unparsed, ...] = field(default=())
    characters: int = 0             # length of the original text

    def to_dict(self) -> dict:
        """Plain JSON-ready data (dates as ISO strings)."""
        data = asdict(self)
        meta = data["metadata"]
        for key in ("delivered_on", "published_on"):
            meta[key] = meta[key].isoformat() if meta[key] else None
        return data
