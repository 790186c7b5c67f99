"""HTTP endpoints of regions."""
from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["regions"])
