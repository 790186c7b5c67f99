"""What the case endpoints take and give (pydantic): the OpenAPI document is made from these."""
from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from civicloop.api.schemas import ApiModel

from civicloop.cases.lifecycle import ACTIONS, Rating, State
from civicloop.cases.models import CHANNELS
from civicloop.cases.service import BODY_MAX, PRIORITIES, TITLE_MAX

Channel = Literal[tuple(CHANNELS)]  # type: ignore[valid-type]
Priority = Literal[PRIORITIES]  # type: ignore[valid-type]
StateName = Literal[tuple(s.value for s in State)]  # type: ignore[valid-type]
ActionName = Literal[ACTIONS]  # type: ignore[valid-type]
RatingName = Literal[tuple(r.value for r in Rating)]  # type: ignore[valid-type]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Report(Strict):
    """What every intake says: the matter and where it is. A place is needed: lon/lat
    (GCJ-02, or WGS-84 with crs=wgs84), a grid cell, or an address."""
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    body: str = Field(min_length=1, max_length=BODY_MAX)
    district_code: str | None = Field(None, pattern=r"^\d{6}$", description="default: the only district")
    reporter_name: str | None = Field(None, max_length=100)
    reporter_phone: str | None = Field(None, max_length=32)
    address: str | None = Field(None, max_length=300)
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    crs: Literal["gcj02", "wgs84"] = "gcj02"
    category: str | None = Field(None, max_length=200, description="a category's id, code, path or name")


class CaseIn(Report):
    """An intake by staff or a signed-in citizen, through one of the caller's channels."""
    channel: Channel
    grid_code: str | None = Field(None, max_length=20)
    priority: Priority | None = None


class PublicCaseIn(Report):
    """A report from the public, without an account (网上留言): a phone's GPS is WGS-84."""
    crs: Literal["gcj02", "wgs84"] = "wgs84"


class ActionIn(Strict):
    """Parameters of a lifecycle action; which are needed depends on the action
    (docs/lifecycle.md)."""
    note: str = Field("", max_length=5000)
    department_id: int | None = Field(None, ge=1, le=2**31 - 1)
    assisting_department_ids: list[int] = Field(default_factory=list, max_length=20)
    master_case_id: int | None = Field(None, ge=1, le=2**31 - 1)
    extension_hours: float | None = Field(None, gt=0, le=24 * 365)
    rating: RatingName | None = None
    category: str | None = Field(None, max_length=200, description="reclassify: the category's id, code, path or name")
    expected_version: int | None = Field(None, ge=1, le=2**31 - 1,
                                         description="refuse (409) if the case has changed since this version")


class Ref(ApiModel):
    id: int
    code: str | None = None
    name: str | None = None


class CaseOut(ApiModel):
    id: int
    number: str = Field(description="案件编号: district-date-id")
    version: int
    state: StateName
    state_label: str
    channel: Channel
    title: str
    body: str
    reporter_name: str | None
    reporter_phone: str | None
    reporter_masked: bool = Field(description="whether the reporter's name, phone and numbers in the text are masked")
    address: str | None
    lon: float | None
    lat: float | None
    district_code: str
    street_code: str | None
    community_code: str | None
    grid_code: str | None
    category: Ref | None
    priority: str
    lead_department: Ref | None
    reported_at: dt.datetime
    registered_at: dt.datetime | None
    dispatched_at: dt.datetime | None
    accepted_at: dt.datetime | None
    fed_back_at: dt.datetime | None
    closed_at: dt.datetime | None
    updated_at: dt.datetime
    time_basis: str
    deadline: dt.datetime | None = Field(description="the current step's deadline")
    yellow_at: dt.datetime | None
    handle_deadline: dt.datetime | None
    extension_hours: float
    extension_requested_hours: float | None
    warning: Literal["green", "yellow", "red"]
    escalation_level: int
    overdue: bool
    return_count: int
    rework_count: int
    supervision_count: int
    rating: RatingName | None
    rated_at: dt.datetime | None
    merged_into_id: int | None
    resolution_note: str | None
    allowed_actions: list[str] = Field(description="what the caller could do now (guards aside)")


class CasePage(ApiModel):
    items: list[CaseOut]
    total: int
    page: int
    per_page: int
    pages: int


class Actor(ApiModel):
    id: int | None
    username: str | None
    name: str | None
    role: str
    department_id: int | None


class EventOut(ApiModel):
    seq: int
    action: str
    at: dt.datetime
    actor: Actor
    from_state: str | None
    to_state: str
    note: str | None
    changes: dict


class AttachmentOut(ApiModel):
    id: int
    case_id: int
    event_seq: int | None
    kind: str
    filename: str
    content_type: str
    size: int
    sha256: str
    created_at: dt.datetime
    url: str


class PublicCaseOut(ApiModel):
    """What anyone may know of a case by its number: no personal data."""
    number: str
    state: StateName
    state_label: str
    title: str
    category: Ref | None
    lead_department: Ref | None
    reported_at: dt.datetime
    handle_deadline: dt.datetime | None
    closed_at: dt.datetime | None
    updated_at: dt.datetime
    reply: str | None = Field(None, description="the department's reply (办复) or the reason it was not "
                                                "registered, numbers masked")


class QueueCounts(ApiModel):
    counts: dict[str, int]
