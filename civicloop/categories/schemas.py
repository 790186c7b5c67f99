"""What the category endpoints take and give (pydantic)."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from civicloop.categories.service import BASES, MAX_HOURS, PRIORITIES

Basis = Literal[BASES]  # type: ignore[valid-type]
Priority = Literal[PRIORITIES]  # type: ignore[valid-type]


class OwnLimits(BaseModel):
    """Limits set on the category itself; null: inherited from its parent (or the defaults)."""
    dispatch_limit_hours: float | None
    handle_limit_hours: float | None
    time_basis: Basis | None
    yellow_ratio: float | None
    priority: Priority | None


class CategoryOut(BaseModel):
    id: int
    code: str = Field(description="two digits per level: 01, 0103, 010302")
    name: str
    level: int
    parent_id: int | None
    path: str = Field(description="names from the top, joined by '/'")
    active: bool
    limits: OwnLimits


class CategoryNode(BaseModel):
    id: int
    code: str
    name: str
    level: int
    children: list[CategoryNode] = []


class Source(BaseModel):
    """Where an effective limit comes from: a category (itself or an ancestor), or the defaults."""
    category_id: int | None
    code: str | None
    name: str | None
    default: bool


class EffectiveLimit(BaseModel):
    value: float | str
    source: Source


class EffectiveLimits(BaseModel):
    dispatch_hours: EffectiveLimit
    handle_hours: EffectiveLimit
    basis: EffectiveLimit
    yellow_ratio: EffectiveLimit
    priority: EffectiveLimit


class CategoryDetail(CategoryOut):
    effective: EffectiveLimits = Field(description="the limits cases of this category get, and where each is set")


_HOURS = dict(gt=0, le=MAX_HOURS)


class LimitsIn(BaseModel):
    """PUT: every limit (an omitted or null one is inherited). PATCH: only those given
    (null clears one so that it is inherited again)."""
    model_config = ConfigDict(extra="forbid")
    dispatch_limit_hours: float | None = Field(None, **_HOURS, description="派遣 limit in hours")
    handle_limit_hours: float | None = Field(None, **_HOURS, description="处置 limit in hours")
    time_basis: Basis | None = None
    yellow_ratio: float | None = Field(None, gt=0, lt=1, description="share of a limit after which a case turns yellow")
    priority: Priority | None = None
