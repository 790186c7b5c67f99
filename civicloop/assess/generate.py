"""Years of historical cases for the scale benchmark and load tests
(`civicloop assess generate`).

It writes **case rows only**, in bulk (COPY on PostgreSQL, executemany in transactions of
`BATCH` rows on SQLite), then rebuilds the fast path from them with the live definition
(rollup.rebuild). No events are written: ten million cases with their five to ten events
each would be tens of millions of rows to load for figures that read only a few of them.
So the history's outcomes live in the case row — state, the lifecycle's times, overdue,
rework and return counts, merges, ratings — and the facts read from events (a return
request, an approved extension, on-time 立案/派遣/核查 against an event's deadline, the
verifier) are 0 on generated cases. The live recount over them stays possible and agrees
(it reads the same rows)."""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import Engine

from civicloop.assess import rollup
from civicloop.cases.models import Case
from civicloop.categories.models import Category
from civicloop.db import transaction
from civicloop.departments.models import Department
from civicloop.errors import InvalidInput, NotFound
from civicloop.regions.models import GridCell
from civicloop.users.models import User

BATCH = 50_000
MAX_CASES = 50_000_000
# How cases come in (12345 practice: the hotline carries most, grid patrols find a fifth).
CHANNEL_WEIGHTS = {"hotline": 0.52, "patrol": 0.2, "app": 0.12, "web": 0.08, "petition": 0.04,
                   "supervision": 0.02, "instruction": 0.02}
HOUR = dt.timedelta(hours=1)
COLUMNS = ("id", "version", "channel", "state", "title", "body", "created_by_id", "district_code", "street_code",
           "community_code", "grid_code", "category_id", "priority", "lead_department_id", "reported_at",
           "registered_at", "dispatched_at", "accepted_at", "fed_back_at", "closed_at", "updated_at", "time_basis",
           "extension_hours", "warning", "escalation_level", "overdue", "return_count", "rework_count",
           "supervision_count", "rating", "rated_at", "assists_pending", "merged_into_id")

# What every generated case starts as, before its story (Cases._story) moves it on.
BLANK = {"version": 1, "state": "reported", "title": "历史案件", "body": "生成的历史案件", "priority": "normal",
         "lead_department_id": None, "registered_at": None, "dispatched_at": None, "accepted_at": None,
         "fed_back_at": None, "closed_at": None, "time_basis": "working", "extension_hours": 0.0, "warning": "green",
         "escalation_level": 0, "overdue": False, "return_count": 0, "rework_count": 0, "supervision_count": 0,
         "rating": None, "rated_at": None, "assists_pending": 0, "merged_into_id": None}


@dataclass
class Reference:
    cells: list[tuple[str, str]]  # (grid code, community code)
    departments: list[int]
    categories: list[int]
    grid_workers: list[int]


def reference(engine: Engine, district: str) -> Reference:
    with transaction(engine) as s:
        cells = [(r.code, r.community_code) for r in s.execute(
            select(GridCell.code, GridCell.community_code).where(GridCell.district_code == district)
            .order_by(GridCell.code))]
        departments = list(s.scalars(select(Department.id).where(Department.district_code == district)
                                     .order_by(Department.id)))
        categories = list(s.scalars(select(Category.id).where(Category.level == 3).order_by(Category.code)))
        workers = list(s.scalars(select(User.id).where(User.role == "grid_worker").order_by(User.id)))
    if not cells:
        raise NotFound("district", f"district {district!r} has no grid cells: run `civicloop init {district}` first")
    if not departments or not categories:
        raise NotFound("district", f"district {district!r} needs departments and categories first")
    return Reference(cells, departments, categories, workers)


def _zipf(n: int, rng: random.Random, s: float = 0.8) -> list[float]:
    """Uneven weights, shuffled: a few grids, departments and categories carry most cases."""
    weights = [1 / (rank + 1) ** s for rank in range(n)]
    rng.shuffle(weights)
    return weights


class Cases:
    """Rows of `cases`, drawn reproducibly."""

    def __init__(self, ref: Reference, district: str, start: dt.datetime, days: int, seed: int):
        self.ref, self.district, self.start, self.days = ref, district, start, days
        self.rng = rng = random.Random(seed)
        self.cell_weights = _zipf(len(ref.cells), rng)
        self.department_weights = _zipf(len(ref.departments), rng)
        self.category_weights = _zipf(len(ref.categories), rng)
        self.channels, self.channel_weights = list(CHANNEL_WEIGHTS), list(CHANNEL_WEIGHTS.values())

    def batch(self, first_id: int, n: int, end: dt.datetime) -> list[tuple]:
        rng, ref = self.rng, self.ref
        cells = rng.choices(ref.cells, self.cell_weights, k=n)
        departments = rng.choices(ref.departments, self.department_weights, k=n)
        categories = rng.choices(ref.categories, self.category_weights, k=n)
        channels = rng.choices(self.channels, self.channel_weights, k=n)
        # Volume grows over the years (sqrt of a uniform leans late); hours follow office life.
        offsets = sorted(self.days * rng.random() ** 0.8 for _ in range(n))
        rows = []
        for i in range(n):
            case_id = first_id + i
            reported = self.start + dt.timedelta(days=int(offsets[i]), hours=7 + 14 * rng.random())
            grid, community = cells[i]
            channel = channels[i]
            reporter = rng.choice(ref.grid_workers) if channel == "patrol" and ref.grid_workers else None
            row = {**BLANK, "id": case_id, "channel": channel, "created_by_id": reporter,
                   "district_code": self.district, "street_code": community[:9], "community_code": community,
                   "grid_code": grid, "category_id": categories[i], "reported_at": reported, "updated_at": reported}
            self._story(row, departments[i], end)
            rows.append(tuple(row[c] for c in COLUMNS))
        return rows

    def _story(self, row: dict, department: int, end: dt.datetime) -> None:
        """How far the case went and how well, by the shares of a district's year."""
        rng, at = self.rng, row["reported_at"]
        draw = rng.random()
        if draw < 0.03 and row["id"] > 1:  # a duplicate, merged into an earlier case
            row.update(state="merged", merged_into_id=row["id"] - 1 - rng.randrange(min(50, row["id"] - 1)),
                       updated_at=at + HOUR)
            return
        if draw < 0.07:
            row.update(state="rejected", updated_at=at + HOUR)
            return
        steps = [("registered_at", 0.3), ("dispatched_at", 0.6), ("accepted_at", 3), ("fed_back_at", 40),
                 ("closed_at", 20)]
        state_after = {"registered_at": "registered", "dispatched_at": "dispatched", "accepted_at": "handling",
                       "fed_back_at": "verifying", "closed_at": "closed"}
        row["return_count"] = int(rng.random() < 0.03)
        row["rework_count"] = int(rng.random() < 0.06)
        row["overdue"] = rng.random() < 0.08
        for column, mean_hours in steps:
            step_at = at + dt.timedelta(hours=rng.expovariate(1 / mean_hours))
            if step_at >= end:
                break
            at = step_at
            row[column] = at
            row["state"] = state_after[column]
            if column == "dispatched_at":
                row["lead_department_id"] = department
        if row["state"] == "closed" and rng.random() < 0.7:
            row["rating"] = rng.choices(("satisfied", "basic", "dissatisfied"), (0.82, 0.14, 0.04))[0]
            row["rated_at"] = at + HOUR
        row["updated_at"] = at
        row["version"] = 2 + sum(1 for column, _ in steps if row[column] is not None)


def _copy(engine: Engine, rows: list[tuple]) -> None:
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cursor, cursor.copy(f"COPY cases ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        raw.commit()
    finally:
        raw.close()


def generate(engine: Engine, n: int, *, years: int, district: str, end: dt.datetime, seed: int = 1,
             progress=None, step=None) -> int:
    """Load `n` cases reported over the `years` before `end`, then rebuild the fast path.
    `progress(k)` is told of each batch written; `step(text)` of each phase after."""
    if not 0 < n <= MAX_CASES:
        raise InvalidInput("cases", f"between 1 and {MAX_CASES:,}, got {n}")
    if not 1 <= years <= 20:
        raise InvalidInput("years", f"between 1 and 20, got {years}")
    ref = reference(engine, district)
    with transaction(engine) as s:
        first = (s.scalar(select(func.max(Case.id))) or 0) + 1
    days = 365 * years
    source = Cases(ref, district, end - dt.timedelta(days=days), days, seed)
    postgres = engine.dialect.name == "postgresql"
    for start in range(0, n, BATCH):
        rows = source.batch(first + start, min(BATCH, n - start), end)
        if postgres:
            _copy(engine, rows)
        else:
            with engine.begin() as conn:
                conn.execute(insert(Case.__table__), [dict(zip(COLUMNS, r)) for r in rows])
        if progress:
            progress(len(rows))
    if postgres:
        with engine.begin() as conn:  # ids were given: later cases continue after them
            conn.execute(text("SELECT setval(pg_get_serial_sequence('cases', 'id'), max(id)) FROM cases"))
    if step:
        step("rebuilding the facts and the rollup")
    with transaction(engine) as s:
        rollup.rebuild(s, now=end)
    if step:
        step("analysing the tables")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    return n

