"""The district's outline for the public: the district, its streets and its communities as
GeoJSON (GCJ-02), for the citizen portal's map to put a pin on. Open to anyone, so nothing
in it is personal (no grid workers, no cases), it is limited per client address like the
public intake, and it is cacheable (an ETag of its content, 304 on If-None-Match)."""
from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select

from civicloop.api.conditional import etag_of, send
from civicloop.api.deps import read, write
from civicloop.auth.service import hit
from civicloop.auth.views import client_address
from civicloop.cases.views import only_district
from civicloop.regions import service
from civicloop.regions.models import Region
from civicloop.settings import get_settings, local_now

router = APIRouter(tags=["public"])
GEOJSON = "application/geo+json"
# Boundaries change only when a district is built or its communities are imported again:
# a browser may keep the outline for an hour, then asks again with its ETag.
CACHE = "public, max-age=3600"


def outline(session, district_code: str) -> dict:
    """The district, its streets and communities that have a boundary, as a FeatureCollection."""
    district = service.get_district(session, district_code)
    regions = session.scalars(select(Region).where(Region.district_code == district.code,
                                                   Region.geometry.is_not(None)).order_by(Region.code))
    return {"type": "FeatureCollection", "coordinate_system": "GCJ-02",
            "district": {"code": district.code, "name": district.name},
            "features": [{"type": "Feature", "id": r.code, "geometry": json.loads(r.geometry),
                          "properties": {"code": r.code, "name": r.name, "level": r.level,
                                         "parent_code": r.parent_code}} for r in regions]}


@router.get("/public/outline", response_class=Response, summary="The district's streets and communities (GeoJSON), "
            "without an account",
            responses={200: {"content": {GEOJSON: {}}, "description": "a FeatureCollection in GCJ-02"},
                       304: {"description": "Not modified: the outline is as the ETag given in If-None-Match"}})
def public_outline(
    request: Request,
    district: Annotated[str | None, Query(pattern=r"^\d{6}$", description="default: the only district")] = None,
) -> Response:
    """The boundaries of the district, its streets and communities (`level`), each with its
    code and name, in GCJ-02 — the system a case's lon/lat are stored in, so a point picked
    on this map is sent as it is. Limited per client address (429 with Retry-After)."""
    settings = get_settings()
    with write(request) as session:
        hit(session, "public-outline:" + client_address(request), now=local_now(), limit=settings.public_rate_limit,
            window_seconds=settings.public_rate_window_seconds)
    with read(request) as session:
        body = json.dumps(outline(session, district or only_district(session)), ensure_ascii=False,
                          separators=(",", ":")).encode()
    return send(request, body, etag=etag_of(body), media_type=GEOJSON, headers={"Cache-Control": CACHE})
