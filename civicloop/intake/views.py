"""HTTP endpoints of intake/."""
from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
