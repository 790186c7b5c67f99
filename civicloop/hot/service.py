"""Hot issues (热点问题): the topics of a district's recent cases, or of a file of messages,
hottest first. Grouping is in grouping.py, the heat index in heat.py, places in places.py."""
from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicloop.cases.lifecycle import Actor, State
from civicloop.cases.models import Case
from civicloop.cases.query import scope_condition
from civicloop.departments.service import check_district_code
from civicloop.errors import InvalidInput, TooLarge
from civicloop.hot.grouping import Report, Topic, group
from civicloop.hot.places import district_of
from civicloop.regions.models import Region

MESSAGE_COLUMNS = ("id", "user", "title", "time", "text", "likes", "dislikes")
MAX_DAYS = 366
MAX_TOP = 100
MAX_MESSAGES = 1_000_000
# Cases are of our time; outside these years a window is a typing error (and before 1901
# the zone's offset has seconds, which no RFC 3339 time can carry).
EARLIEST, LATEST = 1990, 2100
# Cases that are no report of a matter: refused at registration (不予立案).
NOT_REPORTS = (State.REJECTED.value,)

Progress = Callable[[int, int], None]


@dataclass
class HotIssues:
    topics: list[Topic]   # the top ones, hottest first
    reports: int          # cases or messages read
    grouped: int          # of them, in some topic (not only the top ones)
    since: dt.datetime | None
    until: dt.datetime | None


def check_window(days: int | None, top: int) -> None:
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise InvalidInput("days", f"a whole number of days from 1 to {MAX_DAYS}, got {days}")
    if not 1 <= top <= MAX_TOP:
        raise InvalidInput("top", f"from 1 to {MAX_TOP} topics, got {top}")


def _result(reports: list[Report], *, top: int, since, until, half_life_days, progress) -> HotIssues:
    topics = group(reports, now=until, half_life_days=half_life_days, progress=progress)
    return HotIssues(topics=topics[:top], reports=len(reports), grouped=sum(len(t.refs) for t in topics),
                     since=since, until=until)


def hot_cases(session: Session, actor: Actor, *, district_code: str, days: int, top: int,
              until: dt.datetime, progress: Progress | None = None) -> HotIssues:
    """Topics of the district's cases reported in the `days` before `until` that `actor`
    may see; heat halves every `days` days of a topic's quiet."""
    district_code = check_district_code(district_code)
    check_window(days, top)
    if not EARLIEST <= until.year <= LATEST:
        raise InvalidInput("until", f"a time of the years {EARLIEST}–{LATEST}, got {until.isoformat()}")
    since = until - dt.timedelta(days=days)
    where = [Case.district_code == district_code, Case.reported_at > since, Case.reported_at <= until,
             Case.state.not_in(NOT_REPORTS)]
    scope = scope_condition(actor)
    if scope is not None:
        where.append(scope)
    rows = session.execute(select(Case.id, Case.title, Case.body, Case.address, Case.reported_at,
                                  Case.reporter_user_id, Case.reporter_phone, Case.community_code,
                                  Case.grid_code).where(*where).order_by(Case.id)).all()
    communities = {row.community_code for row in rows if row.community_code}
    names = dict(session.execute(select(Region.code, Region.name).where(Region.code.in_(communities)))
                 .all()) if communities else {}
    reports = [Report(ref=str(row.id), title=row.title, text=f"{row.address or ''} {row.body}".strip(),
                      at=row.reported_at, reporter=_reporter(row), area=row.community_code,
                      area_name=names.get(row.community_code), grid=row.grid_code) for row in rows]
    return _result(reports, top=top, since=since, until=until, half_life_days=days, progress=progress)


def _reporter(row) -> str | None:
    """Who reported, only to count distinct people (never shown)."""
    if row.reporter_user_id is not None:
        return f"user:{row.reporter_user_id}"
    return f"phone:{row.reporter_phone}" if row.reporter_phone else None


def read_messages(source: Path | str | bytes) -> list[Report]:
    """Messages from a CSV with the columns of hot-messages.csv (UTF-8, a BOM is fine).
    A file that is not such a CSV is refused whole, naming the line and column at fault."""
    if isinstance(source, bytes):
        raw = source
    else:
        path = Path(source)
        if not path.is_file():
            raise InvalidInput("messages", f"{path} is not a readable file")
        raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput("messages", f"not UTF-8 text (byte {exc.start})") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = tuple(name.strip() for name in reader.fieldnames or ())
    missing = [c for c in MESSAGE_COLUMNS if c not in header]
    if not header:
        raise InvalidInput("messages", f"the file is empty; expected a header row {','.join(MESSAGE_COLUMNS)}")
    if missing:
        raise InvalidInput("messages", f"missing column(s) {', '.join(missing)}; "
                                       f"expected {','.join(MESSAGE_COLUMNS)}, got {','.join(header)}")
    reader.fieldnames = list(header)
    reports = []
    for row in reader:
        line = reader.line_num
        if len(reports) >= MAX_MESSAGES:
            raise TooLarge("messages", f"more than {MAX_MESSAGES:,} messages")
        if None in row or any(row[c] is None for c in MESSAGE_COLUMNS):
            raise InvalidInput("messages", f"line {line}: expected {len(header)} fields")
        reports.append(_message(row, line))
    if not reports:
        raise InvalidInput("messages", "the file has a header but no messages")
    return reports


def _message(row: dict, line: int) -> Report:
    ref, title, text = row["id"].strip(), row["title"].strip(), row["text"].replace("_x000D_", " ").strip()
    if not ref:
        raise InvalidInput("messages", f"line {line}: empty id")
    if not title and not text:
        raise InvalidInput("messages", f"line {line}: neither title nor text")
    try:
        at = dt.datetime.fromisoformat(row["time"].strip())
    except ValueError:
        raise InvalidInput("messages", f"line {line}: time {row['time']!r} is not an ISO date-time "
                                       f"like 2019-02-28T11:25:05") from None
    counts = []
    for column in ("likes", "dislikes"):
        value = row[column].strip() or "0"
        if not value.isdigit() or len(value) > 9:
            raise InvalidInput("messages", f"line {line}: {column} {row[column]!r} is not a count")
        counts.append(int(value))
    return Report(ref=ref, title=title, text=text, at=at.replace(tzinfo=None), likes=counts[0],
                  dislikes=counts[1], reporter=row["user"].strip() or None, district=district_of(f"{title} {text}"))


def hot_messages(reports: list[Report], *, top: int, days: int | None = None,
                 progress: Progress | None = None) -> HotIssues:
    """Topics of messages (read_messages). With `days`, only those of the last `days` days
    before the newest message, and heat halving every `days` days; without, all of them
    and no decay (a file is a history, not this week)."""
    check_window(days, top)
    if not reports:
        return HotIssues(topics=[], reports=0, grouped=0, since=None, until=None)
    until = max(r.at for r in reports)
    since = until - dt.timedelta(days=days) if days is not None else min(r.at for r in reports)
    if days is not None:
        reports = [r for r in reports if r.at > since]
    return _result(reports, top=top, since=since, until=until, half_life_days=days, progress=progress)


def cases_behind(session: Session, topics: list[Topic]) -> dict[int, object]:
    """The rows (id, number's parts, title, state, grid) of the cases behind `topics`, by id."""
    ids = sorted({int(ref) for topic in topics for ref in topic.refs})
    rows = session.execute(select(Case.id, Case.district_code, Case.reported_at, Case.title, Case.state,
                                  Case.grid_code).where(Case.id.in_(ids))).all() if ids else []
    return {row.id: row for row in rows}
