"""What the assessment endpoints give (pydantic). Counts and rates are keyed by the
indicator keys of indicators.py; GET /api/v1/assess/definitions lists them with their
labels and formulas, and docs/indicators.md explains them."""
from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from civicloop.api.schemas import ApiModel


class PeriodOut(BaseModel):
    start: dt.date
    end: dt.date = Field(description="the last day, included")
    kind: str = Field(description="month, week, quarter, year or span")
    label: str


class FiguresOut(BaseModel):
    key: str | None = Field(description="the slice value: a department id, a street code, a channel …; "
                                        "null: cases without one (e.g. not yet dispatched)")
    label: str
    counts: dict[str, int] = Field(description="every count of /assess/definitions, by key")
    rates: dict[str, float | None] = Field(description="every rate as a share in [0, 1]; null when its "
                                                       "denominator is 0 (shown “—”)")


class IndicatorsOut(BaseModel):
    period: PeriodOut
    by: str
    level: int | None = Field(description="the category level when by=category")
    slice: str | None = Field(description="DIMENSION:KEY when narrowed to one slice")
    rows: list[FiguresOut] = Field(description="one per slice value with cases in the period, largest first")
    total: FiguresOut = Field(description="the whole slice (zeros when the period has no cases)")


class CaseLineOut(ApiModel):
    id: int
    number: str
    title: str
    state: str
    channel: str
    reported_at: dt.datetime
    closed_at: dt.datetime | None
    lead_department: str | None
    overdue: bool
    in_numerator: bool = Field(description="for a rate: whether the numerator counts this case too")


class BehindOut(ApiModel):
    indicator: str
    label: str
    value: float | int | None = Field(description="the figure: a count, or a rate in [0, 1] (null: nothing to divide)")
    numerator: int = Field(description="a count's value; a rate's numerator")
    denominator: int | None = Field(description="a rate's denominator; null for a count")
    total: int = Field(description="cases in the whole list")
    offset: int
    limit: int
    cases: list[CaseLineOut]


class RankedOut(BaseModel):
    rank: int
    key: str
    label: str
    cases: int = Field(description="registered cases (立案数): the sample the score stands on")
    score: float | None = Field(description="综合指标值, 0–100; null when no weighted rate has cases")
    low: float = Field(description="lower bound of the score's 95 % interval: what the ranking sorts on")
    high: float
    small_sample: bool = Field(description="fewer registered cases than the small-sample mark (样本少)")
    parts: dict[str, float | None] = Field(description="each weighted rate, a lower-is-better one as 1 − rate")


class RankingOut(BaseModel):
    period: PeriodOut
    by: str
    weights: dict[str, float]
    rule: str
    rows: list[RankedOut]


class ChangeOut(BaseModel):
    key: str
    label: str
    now: float | int | None
    before: float | int | None
    delta: float | int | None = Field(description="counts: the difference; rates: percentage points")


class OverdueOut(ApiModel):
    id: int
    number: str
    title: str
    state: str
    department: str | None
    handle_deadline: dt.datetime | None
    days_late: float | None
    supervision_count: int
    escalation_level: int


class HotOut(ApiModel):
    """A hot issue (热点问题) as hot/ groups the period's cases."""
    title: str
    place: str
    reports: int
    reporters: int
    heat: float
    first_at: dt.datetime
    last_at: dt.datetime
    case_ids: list[int]


class ReviewOut(ApiModel):
    period: PeriodOut
    previous: PeriodOut
    district_code: str | None
    district_name: str
    made_at: dt.datetime
    headline: list[ChangeOut]
    total: FiguresOut
    before: FiguresOut
    departments: list[FiguresOut]
    streets: list[FiguresOut]
    channels: list[FiguresOut]
    categories: list[FiguresOut]
    department_ranking: list[RankedOut]
    street_ranking: list[RankedOut]
    worst_overdue: list[OverdueOut]
    hot: list[HotOut] = Field(description="the period's hot issues, hottest first")
    gaps: list[str] = Field(description="sections the report leaves out, and why")


class CountDefinition(BaseModel):
    key: str
    label: str
    anchor: str = Field(description="the date that places a case in a period")
    where: dict[str, int] = Field(description="the case facts that must all hold")
    sums: str | None = Field(description="the fact summed instead of counting cases")
    grid_worker: str = Field(description="how a case is a grid worker's: grid, reporter or verifier")


class RateDefinition(BaseModel):
    key: str
    label: str
    numerator: str
    denominator: list[str] = Field(description="counts whose sum is the denominator")
    higher_is_better: bool
    role: str | None
    source: str


class DefinitionsOut(BaseModel):
    dimensions: dict[str, str]
    counts: list[CountDefinition]
    rates: list[RateDefinition]
    default_weights: dict[str, float]
    not_computed: dict[str, str]


class AnnualOut(BaseModel):
    year: int
    district_code: str | None
    text: str
