"""HTTP endpoints of the standard address registry: list, match a written address, and
the admin's import (CSV or GeoJSON as the request body)."""
from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from civicloop.addresses import service
from civicloop.addresses.matching import Candidate, Match
from civicloop.addresses.models import StandardAddress
from civicloop.addresses.schemas import AddressOut, CandidateOut, ImportOut, MatchIn, MatchOut
from civicloop.api.deps import Editor, Reader, read, write
from civicloop.errors import TooLarge, UnsupportedType

router = APIRouter(tags=["addresses"])
IMPORT_MAX_BYTES = 64 * 2**20
IMPORT_TYPES = {"text/csv": service.read_csv, "application/geo+json": service.read_geojson,
                "application/json": service.read_geojson}


def address_out(a: StandardAddress) -> AddressOut:
    return AddressOut(id=a.id, text=a.text, road=a.road, door_number=a.door_number, estate=a.estate,
                      building=a.building, unit=a.unit, room=a.room, grid_code=a.grid_code,
                      community_code=a.community_code, street_code=a.street_code, district_code=a.district_code,
                      lon=a.lon, lat=a.lat)


def _candidate(c: Candidate) -> CandidateOut:
    return CandidateOut(**{**asdict(c), "reasons": list(c.reasons)})


def match_out(m: Match) -> MatchOut:
    a = m.address
    return MatchOut(status=m.status, text=m.text, normalized=m.normalized, parts=m.parts,
                    address=_candidate(a) if a else None, grid_code=a.grid_code if a else None,
                    community_code=a.community_code if a else None, street_code=a.street_code if a else None,
                    score=m.score, reasons=list(m.reasons), candidates=[_candidate(c) for c in m.candidates])


@router.get("/addresses", response_model=list[AddressOut], summary="Standard addresses (一标三实 标准地址)")
def list_addresses(
    request: Request, principal: Reader,
    district: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    grid: Annotated[str | None, Query(pattern=r"^\d{13,20}$", description="a grid cell's code")] = None,
    community: Annotated[str | None, Query(pattern=r"^\d{12}$")] = None,
    q: Annotated[str | None, Query(max_length=100, description="a piece of the standard text")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[AddressOut]:
    """By grid cell, then text."""
    with read(request) as session:
        return [address_out(a) for a in service.list_addresses(
            session, district_code=district, grid_code=grid, community_code=community, q=q, limit=limit,
            offset=offset)]


@router.post("/addresses/match", response_model=MatchOut, summary="The standard address a written address names")
def match_address(request: Request, body: MatchIn, principal: Reader) -> MatchOut:
    """Always 200 for a readable request: `status` says whether the address was resolved
    to one standard address and grid cell, or flagged (ambiguous, with the candidates;
    unresolved, with why). Nothing below the threshold is returned as resolved."""
    with read(request) as session:
        return match_out(service.match_address(session, body.district_code, body.text))


@router.post("/addresses/import", response_model=ImportOut, summary="Import standard addresses (admin)",
             openapi_extra={"requestBody": {"required": True, "content": {
                 "text/csv": {"schema": {"type": "string"}},
                 "application/geo+json": {"schema": {"type": "object"}}}}})
async def import_addresses(
    request: Request, principal: Editor,
    district: Annotated[str, Query(pattern=r"^\d{6}$")],
    replace: Annotated[bool, Query(description="also remove the addresses the file does not hold")] = False,
) -> ImportOut:
    """The body is the file: CSV (text/csv, header naming the columns) or a GeoJSON
    FeatureCollection of points (application/geo+json). All or nothing; a 422 lists every
    problem by row and column."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    reader = IMPORT_TYPES.get(content_type)
    if reader is None:
        raise UnsupportedType("content-type", f"send text/csv or application/geo+json, not {content_type!r}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > IMPORT_MAX_BYTES:
            raise TooLarge("body", f"at most {IMPORT_MAX_BYTES // 2**20} MiB")

    def run() -> service.ImportSummary:
        rows = reader(bytes(body))
        with write(request) as session:
            return service.import_addresses(session, district, rows, replace=replace)

    return ImportOut(**asdict(await run_in_threadpool(run)))
