"""Request ids, structured request logs and request metrics."""
from __future__ import annotations

from fastapi import FastAPI


def install(app: FastAPI) -> None:
    """Add the operations middleware to the app."""
