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

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from sklearn.feature_extraction.text import TfidfVectorizer

from civicloop.hot import places as placenames
from civicloop.hot.heat import Heat, heat

TEXT_CHARS = 200     # of the body: the matter is stated first; the rest is story
THRESHOLD = 0.15     # cosine of two reports of one matter, rewritten (see docs/hot.md)
# Within one estate, school or institution few matters arise, so a looser likeness is
# enough: neighbours write of the same shop's fumes as 油烟, 夜宵摊 or 噪音.
ESTATE_THRESHOLD = 0.08
LINK_DAYS = 30       # two reports further apart are not linked directly (a chain may be longer)
MAX_BLOCK = 2000
MIN_REPORTS = 2
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
          threshold: float = THRESHOLD, estate_threshold: float = ESTATE_THRESHOLD, link_days: float = LINK_DAYS, min_reports: int = MIN_REPORTS,
          progress: Callable[[int, int], None] | None = None) -> list[Topic]:
    """Topics of at least `min_reports` reports, hottest first. `now` is when heat is
    judged (default: the last report); `progress(done, total)` is told of each block."""
    if not reports:
        return []
    found = [placenames.find_places(r.title) + placenames.find_places(r.text[:TEXT_CHARS]) for r in reports]
    vectors = _vectors(reports, found)
    blocks = _blocks(reports, found)
    seconds = np.array([r.at.timestamp() for r in reports])
    estates = [frozenset(p.key for p in places if placenames.is_estate(p.key)) for places in found]
    links = _links(vectors, blocks, seconds, estates, (threshold, estate_threshold), link_days * 86400.0,
                   progress)
    n = len(reports)
    if links:
        rows, cols = np.array(links, dtype=np.int64).T
        graph = coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n, n))
        _, labels = connected_components(graph, directed=False)
    else:
        labels = np.arange(n)
    members: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        members.setdefault(int(label), []).append(index)
    now = now or max(r.at for r in reports)
    topics = [_topic(reports, found, vectors, indices, now, half_life_days)
              for indices in members.values() if len(indices) >= min_reports]
    return sorted(topics, key=lambda t: (-t.heat.index, -len(t.refs), t.refs[0]))


def _vectors(reports: list[Report], found: list[list[placenames.Place]]):
    docs = [f"{placenames.blank_places(r.title, p)} {placenames.blank_places(r.title, p)} "
            f"{placenames.blank_places(r.text[:TEXT_CHARS], p)}" for r, p in zip(reports, found)]
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(2, 2), sublinear_tf=True, min_df=1,
                                 dtype=np.float32)
    try:
        return vectorizer.fit_transform(docs).tocsr()
    except ValueError:  # no bigram at all (one-character texts): nothing to compare
        return vectorizer.set_params(ngram_range=(1, 1)).fit_transform(docs).tocsr()


def _blocks(reports: list[Report], found: list[list[placenames.Place]]) -> list[tuple[str, list[int]]]:
    by_key: dict[str, list[int]] = {}
    for index, (report, places) in enumerate(zip(reports, found)):
        keys = {p.key for p in places}
        if report.area:
            keys.add(AREA + report.area)
        for key in keys:
            by_key.setdefault(key, []).append(index)
    return [(key, indices) for key, indices in by_key.items() if len(indices) > 1]


def _slices(indices: list[int], seconds: np.ndarray) -> Iterable[list[int]]:
    """A block as is, or in time order in slices of MAX_BLOCK that overlap by half."""
    if len(indices) <= MAX_BLOCK:
        yield indices
        return
    ordered = sorted(indices, key=lambda i: seconds[i])
    step = MAX_BLOCK // 2
    for start in range(0, len(ordered) - step, step):
        yield ordered[start:start + MAX_BLOCK]


def _links(vectors, blocks: list[tuple[str, list[int]]], seconds: np.ndarray, estates: list[frozenset[str]],
           thresholds: tuple[float, float], window: float,
           progress: Callable[[int, int], None] | None) -> list[tuple[int, int]]:
    """Pairs of one block alike enough and close enough in time. On a road or in a street,
    two reports that each name an estate, and not the same one, are about two places."""
    links: list[tuple[int, int]] = []
    for done, (key, block) in enumerate(blocks, start=1):
        estate = placenames.is_estate(key)
        threshold = thresholds[1] if estate else thresholds[0]
        for piece in _slices(block, seconds):
            index = np.array(piece)
            sub = vectors[index]
            similar = (sub @ sub.T).tocoo()
            keep = (similar.row < similar.col) & (similar.data >= threshold)
            rows, cols = index[similar.row[keep]], index[similar.col[keep]]
            near = np.abs(seconds[rows] - seconds[cols]) <= window
            pairs = zip(rows[near].tolist(), cols[near].tolist())
            links.extend(pairs if estate else
                         ((a, b) for a, b in pairs if not (estates[a] and estates[b]
                                                           and estates[a].isdisjoint(estates[b]))))
        if progress is not None:
            progress(done, len(blocks))
    return links


def _topic(reports: list[Report], found: list[list[placenames.Place]], vectors, indices: list[int],
           now: dt.datetime, half_life_days: float | None) -> Topic:
    group_reports = [reports[i] for i in indices]
    key_counts = Counter(p.key for i in indices for p in found[i])
    area_counts = Counter(r.area for r in group_reports if r.area)
    keys = [key for key, count in key_counts.most_common() if count > 1]
    if keys:
        top = keys[0]
        place = Counter(p.name for i in indices for p in found[i] if p.key == top).most_common(1)[0][0]
    elif area_counts:
        area = area_counts.most_common(1)[0][0]
        place = next(r.area_name or area for r in group_reports if r.area == area)
    else:
        place = ""
    district = Counter(r.district for r in group_reports if r.district).most_common(1)
    district_name = district[0][0] if district else None
    first, last = min(r.at for r in group_reports), max(r.at for r in group_reports)
    # The title of the report closest to the topic's centre says what the matter is.
    sub = vectors[np.array(indices)]
    centre = np.asarray(sub.mean(axis=0)).ravel()
    central = indices[int(np.argmax(sub @ centre))]
    what = _what(reports[central].title, found[central])
    reporters = len({r.reporter or r.ref for r in group_reports})
    grids = len({r.grid for r in group_reports if r.grid})
    measured = heat(reports=len(indices), reporters=reporters,
                    support=sum(r.likes - r.dislikes for r in group_reports), grids=grids,
                    span_days=(last - first).total_seconds() / 86400,
                    age_days=(now - last).total_seconds() / 86400, half_life_days=half_life_days)
    prefix = district_name if district_name and place and not place.startswith(district_name) else ""
    title = f"{prefix}{place} {what}".strip() if place else what
    refs = [r.ref for r in sorted(group_reports, key=lambda r: (r.at, r.ref))]
    return Topic(title=title, place=place, district=district_name, first_at=first, last_at=last, refs=refs,
                 heat=measured, keys=keys or [AREA + a for a, _ in area_counts.most_common(1)])


def _what(title: str, places: list[placenames.Place]) -> str:
    """A report's title without its places, codes and the words of complaint around them."""
    text = title
    for place in sorted(places, key=lambda p: len(p.name), reverse=True):
        text = text.replace(place.name, "")
    text = placenames.ADMIN_CODE.sub("", text)
    text = _EDGE.sub("", _LEAD.sub("", _EDGE.sub("", text)))
    return text[:30] or title[:30]
