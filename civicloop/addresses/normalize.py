"""Written addresses reduced to one form.

People write 十二号 and 12号, ３栋 and 3号楼, 翠柳苑小区 and 翠柳苑, put the province in
front or leave the district out, add 附近 or 门口 at the end. `normalize` removes those
differences, the same way for the registry's parts and for what a caller wrote, so that
lookup compares like with like:

- NFKC: full-width letters, digits and punctuation become ASCII; lower case;
- spaces and punctuation dropped (a '-' between digits kept: 12-1号, 3-2-1203);
- Chinese numerals before a unit word written in digits (十二号 → 12号, 一二零三室 → 1203室);
- one word per unit: 号楼/幢/座/号栋 → 栋, 房/户 → 室, 号院 → 号; 3-2-1203 → 3栋2单元1203室;
- words around the place dropped: 附近, 旁边, 对面, 门口 … at the end, 位于, 我家住在 … at the start.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_DIGITS = {"零": 0, "〇": 0, "一": 1, "幺": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
           "六": 6, "七": 7, "八": 8, "九": 9}
_POWERS = {"十": 10, "百": 100, "千": 1000}
_NUMERAL = "零〇一幺二两三四五六七八九十百千"
# Words a number stands before in an address: door, building, unit, room, floor, road order (中北一路).
_COUNTED = "号|栋|幢|座|单元|室|房|户|楼|层|路|街|巷|期|组"
_CN_NUMBER = re.compile(rf"([{_NUMERAL}]+)(?={_COUNTED})")

_LEADING = re.compile(r"^(?:地址是|地址|住址是|住址|位于|我家住在|我家在|我住在|住在|家住|在)")
_TRAILING = ("附近", "旁边", "边上", "对面", "门口", "门前", "周边", "周围", "一带", "楼下", "这里", "那里",
             "这边", "那边", "旁", "处")
_DROP = re.compile(r"[^0-9a-z\u3400-\u9fff-]")
_DASHES = re.compile(r"-+")
_BUILDING = re.compile(r"([0-9]+|[a-z])(?:号楼|号栋|号幢|号座|栋|幢|座|楼(?=[0-9]+单元))")
_ROOM = re.compile(r"([0-9]+)(?:号房|室|房|户)")
_SHORT_FORM = re.compile(r"([0-9]+|[a-z])-([0-9]+)-([0-9]+)(?![0-9号-])")
_ESTATE_SUFFIX = "小区"


def cn_number(numeral: str) -> int:
    """十二 → 12, 一百零三 → 103, 二十 → 20; digit by digit without 十百千: 一二零三 → 1203."""
    if not any(ch in _POWERS for ch in numeral):
        return int("".join(str(_DIGITS[ch]) for ch in numeral))
    total, digit = 0, 0
    for ch in numeral:
        if ch in _POWERS:
            total += (digit or 1) * _POWERS[ch]
            digit = 0
        else:
            digit = _DIGITS[ch]
    return total + digit


@lru_cache(maxsize=65_536)  # registries repeat their roads, estates and numbers many times over
def normalize(text: str | None) -> str:
    if not text:
        return ""
    value = unicodedata.normalize("NFKC", text).lower()
    value = _DASHES.sub("-", _DROP.sub("", value.replace("—", "-").replace("~", "-")))
    value = _CN_NUMBER.sub(lambda m: str(cn_number(m.group(1))), value)
    value = _LEADING.sub("", value)
    value = _SHORT_FORM.sub(r"\1栋\2单元\3室", value)
    value = _BUILDING.sub(r"\1栋", value)
    value = _ROOM.sub(r"\1室", value)
    value = re.sub(r"([0-9]+)号院", r"\1号", value)
    value = re.sub(r"([0-9]+单元)([0-9]{3,4})$", r"\1\2室", value)
    trimmed = True
    while trimmed:
        trimmed = False
        for word in _TRAILING:
            if value.endswith(word) and len(value) > len(word) + 1:
                value, trimmed = value[: -len(word)], True
    return value.strip("-")


def number_key(value: str | None) -> str | None:
    """A door, building, unit or room label as compared: digits without leading zeros."""
    value = normalize(value)
    for word in ("号楼", "单元", "号", "栋", "室"):
        value = value.removesuffix(word)
    if value and all(ch in _NUMERAL for ch in value):  # 三 alone, as a column of a file may give it
        value = str(cn_number(value))
    value = value.lstrip("0") or ("0" if value else "")
    return value or None


def estate_key(value: str | None) -> str | None:
    """An estate's name as compared: 翠柳苑小区 and 翠柳苑 are one estate."""
    value = normalize(value)
    if value.endswith(_ESTATE_SUFFIX) and len(value) > len(_ESTATE_SUFFIX) + 1:
        value = value[: -len(_ESTATE_SUFFIX)]
    return value or None


def address_key(*, road: str | None, door_number: str | None, estate: str | None, building: str | None,
                unit: str | None, room: str | None) -> str:
    """The registry's lookup key: the normalised parts below the community, in order."""
    return "|".join(part or "" for part in (
        normalize(road) or None, number_key(door_number), estate_key(estate), number_key(building),
        number_key(unit), number_key(room)))


def admin_names(full_name: str) -> list[str]:
    """The names people write or leave out in front of an address, longest first:
    湖北省武汉市武昌区 → 湖北省, 湖北, 武汉市, 武汉, 武昌区, 武昌 …"""
    parts = re.findall(r".+?(?:特别行政区|自治区|自治州|自治县|省|市|区|县|旗|盟|州)", full_name)
    names = set()
    for part in parts:
        names.add(part)
        for suffix in ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "自治州", "自治县",
                       "省", "市", "区", "县"):
            short = part.removesuffix(suffix)
            if short != part and len(short) >= 2:
                names.add(short)
                break
    return sorted(names, key=len, reverse=True)
