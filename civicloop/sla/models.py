"""Admin overrides of the official calendar: they win over the chinesecalendar package,
so the system keeps counting correctly when the package lags a year."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, String
from sqlalchemy.orm import Mapped, mapped_column

from civicloop.db import Base


class CalendarDay(Base):
    __tablename__ = "calendar_days"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str | None] = mapped_column(String(60))  # 春节, 国庆节调休上班 …
