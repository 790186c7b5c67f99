"""Operations endpoints: health, readiness, metrics."""
from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["operations"])
