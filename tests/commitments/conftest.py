"""The case engine's small district (tests/cases/conftest.py) with an admin, and helpers
that call the commitments service as a given person at a given time."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from civicloop.cases.lifecycle import Actor, Role
from civicloop.commitments import service
from civicloop.db import transaction
from civicloop.users.models import User
from tests.cases.conftest import World, build_world

JAN = dt.datetime(2026, 1, 20, 9, 0)


@dataclass
class Tracking:
    world: World

    @property
    def engine(self):
        return self.world.engine

    def actor(self, who: str) -> Actor:
        return self.world.actors[who]

    def call(self, function, *args, who: str, at: dt.datetime = JAN, **kw):
        """Run a service function in its own transaction, as `who` at `at`; return its result's id."""
        with transaction(self.engine) as s:
            result = function(s, *args, actor=self.actor(who), now=at, **kw)
            return getattr(result, "id", result)

    def park(self, **kw) -> int:
        """建设口袋公园30个, led by 区住建局 with 区城管执法局."""
        fields = {"kind": "commitment", "district_code": "420106", "year": 2026, "title": "建设口袋公园30个",
                  "body": "新建改造口袋公园30个，方便群众就近休闲。", "source_sentence": "建设口袋公园30个。",
                  "quantity": 30, "unit": "个", "lead_department": "zj", "co_departments": ("cg",)}
        fields.update(kw)
        return self.call(service.create_item, who="supervisor", **fields)


@pytest.fixture
def tracking(engine) -> Tracking:
    world = build_world(engine)
    with transaction(engine) as s:
        admin = User(username="admin", name="管理员", role="admin")
        s.add(admin)
        s.flush()
        world.actors["admin"] = Actor(user_id=admin.id, role=Role.ADMIN)
    return Tracking(world)
