from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from civicloop.regions.models import Region

# A slice of 武昌区 (NBS codes of 2023): two streets, a scenic-area unit, four communities.
WUCHANG = [
    ("420106", "武昌区", "district", None, "admin"),
    ("420106001", "积玉桥街道", "street", "420106", "admin"),
    ("420106007", "黄鹤楼街道", "street", "420106", "admin"),
    ("420106490", "东湖风景区街道（武昌）", "street", "420106", "non_admin"),
    ("420106001001", "尚隆苑社区居委会", "community", "420106001", "admin"),
    ("420106001002", "中山社区居委会", "community", "420106001", "admin"),
    ("420106007001", "读书社区居委会", "community", "420106007", "admin"),
    ("420106490018", "东湖路社区", "community", "420106490", "admin"),
    ("420102", "江岸区", "district", None, "admin"),
]


@pytest.fixture
def session(engine):
    with Session(engine) as s:
        yield s
        s.rollback()


@pytest.fixture
def wuchang(session):
    for code, name, level, parent, kind in WUCHANG:
        session.add(Region(code=code, name=name, level=level, parent_code=parent, district_code=code[:6],
                           kind=kind))
        session.flush()
    return session
