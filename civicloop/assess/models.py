"""Tables of assess/: the fast path of the figures (docs/indicators.md, “The fast path”).

`assess_case_facts` holds each case's row of facts (service.facts) as of its last change;
`assess_rollup` holds the counts of indicators.COUNTS per (anchor day, stored dimension,
key, district), as signed rows that add up, and `assess_rollup_dekad`, `_month`,
`_quarter` and `_year` the same per 旬, calendar month, quarter and year;
`assess_rollup_state` says whether they are complete (a database that had cases before
them needs `civicloop assess rebuild`); `assess_rollup_pending` lists the cases changed
since their facts were last brought up to date (rollup.catch_up)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from civicloop.assess.indicators import COUNTS
from civicloop.db import Base

# The 0/1 facts (and the sum `extensions`) a count may name, in service.facts's order.
FLAGS = ("merged", "registered", "rejected", "dispatched", "closed", "open", "overdue", "due", "fed_back",
         "handling_due", "replied", "reworked", "returned", "wrongly_dispatched", "first_time", "extended",
         "extensions", "rated", "satisfied", "satisfied_or_basic", "patrol", "registered_on_time",
         "dispatched_on_time", "verified_on_time", "verified_by_grid_worker", "check_requested", "checked_on_time",
         "check_requested_on_time")
# The dimensions a rollup row is kept for. A grid worker's figures are read from three of
# them (the grid's worker now, the reporter, the verifier): see rollup.py.
STORED_DIMENSIONS = ("district", "department", "street", "community", "grid", "category", "channel",
                     "reporter", "verifier")


class CaseFacts(Base):
    __tablename__ = "assess_case_facts"
    __table_args__ = (Index("ix_assess_case_facts_reported_at", "reported_at"),
                      Index("ix_assess_case_facts_closed_at", "closed_at"),
                      # The cases behind a figure of one slice, in date order (service.cases_behind).
                      *(Index(f"ix_assess_case_facts_{column}_reported_at", column, "reported_at", "id")
                        for column in ("lead_department_id", "street_code", "community_code", "grid_code")))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # the case's id
    reported_at: Mapped[dt.datetime] = mapped_column(DateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    district_code: Mapped[str] = mapped_column(String(6))
    lead_department_id: Mapped[int | None] = mapped_column(Integer)
    street_code: Mapped[str | None] = mapped_column(String(9))
    community_code: Mapped[str | None] = mapped_column(String(12))
    grid_code: Mapped[str | None] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(16))
    category_code: Mapped[str | None] = mapped_column(String(20))
    reporter_id: Mapped[int | None] = mapped_column(Integer)
    verifier_id: Mapped[int | None] = mapped_column(Integer)


for _flag in FLAGS:
    setattr(CaseFacts, _flag, mapped_column(_flag, Integer, nullable=False))


class _RollupRows:
    """The columns of a rollup's rows, at any grain."""
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)  # the day, or the first day of the 旬, month, quarter, year
    dimension: Mapped[str] = mapped_column(String(12))
    key: Mapped[str] = mapped_column(String(20))  # '' for none (not yet dispatched, …)
    district_code: Mapped[str] = mapped_column(String(6))
    delta: Mapped[bool] = mapped_column(Boolean)  # written by an action, not yet compacted


def _indexes(table: str) -> tuple:
    return (Index(f"ix_{table}_dimension_day", "dimension", "day"), Index(f"ix_{table}_delta_day", "delta", "day"))


class Rollup(_RollupRows, Base):
    __tablename__ = "assess_rollup"
    __table_args__ = _indexes(__tablename__)


class RollupDekad(_RollupRows, Base):
    """The same counts per 旬 (the 1st–10th, 11th–20th, 21st–end of a month; `day` its
    first day): a period cut inside a month reads at most six days on either side."""
    __tablename__ = "assess_rollup_dekad"
    __table_args__ = _indexes(__tablename__)


class RollupMonth(_RollupRows, Base):
    """The same counts per calendar month (`day` its first day): a period of whole months
    reads a row per month and key instead of one per day."""
    __tablename__ = "assess_rollup_month"
    __table_args__ = _indexes(__tablename__)


class RollupQuarter(_RollupRows, Base):
    """The same counts per calendar quarter (`day` its first day)."""
    __tablename__ = "assess_rollup_quarter"
    __table_args__ = _indexes(__tablename__)


class RollupYear(_RollupRows, Base):
    """The same counts per calendar year (`day` its 1 January): a slice × year over the
    11,030 grid cells reads a row per cell and key, not twelve."""
    __tablename__ = "assess_rollup_year"
    __table_args__ = _indexes(__tablename__)


for _table in (Rollup, RollupDekad, RollupMonth, RollupQuarter, RollupYear):
    for _count in COUNTS:
        setattr(_table, _count.key, mapped_column(_count.key, Integer, nullable=False))


class RollupState(Base):
    __tablename__ = "assess_rollup_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1
    ready: Mapped[bool] = mapped_column(Boolean)
    rebuilt_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class RollupPending(Base):
    """A case changed since its facts and rollup rows were last brought up to date: the
    change's transaction writes this row, rollup.catch_up takes it in a batch."""
    __tablename__ = "assess_rollup_pending"

    case_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
