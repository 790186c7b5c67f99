"""The standard address registry (一标三实 标准地址): import, export, list, match.

A registry belongs to a district; each address lies in one grid cell (and so one
community and street). Rows are keyed by their normalised parts (normalize.address_key):
an import updates the row with the same key, adds the others, and with `replace`
removes the district's rows the file does not hold. Everything is checked before
anything is written; every problem names its row and column."""
from __future__ import annotations

import csv
import io
import json
import math
import unicodedata
from dataclasses import dataclass
from collections.abc import Callable, Iterable

import numpy as np
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from civicloop import cache
from civicloop.addresses import matching
from civicloop.addresses.models import AddressRegistry, CaseAddressMatch, StandardAddress
from civicloop.addresses.normalize import address_key, normalize
from civicloop.errors import InvalidInput, NotFound
from civicloop.regions import service as regions
from civicloop.regions.divisions import read_district
from civicloop.regions.models import GridCell
from civicloop.settings import local_now

COLUMNS = ("address", "road", "door_number", "estate", "building", "unit", "room", "grid_code", "community_code",
           "lon", "lat")
PART_COLUMNS = ("road", "door_number", "estate", "building", "unit", "room")
LIMITS = {"address": 300, "road": 60, "door_number": 20, "estate": 60, "building": 20, "unit": 10, "room": 10,
          "grid_code": 20, "community_code": 12}
MAX_ROWS = 1_000_000
MAX_PROBLEMS_SHOWN = 20
SOURCES = ("imported", "generated")
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ImportSummary:
    district_code: str
    rows: int
    added: int
    updated: int
    removed: int
    total: int


@dataclass(frozen=True)
class SourceRow:
    """One row of a file, with where it came from for messages: 'row 12' or 'features[11]'."""
    where: str
    values: dict
    column: Callable[[str], str]  # a column's name as the file says it


# ---------------------------------------------------------------- reading files

def read_csv(content: bytes | str) -> list[SourceRow]:
    """UTF-8 (with or without BOM) CSV with a header naming COLUMNS; rows numbered from 1
    after the header."""
    text = _text(content)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    if not header or not any(header):
        raise InvalidInput("file", "empty CSV: the first line must name the columns, e.g. "
                                   + ",".join(COLUMNS))
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise InvalidInput("file", f"unknown column(s) {', '.join(map(repr, unknown))}; the columns are "
                                   + ", ".join(COLUMNS))
    if "address" not in header:
        raise InvalidInput("file", "the column 'address' (the full standard text) is required")
    reader.fieldnames = header
    rows = []
    try:
        for number, raw in enumerate(reader, start=1):
            if number > MAX_ROWS:
                raise InvalidInput("file", f"more than {MAX_ROWS:,} rows: split the file")
            if None in raw:
                raise InvalidInput("file", f"row {number}: {len(header) + len(raw[None])} fields, the header has "
                                           f"{len(header)}")
            rows.append(SourceRow(f"row {number}", {k: (v or "").strip() or None for k, v in raw.items()},
                                  lambda c: f"column {c}"))
    except csv.Error as exc:
        raise InvalidInput("file", f"not a readable CSV at line {reader.line_num}: {exc}") from None
    return rows


def read_geojson(content: bytes | str) -> list[SourceRow]:
    """A FeatureCollection of Point features (or features without geometry) in GCJ-02,
    with COLUMNS as properties; a point's coordinates stand for lon/lat."""
    try:
        data = json.loads(_text(content))
    except json.JSONDecodeError as exc:
        raise InvalidInput("file", f"not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(
            data.get("features"), list):
        raise InvalidInput("file", "a GeoJSON FeatureCollection is expected")
    if len(data["features"]) > MAX_ROWS:
        raise InvalidInput("file", f"more than {MAX_ROWS:,} features: split the file")
    rows = []
    for i, feature in enumerate(data["features"]):
        where = f"features[{i}]"
        if not isinstance(feature, dict) or not isinstance(feature.get("properties") or {}, dict):
            raise InvalidInput("file", f"{where}: a Feature with an object of properties is expected")
        props = feature.get("properties") or {}
        unknown = [k for k in props if k not in COLUMNS and k not in ("street", "community")]
        if unknown:
            raise InvalidInput("file", f"{where}.properties: unknown {', '.join(map(repr, unknown))}")
        values = {k: (None if props.get(k) is None else str(props[k]).strip() or None) for k in COLUMNS}
        geometry = feature.get("geometry")
        if geometry is not None:
            coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
            if not (isinstance(geometry, dict) and geometry.get("type") == "Point" and isinstance(coords, list)
                    and len(coords) >= 2):
                raise InvalidInput("file", f"{where}.geometry: a Point (or null) is expected")
            values["lon"], values["lat"] = str(coords[0]), str(coords[1])
        rows.append(SourceRow(where, values, lambda c, w=where: f"properties.{c}" if c not in ("lon", "lat")
                              else "geometry"))
    return rows


def read_file(name: str, content: bytes | str) -> list[SourceRow]:
    """By the name's ending: .csv, or .geojson/.json."""
    lowered = name.lower()
    if lowered.endswith(".csv"):
        return read_csv(content)
    if lowered.endswith((".geojson", ".json")):
        return read_geojson(content)
    raise InvalidInput("file", f"{name}: a .csv or .geojson file is expected")


def _text(content: bytes | str) -> str:
    if isinstance(content, str):
        return content.removeprefix("\ufeff")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput("file", f"not UTF-8 text (byte {exc.start}): save it as UTF-8") from None


# ---------------------------------------------------------------- import

def _number(value: str | None, low: float, high: float) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and low <= number <= high else None


def _check(session: Session, district_code: str, rows: list[SourceRow], progress: Progress | None) -> list[dict]:
    """The rows as table values, or InvalidInput listing every problem found."""
    cells = dict(session.execute(select(GridCell.code, GridCell.community_code)
                                 .where(GridCell.district_code == district_code)).all())
    problems: list[str] = []
    checked: list[dict] = []
    seen: dict[str, str] = {}
    points = [(i, _number(r.values.get("lon"), -180, 180), _number(r.values.get("lat"), -90, 90))
              for i, r in enumerate(rows)]
    located = {}
    with_points = [(i, lon, lat) for i, lon, lat in points if lon is not None and lat is not None]
    if with_points:
        found = regions.locate_many(session, district_code, np.array([p[1] for p in with_points]),
                                    np.array([p[2] for p in with_points]))
        located = {i: found.grid_code[k] for k, (i, _, _) in enumerate(with_points)}
    for i, row in enumerate(rows):
        if progress and i % 2000 == 0:
            progress("检查", i, len(rows))
        v = row.values

        def problem(column: str, what: str, row: SourceRow = row) -> None:
            problems.append(f"{row.where}, {row.column(column)}: {what}")

        for column, limit in LIMITS.items():
            if v.get(column) and len(v[column]) > limit:
                problem(column, f"at most {limit} characters, got {len(v[column])}")
        if not v.get("address"):
            problem("address", "the full standard text is required")
        if not (v.get("road") and v.get("door_number")) and not v.get("estate"):
            problem("road", "a road with a door number (road, door_number), or an estate, is required")
        for column in ("door_number", "building", "unit", "room"):
            if v.get(column) and not any(ch.isalnum() for ch in normalize(v[column])):
                problem(column, f"{v[column]!r} is not a number or label")
        lon_lat = [v.get("lon"), v.get("lat")]
        if any(lon_lat) and not all(lon_lat):
            problem("lon", "give both lon and lat, or neither")
        _, lon, lat = points[i]
        if v.get("lon") and lon is None:
            problem("lon", f"{v['lon']!r} is not a longitude")
        if v.get("lat") and lat is None:
            problem("lat", f"{v['lat']!r} is not a latitude")
        grid = v.get("grid_code")
        in_cell = located.get(i)
        if lon is not None and lat is not None and in_cell is None:
            problem("lon", f"({lon}, {lat}) lies in no grid cell of district {district_code} (GCJ-02 expected)")
        if grid and grid not in cells:
            problem("grid_code", f"no grid cell {grid} in district {district_code}")
        elif grid and in_cell and in_cell != grid:
            problem("grid_code", f"the point ({lon}, {lat}) lies in grid cell {in_cell}, not {grid}")
        grid = grid or in_cell
        if not grid and not v.get("lon"):
            problem("grid_code", "a grid cell (grid_code) or a point (lon, lat) is required")
        community = cells.get(grid) if grid else None
        if v.get("community_code") and community and v["community_code"] != community:
            problem("community_code", f"grid cell {grid} lies in community {community}, not {v['community_code']}")
        key = address_key(**{c: v.get(c) for c in PART_COLUMNS})
        if key in seen:
            problem("address", f"the same address as {seen[key]} (same road, door, estate, building, unit, room)")
        seen.setdefault(key, row.where)
        if community:
            checked.append({"district_code": district_code, "street_code": community[:9], "community_code": community,
                            "grid_code": grid, "text": v.get("address") or "", "lon": lon, "lat": lat, "key": key[:300],
                            **{c: v.get(c) for c in PART_COLUMNS}})
    if problems:
        shown = "; ".join(problems[:MAX_PROBLEMS_SHOWN])
        more = f" … and {len(problems) - MAX_PROBLEMS_SHOWN} more" if len(problems) > MAX_PROBLEMS_SHOWN else ""
        raise InvalidInput("file", f"{len(problems)} problem(s), nothing imported: {shown}{more}",
                           problems=problems[:1000])
    return checked


def import_addresses(session: Session, district_code: str, rows: list[SourceRow], *, replace: bool = False,
                     source: str = "imported", progress: Progress | None = None) -> ImportSummary:
    """Add and update the district's addresses from `rows` (read_csv, read_geojson);
    `replace` also removes the addresses the rows do not hold. All or nothing."""
    if source not in SOURCES:
        raise InvalidInput("source", f"one of {', '.join(SOURCES)}, not {source!r}")
    district = regions.get_district(session, district_code)
    if not rows:
        raise InvalidInput("file", "no addresses in the file")
    values = _check(session, district_code, rows, progress)
    existing = dict(session.execute(select(StandardAddress.key, StandardAddress.id)
                                    .where(StandardAddress.district_code == district_code)).all())
    new = [v for v in values if v["key"] not in existing]
    changed = [{"id": existing[v["key"]], **v} for v in values if v["key"] in existing]
    keys = {v["key"] for v in values}
    gone = [i for k, i in existing.items() if k not in keys] if replace else []
    total = len(new) + len(changed) + len(gone)
    done = 0
    for start in range(0, max(len(gone), 1), 5000):
        chunk = gone[start:start + 5000]
        if chunk:
            session.execute(update(CaseAddressMatch).where(CaseAddressMatch.address_id.in_(chunk))
                            .values(address_id=None))
            session.execute(delete(StandardAddress).where(StandardAddress.id.in_(chunk)))
            done += len(chunk)
    for batch, statement in ((changed, update(StandardAddress)), (new, insert(StandardAddress))):
        for start in range(0, len(batch), 5000):
            session.execute(statement, batch[start:start + 5000])
            done += len(batch[start:start + 5000])
            if progress:
                progress("写入", done, total)
    _touch(session, district_code, district.name, source)
    count = session.scalar(select(func.count()).select_from(StandardAddress)
                           .where(StandardAddress.district_code == district_code))
    return ImportSummary(district_code, len(rows), len(new), len(changed), len(gone), count)


def _full_name(district_code: str, district_name: str) -> str:
    """湖北省武汉市武昌区; for a district the package's divisions lack, its own name."""
    try:
        return read_district(district_code).full_name
    except NotFound:
        return district_name


def _touch(session: Session, district_code: str, district_name: str, source: str) -> None:
    """Raise the registry's version (so every process rebuilds its matching index)."""
    registry = session.get(AddressRegistry, district_code)
    if registry is None:
        session.add(AddressRegistry(district_code=district_code, full_name=_full_name(district_code, district_name),
                                    source=source, version=1, updated_at=local_now()))
    else:
        registry.version += 1
        registry.source = source
        registry.updated_at = local_now()
    session.flush()
    cache.changed(session, matching.REGISTRIES)


def generate_demo_registry(session: Session, district_code: str, *, seed: int = 1,
                           progress: Progress | None = None) -> ImportSummary:
    """Fill the district's registry with generated addresses (addresses/generate.py):
    demo data, not surveyed."""
    from civicloop.addresses.generate import generate

    district = regions.get_district(session, district_code)
    full_name = _full_name(district_code, district.name)
    rows = [SourceRow(f"row {i}", {k: (None if v is None else str(v)) for k, v in r.items()}, lambda c: c)
            for i, r in enumerate(generate(session, district_code, full_name, seed=seed), start=1)]
    return import_addresses(session, district_code, rows, replace=True, source="generated", progress=progress)


# ---------------------------------------------------------------- reading the registry

def list_addresses(session: Session, *, district_code: str | None = None, grid_code: str | None = None,
                   community_code: str | None = None, q: str | None = None, limit: int = 100,
                   offset: int = 0) -> list[StandardAddress]:
    """In text order; `q` is a piece of the standard text (full-width forms as half-width)."""
    query = select(StandardAddress)
    if district_code:
        query = query.where(StandardAddress.district_code == district_code)
    if grid_code:
        query = query.where(StandardAddress.grid_code == grid_code)
    if community_code:
        query = query.where(StandardAddress.community_code == community_code)
    if q and q.strip():
        query = query.where(StandardAddress.text.contains(unicodedata.normalize("NFKC", q.strip()), autoescape=True))
    return list(session.scalars(query.order_by(StandardAddress.grid_code, StandardAddress.text, StandardAddress.id)
                                .limit(limit).offset(offset)))


def export_rows(session: Session, district_code: str) -> Iterable[dict]:
    regions.get_district(session, district_code)
    for a in session.scalars(select(StandardAddress).where(StandardAddress.district_code == district_code)
                             .order_by(StandardAddress.grid_code, StandardAddress.id)):
        yield {"address": a.text, **{c: getattr(a, c) for c in PART_COLUMNS}, "grid_code": a.grid_code,
               "community_code": a.community_code, "lon": a.lon, "lat": a.lat}


def export_csv(session: Session, district_code: str) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(export_rows(session, district_code))
    return out.getvalue()


def export_geojson(session: Session, district_code: str) -> dict:
    features = []
    for row in export_rows(session, district_code):
        lon, lat = row.pop("lon"), row.pop("lat")
        geometry = {"type": "Point", "coordinates": [lon, lat]} if lon is not None else None
        features.append({"type": "Feature", "geometry": geometry, "properties": row})
    return {"type": "FeatureCollection", "coordinate_system": "GCJ-02", "features": features}


# ---------------------------------------------------------------- matching

def check_text(text: str | None) -> str:
    if text is None or not text.strip():
        raise InvalidInput("text", "an address is required")
    if len(text) > matching.TEXT_MAX:
        raise InvalidInput("text", f"at most {matching.TEXT_MAX} characters, got {len(text)}")
    return text


def match_address(session: Session, district_code: str, text: str) -> matching.Match:
    """The standard address `text` names in the district, or a flagged match saying why
    not (ambiguous: with the candidates; unresolved: nothing close enough)."""
    check_text(text)
    index = matching.index_for(session, district_code)
    if index is None:
        regions.get_district(session, district_code)  # NotFound names a district not set up
        return matching.unresolved(text, f"区 {district_code} 尚无标准地址库（civicloop addresses import）")
    if not normalize(text):
        return matching.unresolved(text, "地址中没有可读的文字")
    return matching.decide(index, text)


def locate_case_address(session: Session, district_code: str, text: str) -> matching.Match:
    """For intake: like match_address, but an address that cannot be read is a flagged
    result, not an error (the case is still taken)."""
    try:
        return match_address(session, district_code, text)
    except InvalidInput as exc:
        return matching.unresolved(text or "", exc.detail)


def record_case_match(session: Session, case_id: int, match: matching.Match) -> None:
    session.add(CaseAddressMatch(case_id=case_id, status=match.status,
                                 address_id=match.address.address_id if match.address else None,
                                 score=match.score, reasons=list(match.reasons),
                                 candidate_ids=[c.address_id for c in match.candidates]))
    session.flush()


def case_match(session: Session, case_id: int) -> CaseAddressMatch | None:
    return session.get(CaseAddressMatch, case_id)
