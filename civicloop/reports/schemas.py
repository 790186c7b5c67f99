"""What the report endpoints take and give, and the shape of gold annotation files (pydantic)."""
from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from civicloop.api.schemas import ApiModel

TEXT_MAX_CHARS = 1_000_000


class ReadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=TEXT_MAX_CHARS, description="the report's text, as found")


class SourceOut(BaseModel):
    text: str = Field(description="the sentence exactly as in the text sent")
    start: int = Field(description="offset of its first character in the text sent (decoded, for a file)")
    end: int


class QuantityOut(BaseModel):
    value: float
    unit: str
    thing: str | None = None


class TargetOut(BaseModel):
    indicator: str | None = Field(description="key of the standard indicator (data/report-indicators.csv)")
    name: str = Field(description="the report's own wording")
    kind: Literal["growth", "level", "ceiling", "floor", "qualitative"]
    value: float | None
    unit: str | None
    qualifier: str | None = Field(description="左右, 以上, 以内, 力争 …")
    direction: Literal["up", "down"] | None
    level: QuantityOut | None = Field(description="the absolute level when given with a growth")
    source: SourceOut


class CommitmentOut(BaseModel):
    number: int
    title: str
    text: str
    quantities: list[QuantityOut]
    owner: str | None
    source: SourceOut


class FigureOut(BaseModel):
    indicator: str | None
    name: str
    value: float | None
    unit: str | None
    growth: float | None = Field(description="percent; negative for a fall")
    estimated: bool
    source: SourceOut


class GlossaryOut(BaseModel):
    term: str
    explanation: str
    source: SourceOut


class UnparsedOut(BaseModel):
    kind: Literal["target", "commitment"]
    reason: str
    source: SourceOut


class ReportFacts(BaseModel):
    """What a report says of itself (the metadata a gold file annotates)."""
    district: str | None = None
    meeting: str | None = None
    delivered_on: dt.date | None = None
    report_year: int | None = None
    plan_year: int | None = None
    speaker: str | None = None
    speaker_title: str | None = None


class MetadataOut(ReportFacts):
    title: str | None
    published_by: str | None = Field(description="where it can be read: the page's 来源 / 发布机构")
    published_on: dt.date | None


class ReadingOut(ApiModel):
    metadata: MetadataOut
    targets: list[TargetOut]
    commitments: list[CommitmentOut]
    figures: list[FigureOut]
    glossary: list[GlossaryOut]
    unparsed: list[UnparsedOut]
    characters: int


# ------------------------------------------------------------------ gold annotations
# Only what the matching needs is required; other fields may be left out, and fields the
# shape does not know are ignored (annotators keep their own remarks in them).

class GoldSource(BaseModel):
    text: str = Field(min_length=1)
    start: int = Field(ge=0)
    end: int = Field(ge=1)


class GoldMetadata(ReportFacts):
    """The fields given are compared; those left out are not."""


class GoldTarget(BaseModel):
    indicator: str | None = Field(None, description="a registry key, or a standard name or synonym")
    name: str = ""
    kind: Literal["growth", "level", "ceiling", "floor", "qualitative"] | None = None
    value: float | None = None
    unit: str | None = None
    qualifier: str | None = None
    direction: Literal["up", "down"] | None = None
    level: QuantityOut | None = None
    source: GoldSource | None = None


class GoldCommitment(BaseModel):
    number: int | None = Field(None, ge=1)
    title: str = ""
    quantities: list[QuantityOut] = []
    owner: str | None = None
    source: GoldSource


class GoldFile(BaseModel):
    """One report's hand-made annotation (docs/reports.md)."""
    file: str | None = None
    notes: str | None = None
    metadata: GoldMetadata = GoldMetadata()
    targets: list[GoldTarget] = []
    commitments: list[GoldCommitment] = []


# ------------------------------------------------------------------ the loop closed

class CompareIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    this_year: str = Field(min_length=1, max_length=TEXT_MAX_CHARS, description="the report that set the targets")
    next_year: str = Field(min_length=1, max_length=TEXT_MAX_CHARS, description="the next year's report, reviewing them")


class TargetLineOut(BaseModel):
    target: TargetOut
    verdict: Literal["met", "missed", "not_comparable", "no_figure"]
    label: str = Field(description="完成 / 未完成 / 不可比 / 未见完成数")
    achieved: str | None = Field(description="the achieved figure as written: 716亿元，增长11.8%（预计）")
    reason: str
    figure: FigureOut | None = Field(description="the next report's figure, when compared with one")


class CommitmentLineOut(BaseModel):
    commitment: CommitmentOut
    verdict: Literal["done", "partly", "not_mentioned"]
    label: str = Field(description="已完成 / 部分完成 / 未提及")
    reason: str
    mention: SourceOut | None = Field(description="the sentence of the next report that speaks of it (offsets "
                                                  "into next_year)")


class ComparisonOut(ApiModel):
    this: MetadataOut
    following: MetadataOut | None = Field(description="None when compared with tracked items")
    targets: list[TargetLineOut]
    commitments: list[CommitmentLineOut]
    warnings: list[str] = Field(description="why the pair is doubtful: the same report twice, two districts, "
                                            "years that do not follow")
    counts: dict[str, int]
    tracked_year: int | None = Field(description="the year of the tracked items compared with (none here)")


class SectionOut(BaseModel):
    heading: str
    text: str


class AnnualDraftOut(ApiModel):
    district_code: str | None
    district: str
    year: int
    sections: list[SectionOut]
    text: str = Field(description="the sections as one text, headings included")
    targets: list[TargetLineOut]
    commitments: list[CommitmentLineOut]
