"""The registry of standard indicators (`data/report-indicators.csv`): each key with its
standard name, usual unit and the synonyms reports use, so that 生产总值, GDP and
地区生产总值 are one indicator across years and districts."""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REGISTRY_FILE = Path(__file__).resolve().parent.parent / "data" / "report-indicators.csv"


@dataclass(frozen=True)
class Indicator:
    key: str
    name: str
    unit: str
    synonyms: tuple[str, ...]


@cache
def registry() -> dict[str, Indicator]:
    text = REGISTRY_FILE.read_text("utf-8-sig")
    return {row["key"]: Indicator(row["key"], row["name"], row["unit"],
                                  tuple(s for s in row["synonyms"].split("|") if s))
            for row in csv.DictReader(text.splitlines())}


@cache
def _pattern() -> tuple[re.Pattern, dict[str, str]]:
    """One alternation of every name and synonym, longest first (区级财政收入 before 财政收入)."""
    key_of = {}
    for indicator in registry().values():
        for word in (indicator.name, *indicator.synonyms):
            key_of.setdefault(word.upper(), indicator.key)
    words = sorted(key_of, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, words)), re.IGNORECASE), key_of


def find(text: str) -> list[tuple[int, int, str]]:
    """Every indicator named in `text`: (start, end, key), left to right, longest names first."""
    pattern, key_of = _pattern()
    return [(m.start(), m.end(), key_of[m.group().upper()]) for m in pattern.finditer(text)]


def is_name(text: str) -> bool:
    """Whether `text` is exactly a standard name or synonym."""
    return text.upper() in _pattern()[1]


def lookup(name: str) -> str | None:
    """The key of the indicator a name ends with or, failing that, the longest it contains."""
    found = find(name)
    if not found:
        return None
    ending = [f for f in found if f[1] == len(name)]
    return max(ending or found, key=lambda f: f[1] - f[0])[2]


# Units that measure the same kind of thing; a figure's unit must be of its indicator's kind.
_UNIT_KINDS = (frozenset({"元", "千元", "万元", "亿元", "万美元", "亿美元", "万", "亿"}),
               frozenset({"人", "万人", "人次", "万人次", "名", "万名", "万"}),
               frozenset({"吨", "万吨", "吨标准煤", "万吨标准煤"}),
               frozenset({"%", "个百分点", "百分点"}), frozenset({"‰"}), frozenset({"微克/立方米", "μg/m³"}))


def fits(key: str, unit: str) -> bool:
    """Whether `unit` can measure indicator `key` (亿元 for GDP, not 个)."""
    usual = registry()[key].unit
    return any(usual in kind and unit in kind for kind in _UNIT_KINDS)


def standard_name(key: str | None) -> str | None:
    return registry()[key].name if key else None
