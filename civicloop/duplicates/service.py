"""Duplicate detection: candidate open cases for a new one, with a score and the reasons.

A case (or a draft before intake) is compared with the OPEN cases of its district that
are near it and were reported within a time window of it:

- near: the same grid cell, a neighbouring cell (sharing an edge or a corner), within
  `radius_m` metres when both have a point, or the same community when only that is known.
  These cells are found in the district's grid index (regions/locator.py), and the cases
  in them through the index on cases (grid_code, reported_at) (or community_code); a
  draft with no place at all is compared with the cases holding its title's words (the
  full-text index).
- alike: the cosine of their distinct terms (cases/search.py `terms`: pairs of Chinese
  characters, Latin words), a term of the title weighing TITLE_WEIGHT;
- the same category (同一小类) or a related one (the same parent);
- close in time.

A case is a candidate only when its text is at least TEXT_MIN alike and it is near: two
different matters in one grid cell are not duplicates, nor is the same complaint far away.
The score in [0, 1] weighs text, place, category and time (WEIGHTS); the reasons say in
words what was found. Merging is the lifecycle's `merge` action.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from weakref import WeakKeyDictionary

import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicloop.cases.lifecycle import OPEN
from civicloop.cases.models import Case, CaseSearch
from civicloop.cases.search import any_term_ids, terms, tokens
from civicloop.cases.service import BODY_MAX, TITLE_MAX, CaseRecord
from civicloop.errors import InvalidInput

DEFAULT_WINDOW_DAYS = 7     # reported at most this long before (or after) the case
DEFAULT_RADIUS_M = 200.0    # two points this close are near, whatever their cells
DEFAULT_MIN_SCORE = 0.5
DEFAULT_LIMIT = 10
WINDOW_DAYS_MAX = 365
RADIUS_M_MAX = 5_000.0
TEXT_MIN = 0.25             # rewritten copies of real messages score 0.36–1, different ones below 0.12 (99 %)
TITLE_WEIGHT = 2.0          # a term of the title counts twice a term of the text
WEIGHTS = {"text": 0.6, "place": 0.2, "category": 0.1, "time": 0.1}
ROWS_MAX = 2_000            # cases compared at most: a bound for a hot spot, not a sample
SEARCH_TERMS = 8            # title terms a draft without a place is searched by
_OPEN_STATES = tuple(sorted(s.value for s in OPEN))
_COLUMNS = (Case.id, Case.district_code, Case.reported_at, Case.state, Case.title, Case.category_id,
            Case.grid_code, Case.community_code, Case.lon, Case.lat)
METRES_PER_DEGREE = 111_320.0


@dataclass(frozen=True)
class Subject:
    """What is compared: a case already taken in, or a draft (no id)."""
    title: str
    body: str
    district_code: str
    reported_at: dt.datetime
    grid_code: str | None = None
    community_code: str | None = None
    lon: float | None = None
    lat: float | None = None
    category_id: int | None = None
    case_id: int | None = None


@dataclass
class Candidate:
    case: CaseRecord
    score: float
    text: float
    reasons: list[str] = field(default_factory=list)


def of_case(case) -> Subject:
    """The subject for a case row (its point only if it has a grid cell to go with it)."""
    return Subject(title=case.title, body=case.body, district_code=case.district_code, reported_at=case.reported_at,
                   grid_code=case.grid_code, community_code=case.community_code, lon=case.lon, lat=case.lat,
                   category_id=case.category_id, case_id=case.id)


def draft(session: Session, *, title: str | None, text: str | None, district_code: str, now: dt.datetime,
          lon: float | None = None, lat: float | None = None, crs: str = "gcj02", grid_code: str | None = None,
          category: str | int | None = None) -> Subject:
    """A case about to be taken in, checked and located as intake would."""
    from civicloop.cases.service import NewCase, place_of
    from civicloop.categories.service import category_id

    title = (title or "").strip()
    if not text or not text.strip():
        raise InvalidInput("text", "must not be empty")
    if len(text) > BODY_MAX:
        raise InvalidInput("text", f"at most {BODY_MAX} characters, got {len(text)}")
    if len(title) > TITLE_MAX:
        raise InvalidInput("title", f"at most {TITLE_MAX} characters, got {len(title)}")
    if (lon is None) != (lat is None):
        raise InvalidInput("location", "give both lon and lat, or neither")
    # Located as intake locates a case (the locator refuses a point outside the district).
    place = place_of(session, NewCase(channel="web", title=title, body=text, district_code=district_code, lon=lon,
                                     lat=lat, crs=crs, grid_code=grid_code))
    return Subject(title=title, body=text.strip(), district_code=district_code, reported_at=now,
                   category_id=category_id(session, category) if category not in (None, "") else None,
                   grid_code=place.get("grid_code"), community_code=place.get("community_code"),
                   lon=place.get("lon") if lon is not None else None, lat=place.get("lat") if lat is not None else None)


def _check(window_days: float, radius_m: float, min_score: float, limit: int) -> None:
    if not 0 < window_days <= WINDOW_DAYS_MAX:
        raise InvalidInput("window_days", f"between 0 and {WINDOW_DAYS_MAX} days, got {window_days}")
    if not 0 <= radius_m <= RADIUS_M_MAX:
        raise InvalidInput("radius_m", f"between 0 and {RADIUS_M_MAX:.0f} metres, got {radius_m}")
    if not 0 <= min_score <= 1:
        raise InvalidInput("min_score", f"between 0 and 1, got {min_score}")
    if not 1 <= limit <= 100:
        raise InvalidInput("limit", f"between 1 and 100, got {limit}")


def candidates(session: Session, subject, *, window_days: float = DEFAULT_WINDOW_DAYS,
               radius_m: float = DEFAULT_RADIUS_M, min_score: float = DEFAULT_MIN_SCORE,
               limit: int = DEFAULT_LIMIT) -> list[Candidate]:
    """Open cases that `subject` (a Subject, or a case row) may repeat, best first."""
    _check(window_days, radius_m, min_score, limit)
    subject = subject if isinstance(subject, Subject) else of_case(subject)
    window = dt.timedelta(days=window_days)
    query = select(*_COLUMNS, CaseSearch.tokens).outerjoin(CaseSearch, CaseSearch.case_id == Case.id).where(
        Case.district_code == subject.district_code, Case.state.in_(_OPEN_STATES),
        Case.reported_at >= subject.reported_at - window, Case.reported_at <= subject.reported_at + window)
    if subject.case_id is not None:
        query = query.where(Case.id != subject.case_id)
    cells = _near_cells(session, subject, radius_m)
    if cells:
        query = query.where(Case.grid_code.in_(cells))
    elif subject.community_code:
        query = query.where(Case.community_code == subject.community_code)
    else:
        words = list(dict.fromkeys(terms(subject.title or subject.body)))[:SEARCH_TERMS]
        query = query.where(Case.id.in_(any_term_ids(session, words)))
    # No ORDER BY: sorted by time, SQLite would walk the whole window on the reported_at
    # index instead of reading the few cells off (grid_code, reported_at).
    rows = session.execute(query.limit(ROWS_MAX)).all()
    mine = _terms(subject.title, tokens(subject.title + " " + subject.body))
    must_be_near = bool(cells) or subject.community_code is not None
    found = []
    for row in rows:
        text = _cosine(mine, _terms(row.title, row.tokens or tokens(row.title)))
        if text < TEXT_MIN:
            continue
        place, place_reason = _place(subject, row, cells.get(row.grid_code) if cells else None, radius_m)
        if must_be_near and not place:
            continue  # in a cell the radius touches, but farther than the radius
        category, category_reason = _category(session, subject.category_id, row.category_id)
        age = abs(row.reported_at - subject.reported_at)
        when = 1 - age / window
        score = (WEIGHTS["text"] * text + WEIGHTS["place"] * place + WEIGHTS["category"] * category
                 + WEIGHTS["time"] * when)
        if score < min_score:
            continue
        reasons = [r for r in (place_reason, f"文本相似 {text:.2f}", category_reason, _days(age)) if r]
        found.append(Candidate(CaseRecord(row._mapping), round(score, 3), round(text, 3), reasons))
    found.sort(key=lambda c: (-c.score, -c.case.reported_at.timestamp(), c.case.id))
    return found[:limit]


# ---------------------------------------------------------------- text

@dataclass(frozen=True)
class _Terms:
    """The distinct terms of a case's whole text (title and text) and of its title alone. A
    term weighs 1, or TITLE_WEIGHT when it is in the title, so the cosine is a few set
    intersections (in C). Single characters are left out: they say little about a matter."""
    all: frozenset
    title: frozenset
    norm: float


_LONGER_THAN_ONE = re.compile(r"[^ ]{2,}")  # the tokens but single characters, picked out in C


def _terms(title: str, indexed: str) -> _Terms:
    """`indexed`: the case's words as case_search keeps them (cases/search.py `tokens`), read
    rather than cut again: cutting every near case's text would cost more than the query."""
    every = frozenset(_LONGER_THAN_ONE.findall(indexed))
    heading = frozenset(t for t in terms(title) if len(t) > 1) & every
    extra = TITLE_WEIGHT - 1
    return _Terms(every, heading, math.sqrt(len(every) + (2 * extra + extra * extra) * len(heading)))


def _cosine(a: _Terms, b: _Terms) -> float:
    if not a.norm or not b.norm:
        return 0.0
    extra = TITLE_WEIGHT - 1
    dot = (len(a.all & b.all) + extra * (len(a.all & b.title) + len(a.title & b.all))
           + extra * extra * len(a.title & b.title))
    return dot / (a.norm * b.norm)


# ---------------------------------------------------------------- place

_NEAR, _SAME, _NEIGHBOUR, _COMMUNITY = "near", "same", "neighbour", "community"
_PLACE_SCORES = {_SAME: 1.0, _NEIGHBOUR: 0.7, _COMMUNITY: 0.5}
_cell_index: WeakKeyDictionary = WeakKeyDictionary()


def _near_cells(session: Session, subject: Subject, radius_m: float) -> dict[str, str]:
    """grid code → how it is near the subject (same, neighbour, or only within the radius
    of its point), from the district's grid index; empty when the subject has no cell."""
    if subject.grid_code is None:
        return {}
    from civicloop.regions.locator import locator_for

    found = locator_for(session, subject.district_code)
    index = _cell_index.get(found)
    if index is None:
        index = _cell_index.setdefault(found, {code: i for i, code in enumerate(found.codes)})
    cells: dict[str, str] = {}
    if subject.lon is not None and radius_m > 0:
        dx = radius_m / (METRES_PER_DEGREE * math.cos(math.radians(subject.lat)))
        dy = radius_m / METRES_PER_DEGREE
        around = shapely.box(subject.lon - dx, subject.lat - dy, subject.lon + dx, subject.lat + dy)
        cells.update((found.codes[i], _NEAR) for i in found.tree.query(around, predicate="intersects"))
    own = index.get(subject.grid_code)
    if own is not None:
        neighbours = found.tree.query(found.tree.geometries[own], predicate="intersects")
        cells.update((found.codes[i], _NEIGHBOUR) for i in neighbours)
    cells[subject.grid_code] = _SAME
    return cells


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Metres between two nearby points (equirectangular: exact enough within a district)."""
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(x, math.radians(lat2 - lat1)) * 6_371_000


def _place(subject: Subject, row, how: str | None, radius_m: float) -> tuple[float, str | None]:
    best, why = 0.0, None
    if how in _PLACE_SCORES:
        best, why = _PLACE_SCORES[how], "同一网格" if how == _SAME else "相邻网格"
    elif how is None and subject.community_code and row.community_code == subject.community_code:
        best, why = _PLACE_SCORES[_COMMUNITY], "同一社区"
    if subject.lon is not None and row.lon is not None and radius_m > 0:
        metres = distance_m(subject.lon, subject.lat, row.lon, row.lat)
        if metres <= radius_m and 1 - 0.5 * metres / radius_m > best:
            best, why = 1 - 0.5 * metres / radius_m, f"相距 {metres:.0f} 米"
    return best, why


# ---------------------------------------------------------------- category and time

_SAME_LEVEL = {1: "同一大类", 2: "同一中类", 3: "同一小类"}


def _category(session: Session, mine: int | None, theirs: int | None) -> tuple[float, str | None]:
    """The same category, a related one (the same parent), or neither; unknown counts half."""
    if mine is None or theirs is None:
        return 0.5, None
    from civicloop.categories.service import label_of, lineage

    chain = lineage(session, mine)
    if mine == theirs:
        return 1.0, _SAME_LEVEL.get(len(chain), "同一类别")
    their_chain = lineage(session, theirs)
    if len(chain) > 1 and len(their_chain) > 1 and chain[1] == their_chain[1]:
        label = label_of(session, chain[1])
        return 0.6, f"相关类别（同属{label[1] if label else chain[1]}）"
    return 0.0, None


def _days(age: dt.timedelta) -> str:
    days = max(1, math.ceil(age / dt.timedelta(days=1)))
    return f"{days} 天内"
