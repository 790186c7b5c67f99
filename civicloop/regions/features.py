"""Checks on an imported GeoJSON FeatureCollection of polygons (grid cells or
surveyed communities), all made before anything is written: each problem names the
feature index and what is wrong, and every problem is reported, not just the first."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from civicloop.errors import InvalidInput
from civicloop.regions.boundary import geometry_of
from civicloop.regions.derive import LocalProjection

# A feature may stick out of the district boundary, or into its neighbour, by this
# much: rounding in other tools' exports, not a mistake worth refusing a file for.
OUTSIDE_TOLERANCE_M = 0.5
OVERLAP_TOLERANCE_M2 = 1.0
_SHOWN_PROBLEMS = 10


@dataclass(frozen=True)
class Features:
    geometries: np.ndarray  # shapely polygons, GCJ-02
    properties: list[dict]


def _fail(problems: list[tuple[str, str]]) -> None:
    field, detail = problems[0]
    shown = "; ".join(f"{f}: {d}" for f, d in problems[:_SHOWN_PROBLEMS])
    more = f" (and {len(problems) - _SHOWN_PROBLEMS} more)" if len(problems) > _SHOWN_PROBLEMS else ""
    raise InvalidInput(field, detail if len(problems) == 1 else f"{len(problems)} problems: {shown}{more}",
                       problems=[{"field": f, "detail": d} for f, d in problems])


def read_features(geojson, boundary: BaseGeometry, projection: LocalProjection, label: str,
                  check_properties: Callable[[int, dict], list[tuple[str, str]]]) -> Features:
    """Parse and check a FeatureCollection of Polygon/MultiPolygon features against a
    district boundary (GCJ-02); `check_properties(index, properties)` returns the
    problems of one feature's properties as (field, detail). Raises InvalidInput
    listing every problem."""
    if not isinstance(geojson, dict) or geojson.get("type") != "FeatureCollection":
        raise InvalidInput("geojson", "must be a GeoJSON FeatureCollection")
    features = geojson.get("features")
    if not isinstance(features, list) or not features:
        raise InvalidInput("geojson.features", "must be a non-empty list of features")

    problems: list[tuple[str, str]] = []
    geoms: list[BaseGeometry | None] = []
    props: list[dict] = []
    for i, feature in enumerate(features):
        where = f"features[{i}]"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            problems.append((where, "is not a GeoJSON Feature"))
            geoms.append(None)
            props.append({})
            continue
        props.append(feature.get("properties") if isinstance(feature.get("properties"), dict) else {})
        problems.extend(check_properties(i, props[-1]))
        try:
            geom = geometry_of(feature.get("geometry") or {}, f"{where}.geometry")
        except InvalidInput as exc:
            problems.append((exc.field, exc.detail))
            geoms.append(None)
            continue
        if geom.is_empty:
            problems.append((f"{where}.geometry", "is empty"))
            geom = None
        elif not geom.is_valid:
            problems.append((f"{where}.geometry", f"invalid polygon: {shapely.is_valid_reason(geom)}"))
            geom = None
        geoms.append(geom)

    good = np.array([g is not None for g in geoms])
    arr = np.array(geoms, dtype=object)
    local = np.full(len(arr), None, dtype=object)
    local[good] = projection.to_local(arr[good])
    district = projection.to_local(boundary)

    outside = shapely.area(shapely.difference(local[good], district))
    tolerated = shapely.buffer(district, OUTSIDE_TOLERANCE_M)
    shapely.prepare(tolerated)
    stick_out = ~shapely.covers(tolerated, local[good])
    for i, area, out in zip(np.flatnonzero(good).tolist(), outside.tolist(), stick_out.tolist()):
        if out:
            problems.append((f"features[{i}].geometry", f"lies partly outside {label} ({area:.1f} m² outside)"))

    tree = shapely.STRtree(local)
    left, right = tree.query(local, predicate="intersects")
    pairs = left < right
    left, right = left[pairs], right[pairs]
    shared = shapely.area(shapely.intersection(local[left], local[right]))
    for i, j, area in zip(left.tolist(), right.tolist(), shared.tolist()):
        if area > OVERLAP_TOLERANCE_M2:
            problems.append((f"features[{j}].geometry", f"overlaps features[{i}] by {area:.1f} m²"))

    if problems:
        _fail(problems)
    return Features(arr, props)
