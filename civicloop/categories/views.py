"""HTTP endpoints of categories."""
from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["categories"])
