"""What the region endpoints take and give (pydantic): districts, the region tree, grid
cells as GeoJSON, and point location."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

CoordinateSystem = Literal["GCJ-02", "WGS-84"]
Crs = Literal["gcj02", "wgs84"]


class DistrictOut(BaseModel):
    code: str = Field(description="6-digit NBS code")
    name: str
    kind: str
    area_m2: float | None
    streets: int
    communities: int
    cells: int = Field(description="grid cells (单元网格)")


class RegionNode(BaseModel):
    """A district, street or community, with the number of grid cells under it."""
    code: str
    name: str
    level: Literal["district", "street", "community"]
    kind: str = Field(description="admin, or non_admin (开发区, 风景区, 农场 …)")
    area_m2: float | None
    cells: int
    children: list[RegionNode] = []


class Person(BaseModel):
    id: int
    username: str
    name: str


class Geometry(BaseModel):
    """A GeoJSON geometry (Polygon or MultiPolygon for cells)."""
    model_config = ConfigDict(extra="allow")
    type: str
    coordinates: list[Any]


class GridProperties(BaseModel):
    code: str
    community_code: str
    community: str | None
    street_code: str
    street: str | None
    district_code: str
    area_m2: float
    source: str = Field(description="generated (cut by civicloop) or imported (surveyed)")
    worker: Person | None = Field(description="the cell's grid worker (一格一员)")


class GridFeature(BaseModel):
    """One grid cell as a GeoJSON Feature; `coordinate_system` says which system its
    coordinates are in (stored in GCJ-02)."""
    type: Literal["Feature"] = "Feature"
    id: str
    geometry: Geometry
    properties: GridProperties
    coordinate_system: CoordinateSystem


class GridCollection(BaseModel):
    """Grid cells as a GeoJSON FeatureCollection (RFC 7946 member names; `coordinate_system`
    is a foreign member: GCJ-02 unless crs=wgs84 was asked for)."""
    type: Literal["FeatureCollection"] = "FeatureCollection"
    coordinate_system: CoordinateSystem
    district: dict[str, str]
    features: list[GridFeature]


class Place(BaseModel):
    code: str
    name: str | None


class LocationOut(BaseModel):
    lon: float
    lat: float
    crs: Crs = Field(description="the system the point was given in")
    district: Place
    street: Place
    community: Place
    grid: Place


class GridImportOut(BaseModel):
    district_code: str
    features: int
    cells: int = Field(description="the district's cells after the import")
    area_km2: float
    coverage: float | None = Field(description="share of the district's area the cells cover")
