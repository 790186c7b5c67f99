"""Point → grid cell → community → street, for one district.

The cells are loaded once and kept in this process, keyed by the district's
grid_version: every grid replacement draws it afresh, so one primary-key read per lookup tells
any process — not only the one that imported — that its index is stale. A random draw, not a
count: a district built again from nothing must not reuse a number an older index was cached under.

Lookups go through a uniform lattice of buckets over the cells' extent (`Buckets`): a
bucket that one cell covers and no other touches answers by arithmetic alone; the points
in the others are tested against that bucket's few candidate cells (`intersects_xy`, no
point geometries made). The STRtree is kept for neighbourhood queries."""
from __future__ import annotations

import math
import secrets
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
# Buckets per median cell along each side; at most this many buckets in all.
_BUCKET_SPLIT = 2
_MAX_BUCKETS = 4_000_000


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


class Buckets:
    """A lattice of equal buckets over the cells' bounding box. `owner[b]` is the cell that
    covers bucket b when no other cell touches it, -1 when no cell touches it, -2 when it
    is mixed: then `candidates[start[b]:start[b] + count[b]]` are the cells touching it, in
    index (code) order."""

    def __init__(self, geoms: np.ndarray):
        bounds = shapely.bounds(geoms)
        self.x0, self.y0 = bounds[:, 0].min(), bounds[:, 1].min()
        width, height = bounds[:, 2].max() - self.x0, bounds[:, 3].max() - self.y0
        typical = float(np.sqrt(np.median((bounds[:, 2] - bounds[:, 0]) * (bounds[:, 3] - bounds[:, 1]))))
        side = max(typical / _BUCKET_SPLIT, np.sqrt(width * height / _MAX_BUCKETS), 1e-9)
        self.side = side
        # +1: a point on the far edge of the extent still falls in a bucket.
        self.nx, self.ny = int(width // side) + 1, int(height // side) + 1
        # Pairs (bucket, cell) from each cell's bounding box, one bucket wider on every side
        # (rounding), then kept where the cell really touches the bucket. Boxes are made
        # only for buckets near some cell: most of a district's bounding box is empty.
        first_x = np.clip(np.floor((bounds[:, 0] - self.x0) / side).astype(np.int64) - 1, 0, self.nx - 1)
        last_x = np.clip(np.floor((bounds[:, 2] - self.x0) / side).astype(np.int64) + 1, 0, self.nx - 1)
        first_y = np.clip(np.floor((bounds[:, 1] - self.y0) / side).astype(np.int64) - 1, 0, self.ny - 1)
        last_y = np.clip(np.floor((bounds[:, 3] - self.y0) / side).astype(np.int64) + 1, 0, self.ny - 1)
        wide = last_x - first_x + 1
        spans = wide * (last_y - first_y + 1)
        cell = np.repeat(np.arange(len(geoms)), spans)
        k = np.arange(spans.sum()) - np.repeat(np.cumsum(spans) - spans, spans)
        bucket = (np.repeat(first_y, spans) + k // np.repeat(wide, spans)) * self.nx \
            + np.repeat(first_x, spans) + k % np.repeat(wide, spans)
        near, slot = np.unique(bucket, return_inverse=True)
        left, bottom = self.x0 + (near % self.nx) * side, self.y0 + (near // self.nx) * side
        boxes = shapely.box(left, bottom, left + side, bottom + side)
        touch = shapely.intersects(geoms[cell], boxes[slot])
        bucket, cell = bucket[touch], cell[touch]
        order = np.lexsort((cell, bucket))
        bucket, self.candidates = bucket[order], cell[order]
        self.count = np.bincount(bucket, minlength=self.nx * self.ny)
        self.start = np.concatenate(([0], np.cumsum(self.count)[:-1]))
        self.owner = np.where(self.count > 0, -2, -1)
        single = np.flatnonzero(self.count == 1)
        alone = self.candidates[self.start[single]]
        covered = shapely.covers(geoms[alone], boxes[np.searchsorted(near, single)])
        self.owner[single[covered]] = alone[covered]

    def cell_index(self, geoms: np.ndarray, lon: float, lat: float) -> int:
        """One point, without array overhead: the single-point `locate`."""
        ix, iy = math.floor((lon - self.x0) / self.side), math.floor((lat - self.y0) / self.side)
        if not (0 <= ix < self.nx and 0 <= iy < self.ny):
            return -1
        bucket = iy * self.nx + ix
        owner = int(self.owner[bucket])
        if owner != -2:
            return owner
        start = int(self.start[bucket])
        for cell in self.candidates[start:start + int(self.count[bucket])].tolist():
            if shapely.intersects_xy(geoms[cell], lon, lat):
                return cell
        return -1

    def cell_indices(self, geoms: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            ix = np.floor((lon - self.x0) / self.side)
            iy = np.floor((lat - self.y0) / self.side)
        inside = (ix >= 0) & (ix < self.nx) & (iy >= 0) & (iy < self.ny)
        bucket = np.where(inside, iy * self.nx + ix, 0).astype(np.int64)
        out = np.where(inside, self.owner[bucket], -1)
        pending = np.flatnonzero(out == -2)
        out[pending] = -1
        k = 0
        while pending.size:  # the k-th candidate of each mixed bucket; the first hit is the smallest code
            buckets = bucket[pending]
            has = self.count[buckets] > k
            pending, buckets = pending[has], buckets[has]
            cells = self.candidates[self.start[buckets] + k]
            hit = shapely.intersects_xy(geoms[cells], lon[pending], lat[pending])
            out[pending[hit]] = cells[hit]
            pending = pending[~hit]
            k += 1
        return out


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
        self.geoms = shapely.from_geojson(np.array(texts, dtype=object))
        shapely.prepare(self.geoms)
        self.tree = shapely.STRtree(self.geoms)
        self.buckets = Buckets(self.geoms)

    def cell_indices(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Index of the cell holding each GCJ-02 point, -1 where none does. A point on
        an edge shared by two cells goes to the one with the smaller code (cells are
        held in code order), so answers do not depend on the index's layout."""
        return self.buckets.cell_indices(self.geoms, lon, lat)


_cache: dict[tuple[str, str], tuple[int, Locator]] = {}
_lock = threading.Lock()


def grid_replaced(session: Session, district_code: str) -> None:
    """Record that the district's grid has changed (in the caller's transaction)."""
    session.execute(update(Region).where(Region.code == district_code)
                    .values(grid_version=secrets.randbits(31)))


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
    index = found.buckets.cell_index(found.geoms, float(g_lon[0]), float(g_lat[0]))
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

