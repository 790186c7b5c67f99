"""Tables of commitments/: the year's targets (主要预期目标) and 实事 commitments tracked by
department, their milestones, progress reports, 督办, links from cases, the append-only
history, and the bulletins (周督查/半月通报) issued.

Status is never stored: it is derived as of a date by commitments/rules.py. Dates are
calendar dates of the district; times are its naive local times."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from civicloop.db import Base


class TrackedItem(Base):
    __tablename__ = "tracked_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The ORM adds "AND version = :old" to every UPDATE, as on cases.
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}
    kind: Mapped[str] = mapped_column(String(12))  # target | commitment
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    source_sentence: Mapped[str | None] = mapped_column(Text)  # the report's sentence it came from
    quantity: Mapped[float | None] = mapped_column(Float)      # what is promised, in `unit`
    unit: Mapped[str | None] = mapped_column(String(20))
    due: Mapped[dt.date] = mapped_column(Date)                  # by default the year's last day
    lead_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    dropped_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    drop_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)


class ItemDepartment(Base):
    """A co-department (配合单位) of a tracked item."""
    __tablename__ = "tracked_item_departments"
    __table_args__ = (UniqueConstraint("item_id", "department_id", name="item_department"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("tracked_items.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)


class Milestone(Base):
    __tablename__ = "milestones"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("tracked_items.id"), index=True)
    due: Mapped[dt.date] = mapped_column(Date)
    what: Mapped[str] = mapped_column(String(300))
    target_quantity: Mapped[float | None] = mapped_column(Float)  # cumulative, in the item's unit


class ProgressReport(Base):
    __tablename__ = "progress_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("tracked_items.id"), index=True)
    reported_on: Mapped[dt.date] = mapped_column(Date)  # the date the figures are as of
    text: Mapped[str] = mapped_column(Text)
    quantity: Mapped[float | None] = mapped_column(Float)  # achieved so far (cumulative), in the item's unit
    milestone_id: Mapped[int | None] = mapped_column(ForeignKey("milestones.id"))  # the milestone it completes
    completed: Mapped[bool] = mapped_column(Boolean, default=False)  # the whole item is done
    evidence: Mapped[list] = mapped_column(JSON, default=list)  # links to photos, documents, news
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)


class Supervision(Base):
    """督办: a leader's order on an item, to be answered by `due`."""
    __tablename__ = "supervisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("tracked_items.id"), index=True)
    note: Mapped[str] = mapped_column(Text)
    due: Mapped[dt.date] = mapped_column(Date)
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)


class CaseLink(Base):
    """A citizen case that concerns a tracked item."""
    __tablename__ = "case_commitment_links"
    __table_args__ = (UniqueConstraint("case_id", "item_id", name="case_item"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("tracked_items.id"), index=True)
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class ItemEvent(Base):
    """Append-only, like case_events: one row per change of an item, with what changed."""
    __tablename__ = "tracked_item_events"
    __table_args__ = (UniqueConstraint("item_id", "seq", name="item_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("tracked_items.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(24))
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    changes: Mapped[dict] = mapped_column(JSON, default=dict)


class Bulletin(Base):
    """An issued 周督查/半月通报, with each item's status as it stood, so the next bulletin
    can say what changed since."""
    __tablename__ = "bulletins"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    year: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[dt.date] = mapped_column(Date)
    since: Mapped[dt.date | None] = mapped_column(Date)
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    statuses: Mapped[dict] = mapped_column(JSON, default=dict)  # item id → status as of as_of
