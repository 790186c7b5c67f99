"""`civicloop reports …`: read a government work report, and measure the reader against gold files."""
from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from civicloop.assess.cli import figures_transaction
from civicloop.db import transaction
from civicloop.reports import annual as drafting
from civicloop.reports import compare as comparing
from civicloop.reports import indicators, service
from civicloop.reports.numbers import POST_QUALIFIER
from civicloop.reports.reading import ReportReading

app = typer.Typer(help="Read and evaluate government work reports (政府工作报告).", no_args_is_help=True)
console = Console()

KIND_LABELS = {"growth": "增速", "level": "总量", "ceiling": "上限", "floor": "下限", "qualitative": "定性"}


class Format(str, Enum):
    text = "text"
    json = "json"


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _target_value(t) -> str:
    if t.kind == "qualitative":
        return ""
    verb = {"up": "增长 ", "down": "下降 "}.get(t.direction or "", "")
    after = t.qualifier in POST_QUALIFIER.split("|")
    text = f"{verb}{_number(t.value)}{t.unit or ''}{t.qualifier if after else ''}"
    if t.qualifier and not after:
        text = f"{t.qualifier} {text}"
    return text + (f" → {_number(t.level.value)}{t.level.unit}" if t.level else "")


def _show(reading: ReportReading) -> None:
    m = reading.metadata
    console.print(f"[bold]{m.title or '政府工作报告'}[/bold]")
    facts = [("区", m.district), ("会议", m.meeting), ("报告日期", m.delivered_on), ("回顾年度", m.report_year),
             ("计划年度", m.plan_year), ("报告人", " ".join(filter(None, (m.speaker_title, m.speaker))) or None),
             ("来源", " ".join(str(x) for x in (m.published_by, m.published_on) if x) or None)]
    console.print("  ".join(f"{label}: {value}" for label, value in facts if value))
    table = Table(title=f"主要预期目标 ({len(reading.targets)})", title_justify="left")
    for column in ("指标", "原文名称", "类型", "目标"):
        table.add_column(column)
    for t in reading.targets:
        table.add_row(indicators.standard_name(t.indicator) or "—", t.name, KIND_LABELS[t.kind], _target_value(t))
    console.print(table)
    table = Table(title=f"实事 ({len(reading.commitments)})", title_justify="left")
    for column in ("#", "事项", "数量", "责任单位"):
        table.add_column(column)
    for c in reading.commitments:
        amounts = ", ".join(f"{_number(q.value)}{q.unit}{' ' + q.thing if q.thing else ''}" for q in c.quantities)
        table.add_row(str(c.number), c.title, amounts, c.owner or "")
    console.print(table)
    if reading.figures:
        table = Table(title=f"上年完成情况 ({len(reading.figures)})", title_justify="left")
        for column in ("指标", "原文名称", "完成", "增长"):
            table.add_column(column)
        for f in reading.figures:
            table.add_row(indicators.standard_name(f.indicator) or "—", f.name, f"{_number(f.value)}{f.unit or ''}",
                          "" if f.growth is None else f"{f.growth:g}%" + (" (预计)" if f.estimated else ""))
        console.print(table)
    if reading.glossary:
        console.print(f"[bold]名词解释[/bold] ({len(reading.glossary)}): "
                      + "、".join(g.term for g in reading.glossary))
    for u in reading.unparsed:
        console.print(f"[yellow]未能解析[/yellow] ({u.kind}, {u.reason}): {u.source.text[:80]}")


FormatOption = Annotated[Format, typer.Option("--format", help="text: a summary; json: all the data")]


@app.command("read")
def read_(file: Path, format: FormatOption = Format.text) -> None:
    """Read FILE (a report as found on the web; UTF-8, UTF-16 or GB18030) into targets,
    实事 commitments, achieved figures and the glossary."""
    reading = service.read_file(file)
    if format is Format.json:
        typer.echo(json.dumps(reading.to_dict(), ensure_ascii=False, indent=1))
    else:
        _show(reading)


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


@app.command()
def evaluate(gold: Annotated[Path, typer.Option("--gold", help="folder of gold files (<stem>.json)")],
             reports: Annotated[Path | None, typer.Option("--reports", help="folder of the reports (<stem>.txt); "
                                                                            "default: the gold folder")] = None,
             format: FormatOption = Format.text) -> None:
    """Precision, recall and F1 of targets and 实事 items against gold files, per file and overall."""
    result = service.evaluate(gold, reports)
    rows = [(f.name, f.targets, f.commitments, f.metadata) for f in result.files]
    rows.append(("overall", result.total("targets"), result.total("commitments"), result.total("metadata")))
    if format is Format.json:
        typer.echo(json.dumps([{"file": name, **{part: {"found": s.found, "gold": s.gold, "matched": s.matched,
                                                         "precision": s.precision, "recall": s.recall, "f1": s.f1}
                                                  for part, s in (("targets", t), ("commitments", c), ("metadata", m))}}
                               for name, t, c, m in rows], ensure_ascii=False, indent=1))
        return
    table = Table(title="reader against gold", title_justify="left")
    for column in ("file", "targets P", "R", "F1", "实事 P", "R", "F1", "metadata"):
        table.add_column(column, justify="left" if column == "file" else "right")
    for name, t, c, m in rows:
        table.add_row(name, _ratio(t.precision), _ratio(t.recall), _ratio(t.f1), _ratio(c.precision),
                      _ratio(c.recall), _ratio(c.f1), f"{m.matched}/{m.gold}")
    console.print(table)
    for f in result.files:
        for missed in f.missed_targets:
            console.print(f"{f.name}: target not found: {missed}")
        for missed in f.missed_commitments:
            console.print(f"{f.name}: 实事 not found: {missed}")


def _show_comparison(comparison: comparing.Comparison) -> None:
    for warning in comparison.warnings:
        console.print(f"[yellow]提示[/yellow]: {warning}")
    counts = comparison.counts()
    console.print(f"[bold]{comparing.title(comparison)}[/bold]  目标：完成 {counts['met']}，未完成 {counts['missed']}，"
                  f"不可比 {counts['not_comparable']}，未见完成数 {counts['no_figure']}；实事：已完成 {counts['done']}，"
                  f"部分完成 {counts['partly']}，未提及 {counts['not_mentioned']}")
    for caption, columns, rows in (("主要预期目标", comparing.TARGET_COLUMNS, comparing.target_rows(comparison)),
                                   ("实事", comparing.COMMITMENT_COLUMNS, comparing.commitment_rows(comparison))):
        table = Table(title=f"{caption} ({len(rows)})", title_justify="left")
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*row)
        console.print(table)


XlsxOption = Annotated[Path | None, typer.Option("--xlsx", help="also write the table to this Excel file")]


@app.command("compare")
def compare_(this_year: Annotated[Path, typer.Argument(help="the report that set the targets")],
             next_year: Annotated[Path | None, typer.Argument(help="the next year's report, which reviews them")] = None,
             tracked: Annotated[bool, typer.Option("--tracked", help="against the items tracked in the database "
                                                                      "instead of a next report")] = False,
             district: Annotated[str | None, typer.Option(help="district code, with --tracked")] = None,
             year: Annotated[int | None, typer.Option(help="the tracked year, with --tracked (default: the "
                                                           "report's plan year)")] = None,
             xlsx: XlsxOption = None, format: FormatOption = Format.text) -> None:
    """Each target against its achieved figure (met / missed / not comparable) and each 实事
    against what the next report's review says of it (done / partly / not mentioned)."""
    if tracked:
        if district is None:
            raise typer.BadParameter("give --district with --tracked", param_hint="--district")
        with transaction() as session:
            comparison = drafting.compare_tracked(session, service.read_file(this_year), district_code=district,
                                                year=year)
    else:
        if next_year is None:
            raise typer.BadParameter("give the next year's report, or --tracked", param_hint="NEXT_YEAR")
        comparison = service.compare_files(this_year, next_year)
    if xlsx is not None:
        comparing.workbook(comparison).save(xlsx)
    if format is Format.json:
        typer.echo(json.dumps(comparison.to_dict(), ensure_ascii=False, indent=1))
        return
    _show_comparison(comparison)
    if xlsx is not None:
        console.print(f"written {xlsx}")


@app.command()
def annual(year: Annotated[int, typer.Option(help="the year reviewed, e.g. 2025")],
           district: Annotated[str | None, typer.Option(help="district code (default: the database's only one)")] = None,
           report: Annotated[Path | None, typer.Option(help="the report that set the year's targets: judge them "
                                                            "as it words them")] = None,
           format: FormatOption = Format.text) -> None:
    """Draft the review section of the next report: targets met or missed and 实事 done (as
    tracked through the year), and the year's case figures — every number from the data."""
    reading = service.read_file(report) if report is not None else None
    with figures_transaction() as session:
        made = drafting.draft(session, district, year, reading)
    if format is Format.json:
        typer.echo(json.dumps(made.to_dict(), ensure_ascii=False, indent=1))
        return
    console.print(f"[bold]{made.district}{made.year}年工作回顾（草稿）[/bold]")
    typer.echo(made.text)
