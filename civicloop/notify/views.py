"""HTTP endpoints of notify/."""
from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
