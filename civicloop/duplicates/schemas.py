"""What the duplicate endpoints take and give (pydantic)."""
from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from civicloop.api.schemas import ApiModel
from civicloop.cases.schemas import Ref
from civicloop.cases.service import BODY_MAX, TITLE_MAX
from civicloop.duplicates.service import (
    DEFAULT_LIMIT,
    DEFAULT_MIN_SCORE,
    DEFAULT_RADIUS_M,
    DEFAULT_WINDOW_DAYS,
    RADIUS_M_MAX,
    WINDOW_DAYS_MAX,
)


class Options(BaseModel):
    window_days: float = Field(DEFAULT_WINDOW_DAYS, gt=0, le=WINDOW_DAYS_MAX,
                               description="reported at most this many days apart")
    radius_m: float = Field(DEFAULT_RADIUS_M, ge=0, le=RADIUS_M_MAX,
                            description="two points this close are near, whatever their grid cells")
    min_score: float = Field(DEFAULT_MIN_SCORE, ge=0, le=1)
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=100)


class DraftIn(Options):
    """A case about to be taken in. Its place: lon/lat (GCJ-02 unless crs says wgs84), or a
    grid cell; with neither, cases are compared by text alone."""
    model_config = ConfigDict(extra="forbid")

    title: str = Field("", max_length=TITLE_MAX)
    text: str = Field(min_length=1, max_length=BODY_MAX)
    district_code: str | None = Field(None, pattern=r"^\d{6}$", description="default: the only district")
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    crs: Literal["gcj02", "wgs84"] = "gcj02"
    grid_code: str | None = Field(None, max_length=20)
    category: str | None = Field(None, max_length=200, description="id, code, path or leaf name")


class CandidateCase(ApiModel):
    id: int
    number: str
    title: str
    state: str
    state_label: str
    category: Ref | None
    grid_code: str | None
    reported_at: dt.datetime


class CandidateOut(BaseModel):
    case: CandidateCase
    score: float = Field(ge=0, le=1, description="text 0.6, place 0.2, category 0.1, time 0.1")
    text_similarity: float = Field(ge=0, le=1)
    reasons: list[str] = Field(description="e.g. 同一网格, 文本相似 0.82, 同一小类, 3 天内")


class Duplicates(BaseModel):
    """Open cases that the case (or draft) may repeat, best first. Merge one with the
    case's `merge` action (master_case_id: the candidate's id)."""
    case_id: int | None = Field(description="null for a draft")
    window_days: float
    radius_m: float
    candidates: list[CandidateOut]
