"""The category tree: import from CSV, look-ups, and the time limits each category inherits.

Codes give two digits per level in the order categories were first seen (01, 0103,
010302), so sorting by code lists the tree depth-first. Limits left empty on a category
are inherited from the nearest ancestor that sets them, else from DEFAULTS.
"""
from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicloop import cache
from civicloop.categories.models import Category
from civicloop.errors import InvalidInput, NotFound
from civicloop.settings import PACKAGE_DIR, get_settings
from civicloop.sla.deadlines import Limits

DATA_DIR = PACKAGE_DIR / "data"
BASES = ("working", "natural")
PRIORITIES = ("urgent", "high", "normal", "low")
LIMIT_FIELDS = ("dispatch_limit_hours", "handle_limit_hours", "time_basis", "yellow_ratio", "priority")
# Category column -> Limits attribute.
LIMITS_ATTR = {"dispatch_limit_hours": "dispatch_hours", "handle_limit_hours": "handle_hours",
               "time_basis": "basis", "yellow_ratio": "yellow_ratio", "priority": "priority"}
# 派遣 within 2 working hours, 处置 within 5 working days of 8 hours: the usual 12345 terms.
DEFAULT_DISPATCH_HOURS = 2.0
DEFAULT_HANDLE_HOURS = 40.0
MAX_HOURS = 24 * 366  # a limit longer than a year is a typing error
IGNORED_COLUMNS = ("note",)  # free text for the people who keep the file
SEP = "/"
LEVEL_COLUMN = re.compile(r"level(\d+)$")


def defaults() -> dict[str, object]:
    return {"dispatch_limit_hours": DEFAULT_DISPATCH_HOURS, "handle_limit_hours": DEFAULT_HANDLE_HOURS,
            "time_basis": "working", "yellow_ratio": get_settings().yellow_ratio, "priority": "normal"}


def check_limit(field: str, value: object) -> float | str | None:
    """The value normalised, or InvalidInput naming the field. None (or '') means inherit."""
    if field not in LIMIT_FIELDS:
        raise InvalidInput(field, f"unknown limit; one of {', '.join(LIMIT_FIELDS)}")
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if field in ("dispatch_limit_hours", "handle_limit_hours", "yellow_ratio"):
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InvalidInput(field, f"{value!r} is not a number") from None
        if field == "yellow_ratio":
            if not 0 < number < 1:
                raise InvalidInput(field, f"{value!r} must be between 0 and 1 (exclusive)")
        elif not (math.isfinite(number) and 0 < number <= MAX_HOURS):
            raise InvalidInput(field, f"{value!r} must be a number of hours above 0 and at most {MAX_HOURS}")
        return number
    allowed = BASES if field == "time_basis" else PRIORITIES
    text = str(value).strip().lower()
    if text not in allowed:
        raise InvalidInput(field, f"{value!r} is not one of {', '.join(allowed)}")
    return text


def check_name(field: str, name: str) -> str:
    name = name.strip()
    if not name:
        raise InvalidInput(field, "empty name")
    if SEP in name:
        raise InvalidInput(field, f"{name!r}: a name may not contain '{SEP}' (it separates path levels)")
    if len(name) > 100:
        raise InvalidInput(field, f"{name!r} is longer than 100 characters")
    return name


# ---- import ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ImportResult:
    rows: int
    created: int   # new categories
    updated: int   # existing categories whose limits changed


@dataclass
class _Row:
    number: int                    # spreadsheet row number: the header is row 1
    path: tuple[str, ...]
    limits: dict[str, object]      # only the cells that were filled


def _read(source: str | Path) -> str:
    """A str with a line break is CSV text; anything else names a file."""
    if isinstance(source, str) and "\n" in source:
        return source.lstrip("\ufeff")
    path = Path(source)
    if not path.is_file():
        raise NotFound("file", f"no file '{source}'")
    return path.read_text(encoding="utf-8-sig")


def _parse(text: str) -> list[_Row]:
    """Every row checked before anything is written; all problems reported at once."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    reader.fieldnames = header
    levels = sorted(int(m.group(1)) for h in header if (m := LEVEL_COLUMN.match(h)))
    if not levels or levels != list(range(1, len(levels) + 1)):
        raise InvalidInput("header", f"needs columns level1, level2, … without gaps; got {', '.join(header)}")
    unknown = [h for h in header if not LEVEL_COLUMN.match(h) and h not in LIMIT_FIELDS + IGNORED_COLUMNS]
    if unknown:
        raise InvalidInput("header", f"unknown column(s) {', '.join(unknown)}; limit columns are "
                                     f"{', '.join(LIMIT_FIELDS)}")
    limit_columns = [h for h in header if h in LIMIT_FIELDS]
    rows: list[_Row] = []
    errors: list[str] = []
    first_value: dict[tuple[tuple[str, ...], str], tuple[object, int]] = {}
    for number, raw in enumerate(reader, start=2):
        cells = {k: (v or "").strip() for k, v in raw.items() if k is not None}
        if None in raw:
            errors.append(f"row {number}: more cells than columns")
            continue
        if not any(cells.values()):
            continue  # blank lines that spreadsheets leave at the end
        names = [cells.get(f"level{i}", "") for i in levels]
        while names and not names[-1]:
            names.pop()
        path: list[str] = []
        for i, name in enumerate(names, start=1):
            try:
                path.append(check_name(f"level{i}", name))
            except InvalidInput as exc:
                detail = exc.detail if name else "empty name but a deeper level is given"
                errors.append(f"row {number}, column level{i}: {detail}")
        if not names:
            errors.append(f"row {number}, column level1: empty name")
        limits: dict[str, object] = {}
        for column in limit_columns:
            try:
                value = check_limit(column, cells.get(column))
            except InvalidInput as exc:
                errors.append(f"row {number}, column {column}: {exc.detail}")
                continue
            if value is None:
                continue
            limits[column] = value
            seen = first_value.setdefault((tuple(path), column), (value, number))
            if seen[0] != value:
                errors.append(f"row {number}, column {column}: {value} contradicts {seen[0]} "
                              f"given on row {seen[1]} for the same category")
        rows.append(_Row(number, tuple(path), limits))
    if errors:
        raise InvalidInput("csv", "; ".join(errors), errors=errors)
    return rows


def _next_code(session: Session, parent: Category | None, last: dict[str, int]) -> str:
    """The code after the last one under the parent, so that a code once given (even to a
    category since removed) never comes to mean another category."""
    prefix = parent.code if parent else ""
    seq = last.get(prefix, 0) + 1
    if seq > 99:
        where = path_of(session, parent) if parent else "the top level"
        raise InvalidInput("csv", f"{where}: more than 99 sub-categories (codes have two digits a level)")
    last[prefix] = seq
    return f"{prefix}{seq:02d}"


def import_taxonomy(session: Session, source: str | Path, *, root: str | None = None) -> ImportResult:
    """Build or extend the tree from CSV text or a file: columns level1…levelN and, optionally,
    the limit columns, which apply to the deepest level named on the row. Idempotent: a
    second import creates nothing and only updates limits that the file sets differently.
    All or nothing: every row is checked first, and the writes share one savepoint."""
    rows = _parse(_read(source))
    root_name = check_name("root", root) if root is not None else None

    with session.begin_nested():
        existing = session.scalars(select(Category)).all()
        by_key = {(c.parent_id, c.name): c for c in existing}
        last: dict[str, int] = {}  # parent code -> last two digits used under it
        for c in existing:
            last[c.code[:-2]] = max(last.get(c.code[:-2], 0), int(c.code[-2:]))
        created: set[int] = set()

        def child(parent: Category | None, name: str) -> Category:
            key = (parent.id if parent else None, name)
            if key not in by_key:
                cat = Category(code=_next_code(session, parent, last), name=name,
                               level=parent.level + 1 if parent else 1, parent_id=key[0])
                session.add(cat)
                session.flush()  # the id is the next level's parent_id
                by_key[key] = cat
                created.add(cat.id)
            return by_key[key]

        top = child(None, root_name) if root_name else None
        nodes: dict[tuple[str, ...], Category] = {}
        # Level by level, each in first-seen order: that order gives the codes.
        for depth in range(1, max((len(r.path) for r in rows), default=0) + 1):
            for row in rows:
                prefix = row.path[:depth]
                if len(prefix) == depth and prefix not in nodes:
                    nodes[prefix] = child(nodes.get(prefix[:-1], top) if depth > 1 else top, prefix[-1])
        changed: set[int] = set()
        for row in rows:
            cat = nodes[row.path]
            for field, value in row.limits.items():
                if getattr(cat, field) != value:
                    setattr(cat, field, value)
                    changed.add(cat.id)
        session.flush()
    cache.changed(session, _TABLE)
    cache.changed(session, _LABELS)
    cache.changed(session, _CODES)
    return ImportResult(rows=len(rows), created=len(created), updated=len(changed - created))


BUILTIN = (("taxonomy.csv", None), ("category-limits.csv", None), ("digital-city-categories.csv", "数字城管"))


def import_builtin(session: Session) -> dict[str, ImportResult]:
    """The taxonomies civicloop ships: the 12345 message taxonomy with default limits, and the
    数字城管 starter list under the root 数字城管."""
    return {name: import_taxonomy(session, DATA_DIR / name, root=root) for name, root in BUILTIN}


# ---- look-ups ---------------------------------------------------------------------------

def ancestors(session: Session, category: Category) -> list[Category]:
    """The category and its ancestors, nearest first. Parents come from the session's
    identity map after the first look-up, so repeated calls in one unit of work are cheap."""
    chain = [category]
    while chain[-1].parent_id is not None:
        chain.append(session.get(Category, chain[-1].parent_id))
    return chain


def path_of(session: Session, category: Category) -> str:
    return SEP.join(c.name for c in reversed(ancestors(session, category)))


def find_category(session: Session, ref: int | str) -> Category:
    """By id (int), code ('0103'), path ('城乡建设/安全生产/安全隐患') or name. A name found
    several times resolves to the one at the shallowest level if it is alone there
    ('交通运输' is the level-1 class, not 交通运输/交通运输); otherwise it is ambiguous."""
    if isinstance(ref, int):
        found = session.get(Category, ref)
        if found is None:
            raise NotFound("category", f"no category with id {ref}")
        return found
    text = str(ref).strip()
    if not text:
        raise InvalidInput("category", "empty reference; give a code, a path or a name")
    if text.isdigit():
        found = session.scalar(select(Category).where(Category.code == text))
    elif SEP in text:
        found = None
        for name in (part.strip() for part in text.strip(SEP).split(SEP)):
            parent = found.id if found else None
            found = session.scalar(select(Category).where(
                Category.parent_id == parent if parent is not None else Category.parent_id.is_(None),
                Category.name == name))
            if found is None:
                break
    else:
        matches = session.scalars(select(Category).where(Category.name == text).order_by(Category.code)).all()
        shallowest = [c for c in matches if c.level == min((m.level for m in matches), default=0)]
        if len(shallowest) > 1:
            candidates = ", ".join(f"{path_of(session, c)} ({c.code})" for c in matches[:6])
            if len(matches) > 6:
                candidates += f" and {len(matches) - 6} more"
            raise InvalidInput("category", f"'{text}' is ambiguous: {candidates}; give a code or a path")
        found = shallowest[0] if shallowest else None
    if found is None:
        raise NotFound("category", f"no category '{text}'")
    return found


_CODES = "category_codes"


def _read_codes(session: Session) -> dict[str, int]:
    return dict(session.execute(select(Category.code, Category.id)).all())


_LABELS = "category_labels"


def _read_labels(session: Session) -> dict[int, tuple[str, str]]:
    return {r.id: (r.code, r.name) for r in session.execute(select(Category.id, Category.code, Category.name))}


def label_of(session: Session, category_id: int | None) -> tuple[str, str] | None:
    """(code, name) of a category, for outputs (from the process's snapshot)."""
    if category_id is None:
        return None
    return cache.snapshot_holding(session, _LABELS, _read_labels, category_id).get(category_id)


def category_id(session: Session, ref: int | str) -> int:
    """The id a reference names: ids and codes from the process's snapshot (intake names a
    category with every case), paths and names through find_category."""
    if isinstance(ref, int) and ref in _limits_table(session, ref):
        return ref
    if isinstance(ref, str) and ref.strip().isdigit():
        found = cache.snapshot(session, _CODES, _read_codes).get(ref.strip())
        if found is not None:
            return found
    return find_category(session, ref).id


def list_categories(session: Session, *, level: int | None = None, under: int | str | None = None) -> list[Category]:
    """In code order, which is the tree's depth-first order."""
    query = select(Category).order_by(Category.code)
    if level is not None:
        query = query.where(Category.level == level)
    if under is not None:
        query = query.where(Category.code.startswith(find_category(session, under).code))
    return list(session.scalars(query))


# ---- limits -----------------------------------------------------------------------------

@dataclass(frozen=True)
class LimitsExplained:
    limits: Limits
    sources: dict[str, Category | None]  # per Limits attribute: the category that set it; None: default


_TABLE = "category_limits"


def _read_limits(session: Session) -> dict[int, tuple]:
    rows = session.execute(select(Category.id, Category.parent_id, *(getattr(Category, f) for f in LIMIT_FIELDS)))
    return {r[0]: tuple(r[1:]) for r in rows}


def _limits_table(session: Session, category_id: int) -> dict[int, tuple]:
    """id -> (parent_id, *LIMIT_FIELDS) of every category: a process-wide snapshot (see
    civicloop/cache.py), since every case action asks for limits; reread at once when a
    category is unknown to it (made by another worker a moment ago)."""
    return cache.snapshot_holding(session, _TABLE, _read_limits, category_id)


def lineage(session: Session, category_id: int) -> list[int]:
    """The category's id and its ancestors' ids, nearest first (from the snapshot)."""
    table = _limits_table(session, category_id)
    chain, node = [], category_id
    while node is not None:
        chain.append(node)
        node = table[node][0]
    return chain


def _resolve(session: Session, category_id: int | None) -> tuple[dict[str, object], dict[str, int | None]]:
    """(Limits fields, id of the category each came from or None for the default)."""
    table = _limits_table(session, category_id) if category_id is not None else {}
    if category_id is not None and category_id not in table:
        raise NotFound("category", f"no category with id {category_id}")
    chain = lineage(session, category_id) if category_id is not None else []
    values, sources = {}, {}
    for column, (field, fallback) in enumerate(defaults().items(), start=1):
        setter = next((c for c in chain if table[c][column] is not None), None)
        values[LIMITS_ATTR[field]] = table[setter][column] if setter is not None else fallback
        sources[LIMITS_ATTR[field]] = setter
    return values, sources


def explain_limits(session: Session, category_id: int | None) -> LimitsExplained:
    """The effective limits with the category each was inherited from."""
    values, sources = _resolve(session, category_id)
    return LimitsExplained(Limits(**values), {attr: session.get(Category, source) if source else None
                                              for attr, source in sources.items()})


def effective_limits(session: Session, category_id: int | None) -> Limits:
    """Each limit from the nearest ancestor that sets it, else the defaults; None (a case
    not yet categorised) gets the defaults."""
    return Limits(**_resolve(session, category_id)[0])


def set_limits(session: Session, ref: int | str, **fields: object) -> Category:
    """Set limits by column name (dispatch_limit_hours, handle_limit_hours, time_basis,
    yellow_ratio, priority); None clears one so that it is inherited again."""
    if not fields:
        raise InvalidInput("limits", f"nothing to set; give one or more of {', '.join(LIMIT_FIELDS)}")
    checked = {field: check_limit(field, value) for field, value in fields.items()}
    category = find_category(session, ref)
    for field, value in checked.items():
        setattr(category, field, value)
    session.flush()
    cache.changed(session, _TABLE)
    cache.changed(session, _CODES)
    return category
