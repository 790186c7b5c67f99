"""Servers for the operations tests: a seeded database (the case engine's small district,
accounts signing in with PASSWORD) and `civicloop serve` started for real on loopback,
with whatever workers and sweep schedule the test asks for."""
from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import PASSWORD, Server, free_port, seed
from tests.conftest import empty_tables


def sign_in(url: str, username: str) -> dict:
    answer = httpx.post(url + "/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": "Bearer " + answer.json()["access_token"]}


def log_lines(path: Path) -> list[dict]:
    """The JSON lines of a server's log (anything else in it is skipped)."""
    out = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    return out


@pytest.fixture(scope="module")
def serving(database_url, tmp_path_factory):
    """start(workers=…, **env) → a running Server on the freshly seeded database."""
    world = seed(database_url)
    servers: list[Server] = []

    def start(workers: int = 1, **env) -> Server:
        tmp = tmp_path_factory.mktemp("server")
        env = {"CIVICLOOP_ATTACHMENTS_DIR": str(tmp / "attachments"), "CIVICLOOP_SWEEP_EVERY": "0", **env}
        server = Server(database_url, free_port(), workers=workers, env=env)
        servers.append(server)
        return server.start(timeout=60)

    start.world = world
    yield start
    for server in servers:
        server.stop()
    empty_tables(world.engine)
