"""HTTP endpoints of departments."""
from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["departments"])
