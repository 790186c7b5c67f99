"""Candidates for real messages: rewritten copies are found at their place, different
matters in the same grid cell are not, nor the same text far away or long ago."""
from __future__ import annotations

import datetime as dt

import pytest

from civicloop.cases.service import get_case
from civicloop.db import transaction
from civicloop.duplicates import service
from civicloop.errors import InvalidInput, NotFound
from tests.cases.conftest import MONDAY
from tests.duplicates.conftest import cell_center, messages, rewrite

DAY = dt.timedelta(days=1)


def check(world, *, title, text, at=MONDAY + DAY, **kw):
    with transaction(world.engine) as s:
        subject = service.draft(s, title=title, text=text, district_code="420106", now=at, **kw)
        return service.candidates(s, subject)


def of_case(world, case_id, **kw):
    with transaction(world.engine) as s:
        return service.candidates(s, get_case(s, case_id), **kw)


def test_rewritten_copies_are_found_and_other_matters_in_the_same_cell_are_not(world):
    lon, lat = cell_center(3, 4)
    originals = messages(12)
    made = [world.create(title=m.title, body=m.body, lon=lon, lat=lat, at=MONDAY + i * dt.timedelta(hours=1))
            for i, m in enumerate(originals)]
    for i, (message, case) in enumerate(zip(originals, made)):
        title, text = rewrite(message, seed=i)
        assert text != message.body
        found = check(world, title=title, text=text, lon=lon + 0.0003, lat=lat - 0.0002)
        assert [c.case.id for c in found] == [case.id], (message.title, [(c.case.title, c.score) for c in found])
        best = found[0]
        assert 0.5 <= best.score <= 1 and best.text >= service.TEXT_MIN
        assert best.reasons[0] in ("同一网格",) or best.reasons[0].startswith("相距")
        assert any(r.startswith("文本相似 ") for r in best.reasons) and "1 天内" in best.reasons


def test_the_same_text_far_away_or_long_ago_is_not_a_duplicate(world):
    message = messages(1, seed=11)[0]
    far = world.create(title=message.title, body=message.body, lon=cell_center(9, 9)[0], lat=cell_center(9, 9)[1])
    old = world.create(title=message.title, body=message.body, lon=cell_center(0, 0)[0], lat=cell_center(0, 0)[1],
                       at=MONDAY - 30 * DAY)
    lon, lat = cell_center(0, 0)
    assert check(world, title=message.title, text=message.body, lon=lon, lat=lat) == []
    # The window is the caller's: a month back finds the old one, never the far one.
    with transaction(world.engine) as s:
        subject = service.draft(s, title=message.title, text=message.body, district_code="420106",
                                now=MONDAY + DAY, lon=lon, lat=lat)
        found = service.candidates(s, subject, window_days=40)
    assert [c.case.id for c in found] == [old.id] and "同一网格" in found[0].reasons
    assert far.id not in [c.case.id for c in found]


def test_a_neighbouring_cell_or_a_point_within_the_radius_counts_as_near(world):
    message = messages(1, seed=12)[0]
    lon, lat = cell_center(5, 5)
    case = world.create(title=message.title, body=message.body, lon=lon, lat=lat)
    title, text = rewrite(message)
    beside = check(world, title=title, text=text, grid_code=world.cells[6 * 10 + 6])  # the cell to the north-east
    assert [c.case.id for c in beside] == [case.id] and beside[0].reasons[0] == "相邻网格"
    close = check(world, title=title, text=text, lon=lon + 0.0012, lat=lat)  # the next cell, ~115 m east
    assert close[0].reasons[0] in ("相邻网格",) or close[0].reasons[0].startswith("相距")
    nearer = check(world, title=title, text=text, lon=lon + 0.0004, lat=lat)  # ~38 m, the same cell
    assert nearer[0].reasons[0] == "同一网格"
    two_cells_off = check(world, title=title, text=text, lon=lon + 0.0042, lat=lat)  # ~400 m east
    assert two_cells_off == []


def test_the_same_category_or_a_related_one_raises_the_score(world):
    message = messages(1, seed=13)[0]
    lon, lat = cell_center(2, 2)
    case = world.create(title=message.title, body=message.body, lon=lon, lat=lat, category="0102")
    title, text = rewrite(message)
    same = check(world, title=title, text=text, lon=lon, lat=lat, category="0102")
    sibling = check(world, title=title, text=text, lon=lon, lat=lat, category="0101")  # both under 01
    other = check(world, title=title, text=text, lon=lon, lat=lat, category="010101")  # under 0101
    unknown = check(world, title=title, text=text, lon=lon, lat=lat)
    assert [c.case.id for c in same + sibling + other + unknown] == [case.id] * 4
    assert "同一中类" in same[0].reasons
    assert "相关类别（同属城乡建设）" in sibling[0].reasons
    assert not any("类" in r for r in other[0].reasons + unknown[0].reasons)
    assert same[0].score > sibling[0].score > unknown[0].score > other[0].score


def test_a_case_finds_the_open_cases_it_repeats_but_not_itself_nor_closed_ones(world):
    message = messages(1, seed=14)[0]
    lon, lat = cell_center(1, 8)
    first = world.create(title=message.title, body=message.body, lon=lon, lat=lat)
    title, text = rewrite(message)
    second = world.create(title=title, body=text, lon=lon, lat=lat, at=MONDAY + DAY)
    assert [c.case.id for c in of_case(world, second.id)] == [first.id]
    assert [c.case.id for c in of_case(world, first.id)] == [second.id]  # later ones too, within the window
    world.act(first.id, "reject", "dispatcher", MONDAY + 2 * DAY, note="重复来电")
    assert of_case(world, second.id) == []


def test_a_draft_without_a_place_is_compared_through_the_full_text_index(world):
    message = messages(1, seed=15)[0]
    case = world.create(title=message.title, body=message.body, lon=cell_center(4, 4)[0], lat=cell_center(4, 4)[1])
    other = messages(1, seed=16)[0]
    world.create(title=other.title, body=other.body, lon=cell_center(4, 4)[0], lat=cell_center(4, 4)[1])
    title, text = rewrite(message)
    found = check(world, title=title, text=text)
    assert [c.case.id for c in found] == [case.id]
    assert not any(r in ("同一网格", "相邻网格") for r in found[0].reasons)


@pytest.mark.parametrize("fields, field", [
    ({"title": "路灯", "text": ""}, "text"),
    ({"title": "路灯", "text": "   "}, "text"),
    ({"title": "路灯", "text": None}, "text"),
    ({"title": "路灯" * 101, "text": "路灯不亮"}, "title"),
    ({"title": "", "text": "路" * 20_001}, "text"),
    ({"title": "", "text": "路灯不亮", "lon": 114.305}, "location"),
    ({"title": "", "text": "路灯不亮", "lon": 100.0, "lat": 30.0}, "location"),
    ({"title": "", "text": "路灯不亮", "lon": 114.305, "lat": 30.545, "crs": "bd09"}, "crs"),
    ({"title": "", "text": "路灯不亮", "grid_code": "4201060019999999"}, "grid_code"),
])
def test_bad_drafts_are_refused_naming_the_field(world, fields, field):
    with pytest.raises(InvalidInput) as refused:
        check(world, **fields)
    assert refused.value.field == field


def test_unknown_category_or_district_and_bad_options(world):
    with pytest.raises(NotFound) as refused:
        check(world, title="", text="路灯不亮", category="no such category")
    assert refused.value.field == "category"
    with transaction(world.engine) as s, pytest.raises(NotFound):
        service.draft(s, title="", text="路灯不亮", district_code="999999", now=MONDAY, grid_code=world.cells[0])
    case = world.create()
    for option, value in (("window_days", 0), ("window_days", 10_000), ("radius_m", -1), ("min_score", 2),
                          ("limit", 0)):
        with pytest.raises(InvalidInput) as refused:
            of_case(world, case.id, **{option: value})
        assert refused.value.field == option


def test_text_in_another_language_or_without_words_finds_nothing_wrong(world):
    lon, lat = cell_center(7, 7)
    english = world.create(title="Street light broken", body="The street light at the corner has been off "
                           "for three nights, please fix it.", lon=lon, lat=lat)
    found = check(world, title="Broken street light", text="Please fix the street light at the corner, "
                  "off three nights now.", lon=lon, lat=lat)
    assert [c.case.id for c in found] == [english.id]
    assert check(world, title="", text="。。。！！！", lon=lon, lat=lat) == []
