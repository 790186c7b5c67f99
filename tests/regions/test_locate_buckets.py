"""The bucket lattice of the locator answers exactly as the geometry does — inside cells,
on their edges and corners (the smaller code wins), outside — one point at a time and in
bulk, on the real 420106 grid."""
from __future__ import annotations

import numpy as np
import shapely

from civicloop.db import transaction
from civicloop.regions import service
from civicloop.regions.locator import locator_for


def _smallest_touching(geoms, lon, lat) -> np.ndarray:
    """The plain answer: the first cell (code order) whose closed area holds the point."""
    tree = shapely.STRtree(geoms)
    point, cell = tree.query(shapely.points(lon, lat), predicate="intersects")
    out = np.full(len(lon), -1)
    order = np.argsort(-cell, kind="stable")
    out[point[order]] = cell[order]
    return out


def test_buckets_agree_with_the_geometry_everywhere(engine):
    with transaction(engine) as session:
        service.init_district(session, "420106")
        found = locator_for(session, "420106")
    corners = shapely.get_coordinates(found.geoms)
    edges = (corners[:-1] + corners[1:]) / 2  # midpoints of every edge (and a few chords between rings)
    west, south, east, north = found.boundary.bounds
    rng = np.random.default_rng(11)
    scattered = np.column_stack([rng.uniform(west - 0.01, east + 0.01, 200_000),
                                 rng.uniform(south - 0.01, north + 0.01, 200_000)])
    points = np.concatenate([corners, edges, scattered])
    expected = _smallest_touching(found.geoms, points[:, 0], points[:, 1])
    assert (found.cell_indices(points[:, 0], points[:, 1]) == expected).all()
    sample = rng.choice(len(points), 5_000, replace=False)
    assert [found.buckets.cell_index(found.geoms, *points[i]) for i in sample] == expected[sample].tolist()
    assert (expected[:len(corners)] >= 0).all() and (expected[len(corners) + len(edges):] == -1).any()
    assert 0 < (found.buckets.owner >= 0).sum() < len(found.buckets.owner)  # both paths are exercised
    assert (found.buckets.owner == -2).any()
