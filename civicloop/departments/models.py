"""承办单位 and the routing rules that say which one owns a matter where."""
from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from civicloop.db import Base


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    # bureau: 区直部门; street_office: 街道办事处; community: 社区居委会/村委会; other: 企业 etc.
    kind: Mapped[str] = mapped_column(String(20), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class RoutingRule(Base):
    """category × area → owning department. Empty category or area means "any".
    The most specific matching rule wins: deepest category first, then smallest area."""
    __tablename__ = "routing_rules"
    __table_args__ = (UniqueConstraint("category_id", "region_code", name="category_region"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    # When the rule's department is "the street office / community of the case's place".
    note: Mapped[str | None] = mapped_column(String(200))
