"""The base of every response model. Times are stored as naive local times of the
district; on the wire they carry its UTC offset (RFC 3339 date-time: 2026-11-23T09:00:00+08:00)."""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

from pydantic import BaseModel, field_serializer

from civicloop.settings import get_settings


@lru_cache
def district_zone() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=district_zone())


class ApiModel(BaseModel):
    @field_serializer("*", when_used="json")
    def _with_offset(self, value):
        if isinstance(value, dt.datetime):
            return aware(value).isoformat()
        return value
