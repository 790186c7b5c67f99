"""Point → grid cell → community → street, for one district.

The cells are loaded once into an STRtree and kept in this process, keyed by the
district's grid_version: every grid replacement raises it, so one primary-key read per
lookup tells any process — not only the one that imported — that its index is stale."""
from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import shapely
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from civicloop.errors import InvalidInput, NotFound
from civicloop.regions.coords import wgs84_to_gcj02_array
from civicloop.regions.models import GridCell, Region

CRS = ("gcj02", "wgs84")
# Points are queried in batches to bound the memory of the GEOS point objects.
_BATCH = 500_000


@dataclass(frozen=True)
class Location:
    grid_code: str
    community_code: str
    street_code: str
    district_code: str


@dataclass(frozen=True)
class Locations:
    """The answers for many points; each array has one entry per point, None outside."""
    grid_code: np.ndarray
    community_code: np.ndarray
    street_code: np.ndarray

    @property
    def found(self) -> np.ndarray:
        return np.not_equal(self.grid_code, None)


class Locator:
    def __init__(self, district: Region, cells: list[tuple[str, str, str]], streets: dict[str, str]):
        self.district_code = district.code
        self.label = f"{district.code} {district.name}"
        self.boundary = shapely.from_geojson(district.geometry)
        shapely.prepare(self.boundary)
        codes, communities, texts = zip(*cells)
        self.codes = np.array(codes, dtype=object)
        self.communities = np.array(communities, dtype=object)
        self.streets = np.array([streets.get(c) for c in communities], dtype=object)
        geoms = shapely.from_geojson(np.array(texts, dtype=object))
        shapely.prepare(geoms)
        self.tree = shapely.STRtree(geoms)

    def cell_indices(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Index of the cell holding each GCJ-02 point, -1 where none does. A point on
        an edge shared by two cells goes to the one with the smaller code (cells are
        held in code order), so answers do not depend on the tree's layout."""
        out = np.full(len(lon), -1, dtype=np.int64)
        for start in range(0, len(lon), _BATCH):
            points = shapely.points(lon[start:start + _BATCH], lat[start:start + _BATCH])
            hit_point, hit_cell = self.tree.query(points, predicate="intersects")
            # Keep the smallest cell index per point: assign in descending order, last wins.
            order = np.argsort(-hit_cell, kind="stable")
            chunk = np.full(len(points), -1, dtype=np.int64)
            chunk[hit_point[order]] = hit_cell[order]
            out[start:start + _BATCH] = chunk
        return out


_cache: dict[tuple[str, str], tuple[int, Locator]] = {}
_lock = threading.Lock()


def grid_replaced(session: Session, district_code: str) -> None:
    """Record that the district's grid has changed (in the caller's transaction)."""
    session.execute(update(Region).where(Region.code == district_code)
                    .values(grid_version=Region.grid_version + 1))


def locator_for(session: Session, district_code: str) -> Locator:
    version = session.scalar(select(Region.grid_version).where(Region.code == district_code,
                                                               Region.level == "district"))
    if version is None:
        raise NotFound("district", f"{district_code} has not been set up: run `civicloop init --district {district_code}`")
    key = (session.get_bind().url.render_as_string(hide_password=True), district_code)
    with _lock:
        cached = _cache.get(key)
    if cached and cached[0] == version:
        return cached[1]
    district = session.get(Region, district_code)
    cells = session.execute(select(GridCell.code, GridCell.community_code, GridCell.geometry)
                            .where(GridCell.district_code == district_code).order_by(GridCell.code)).all()
    if not cells:
        raise NotFound("grid", f"district {district_code} {district.name} has no grid cells")
    streets = dict(session.execute(select(Region.code, Region.parent_code).where(
        Region.district_code == district_code, Region.level == "community")).all())
    built = Locator(district, [tuple(c) for c in cells], streets)
    with _lock:
        _cache[key] = (version, built)
    return built


def _to_gcj02(lon, lat, crs: str) -> tuple[np.ndarray, np.ndarray]:
    if crs not in CRS:
        raise InvalidInput("crs", f"{crs!r} is not one of {', '.join(CRS)}")
    lon, lat = np.atleast_1d(np.asarray(lon, dtype=float)), np.atleast_1d(np.asarray(lat, dtype=float))
    if lon.shape != lat.shape:
        raise InvalidInput("lats", f"{lat.shape[0]} latitudes for {lon.shape[0]} longitudes")
    if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
        raise InvalidInput("location", "coordinates must be finite numbers")
    return wgs84_to_gcj02_array(lon, lat) if crs == "wgs84" else (lon, lat)


def locate(session: Session, district_code: str, lon: float, lat: float, *, crs: str = "gcj02") -> Location:
    """The grid cell, community and street of a point (GCJ-02 unless crs='wgs84')."""
    g_lon, g_lat = _to_gcj02(lon, lat, crs)
    found = locator_for(session, district_code)
    index = int(found.cell_indices(g_lon, g_lat)[0])
    if index < 0:
        where = f"({lon}, {lat}) {crs}"
        if shapely.contains_xy(found.boundary, g_lon[0], g_lat[0]):
            raise InvalidInput("location", f"{where} lies in no grid cell of district {found.label}")
        raise InvalidInput("location", f"{where} lies outside district {found.label}")
    return Location(found.codes[index], found.communities[index], found.streets[index], found.district_code)


def locate_many(session: Session, district_code: str, lons, lats, *, crs: str = "gcj02") -> Locations:
    """Vectorised locate: points outside the grid get None rather than an error."""
    g_lon, g_lat = _to_gcj02(lons, lats, crs)
    found = locator_for(session, district_code)
    index = found.cell_indices(g_lon, g_lat)
    inside = index >= 0

    def pick(values: np.ndarray) -> np.ndarray:
        out = np.full(len(index), None, dtype=object)
        out[inside] = values[index[inside]]
        return out

    return Locations(pick(found.codes), pick(found.communities), pick(found.streets))

