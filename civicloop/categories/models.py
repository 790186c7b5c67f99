"""The three-level category taxonomy with each category's time limits."""
from __future__ import annotations

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from civicloop.db import Base


class Category(Base):
    __tablename__ = "categories"
    __table_args__ = (UniqueConstraint("parent_id", "name", name="parent_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)  # 2 digits per level: 01, 0103, 010302
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[int] = mapped_column(Integer)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    # Limits in hours; None inherits from the parent (and at the top from the defaults).
    dispatch_limit_hours: Mapped[float | None] = mapped_column(Float)
    handle_limit_hours: Mapped[float | None] = mapped_column(Float)
    time_basis: Mapped[str | None] = mapped_column(String(10))  # working | natural
    yellow_ratio: Mapped[float | None] = mapped_column(Float)
    priority: Mapped[str | None] = mapped_column(String(10))  # urgent | high | normal | low
    active: Mapped[bool] = mapped_column(Boolean, default=True)
