"""`civicloop init`, `civicloop grids …` and `civicloop regions …`."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.tree import Tree

from civicloop.db import transaction
from civicloop.errors import InvalidInput
from civicloop.regions import service
from civicloop.regions.divisions import community_type, street_type

grids_app = typer.Typer(help="单元网格: import and export a district's grid (GeoJSON, GCJ-02).", no_args_is_help=True)
regions_app = typer.Typer(help="Districts, streets and communities.", no_args_is_help=True)
console = Console()

DISTRICT = typer.Option(..., "--district", "-d", help="6-digit district code, e.g. 420106")


def _read_geojson(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput("file", f"{path} does not exist") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput("file", f"{path} is not UTF-8 JSON: {exc}") from None


def init(
    district: str = DISTRICT,
    cell_area: Optional[float] = typer.Option(None, "--cell-area", help="grid cell area in m² (default 10000)"),
    boundary: Optional[Path] = typer.Option(None, "--boundary", help="district boundary GeoJSON in GCJ-02, "
                                                                   "when the packaged one is missing or outdated"),
    replace: bool = typer.Option(False, "--replace", help="rebuild a district that already exists"),
) -> None:
    """Set a district up: its streets and communities, derived areas and a generated grid."""
    boundary_geojson = _read_geojson(boundary) if boundary else None
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console,
                  transient=True) as bar:
        task = bar.add_task("准备", total=1)

        def progress(step: str, done: int, total: int) -> None:
            bar.update(task, description=step, completed=done, total=total)

        with transaction() as session:
            summary = service.init_district(session, district, cell_area_m2=cell_area,
                                            boundary_geojson=boundary_geojson, replace=replace, progress=progress)
    table = Table(title=f"{summary.code} {summary.full_name}", show_header=False)
    for name, value in [
        ("街道/乡镇", f"{summary.streets}（其中类似乡级单位 {summary.non_admin_streets}）"),
        ("社区/村", f"{summary.communities}（其中非建制 {summary.non_admin_communities}）"),
        ("单元网格", f"{summary.cells}（每格约 {summary.cell_area_m2:,.0f} m²）"),
        ("面积", f"{summary.area_km2:.2f} km²"),
        ("边界来源", summary.boundary_source),
        ("坐标系", "GCJ-02"),
        ("用时", f"{summary.seconds:.1f} s"),
    ]:
        table.add_row(name, value)
    console.print(table)


@grids_app.command("import")
def grids_import(file: Path = typer.Argument(..., help="FeatureCollection of cells (GCJ-02)"),
                 district: str = DISTRICT) -> None:
    """Replace a district's grid with surveyed cells; nothing changes if any feature is wrong."""
    geojson = _read_geojson(file)
    with transaction() as session:
        summary = service.import_grids(session, district, geojson)
    console.print(f"imported {summary.cells} cells, {summary.area_km2:.2f} km², "
                  f"{summary.coverage:.1%} of district {summary.district_code}")


@grids_app.command("export")
def grids_export(district: str = DISTRICT,
                 out: Optional[Path] = typer.Option(None, "--out", "-o", help="file to write (default: stdout)")) -> None:
    """Write a district's grid as GeoJSON (GCJ-02)."""
    with transaction() as session:
        collection = service.export_grids(session, district)
    text = json.dumps(collection, ensure_ascii=False)
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote {len(collection['features'])} cells to {out}")


@regions_app.command("import-communities")
def communities_import(file: Path = typer.Argument(..., help="FeatureCollection, one feature per community"),
                       district: str = DISTRICT,
                       cell_area: Optional[float] = typer.Option(None, "--cell-area",
                                                                 help="cell area for the regenerated grid")) -> None:
    """Replace derived community areas with surveyed ones (and re-cut a generated grid)."""
    geojson = _read_geojson(file)
    with transaction() as session:
        summary = service.import_communities(session, district, geojson, cell_area_m2=cell_area)
    console.print(f"imported {summary.features} communities, {summary.area_km2:.2f} km² "
                  f"({summary.coverage:.1%} of the district); the district has {summary.cells} cells")


@regions_app.command("list")
def regions_list(district: Optional[str] = typer.Option(None, "--district", "-d",
                                                        help="show this district's tree")) -> None:
    """The districts set up, or one district's streets and communities with grid counts."""
    with transaction() as session:
        if district is None:
            table = Table("code", "name", "streets", "communities", "cells", "km²")
            for region in service.list_districts(session):
                tree = service.region_tree(session, region.code)
                table.add_row(region.code, region.name, str(len(tree.children)),
                              str(sum(len(s.children) for s in tree.children)), str(tree.cells),
                              f"{(region.area_m2 or 0) / 1e6:.2f}")
            console.print(table)
            return
        tree = service.region_tree(session, district)
    root = Tree(f"[bold]{tree.code} {tree.name}[/] {len(tree.children)} 街道/乡镇, {tree.cells} 网格")
    for street in tree.children:
        branch = root.add(f"{street.code} {street.name} [dim]{street_type(street.code)}"
                          f"{' 非建制' if street.kind == 'non_admin' else ''}[/] "
                          f"{len(street.children)} 社区/村, {street.cells} 网格")
        for community in street.children:
            branch.add(f"{community.code} {community.name} [dim]{community_type(community.code)}[/] "
                       f"{community.cells} 网格, {(community.area_m2 or 0) / 1e6:.2f} km²")
    console.print(root)


@regions_app.command("locate")
def regions_locate(lon: float, lat: float, district: str = DISTRICT,
                   wgs84: bool = typer.Option(False, "--wgs84", help="the point is a GPS (WGS-84) fix")) -> None:
    """The grid cell, community and street of a point (GCJ-02 unless --wgs84)."""
    with transaction() as session:
        found = service.locate(session, district, lon, lat, crs="wgs84" if wgs84 else "gcj02")
    console.print(f"grid {found.grid_code}  community {found.community_code}  street {found.street_code}")


def mount(app: typer.Typer) -> None:
    app.command("init")(init)
    app.add_typer(grids_app, name="grids")
    app.add_typer(regions_app, name="regions")
