"""Which department owns a matter: rules of category × area, the most specific wins.

A rule matches a case when its category is the case's category or one of its ancestors
(or empty: any category), and its region is the case's community, street or district
(or empty: anywhere). Among the matches the deepest category wins; between rules of
equally deep categories the smallest area wins: community > street > district > anywhere.
The category comes first because it says what the matter is, and what the matter is
decides the trade (a gas leak is the gas company's wherever it is); an area rule is the
local exception inside one trade. See docs/routing.md.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from civicloop.categories.models import Category
from civicloop import cache
from civicloop.categories.service import ancestors, find_category, lineage, path_of
from civicloop.departments.models import Department, RoutingRule
from civicloop.departments.service import check_district_code, get_department
from civicloop.errors import Conflict, InvalidInput, NotFound
from civicloop.regions.models import Region

AREA_RANK = {"community": 3, "street": 2, "district": 1, "any": 0}
AREA_LABELS = {"community": "社区", "street": "街道", "district": "全区", "any": "任意区域"}


@dataclass(frozen=True)
class Match:
    rule: RoutingRule
    department: Department
    category_level: int   # 0: the rule names no category
    area: str             # community | street | district | any
    why: str


@dataclass(frozen=True)
class RouteDecision:
    department: Department
    rule: RoutingRule
    candidates: tuple[Match, ...]  # every matching rule, the winner first


def _region(session: Session, code: str) -> Region:
    region = session.get(Region, code)
    if region is None:
        raise NotFound("region", f"no region '{code}'")
    return region


def _describe(session: Session, category_id: int | None, region_code: str | None) -> str:
    what = path_of(session, session.get(Category, category_id)) if category_id else "any category"
    return f"{what} in {region_code or 'any region'}"


def add_rule(session: Session, *, department_ref: int | str, category_ref: int | str | None = None,
             region_code: str | None = None, note: str | None = None) -> RoutingRule:
    """A rule category × region → department; None for category or region means any.
    A second rule for the same category and region is refused: remove the first."""
    category = find_category(session, category_ref) if category_ref not in (None, "") else None
    region = _region(session, region_code) if region_code else None
    department = get_department(session, department_ref)
    if not department.active:
        raise InvalidInput("department", f"{department.code} ({department.name}) is inactive")
    if note is not None and len(note) > 200:
        raise InvalidInput("note", "at most 200 characters")
    category_id = category.id if category else None
    existing = session.scalar(select(RoutingRule).where(
        RoutingRule.category_id == category_id if category else RoutingRule.category_id.is_(None),
        RoutingRule.region_code == region.code if region else RoutingRule.region_code.is_(None)))
    if existing is not None:
        owner = session.get(Department, existing.department_id)
        raise Conflict("rule", f"a rule for {_describe(session, category_id, region_code)} already exists "
                               f"(#{existing.id} → {owner.code} {owner.name}); remove it first")
    rule = RoutingRule(category_id=category_id, region_code=region.code if region else None,
                       department_id=department.id, note=note or None)
    session.add(rule)
    session.flush()
    cache.changed(session, _RULES)
    return rule


def remove_rule(session: Session, rule_id: int) -> None:
    rule = session.get(RoutingRule, rule_id)
    if rule is None:
        raise NotFound("rule", f"no routing rule #{rule_id}")
    session.delete(rule)
    session.flush()
    cache.changed(session, _RULES)


def list_rules(session: Session, *, district_code: str | None = None) -> list[RoutingRule]:
    """Rules whose area lies in the district (plus the ones for any area), by category code."""
    query = (select(RoutingRule).outerjoin(Category, Category.id == RoutingRule.category_id)
             .outerjoin(Region, Region.code == RoutingRule.region_code)
             .order_by(Category.code.nulls_first(), Region.code.nulls_first(), RoutingRule.id))
    if district_code is not None:
        query = query.where(or_(RoutingRule.region_code.is_(None), Region.district_code == district_code))
    return list(session.scalars(query))


def _places(session: Session, community_code: str | None, street_code: str | None,
            district_code: str) -> dict[str, str]:
    """region code -> area kind for the case's place; the street is found from the community."""
    district_code = check_district_code(district_code)
    if community_code and not street_code:
        community = session.get(Region, community_code)
        street_code = community.parent_code if community is not None else None
    places = {district_code: "district"}
    if street_code:
        places[street_code] = "street"
    if community_code:
        places[community_code] = "community"
    return places


def explain(session: Session, *, category_id: int | None, community_code: str | None = None,
            street_code: str | None = None, district_code: str) -> list[Match]:
    """Every rule that matches the case, the winner first, each with why it matched.
    Rules whose department is inactive are left out."""
    chain = ancestors(session, find_category(session, category_id)) if category_id is not None else []
    levels = {c.id: c.level for c in chain}
    places = _places(session, community_code, street_code, district_code)
    rows = session.execute(
        select(RoutingRule, Department).join(Department, Department.id == RoutingRule.department_id)
        .where(Department.active.is_(True),
               or_(RoutingRule.category_id.is_(None), RoutingRule.category_id.in_(list(levels))),
               or_(RoutingRule.region_code.is_(None), RoutingRule.region_code.in_(list(places))))).all()
    matches = []
    for rule, dept in rows:
        area = places.get(rule.region_code, "any")
        level = levels.get(rule.category_id, 0)
        if rule.category_id is None:
            what = "任意分类"
        else:
            what = (f"分类 {path_of(session, chain[0])}" if rule.category_id == chain[0].id
                    else f"上级分类 {path_of(session, session.get(Category, rule.category_id))}")
        where = f"{AREA_LABELS[area]} {rule.region_code}" if rule.region_code else AREA_LABELS[area]
        matches.append(Match(rule, dept, level, area, f"{what}（第 {level} 级）· {where}"))
    matches.sort(key=lambda m: (-m.category_level, -AREA_RANK[m.area], m.rule.id))
    return matches


_RULES = "routing_rules"


def _read_rules(session: Session) -> dict[tuple[int | None, str | None], int]:
    rows = session.execute(select(RoutingRule.category_id, RoutingRule.region_code, RoutingRule.department_id)
                           .join(Department, Department.id == RoutingRule.department_id)
                           .where(Department.active.is_(True)))
    return {(c, r): d for c, r, d in rows}


def owner(session: Session, *, category_id: int | None, community_code: str | None = None,
          street_code: str | None = None, district_code: str) -> int | None:
    """The winning department's id by the same order as `explain`, without the reasons:
    the dispatch path asks this for every case, from a snapshot of the rules. None: no rule."""
    rules = cache.snapshot(session, _RULES, _read_rules)
    categories = [*lineage(session, category_id), None] if category_id is not None else [None]
    if community_code and not street_code:
        street_code = community_code[:9]  # NBS codes nest: a community's first nine digits are its street
    places = [p for p in (community_code, street_code, district_code) if p] + [None]
    for category in categories:
        for place in places:
            found = rules.get((category, place))
            if found is not None:
                return found
    return None


def route(session: Session, *, category_id: int | None, community_code: str | None = None,
          street_code: str | None = None, district_code: str) -> RouteDecision:
    """The owning department of a case of this category at this place."""
    matches = explain(session, category_id=category_id, community_code=community_code,
                      street_code=street_code, district_code=district_code)
    if not matches:
        what = (f"category '{path_of(session, find_category(session, category_id))}'"
                if category_id is not None else "an uncategorised case")
        place = " / ".join(f"{kind} {code}" for code, kind in
                           reversed(_places(session, community_code, street_code, district_code).items()))
        raise NotFound("department", f"no routing rule for {what} at {place}")
    return RouteDecision(matches[0].department, matches[0].rule, tuple(matches))
