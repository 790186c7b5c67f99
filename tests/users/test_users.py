"""Users, roles and 一格一员, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

import civicloop.db
from civicloop.cases.lifecycle import Role
from civicloop.cli import app
from civicloop.departments.service import create_department
from civicloop.errors import Conflict, Forbidden, InvalidInput, NotFound
from civicloop.regions.models import GridCell, Region
from civicloop.users import service

SQUARE = '{"type": "Polygon", "coordinates": [[[114.3, 30.55], [114.301, 30.55], [114.301, 30.551], [114.3, 30.55]]]}'


@pytest.fixture
def session(engine):
    with Session(engine) as s:
        for code, level, parent in [("420106", "district", None), ("420106001", "street", "420106"),
                                    ("420106001001", "community", "420106001"),
                                    ("420106001002", "community", "420106001")]:
            s.add(Region(code=code, name=f"区域{code}", level=level, parent_code=parent, district_code="420106"))
            s.flush()
        create_department(s, code="420106-cgzf", name="武昌区城市管理执法局", kind="bureau", district_code="420106")
        create_department(s, code="420106001001", name="尚隆苑社区居委会", kind="community",
                          district_code="420106", region_code="420106001001")
        for community, n in [("420106001001", 2), ("420106001002", 1)]:
            for i in range(1, n + 1):
                s.add(GridCell(code=f"{community}{i:03d}", community_code=community, district_code="420106",
                               geometry=SQUARE, area_m2=10_000.0, center_lon=114.3005, center_lat=30.5505))
        s.flush()
        yield s
        s.rollback()


def test_create_and_list(session):
    handler = service.create_user(session, username="zhang.san", name="张三", role="handler",
                                  department="420106-cgzf", phone="027-8888 1234")
    dispatcher = service.create_user(session, username="li4", name="李四", role=Role.DISPATCHER)
    assert (handler.role, handler.phone, dispatcher.department_id) == ("handler", "027-8888 1234", None)
    assert service.list_users(session) == [dispatcher, handler]
    assert service.list_users(session, role="handler") == [handler]
    assert service.list_users(session, department="420106-cgzf") == [handler]
    assert service.get_user(session, handler.id) is handler
    actor = service.actor_for_username(session, "zhang.san")
    assert (actor.role, actor.department_id, actor.grid_codes) == (Role.HANDLER, handler.department_id, frozenset())


@pytest.mark.parametrize("fields, error, field", [
    ({"role": "mayor"}, InvalidInput, "role"),
    ({"role": "handler"}, InvalidInput, "department"),
    ({"department": "nobody"}, NotFound, "department"),
    ({"username": "a"}, InvalidInput, "username"),
    ({"username": "张三"}, InvalidInput, "username"),
    ({"name": ""}, InvalidInput, "name"),
    ({"phone": "call me"}, InvalidInput, "phone"),
    ({"username": "taken"}, Conflict, "username"),
])
def test_create_refuses(session, fields, error, field):
    service.create_user(session, username="taken", name="某人", role="operator")
    with pytest.raises(error) as err:
        service.create_user(session, **({"username": "new1", "name": "某人", "role": "operator"} | fields))
    assert err.value.field == field
    assert [u.username for u in service.list_users(session)] == ["taken"]


def test_list_refuses_unknown_role(session):
    with pytest.raises(InvalidInput):
        service.list_users(session, role="mayor")


def test_one_grid_worker_per_cell(session):
    assert service.assign_grid_workers(session, "420106") == (3, 3)
    worker = service.get_user(session, "gw-420106001001001")
    assert worker.role == "grid_worker" and worker.name == "网格员（420106001001001）"
    assert service.grids_of(session, worker.id) == {"420106001001001"}
    actor = service.actor_for_username(session, worker.username)
    assert actor.role is Role.GRID_WORKER and actor.grid_codes == frozenset({"420106001001001"})
    # In the community committee where there is one.
    assert worker.department_id is not None
    assert service.get_user(session, "gw-420106001002001").department_id is None
    # Again: nothing new. A cell given to someone else keeps that person.
    assert service.assign_grid_workers(session, "420106") == (0, 0)
    other = service.create_user(session, username="wang5", name="王五", role="grid_worker")
    cell = session.get(GridCell, "420106001001002")
    cell.worker_id = other.id
    session.get(GridCell, "420106001002001").worker_id = None
    assert service.assign_grid_workers(session, "420106") == (0, 1)
    assert service.grids_of(session, other.id) == {"420106001001002"}
    with pytest.raises(InvalidInput):
        service.assign_grid_workers(session, "wuchang")


def test_disabled_user_may_not_act(session):
    service.create_user(session, username="old", name="老员工", role="dispatcher").active = False
    with pytest.raises(Forbidden):
        service.actor_for_username(session, "old")
    with pytest.raises(NotFound) as err:
        service.actor_for_username(session, "ghost")
    assert err.value.field == "user"


def test_cli(engine, session, monkeypatch):
    session.commit()
    monkeypatch.setattr(civicloop.db, "get_engine", lambda: engine)
    runner = CliRunner()
    result = runner.invoke(app, ["users", "add", "zhao6", "--name", "赵六", "--role", "handler",
                                 "--department", "420106-cgzf"])
    assert result.exit_code == 0 and "已添加用户 zhao6 赵六 (handler)" in result.output
    result = runner.invoke(app, ["users", "add", "qian7", "--name", "钱七", "--role", "handler"])
    assert isinstance(result.exception, InvalidInput) and result.exception.field == "department"
    result = runner.invoke(app, ["users", "assign-grid-workers", "--district", "420106"])
    assert "新建网格员 3 名, 分配网格 3 个" in result.output
    lines = runner.invoke(app, ["users", "list", "--role", "grid_worker"]).output.splitlines()
    assert lines[0] == "gw-420106001001001\t网格员（420106001001001）\tgrid_worker\t尚隆苑社区居委会"
    assert len(lines) == 3
