"""HTTP endpoints of regions: the districts, each district's street → community tree, its
grid cells as GeoJSON (stored in GCJ-02; `crs=wgs84` converts for GPS-based maps), point
location, and the admin's grid import (all or nothing)."""
from __future__ import annotations

import gzip
import hashlib
import json
import math
import threading
from dataclasses import dataclass
from typing import Annotated

import numpy as np
import shapely
from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from civicloop.api.conditional import not_modified, send
from civicloop.api.deps import Editor, Reader, read, write
from civicloop.errors import InvalidInput, NotFound, UnsupportedType
from civicloop.regions import service
from civicloop.regions.coords import gcj02_to_wgs84_array, wgs84_to_gcj02_array
from civicloop.regions.models import GridCell, Region
from civicloop.regions.schemas import (
    Crs,
    DistrictOut,
    GridCollection,
    GridFeature,
    GridImportOut,
    LocationOut,
    Person,
    Place,
    RegionNode,
)
from civicloop.users.models import User

router = APIRouter(tags=["regions"])
GEOJSON = "application/geo+json"
SYSTEMS = {"gcj02": "GCJ-02", "wgs84": "WGS-84"}

DistrictCode = Annotated[str, Path(pattern=r"^\d{6}$", description="6-digit district code, e.g. 420106")]
CrsQuery = Annotated[Crs, Query(description="coordinate system: gcj02 (stored) or wgs84 (GPS)")]


class GeoJSONResponse(JSONResponse):
    media_type = GEOJSON


def _node(tree: service.TreeNode) -> RegionNode:
    return RegionNode(code=tree.code, name=tree.name, level=tree.level, kind=tree.kind, area_m2=tree.area_m2,
                      cells=tree.cells, children=[_node(c) for c in tree.children])


@router.get("/districts", response_model=list[DistrictOut], summary="The districts set up")
def list_districts(request: Request, principal: Reader) -> list[DistrictOut]:
    """Every district with its number of streets, communities and grid cells."""
    out = []
    with read(request) as session:
        for district in service.list_districts(session):
            # Counted, not read: every page's map asks for this, and the tree's areas carry megabytes of outlines.
            levels = dict(session.execute(select(Region.level, func.count()).where(
                Region.district_code == district.code).group_by(Region.level)).all())
            cells = session.scalar(select(func.count()).select_from(GridCell)
                                   .where(GridCell.district_code == district.code))
            out.append(DistrictOut(code=district.code, name=district.name, kind=district.kind,
                                   area_m2=district.area_m2, streets=levels.get("street", 0),
                                   communities=levels.get("community", 0), cells=cells))
    return out


@router.get("/districts/{code}", response_model=RegionNode, summary="A district with its streets and communities")
def get_district(request: Request, code: DistrictCode, principal: Reader) -> RegionNode:
    """The district → street → community tree, each node with its area and grid-cell count."""
    with read(request) as session:
        return _node(service.region_tree(session, code))


# ------------------------------------------------------------------ grid cells as GeoJSON

def _to_wgs84(xy: np.ndarray) -> np.ndarray:
    return np.column_stack(gcj02_to_wgs84_array(xy[:, 0], xy[:, 1]))


def _features(session: Session, cells: list, crs: str, decimals: int | None = None) -> list[GridFeature]:
    """Cells (GridCell objects or rows of its columns) as features, in `crs`, coordinates to
    `decimals` when given."""
    names = dict(session.execute(select(Region.code, Region.name).where(
        Region.code.in_({c.community_code for c in cells} | {c.community_code[:9] for c in cells}))).all())
    worker_ids = {c.worker_id for c in cells if c.worker_id is not None}
    people = select(User.id, User.username, User.name)
    # A district's thousands of ids cost more to compile as IN parameters than to join.
    people = (people.join(GridCell, GridCell.worker_id == User.id)
              .where(GridCell.district_code.in_({c.district_code for c in cells}))
              if len(worker_ids) > 500 else people.where(User.id.in_(worker_ids)))
    workers = {u.id: Person(id=u.id, username=u.username, name=u.name)
               for u in session.execute(people)} if worker_ids else {}
    if (crs == "wgs84" or decimals is not None) and cells:
        def move(xy: np.ndarray) -> np.ndarray:
            xy = _to_wgs84(xy) if crs == "wgs84" else xy
            return np.round(xy, decimals) if decimals is not None else xy
        geoms = shapely.transform(shapely.from_geojson(np.array([c.geometry for c in cells], dtype=object)), move)
        texts = shapely.to_geojson(geoms).tolist()
    else:
        texts = [c.geometry for c in cells]
    return [GridFeature(id=c.code, geometry=json.loads(text), coordinate_system=SYSTEMS[crs],
                        properties={"code": c.code, "community_code": c.community_code,
                                    "community": names.get(c.community_code), "street_code": c.community_code[:9],
                                    "street": names.get(c.community_code[:9]), "district_code": c.district_code,
                                    "area_m2": round(c.area_m2, 1), "source": c.source,
                                    "worker": workers.get(c.worker_id)})
            for c, text in zip(cells, texts)]


def _bbox(text: str, crs: str) -> shapely.Geometry:
    try:
        west, south, east, north = (float(v) for v in text.split(","))
    except ValueError:
        raise InvalidInput("bbox", f"{text!r}: expected four numbers west,south,east,north") from None
    if not (all(math.isfinite(v) for v in (west, south, east, north))
            and -180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise InvalidInput("bbox", f"{text!r}: expected west ≤ east within ±180 and south ≤ north within ±90")
    if crs == "wgs84":
        (west, east), (south, north) = wgs84_to_gcj02_array([west, east], [south, north])
    return shapely.box(west, south, east, north)


# The whole district's collection is megabytes and takes seconds to make: it is made once per
# state of the grid (its grid_version, drawn afresh by every replacement) and of the cells'
# workers, and kept as JSON and gzip bytes; the ETag names that state, so a page that has the
# collection asks again for a 304.
@dataclass(frozen=True)
class _Collection:
    etag: str
    body: bytes
    gzipped: bytes


_collections: dict[tuple[str, str, str], _Collection] = {}
NO_STALE = {"Cache-Control": "private, no-cache"}
_building = threading.Lock()
# 7 decimals of a degree are about a centimetre: a cell needs no more, and an exported grid
# imports again within the import's tolerances (0.5 m outside, 1 m² overlap).
DECIMALS = 7


def _grid_etag(session: Session, code: str, crs: str) -> str:
    """The state of the district's grid as the collection shows it: its grid_version, and who
    patrols each cell (the only thing that changes without a grid replacement)."""
    version = session.scalar(select(Region.grid_version).where(Region.code == code, Region.level == "district"))
    if version is None:
        service.get_district(session, code)  # the district's own 404
    # One string made in the database (11,000 rows fetched one by one cost several times more).
    line = GridCell.code + "|" + cast(User.id, String) + "|" + User.username + "|" + User.name
    workers = (select(line.label("w")).join(User, User.id == GridCell.worker_id)
               .where(GridCell.district_code == code).order_by(GridCell.code).subquery())
    text = session.scalar(select(func.aggregate_strings(workers.c.w, ";"))) or ""
    digest = hashlib.blake2b(text.encode(), digest_size=8).hexdigest()
    return f'"{crs}-{version}-{digest}"'


def _whole_district(request: Request, code: str, crs: str) -> Response:
    key = (str(request.app.state.engine.url), code, crs)
    with read(request) as session:
        etag = _grid_etag(session, code, crs)
        unchanged = not_modified(request, etag, NO_STALE)
        if unchanged is not None:  # before the collection is made: a restart answers without making it
            return unchanged
        with _building:
            kept = _collections.get(key)
            if kept is None or kept.etag != etag:
                district = service.get_district(session, code)
                # Plain rows (the cells' columns by name): ORM objects cost a second for a district.
                cells = session.execute(select(*GridCell.__table__.c).where(GridCell.district_code == code)
                                        .order_by(GridCell.code)).all()
                body = GridCollection(coordinate_system=SYSTEMS[crs], district={"code": district.code,
                                                                                "name": district.name},
                                      features=_features(session, cells, crs, DECIMALS)).model_dump_json().encode()
                kept = _collections[key] = _Collection(etag, body, gzip.compress(body, compresslevel=6, mtime=0))
    return send(request, kept.body, etag=etag, media_type=GEOJSON, headers=NO_STALE, gzipped=kept.gzipped)


@router.get("/districts/{code}/grids", response_model=GridCollection, response_class=GeoJSONResponse,
            responses={304: {"description": "Not modified: the grid is as the ETag given in If-None-Match"}},
            summary="A district's grid cells (GeoJSON)")
def list_grids(
    request: Request, code: DistrictCode, principal: Reader,
    community: Annotated[str | None, Query(pattern=r"^\d{12}$", description="only this community's cells")] = None,
    bbox: Annotated[str | None, Query(max_length=200, description="west,south,east,north in `crs`: "
                                                                   "cells that touch the box")] = None,
    crs: CrsQuery = "gcj02",
) -> GridCollection | Response:
    """The cells as a FeatureCollection in code order, each with its community, street and
    grid worker. Coordinates are stored in GCJ-02; `crs=wgs84` converts them (and the bbox).
    The whole district (no `community`, no `bbox`) has coordinates to 7 decimals (about 1 cm),
    an ETag (304 on `If-None-Match`) and comes gzip-compressed when the client takes it."""
    if community is None and bbox is None:
        return _whole_district(request, code, crs)
    box = _bbox(bbox, crs) if bbox is not None else None
    with read(request) as session:
        district = service.get_district(session, code)
        query = select(GridCell).where(GridCell.district_code == code).order_by(GridCell.code)
        if community is not None:
            found = session.get(Region, community)
            if found is None or found.level != "community" or found.district_code != code:
                raise NotFound("community", f"{community} is not a community of {service.label(district)}")
            query = query.where(GridCell.community_code == community)
        cells = list(session.scalars(query))
        if box is not None and cells:
            hits = shapely.intersects(shapely.from_geojson(np.array([c.geometry for c in cells], dtype=object)), box)
            cells = [c for c, hit in zip(cells, hits) if hit]
        return GridCollection(coordinate_system=SYSTEMS[crs], district={"code": district.code, "name": district.name},
                              features=_features(session, cells, crs))


@router.get("/grids/{code}", response_model=GridFeature, response_class=GeoJSONResponse,
            summary="One grid cell (GeoJSON Feature) with its grid worker")
def get_grid(request: Request, code: Annotated[str, Path(pattern=r"^\d{13,20}$")], principal: Reader,
             crs: CrsQuery = "gcj02") -> GridFeature:
    """The cell's outline (GCJ-02 unless crs=wgs84), community, street and grid worker."""
    with read(request) as session:
        cell = session.get(GridCell, code)
        if cell is None:
            raise NotFound("grid", f"no grid cell {code}")
        return _features(session, [cell], crs)[0]


def _default_district(session: Session) -> str:
    codes = [d.code for d in service.list_districts(session)]
    if len(codes) != 1:
        raise InvalidInput("district", "required: " + ("no district is set up" if not codes
                                                      else f"this server serves {len(codes)} districts"))
    return codes[0]


@router.get("/locate", response_model=LocationOut, summary="The grid cell, community and street of a point")
def locate(
    request: Request, principal: Reader,
    lon: Annotated[float, Query(ge=-180, le=180)], lat: Annotated[float, Query(ge=-90, le=90)],
    crs: CrsQuery = "gcj02",
    district: Annotated[str | None, Query(pattern=r"^\d{6}$", description="default: the only district")] = None,
) -> LocationOut:
    """A GCJ-02 point (or a GPS fix with crs=wgs84) → grid cell → community → street;
    422 naming `location` when the point lies outside the district's grid."""
    with read(request) as session:
        found = service.locate(session, district or _default_district(session), lon, lat, crs=crs)
        codes = (found.district_code, found.street_code, found.community_code)
        names = dict(session.execute(select(Region.code, Region.name).where(Region.code.in_(codes))).all())
    return LocationOut(lon=lon, lat=lat, crs=crs, grid=Place(code=found.grid_code, name=None),
                       **{level: Place(code=c, name=names.get(c))
                          for level, c in zip(("district", "street", "community"), codes)})


# ------------------------------------------------------------------ admin: grid import

_IMPORT_BODY = {"requestBody": {"required": True, "content": {
    media: {"schema": {"type": "object", "description": "a GeoJSON FeatureCollection of Polygon/MultiPolygon "
                       "cells in GCJ-02; properties: community_code (required), code, worker_id"}}
    for media in ("application/json", GEOJSON)}}}


@router.post("/districts/{code}/grids", response_model=GridImportOut, openapi_extra=_IMPORT_BODY,
             summary="Replace a district's grid with surveyed cells (admin)")
async def import_grids(request: Request, code: DistrictCode, principal: Editor) -> GridImportOut:
    """All or nothing: every feature is checked first and each problem is named
    (`features[i]…`); refused (409) when a case refers to a cell the file drops."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in ("application/json", GEOJSON):
        raise UnsupportedType("content-type", f"send application/json or {GEOJSON}, not {content_type!r}")
    try:
        geojson = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("body", f"not JSON: {exc}") from None

    def run() -> GridImportOut:
        with write(request) as session:
            summary = service.import_grids(session, code, geojson)
        coverage = summary.coverage if math.isfinite(summary.coverage) else None
        return GridImportOut(district_code=summary.district_code, features=summary.features, cells=summary.cells,
                             area_km2=summary.area_km2, coverage=coverage)
    return await run_in_threadpool(run)
