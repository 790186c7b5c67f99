"""HTTP endpoints of departments (承办单位) and routing rules: lists, one department, the
admin's additions, and why a matter at a place goes to the department it goes to.

Departments cannot be renamed or deactivated here: the service has no such operation."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicloop.api.deps import Editor, Reader, read, write
from civicloop.categories.models import Category
from civicloop.categories.service import find_category, path_of
from civicloop.departments import routing, service
from civicloop.departments.models import Department, RoutingRule
from civicloop.departments.schemas import (
    Candidate,
    CategoryRef,
    DepartmentIn,
    DepartmentOut,
    DepartmentRef,
    Explanation,
    Kind,
    RuleIn,
    RuleOut,
)
from civicloop.errors import InvalidInput, NotFound
from civicloop.regions.models import GridCell, Region

router = APIRouter(tags=["departments"])
RuleId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def department_out(d: Department) -> DepartmentOut:
    return DepartmentOut(id=d.id, code=d.code, name=d.name, kind=d.kind, kind_label=service.KINDS[d.kind],
                         district_code=d.district_code, region_code=d.region_code, parent_id=d.parent_id,
                         active=d.active)


def _ref(d: Department) -> DepartmentRef:
    return DepartmentRef(id=d.id, code=d.code, name=d.name)


def _category_ref(session: Session, category: Category | None) -> CategoryRef | None:
    if category is None:
        return None
    return CategoryRef(id=category.id, code=category.code, name=category.name, path=path_of(session, category))


def find_department(session: Session, ref: str) -> Department:
    """By code, else by id when the reference is a number no department has as its code."""
    try:
        return service.get_department(session, ref)
    except NotFound:
        if ref.isdigit() and len(ref) <= 9:
            found = session.get(Department, int(ref))
            if found is not None:
                return found
        raise


@router.get("/departments", response_model=list[DepartmentOut], summary="Departments (承办单位)")
def list_departments(
    request: Request, principal: Reader,
    kind: Kind | None = None,
    district: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    active: bool | None = None,
) -> list[DepartmentOut]:
    """Bureaus first, then street offices, communities and others, each in code order."""
    with read(request) as session:
        found = service.list_departments(session, district_code=district, kind=kind)
        return [department_out(d) for d in found if active is None or d.active == active]


@router.get("/departments/{ref}", response_model=DepartmentOut, summary="One department, by code or id")
def get_department(request: Request, ref: Annotated[str, Path(max_length=40)],
                   principal: Reader) -> DepartmentOut:
    with read(request) as session:
        return department_out(find_department(session, ref))


@router.post("/departments", status_code=201, response_model=DepartmentOut, summary="Add a department (admin)")
def create_department(request: Request, response: Response, body: DepartmentIn,
                      principal: Editor) -> DepartmentOut:
    """A street office or community committee names the street or community it answers
    for (`region_code`); a code already taken is 409."""
    with write(request) as session:
        created = service.create_department(session, **body.model_dump())
        out = department_out(created)
    response.headers["Location"] = f"/api/v1/departments/{out.code}"
    return out


# ------------------------------------------------------------------ routing rules

def rule_out(session: Session, rule: RoutingRule) -> RuleOut:
    category = session.get(Category, rule.category_id) if rule.category_id is not None else None
    return RuleOut(id=rule.id, category=_category_ref(session, category), region_code=rule.region_code,
                   department=_ref(session.get(Department, rule.department_id)), note=rule.note)


@router.get("/routing/rules", response_model=list[RuleOut], summary="Routing rules")
def list_rules(request: Request, principal: Reader,
               district: Annotated[str | None, Query(pattern=r"^\d{6}$",
                                                     description="rules whose area lies in this district, "
                                                                 "and those for anywhere")] = None) -> list[RuleOut]:
    """By category code; a rule with no category or region applies to any."""
    with read(request) as session:
        return [rule_out(session, r) for r in routing.list_rules(session, district_code=district)]


@router.post("/routing/rules", status_code=201, response_model=RuleOut, summary="Add a routing rule (admin)")
def add_rule(request: Request, body: RuleIn, principal: Editor) -> RuleOut:
    """Matters of `category` in `region_code` go to `department`. A second rule for the
    same category and region is 409: remove the first."""
    with write(request) as session:
        rule = routing.add_rule(session, department_ref=body.department, category_ref=body.category,
                                region_code=body.region_code, note=body.note)
        return rule_out(session, rule)


@router.delete("/routing/rules/{rule_id}", status_code=204, summary="Remove a routing rule (admin)")
def remove_rule(request: Request, rule_id: RuleId, principal: Editor) -> Response:
    with write(request) as session:
        routing.remove_rule(session, rule_id)
    return Response(status_code=204)


def _place(session: Session, grid: str | None, community: str | None, street: str | None,
           district: str | None) -> tuple[str, str | None, str | None]:
    """(district, street, community) from the most precise place given."""
    if grid is not None:
        cell = session.get(GridCell, grid)
        if cell is None:
            raise NotFound("grid", f"no grid cell {grid}")
        community = cell.community_code
    for field, code, level in (("community", community, "community"), ("street", street, "street")):
        if code is not None:
            region = session.get(Region, code)
            if region is None or region.level != level:
                raise NotFound(field, f"no {level} {code}")
            if level == "community":
                return region.district_code, region.parent_code, code
            return region.district_code, code, None
    if district is None:
        codes = session.scalars(select(Region.code).where(Region.level == "district").limit(2)).all()
        if len(codes) != 1:
            raise InvalidInput("district", "give grid, community, street or district")
        district = codes[0]
    return district, None, None


@router.get("/routing/explain", response_model=Explanation, summary="Which department, and why")
def explain(
    request: Request, principal: Reader,
    category: Annotated[str | None, Query(max_length=200, description="code, path or name; omit: uncategorised")] = None,
    grid: Annotated[str | None, Query(pattern=r"^\d{13,20}$")] = None,
    community: Annotated[str | None, Query(pattern=r"^\d{12}$")] = None,
    street: Annotated[str | None, Query(pattern=r"^\d{9}$")] = None,
    district: Annotated[str | None, Query(pattern=r"^\d{6}$", description="default: the only district")] = None,
) -> Explanation:
    """Every routing rule that matches a matter of `category` at the place (a grid cell, a
    community, a street or the district), the winner first, each with why it matched."""
    with read(request) as session:
        cat = find_category(session, category) if category is not None else None
        district_code, street_code, community_code = _place(session, grid, community, street, district)
        matches = routing.explain(session, category_id=cat.id if cat else None, community_code=community_code,
                                  street_code=street_code, district_code=district_code)
        return Explanation(
            category=_category_ref(session, cat), district_code=district_code, street_code=street_code,
            community_code=community_code, grid_code=grid,
            department=_ref(matches[0].department) if matches else None,
            candidates=[Candidate(rule_id=m.rule.id, department=_ref(m.department), category_level=m.category_level,
                                  area=m.area, why=m.why) for m in matches])
