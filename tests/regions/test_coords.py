"""WGS-84 ⇄ GCJ-02."""
from __future__ import annotations

import math

import numpy as np

from civicloop.regions.coords import gcj02_to_wgs84, gcj02_to_wgs84_array, wgs84_to_gcj02, wgs84_to_gcj02_array


def metres(lon1, lat1, lon2, lat2):
    """Equirectangular distance: exact enough below a kilometre."""
    k = 111_320.0
    return np.hypot((lon2 - lon1) * k * np.cos(np.radians(lat1)), (lat2 - lat1) * k)


def test_round_trip_is_within_half_a_metre_across_china():
    rng = np.random.default_rng(7)
    lon, lat = rng.uniform(73.5, 135.0, 20_000), rng.uniform(18.0, 53.5, 20_000)
    g_lon, g_lat = wgs84_to_gcj02_array(lon, lat)
    back_lon, back_lat = gcj02_to_wgs84_array(g_lon, g_lat)
    assert metres(lon, lat, back_lon, back_lat).max() < 0.5
    # And the other way: a GCJ-02 point, to WGS-84 and forward again.
    w_lon, w_lat = gcj02_to_wgs84_array(lon, lat)
    again_lon, again_lat = wgs84_to_gcj02_array(w_lon, w_lat)
    assert metres(lon, lat, again_lon, again_lat).max() < 0.5


def test_offset_is_hundreds_of_metres_in_the_cities_of_the_reports():
    # 武汉, 兰州, 上海, 岳阳: a raw GPS fix is visibly off on a GCJ-02 map.
    for lon, lat in [(114.31, 30.55), (103.83, 36.06), (121.44, 31.19), (113.13, 29.36)]:
        g_lon, g_lat = wgs84_to_gcj02(lon, lat)
        assert 100 < metres(lon, lat, g_lon, g_lat) < 1000


def test_points_outside_china_are_unchanged():
    for lon, lat in [(2.35, 48.86), (-74.0, 40.7), (151.2, -33.9)]:
        assert wgs84_to_gcj02(lon, lat) == (lon, lat)
        assert gcj02_to_wgs84(lon, lat) == (lon, lat)


def test_scalar_and_array_forms_agree():
    lon, lat = np.array([114.3, 121.4, 103.8]), np.array([30.5, 31.2, 36.0])
    a_lon, a_lat = wgs84_to_gcj02_array(lon, lat)
    for i in range(3):
        s_lon, s_lat = wgs84_to_gcj02(float(lon[i]), float(lat[i]))
        assert math.isclose(s_lon, a_lon[i], abs_tol=1e-12) and math.isclose(s_lat, a_lat[i], abs_tol=1e-12)
    b_lon, b_lat = gcj02_to_wgs84_array(a_lon, a_lat)
    s_lon, s_lat = gcj02_to_wgs84(float(a_lon[1]), float(a_lat[1]))
    assert math.isclose(s_lon, b_lon[1], abs_tol=1e-10) and math.isclose(s_lat, b_lat[1], abs_tol=1e-10)


def test_matches_the_published_reference_points():
    # Test vectors of the public GCJ-02 implementations (eviltransform): WGS-84 → GCJ-02.
    for wgs, gcj in [((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),
                     ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),
                     ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069))]:
        got = wgs84_to_gcj02(*wgs)
        assert math.isclose(got[0], gcj[0], abs_tol=1e-9) and math.isclose(got[1], gcj[1], abs_tol=1e-9)
