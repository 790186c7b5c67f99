"""A live server for the Open311 tests (tests/api's, on both databases) and API keys for
its accounts. A module may set SERVER_ENV to run its server with other settings."""
from __future__ import annotations

import pytest

from civicloop.auth.service import create_api_key
from civicloop.db import transaction
from civicloop.regions.coords import gcj02_to_wgs84
from civicloop.settings import local_now
from tests.api.conftest import Live, Server, free_port, seed
from tests.conftest import empty_tables

BASE = "/open311/v2"
# Inside the test district's first grid cell, as a phone's GPS would give it.
LONG, LAT = gcj02_to_wgs84(114.305, 30.545)


@pytest.fixture(scope="module")
def live(database_url, tmp_path_factory, request):
    world = seed(database_url)
    attachments = tmp_path_factory.mktemp("server") / "attachments"
    env = {"CIVICLOOP_ATTACHMENTS_DIR": str(attachments), **getattr(request.module, "SERVER_ENV", {})}
    server = Server(database_url, free_port(), env=env).start()
    yield Live(world, server)
    server.stop()
    empty_tables(world.engine)


@pytest.fixture(scope="module")
def keys(live) -> dict[str, str]:
    """An API key per account that tests write with: username → key."""
    with transaction(live.world.engine) as session:
        return {username: create_api_key(session, username, name=f"test client of {username}", now=local_now())[0]
                for username in ("operator", "dispatcher", "grid_worker")}
