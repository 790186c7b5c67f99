"""The sweep on a schedule, in the server (`civicloop serve --sweep-every S`) or in a
process of its own (`civicloop sweep --loop S`).

Every worker process and every sweep process runs a `SweepSchedule`; only the one holding
the `sweep` lease sweeps. The holder keeps renewing it (every third of its length, and
before each sweep), so the sweep stays with one process as long as that process lives;
when it dies its lease runs out (`ttl` seconds) and the next process to ask takes over.
A holder that shuts down gives the lease up at once.

The holder also keeps the assessment's rollup: every `catch_up_every` seconds (and after
each sweep) it brings the facts of the cases changed since up to date (assess/rollup.
catch_up), so that readers of the figures seldom find work left; every `compact_every`
seconds it folds the rollup's rows (assess/rollup.compact): each batch appends signed
rows, and a day folded into one row per key keeps the figures' reads as short as the
day's keys.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from civicloop.ops.lease import LeaseHolder

LEASE_NAME = "sweep"
COMPACT_EVERY = 3600.0
CATCH_UP_EVERY = 1.0
log = logging.getLogger("civicloop.sweep")


def default_ttl(every: float) -> float:
    """A lease outlives a few sweep periods, but not by minutes: 3 × the period, 5–300 s."""
    return min(300.0, max(5.0, 3 * every))


@dataclass
class SweepSchedule:
    engine: Engine
    every: float
    ttl: float | None = None
    on_result: object = None  # called with (result, seconds) after each sweep
    compact_every: float = COMPACT_EVERY
    catch_up_every: float = CATCH_UP_EVERY
    lease: LeaseHolder = field(init=False)
    runs: int = 0
    compactions: int = 0
    caught_up: int = 0  # cases whose facts the holder brought up to date

    def __post_init__(self):
        if self.every <= 0:
            raise ValueError("the sweep period must be positive")
        self.ttl = self.ttl or default_ttl(self.every)
        self.lease = LeaseHolder(self.engine, LEASE_NAME, ttl=self.ttl)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_sweep = float("-inf")
        self._last_compact = time.monotonic()  # a process that just started has little to fold
        self._last_catch_up = float("-inf")

    def step(self) -> bool:
        """Renew or take the lease; if it is held, catch the rollup up when `catch_up_every`
        has passed, and sweep (then catch up) when a period has passed. True if this call
        swept."""
        from civicloop.cases.sweep import sweep
        from civicloop.settings import local_now

        try:
            if not self.lease.acquire():
                return False
        except Exception:  # noqa: BLE001 — a database hiccup: not the holder this round, try again
            log.exception("sweep lease: could not reach the database")
            self.lease.good_until = 0.0
            return False
        if not self.lease.held:
            return False
        if time.monotonic() - self._last_sweep < self.every:
            if time.monotonic() - self._last_catch_up >= self.catch_up_every:
                self._catch_up()
            return False
        started = time.monotonic()
        begun_at = time.time()
        try:
            result = sweep(self.engine, now=local_now(), progress=self._renew_during)
        except Exception:  # noqa: BLE001 — logged; the next period tries again
            log.exception("sweep failed")
            self._last_sweep = time.monotonic()
            return False
        seconds = time.monotonic() - started
        self._last_sweep = time.monotonic()
        self.runs += 1
        log.info("sweep", extra={"event": "sweep", "holder": self.lease.holder, "started": begun_at,
                                 "ended": time.time(), "checked": result.checked, "yellow": result.yellow,
                                 "red": result.red, "escalated": result.escalated,
                                 "duration_ms": round(seconds * 1000, 1)})
        if self.on_result:
            self.on_result(result, seconds)
        self._catch_up()  # the cases the sweep warned or escalated
        if time.monotonic() - self._last_compact >= self.compact_every:
            self._compact()
        return True

    def _catch_up(self) -> None:
        from civicloop.assess.rollup import catch_up

        started = time.monotonic()
        try:
            cases = catch_up(self.engine, wait=False)  # (a reader waits for batches under way; the holder need not)
        except Exception:  # noqa: BLE001 — logged; the cases stay marked, the next round takes them
            log.exception("rollup catch-up failed")
            return
        finally:
            self._last_catch_up = time.monotonic()
        self.caught_up += cases
        if cases:
            log.info("rollup caught up", extra={"event": "catch_up", "cases": cases,
                                                "duration_ms": round((time.monotonic() - started) * 1000, 1)})

    def _compact(self) -> None:
        from civicloop.assess.rollup import compact
        from civicloop.db import transaction

        started = time.monotonic()
        try:
            with transaction(self.engine) as session:
                days = compact(session)
        except Exception:  # noqa: BLE001 — logged; the rows stay correct unfolded, the next period tries again
            log.exception("rollup compaction failed")
            return
        finally:
            self._last_compact = time.monotonic()
        self.compactions += 1
        log.info("rollup compacted", extra={"event": "compact", "days": days,
                                            "duration_ms": round((time.monotonic() - started) * 1000, 1)})

    def _renew_during(self, _result) -> None:
        # Between batches of a long sweep: keep the lease, and stop if it was lost.
        if self.lease.good_until - time.monotonic() < self.ttl / 2 and not self.lease.acquire():
            raise RuntimeError("lost the sweep lease mid-sweep")

    def run(self) -> None:
        """Loop until stop(): a step every third of the lease (at most every period)."""
        tick = min(self.every, self.ttl / 3)
        while not self._stop.is_set():
            self.step()
            wait = tick
            if self.lease.held:  # wake for the next sweep or catch-up, if sooner than the next renewal
                wait = max(0.05, min(tick, self._last_sweep + self.every - time.monotonic(),
                                     self._last_catch_up + self.catch_up_every - time.monotonic()))
            self._stop.wait(wait)
        try:
            if self.lease.held:
                self.lease.release()
        except Exception:  # noqa: BLE001 — it will expire by itself
            log.exception("sweep lease: could not release")

    def start(self) -> "SweepSchedule":
        self._thread = threading.Thread(target=self.run, name="civicloop-sweep", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)


def run_forever(engine: Engine, every: float, ttl: float | None = None) -> None:
    """`civicloop sweep --loop`: sweep while holding the lease until SIGTERM or Ctrl-C,
    logging each sweep as a JSON line; the lease is given up on the way out. The lease's
    length comes from `ttl` or CIVICLOOP_SWEEP_LEASE_SECONDS (default 3 × every, 5–300 s)."""
    import os
    import signal

    from civicloop.ops import logs

    logs.configure()
    ttl = ttl or float(os.environ.get("CIVICLOOP_SWEEP_LEASE_SECONDS") or 0) or None
    schedule = SweepSchedule(engine, every, ttl=ttl)
    log.info("sweep loop started", extra={"holder": schedule.lease.holder, "every": every, "lease": schedule.ttl})
    previous = signal.signal(signal.SIGTERM, lambda *_: schedule.stop())
    try:
        schedule.run()
    except KeyboardInterrupt:
        schedule.stop()
        if schedule.lease.held:
            schedule.lease.release()
    finally:
        signal.signal(signal.SIGTERM, previous)
