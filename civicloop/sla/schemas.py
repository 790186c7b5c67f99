"""What the calendar endpoints take and give (pydantic)."""
from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

YearStatus = Literal["package", "overrides", "unknown"]


class DayOut(BaseModel):
    date: dt.date
    is_workday: bool | None = Field(description="null when the year is unknown")
    source: Literal["override", "package", "weekdays", "unknown"] = Field(
        description="override: an admin's; package: the official calendar (chinesecalendar); "
                    "weekdays: a year known from overrides, Monday–Friday otherwise")
    name: str | None = Field(description="the holiday or the override's name")


class Override(BaseModel):
    date: dt.date
    is_workday: bool
    name: str | None


class YearOut(BaseModel):
    year: int
    status: YearStatus = Field(description="package: the official calendar knows the year (overrides may adjust); "
                                           "overrides: known from an admin's entries; unknown: deadlines in it fail")
    workdays: int | None
    holidays: int | None = Field(description="days off: weekends and public holidays")
    overrides: list[Override]
    days: list[DayOut]


class DayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    is_workday: bool
    name: str | None = Field(None, max_length=60, description="e.g. 春节, 国庆节调休上班")


class Imported(BaseModel):
    days: int
