"""Departments and the district seeding, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

import civicloop.db
from civicloop.categories.service import find_category, import_builtin, list_categories
from civicloop.cli import app
from civicloop.departments import routing
from civicloop.departments.models import Department, RoutingRule
from civicloop.departments.seed import seed_district
from civicloop.departments.service import create_department, get_department, list_departments, office_of
from civicloop.errors import Conflict, InvalidInput, NotFound

BUREAUS = 26


def test_create_and_get(wuchang):
    s = wuchang
    bureau = create_department(s, code="420106-cgzf", name="武昌区城市管理执法局", kind="bureau",
                               district_code="420106")
    office = create_department(s, code="420106001", name="积玉桥街道办事处", kind="street_office",
                               district_code="420106", region_code="420106001")
    committee = create_department(s, code="420106001001", name="尚隆苑社区居委会", kind="community",
                                  district_code="420106", region_code="420106001001", parent="420106001")
    assert committee.parent_id == office.id
    assert get_department(s, "武昌区城市管理执法局") is bureau
    assert get_department(s, bureau.id) is bureau
    assert office_of(s, "420106001001") is committee
    assert [d.code for d in list_departments(s, district_code="420106")] == [
        "420106-cgzf", "420106001", "420106001001"]
    assert list_departments(s, kind="community") == [committee]


@pytest.mark.parametrize("fields, error, field", [
    ({"code": "a b"}, InvalidInput, "code"),
    ({"code": ""}, InvalidInput, "code"),
    ({"name": " "}, InvalidInput, "name"),
    ({"kind": "ministry"}, InvalidInput, "kind"),
    ({"district_code": "4201"}, InvalidInput, "district_code"),
    ({"region_code": "420106999"}, NotFound, "region_code"),
    ({"region_code": "420102"}, InvalidInput, "region_code"),                      # another district
    ({"kind": "street_office"}, InvalidInput, "region_code"),                      # needs its street
    ({"kind": "street_office", "region_code": "420106001001"}, InvalidInput, "region_code"),  # not a street
    ({"parent": "nobody"}, NotFound, "department"),
    ({"code": "420106-cgzf"}, Conflict, "code"),
])
def test_create_refuses(wuchang, fields, error, field):
    create_department(wuchang, code="420106-cgzf", name="城管", kind="bureau", district_code="420106")
    args = {"code": "x1", "name": "某单位", "kind": "bureau", "district_code": "420106"} | fields
    with pytest.raises(error) as err:
        create_department(wuchang, **args)
    assert err.value.field == field


def test_ambiguous_and_unknown_names(wuchang):
    for code in ("a1", "a2"):
        create_department(wuchang, code=code, name="物业公司", kind="other", district_code="420106")
    with pytest.raises(InvalidInput, match="a1, a2"):
        get_department(wuchang, "物业公司")
    with pytest.raises(NotFound):
        get_department(wuchang, 12345)
    with pytest.raises(InvalidInput):
        list_departments(wuchang, kind="ministry")


def test_seed_departments_without_categories(wuchang):
    result = seed_district(wuchang, "420106")
    assert result.departments_created == BUREAUS + 3 + 4
    assert result.rules_created == 0 and all("is not imported" in why for why in result.skipped)
    names = {d.code: d.name for d in list_departments(wuchang, district_code="420106")}
    assert names["420106-cgzf"] == "武昌区城市管理执法局"
    assert names["420106-gafj"] == "武昌区公安分局"
    assert names["420106001"] == "积玉桥街道办事处"
    assert names["420106490"] == "东湖风景区街道办事处（武昌）"
    assert names["420106001001"] == "尚隆苑社区居委会"
    assert names["420106490018"] == "东湖路社区居民委员会"
    committee = get_department(wuchang, "420106007001")
    assert committee.kind == "community" and committee.parent_id == get_department(wuchang, "420106007").id
    assert get_department(wuchang, "420106007").parent_id is None
    with pytest.raises(NotFound) as err:
        seed_district(wuchang, "420111")
    assert err.value.field == "district_code"


def test_seed_with_categories_is_idempotent_and_keeps_admin_changes(wuchang):
    s = wuchang
    import_builtin(s)
    first = seed_district(s, "420106")
    assert first.rules_created > 50
    assert first.skipped == []
    rules = s.scalar(select(func.count()).select_from(RoutingRule))
    # The admin sends 环境保护 elsewhere; a second seeding keeps that.
    env = s.scalar(select(RoutingRule).where(RoutingRule.category_id == find_category(s, "环境保护").id))
    env.department_id = get_department(s, "420106-zwfw").id
    second = seed_district(s, "420106")
    assert (second.departments_created, second.rules_created, second.rules_kept) == (0, 0, first.rules_created)
    assert s.scalar(select(func.count()).select_from(RoutingRule)) == rules
    assert s.scalar(select(func.count()).select_from(Department)) == BUREAUS + 7
    assert env.department_id == get_department(s, "420106-zwfw").id


SEEDED = [  # category, community, expected department
    ("城乡建设/住房保障与房地产/物业服务", "420106001002", "420106-zfcx"),
    ("环境保护/环境污染/噪音污染", "420106001002", "420106-sthj"),
    ("教育文体/文化/公共文化", None, "420106-wlj"),
    ("卫生计生/食品药品监管/食品安全", None, "420106-scjg"),
    ("城乡建设/城市建设和市政管理/园林绿化", "420106007001", "420106-ylj"),
    ("数字城管/事件/施工管理/违法建设", "420106001001", "420106-cgzf"),
    ("数字城管/事件/施工管理/施工扰民", "420106001001", "420106-zfcx"),
    # The two area examples of default-routing.csv:
    ("数字城管/事件/街面秩序/占道经营", "420106001001", "420106-cgzf"),
    ("数字城管/事件/街面秩序/占道经营", "420106007001", "420106007"),
    ("城乡建设/城市建设和市政管理/小区管理", "420106001002", "420106-zfcx"),
    ("城乡建设/城市建设和市政管理/小区管理", "420106001001", "420106001001"),
]


def test_seeded_routing(wuchang):
    s = wuchang
    import_builtin(s)
    seed_district(s, "420106")
    got = [(category, community, routing.route(s, category_id=find_category(s, category).id,
                                                community_code=community, district_code="420106").department.code)
           for category, community, _ in SEEDED]
    assert got == SEEDED
    # Every class of the 12345 taxonomy has an owning bureau.
    owners = {cat.name: routing.route(s, category_id=cat.id, district_code="420106").department.kind
              for cat in list_categories(s, level=1) if cat.name != "数字城管"}
    assert len(owners) == 15 and set(owners.values()) == {"bureau"}


def test_the_fast_owner_agrees_with_route_everywhere(wuchang):
    """owner() (the dispatch path, from a snapshot) and route() (with reasons, from the
    tables) must pick the same department for every category at every kind of place."""
    s = wuchang
    import_builtin(s)
    seed_district(s, "420106")
    places = [(c, None) for c in {community for _, community, _ in SEEDED if community}] + [(None, None)]
    compared = 0
    for cat in list_categories(s):
        for community, street in places:
            try:
                expected = routing.route(s, category_id=cat.id, community_code=community,
                                         district_code="420106").department.id
            except NotFound:
                expected = None
            assert routing.owner(s, category_id=cat.id, community_code=community,
                                 district_code="420106") == expected, (cat.code, community)
            compared += 1
    assert compared > 1500
    # A new rule is seen at once by the process that added it.
    routing.add_rule(s, department_ref="420106-sthj", category_ref="城乡建设/住房保障与房地产/物业服务",
                     region_code="420106001002")
    assert routing.owner(s, category_id=find_category(s, "城乡建设/住房保障与房地产/物业服务").id,
                         community_code="420106001002", district_code="420106") == get_department(s, "420106-sthj").id


def test_cli(engine, wuchang, monkeypatch):
    wuchang.commit()
    monkeypatch.setattr(civicloop.db, "get_engine", lambda: engine)
    runner = CliRunner()
    assert runner.invoke(app, ["categories", "import-builtin"]).exit_code == 0
    result = runner.invoke(app, ["departments", "seed", "--district", "420106"])
    assert result.exit_code == 0 and f"新建单位 {BUREAUS + 7} 个" in result.output, result.output
    result = runner.invoke(app, ["departments", "list", "--district", "420106", "--kind", "street_office"])
    assert result.output.splitlines()[0] == "420106001\t积玉桥街道办事处\t街道办事处"
    result = runner.invoke(app, ["departments", "add", "gas-1", "武汉市燃气集团武昌分公司", "--kind", "other",
                                 "--district", "420106"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["routing", "add", "--category", "燃气供应", "--region", "420106",
                                 "--department", "gas-1"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["routing", "add", "--category", "燃气供应", "--region", "420106",
                                 "--department", "420106-cgzf"])
    assert isinstance(result.exception, Conflict)
    result = runner.invoke(app, ["routing", "test", "--category", "燃气供应", "--community", "420106001001"])
    lines = result.output.splitlines()
    assert lines[0].startswith("派往: gas-1 武汉市燃气集团武昌分公司")
    assert "城市管理执法局" in lines[2] and "上级分类 城乡建设/城市建设和市政管理" in lines[2]
    listing = runner.invoke(app, ["routing", "list", "--district", "420106"]).output
    assert "城乡建设/城市建设和市政管理/燃气供应\t420106\t→ gas-1" in listing


def test_is_active_sees_new_departments_and_unknown_ids(wuchang):
    s = wuchang
    dept = create_department(s, code="420106-new", name="新设部门", kind="bureau", district_code="420106")
    from civicloop.departments.service import is_active

    assert is_active(s, dept.id)
    assert not is_active(s, 10**6)
