"""`civicloop serve`: the HTTP service in one or several worker processes.

Before the workers start, PROMETHEUS_MULTIPROC_DIR is pointed at a fresh temporary
directory (removed at exit) so that /metrics, whichever worker answers it, adds up every
worker's counters; a thread of the parent process marks dead workers' live gauges as gone.
SIGTERM (or Ctrl-C) stops taking connections, lets requests in progress finish (at most
`--graceful-seconds`), gives up the sweep lease and exits.
"""
from __future__ import annotations

import os
import shutil
import signal
import tempfile
import threading
from pathlib import Path

import typer
import uvicorn

from civicloop.settings import get_settings


def serve(host: str = typer.Option("127.0.0.1", help="Address to listen on"),
          port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on"),
          workers: int = typer.Option(1, min=1, max=64, help="Worker processes (PostgreSQL for more than one)"),
          migrate: bool = typer.Option(True, help="Bring the schema up to date before serving"),
          sweep_every: float = typer.Option(60.0, min=0, envvar="CIVICLOOP_SWEEP_EVERY", help="Run the deadline sweep every SECONDS in the "
                                            "server (one worker at a time, by lease); 0: not in this server"),
          sweep_lease: float = typer.Option(0.0, min=0, envvar="CIVICLOOP_SWEEP_LEASE_SECONDS", help="Length of the sweep lease in seconds (default "
                                            "3 × --sweep-every, 5–300): how soon another worker takes over "
                                            "from a dead one"),
          access_log: bool = typer.Option(True, envvar="CIVICLOOP_ACCESS_LOG", help="One JSON log line per request on standard error"),
          graceful_seconds: float = typer.Option(10.0, min=0, help="On SIGTERM, how long requests in "
                                                 "progress may take to finish")) -> None:
    """Serve the REST API, Open311 and the operations endpoints."""
    url = get_settings().database_url
    if workers > 1 and url.startswith("sqlite"):
        typer.secho("note: several workers on SQLite share one write lock; use PostgreSQL for more than one",
                    err=True, fg="yellow")
    if migrate:
        from civicloop.migrate import upgrade
        upgrade(url)
    os.environ["CIVICLOOP_DATABASE_URL"] = url  # the workers read the same database
    os.environ["CIVICLOOP_SWEEP_EVERY"] = str(sweep_every)
    os.environ["CIVICLOOP_SWEEP_LEASE_SECONDS"] = str(sweep_lease)
    os.environ["CIVICLOOP_ACCESS_LOG"] = "1" if access_log else "0"
    metrics_dir = tempfile.mkdtemp(prefix="civicloop-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    stop = threading.Event()
    if workers > 1:
        threading.Thread(target=_mark_dead_workers, args=(metrics_dir, stop), daemon=True,
                         name="civicloop-metrics-reaper").start()
    for sig in (signal.SIGTERM, signal.SIGINT):
        # uvicorn hands a stop signal on to the handler it found once it has shut down:
        # make that an exit that runs the clean-up below, not an instant death.
        signal.signal(sig, _exit_on)
    try:
        uvicorn.run("civicloop.api.asgi:app", host=host, port=port, workers=workers, access_log=False,
                    proxy_headers=False, log_level="warning", timeout_graceful_shutdown=graceful_seconds)
    finally:
        stop.set()
        shutil.rmtree(metrics_dir, ignore_errors=True)


def _exit_on(sig, _frame) -> None:
    raise SystemExit(128 + sig)


def _mark_dead_workers(directory: str, stop: threading.Event, every: float = 2.0) -> None:
    """Workers that died without a word (SIGKILL, out of memory) leave their live gauges
    (in flight, requests per worker) behind: drop those; their counters stay, so totals
    never go down."""
    from prometheus_client import multiprocess  # not the metrics themselves: this process has none

    marked: set[int] = set()
    while not stop.wait(every):
        pids = {int(tail) for tail in (p.stem.rsplit("_", 1)[-1] for p in Path(directory).glob("*.db"))
                if tail.isdigit()}
        for pid in pids - marked:
            if not _alive(pid):
                multiprocess.mark_process_dead(pid, directory)
                marked.add(pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True
