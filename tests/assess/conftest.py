"""A mixed week of cases on the case engine's small district, each walked through the real
service layer to a fate the indicators must tell apart: on time and late, returned,
reworked, reopened, extended, merged, rejected, overdue and open, at the period's edges."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from civicloop.assess import rollup
from civicloop.assess.periods import week
from civicloop.cases import service
from civicloop.cases.sweep import sweep
from civicloop.db import transaction
from tests.cases.conftest import World, build_world

H = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
WEEK = week(2026, 48)  # Monday 2026-11-23 to Sunday 2026-11-29
CELL = {0: (114.305, 30.545), 1: (114.305, 30.555), 2: (114.315, 30.545), 3: (114.315, 30.555)}


@dataclass
class Mixed:
    world: World
    ids: dict[str, int]


def at(day: int, hour: float) -> dt.datetime:
    """Day 0 is Monday 2026-11-23."""
    return dt.datetime(2026, 11, 23) + day * DAY + hour * H


def build_mixed(world: World) -> Mixed:
    with transaction(world.engine) as s:  # the tables were emptied: the fast path starts complete
        rollup.rebuild(s, now=at(-7, 0))
    ids: dict[str, int] = {}
    zj, cg = world.departments["zj"], world.departments["cg"]

    def new(name, when, cell=0, channel="hotline", category="010101", who="operator"):
        lon, lat = CELL[cell]
        data = service.NewCase(channel=channel, title=f"案件{name}", body=f"测试案件{name}", district_code="420106",
                               lon=lon, lat=lat, category=category)
        with transaction(world.engine) as s:
            ids[name] = service.create_case(s, data, actor=world.actors[who], now=when).case.id
        return ids[name]

    def act(name, action, who, when, **kw):
        world.act(ids[name], action, who, when, **kw)

    # A: on time all the way, verified by the grid worker, rated 满意; E, a duplicate, merged into it.
    new("A", at(0, 9))
    act("A", "register", "dispatcher", at(0, 9.1))
    act("A", "dispatch", "dispatcher", at(0, 9.2), department_id=zj)
    act("A", "accept", "handler_zj", at(0, 9.3))
    new("E", at(0, 9.4), channel="web")
    act("E", "merge", "dispatcher", at(0, 9.5), master_case_id=ids["A"])
    act("A", "feedback", "handler_zj", at(0, 10), note="已修复")
    act("A", "verify_pass", "grid_worker", at(0, 11))
    act("A", "rate", "operator", at(0, 12), rating="satisfied")
    # B: dispatched late (after 11:00), reworked once, verified by the dispatcher, rated 基本满意.
    new("B", at(0, 9), cell=1)
    act("B", "register", "dispatcher", at(0, 9.05))
    act("B", "dispatch", "dispatcher", at(0, 12), department_id=zj)
    act("B", "accept", "handler_zj", at(0, 14))
    act("B", "feedback", "handler_zj", at(1, 10), note="已处理")
    act("B", "verify_fail", "dispatcher", at(1, 11), note="未处理到位")
    act("B", "feedback", "handler_zj", at(1, 14), note="已重新处理")
    act("B", "verify_pass", "dispatcher", at(1, 15))
    act("B", "rate", "operator", at(1, 16), rating="basic")
    # C: the grid worker's own patrol find; handled after its deadline (Wed 14:15): overdue.
    new("C", at(0, 10), channel="patrol", who="grid_worker")
    act("C", "register", "dispatcher", at(0, 10.5))
    act("C", "dispatch", "dispatcher", at(0, 10.75), department_id=zj)
    act("C", "accept", "handler_zj", at(0, 11))
    act("C", "feedback", "handler_zj", at(3, 10), note="已处理")
    act("C", "verify_pass", "grid_worker", at(3, 11))
    # D: sent to be checked after the first step's deadline (13:00: 派核实 late), checked on
    # site in time (核实), then not registered (不予立案).
    new("D", at(0, 11))
    act("D", "request_check", "operator", at(0, 16))
    act("D", "check", "grid_worker", at(0, 16.5), note="现场核实：不属于受理范围")
    act("D", "reject", "dispatcher", at(0, 16.75), note="不属于受理范围")
    # G: a return refused, an extension approved, closed, rated 不满意 and reopened: open again.
    new("G", at(1, 9))
    act("G", "register", "dispatcher", at(1, 9.05))
    act("G", "dispatch", "dispatcher", at(1, 9.1), department_id=cg)
    act("G", "return", "handler", at(1, 9.5), note="不属我局")
    act("G", "refuse_return", "dispatcher", at(1, 10), note="属你局职责")
    act("G", "accept", "handler", at(1, 10.5))
    act("G", "request_extension", "handler", at(1, 11), note="需协调", extension_hours=8)
    act("G", "approve_extension", "dispatcher", at(1, 11.5))
    act("G", "feedback", "handler", at(1, 15), note="已处理")
    act("G", "verify_pass", "grid_worker", at(1, 16))
    act("G", "rate", "operator", at(1, 17), rating="dissatisfied")
    act("G", "reopen", "supervisor", at(3, 9.5), note="群众不满意")
    # I: dispatched and never taken up: the sweep on Friday 15:00 finds it overdue.
    new("I", at(2, 9))
    act("I", "register", "dispatcher", at(2, 9.1))
    act("I", "dispatch", "dispatcher", at(2, 9.2), department_id=zj)
    # F: sent to the wrong department, the return approved, sent on; still in time.
    new("F", at(3, 9))
    act("F", "register", "dispatcher", at(3, 9.1))
    act("F", "dispatch", "dispatcher", at(3, 9.2), department_id=cg)
    act("F", "return", "handler", at(3, 10), note="属住建职责")
    act("F", "approve_return", "dispatcher", at(3, 10.5))
    act("F", "dispatch", "dispatcher", at(3, 10 + 2 / 3), department_id=zj)
    act("F", "accept", "handler_zj", at(3, 11))
    sweep(world.engine, now=at(4, 15))
    # H: reported the week before, closed in this one after a late verification.
    new("H", at(-7, 9), category="0102")
    act("H", "register", "dispatcher", at(-7, 9.5))
    act("H", "dispatch", "dispatcher", at(-7, 10), department_id=cg)
    act("H", "accept", "handler", at(-7, 11))
    act("H", "feedback", "handler", at(-6, 9), note="已拆除")
    act("H", "verify_pass", "dispatcher", at(0, 9.5))
    act("H", "rate", "operator", at(0, 10), rating="satisfied")
    # J, K, L: left where they came in; K at the last second of the week, L just after it.
    new("J", at(4, 20), cell=2, channel="app", category="0102")
    act("J", "request_check", "operator", at(4, 20.5))  # 派核实, never answered
    new("K", at(6, 24) - dt.timedelta(seconds=1), cell=3, channel="petition")
    new("L", at(7, 0), cell=3)
    rollup.catch_up(world.engine)  # as a reader of the figures does
    return Mixed(world, ids)


@pytest.fixture
def mixed(engine) -> Mixed:
    return build_mixed(build_world(engine))
