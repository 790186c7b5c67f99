"""A real server on loopback for the HTTP tests: `python -m civicloop serve` in its own
process, on a database seeded with the case engine's small district and accounts that
sign in with PASSWORD. One server per test module and database (SQLite, PostgreSQL)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from civicloop.auth.service import hash_password
from civicloop.db import transaction
from civicloop.users.models import User
from tests.cases.conftest import World, build_world
from tests.conftest import empty_tables, migrated_engine

PASSWORD = "correct horse battery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A running `civicloop serve`."""
    database_url: str
    port: int
    workers: int = 1
    env: dict = field(default_factory=dict)
    process: subprocess.Popen | None = None
    log: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> "Server":
        env = {**os.environ, "CIVICLOOP_DATABASE_URL": self.database_url, "PYTHONUNBUFFERED": "1", **self.env}
        self.log = Path(self.env.get("CIVICLOOP_ATTACHMENTS_DIR", "/tmp")).parent / f"server-{self.port}.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "civicloop", "serve", "--port", str(self.port), "--workers", str(self.workers),
             "--no-migrate"], env=env, stdout=self.log.open("wb"), stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/openapi.json", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not answer in {timeout} s: {self.log.read_text()[-2000:]}")

    def stop(self, sig: int = 15) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait()


@dataclass
class Live:
    """The seeded world and a server in front of it."""
    world: World
    server: Server
    tokens: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.url

    def client(self, username: str | None = None) -> httpx.Client:
        headers = {}
        if username is not None:
            if username not in self.tokens:
                answer = httpx.post(self.url + "/api/v1/auth/token",
                                    data={"username": username, "password": PASSWORD})
                assert answer.status_code == 200, answer.text
                self.tokens[username] = answer.json()["access_token"]
            headers["Authorization"] = "Bearer " + self.tokens[username]
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


def seed(database_url: str) -> World:
    engine = migrated_engine(database_url)
    empty_tables(engine)
    world = build_world(engine)
    with transaction(engine) as s:
        s.execute(update(User).values(password_hash=hash_password(PASSWORD)))
    return world


@pytest.fixture(scope="module")
def live(database_url, tmp_path_factory):
    world = seed(database_url)
    tmp = tmp_path_factory.mktemp("server")
    server = Server(database_url, free_port(), env={"CIVICLOOP_ATTACHMENTS_DIR": str(tmp / "attachments")}).start()
    yield Live(world, server)
    server.stop()
    empty_tables(world.engine)


def add_user(live: Live, username: str, role: str, department: str | None = None) -> None:
    """An extra account in the live world (the case engine's world has no admin or assessor)."""
    from civicloop.users.service import create_user
    with transaction(live.world.engine) as s:
        user = create_user(s, username=username, name=username, role=role,
                           department=live.world.departments[department] if department else None)
        user.password_hash = hash_password(PASSWORD)
