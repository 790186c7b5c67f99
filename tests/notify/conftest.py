from __future__ import annotations

import pytest

from tests.cases.conftest import World, build_world


@pytest.fixture
def world(engine) -> World:
    return build_world(engine)
