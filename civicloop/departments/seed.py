"""The standard departments of a district and its default routing rules, from the CSV files
in civicloop/data/ (district-departments.csv, default-routing.csv). Safe to repeat: what
exists is kept as it is, so an admin's changes survive a second seeding."""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicloop.categories.service import DATA_DIR, find_category
from civicloop.departments import routing
from civicloop.departments.models import Department
from civicloop.departments.service import check_district_code, create_department, get_department, office_of
from civicloop.errors import Conflict, InvalidInput, NotFound
from civicloop.regions.models import Region

LOCAL = "属地"  # in default-routing.csv: the street office / community committee of the row's region
TRAILING_NOTE = re.compile(r"^(.*?)(（[^（）]*）)?$")  # 东湖风景区街道（武昌）


@dataclass
class SeedResult:
    departments_created: int = 0
    rules_created: int = 0
    rules_kept: int = 0                                 # a rule for that category and area existed
    skipped: list[str] = field(default_factory=list)   # rows that do not apply here, and why


def bureau_code(district_code: str, key: str) -> str:
    return f"{district_code}-{key}"


def street_office_name(region: Region) -> str:
    name, note = TRAILING_NOTE.match(region.name).groups()
    if name.endswith("街道"):
        suffix = "办事处"
    elif name.endswith(("镇", "乡")):
        suffix = "人民政府"
    else:  # 开发区, 农场 and other units that stand in for a street
        suffix = "管理委员会"
    return f"{name}{suffix}{note or ''}"


def community_office_name(region: Region) -> str:
    if region.name.endswith(("委员会", "居委会", "村委会")):
        return region.name  # NBS names usually carry it already
    return region.name + ("村民委员会" if region.name.endswith("村") else "居民委员会")


def _read(name: str) -> list[dict[str, str]]:
    with open(DATA_DIR / name, encoding="utf-8-sig", newline="") as f:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(f)]


def _ensure(session: Session, result: SeedResult, **fields) -> Department:
    existing = session.scalar(select(Department).where(Department.code == fields["code"]))
    if existing is not None:
        return existing
    result.departments_created += 1
    return create_department(session, **fields)


def seed_district(session: Session, district_code: str) -> SeedResult:
    """区直部门, one street office per street, one committee per community (under its street
    office), then the default routing rules whose categories and regions exist. The
    district's regions must be imported first; import categories first to get the rules."""
    district_code = check_district_code(district_code)
    district = session.get(Region, district_code)
    if district is None or district.level != "district":
        raise NotFound("district_code", f"no district '{district_code}'; import the district's regions first")
    result = SeedResult()
    for row in _read("district-departments.csv"):
        _ensure(session, result, code=bureau_code(district_code, row["key"]), name=district.name + row["name"],
                kind="bureau", district_code=district_code)
    regions = session.scalars(select(Region).where(Region.district_code == district_code,
                                                   Region.level.in_(("street", "community")))
                              .order_by(Region.code)).all()
    offices = {}
    for street in (r for r in regions if r.level == "street"):
        offices[street.code] = _ensure(session, result, code=street.code, name=street_office_name(street),
                                       kind="street_office", district_code=district_code, region_code=street.code)
    for community in (r for r in regions if r.level == "community"):
        parent = offices.get(community.parent_code)
        _ensure(session, result, code=community.code, name=community_office_name(community), kind="community",
                district_code=district_code, region_code=community.code, parent=parent.id if parent else None)
    _seed_rules(session, district_code, result)
    return result


def _seed_rules(session: Session, district_code: str, result: SeedResult) -> None:
    for number, row in enumerate(_read("default-routing.csv"), start=2):
        region_code = row["region"] or district_code
        region = session.get(Region, region_code)
        if region is None or region.district_code != district_code:
            result.skipped.append(f"row {number}: region {region_code} is not in district {district_code}")
            continue
        try:
            category = find_category(session, row["category"]) if row["category"] else None
        except NotFound:
            result.skipped.append(f"row {number}: category {row['category']} is not imported")
            continue
        if row["department"] == LOCAL:
            department = office_of(session, region_code)
        elif row["department"]:
            department = get_department(session, bureau_code(district_code, row["department"]))
        else:
            raise InvalidInput("department", f"default-routing.csv row {number}: empty department")
        try:
            routing.add_rule(session, department_ref=department.id, category_ref=category.id if category else None,
                             region_code=region_code, note=row["note"] or None)
            result.rules_created += 1
        except Conflict:  # refused before writing anything: the admin's rule stays
            result.rules_kept += 1
