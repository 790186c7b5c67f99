"""Engine, sessions and the one transaction helper. One URL picks SQLite or PostgreSQL."""
from __future__ import annotations

import threading
from contextlib import contextmanager, nullcontext
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from sqlalchemy import JSON, MetaData, create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from civicloop.settings import get_settings

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict: JSON, list: JSON}


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            # WAL lets readers go on while one writer writes; foreign keys are off by default.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            # BEGIN IMMEDIATE takes the write lock up front, so two writers queue
            # instead of failing halfway with "database is locked". Readers (read_only)
            # take none: in WAL mode they go on beside the writer.
            conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("read_only") else "BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_recycle=3600)


@lru_cache
def engine_for(url: str) -> Engine:
    return make_engine(url)


def get_engine() -> Engine:
    return engine_for(get_settings().database_url)


def session_factory(engine: Engine | None = None) -> sessionmaker[Session]:
    return _factory(engine or get_engine())


@lru_cache
def _factory(engine: Engine) -> sessionmaker[Session]:
    # One per engine: a sessionmaker builds a Session subclass, costly to make per transaction.
    return sessionmaker(bind=engine, expire_on_commit=False)


@lru_cache
def _writer_lock(engine: Engine) -> threading.Lock:
    return threading.Lock()


@contextmanager
def transaction(engine: Engine | None = None) -> Iterator[Session]:
    """One unit of work: commit on success, roll back everything on any error.

    On SQLite the threads of one process take turns at writing through a lock of our own:
    SQLite's busy handler would have them sleep and poll for its write lock, in steps of
    up to 100 ms, while it stands free."""
    engine = engine or get_engine()
    serialise = engine.dialect.name == "sqlite" and not engine.get_execution_options().get("read_only")
    lock = _writer_lock(engine.engine) if serialise else nullcontext()
    with lock:
        session = session_factory(engine)()
        try:
            with session.begin():
                yield session
        finally:
            session.close()


def read_only(engine: Engine) -> Engine:
    """The same engine for transactions that only read."""
    return engine.execution_options(read_only=True)


def is_postgres(session_or_engine) -> bool:
    bind = session_or_engine.get_bind() if isinstance(session_or_engine, Session) else session_or_engine
    return bind.dialect.name == "postgresql"


# ---------------------------------------------------------------- bulk writes

def roomy(conn) -> None:
    """More memory for this transaction's sorts, hashes and index builds than a request's."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL work_mem = '256MB'"))
        conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
    else:
        conn.execute(text("PRAGMA cache_size = -262144"))  # 256 MiB


def secondary_indexes(conn, tables: tuple[str, ...]) -> list[tuple[str, str]]:
    """(name, the SQL that makes it) of the tables' indexes, but those of their keys."""
    if not tables:
        return []
    names = ", ".join(f"'{t}'" for t in tables)
    if conn.dialect.name == "postgresql":
        return conn.execute(text(
            f"SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ({names}) "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))")).all()
    return conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                             f"AND tbl_name IN ({names})")).all()


@contextmanager
def indexes_made_after(conn, tables: tuple[str, ...]) -> Iterator[None]:
    """Within conn's transaction: the tables' secondary indexes dropped while many rows go
    in, and made again after, each in one sort (a failure rolls the drop back too)."""
    indexes = secondary_indexes(conn, tables)
    for name, _ in indexes:
        conn.execute(text(f'DROP INDEX "{name}"'))
    yield
    for _, sql in indexes:
        conn.execute(text(sql))
