"""`civicloop addresses …`: import, export, list, match, and the demo registry."""
from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from civicloop.addresses import service
from civicloop.db import transaction
from civicloop.errors import InvalidInput

app = typer.Typer(help="Standard addresses: import, list and match.", no_args_is_help=True)
console = Console()
DISTRICT = typer.Option(..., "--district", "-d", help="6-digit district code, e.g. 420106")
STATUS = {"resolved": "[green]已匹配[/]", "ambiguous": "[yellow]有歧义，待人工确认[/]",
          "unresolved": "[red]未能匹配，待人工定位[/]"}


def _bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:,}/{task.total:,}"),
                    TimeElapsedColumn(), console=console, transient=True)


def _summary(summary: service.ImportSummary) -> None:
    console.print(f"{summary.district_code}: 读入 {summary.rows:,} 行，新增 {summary.added:,}，更新 {summary.updated:,}，"
                  f"删除 {summary.removed:,}；库中共 {summary.total:,} 条标准地址")


@app.command("import")
def import_(file: Path = typer.Argument(..., help=".csv or .geojson (GCJ-02), columns as in docs/addresses.md"),
            district: str = DISTRICT,
            replace: bool = typer.Option(False, "--replace", help="also remove addresses the file does not hold")) -> None:
    """Add and update standard addresses from a file; every problem is reported by row and
    column, and nothing is written unless the whole file is right."""
    try:
        content = file.read_bytes()
    except OSError as exc:
        raise InvalidInput("file", f"{file}: {exc.strerror}") from None
    rows = service.read_file(file.name, content)
    with _bar() as bar:
        task = bar.add_task("检查", total=len(rows))
        with transaction() as session:
            summary = service.import_addresses(
                session, district, rows, replace=replace,
                progress=lambda step, done, total: bar.update(task, description=step, completed=done, total=total))
    _summary(summary)


@app.command("generate-demo")
def generate_demo(district: str = DISTRICT, seed: int = typer.Option(1, help="the same seed gives the same registry")) -> None:
    """Replace the district's registry with GENERATED demo addresses (invented roads, estates
    and buildings over the real communities and grid cells; not surveyed data)."""
    with _bar() as bar:
        task = bar.add_task("生成", total=1)
        with transaction() as session:
            summary = service.generate_demo_registry(
                session, district, seed=seed,
                progress=lambda step, done, total: bar.update(task, description=step, completed=done, total=total))
    _summary(summary)


@app.command("export")
def export(district: str = DISTRICT,
           out: Path | None = typer.Option(None, "--out", "-o", help=".csv or .geojson (default: CSV to stdout)")) -> None:
    """Write the district's registry as CSV or GeoJSON (an export imports back unchanged)."""
    geojson = out is not None and out.suffix.lower() in (".geojson", ".json")
    with transaction() as session:
        text = (json.dumps(service.export_geojson(session, district), ensure_ascii=False) if geojson
                else service.export_csv(session, district))
    if out is None:
        typer.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    console.print(f"wrote {out}")


@app.command("list")
def list_(district: str | None = typer.Option(None, "--district", "-d"),
          grid: str | None = typer.Option(None, help="grid cell code"),
          q: str | None = typer.Option(None, "--q", help="a piece of the standard text"),
          limit: int = typer.Option(50, min=1, max=10_000)) -> None:
    """Standard addresses, by grid cell."""
    with transaction() as session:
        for a in service.list_addresses(session, district_code=district, grid_code=grid, q=q, limit=limit):
            typer.echo(f"{a.id}\t{a.grid_code}\t{a.text}")


@app.command("match")
def match(text: str = typer.Argument(..., help="an address as written"), district: str = DISTRICT) -> None:
    """The standard address and grid cell a written address names — or why it is flagged."""
    with transaction() as session:
        found = service.match_address(session, district, text)
    console.print(f"{STATUS[found.status]}  {found.text}")
    if found.address:
        a = found.address
        console.print(f"  {a.text}\n  网格 {a.grid_code}  社区 {a.community_code}  街道 {a.street_code}  得分 {a.score:.2f}")
    for reason in found.reasons:
        console.print(f"  · {reason}")
    if not found.resolved and found.candidates:
        table = Table("得分", "候选标准地址", "网格", title="候选", title_justify="left")
        for c in found.candidates:
            table.add_row(f"{c.score:.2f}", c.text, c.grid_code)
        console.print(table)
    if not found.resolved:
        raise typer.Exit(1)
