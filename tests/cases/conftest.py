"""A small, hand-made district for the case engine's tests: one street, two communities,
four 0.01° grid cells, a few categories with known limits, departments and people."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import pytest
from shapely.geometry import box, mapping

from civicloop.cases import service
from civicloop.cases.lifecycle import Actor, Role
from civicloop.categories.models import Category
from civicloop.db import transaction
from civicloop.departments.models import Department, RoutingRule
from civicloop.regions.models import GridCell, Region
from civicloop.users.models import User

MONDAY = dt.datetime(2026, 11, 23, 9, 0)  # a plain working Monday
D = "420106"


def _geo(geom) -> str:
    return json.dumps(mapping(geom))


@dataclass
class World:
    engine: object
    actors: dict
    departments: dict
    categories: dict
    cells: list

    def create(self, *, at=MONDAY, category="010101", key=None, **kw):
        fields = dict(channel="hotline", title="路灯不亮", body="积玉桥某路段路灯连续三晚不亮", district_code=D,
                      reporter_name="张三", reporter_phone="13812345678", lon=114.305, lat=30.545,
                      category=category, idempotency_key=key)
        fields.update(kw)
        with transaction(self.engine) as s:
            return service.create_case(s, service.NewCase(**fields), actor=self.actors["operator"], now=at).case

    def act(self, case_id, action, who, at, **kw):
        with transaction(self.engine) as s:
            return service.act(s, case_id, service.ActionInput(action=action, **kw), actor=self.actors[who], now=at)

    def get(self, case_id):
        with transaction(self.engine) as s:
            return service.get_case(s, case_id)

    def events(self, case_id):
        with transaction(self.engine) as s:
            return service.events(s, case_id)


@pytest.fixture
def world(engine) -> World:
    return build_world(engine)


def build_world(engine) -> World:
    with transaction(engine) as s:
        district = box(114.30, 30.54, 114.32, 30.56)
        s.add(Region(code=D, name="武昌区", level="district", parent_code=None, district_code=D, kind="admin",
                     geometry=_geo(district), geometry_source="test", area_m2=4.0e6))
        s.flush()
        s.add(Region(code=D + "001", name="积玉桥街道", level="street", parent_code=D, district_code=D,
                     kind="admin", geometry=_geo(district), geometry_source="test", area_m2=4.0e6))
        s.flush()
        cells = []
        for i, (x0, comm) in enumerate([(114.30, "001"), (114.31, "002")]):
            code = D + "001" + comm
            s.add(Region(code=code, name=f"第{i + 1}社区", level="community", parent_code=D + "001",
                         district_code=D, kind="admin", geometry=_geo(box(x0, 30.54, x0 + 0.01, 30.56)),
                         geometry_source="test", area_m2=2.0e6))
            s.flush()
            for j, y0 in enumerate((30.54, 30.55)):
                cell = box(x0, y0, x0 + 0.01, y0 + 0.01)
                cells.append(GridCell(code=f"{code}{j + 1:04d}", community_code=code, district_code=D,
                                      geometry=_geo(cell), area_m2=1.0e6, center_lon=cell.centroid.x,
                                      center_lat=cell.centroid.y, source="generated"))
        s.add_all(cells)
        top = Category(code="01", name="城乡建设", level=1, dispatch_limit_hours=2, handle_limit_hours=16,
                       time_basis="working", yellow_ratio=0.75, priority="normal")
        s.add(top)
        s.flush()
        mid = Category(code="0101", name="城市建设和市政管理", level=2, parent_id=top.id)
        s.add(mid)
        s.flush()
        leaf = Category(code="010101", name="园林绿化环卫", level=3, parent_id=mid.id)
        illegal = Category(code="0102", name="违法建设", level=2, parent_id=top.id, dispatch_limit_hours=24,
                           handle_limit_hours=48, time_basis="natural", priority="urgent")
        s.add_all([leaf, illegal])
        deps = {code: Department(code=code, name=name, kind=kind, district_code=D)
                for code, name, kind in [("cg", "区城管执法局", "bureau"), ("zj", "区住建局", "bureau"),
                                         ("jyq", "积玉桥街道办事处", "street_office")]}
        s.add_all(deps.values())
        s.flush()
        s.add(RoutingRule(category_id=top.id, region_code=None, department_id=deps["zj"].id))
        s.add(RoutingRule(category_id=illegal.id, region_code=None, department_id=deps["cg"].id))
        people = {"operator": ("operator", None), "dispatcher": ("dispatcher", None), "handler": ("handler", "cg"),
                  "handler_zj": ("handler", "zj"), "handler_jyq": ("handler", "jyq"),
                  "grid_worker": ("grid_worker", None), "supervisor": ("supervisor", None),
                  "citizen": ("citizen", None)}
        users = {}
        for username, (role, dep) in people.items():
            users[username] = User(username=username, name=username, role=role,
                                   department_id=deps[dep].id if dep else None)
        s.add_all(users.values())
        s.flush()
        cells[0].worker_id = users["grid_worker"].id
        actors = {name: Actor(user_id=u.id, role=Role(u.role), department_id=u.department_id,
                              grid_codes=frozenset({cells[0].code}) if name == "grid_worker" else frozenset())
                  for name, u in users.items()}
        actors["system"] = Actor(user_id=None, role=Role.SYSTEM)
        world = World(engine=engine, actors=actors, departments={k: v.id for k, v in deps.items()},
                      categories={c.code: c.id for c in (top, mid, leaf, illegal)},
                      cells=[c.code for c in cells])
    return world
