"""`civicloop serve`: the HTTP service in one or several worker processes."""
from __future__ import annotations

import os

import typer
import uvicorn

from civicloop.settings import get_settings


def serve(host: str = typer.Option("127.0.0.1", help="Address to listen on"),
          port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on"),
          workers: int = typer.Option(1, min=1, max=64, help="Worker processes (PostgreSQL for more than one)"),
          migrate: bool = typer.Option(True, help="Bring the schema up to date before serving")) -> None:
    """Serve the REST API, Open311 and the operations endpoints."""
    url = get_settings().database_url
    if workers > 1 and url.startswith("sqlite"):
        typer.secho("note: several workers on SQLite share one write lock; use PostgreSQL for more than one",
                    err=True, fg="yellow")
    if migrate:
        from civicloop.migrate import upgrade
        upgrade(url)
    os.environ["CIVICLOOP_DATABASE_URL"] = url  # the workers read the same database
    uvicorn.run("civicloop.api.asgi:app", host=host, port=port, workers=workers, access_log=False,
                proxy_headers=False, log_level="warning", timeout_graceful_shutdown=10)
