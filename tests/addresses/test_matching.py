"""Written variants of registered addresses resolve to the right grid cell; unknown ones
are refused and ambiguous ones flagged — over the generated registry of 420106."""
from __future__ import annotations

import pytest
from rapidfuzz.distance import Levenshtein

from civicloop.addresses.generate import chinese_number
from civicloop.addresses.matching import THRESHOLD
from civicloop.addresses.normalize import estate_key
from civicloop.errors import InvalidInput

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _units(registry) -> list[dict]:
    """Unit addresses of distinct estates, spread over the registry (every 40th estate)."""
    seen, picked = set(), []
    for row in registry.rows:
        if row["unit"] and row["estate"] not in seen:
            seen.add(row["estate"])
            if len(seen) % 40 == 1:
                picked.append(row)
    return picked


def _row(registry, **parts) -> dict:
    found = [r for r in registry.rows if all(r[k] == v for k, v in parts.items())]
    assert len(found) == 1, parts
    return found[0]


def _variants(registry) -> list[tuple[str, dict]]:
    """(written, the registered address it must resolve to): at least 30."""
    table = []
    for unit in _units(registry)[:4]:
        building = _row(registry, estate=unit["estate"], building=unit["building"], unit=None)
        street, community = registry.names[unit["street_code"]], registry.names[unit["community_code"]]
        e, b, u, road, door = unit["estate"], unit["building"], unit["unit"], unit["road"], unit["door_number"]
        bare = estate_key(e)
        table += [
            (unit["text"], unit),                                                   # the standard text itself
            (unit["text"].removeprefix("湖北省武汉市"), unit),                       # without province and city
            (f"武汉市武昌区{road}{door}号{e}{b}栋{u}单元", unit),                     # A市A1区…路…号
            (f"湖北武汉武昌{e}{b}栋{u}单元", unit),                                  # short prefixes
            (f"{street}{e}{b}栋{u}单元", unit),                                      # the street in front
            (f"{community}{e}{b}栋", building),                                      # …社区…栋
            (f"{e}{chinese_number(int(b))}号楼{chinese_number(int(u))}单元", unit),  # 三号楼二单元
            (f"{e}{b}幢{u}单元附近", unit),                                          # 幢, a trailer
            (f"{e} {b}座，{u}单元门口", unit),                                       # 座, spaces, punctuation
            (f"{e}{b}栋{u}单元".translate(FULL_WIDTH), unit),                        # full-width digits
            (f"{bare}小区{b}栋对面" if not e.endswith("小区") else f"{bare}{b}栋对面", building),  # 小区 added/left out
            (f"{road}{door}号{e}{b}号楼旁边", building),
        ]
    for door in [r for r in registry.rows if not r["estate"]][::400][:4]:
        table += [(f"{door['road']}{door['door_number']}号", door),
                  (f"武昌区{door['road']}{door['door_number']}号附近", door)]
    return table


def test_written_variants_resolve_to_their_grid(registry):
    table = _variants(registry)
    assert len(table) >= 30
    wrong = []
    for written, expected in table:
        found = registry.match(written)
        if not (found.resolved and found.address.address_id == expected["id"]
                and found.address.grid_code == expected["grid_code"]
                and found.address.community_code == expected["community_code"]
                and found.address.street_code == expected["street_code"]):
            wrong.append(f"{written!r} → {found.status} {found.address and found.address.text} {found.reasons} "
                         f"{found.parts}; expected {expected['text']}")
        else:
            assert found.address.score >= THRESHOLD and found.reasons
    assert not wrong, "\n".join(wrong)


def _typo(registry, estate: str) -> str | None:
    """The estate's name with one character changed, when that names no other estate:
    one character off from this estate only."""
    keys = {estate_key(r["estate"]) for r in registry.rows if r["estate"]}
    key = estate_key(estate)
    for position in range(len(key)):
        for char in "园院元圆花华苑源":
            written = key[:position] + char + key[position + 1:]
            if written != key and written not in keys and \
                    [k for k in keys if Levenshtein.distance(k, written) <= 1] == [key]:
                return written
    return None


def test_one_character_off_in_the_estate_name(registry):
    tried = 0
    for unit in _units(registry):
        written = _typo(registry, unit["estate"])
        if written is None or len(written) < 3:
            continue
        found = registry.match(f"{written}{unit['building']}栋{unit['unit']}单元")
        assert found.resolved, (written, found.reasons)
        assert found.address.address_id == unit["id"]
        assert any("近似" in r for r in found.reasons)
        assert found.address.score < 1.0  # a typo is never as good as the name itself
        tried += 1
    assert tried >= 5


@pytest.mark.parametrize("written", [
    "解放路99999号",                  # a road and door the registry does not hold
    "火星小区3栋2单元",               # an estate nobody registered
    "北京市海淀区中关村大街1号",      # another city
    "10 Downing Street, London",      # another language
    "🙂🙂🙂",                          # nothing readable
    "请尽快处理",                      # no address at all
])
def test_unknown_addresses_are_refused(registry, written):
    found = registry.match(written)
    assert found.status == "unresolved" and found.address is None
    assert found.reasons and all(r for r in found.reasons)


def test_a_building_the_estate_does_not_have_is_not_guessed(registry):
    unit = _units(registry)[0]
    found = registry.match(f"{unit['estate']}99栋")
    assert found.status == "unresolved" and found.address is None
    assert found.candidates and all(c.score < THRESHOLD for c in found.candidates)
    assert any("楼栋不符" in r for c in found.candidates for r in c.reasons)


def test_only_a_community_is_not_enough(registry):
    community = registry.names[registry.rows[0]["community_code"]]
    found = registry.match(community)
    assert found.status == "unresolved" and "社区" in found.reasons[0]


def test_a_name_between_two_estates_is_flagged_with_both(registry):
    """A written name one character off from two estates, each with the building asked:
    ambiguous, never one of them."""
    by_key: dict[str, set[str]] = {}
    for r in registry.rows:
        if r["estate"] and r["building"]:
            by_key.setdefault(estate_key(r["estate"]), set()).add(r["building"])
    keys = sorted(k for k in by_key if len(k) >= 4)
    pair = next(((a, b) for i, a in enumerate(keys) for b in keys[i + 1:]
                 if len(a) == len(b) and Levenshtein.distance(a, b) == 2 and by_key[a] & by_key[b]), None)
    assert pair is not None
    a, b = pair
    differ = [i for i in range(len(a)) if a[i] != b[i]]
    written = a[:differ[0]] + b[differ[0]] + a[differ[0] + 1:]  # one off from each
    building = min(by_key[a] & by_key[b])
    found = registry.match(f"{written}{building}栋")
    assert found.status == "ambiguous" and found.address is None
    named = {estate_key(next(r["estate"] for r in registry.rows if r["id"] == c.address_id))
             for c in found.candidates}
    assert {a, b} <= named
    assert len({c.grid_code for c in found.candidates}) >= 2


def test_a_community_and_building_shared_by_several_estates_is_ambiguous(registry):
    """…社区3栋 where the community has several estates with a building 3 (and none named
    like the community): flagged with the candidates."""
    by_community: dict[str, dict[str, set]] = {}
    for r in registry.rows:
        if r["building"] and not r["unit"]:
            by_community.setdefault(r["community_code"], {}).setdefault(r["building"], set()).add(r["grid_code"])
    for community, buildings in by_community.items():
        name = registry.names[community]
        if any(estate_key(r["estate"]) == name.removesuffix("社区") for r in registry.rows
               if r["community_code"] == community and r["estate"]):
            continue
        building = next((b for b, grids in buildings.items() if len(grids) >= 2), None)
        if building:
            found = registry.match(f"{name}{building}栋")
            assert found.status == "ambiguous", (name, building, found.reasons)
            assert len({c.grid_code for c in found.candidates}) >= 2
            return
    pytest.fail("no community with a building number in two grid cells")


def test_a_wrong_street_counts_against(registry):
    unit = _units(registry)[0]
    other_street = next(code for code, name in registry.names.items()
                        if len(code) == 9 and code != unit["street_code"])
    right = registry.match(f"{registry.names[unit['street_code']]}{unit['estate']}{unit['building']}栋")
    wrong = registry.match(f"{registry.names[other_street]}{unit['estate']}{unit['building']}栋")
    assert right.resolved and right.address.score == 1.0
    assert wrong.score < right.address.score
    assert any("街道不符" in r for c in wrong.candidates for r in c.reasons)


@pytest.mark.parametrize("text", ["", "   ", "翠" * 301])
def test_empty_or_huge_text_is_an_error(registry, text):
    with pytest.raises(InvalidInput) as caught:
        registry.match(text)
    assert caught.value.field == "text"
