"""Point → grid cell, one at a time and in bulk."""
from __future__ import annotations


import numpy as np
import pytest
import shapely
from sqlalchemy import select

from civicloop.db import transaction
from civicloop.errors import InvalidInput
from civicloop.regions import service
from civicloop.regions.coords import gcj02_to_wgs84_array
from civicloop.regions.models import GridCell, Region

CODE = "310104"


def cells(engine):
    with transaction(engine) as session:
        rows = session.execute(select(GridCell.code, GridCell.community_code, GridCell.geometry)
                               .where(GridCell.district_code == CODE).order_by(GridCell.code)).all()
        streets = dict(session.execute(select(Region.code, Region.parent_code)
                                       .where(Region.level == "community")).all())
    geoms = shapely.from_geojson(np.array([r.geometry for r in rows], dtype=object))
    return [r.code for r in rows], [r.community_code for r in rows], streets, geoms


def test_a_point_inside_each_cell_finds_that_cell(engine, xuhui):
    codes, communities, streets, geoms = cells(engine)
    inside = shapely.point_on_surface(geoms)
    with transaction(engine) as session:
        for i in range(0, len(codes), 7):
            found = service.locate(session, CODE, inside[i].x, inside[i].y)
            assert (found.grid_code, found.community_code, found.street_code, found.district_code) == \
                (codes[i], communities[i], streets[communities[i]], CODE)


def test_a_gps_fix_is_converted_first(engine, xuhui):
    codes, _, _, geoms = cells(engine)
    # Interior points far from cell edges, given as the WGS-84 fix a phone would send.
    centres = shapely.point_on_surface(geoms)
    w_lon, w_lat = gcj02_to_wgs84_array(shapely.get_x(centres), shapely.get_y(centres))
    with transaction(engine) as session:
        assert service.locate(session, CODE, w_lon[0], w_lat[0], crs="wgs84").grid_code == codes[0]
        wgs = service.locate_many(session, CODE, w_lon, w_lat, crs="wgs84")
        # Read as if it were GCJ-02, the same fix lands hundreds of metres away: mostly another cell.
        raw = service.locate_many(session, CODE, w_lon, w_lat)
    assert list(wgs.grid_code) == codes
    assert np.mean([a != b for a, b in zip(raw.grid_code, codes)]) > 0.5


def test_outside_the_district_names_it(engine, xuhui):
    with pytest.raises(InvalidInput) as exc, transaction(engine) as session:
        service.locate(session, CODE, 114.30, 30.55)  # 武昌, not 徐汇
    assert exc.value.field == "location" and "lies outside district 310104 徐汇区" in exc.value.detail
    with pytest.raises(InvalidInput) as exc, transaction(engine) as session:
        service.locate(session, CODE, 121.44, 31.19, crs="bd09")
    assert exc.value.field == "crs"


def test_locate_many_agrees_with_the_geometry(engine, xuhui):
    codes, communities, streets, geoms = cells(engine)
    boundary_box = shapely.total_bounds(geoms)
    rng = np.random.default_rng(3)
    n = 1_000_000
    lon = rng.uniform(boundary_box[0] - 0.01, boundary_box[2] + 0.01, n)
    lat = rng.uniform(boundary_box[1] - 0.01, boundary_box[3] + 0.01, n)
    with transaction(engine) as session:
        found = service.locate_many(session, CODE, lon, lat)

    # Check a sample against a plain point-in-polygon test.
    sample = rng.choice(n, 3000, replace=False)
    by_code = dict(zip(codes, geoms))
    for i in sample:
        code = found.grid_code[i]
        if code is None:
            assert not shapely.intersects_xy(geoms, lon[i], lat[i]).any()
        else:
            assert by_code[code].intersects(shapely.Point(lon[i], lat[i]))
            assert found.community_code[i] == code[:12] and found.street_code[i] == streets[code[:12]]
    assert found.found.mean() > 0.3


def test_a_grid_changed_by_another_process_is_noticed(engine, xuhui):
    codes, _, _, geoms = cells(engine)
    point = shapely.point_on_surface(geoms[0])
    renamed = codes[0][:12] + "9999"
    with transaction(engine) as session:
        assert service.locate(session, CODE, point.x, point.y).grid_code == codes[0]
    # Another process renumbers the cell and raises the version, as every grid writer does.
    with engine.begin() as conn:
        conn.execute(GridCell.__table__.update().where(GridCell.code == codes[0]).values(code=renamed))
        conn.execute(Region.__table__.update().where(Region.code == CODE)
                     .values(grid_version=Region.grid_version + 1))
    with transaction(engine) as session:
        assert service.locate(session, CODE, point.x, point.y).grid_code == renamed
