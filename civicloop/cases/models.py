"""Cases (案件/工单), their assisting departments (联办), attachments and the event log.

All times are naive local times of the district (Asia/Shanghai, no DST)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (JSON, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, String, Text,
                        UniqueConstraint, text)
from sqlalchemy.orm import Mapped, mapped_column

from civicloop.db import Base

CHANNELS = {
    "hotline": "12345热线",
    "web": "网上留言",
    "app": "移动端",
    "patrol": "网格巡查",
    "petition": "信访",
    "supervision": "督办",
    "instruction": "领导批示",
}


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        # The sweep's only query: open cases whose next threshold has passed.
        Index("ix_cases_open_next_check", "next_check_at",
              postgresql_where=text("next_check_at IS NOT NULL"),
              sqlite_where=text("next_check_at IS NOT NULL")),
        # Work queues and lists: a state, newest first, read straight off the index.
        Index("ix_cases_state_reported_at", "state", "reported_at"),
        # Duplicates: the cases of a few grid cells within a time window (duplicates/service.py).
        Index("ix_cases_grid_reported_at", "grid_code", "reported_at"),
        # 'mine' (query.py): closed cases still to rate (回访) or rated dissatisfied (重办),
        # among years of closed cases.
        Index("ix_cases_state_rated_at", "state", "rated_at"),
        Index("ix_cases_state_rating", "state", "rating"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The ORM adds "AND version = :old" to every UPDATE: of two concurrent actions on one
    # case, the second finds no row and fails with a conflict instead of overwriting.
    __mapper_args__ = {"version_id_col": version}
    idempotency_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    request_hash: Mapped[str | None] = mapped_column(String(64))  # of the intake that made it

    channel: Mapped[str] = mapped_column(String(16), index=True)
    state: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    reporter_name: Mapped[str | None] = mapped_column(String(100))
    reporter_phone: Mapped[str | None] = mapped_column(String(32))
    reporter_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    address: Mapped[str | None] = mapped_column(String(300))
    lon: Mapped[float | None] = mapped_column(Float)  # GCJ-02
    lat: Mapped[float | None] = mapped_column(Float)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    street_code: Mapped[str | None] = mapped_column(String(9), index=True)
    community_code: Mapped[str | None] = mapped_column(String(12), index=True)
    grid_code: Mapped[str | None] = mapped_column(String(20))

    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    lead_department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)

    reported_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    registered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    dispatched_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    fed_back_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)

    # Time limits: the current step's deadline, the handling deadline that 按期 is
    # judged on, and when the case turns yellow. Working-time arithmetic lives in sla/.
    time_basis: Mapped[str] = mapped_column(String(10), default="working")
    deadline: Mapped[dt.datetime | None] = mapped_column(DateTime)
    yellow_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    handle_deadline: Mapped[dt.datetime | None] = mapped_column(DateTime)
    step_hours: Mapped[float | None] = mapped_column(Float)        # the current step's limit, extensions included
    remaining_hours: Mapped[float | None] = mapped_column(Float)   # while suspended: what is left of the step
    extension_hours: Mapped[float] = mapped_column(Float, default=0.0)
    extension_requested_hours: Mapped[float | None] = mapped_column(Float)
    warning: Mapped[str] = mapped_column(String(8), default="green")  # green | yellow | red
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)  # index into ESCALATION_LEVELS
    next_check_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    overdue: Mapped[bool] = mapped_column(default=False)  # was ever past its handling deadline

    return_count: Mapped[int] = mapped_column(Integer, default=0)
    rework_count: Mapped[int] = mapped_column(Integer, default=0)
    supervision_count: Mapped[int] = mapped_column(Integer, default=0)
    rating: Mapped[str | None] = mapped_column(String(16))
    rated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    assists_pending: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # 联办 yet to report
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    resolution_note: Mapped[str | None] = mapped_column(Text)

    @property
    def number(self) -> str:
        """案件编号, read out over the phone: district-date-id, e.g. 420106-20261122-000017."""
        return f"{self.district_code}-{self.reported_at:%Y%m%d}-{self.id:06d}"


class CaseAssist(Base):
    """An assisting department of a 联办 case, with its own feedback."""
    __tablename__ = "case_assists"
    __table_args__ = (UniqueConstraint("case_id", "department_id", name="case_department"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    feedback: Mapped[str | None] = mapped_column(Text)
    fed_back_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class CaseEvent(Base):
    """Append-only: one row per action, carrying the fields it changed, so a case row
    can be rebuilt from its events (cases/service.py: rebuild)."""
    __tablename__ = "case_events"
    __table_args__ = (UniqueConstraint("case_id", "seq", name="case_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)  # the case's version after this event
    action: Mapped[str] = mapped_column(String(24), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str] = mapped_column(String(20))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    changes: Mapped[dict] = mapped_column(JSON, default=dict)


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    event_seq: Mapped[int | None] = mapped_column(Integer)  # the event it came with
    kind: Mapped[str] = mapped_column(String(16), default="photo")  # photo | document
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_path: Mapped[str | None] = mapped_column(String(400))  # on disk, or …
    content: Mapped[bytes | None] = mapped_column(LargeBinary)     # … in the database
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class CaseSearch(Base):
    """The words of a case's title and text, for full-text search (cases/search.py):
    PostgreSQL searches them through a GIN index on to_tsvector('simple', tokens), SQLite
    through the FTS5 table case_search_fts kept in step by a trigger (migration 0004)."""
    __tablename__ = "case_search"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    tokens: Mapped[str] = mapped_column(Text)
