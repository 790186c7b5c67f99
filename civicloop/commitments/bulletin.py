"""The 周督查/半月通报 bulletin: what is late, what is at risk, what changed since the last
bulletin (new progress, status changes, new 督办), and counts by department — composed
from the data as of a date, then written to Excel (a sheet per view) and to a printable
HTML page."""
from __future__ import annotations

import datetime as dt
import html
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicloop.cases.lifecycle import Actor
from civicloop.commitments import service
from civicloop.commitments.models import (
    ProgressReport,
    Supervision,
    TrackedItem,
)
from civicloop.commitments.rules import KINDS, STATUS_LABELS, Status, derive
from civicloop.departments.models import Department
from civicloop.departments.service import check_district_code
from civicloop.regions.models import Region
from civicloop.users.models import User


@dataclass(frozen=True)
class ItemRow:
    id: int
    kind: str
    title: str
    lead: str
    co: str
    status: Status
    reason: str
    promised: str
    achieved: str
    due: dt.date
    supervisions: int


@dataclass(frozen=True)
class ProgressRow:
    item_id: int
    title: str
    department: str
    reported_on: dt.date
    text: str
    quantity: str
    evidence: str


@dataclass(frozen=True)
class ChangeRow:
    item_id: int
    title: str
    lead: str
    before: str   # 新增 when the item did not yet exist
    after: str
    reason: str


@dataclass(frozen=True)
class SupervisionRow:
    item_id: int
    title: str
    lead: str
    leader: str
    note: str
    issued_on: dt.date
    due: dt.date


@dataclass(frozen=True)
class DepartmentRow:
    department: str
    total: int
    counts: dict[Status, int]
    new_progress: int


@dataclass
class BulletinData:
    district_code: str
    year: int
    as_of: dt.date
    since: dt.date | None
    district_name: str = ""
    number: int = 0
    items: list[ItemRow] = field(default_factory=list)
    new_progress: list[ProgressRow] = field(default_factory=list)
    changes: list[ChangeRow] = field(default_factory=list)
    new_supervisions: list[SupervisionRow] = field(default_factory=list)
    departments: list[DepartmentRow] = field(default_factory=list)

    @property
    def late(self) -> list[ItemRow]:
        return [row for row in self.items if row.status is Status.LATE]

    @property
    def at_risk(self) -> list[ItemRow]:
        return [row for row in self.items if row.status is Status.AT_RISK]

    @property
    def totals(self) -> Counter:
        return Counter(row.status for row in self.items)

    @property
    def title(self) -> str:
        issue = f"（第{self.number}期）" if self.number else ""
        return f"{self.district_name}{self.year}年重点工作督查通报{issue}"

    @property
    def period_label(self) -> str:
        start = f"{self.since + dt.timedelta(days=1)}" if self.since else f"{self.year}-01-01"
        return f"{start} 至 {self.as_of}"


def _amount(value: float | None, unit: str | None) -> str:
    return "" if value is None else f"{value:g}{unit or ''}"


def compose(session: Session, *, district_code: str, as_of: dt.date, since: dt.date | None = None,
            year: int | None = None) -> BulletinData:
    """Everything the bulletin says, read from the data (nothing is written)."""
    district_code = check_district_code(district_code)
    year = year or as_of.year
    window = service.period(session, district_code, as_of, since)
    items = service.list_items(session, district_code=district_code, year=year)
    seen = service.views(session, items)   # read once, judged as of two dates
    now_status = {item_id: derive(view, as_of) for item_id, view in seen.items()}
    names = dict(session.execute(select(Department.id, Department.name)
                                 .where(Department.district_code == district_code)).all())
    co = service.co_departments(session, [item.id for item in items])
    by_id = {item.id: item for item in items}
    district = session.get(Region, district_code)
    data = BulletinData(district_code, year, as_of, window.since, district.name if district else "")
    for item in items:
        verdict = now_status[item.id]
        data.items.append(ItemRow(item.id, KINDS[item.kind], item.title, names.get(item.lead_department_id, ""),
                                  "、".join(names.get(d, "") for d in co.get(item.id, [])), verdict.status,
                                  verdict.reason, _amount(item.quantity, item.unit),
                                  _amount(verdict.achieved, item.unit), item.due, len(seen[item.id].supervisions)))
    start = window.since or dt.date(year - 1, 12, 31)
    fresh = (session.execute(select(ProgressReport).join(TrackedItem, TrackedItem.id == ProgressReport.item_id)
                             .where(TrackedItem.district_code == district_code, TrackedItem.year == year,
                                    ProgressReport.reported_on > start, ProgressReport.reported_on <= as_of)
                             .order_by(ProgressReport.reported_on, ProgressReport.id)).scalars())
    for report in fresh:
        item = by_id[report.item_id]
        data.new_progress.append(ProgressRow(item.id, item.title, names.get(report.department_id, ""),
                                             report.reported_on, report.text, _amount(report.quantity, item.unit),
                                             "\n".join(report.evidence or [])))
    leaders = dict(session.execute(select(User.id, User.name)).all())
    after_start = dt.datetime.combine(start + dt.timedelta(days=1), dt.time())
    until = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())
    for order in session.execute(select(Supervision).join(TrackedItem, TrackedItem.id == Supervision.item_id)
                                 .where(TrackedItem.district_code == district_code, TrackedItem.year == year,
                                        Supervision.created_at >= after_start, Supervision.created_at < until)
                                 .order_by(Supervision.created_at, Supervision.id)).scalars():
        item = by_id[order.item_id]
        data.new_supervisions.append(SupervisionRow(item.id, item.title, names.get(item.lead_department_id, ""),
                                                    leaders.get(order.leader_id, ""), order.note,
                                                    order.created_at.date(), order.due))
    data.changes = _changes(items, seen, now_status, window, start, names)
    data.departments = _by_department(data)
    return data


def _changes(items: list[TrackedItem], seen: dict, now_status: dict, window: service.Period, start: dt.date,
             names: dict) -> list[ChangeRow]:
    """Status as of the last bulletin (as it said then) or as of `since` (derived), against now."""
    recorded = window.previous.statuses if window.previous is not None else {}
    existing = [item for item in items if item.created_at.date() <= start and str(item.id) not in recorded]
    derived = {item.id: derive(seen[item.id], start) for item in existing}
    rows = []
    for item in items:
        verdict = now_status[item.id]
        if str(item.id) in recorded:
            before = STATUS_LABELS[Status(recorded[str(item.id)])]
        elif item.id in derived:
            before = derived[item.id].label
        else:
            before = "新增"
        if before != verdict.label:
            rows.append(ChangeRow(item.id, item.title, names.get(item.lead_department_id, ""), before,
                                  verdict.label, verdict.reason))
    return rows


def _by_department(data: BulletinData) -> list[DepartmentRow]:
    """By lead department, most late first."""
    grouped: dict[str, Counter] = {}
    for row in data.items:
        grouped.setdefault(row.lead, Counter())[row.status] += 1
    fresh = Counter()
    lead_of = {row.id: row.lead for row in data.items}
    for report in data.new_progress:
        fresh[lead_of[report.item_id]] += 1
    rows = [DepartmentRow(name, sum(counts.values()), dict(counts), fresh[name]) for name, counts in grouped.items()]
    return sorted(rows, key=lambda r: (-r.counts.get(Status.LATE, 0), -r.counts.get(Status.AT_RISK, 0), r.department))


def issue(session: Session, *, actor: Actor, now: dt.datetime, district_code: str, as_of: dt.date,
          since: dt.date | None = None, year: int | None = None) -> BulletinData:
    """Compose the bulletin and record it as issued (for the next one's "since")."""
    data = compose(session, district_code=district_code, as_of=as_of, since=since, year=year)
    service.record_bulletin(session, actor=actor, now=now, district_code=data.district_code, year=data.year,
                            as_of=as_of, since=data.since,
                            statuses_as_of={row.id: row.status.value for row in data.items})
    data.number = service.bulletin_number(session, data.district_code, data.year)
    return data


# ------------------------------------------------------------------ the views, as tables

ITEM_COLUMNS = (("编号", 8), ("类别", 12), ("事项", 40), ("牵头单位", 18), ("配合单位", 24), ("状态", 10),
                ("说明", 44), ("目标", 12), ("已完成", 12), ("完成期限", 12), ("督办次数", 10))
PROGRESS_COLUMNS = (("编号", 8), ("事项", 36), ("报告单位", 18), ("日期", 12), ("进展", 60), ("累计完成", 12),
                    ("佐证材料", 40))
CHANGE_COLUMNS = (("编号", 8), ("事项", 40), ("牵头单位", 18), ("上期状态", 12), ("本期状态", 12), ("说明", 44))
SUPERVISION_COLUMNS = (("编号", 8), ("事项", 36), ("牵头单位", 18), ("督办领导", 12), ("督办意见", 50),
                       ("督办日期", 12), ("反馈期限", 12))
DEPARTMENT_STATUSES = (Status.LATE, Status.AT_RISK, Status.ON_TRACK, Status.DONE, Status.DROPPED)
DEPARTMENT_COLUMNS = ((("牵头单位", 22), ("事项数", 8)) + tuple((STATUS_LABELS[s], 10) for s in DEPARTMENT_STATUSES)
                      + (("本期新报进展", 14),))


def _item_cells(row: ItemRow) -> list:
    return [row.id, row.kind, row.title, row.lead, row.co, STATUS_LABELS[row.status], row.reason, row.promised,
            row.achieved, row.due, row.supervisions]


def views(data: BulletinData) -> list[tuple[str, tuple, list[list]]]:
    """(sheet or section title, columns, rows) for each view, in the bulletin's order."""
    return [
        ("滞后事项", ITEM_COLUMNS, [_item_cells(r) for r in data.late]),
        ("风险事项", ITEM_COLUMNS, [_item_cells(r) for r in data.at_risk]),
        ("状态变化", CHANGE_COLUMNS, [[r.item_id, r.title, r.lead, r.before, r.after, r.reason] for r in data.changes]),
        ("新报进展", PROGRESS_COLUMNS, [[r.item_id, r.title, r.department, r.reported_on, r.text, r.quantity,
                                      r.evidence] for r in data.new_progress]),
        ("新增督办", SUPERVISION_COLUMNS, [[r.item_id, r.title, r.lead, r.leader, r.note, r.issued_on, r.due]
                                       for r in data.new_supervisions]),
        ("分单位统计", DEPARTMENT_COLUMNS, [[r.department, r.total, *(r.counts.get(s, 0) for s in DEPARTMENT_STATUSES),
                                         r.new_progress] for r in data.departments]),
        ("全部事项", ITEM_COLUMNS, [_item_cells(r) for r in data.items]),
    ]


def summary_lines(data: BulletinData) -> list[str]:
    totals = data.totals
    counts = "，".join(f"{STATUS_LABELS[s]} {totals.get(s, 0)} 项" for s in DEPARTMENT_STATUSES)
    return [f"统计截至 {data.as_of}，本期 {data.period_label}。",
            f"共跟踪 {len(data.items)} 项：{counts}。",
            f"本期新报进展 {len(data.new_progress)} 条，状态变化 {len(data.changes)} 项，新增督办 {len(data.new_supervisions)} 件。"]


# ------------------------------------------------------------------ Excel

_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="top")
_LATE, _AT_RISK = STATUS_LABELS[Status.LATE], STATUS_LABELS[Status.AT_RISK]


def _styles() -> list[NamedStyle]:
    """Named once per workbook and given to cells by name: far cheaper than a style object
    per cell, which openpyxl hashes on every assignment."""
    return [NamedStyle("表头", font=Font(bold=True), fill=PatternFill("solid", fgColor="DDE4EE"), border=_BORDER,
                       alignment=Alignment(horizontal="center", vertical="center")),
            NamedStyle("正文", border=_BORDER, alignment=_WRAP),
            NamedStyle("日期", border=_BORDER, alignment=_WRAP, number_format="yyyy-mm-dd"),
            NamedStyle(_LATE, border=_BORDER, alignment=_WRAP, fill=PatternFill("solid", fgColor="F8CBAD")),
            NamedStyle(_AT_RISK, border=_BORDER, alignment=_WRAP, fill=PatternFill("solid", fgColor="FFE699"))]


def _style_of(value) -> str:
    if isinstance(value, dt.date):
        return "日期"
    return value if value in (_LATE, _AT_RISK) else "正文"


def write_xlsx(data: BulletinData, path: Path | BinaryIO) -> None:
    """To a file or a binary stream: a summary sheet, then a sheet per view: bold shaded
    headers, fixed widths, wrapped text, frozen header row, dates as dates, late and at-risk
    statuses shaded, landscape printing with the header row repeated."""
    book = Workbook()
    for style in _styles():
        book.add_named_style(style)
    summary = book.active
    summary.title = "概况"
    summary["A1"] = data.title
    summary["A1"].font = Font(bold=True, size=14)
    for offset, line in enumerate(summary_lines(data), start=2):
        summary.cell(row=offset, column=1, value=line)
    summary.column_dimensions["A"].width = 90
    for title, columns, rows in views(data):
        sheet = book.create_sheet(title)
        for col, (name, width) in enumerate(columns, start=1):
            sheet.cell(row=1, column=col, value=name).style = "表头"
            sheet.column_dimensions[get_column_letter(col)].width = width
        for r, values in enumerate(rows, start=2):
            for col, value in enumerate(values, start=1):
                sheet.cell(row=r, column=col, value=value).style = _style_of(value)
        sheet.freeze_panes = "A2"
        sheet.print_title_rows = "1:1"
        sheet.page_setup.orientation = "landscape"
    book.save(path)


# ------------------------------------------------------------------ HTML

_STYLE = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.5em; text-align: center; } h2 { font-size: 1.15em; border-bottom: 2px solid #345; margin-top: 1.6em; }
table { border-collapse: collapse; width: 100%; font-size: 0.9em; page-break-inside: auto; }
th, td { border: 1px solid #999; padding: 4px 6px; vertical-align: top; text-align: left; }
th { background: #dde4ee; } tr { page-break-inside: avoid; } thead { display: table-header-group; }
.late { background: #f8cbad; } .at_risk { background: #ffe699; } .none { color: #666; }
@media print { body { margin: 1cm; } @page { size: A4 landscape; } }
"""


def _cell(value) -> str:
    text = "" if value is None else str(value)
    css = {STATUS_LABELS[Status.LATE]: ' class="late"', STATUS_LABELS[Status.AT_RISK]: ' class="at_risk"'}
    return f"<td{css.get(text, '')}>{html.escape(text).replace(chr(10), '<br>')}</td>"


def render_html(data: BulletinData) -> str:
    """One printable page (A4 landscape), every view a section."""
    parts = ["<!DOCTYPE html>", '<html lang="zh-CN"><head><meta charset="utf-8">',
             f"<title>{html.escape(data.title)}</title><style>{_STYLE}</style></head><body>",
             f"<h1>{html.escape(data.title)}</h1>"]
    parts += [f"<p>{html.escape(line)}</p>" for line in summary_lines(data)]
    for title, columns, rows in views(data):
        parts.append(f"<h2>{html.escape(title)}（{len(rows)}）</h2>")
        if not rows:
            parts.append('<p class="none">无</p>')
            continue
        head = "".join(f"<th>{html.escape(name)}</th>" for name, _ in columns)
        body = "".join("<tr>" + "".join(_cell(v) for v in values) + "</tr>" for values in rows)
        parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_html(data: BulletinData, path: Path) -> None:
    path.write_text(render_html(data), encoding="utf-8")
