"""What the hot-issue endpoint gives (pydantic)."""
from __future__ import annotations

import datetime as dt

from pydantic import Field

from civicloop.api.schemas import ApiModel


class HeatOut(ApiModel):
    """The parts of the heat index (docs/hot.md): index = 10 × (log2(1 + volume) + 0.3·log2(1 +
    support) + ½·log2(grids) + ¼·log2(1 + span_days)) × ½^(age_days / days)."""
    index: float
    reports: int = Field(description="cases in the topic")
    reporters: int = Field(description="distinct people who reported them")
    support: int = Field(description="likes − dislikes (0 where the channel has none)")
    grids: int = Field(description="distinct grid cells of its cases")
    span_days: float = Field(description="from its first case to its last")
    age_days: float = Field(description="from its last case to the end of the window")


class CaseRef(ApiModel):
    """A case behind a topic: GET /api/v1/cases/{id} opens it."""
    id: int
    number: str
    title: str
    state: str
    reported_at: dt.datetime
    grid_code: str | None


class TopicOut(ApiModel):
    rank: int
    title: str = Field(description="place and matter, e.g. 魅力之城小区 临街门面油烟直排扰民")
    place: str = Field(description="the place its cases name, or their community")
    first_at: dt.datetime
    last_at: dt.datetime
    heat: HeatOut
    cases: list[CaseRef] = Field(description="every case behind the topic that the caller may see, oldest first")


class HotIssuesOut(ApiModel):
    district_code: str
    since: dt.datetime
    until: dt.datetime
    reports: int = Field(description="cases of the window the caller may see")
    grouped: int = Field(description="of them, in some topic (not only the top ones)")
    topics: list[TopicOut] = Field(description="hottest first; empty when no two cases share a place and matter")
