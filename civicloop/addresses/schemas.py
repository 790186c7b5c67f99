"""What the address endpoints take and give (pydantic)."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from civicloop.addresses.matching import TEXT_MAX
from civicloop.api.schemas import ApiModel


class AddressOut(ApiModel):
    """A standard address (一标三实 标准地址) and its parts; lon/lat in GCJ-02."""
    id: int
    text: str
    road: str | None = Field(description="街路巷")
    door_number: str | None = Field(description="门牌号")
    estate: str | None = Field(description="小区")
    building: str | None = Field(description="栋/幢/号楼")
    unit: str | None = Field(description="单元")
    room: str | None = Field(description="户室")
    grid_code: str
    community_code: str
    street_code: str
    district_code: str
    lon: float | None
    lat: float | None


class MatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=TEXT_MAX, description="an address as written, e.g. 翠柳苑三号楼二单元")
    district_code: str = Field(pattern=r"^\d{6}$")


class CandidateOut(ApiModel):
    address_id: int
    text: str
    grid_code: str
    community_code: str
    street_code: str
    score: float = Field(description="0–1: the share of what was written that this address confirms")
    reasons: list[str]


class MatchOut(ApiModel):
    """resolved: `address` is the standard address and its grid; ambiguous: several grid
    cells' addresses fit as well, see `candidates`; unresolved: nothing fits well enough."""
    status: Literal["resolved", "ambiguous", "unresolved"]
    text: str
    normalized: str
    parts: dict[str, str | list[str]] = Field(description="what was read: street and community as codes")
    address: CandidateOut | None
    grid_code: str | None
    community_code: str | None
    street_code: str | None
    score: float | None
    reasons: list[str]
    candidates: list[CandidateOut]


class ImportOut(ApiModel):
    district_code: str
    rows: int
    added: int
    updated: int
    removed: int
    total: int = Field(description="addresses in the district's registry afterwards")
