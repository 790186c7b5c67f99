"""Intake: a case with an address and no point is located through the registry; the
match, or that there was none, is kept where the operator sees it."""
from __future__ import annotations

from civicloop.addresses import service as addresses
from civicloop.addresses.models import CaseAddressMatch
from civicloop.cases import service
from civicloop.cases.models import Case
from civicloop.db import transaction
from tests.addresses.conftest import CELLS, D, SMALL_CSV


def _with_registry(world):
    with transaction(world.engine) as s:
        addresses.import_addresses(s, D, addresses.read_csv(SMALL_CSV))


def _match(world, case_id) -> CaseAddressMatch:
    with transaction(world.engine) as s:
        found = addresses.case_match(s, case_id)
        s.expunge(found)
        return found


def test_an_address_fills_grid_community_and_street(world):
    _with_registry(world)
    case = world.create(lon=None, lat=None, address="武昌区积玉桥街道友谊路8号金桂花园三栋二单元门口")
    assert (case.grid_code, case.community_code, case.street_code) == (CELLS[2], "420106001002", "420106001")
    assert case.lon is None and case.lat is None  # the caller gave no point; the registry's is not theirs
    match = _match(world, case.id)
    assert match.status == "resolved" and match.score >= 0.8 and match.address_id is not None
    report = world.events(case.id)[0]
    assert "地址匹配" in report.note and CELLS[2] in report.note


def test_an_unknown_address_is_flagged_not_guessed(world):
    _with_registry(world)
    case = world.create(lon=None, lat=None, address="和平大道999号")
    assert case.grid_code is None and case.community_code is None and case.street_code is None
    match = _match(world, case.id)
    assert match.status == "unresolved" and match.address_id is None and "999" in match.reasons[0]
    assert "地址未能匹配" in world.events(case.id)[0].note


def test_an_ambiguous_address_keeps_its_candidates(world):
    _with_registry(world)
    case = world.create(lon=None, lat=None, address="第2社区3栋")
    assert case.grid_code is None
    match = _match(world, case.id)
    assert match.status == "ambiguous" and len(match.candidate_ids) == 2
    assert "有歧义" in world.events(case.id)[0].note


def test_without_a_registry_or_readable_words_the_case_is_still_taken(world):
    case = world.create(lon=None, lat=None, address="翠柳苑2栋")
    assert case.grid_code is None and "尚无标准地址库" in _match(world, case.id).reasons[0]
    _with_registry(world)
    odd = world.create(lon=None, lat=None, address="！！！")
    assert odd.grid_code is None and _match(world, odd.id).status == "unresolved"


def test_a_point_wins_over_the_address(world):
    _with_registry(world)
    case = world.create(lon=114.305, lat=30.555, address="金桂花园3栋")  # the point lies in another cell
    assert case.grid_code == CELLS[1]
    with transaction(world.engine) as s:
        assert addresses.case_match(s, case.id) is None


def test_a_rebuilt_case_is_unchanged(world):
    _with_registry(world)
    case = world.create(lon=None, lat=None, address="翠柳苑1栋")
    with transaction(world.engine) as s:
        assert service.rebuild(s, case.id)["grid_code"] == CELLS[0] == case.grid_code
        assert service.rebuild_mismatches(s, s.get(Case, case.id)) == {}
