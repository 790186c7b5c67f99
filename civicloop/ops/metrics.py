"""Prometheus metrics (`GET /metrics`).

Counted in each worker process: requests by method, route template and status, their
latency, requests in flight, the sweeps this process ran. With several worker processes
`civicloop serve` points PROMETHEUS_MULTIPROC_DIR at a fresh directory before the workers
start; each worker then writes its values to files there and a scrape, answered by any
one worker, adds up every worker's files (prometheus_client's multiprocess mode).

Computed from the database at scrape time: cases by state and the sweep's lag (how long
the oldest case whose next check is due has been waiting), so they are right whoever
answers the scrape and wherever the sweep runs.
"""
from __future__ import annotations

import datetime as dt
import os
import time

from prometheus_client import (CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Gauge, Histogram,
                               generate_latest, multiprocess)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED = "<unmatched>"  # the route label of a path no route matches (keeps the label set small)

REQUESTS = Counter("civicloop_http_requests_total", "HTTP requests answered",
                   ["method", "route", "status"])
LATENCY = Histogram("civicloop_http_request_duration_seconds", "Time from the request to the end of the answer",
                    ["method", "route"],
                    buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
IN_FLIGHT = Gauge("civicloop_http_requests_in_flight", "Requests being answered now",
                  multiprocess_mode="livesum")
WORKER_REQUESTS = Gauge("civicloop_worker_requests", "Requests answered by each live worker process",
                        multiprocess_mode="liveall")
SWEEP_LAST = Gauge("civicloop_sweep_last_run_timestamp_seconds", "When the last scheduled sweep ended (Unix time)",
                   multiprocess_mode="max")
SWEEP_SECONDS = Gauge("civicloop_sweep_last_duration_seconds", "How long the last scheduled sweep took",
                      multiprocess_mode="mostrecent")
SWEEP_TOUCHED = Gauge("civicloop_sweep_last_cases_changed", "Cases the last scheduled sweep turned yellow or red "
                      "or escalated", multiprocess_mode="mostrecent")
SWEEPS = Counter("civicloop_sweep_runs_total", "Scheduled sweeps run", ["outcome"])


def multiprocess_dir() -> str | None:
    """The directory the values of this process go to; None when they stay in memory
    (prometheus_client decides at import, so this asks it rather than the environment)."""
    from prometheus_client import values
    return os.environ.get(MULTIPROC_ENV) if values.ValueClass is not values.MutexValue else None


_children: dict = {}


def observe(method: str, route: str, status: int, seconds: float) -> None:
    """One answered request (on every request: the labelled children are looked up once)."""
    key = (method, route, status)
    children = _children.get(key)
    if children is None:
        children = _children[key] = (REQUESTS.labels(method, route, str(status)), LATENCY.labels(method, route))
    children[0].inc()
    children[1].observe(seconds)
    WORKER_REQUESTS.inc()


def swept(result, seconds: float) -> None:
    SWEEP_LAST.set(time.time())
    SWEEP_SECONDS.set(seconds)
    SWEEP_TOUCHED.set(result.yellow + result.red + result.escalated)
    SWEEPS.labels("ok").inc()


class CaseCollector:
    """Cases by state, the sweep's lag and the cases the figures have yet to catch up with,
    read from the database at scrape time."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def collect(self):
        from civicloop.assess.rollup import pending
        from civicloop.cases.lifecycle import State
        from civicloop.cases.models import Case
        from civicloop.db import transaction
        from civicloop.settings import local_now

        now = local_now()
        with transaction(self.engine) as session:
            counts = dict(session.execute(select(Case.state, func.count()).group_by(Case.state)).all())
            oldest = session.scalar(select(func.min(Case.next_check_at)).where(Case.next_check_at <= now))
            waiting = pending(session)
        by_state = GaugeMetricFamily("civicloop_cases", "Cases by lifecycle state", labels=["state"])
        for state in State:
            by_state.add_metric([state.value], counts.get(state.value, 0))
        yield by_state
        lag = (now - oldest).total_seconds() if isinstance(oldest, dt.datetime) else 0.0
        yield GaugeMetricFamily("civicloop_sweep_lag_seconds", "Age of the oldest case whose next time-limit "
                                "check is due (0 when none is): how far the sweep is behind", value=max(0.0, lag))
        yield GaugeMetricFamily("civicloop_rollup_pending", "Cases changed since the assessment's figures last "
                                "caught up with them (assess/rollup.catch_up)", value=waiting)


def exposition(engine: Engine) -> tuple[bytes, str]:
    """The text a scrape gets: every worker's counters plus the database's figures."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = _single_process(registry)
    registry.register(CaseCollector(engine))
    return generate_latest(registry), CONTENT_TYPE_LATEST


def _single_process(registry: CollectorRegistry) -> CollectorRegistry:
    # Without the multiprocess directory the values live in this process's default registry
    # (with the process and platform collectors); the database collector joins per scrape.
    class Both:
        def collect(self):
            yield from REGISTRY.collect()
    registry.register(Both())
    return registry
