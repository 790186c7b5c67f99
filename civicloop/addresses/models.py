"""Tables of addresses/: the standard addresses of a district (一标三实 标准地址), one row
per registry, and what intake made of each case's written address."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from civicloop.db import Base


class AddressRegistry(Base):
    """One per district that has standard addresses. `version` is raised by every writer,
    so a process knows with one primary-key read whether its matching index is stale."""
    __tablename__ = "address_registries"

    district_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), primary_key=True)
    full_name: Mapped[str] = mapped_column(String(100))  # 湖北省武汉市武昌区: prefixes people write or leave out
    source: Mapped[str] = mapped_column(String(20))  # imported | generated (demo data, not surveyed)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)


class StandardAddress(Base):
    """A standard address and its parts, kept under the grid cell it lies in."""
    __tablename__ = "standard_addresses"
    __table_args__ = (UniqueConstraint("district_code", "key", name="district_address_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    street_code: Mapped[str] = mapped_column(String(9), index=True)
    community_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    grid_code: Mapped[str] = mapped_column(ForeignKey("grid_cells.code"), index=True)
    text: Mapped[str] = mapped_column(String(300))  # the full standard text
    road: Mapped[str | None] = mapped_column(String(60))         # 街路巷
    door_number: Mapped[str | None] = mapped_column(String(20))  # 门牌号, digits (123, 12-1)
    estate: Mapped[str | None] = mapped_column(String(60))       # 小区
    building: Mapped[str | None] = mapped_column(String(20))     # 栋/幢/号楼
    unit: Mapped[str | None] = mapped_column(String(10))         # 单元
    room: Mapped[str | None] = mapped_column(String(10))         # 户室
    lon: Mapped[float | None] = mapped_column(Float)  # GCJ-02
    lat: Mapped[float | None] = mapped_column(Float)
    # The parts in normalised form, for lookup (addresses/normalize.py: address_key).
    key: Mapped[str] = mapped_column(String(300), index=True)


class CaseAddressMatch(Base):
    """What intake made of a case's address when the case came without a point."""
    __tablename__ = "case_address_matches"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(12), index=True)  # resolved | ambiguous | unresolved
    address_id: Mapped[int | None] = mapped_column(ForeignKey("standard_addresses.id"))
    score: Mapped[float | None] = mapped_column(Float)
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    candidate_ids: Mapped[list] = mapped_column(JSON, default=list)
