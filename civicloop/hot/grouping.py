"""Reports grouped into topics (话题): the same place, the same matter, close in time.

No pair of all n reports is ever compared. Reports are put in blocks by the places they name
(places.py) and, for cases, by their community; only reports of one block are compared, by
the cosine of their character-bigram TF-IDF vectors with the place names taken out (two
problems of one estate share its name, not their words). Pairs above `threshold` and
within `link_days` of each other are linked; a topic is a connected component of links.
A block larger than MAX_BLOCK (a long road, a whole street) is compared in overlapping
slices of time, so the work grows with n, not n².
"""
from __future__ import annotations

import csv
import datetime as dt
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components
from sklearn.preprocessing import normalize

from civicloop.hot import places as placenames
from civicloop.hot.heat import Heat, heat
from civicloop.settings import PACKAGE_DIR

TEXT_CHARS = 200     # of the body: the matter is stated first; the rest is story
THRESHOLD = 0.18     # cosine of two reports of one matter, rewritten (see docs/hot.md)
# Within one estate, school or institution few matters arise, so a looser likeness is
# enough: neighbours write of the same shop's fumes as 油烟, 夜宵摊 or 噪音.
ESTATE_THRESHOLD = 0.08
LINK_DAYS = 30       # two reports further apart are not linked directly (a chain may be longer)
MAX_BLOCK = 2000
PACK = 300
PRIMARY_IN_TEXT = 2  # places of a text's beginning that say where it is about
CENTRE_SAMPLE = 200  # reports of a topic read to find its most central title
BUCKETS = 1 << 20    # hashed bigram columns; collisions are rare among the bigrams of a block
REFERENCE = PACKAGE_DIR / "data" / "hot-messages.csv"
MIN_REPORTS = 2
# One post that a hundred people back is a hot issue of its own (a single report is no
# topic otherwise: one person's matter, however urgent, is the case queue's).
SUPPORT_ALONE = 100
AREA = "area:"       # block keys of communities, beside the place names
_LEAD = re.compile(r"^(?:投诉|反映|反应|举报|关于|建议|咨询|请问|求助|强烈|坚决|再次|我要|希望)+")
_EDGE = re.compile(r"^[\s\W_]+|[\s\W_]+$")


@dataclass(frozen=True)
class Report:
    """One case or message: what grouping reads of it."""
    ref: str
    title: str
    text: str
    at: dt.datetime
    likes: int = 0
    dislikes: int = 0
    reporter: str | None = None
    district: str | None = None
    area: str | None = None       # community code, when the case was located
    area_name: str | None = None
    grid: str | None = None


@dataclass
class Topic:
    title: str
    place: str
    district: str | None
    first_at: dt.datetime
    last_at: dt.datetime
    refs: list[str]
    heat: Heat
    keys: list[str] = field(default_factory=list)  # the place keys its reports share


def group(reports: list[Report], *, now: dt.datetime | None = None, half_life_days: float | None = None,
          threshold: float = THRESHOLD, estate_threshold: float = ESTATE_THRESHOLD, link_days: float = LINK_DAYS,
          min_reports: int = MIN_REPORTS,
          progress: Callable[[int, int], None] | None = None) -> list[Topic]:
    """Topics of at least `min_reports` reports, or a single one that SUPPORT_ALONE people
    back (likes − dislikes), hottest first. `now` is when heat is
    judged (default: the last report); `progress(done, total)` is told as blocks are compared."""
    if not reports:
        return []
    titled = [placenames.find_places(r.title) for r in reports]
    in_text = [placenames.find_places(r.text[:TEXT_CHARS]) for r in reports]
    found = [a + b for a, b in zip(titled, in_text)]
    keysets = [{p.key for p in places} | ({AREA + r.area} if r.area else set()) for r, places in zip(reports, found)]
    # The places a report is about, not those it passes on the way: those of its title, or
    # when its title names none, the first ones of its text.
    primary = [{p.key for p in (a or b[:PRIMARY_IN_TEXT])} for a, b in zip(titled, in_text)]
    vectors = _vectors(reports, found)
    seconds = np.array([r.at.timestamp() for r in reports])
    estates = [frozenset(p.key for p in places if placenames.is_estate(p.key)) for places in found]
    thresholds, window = (threshold, estate_threshold), link_days * 86400.0
    rows, cols = _links(vectors, _blocks(keysets, primary), seconds, estates, thresholds, window, progress)
    n = len(reports)
    graph = coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    labels = _merge_alike(labels, vectors, keysets, primary, seconds, thresholds, window)
    members: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        members.setdefault(int(label), []).append(index)
    now = now or max(r.at for r in reports)
    topics = [_topic(reports, found, keysets, primary, vectors, indices, now, half_life_days)
              for indices in members.values()
              if len(indices) >= min_reports or _support(reports, indices) >= SUPPORT_ALONE]
    return sorted(topics, key=lambda t: (-t.heat.index, -len(t.refs), t.refs[0]))


def _vectors(reports: list[Report], found: list[list[placenames.Place]]) -> csr_matrix:
    """What each report says, its place names taken out: the title counts twice."""
    docs = []
    for report, places in zip(reports, found):
        title = placenames.blank_places(report.title, places)
        docs.append(f"{title}\n{title}\n{placenames.blank_places(report.text[:TEXT_CHARS], places)}")
    return bigram_tfidf(docs, reference=_reference())


@lru_cache(maxsize=1)
def _reference() -> tuple[int, np.ndarray]:
    """How many of the real messages civicloop carries have each bigram: a week's few dozen
    cases then weigh their words as the city's thousands of messages do (with only a
    dozen documents, 噪音 in half of them would count for almost nothing)."""
    with REFERENCE.open(encoding="utf-8-sig", newline="") as file:
        docs = [f"{row['title']}\n{row['title']}\n{row['text'][:TEXT_CHARS]}" for row in csv.DictReader(file)]
    counts = _bigram_counts(docs)
    return len(docs), np.bincount(counts.indices, minlength=BUCKETS)


def _bigram_counts(docs: list[str]) -> csr_matrix:
    n = len(docs)
    codes = np.frombuffer("\n".join(docs).encode("utf-32-le", "replace"), dtype=np.uint32).astype(np.int64)
    lengths = np.fromiter(map(len, docs), dtype=np.int64, count=n) + 1  # each with its separator
    doc_of = np.repeat(np.arange(n), lengths)[: len(codes)]
    blank = (codes <= 32) | (codes == 0x3000)
    keep = ~blank[:-1] & ~blank[1:]
    columns = (codes[:-1][keep] * 1_000_003 + codes[1:][keep]) % BUCKETS
    counts = coo_matrix((np.ones(len(columns), dtype=np.float32), (doc_of[:-1][keep], columns)),
                        shape=(n, BUCKETS)).tocsr()
    counts.sum_duplicates()
    return counts


def bigram_tfidf(docs: list[str], reference: tuple[int, np.ndarray] | None = None) -> csr_matrix:
    """Rows: documents, of unit length; columns: character bigrams (none across whitespace),
    hashed into BUCKETS; weights (1 + ln tf) × (ln((1 + n) / (1 + df)) + 1), the sublinear
    TF-IDF of scikit-learn, computed in numpy over all documents at once (ten times faster
    than its per-document Python loop). A reference (documents, their bigram frequencies)
    is counted in with the documents for the idf."""
    counts = _bigram_counts(docs)
    n, document_frequency = len(docs), np.bincount(counts.indices, minlength=BUCKETS)
    if reference is not None:
        n, document_frequency = n + reference[0], document_frequency + reference[1]
    idf = (np.log((1 + n) / (1 + document_frequency)) + 1).astype(np.float32)
    counts.data = (1 + np.log(counts.data)) * idf[counts.indices]
    return normalize(counts, copy=False)


Block = tuple[str, np.ndarray, np.ndarray]  # place key, its reports, whether each is about it


def _blocks(keysets: list[set[str]], primary: list[set[str]]) -> list[Block]:
    by_key: dict[str, list[int]] = {}
    for index, keys in enumerate(keysets):
        for key in keys:
            by_key.setdefault(key, []).append(index)
    return [(key, np.array(indices), np.array([key in primary[i] for i in indices]))
            for key, indices in by_key.items() if len(indices) > 1]


def _packs(blocks: list[Block], seconds: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(reports, the block of each, whether each is about its block) to compare at once:
    small blocks packed together up to PACK reports (one product of a few hundred rows
    costs less than a hundred tiny ones), a block larger than MAX_BLOCK in time order, in
    slices that overlap by half."""
    packs, pending = [], []

    def flush():
        if pending:
            packs.append(tuple(np.concatenate(parts) for parts in zip(*pending)))
            pending.clear()

    size = 0
    for label, (_, block, own) in enumerate(blocks):
        if len(block) > PACK:
            order = np.argsort(seconds[block], kind="stable") if len(block) > MAX_BLOCK else np.arange(len(block))
            step = MAX_BLOCK // 2
            for start in range(0, max(len(block) - step, 1), step):
                piece = order[start:start + MAX_BLOCK]
                packs.append((block[piece], np.full(len(piece), label), own[piece]))
            continue
        if size + len(block) > PACK:
            flush()
            size = 0
        pending.append((block, np.full(len(block), label), own))
        size += len(block)
    flush()
    return packs


def _links(vectors: csr_matrix, blocks: list[Block], seconds: np.ndarray, estates: list[frozenset[str]],
           thresholds: tuple[float, float], window: float,
           progress: Callable[[int, int], None] | None) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of one block alike enough and close enough in time. The looser threshold of
    an estate holds for two reports that are both about it (it is among their primary
    places), not for two that list it among the estates along a road. On a road or in a
    street, two reports that each name an estate, and not the same one, are about two places."""
    in_estate = np.array([placenames.is_estate(key) for key, _, _ in blocks])
    names_estate = np.array([bool(e) for e in estates])
    packs = _packs(blocks, seconds)
    firsts, seconds_of_pairs = [np.empty(0, dtype=np.int64)], [np.empty(0, dtype=np.int64)]
    for done, (index, label, own) in enumerate(packs, start=1):
        sub = vectors[index]
        similar = (sub @ sub.T).tocoo()
        row, col, value = similar.row, similar.col, similar.data
        estate = in_estate[label[row]] & own[row] & own[col]
        keep = (row < col) & (label[row] == label[col]) & (value >= np.where(estate, thresholds[1], thresholds[0]))
        first, second, estate = index[row[keep]], index[col[keep]], estate[keep]
        near = np.abs(seconds[first] - seconds[second]) <= window
        first, second, estate = first[near], second[near], estate[near]
        # Only pairs of a road or street block where both name estates need a look each.
        doubt = ~estate & names_estate[first] & names_estate[second]
        if doubt.any():
            doubt[doubt] = [estates[a].isdisjoint(estates[b])
                            for a, b in zip(first[doubt].tolist(), second[doubt].tolist())]
        firsts.append(first[~doubt])
        seconds_of_pairs.append(second[~doubt])
        if progress is not None:
            progress(done, len(packs))
    return np.concatenate(firsts), np.concatenate(seconds_of_pairs)


def _support(reports: list[Report], indices: list[int]) -> int:
    return sum(reports[i].likes - reports[i].dislikes for i in indices)


def _keys_of(indices: list[int], keysets: list[set[str]], primary: list[set[str]]) -> list[str]:
    """The places a group's reports share (named by two or more), its own place first: the
    one most reports are about (their primary places count twice), an estate before a road
    it lies on when as common (劳动东路魅力之城小区)."""
    counts = Counter(key for i in indices for key in keysets[i])
    counts.update(key for i in indices for key in primary[i])
    shared = [key for key, count in counts.items() if count > 1]
    weight = {key: counts[key] * (1.5 if placenames.is_estate(key) and not key.startswith(AREA) else 1.0)
              for key in shared}
    return sorted(shared, key=lambda key: (-weight[key], key))


def _merge_alike(labels: np.ndarray, vectors: csr_matrix, keysets: list[set[str]], primary: list[set[str]],
                 seconds: np.ndarray,
                 thresholds: tuple[float, float], window: float) -> np.ndarray:
    """Groups of one place whose centres are alike are one topic: neighbours who each wrote
    of 油烟, of 夜宵摊 and of 噪音 from the same shops are linked pair by pair only in
    part, but their groups' vocabularies meet (average linkage over the groups of a place)."""
    groups: dict[int, list[int]] = {}
    for index, label in enumerate(labels.tolist()):
        groups.setdefault(label, []).append(index)
    by_place: dict[str, list[int]] = {}
    for label, indices in groups.items():
        keys = _keys_of(indices, keysets, primary) if len(indices) > 1 else []
        if keys:
            by_place.setdefault(keys[0], []).append(label)
    merged = {label: label for label in groups}
    for key, members in by_place.items():
        threshold = thresholds[1] if placenames.is_estate(key) else thresholds[0]
        while len(members) > 1:
            centres = normalize(np.vstack([np.asarray(vectors[groups[m]].mean(axis=0)) for m in members]))
            similar = centres @ centres.T
            np.fill_diagonal(similar, -1.0)
            a, b = np.unravel_index(int(np.argmax(similar)), similar.shape)
            span = [(seconds[groups[m]].min(), seconds[groups[m]].max()) for m in (members[a], members[b])]
            if similar[a, b] < threshold or max(span[0][0], span[1][0]) - min(span[0][1], span[1][1]) > window:
                break
            keep, gone = members[a], members[b]
            groups[keep] += groups.pop(gone)
            merged[gone] = keep
            members = [m for m in members if m != gone]
    return np.array([_root(merged, label) for label in labels.tolist()])


def _root(merged: dict[int, int], label: int) -> int:
    while merged[label] != label:
        label = merged[label]
    return label


def _topic(reports: list[Report], found: list[list[placenames.Place]], keysets: list[set[str]],
           primary: list[set[str]], vectors, indices: list[int], now: dt.datetime,
           half_life_days: float | None) -> Topic:
    group_reports = [reports[i] for i in indices]
    keys = _keys_of(indices, keysets, primary)
    if not keys:
        place = ""
    elif keys[0].startswith(AREA):
        area = keys[0][len(AREA):]
        place = next(r.area_name or area for r in group_reports if r.area == area)
    else:
        place = Counter(p.name for i in indices for p in found[i] if p.key == keys[0]).most_common(1)[0][0]
    district = Counter(r.district for r in group_reports if r.district).most_common(1)
    district_name = district[0][0] if district else None
    first, last = min(r.at for r in group_reports), max(r.at for r in group_reports)
    # The title of the report closest to the topic's centre says what the matter is (of a
    # large topic, the centre of an even sample of it).
    sample = np.array(indices[:: max(1, len(indices) // CENTRE_SAMPLE)])
    sub = vectors[sample]
    central = int(sample[int(np.argmax(sub @ np.asarray(sub.mean(axis=0)).ravel()))])
    what = _what(reports[central].title, found[central])
    reporters = len({r.reporter or r.ref for r in group_reports})
    grids = len({r.grid for r in group_reports if r.grid})
    measured = heat(reports=len(indices), reporters=reporters,
                    support=_support(reports, indices), grids=grids,
                    span_days=(last - first).total_seconds() / 86400,
                    age_days=(now - last).total_seconds() / 86400, half_life_days=half_life_days)
    prefix = district_name if district_name and place and not place.startswith(district_name) else ""
    title = f"{prefix}{place} {what}".strip() if place else what
    refs = [r.ref for r in sorted(group_reports, key=lambda r: (r.at, r.ref))]
    return Topic(title=title, place=place, district=district_name, first_at=first, last_at=last, refs=refs,
                 heat=measured, keys=keys)


def _what(title: str, places: list[placenames.Place]) -> str:
    """A report's title without its places, codes and the words of complaint around them."""
    text = title
    for place in sorted(places, key=lambda p: len(p.name), reverse=True):
        text = text.replace(place.name, "")
    text = placenames.ADMIN_CODE.sub("", text)
    text = _EDGE.sub("", _LEAD.sub("", _EDGE.sub("", text)))
    return text[:30] or title[:30]
