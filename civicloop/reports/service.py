"""Reading report files, and measuring the reader against hand-made gold annotations.

Reports need no tables: these are plain functions over files (the reader itself is
`reader.read`). The gold shape and the matching rules are documented in docs/reports.md.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from civicloop.errors import InvalidInput, NotFound, TooLarge
from civicloop.reports import indicators
from civicloop.reports.compare import Comparison, compare
from civicloop.reports.reader import read
from civicloop.reports.reading import ReportReading, Target
from civicloop.reports.schemas import GoldFile, GoldTarget, ReportFacts
from civicloop.reports.text import decode

MAX_REPORT_BYTES = 4 * 1024 * 1024     # a long report is ~100 KB; anything far larger is not one
METADATA_FIELDS = tuple(ReportFacts.model_fields)


def compare_files(this_year: Path, next_year: Path) -> Comparison:
    """This year's report against the next one's; a pair that is doubtful (the same text
    twice, two districts, years that do not follow) is compared with warnings."""
    this_text, next_text = text_of(this_year), text_of(next_year)
    return compare(read(this_text), read(next_text), next_text, same_text=this_text == next_text)


def check_size(size: int, field: str) -> None:
    if size > MAX_REPORT_BYTES:
        raise TooLarge(field, f"is {size} bytes; a report may have at most {MAX_REPORT_BYTES}")


def text_of(path: Path) -> str:
    """A report file's text, decoded (UTF-8, UTF-16, GB18030) or refused naming the file."""
    if not path.is_file():
        raise NotFound(str(path), "no such file")
    check_size(path.stat().st_size, str(path))
    return decode(path.read_bytes(), str(path))


def read_file(path: Path) -> ReportReading:
    return read(text_of(path))


@dataclass(frozen=True)
class Score:
    """Counts of one comparison: found by the reader, in the gold, and matched."""
    found: int
    gold: int
    matched: int

    @property
    def precision(self) -> float | None:
        return self.matched / self.found if self.found else None

    @property
    def recall(self) -> float | None:
        return self.matched / self.gold if self.gold else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None:
            return None
        return 2 * p * r / (p + r) if p + r else 0.0

    def __add__(self, other: Score) -> Score:
        return Score(self.found + other.found, self.gold + other.gold, self.matched + other.matched)


@dataclass(frozen=True)
class FileEvaluation:
    name: str
    targets: Score
    commitments: Score
    metadata: Score                    # fields: in the gold, equal in the reading
    missed_targets: tuple[str, ...]    # gold targets not found, as 'indicator value'
    missed_commitments: tuple[str, ...]


@dataclass(frozen=True)
class Evaluation:
    files: tuple[FileEvaluation, ...]

    def total(self, attr: str) -> Score:
        return sum((getattr(f, attr) for f in self.files), Score(0, 0, 0))


def load_gold(path: Path) -> GoldFile:
    try:
        return GoldFile.model_validate(json.loads(path.read_text(encoding="utf-8-sig")))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(str(path), f"is not a JSON file: {exc}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InvalidInput(f"{path}:{'.'.join(map(str, first['loc']))}", first["msg"]) from exc


def evaluate(gold_dir: Path, reports_dir: Path | None = None) -> Evaluation:
    """Every report in `reports_dir` (default: `gold_dir`) that has a gold file of the same
    stem in `gold_dir`, read and compared with it."""
    if not gold_dir.is_dir():
        raise NotFound(str(gold_dir), "no such folder")
    reports_dir = reports_dir or gold_dir
    files = []
    for gold_path in sorted(gold_dir.glob("*.json")):
        report = reports_dir / f"{gold_path.stem}.txt"
        if report.is_file():
            files.append(evaluate_file(read_file(report), load_gold(gold_path), gold_path.stem))
    if not files:
        raise NotFound(str(gold_dir), f"no gold file (*.json) with a report of the same stem in {reports_dir}")
    return Evaluation(tuple(files))


def _same_value(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= 1e-6 * max(1.0, abs(a))


def target_matches(gold: GoldTarget, found: Target) -> bool:
    """Same indicator and the same value. The gold's indicator is a registry key or a name the
    registry knows (地区生产总值, GDP); without one, the names must agree. The value agrees
    when it is the target's value (a fall may be written negative) or the level given with it."""
    key = gold.indicator if gold.indicator in indicators.registry() else (
        indicators.lookup(gold.indicator) if gold.indicator else None)
    same_indicator = found.indicator == key if key else found.name == (gold.name or gold.indicator)
    values = [found.value, found.level.value if found.level else None]
    if found.direction == "down" and found.value is not None:
        values.append(-found.value)
    return same_indicator and any(_same_value(gold.value, v) for v in values
                                  if v is not None or gold.value is None)


def evaluate_file(reading: ReportReading, gold: GoldFile, name: str) -> FileEvaluation:
    unmatched = list(reading.targets)
    missed_targets = []
    for g in gold.targets:
        hit = next((t for t in unmatched if target_matches(g, t)), None)
        if hit is None:
            missed_targets.append(f"{g.indicator or g.name} {g.value}")
        else:
            unmatched.remove(hit)
    pairs = match_commitments([(g.source.start, g.source.end) for g in gold.commitments],
                              [(c.source.start, c.source.end) for c in reading.commitments])
    matched_gold = {g for g, _ in pairs}
    meta = reading.metadata
    given = [f for f in METADATA_FIELDS if f in gold.metadata.model_fields_set]
    equal = sum(str(getattr(meta, f)) == str(getattr(gold.metadata, f)) for f in given)
    return FileEvaluation(
        name=name,
        targets=Score(len(reading.targets), len(gold.targets), len(gold.targets) - len(missed_targets)),
        commitments=Score(len(reading.commitments), len(gold.commitments), len(pairs)),
        metadata=Score(len(given), len(given), equal),
        missed_targets=tuple(missed_targets),
        missed_commitments=tuple(g.title for i, g in enumerate(gold.commitments) if i not in matched_gold))


def match_commitments(gold: list[tuple[int, int]], found: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """One-to-one pairs (gold index, found index) of items whose source spans overlap, the
    largest overlaps first."""
    overlaps = sorted(((min(ge, fe) - max(gs, fs), i, j) for i, (gs, ge) in enumerate(gold)
                       for j, (fs, fe) in enumerate(found) if min(ge, fe) > max(gs, fs)), reverse=True)
    used_gold, used_found, pairs = set(), set(), []
    for _, i, j in overlaps:
        if i not in used_gold and j not in used_found:
            used_gold.add(i)
            used_found.add(j)
            pairs.append((i, j))
    return sorted(pairs)
