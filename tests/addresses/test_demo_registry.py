"""The demo district gets a generated registry, and the demo's callers who give no point
are located through it."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from civicloop.addresses.models import AddressRegistry, CaseAddressMatch, StandardAddress
from civicloop.cases.models import Case
from civicloop.db import transaction
from civicloop.demo.simulate import run_demo
from civicloop.regions.models import GridCell


def test_the_demo_resolves_its_address_only_cases(engine):
    run_demo(engine, weeks=2, per_day=30, seed=3, cell_area_m2=1_000_000, end=dt.datetime(2026, 11, 20, 16, 30))
    with transaction(engine) as s:
        registry = s.get(AddressRegistry, "420106")
        assert registry.source == "generated" and registry.full_name == "湖北省武汉市武昌区"
        addresses = s.scalar(select(func.count()).select_from(StandardAddress))
        assert addresses > 5_000
        # every address lies in a cell of its own community
        stray = s.scalar(select(func.count()).select_from(StandardAddress).join(
            GridCell, GridCell.code == StandardAddress.grid_code).where(
            GridCell.community_code != StandardAddress.community_code))
        assert stray == 0
        matched = s.execute(select(CaseAddressMatch.status, Case.grid_code, Case.lon, StandardAddress.grid_code)
                            .join(Case, Case.id == CaseAddressMatch.case_id)
                            .outerjoin(StandardAddress, StandardAddress.id == CaseAddressMatch.address_id)).all()
    assert matched, "the demo played no case with only an address"
    assert all(status == "resolved" for status, *_ in matched), [m for m in matched if m[0] != "resolved"]
    assert all(grid == registered and lon is None for _, grid, lon, registered in matched)
