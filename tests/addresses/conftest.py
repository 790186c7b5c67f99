"""The real district 420106 (武昌区) at the default 10,000 m² grid with its generated
standard address registry, built once per module and database."""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from civicloop.addresses import service
from civicloop.addresses.generate import COMMUNITY_SUFFIXES, _display
from civicloop.addresses.models import StandardAddress
from civicloop.db import transaction
from civicloop.regions.models import Region
from civicloop.regions.service import init_district
from tests.api.conftest import live  # noqa: F401 — the fixtures of the HTTP tests and the case engine's world
from tests.cases.conftest import world  # noqa: F401
from tests.conftest import empty_tables, migrated_engine

D = "420106"


@dataclass
class Registry:
    engine: object
    rows: list[dict]             # every standard address, as stored
    names: dict[str, str]        # region code -> name as addresses write it (…社区, …街道)

    def match(self, text: str):
        with transaction(self.engine) as s:
            return service.match_address(s, D, text)


@pytest.fixture(scope="module")
def registry(database_url):
    engine = migrated_engine(database_url)
    empty_tables(engine)
    with transaction(engine) as s:
        init_district(s, D)
    with transaction(engine) as s:
        service.generate_demo_registry(s, D)
    with transaction(engine) as s:
        rows = [dict(r._mapping) for r in s.execute(select(*StandardAddress.__table__.c)
                                                    .order_by(StandardAddress.id))]
        names = {code: _display(name, COMMUNITY_SUFFIXES) if level == "community" else name
                 for code, name, level in s.execute(select(Region.code, Region.name, Region.level))}
    yield Registry(engine, rows, names)
    empty_tables(engine)


# The case engine's small district (tests/cases/conftest.py): one street 积玉桥街道, two
# communities of two 0.01° cells each. A registry written by hand for it:
CELLS = ("4201060010010001", "4201060010010002", "4201060010020001", "4201060010020002")
PREFIX = "湖北省武汉市武昌区积玉桥街道"
SMALL_CSV = f"""address,road,door_number,estate,building,unit,room,grid_code,community_code,lon,lat
{PREFIX}第1社区和平大道100号翠柳苑1栋,和平大道,100,翠柳苑,1,,,{CELLS[0]},,,
{PREFIX}第1社区和平大道100号翠柳苑2栋,和平大道,100,翠柳苑,2,,,{CELLS[1]},4201060010010,,
{PREFIX}第1社区和平大道102号,和平大道,102,,,,,,,114.305,30.545
{PREFIX}第2社区友谊路8号金桂花园3栋,友谊路,8,金桂花园,3,,,{CELLS[2]},,,
{PREFIX}第2社区友谊路8号金桂花园3栋2单元,友谊路,8,金桂花园,3,2,,{CELLS[2]},,114.315,30.545
{PREFIX}第2社区友谊路10号银杏家园3栋,友谊路,10,银杏家园,3,,,{CELLS[3]},,,
""".replace("4201060010010,,", "420106001001,,")
