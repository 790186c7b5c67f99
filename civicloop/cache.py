"""Process-wide snapshots of small, rarely changed tables (category limits, the calendar
overrides, grid geometry) that every case action reads.

A snapshot is reloaded when its time-to-live has passed or when this process changed the
table (`invalidate`), so an admin's change in another worker is seen within
`settings.config_ttl_seconds`, and never stale in the process that made it. Keyed by
database URL: one process may talk to several databases (tests, benchmarks)."""
from __future__ import annotations

import threading
import time
from typing import Callable, TypeVar

from sqlalchemy.orm import Session

from civicloop.settings import get_settings

T = TypeVar("T")
_lock = threading.Lock()
_snapshots: dict[tuple[str, str], tuple[float, object]] = {}


def _url(session: Session) -> str:
    return session.get_bind().url.render_as_string(hide_password=True)


def snapshot(session: Session, name: str, load: Callable[[Session], T]) -> T:
    key = (name, _url(session))
    now = time.monotonic()
    with _lock:
        hit = _snapshots.get(key)
    if hit is not None and now - hit[0] < get_settings().config_ttl_seconds:
        return hit[1]
    value = load(session)
    with _lock:
        _snapshots[key] = (now, value)
    return value


def snapshot_holding(session: Session, name: str, load: Callable[[Session], T], key: object) -> T:
    """The snapshot, reread once at once if `key` is not in it: a row made a moment ago by
    another worker is found without waiting out the time-to-live."""
    value = snapshot(session, name, load)
    if key not in value:
        invalidate(name)
        value = snapshot(session, name, load)
    return value


def invalidate(name: str | None = None) -> None:
    """Forget a snapshot (all snapshots when `name` is None), in every database."""
    with _lock:
        for key in [k for k in _snapshots if name is None or k[0] == name]:
            del _snapshots[key]


def changed(session: Session, name: str) -> None:
    """Call after writing a cached table: forget it now (later reads in this transaction
    see the change) and again when the transaction ends, committed or rolled back, so no
    uncommitted state outlives it."""
    from sqlalchemy import event

    invalidate(name)
    forget = lambda *_: invalidate(name)  # noqa: E731
    for hook in ("after_commit", "after_rollback"):
        if not event.contains(session, hook, forget):
            event.listen(session, hook, forget, once=True)
