"""Routing rules: the most specific matching rule wins — deepest category first, then the
smallest area (community > street > district > anywhere)."""
from __future__ import annotations

import pytest

from civicloop.categories.service import find_category, import_taxonomy
from civicloop.departments import routing
from civicloop.departments.service import create_department
from civicloop.errors import Conflict, InvalidInput, NotFound

TAXONOMY = """level1,level2,level3
城乡建设,城市建设和市政管理,燃气供应
城乡建设,城市建设和市政管理,环境卫生
城乡建设,住房保障与房地产,物业服务
环境保护,环境污染,噪音污染
"""

DEPARTMENTS = [  # code, kind, region
    ("zfcx", "bureau", None), ("cgzf", "bureau", None), ("sthj", "bureau", None), ("zwfw", "bureau", None),
    ("420106001", "street_office", "420106001"), ("420106007", "street_office", "420106007"),
    ("420106001001", "community", "420106001001"),
]

RULES = [  # category, region, department
    (None, None, "zwfw"),                                                  # r1 anything anywhere
    ("城乡建设", "420106", "zfcx"),                                         # r2 level 1, district
    ("城乡建设/城市建设和市政管理", "420106", "cgzf"),                       # r3 level 2, district
    ("城乡建设", "420106001", "420106001"),                                 # r4 level 1, street
    ("城乡建设/城市建设和市政管理/环境卫生", "420106001001", "420106001001"),  # r5 level 3, community
    ("城乡建设/城市建设和市政管理", "420106007", "420106007"),               # r6 level 2, street
    ("环境保护", None, "sthj"),                                             # r7 level 1, anywhere
]

CASES = [  # category, community, district, winner, why a less specific rule would differ
    ("燃气供应", "420106001002", "420106", "cgzf"),             # r3 (level 2) beats r4 (street, level 1)
    ("物业服务", "420106001002", "420106", "420106001"),        # r4 street beats r2 district, same level
    ("物业服务", "420106007001", "420106", "zfcx"),             # r2; r4 is another street
    ("环境卫生", "420106001001", "420106", "420106001001"),     # r5 community and deepest
    ("环境卫生", "420106001002", "420106", "cgzf"),             # r5 is another community: r3
    ("燃气供应", "420106007001", "420106", "420106007"),        # r6 street beats r3 district, same level
    ("噪音污染", "420106001001", "420106", "sthj"),             # r7 level 1 anywhere beats r1
    ("物业服务", None, "420102", "zwfw"),                       # 江岸区: only the catch-all
]


@pytest.fixture
def rules(wuchang):
    s = wuchang
    import_taxonomy(s, TAXONOMY)
    for code, kind, region in DEPARTMENTS:
        create_department(s, code=code, name=f"单位{code}", kind=kind, district_code="420106", region_code=region)
    return [routing.add_rule(s, category_ref=c, region_code=r, department_ref=d) for c, r, d in RULES]


@pytest.mark.parametrize("category, community, district, winner", CASES)
def test_most_specific_rule_wins(wuchang, rules, category, community, district, winner):
    decision = routing.route(wuchang, category_id=find_category(wuchang, category).id,
                             community_code=community, district_code=district)
    assert decision.department.code == winner
    assert decision.rule is decision.candidates[0].rule


def test_explain_ranks_every_match(wuchang, rules):
    matches = routing.explain(wuchang, category_id=find_category(wuchang, "环境卫生").id,
                              community_code="420106001001", district_code="420106")
    r = {i + 1: rule.id for i, rule in enumerate(rules)}
    assert [m.rule.id for m in matches] == [r[5], r[3], r[4], r[2], r[1]]
    assert [(m.category_level, m.area) for m in matches] == [
        (3, "community"), (2, "district"), (1, "street"), (1, "district"), (0, "any")]
    assert matches[0].why == "分类 城乡建设/城市建设和市政管理/环境卫生（第 3 级）· 社区 420106001001"
    assert matches[1].why == "上级分类 城乡建设/城市建设和市政管理（第 2 级）· 全区 420106"
    assert matches[4].why == "任意分类（第 0 级）· 任意区域"


def test_street_given_without_community(wuchang, rules):
    decision = routing.route(wuchang, category_id=find_category(wuchang, "物业服务").id,
                             street_code="420106001", district_code="420106")
    assert decision.department.code == "420106001"


def test_no_rule_names_category_and_place(wuchang, rules):
    wuchang.delete(rules[0])
    with pytest.raises(NotFound) as err:
        routing.route(wuchang, category_id=find_category(wuchang, "物业服务").id,
                      community_code="420106007001", district_code="420102")
    assert err.value.field == "department"
    assert err.value.detail == ("no routing rule for category '城乡建设/住房保障与房地产/物业服务' at "
                                "community 420106007001 / street 420106007 / district 420102")


def test_inactive_department_is_passed_over(wuchang, rules):
    from civicloop.departments.service import get_department
    get_department(wuchang, "cgzf").active = False
    decision = routing.route(wuchang, category_id=find_category(wuchang, "燃气供应").id,
                             community_code="420106001002", district_code="420106")
    assert decision.department.code == "420106001"


def test_duplicates_and_bad_references_are_refused(wuchang, rules):
    s = wuchang
    for category, region in [(None, None), ("城乡建设", "420106"), ("环境保护", None)]:
        with pytest.raises(Conflict) as err:
            routing.add_rule(s, category_ref=category, region_code=region, department_ref="zwfw")
        assert err.value.field == "rule" and "already exists" in err.value.detail
    for kwargs, error, field in [
        ({"category_ref": "不存在"}, NotFound, "category"),
        ({"region_code": "420106999"}, NotFound, "region"),
        ({"department_ref": "nobody"}, NotFound, "department"),
        ({"category_ref": "城乡建设", "note": "x" * 201}, InvalidInput, "note"),
    ]:
        with pytest.raises(error) as err:
            routing.add_rule(s, **({"department_ref": "zwfw"} | kwargs))
        assert err.value.field == field
    assert len(routing.list_rules(s)) == len(RULES)
    with pytest.raises(InvalidInput) as err:
        routing.route(s, category_id=None, district_code="wuchang")
    assert err.value.field == "district_code"


def test_list_and_remove(wuchang, rules):
    s = wuchang
    assert [r.id for r in routing.list_rules(s, district_code="420102")] == [rules[0].id, rules[6].id]
    assert len(routing.list_rules(s, district_code="420106")) == len(RULES)
    routing.remove_rule(s, rules[3].id)
    decision = routing.route(s, category_id=find_category(s, "物业服务").id,
                             community_code="420106001002", district_code="420106")
    assert decision.department.code == "zfcx"
    with pytest.raises(NotFound):
        routing.remove_rule(s, rules[3].id)
