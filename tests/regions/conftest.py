from __future__ import annotations

import pytest

from civicloop.db import transaction
from civicloop.regions import service

@pytest.fixture
def coarse_m2() -> float:
    """Coarse cells where a test is not about the default 万米 size: 徐汇区 then has ~220."""
    return 250_000.0


@pytest.fixture
def xuhui(engine, coarse_m2):
    """310104 徐汇区 set up with coarse cells; returns its summary."""
    with transaction(engine) as session:
        return service.init_district(session, "310104", cell_area_m2=coarse_m2)
