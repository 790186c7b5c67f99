"""Tables of intake/: the model's suggestion for each case it saw, and the labelled examples
that operators' choices of category leave behind for the next training."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from civicloop.db import Base


class Suggestion(Base):
    """What the classifier said about a case at intake, and whether it was applied."""
    __tablename__ = "intake_suggestions"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    label: Mapped[str] = mapped_column(String(100))          # the first-level category named
    confidence: Mapped[float] = mapped_column(Float)
    alternatives: Mapped[list] = mapped_column(JSON)         # [{"label", "confidence"}], best first
    applied: Mapped[bool] = mapped_column(Boolean)
    low_confidence: Mapped[bool] = mapped_column(Boolean)
    not_chinese: Mapped[bool] = mapped_column(Boolean)
    model_version: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class LabelledExample(Base):
    """A message with the category a person gave it: retraining adds these to messages.csv."""
    __tablename__ = "intake_examples"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    category_path: Mapped[str] = mapped_column(String(400))  # as it read when chosen
    label: Mapped[str] = mapped_column(String(100))          # its first level: what the model learns
    previous_label: Mapped[str | None] = mapped_column(String(100))  # the case's first level before
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
