"""Geometry that no package publishes: plausible street and community areas inside a
district boundary, and the 万米单元网格 cut from them. Pure computation, no database.

All cutting happens in a local metric projection (LocalProjection); results are
returned in GCJ-02 longitude/latitude."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from civicloop.errors import InvalidInput
from civicloop.regions.boundary import polygonal

# WGS-84 ellipsoid; GCJ-02 is WGS-84 with an obfuscating offset of a few hundred
# metres whose scale distortion (about 1e-5) is far below anything measured here.
_A = 6378137.0
_E2 = 6.69437999014e-3

# Sample points per seed for k-means: enough for stable centroids, cheap to cluster.
_SAMPLES_PER_SEED = 60
_MIN_SAMPLES = 2000
# Pieces smaller than this share of a cell's nominal area are merged into a neighbour.
SLIVER_SHARE = 0.25
# A community holds at most this many cells: the code has a 4-digit sequence.
MAX_CELLS_PER_COMMUNITY = 9999


def _radii(lat: float | np.ndarray):
    """Meridional (M) and prime-vertical (N) radii of curvature at a latitude."""
    s2 = np.sin(np.radians(lat)) ** 2
    return _A * (1.0 - _E2) / (1.0 - _E2 * s2) ** 1.5, _A / np.sqrt(1.0 - _E2 * s2)


@dataclass(frozen=True)
class LocalProjection:
    """An equirectangular projection about the district centre (λ0, φ0), with the
    ellipsoid's scales there: x = N0·cos φ0·(λ − λ0), y = M0·(φ − φ0).

    It is affine in longitude and latitude, so a straight GeoJSON edge stays straight
    and a cell cut in metres lies exactly inside the boundary it was cut from. Its scale
    in x drifts by tan φ0·Δφ away from φ0 (±0.15 % at 15 km north or south at 30° N):
    cells are squares of the nominal size to that accuracy, and true_area() corrects
    for it exactly enough (relative error below 1e-8 for a cell, 1e-5 for a district)."""
    lon0: float
    lat0: float

    @classmethod
    def about(cls, geom: BaseGeometry) -> "LocalProjection":
        minx, miny, maxx, maxy = geom.bounds
        return cls((minx + maxx) / 2.0, (miny + maxy) / 2.0)

    @property
    def _scale(self) -> tuple[float, float]:
        """Metres per degree of longitude and of latitude at the centre."""
        m0, n0 = _radii(self.lat0)
        return float(n0 * np.cos(np.radians(self.lat0)) * np.pi / 180.0), float(m0 * np.pi / 180.0)

    def forward(self, lon, lat):
        kx, ky = self._scale
        return (np.asarray(lon, dtype=float) - self.lon0) * kx, (np.asarray(lat, dtype=float) - self.lat0) * ky

    def inverse(self, x, y):
        kx, ky = self._scale
        return self.lon0 + np.asarray(x, dtype=float) / kx, self.lat0 + np.asarray(y, dtype=float) / ky

    def to_local(self, geoms):
        return shapely.transform(geoms, lambda c: np.column_stack(self.forward(c[:, 0], c[:, 1])))

    def to_lonlat(self, geoms):
        return shapely.transform(geoms, lambda c: np.column_stack(self.inverse(c[:, 0], c[:, 1])))

    def true_area(self, local_geoms) -> np.ndarray:
        """Ground area (m²) of geometries in local metres: the projected area times the
        ratio of the ellipsoid's area element M·N·cos φ at the geometry's centroid
        latitude to the one the projection assumes (the ratio is smooth, so its value at
        the centroid is its mean over the geometry to second order)."""
        _, lat = self.inverse(0.0, shapely.get_y(shapely.centroid(local_geoms)))
        m, n = _radii(lat)
        m0, n0 = _radii(self.lat0)
        factor = (m * n * np.cos(np.radians(lat))) / (m0 * n0 * np.cos(np.radians(self.lat0)))
        return shapely.area(local_geoms) * factor


@dataclass(frozen=True)
class Cell:
    code: str
    community_code: str
    geometry: BaseGeometry  # GCJ-02
    area_m2: float
    center_lon: float
    center_lat: float


# --- streets and communities -------------------------------------------------------------

def _sample(area: BaseGeometry, n: int) -> np.ndarray:
    """About n points on a regular lattice inside `area` (local metres): deterministic,
    and an even cover, so k-means on them splits the area into similar parts."""
    minx, miny, maxx, maxy = area.bounds
    shapely.prepare(area)
    step = math.sqrt(area.area / n)
    for _ in range(8):
        xs = np.arange(minx + step / 2, maxx, step)
        ys = np.arange(miny + step / 2, maxy, step)
        gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
        keep = shapely.contains_xy(area, gx, gy)
        if keep.sum() >= n // 2:
            break
        step /= 2  # thin or fragmented areas: the lattice missed them
    points = np.column_stack([gx[keep], gy[keep]])
    if len(points) == 0:
        point = area.representative_point()
        points = np.array([[point.x, point.y]])
    return points


def _kmeans(points: np.ndarray, k: int, seed: int, iterations: int = 100) -> np.ndarray:
    """Lloyd's k-means with k-means++ starts. Written out rather than taken from a
    library so that the result depends only on the seed: threaded implementations sum
    in a different order on a different number of cores and move the boundaries."""
    rng = np.random.default_rng(seed)
    centres = np.empty((k, 2))
    centres[0] = points[rng.integers(len(points))]
    nearest = ((points - centres[0]) ** 2).sum(axis=1)
    for j in range(1, k):
        centres[j] = points[rng.choice(len(points), p=nearest / nearest.sum())]
        nearest = np.minimum(nearest, ((points - centres[j]) ** 2).sum(axis=1))
    for _ in range(iterations):
        dist = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        labels = dist.argmin(axis=1)
        counts = np.bincount(labels, minlength=k)
        moved = centres.copy()
        filled = counts > 0
        for axis in (0, 1):
            moved[filled, axis] = np.bincount(labels, points[:, axis], minlength=k)[filled] / counts[filled]
        # An empty cluster restarts at the point worst served by the others.
        for j in np.flatnonzero(~filled):
            worst = int(dist[np.arange(len(points)), labels].argmax())
            moved[j] = points[worst]
            labels[worst] = j
        if np.allclose(moved, centres, rtol=0.0, atol=1e-3):
            return moved
        centres = moved
    return centres


def _seeds(area: BaseGeometry, k: int, random_state: int) -> np.ndarray:
    """k seed points spreading `area` into parts of similar size (k-means centroids),
    ordered north to south in bands, then west to east, so that neighbouring codes
    are neighbours on the ground."""
    points = _sample(area, max(_MIN_SAMPLES, _SAMPLES_PER_SEED * k))
    if len(points) < k:
        raise InvalidInput("boundary", f"an area of {area.area:.0f} m² is too small to hold {k} parts")
    centres = _kmeans(points, k, random_state)
    band = math.sqrt(area.area / k)
    order = np.lexsort((centres[:, 0], -np.floor(centres[:, 1] / band)))
    return centres[order]


def split_area(area: BaseGeometry, k: int, random_state: int) -> list[BaseGeometry]:
    """Partition `area` (local metres) into k polygonal parts: the Voronoi cells of
    k-means seeds, clipped to the area. The parts tile the area exactly."""
    if k == 1:
        return [area]
    seeds = _seeds(area, k, random_state)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=area, ordered=True))
    parts = [polygonal(p) for p in shapely.intersection(cells, area)]
    if len(parts) != k or any(p.is_empty for p in parts):
        raise InvalidInput("boundary", f"could not split an area of {area.area:.0f} m² into {k} parts")
    return parts


# --- grid cells ------------------------------------------------------------------------------

class _UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, child: int, root: int) -> None:
        self.parent[self.find(child)] = self.find(root)


def _pieces(communities: np.ndarray, side: float):
    """Squares of the district-wide lattice intersected with each community.
    Returns (community index, row, column, polygon) arrays; rows count from the north."""
    bounds = shapely.bounds(communities)
    x0 = math.floor(bounds[:, 0].min() / side) * side
    y1 = math.ceil(bounds[:, 3].max() / side) * side
    owner, rows, cols = [], [], []
    for idx, (minx, miny, maxx, maxy) in enumerate(bounds):
        c = np.arange(math.floor((minx - x0) / side), math.ceil((maxx - x0) / side))
        r = np.arange(math.floor((y1 - maxy) / side), math.ceil((y1 - miny) / side))
        cc, rr = np.meshgrid(c, r)
        owner.append(np.full(cc.size, idx))
        rows.append(rr.ravel())
        cols.append(cc.ravel())
    owner, rows, cols = np.concatenate(owner), np.concatenate(rows), np.concatenate(cols)
    squares = shapely.box(x0 + cols * side, y1 - (rows + 1) * side, x0 + (cols + 1) * side, y1 - rows * side)

    shapely.prepare(communities)
    whole = shapely.contains(communities[owner], squares)
    touched = ~whole & shapely.intersects(communities[owner], squares)
    cut = shapely.intersection(communities[owner[touched]], squares[touched])
    cut_parts, cut_from = shapely.get_parts(cut, return_index=True)
    areal = (shapely.get_type_id(cut_parts) == 3) & (shapely.area(cut_parts) > 0)  # 3: Polygon
    cut_parts, cut_from = cut_parts[areal], np.flatnonzero(touched)[cut_from[areal]]

    keep = np.concatenate([np.flatnonzero(whole), cut_from])
    geoms = np.concatenate([squares[whole], cut_parts])
    return owner[keep], rows[keep], cols[keep], geoms


def _merge_slivers(owner, rows, cols, geoms, side: float) -> list[list[int]]:
    """Groups of piece indices, one group per cell: each sliver joins the same-community
    piece it shares the longest edge with (whole-sized pieces first), so cells stay
    near the nominal area without overlapping. A sliver with no edge-sharing
    neighbour (an islet) stays a cell of its own."""
    areas = shapely.area(geoms)
    small = areas < SLIVER_SHARE * side * side
    by_place: dict[tuple[int, int, int], list[int]] = {}
    for i, key in enumerate(zip(owner.tolist(), rows.tolist(), cols.tolist())):
        by_place.setdefault(key, []).append(i)

    pairs_a, pairs_b = [], []
    for i in np.flatnonzero(small).tolist():
        o, r, c = int(owner[i]), int(rows[i]), int(cols[i])
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                for j in by_place.get((o, r + dr, c + dc), ()):
                    if j != i:
                        pairs_a.append(i)
                        pairs_b.append(j)
    groups = _UnionFind(len(geoms))
    if pairs_a:
        a, b = np.array(pairs_a), np.array(pairs_b)
        shared = shapely.length(shapely.intersection(geoms[a], geoms[b]))
        # Best target per sliver: whole-sized before small, then the longest shared edge.
        rank = np.lexsort((-shared, small[b], a))
        best: dict[int, int] = {}
        for k in rank.tolist():
            if shared[k] > 1e-6 * side and int(a[k]) not in best:
                best[int(a[k])] = int(b[k])
        for i, j in best.items():
            groups.union(i, j)
    members: dict[int, list[int]] = {}
    for i in range(len(geoms)):
        members.setdefault(groups.find(i), []).append(i)
    return list(members.values())


def measure(geoms, projection: LocalProjection) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(true area in m², longitude, latitude of a point inside) of GCJ-02 polygons:
    the centroid where it lies inside, else a point on the surface."""
    geoms = np.asarray(geoms, dtype=object)
    centres = shapely.centroid(geoms)
    outside = ~shapely.contains(geoms, centres)
    centres[outside] = shapely.point_on_surface(geoms[outside])
    return projection.true_area(projection.to_local(geoms)), shapely.get_x(centres), shapely.get_y(centres)


def cut_cells(communities: dict[str, BaseGeometry], projection: LocalProjection, cell_area_m2: float) -> list[Cell]:
    """Cells of about `cell_area_m2` covering each community (GCJ-02 polygons), each
    inside exactly one community; codes are the community code + a 4-digit sequence
    running north to south, west to east."""
    if not cell_area_m2 or cell_area_m2 <= 0:
        raise InvalidInput("cell_area_m2", f"must be a positive area in m², not {cell_area_m2!r}")
    codes = [code for code, geom in communities.items() if geom is not None and not geom.is_empty]
    if not codes:
        return []
    side = math.sqrt(cell_area_m2)
    local = projection.to_local(np.array([communities[c] for c in codes], dtype=object))
    owner, rows, cols, geoms = _pieces(local, side)
    groups = _merge_slivers(owner, rows, cols, geoms, side)

    areas = shapely.area(geoms)
    merged = np.array([geoms[g[0]] if len(g) == 1 else shapely.union_all(geoms[g]) for g in groups], dtype=object)
    # The anchor (largest piece) gives the cell its place in the numbering.
    anchor = np.array([g[int(np.argmax(areas[g]))] for g in groups])
    cell_owner = owner[anchor]
    order = np.lexsort((cols[anchor], rows[anchor], cell_owner))

    lonlat = projection.to_lonlat(merged)
    cell_area, lon, lat = measure(lonlat, projection)

    cells, seq, last_owner = [], 0, -1
    for i in order.tolist():
        seq = seq + 1 if cell_owner[i] == last_owner else 1
        last_owner = int(cell_owner[i])
        community = codes[last_owner]
        if seq > MAX_CELLS_PER_COMMUNITY:
            raise InvalidInput("cell_area_m2", f"community {community} would hold more than "
                                               f"{MAX_CELLS_PER_COMMUNITY} cells of {cell_area_m2:.0f} m²; "
                                               "choose a larger cell area")
        cells.append(Cell(f"{community}{seq:04d}", community, lonlat[i], float(cell_area[i]),
                          float(lon[i]), float(lat[i])))
    return cells


@dataclass(frozen=True)
class DerivedAreas:
    projection: LocalProjection
    streets: dict[str, BaseGeometry]  # GCJ-02
    communities: dict[str, BaseGeometry]
    areas_m2: dict[str, float]  # by code, the district's too


def derive_areas(district_code: str, boundary: BaseGeometry,
                 street_communities: dict[str, list[str]]) -> DerivedAreas:
    """Street and community areas inside `boundary` (GCJ-02): plausible, not surveyed.
    `street_communities` maps each street code to its community codes. Deterministic:
    k-means is seeded from the codes."""
    projection = LocalProjection.about(boundary)
    district = projection.to_local(boundary)
    street_codes = sorted(street_communities)
    streets = dict(zip(street_codes, split_area(district, len(street_codes), int(district_code))))
    communities: dict[str, BaseGeometry] = {}
    for street_code in street_codes:
        members = sorted(street_communities[street_code])
        if members:
            communities.update(zip(members, split_area(streets[street_code], len(members), int(street_code))))
    everything = {district_code: district, **streets, **communities}
    areas = dict(zip(everything, projection.true_area(np.array(list(everything.values()), dtype=object)).tolist()))

    def to_lonlat(parts: dict[str, BaseGeometry]) -> dict[str, BaseGeometry]:
        return dict(zip(parts, projection.to_lonlat(np.array(list(parts.values()), dtype=object))))

    return DerivedAreas(projection, to_lonlat(streets), to_lonlat(communities), areas)
