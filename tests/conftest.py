"""Every database test runs twice: on SQLite and on the real PostgreSQL.

PostgreSQL: CIVICLOOP_TEST_PG_URL (default: the local server, user postgres, database
test). Each test session makes its own database there and drops it at the end. When the
server cannot be reached the PostgreSQL half is skipped with the reason printed —
except under CI (CI=true), where that is a failure, never a skip."""
from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import civicloop.models  # noqa: F401
from civicloop import cache
from civicloop.db import Base, make_engine
from civicloop.migrate import upgrade

PG_URL = os.environ.get("CIVICLOOP_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _pg_admin_engine():
    return create_engine(PG_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})


def _pg_reachable() -> str | None:
    try:
        with _pg_admin_engine().connect() as conn:
            conn.execute(text("select 1"))
        return None
    except Exception as exc:  # noqa: BLE001 — any failure means "not reachable", said below
        return f"PostgreSQL at {make_url(PG_URL).render_as_string(hide_password=True)} unreachable: {exc.__class__.__name__}: {str(exc).splitlines()[0]}"


@pytest.fixture(scope="session")
def postgresql_database_url():
    why = _pg_reachable()
    if why:
        if IN_CI:
            pytest.fail(f"{why} (CI=true: the PostgreSQL tests must run, not skip)")
        pytest.skip(why)
    name = f"civicloop_t_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = _pg_admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def sqlite_database_url(tmp_path_factory):
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'civicloop.db'}"


_migrated: dict[str, object] = {}


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request):
    url = request.getfixturevalue(f"{request.param}_database_url")
    if url not in _migrated:
        upgrade(url)  # the real migrations, so they are tested on both databases
        _migrated[url] = make_engine(url)
    return url


def empty_tables(eng) -> None:
    cache.invalidate()  # the next test's tables are new: no snapshot may outlive this one's
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with eng.begin() as conn:
        if eng.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))


def migrated_engine(database_url):
    return _migrated[database_url]


@pytest.fixture
def engine(database_url):
    """An engine on a migrated, empty database; tables are emptied after the test."""
    eng = _migrated[database_url]
    yield eng
    empty_tables(eng)


@pytest.fixture
def backend(engine) -> str:
    return engine.dialect.name


def pytest_terminal_summary(terminalreporter):
    """Say plainly what was skipped and why, grouped by reason, with the files involved."""
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped:
        return
    by_reason: dict[str, list] = {}
    for report in skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        by_reason.setdefault(reason.removeprefix("Skipped: "), []).append(report.nodeid)
    terminalreporter.section(f"{len(skipped)} tests skipped", sep="=", yellow=True, bold=True)
    for reason, ids in by_reason.items():
        files: dict[str, int] = {}
        for nodeid in ids:
            files[nodeid.split("::")[0]] = files.get(nodeid.split("::")[0], 0) + 1
        terminalreporter.write_line(f"{len(ids)} skipped because {reason}")
        for name, count in sorted(files.items()):
            terminalreporter.write_line(f"    {count:5d}  {name}")
