"""承办单位: 区直部门 (bureaus), 街道办事处, 社区居委会/村委会 and others."""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicloop import cache
from civicloop.departments.models import Department
from civicloop.errors import Conflict, InvalidInput, NotFound
from civicloop.regions.models import Region

KINDS = {"bureau": "区直部门", "street_office": "街道办事处", "community": "社区居委会/村委会", "other": "其他单位"}
# The level of the region an office of this kind answers for.
REGION_LEVEL = {"street_office": "street", "community": "community"}
CODE = re.compile(r"[0-9A-Za-z][0-9A-Za-z_.-]{0,39}")
DISTRICT_CODE = re.compile(r"\d{6}")


def check_district_code(value: str) -> str:
    value = (value or "").strip()
    if not DISTRICT_CODE.fullmatch(value):
        raise InvalidInput("district_code", f"{value!r} is not a 6-digit district code (e.g. 420106)")
    return value


def create_department(session: Session, *, code: str, name: str, kind: str, district_code: str,
                      parent: int | str | None = None, region_code: str | None = None) -> Department:
    """A street office or community must name its region (a street, a community) in the district."""
    code, name = (code or "").strip(), (name or "").strip()
    if not CODE.fullmatch(code):
        raise InvalidInput("code", f"{code!r}: 1–40 letters, digits, '.', '_' or '-', starting with a letter or digit")
    if not name or len(name) > 100:
        raise InvalidInput("name", "a name of 1–100 characters is required")
    if kind not in KINDS:
        raise InvalidInput("kind", f"{kind!r} is not one of {', '.join(KINDS)}")
    district_code = check_district_code(district_code)
    if region_code:
        region = session.get(Region, region_code)
        if region is None:
            raise NotFound("region_code", f"no region '{region_code}'")
        if region.district_code != district_code:
            raise InvalidInput("region_code", f"{region_code} ({region.name}) is not in district {district_code}")
        if kind in REGION_LEVEL and region.level != REGION_LEVEL[kind]:
            raise InvalidInput("region_code", f"a {kind} answers for a {REGION_LEVEL[kind]}, "
                                              f"but {region_code} ({region.name}) is a {region.level}")
    elif kind in REGION_LEVEL:
        raise InvalidInput("region_code", f"a {kind} needs the code of its {REGION_LEVEL[kind]}")
    parent_id = get_department(session, parent).id if parent is not None else None
    if session.scalar(select(Department.id).where(Department.code == code)) is not None:
        raise Conflict("code", f"a department with code '{code}' already exists")
    dept = Department(code=code, name=name, kind=kind, district_code=district_code, parent_id=parent_id,
                      region_code=region_code or None, active=True)
    session.add(dept)
    session.flush()
    cache.changed(session, _ACTIVE)
    cache.changed(session, _NAMES)
    return dept


def get_department(session: Session, ref: int | str) -> Department:
    """By id (int), code, or exact name when that name is unique."""
    if isinstance(ref, int):
        found = session.get(Department, ref)
    else:
        text = str(ref).strip()
        found = session.scalar(select(Department).where(Department.code == text))
        if found is None:
            named = session.scalars(select(Department).where(Department.name == text)).all()
            if len(named) > 1:
                raise InvalidInput("department", f"'{text}' names {len(named)} departments: "
                                                 f"{', '.join(d.code for d in named)}; give the code")
            found = named[0] if named else None
    if found is None:
        raise NotFound("department", f"no department '{ref}'")
    return found


def list_departments(session: Session, *, district_code: str | None = None,
                     kind: str | None = None) -> list[Department]:
    """Bureaus first, then street offices and communities, each in code order."""
    if kind is not None and kind not in KINDS:
        raise InvalidInput("kind", f"{kind!r} is not one of {', '.join(KINDS)}")
    query = select(Department)
    if district_code is not None:
        query = query.where(Department.district_code == district_code)
    if kind is not None:
        query = query.where(Department.kind == kind)
    order = list(KINDS)
    return sorted(session.scalars(query), key=lambda d: (order.index(d.kind), d.code))


def office_of(session: Session, region_code: str) -> Department:
    """The street office or community committee that answers for a street or community."""
    found = session.scalar(select(Department).where(Department.region_code == region_code,
                                                    Department.kind.in_(tuple(REGION_LEVEL))))
    if found is None:
        raise NotFound("department", f"no street office or community committee for region '{region_code}'")
    return found


_ACTIVE = "active_departments"


def _read_active(session: Session) -> frozenset[int]:
    return frozenset(session.scalars(select(Department.id).where(Department.active.is_(True))))


def is_active(session: Session, department_id: int) -> bool:
    """Whether a department exists and takes cases (from the process's snapshot, reread once
    for an id it does not know: a department made a moment ago by another worker)."""
    return department_id in cache.snapshot_holding(session, _ACTIVE, _read_active, department_id)


_NAMES = "department_names"


def _read_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Department.id, Department.name)).all())


def name_of(session: Session, department_id: int | None) -> str | None:
    """A department's name, for outputs (from the process's snapshot)."""
    if department_id is None:
        return None
    return cache.snapshot_holding(session, _NAMES, _read_names, department_id).get(department_id)
