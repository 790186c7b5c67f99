"""Category import, look-ups and inherited time limits, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

import civicloop.db
from civicloop.categories import service
from civicloop.categories.models import Category
from civicloop.cli import app
from civicloop.errors import InvalidInput, NotFound
from civicloop.sla.deadlines import Limits

SMALL = """level1,level2,level3,handle_limit_hours,priority
城乡建设,安全生产,事故处理,8,urgent
城乡建设,安全生产,安全隐患,,
城乡建设,城市建设和市政管理,环境卫生,,
环境保护,,,40,
环境保护,环境污染,噪音污染,24,high
"""


@pytest.fixture
def session(engine):
    with Session(engine) as s:
        yield s
        s.rollback()


def codes(session) -> dict[str, str]:
    return {service.path_of(session, c): c.code for c in service.list_categories(session)}


def count(session) -> int:
    return session.scalar(select(func.count()).select_from(Category))


def test_import_builds_the_tree_in_first_seen_order(session):
    result = service.import_taxonomy(session, SMALL)
    assert (result.rows, result.created, result.updated) == (5, 9, 0)
    assert codes(session) == {
        "城乡建设": "01", "城乡建设/安全生产": "0101", "城乡建设/安全生产/事故处理": "010101",
        "城乡建设/安全生产/安全隐患": "010102", "城乡建设/城市建设和市政管理": "0102",
        "城乡建设/城市建设和市政管理/环境卫生": "010201", "环境保护": "02",
        "环境保护/环境污染": "0201", "环境保护/环境污染/噪音污染": "020101"}
    accident = service.find_category(session, "010101")
    assert (accident.level, accident.handle_limit_hours, accident.priority) == (3, 8.0, "urgent")
    # A row naming only level1 sets the limits of the level-1 category.
    assert service.find_category(session, "02").handle_limit_hours == 40.0


def test_reimport_creates_nothing_and_updates_limits_only(session):
    service.import_taxonomy(session, SMALL)
    again = service.import_taxonomy(session, SMALL)
    assert (again.created, again.updated) == (0, 0)
    changed = SMALL.replace("事故处理,8,urgent", "事故处理,6,urgent")
    again = service.import_taxonomy(session, changed + "城乡建设,安全生产,消防通道,,\n")
    assert (again.created, again.updated) == (1, 1)
    assert service.find_category(session, "城乡建设/安全生产/事故处理").handle_limit_hours == 6.0
    # New categories continue after the existing codes.
    assert service.find_category(session, "消防通道").code == "010103"
    # A file without limit columns leaves limits alone.
    service.import_taxonomy(session, "level1,level2\n城乡建设,安全生产\n")
    assert service.find_category(session, "010101").handle_limit_hours == 6.0
    assert count(session) == 10


def test_codes_are_never_reused(session):
    service.import_taxonomy(session, "level1\n甲\n乙\n")
    session.delete(service.find_category(session, "甲"))
    session.flush()
    service.import_taxonomy(session, "level1\n丙\n")
    assert codes(session) == {"乙": "02", "丙": "03"}


def test_more_than_99_children_writes_nothing(session):
    service.import_taxonomy(session, "level1\n甲\n")
    with pytest.raises(InvalidInput) as err:
        service.import_taxonomy(session, "level1\n" + "".join(f"类{i}\n" for i in range(99)))
    assert err.value.detail == "the top level: more than 99 sub-categories (codes have two digits a level)"
    assert codes(session) == {"甲": "01"}


def test_import_under_a_root(session, tmp_path):
    service.import_taxonomy(session, SMALL)
    path = tmp_path / "dc.csv"
    path.write_text("\ufefflevel1,level2\n事件,市容环境\n部件,公用设施\n", encoding="utf-8")
    result = service.import_taxonomy(session, path, root="数字城管")
    assert result.created == 5
    assert codes(session)["数字城管/事件/市容环境"] == "030101"
    assert service.find_category(session, "数字城管").level == 1
    assert service.find_category(session, "公用设施").level == 3


def test_bad_rows_are_all_reported_and_nothing_is_written(session):
    bad = """level1,level2,level3,dispatch_limit_hours,handle_limit_hours,time_basis,yellow_ratio,priority
城乡建设,安全生产,事故处理,1,8,natural,0.5,urgent
,安全生产,x,,,,,
城乡建设,,安全隐患,,,,,
环境保护,,,abc,,,,
环境保护,a/b,,,-3,,,
交通运输,,,,,weekly,1.5,asap
城乡建设,安全生产,事故处理,1,9,,,
"""
    with pytest.raises(InvalidInput) as err:
        service.import_taxonomy(session, bad)
    assert err.value.field == "csv"
    assert err.value.extra["errors"] == [
        "row 3, column level1: empty name but a deeper level is given",
        "row 4, column level2: empty name but a deeper level is given",
        "row 5, column dispatch_limit_hours: 'abc' is not a number",
        "row 6, column level2: 'a/b': a name may not contain '/' (it separates path levels)",
        "row 6, column handle_limit_hours: '-3' must be a number of hours above 0 and at most 8784",
        "row 7, column time_basis: 'weekly' is not one of working, natural",
        "row 7, column yellow_ratio: '1.5' must be between 0 and 1 (exclusive)",
        "row 7, column priority: 'asap' is not one of urgent, high, normal, low",
        "row 8, column handle_limit_hours: 9.0 contradicts 8.0 given on row 2 for the same category",
    ]
    assert count(session) == 0


@pytest.mark.parametrize("text, message", [
    ("name,level2\na,b\n", "needs columns level1"),
    ("level1,level3\na,b\n", "without gaps"),
    ("level1,deadline\na,3\n", "unknown column(s) deadline"),
])
def test_bad_headers(session, text, message):
    with pytest.raises(InvalidInput) as err:
        service.import_taxonomy(session, text)
    assert err.value.field == "header" and message in err.value.detail


def test_missing_file_and_bad_root(session, tmp_path):
    with pytest.raises(NotFound) as err:
        service.import_taxonomy(session, tmp_path / "nope.csv")
    assert err.value.field == "file"
    with pytest.raises(InvalidInput) as err:
        service.import_taxonomy(session, SMALL, root=" ")
    assert err.value.field == "root"
    assert count(session) == 0


def test_find_category_by_code_path_and_name(session):
    service.import_taxonomy(session, SMALL + "交通运输,交通运输,公交\n经济管理,安全生产,安全隐患\n")
    assert service.find_category(session, "0101").name == "安全生产"
    assert service.find_category(session, " 城乡建设/安全生产/安全隐患 ").code == "010102"
    assert service.find_category(session, "噪音污染").code == "020101"
    accident = service.find_category(session, "事故处理")
    assert service.find_category(session, accident.id) is accident
    # The same name on two levels: the shallowest one, if alone at its level.
    assert service.find_category(session, "交通运输").level == 1
    with pytest.raises(InvalidInput) as err:
        service.find_category(session, "安全隐患")
    assert err.value.field == "category"
    assert "城乡建设/安全生产/安全隐患 (010102)" in err.value.detail
    assert "经济管理/安全生产/安全隐患" in err.value.detail
    for ref in ("不存在", "99", "城乡建设/不存在", 9999):
        with pytest.raises(NotFound) as err:
            service.find_category(session, ref)
        assert err.value.field == "category"
    with pytest.raises(NotFound, match="no category '城乡建设/不存在'"):
        service.find_category(session, "城乡建设/不存在")


def test_effective_limits_inherit_field_by_field(session):
    service.import_taxonomy(session, SMALL)
    noise = service.find_category(session, "噪音污染")
    assert service.effective_limits(session, noise.id) == Limits(
        dispatch_hours=2.0, handle_hours=24.0, basis="working", yellow_ratio=0.8, priority="high")
    service.set_limits(session, "环境保护", time_basis="natural", dispatch_limit_hours=1)
    explained = service.explain_limits(session, noise.id)
    assert explained.limits.basis == "natural" and explained.limits.dispatch_hours == 1.0
    assert explained.sources["basis"].name == "环境保护"
    assert explained.sources["handle_hours"] is noise
    assert explained.sources["yellow_ratio"] is None
    # None clears a limit: it is inherited again.
    service.set_limits(session, noise.id, handle_limit_hours=None)
    assert service.effective_limits(session, noise.id).handle_hours == 40.0
    assert service.effective_limits(session, None) == Limits(2.0, 40.0, "working", 0.8, "normal")


def test_set_limits_is_seen_by_the_next_transaction(engine):
    with civicloop.db.transaction(engine) as s:
        service.import_taxonomy(s, SMALL)
        leaf = service.find_category(s, "安全隐患").id
        assert service.effective_limits(s, leaf).handle_hours == 40.0
    with civicloop.db.transaction(engine) as s:
        service.set_limits(s, "0101", handle_limit_hours=4, priority="urgent")
    with civicloop.db.transaction(engine) as s:
        assert service.effective_limits(s, leaf).handle_hours == 4.0


def test_limits_cache_lives_one_transaction(engine):
    with Session(engine) as s:
        service.import_taxonomy(s, SMALL)
        s.commit()
        leaf = service.find_category(s, "安全隐患").id
        service.set_limits(s, "0101", handle_limit_hours=4)
        assert service.effective_limits(s, leaf).handle_hours == 4.0
        s.rollback()
        assert service.effective_limits(s, leaf).handle_hours == 40.0
        # A category added without the service is found all the same.
        extra = Category(code="03", name="临时", level=1, handle_limit_hours=3.0)
        s.add(extra)
        s.flush()
        assert service.effective_limits(s, extra.id).handle_hours == 3.0
        with pytest.raises(NotFound):
            service.effective_limits(s, extra.id + 1000)
        s.rollback()


@pytest.mark.parametrize("fields, field", [
    ({"handle_limit_hours": "soon"}, "handle_limit_hours"),
    ({"dispatch_limit_hours": 0}, "dispatch_limit_hours"),
    ({"yellow_ratio": 1}, "yellow_ratio"),
    ({"time_basis": "lunar"}, "time_basis"),
    ({"priority": "p1"}, "priority"),
    ({"deadline": 3}, "deadline"),
    ({}, "limits"),
])
def test_set_limits_refuses_bad_values(session, fields, field):
    service.import_taxonomy(session, SMALL)
    with pytest.raises(InvalidInput) as err:
        service.set_limits(session, "0101", **fields)
    assert err.value.field == field
    assert service.find_category(session, "0101").handle_limit_hours is None


def test_builtin_taxonomies(session):
    results = service.import_builtin(session)
    assert results["taxonomy.csv"].created == 15 + 118 + 517
    assert [len(service.list_categories(session, level=n, under=None)) for n in (1, 2, 3)] == [16, 118 + 2, 517 + 11]
    illegal = service.find_category(session, "数字城管/事件/施工管理/违法建设")
    assert service.effective_limits(session, illegal.id) == Limits(24.0, 48.0, "natural", 0.5, "high")
    hazard = service.find_category(session, "城乡建设/安全生产/安全隐患")
    assert service.effective_limits(session, hazard.id).priority == "urgent"
    assert all(r.created == 0 for r in service.import_builtin(session).values())


def test_cli(engine, monkeypatch, tmp_path):
    monkeypatch.setattr(civicloop.db, "get_engine", lambda: engine)
    runner = CliRunner()
    path = tmp_path / "t.csv"
    path.write_text(SMALL, encoding="utf-8")
    result = runner.invoke(app, ["categories", "import", str(path)])
    assert result.exit_code == 0 and "新建 9 个分类" in result.output
    result = runner.invoke(app, ["categories", "list", "--level", "1"])
    assert result.output.splitlines() == ["01\t城乡建设", "02\t环境保护"]
    assert "    010101 事故处理" in runner.invoke(app, ["categories", "list", "--tree"]).output
    result = runner.invoke(app, ["categories", "set-limits", "环境保护", "--basis", "natural", "--yellow", "0.6"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["categories", "show", "噪音污染"])
    assert "处置时限: 24 小时  [本分类设定]" in result.output
    assert "计时方式: 自然时间  [继承自 环境保护 (02)]" in result.output
    assert "派遣时限: 2 小时  [系统默认]" in result.output
    result = runner.invoke(app, ["categories", "show", "不存在"])
    assert isinstance(result.exception, NotFound)


def test_category_id_agrees_with_find_category(session):
    service.import_taxonomy(session, SMALL)
    for category in service.list_categories(session):
        for ref in (category.id, category.code, service.path_of(session, category)):
            assert service.category_id(session, ref) == category.id
    with pytest.raises(NotFound):
        service.category_id(session, "9999")
    with pytest.raises(NotFound):
        service.category_id(session, 10**6)
    # a category added in this process is known at once
    service.import_taxonomy(session, "level1,level2\n环境保护,大气污染\n")
    added = service.find_category(session, "环境保护/大气污染")
    assert service.category_id(session, added.code) == added.id
