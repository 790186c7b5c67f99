"""What the commitments endpoints take and give (pydantic)."""
from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from civicloop.api.schemas import ApiModel
from civicloop.commitments.bulletin import (
    ChangeRow,
    DepartmentRow,
    ItemRow,
    ProgressRow,
    SupervisionRow,
)
from civicloop.commitments.rules import KINDS, Status
from civicloop.commitments.service import (
    BODY_MAX,
    CO_DEPARTMENTS_MAX,
    EVIDENCE_MAX,
    LINK_MAX,
    QUANTITY_MAX,
    SENTENCE_MAX,
    TEXT_MAX,
    TITLE_MAX,
    UNIT_MAX,
    YEARS,
)

Kind = Literal[tuple(KINDS)]  # type: ignore[valid-type]
StatusName = Literal[tuple(s.value for s in Status)]  # type: ignore[valid-type]
DateText = Field(max_length=20, description="a date: 2026-06-30")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ItemIn(Strict):
    """A target or 实事 commitment of a district's work report for a year."""
    kind: Kind
    district_code: str = Field(pattern=r"^\d{6}$")
    year: int = Field(ge=YEARS.start, le=YEARS.stop - 1)
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    body: str | None = Field(None, max_length=BODY_MAX, description="the full text; default: the title")
    source_sentence: str | None = Field(None, max_length=SENTENCE_MAX, description="the report's sentence")
    quantity: float | None = Field(None, ge=0, le=QUANTITY_MAX, description="what is promised, in `unit`")
    unit: str | None = Field(None, max_length=UNIT_MAX)
    lead_department: str = Field(min_length=1, max_length=100, description="the lead department's code")
    co_departments: list[str] = Field(default_factory=list, max_length=CO_DEPARTMENTS_MAX)
    due: str | None = Field(None, max_length=20, description="a date in the year; default: its last day")


class MilestoneIn(Strict):
    due: str = Field(min_length=1, max_length=20, description="a date (2026-06-30), month (2026-06) or quarter (Q2)")
    what: str = Field(min_length=1, max_length=300)
    target_quantity: float | None = Field(None, ge=0, le=QUANTITY_MAX, description="cumulative, in the item's unit")


class ProgressIn(Strict):
    text: str = Field(min_length=1, max_length=TEXT_MAX)
    reported_on: str | None = Field(None, max_length=20, description="the date the figures are as of; default: today")
    quantity: float | None = Field(None, ge=0, le=QUANTITY_MAX, description="achieved so far (cumulative)")
    milestone_id: int | None = Field(None, ge=1, le=2**31 - 1, description="the milestone this report completes")
    completed: bool = Field(False, description="the whole item is done")
    evidence: list[str] = Field(default_factory=list, max_length=EVIDENCE_MAX,
                                description=f"http(s) links to photos or documents, each at most {LINK_MAX} characters")


class DropIn(Strict):
    reason: str = Field(min_length=1, max_length=TEXT_MAX)


class SupervisionIn(Strict):
    note: str = Field(min_length=1, max_length=TEXT_MAX)
    due: str = Field(min_length=1, max_length=20, description="the date the departments must answer by")


class CaseLinkIn(Strict):
    case: str = Field(min_length=1, max_length=40, description="the case's id or number")


class BulletinIn(Strict):
    district_code: str = Field(pattern=r"^\d{6}$")
    as_of: str = Field(min_length=1, max_length=20, description="the bulletin's date")
    since: str | None = Field(None, max_length=20, description="changes after this date; default: the last bulletin's")
    year: int | None = Field(None, ge=YEARS.start, le=YEARS.stop - 1, description="default: the year of as_of")
    format: Literal["json", "xlsx", "html"] = "json"


class DepartmentRef(BaseModel):
    id: int
    name: str | None


class StatusOut(BaseModel):
    status: StatusName
    label: str = Field(description="正常推进, 存在风险, 滞后, 已完成 or 已终止")
    reason: str
    achieved: float | None = Field(description="the latest cumulative quantity reported by the date")
    as_of: dt.date


class ItemOut(ApiModel):
    id: int
    version: int
    kind: Kind
    kind_label: str
    district_code: str
    year: int
    title: str
    body: str
    source_sentence: str | None
    quantity: float | None
    unit: str | None
    due: dt.date
    lead_department: DepartmentRef
    co_departments: list[DepartmentRef]
    dropped_at: dt.datetime | None
    drop_reason: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    status: StatusOut


class MilestoneOut(BaseModel):
    id: int
    due: dt.date
    what: str
    target_quantity: float | None


class ProgressOut(ApiModel):
    id: int
    reported_on: dt.date
    text: str
    quantity: float | None
    milestone_id: int | None
    completed: bool
    evidence: list[str]
    reporter_id: int | None
    department: DepartmentRef | None
    created_at: dt.datetime


class SupervisionOut(ApiModel):
    id: int
    note: str
    due: dt.date
    leader_id: int | None
    created_at: dt.datetime


class ItemDetail(ItemOut):
    milestones: list[MilestoneOut]
    progress: list[ProgressOut]
    supervisions: list[SupervisionOut]
    case_ids: list[int] = Field(description="citizen cases linked to this item")


class EventOut(ApiModel):
    seq: int
    action: str
    at: dt.datetime
    actor_id: int | None
    actor_role: str
    note: str | None
    changes: dict


class BulletinOut(BaseModel):
    """A bulletin as issued: every view of the Excel workbook and the HTML page (the rows
    are bulletin.py's own)."""
    number: int
    title: str
    district_code: str
    year: int
    as_of: dt.date
    since: dt.date | None
    summary: list[str]
    late: list[ItemRow]
    at_risk: list[ItemRow]
    changes: list[ChangeRow]
    new_progress: list[ProgressRow]
    new_supervisions: list[SupervisionRow]
    departments: list[DepartmentRow]


class IssuedBulletin(ApiModel):
    id: int
    district_code: str
    year: int
    as_of: dt.date
    since: dt.date | None
    issued_at: dt.datetime
    issued_by_id: int | None
