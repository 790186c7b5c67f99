"""HTTP endpoints of web/."""
from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
