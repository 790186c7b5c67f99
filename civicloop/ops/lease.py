"""Leases: whoever holds a job's unexpired lease runs it; nobody else does.

One row per job in `leases` (name, holder, expires_at). Taking or renewing it is one
statement, `INSERT … ON CONFLICT (name) DO UPDATE … WHERE leases.expires_at < :now OR
leases.holder = :me RETURNING holder`: it succeeds for the holder and, once the lease has
run out, for exactly one of those asking (the row lock on PostgreSQL, the write lock on
SQLite, make the others see the new holder's row and get no row back).

Times are UTC from the asking process's clock; hosts sharing a database must keep their
clocks within a fraction of the lease's length of each other (NTP does). A holder counts
its lease as good only until `acquired + ttl - margin` on its own monotonic clock, so a
process paused past its lease (a stopped VM, a long GC) stops acting before anyone else
may start.
"""
from __future__ import annotations

import datetime as dt
import os
import socket
import time
import uuid
from dataclasses import dataclass, field

from sqlalchemy import bindparam, delete, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from civicloop.db import transaction
from civicloop.ops.models import Lease


def holder_id() -> str:
    """hostname:pid:random — unique per process, and says where the holder runs."""
    return f"{socket.gethostname()[:50]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def _upsert(dialect: str):
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    table = Lease.__table__
    statement = insert(Lease.__table__).values(name=bindparam("name"), holder=bindparam("holder"),
                                     expires_at=bindparam("expires_at"))
    return statement.on_conflict_do_update(
        index_elements=["name"],
        set_={"holder": statement.excluded.holder, "expires_at": statement.excluded.expires_at},
        where=(table.c.expires_at < bindparam("now")) | (table.c.holder == bindparam("holder")),
    ).returning(table.c.holder)


@dataclass
class LeaseHolder:
    """A process's claim on one named lease."""
    engine: Engine
    name: str
    ttl: float = 60.0
    holder: str = field(default_factory=holder_id)
    margin: float = 0.0  # seconds before expiry at which the holder stops counting on it
    good_until: float = 0.0  # time.monotonic() until which this process may act

    def __post_init__(self):
        if self.ttl <= 0:
            raise ValueError("a lease needs a positive length")
        self.margin = self.margin or min(2.0, self.ttl / 5)
        self._statement = _upsert(self.engine.dialect.name)

    @property
    def held(self) -> bool:
        return time.monotonic() < self.good_until

    def acquire(self) -> bool:
        """Take the lease if it is free or expired, renew it if it is ours; False if
        someone else holds it."""
        started = time.monotonic()
        now = utcnow()
        with transaction(self.engine) as session:
            got = session.connection().execute(self._statement, {
                "name": self.name, "holder": self.holder, "now": now,
                "expires_at": now + dt.timedelta(seconds=self.ttl)}).scalar_one_or_none()
        if got == self.holder:
            self.good_until = started + self.ttl - self.margin
            return True
        self.good_until = 0.0
        return False

    def release(self) -> None:
        """Give the lease up at once (if still ours), so another process need not wait."""
        self.good_until = 0.0
        with transaction(self.engine) as session:
            session.execute(delete(Lease).where(Lease.name == self.name, Lease.holder == self.holder))


def current_holder(engine: Engine, name: str) -> tuple[str, dt.datetime] | None:
    """(holder, expires_at UTC) of an unexpired lease, None if it is free."""
    with transaction(engine) as session:
        row = session.execute(text("SELECT holder, expires_at FROM leases WHERE name = :name"),
                              {"name": name}).one_or_none()
    if row is None:
        return None
    expires = row.expires_at if isinstance(row.expires_at, dt.datetime) else dt.datetime.fromisoformat(row.expires_at)
    return (row.holder, expires) if expires >= utcnow() else None
