"""A written address → the standard address it names, or a flag saying why not.

1. `normalize` the text (normalize.py), drop the province, city and district in front.
2. Parse it into parts against the vocabulary of the district's registry: street (…街道),
   community (…社区), road + door number (…路12号), estate (exact, else one character
   off), building, unit, room.
3. Candidates come from indexes: road + door number, estate, and community + building
   (the “…社区…栋” form). Each is scored on the parts the caller wrote (weights below): a
   part written and registered alike counts fully, an estate one character off counts
   0.8, a part that contradicts counts nothing, a registered part the caller left out
   below the ones written (unit, room) costs a little, so the least specific fitting
   address wins.
4. Never a guess: below THRESHOLD nothing is resolved (unresolved), and when another
   grid cell's address scores within MARGIN of the best, the caller gets the candidates
   (ambiguous)."""
from __future__ import annotations

import re
import threading
from collections import defaultdict
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicloop import cache
from civicloop.addresses.models import AddressRegistry, StandardAddress
from civicloop.addresses.normalize import admin_names, estate_key, normalize, number_key
from civicloop.regions.models import Region

THRESHOLD = 0.8
MARGIN = 0.03
WEIGHTS = {"street": 1.5, "community": 1.5, "road": 1.5, "door_number": 1.5, "estate": 3.0, "building": 2.0,
           "unit": 1.0, "room": 0.5}
LABELS = {"street": "街道", "community": "社区", "road": "街路巷", "door_number": "门牌号", "estate": "小区",
          "building": "楼栋", "unit": "单元", "room": "户室"}
TYPO_CREDIT = 0.8        # an estate name one character off
UNASKED_COST = 0.04      # per registered part finer than what was written (estate, building, unit, room)
MAX_CANDIDATES = 5
TEXT_MAX = 300
FINER = ("estate", "building", "unit", "room")
_STREET_ENDINGS = ("街道办事处", "街道", "街办", "镇", "乡")
_COMMUNITY_ENDINGS = ("社区居民委员会", "社区居委会", "居民委员会", "村民委员会", "居委会", "村委会", "社区", "村")
_UNKNOWN_ROAD = re.compile(r"([\u3400-\u9fff0-9]{1,10}?(?:大道|大街|路|街|巷|道))([0-9]+(?:-[0-9]+)?)号")
_NAME_GOES_ON = re.compile(r"[\u3400-\u9fff]")
_CJK = re.compile(r"[\u3400-\u9fff]")
_ROOM, _UNIT, _BUILDING = re.compile(r"([0-9]+)室"), re.compile(r"([0-9]+)单元"), re.compile(r"([0-9]+|[a-z])栋")


@dataclass(frozen=True)
class Entry:
    """A registry row as matching sees it: the parts in normalised form."""
    id: int
    text: str
    grid_code: str
    community_code: str
    street_code: str
    road: str | None
    door_number: str | None
    estate: str | None
    building: str | None
    unit: str | None
    room: str | None


@dataclass
class Parts:
    """What a written address says, normalised. Street and community as codes."""
    street: str | None = None
    community: str | None = None
    road: str | None = None
    door_number: str | None = None
    estate: str | None = None
    estate_typos: dict[str, int] = field(default_factory=dict)  # registered name → edits from what was written
    building: str | None = None
    unit: str | None = None
    room: str | None = None
    rest: str = ""   # what was left unread


@dataclass(frozen=True)
class Candidate:
    address_id: int
    text: str
    grid_code: str
    community_code: str
    street_code: str
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Match:
    status: str                      # resolved | ambiguous | unresolved
    text: str
    normalized: str
    parts: dict
    address: Candidate | None        # the standard address, when resolved
    candidates: tuple[Candidate, ...]
    reasons: tuple[str, ...]

    @property
    def resolved(self) -> bool:
        return self.status == "resolved"

    @property
    def score(self) -> float | None:
        return self.address.score if self.address else (self.candidates[0].score if self.candidates else None)

    def note(self) -> str:
        """One line for the case history: what the operator should know."""
        if self.address:
            return f"地址匹配：{self.address.text}（网格 {self.address.grid_code}，得分 {self.address.score:.2f}）"
        if self.status == "ambiguous":
            return f"地址有歧义，待人工定位：{len(self.candidates)} 个候选（{'；'.join(c.text for c in self.candidates[:3])}）"
        return f"地址未能匹配，待人工定位：{self.reasons[0] if self.reasons else ''}"


def _alternation(words) -> re.Pattern | None:
    words = sorted({w for w in words if w}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, words))) if words else None


def _root(name: str, endings) -> str:
    name = normalize(name)
    for ending in endings:
        if name.endswith(ending) and len(name) > len(ending):
            return name[: -len(ending)]
    return name


class AddressIndex:
    """One district's registry in memory: lookups by door, estate and community, and the
    vocabulary the parser reads written addresses with."""

    def __init__(self, full_name: str, entries: list[Entry], streets: dict[str, str],
                 communities: dict[str, str]):
        self.admin = _alternation(admin_names(full_name))
        self.entries = {e.id: e for e in entries}
        self.by_door: dict[tuple[str, str], list[int]] = defaultdict(list)
        self.by_estate: dict[str, list[int]] = defaultdict(list)
        self.by_community_building: dict[tuple[str, str], list[int]] = defaultdict(list)
        for e in entries:
            if e.road and e.door_number:
                self.by_door[(e.road, e.door_number)].append(e.id)
            if e.estate:
                self.by_estate[e.estate].append(e.id)
            if e.building:
                self.by_community_building[(e.community_code, e.building)].append(e.id)
        # Names with no Chinese character (701) would be read in any number: not searched for.
        self.estate_names = [name for name in self.by_estate if _CJK.search(name)]
        self.estates = _alternation(self.estate_names)
        self.roads = _alternation(e.road for e in entries)
        self.doors = re.compile(f"({self.roads.pattern})([0-9]+(?:-[0-9]+)?)号") if self.roads else None
        self.street_names = self._variants(streets, _STREET_ENDINGS, ("街道", "街", "街办", "街道办事处", "镇", "乡"))
        self.community_names = self._variants(communities, _COMMUNITY_ENDINGS,
                                              ("社区", "社区居委会", "居委会", "村", "村委会"))
        self.streets = _alternation(self.street_names)
        self.communities = _alternation(self.community_names)
        self.community_roots = {code: _root(name, _COMMUNITY_ENDINGS) for code, name in communities.items()}

    @staticmethod
    def _variants(names: dict[str, str], endings, written_endings) -> dict[str, str | None]:
        """Every way a street or community is written (its name, its root + a usual ending)
        → its code; a form two places share maps to None (names nothing for sure)."""
        found: dict[str, str | None] = {}
        for code, name in names.items():
            root = _root(name, endings)
            for form in {normalize(name), *(root + ending for ending in written_endings)}:
                found[form] = code if found.get(form, code) == code else None
        return found

    def parse(self, normalized: str) -> Parts:
        parts = Parts()
        text = normalized
        if self.admin:  # 湖北省武汉市武昌区…, but not the 湖北 of 湖北大学小区
            while (m := self.admin.match(text)) and len(text) > m.end() and not any(
                    names and names.match(text) for names in (self.estates, self.communities, self.streets,
                                                               self.roads)):
                text = text[m.end():]

        def cut(m: re.Match | None) -> re.Match | None:
            nonlocal text
            if m:
                text = text[:m.start()] + "|" + text[m.end():]
            return m

        def take(pattern: re.Pattern | None) -> re.Match | None:
            return cut(pattern.search(text) if pattern else None)

        if m := take(self.streets):
            parts.street = self.street_names[m.group(0)]
        if m := take(self.communities):
            parts.community = self.community_names[m.group(0)]
        if m := take(_ROOM):
            parts.room = number_key(m.group(1))
        if m := take(_UNIT):
            parts.unit = number_key(m.group(1))
        if m := take(_BUILDING):
            parts.building = number_key(m.group(1))
        if m := take(self.doors):
            parts.road, parts.door_number = m.group(1), number_key(m.group(2))
        if m := cut(self._estate_in(text)):
            parts.estate = m.group(0)
            text = text.replace("|小区", "|")
        if parts.road is None:
            if m := take(_UNKNOWN_ROAD):
                parts.road, parts.door_number = m.group(1), number_key(m.group(2))
            elif m := take(self.roads):
                parts.road = m.group(0)
        if parts.road and not parts.door_number and parts.building and not parts.estate \
                and (parts.road, parts.building) in self.by_door:  # 新河大道51号楼下: the door, not a building
            parts.door_number, parts.building = parts.building, None
        if parts.estate is None:
            self._near_estate(text, parts)
        parts.rest = "".join(s for s in text.split("|") if _CJK.search(s) or s.isalnum())
        return parts

    def _estate_in(self, text: str) -> re.Match | None:
        """The first estate name written whole: followed by a number, 小区 or nothing —
        not the head of a longer name (翠柳 in 翠柳苑) or of a road's (中山 in 中山路)."""
        for m in self.estates.finditer(text) if self.estates else ():
            if not _NAME_GOES_ON.match(text, m.end()) or text.startswith("小区", m.end()):
                return m
        return None

    def _near_estate(self, text: str, parts: Parts) -> None:
        """An estate written one character off (翠柳园 for 翠柳苑); failing that, with a
        building, the estate named like the community written (…社区3栋)."""
        pieces = [estate_key(s) for s in text.split("|")]
        piece = max((p for p in pieces if p and len(_CJK.findall(p)) >= 3), key=len, default=None)
        if piece and self.estate_names:
            near = process.extract(piece, self.estate_names, scorer=Levenshtein.distance, score_cutoff=1,
                                   limit=MAX_CANDIDATES)
            parts.estate_typos = {name: int(distance) for name, distance, _ in near if len(name) >= 3}
        if not parts.estate_typos and parts.community and parts.building:
            root = self.community_roots.get(parts.community)
            if root in self.by_estate:
                parts.estate = root

    def candidates(self, parts: Parts) -> set[int]:
        found: set[int] = set()
        if parts.road and parts.door_number:
            found.update(self.by_door.get((parts.road, parts.door_number), ()))
        for name in ([parts.estate] if parts.estate else []) + list(parts.estate_typos):
            found.update(self.by_estate.get(name, ()))
        if not found and parts.community and parts.building:
            found.update(self.by_community_building.get((parts.community, parts.building), ()))
        if parts.building:  # the building written, when any candidate has it: the others score lower
            same = {i for i in found if self.entries[i].building == parts.building}
            found = same or found
        return found


def score(parts: Parts, entry: Entry) -> tuple[float, tuple[str, ...]]:
    """The share of what was written that this address confirms, and why."""
    written = asked = 0.0
    reasons = []
    wrote = {"street": parts.street, "community": parts.community, "road": parts.road,
             "door_number": parts.door_number, "estate": parts.estate, "building": parts.building,
             "unit": parts.unit, "room": parts.room}
    has = {"street": entry.street_code, "community": entry.community_code, "road": entry.road,
           "door_number": entry.door_number, "estate": entry.estate, "building": entry.building,
           "unit": entry.unit, "room": entry.room}
    typo = parts.estate_typos.get(entry.estate) if entry.estate else None
    for part, weight in WEIGHTS.items():
        mine, theirs = wrote[part], has[part]
        label = LABELS[part]
        if part == "estate" and mine is None and typo is not None:
            asked += weight
            written += weight * TYPO_CREDIT
            reasons.append(f"{label}近似（差 {typo} 字）：{entry.estate}")
        elif mine is None:
            continue
        elif mine == theirs:
            asked += weight
            written += weight
            reasons.append(f"{label}一致" if part in ("street", "community") else f"{label}一致：{theirs}")
        else:
            asked += weight
            reasons.append(f"{label}不符：写作 {mine}，登记为 {theirs or '（无）'}"
                           if part not in ("street", "community") else f"{label}不符")
    deepest = max((i for i, p in enumerate(WEIGHTS) if wrote[p] or (p == "estate" and typo is not None)), default=-1)
    finer = [p for i, p in enumerate(WEIGHTS) if i > deepest and has[p] and p in FINER]
    if finer:
        reasons.append("未写" + "、".join(LABELS[p] for p in finer))
    value = (written / asked if asked else 0.0) - UNASKED_COST * len(finer)
    return round(max(value, 0.0), 4), tuple(reasons)


def decide(index: AddressIndex, text: str) -> Match:
    normalized = normalize(text)
    parts = index.parse(normalized)
    shown = {k: v for k, v in parts.__dict__.items() if v and k != "estate_typos"}
    if parts.estate_typos:
        shown["estate_near"] = sorted(parts.estate_typos)
    ranked = []
    for address_id in index.candidates(parts):
        entry = index.entries[address_id]
        value, reasons = score(parts, entry)
        ranked.append(Candidate(entry.id, entry.text, entry.grid_code, entry.community_code, entry.street_code,
                                value, reasons))
    ranked.sort(key=lambda c: (-c.score, len(c.text), c.address_id))
    if not ranked:
        return Match("unresolved", text, normalized, shown, None, (), (_nothing_found(parts),))
    best = ranked[0]
    if best.score < THRESHOLD:
        return Match("unresolved", text, normalized, shown, None, tuple(ranked[:MAX_CANDIDATES]),
                     (f"最接近的标准地址得分 {best.score:.2f}，低于 {THRESHOLD:.2f}，不作推断",))
    rivals = [c for c in ranked if c.score >= best.score - MARGIN and c.grid_code != best.grid_code]
    if rivals:
        shown_candidates = [best] + rivals[:MAX_CANDIDATES - 1]
        return Match("ambiguous", text, normalized, shown, None, tuple(shown_candidates),
                     (f"{len(rivals) + 1} 个网格的标准地址同样相符，请人工确认",))
    return Match("resolved", text, normalized, shown, best, tuple(ranked[:MAX_CANDIDATES]), best.reasons)


def _nothing_found(parts: Parts) -> str:
    if parts.road and parts.door_number:
        return f"标准地址库中没有 {parts.road}{parts.door_number}号"
    if parts.road:
        return f"只写了街路巷 {parts.road}，没有门牌号或小区"
    if parts.community and not parts.building:
        return "只写到社区，没有门牌号、小区或楼栋"
    return "未能从地址中读出登记过的街路巷门牌或小区"


def unresolved(text: str, why: str) -> Match:
    return Match("unresolved", text, normalize(text), {}, None, (), (why,))


# ---------------------------------------------------------------- one index per district and process

_cache: dict[tuple[str, str], tuple[tuple, AddressIndex]] = {}
_lock = threading.Lock()


REGISTRIES = "address_registries"


def _read_registries(session: Session) -> dict[str, tuple]:
    return {code: (version, updated_at, full_name) for code, version, updated_at, full_name in session.execute(
        select(AddressRegistry.district_code, AddressRegistry.version, AddressRegistry.updated_at,
               AddressRegistry.full_name))}


def index_for(session: Session, district_code: str) -> AddressIndex | None:
    """The district's index; None when the district has no registry. Which registries
    exist and their versions come from a process-wide snapshot (cache.py): an import in
    this process is seen at once, one in another within `config_ttl_seconds`."""
    registry = cache.snapshot_holding(session, REGISTRIES, _read_registries, district_code).get(district_code)
    if registry is None:
        return None
    key = (session.get_bind().url.render_as_string(hide_password=True), district_code)
    with _lock:
        cached = _cache.get(key)
    # The time as well as the version: a registry deleted and made again starts at version 1.
    stamp = registry[:2]
    if cached and cached[0] == stamp:
        return cached[1]
    rows = session.execute(select(
        StandardAddress.id, StandardAddress.text, StandardAddress.grid_code, StandardAddress.community_code,
        StandardAddress.street_code, StandardAddress.key).where(StandardAddress.district_code == district_code)).all()
    # The key holds the parts already normalised (normalize.address_key), in Entry's order.
    entries = [Entry(r.id, r.text, r.grid_code, r.community_code, r.street_code,
                     *(part or None for part in r.key.split("|"))) for r in rows]
    names = session.execute(select(Region.code, Region.name, Region.level)
                            .where(Region.district_code == district_code)).all()
    built = AddressIndex(registry[2], entries,
                         {c: n for c, n, level in names if level == "street"},
                         {c: n for c, n, level in names if level == "community"})
    with _lock:
        _cache[key] = (stamp, built)
    return built
