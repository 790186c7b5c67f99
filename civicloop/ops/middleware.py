"""Request ids, structured request logs and request metrics — and the worker's own jobs.

`RequestMiddleware` is a plain ASGI middleware (no BaseHTTPMiddleware: it runs on every
request, and a plain one costs a few microseconds). It sits outside everything else,
even outside Starlette's server-error handler, so a 500 is counted, logged and carries
the request id like any other answer.

Each request gets an id: the client's `X-Request-ID` when it is sane (1–128 characters of
letters, digits and `._:-`), otherwise a new random one. It is echoed in the answer's
`X-Request-ID`, kept in `request.state.request_id` (problem details carry it) and written
in the request's log line.
"""
from __future__ import annotations

import logging
import os
import re
import time
from contextlib import asynccontextmanager

from fastapi import FastAPI

from civicloop.ops import logs, metrics

log = logging.getLogger("civicloop.access")
_SANE_ID = re.compile(rb"[A-Za-z0-9._:\-]{1,128}")
SWEEP_EVERY_ENV = "CIVICLOOP_SWEEP_EVERY"  # seconds; 0 or unset: no sweep in this server
SWEEP_LEASE_ENV = "CIVICLOOP_SWEEP_LEASE_SECONDS"
ACCESS_LOG_ENV = "CIVICLOOP_ACCESS_LOG"


class RequestMiddleware:
    def __init__(self, app, access_log: bool = True):
        self.app = app
        self.access_log = access_log

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        request_id = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                if _SANE_ID.fullmatch(value):
                    request_id = value
                break
        if request_id is None:
            request_id = os.urandom(12).hex().encode()
        rid = request_id.decode()
        state = scope.get("state")
        if state is None:
            state = scope["state"] = {}
        state["request_id"] = rid
        header = (b"x-request-id", request_id)
        status = 500

        async def send_with_id(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        metrics.IN_FLIGHT.inc()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            metrics.IN_FLIGHT.dec()
            seconds = time.perf_counter() - started
            template = route_template(scope)
            metrics.observe(scope["method"], template, status, seconds)
            if self.access_log and not log.disabled:
                principal = state.get("principal")
                client = scope.get("client")
                log.info("request", extra={
                    "request_id": rid, "method": scope["method"], "path": scope["path"], "route": template,
                    "status": status, "duration_ms": round(seconds * 1000, 2),
                    "user": principal.username if principal is not None else None,
                    "client": client[0] if client else None})


def route_template(scope) -> str:
    """The matched route's path template (`/api/v1/cases/{ref}`), prefix included."""
    # FastAPI keeps an included router's own route (path without the prefix) in
    # scope["route"] and the effective, prefixed one in its scope context.
    context = (scope.get("fastapi") or {}).get("effective_route_context")
    if context is not None:
        path = getattr(context.starlette_route, "path_format", None) or context.path_format
        if path:
            return path
    return getattr(scope.get("route"), "path", None) or metrics.UNMATCHED


def install(app: FastAPI) -> None:
    """Add the operations middleware (outermost) and start the worker's scheduled jobs with
    the app's lifespan."""
    access_log = os.environ.get(ACCESS_LOG_ENV, "1").lower() not in ("0", "false", "no", "off")
    logs.configure(access_log)
    build = app.build_middleware_stack

    def outermost():
        # Starlette builds its stack lazily; wrapping the built stack puts this middleware
        # outside ServerErrorMiddleware too (app.add_middleware would put it inside).
        return RequestMiddleware(build(), access_log)

    app.build_middleware_stack = outermost
    lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def with_jobs(asgi_app):
        schedule = _start_sweep(app)
        try:
            async with lifespan(asgi_app) as state:
                yield state
        finally:
            if schedule is not None:
                schedule.stop()
            directory = metrics.multiprocess_dir()
            if directory:  # a worker that ends well takes its live gauges with it
                from prometheus_client import multiprocess
                multiprocess.mark_process_dead(os.getpid(), directory)

    app.router.lifespan_context = with_jobs


def _start_sweep(app: FastAPI):
    every = float(os.environ.get(SWEEP_EVERY_ENV) or 0)
    if every <= 0:
        return None
    from civicloop.ops.scheduler import SweepSchedule
    ttl = float(os.environ.get(SWEEP_LEASE_ENV) or 0) or None
    return SweepSchedule(app.state.engine, every, ttl=ttl, on_result=metrics.swept).start()
