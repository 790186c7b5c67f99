"""`civicloop categories …`: import the taxonomy, look at it, set time limits."""
from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from civicloop.categories import service
from civicloop.db import transaction

app = typer.Typer(help="Categories (分类) and their time limits.", no_args_is_help=True)

LIMIT_LABELS = {"dispatch_hours": "派遣时限", "handle_hours": "处置时限", "basis": "计时方式",
                "yellow_ratio": "黄灯比例", "priority": "优先级"}
BASIS_LABELS = {"working": "工作时间", "natural": "自然时间"}
PRIORITY_LABELS = {"urgent": "紧急", "high": "较急", "normal": "一般", "low": "不急"}


class Basis(str, Enum):
    working = "working"
    natural = "natural"


class Priority(str, Enum):
    urgent = "urgent"
    high = "high"
    normal = "normal"
    low = "low"


def _report(name: str, result: service.ImportResult) -> None:
    typer.echo(f"{name}: {result.rows} 行, 新建 {result.created} 个分类, 更新时限 {result.updated} 个")


@app.command("import")
def import_(file: Path, root: Optional[str] = typer.Option(None, help="Put the imported tree under this top category")) -> None:
    """Import FILE (CSV: level1,level2,…, optional limit columns). Safe to repeat."""
    with transaction() as session:
        _report(file.name, service.import_taxonomy(session, file, root=root))


@app.command("import-builtin")
def import_builtin() -> None:
    """Import the taxonomies civicloop ships (12345 taxonomy with default limits, 数字城管 list)."""
    with transaction() as session:
        for name, result in service.import_builtin(session).items():
            _report(name, result)


@app.command("list")
def list_(level: Optional[int] = typer.Option(None, help="Only this level (1 = top)"),
          tree: bool = typer.Option(False, "--tree", help="Indent by level")) -> None:
    """List categories in code order."""
    with transaction() as session:
        for cat in service.list_categories(session, level=level):
            if tree:
                typer.echo(f"{'  ' * (cat.level - 1)}{cat.code} {cat.name}")
            else:
                typer.echo(f"{cat.code}\t{service.path_of(session, cat)}")


def _value(attr: str, value: object) -> str:
    if attr in ("dispatch_hours", "handle_hours"):
        return f"{value:g} 小时"
    if attr == "basis":
        return BASIS_LABELS[value]
    if attr == "priority":
        return PRIORITY_LABELS[value]
    return f"{value:g}" if isinstance(value, float) else str(value)


@app.command()
def show(ref: str) -> None:
    """Show a category (code, path or name) with its effective limits and where each comes from."""
    with transaction() as session:
        cat = service.find_category(session, ref)
        explained = service.explain_limits(session, cat.id)
        typer.echo(f"{cat.code} {service.path_of(session, cat)} (第 {cat.level} 级{'' if cat.active else ', 已停用'})")
        for attr, label in LIMIT_LABELS.items():
            source = explained.sources[attr]
            where = ("本分类设定" if source is cat else f"继承自 {service.path_of(session, source)} ({source.code})"
                     if source else "系统默认")
            typer.echo(f"  {label}: {_value(attr, getattr(explained.limits, attr))}  [{where}]")


@app.command("set-limits")
def set_limits(
    ref: str,
    dispatch: Optional[float] = typer.Option(None, help="Dispatch limit, hours"),
    handle: Optional[float] = typer.Option(None, help="Handling limit, hours"),
    basis: Optional[Basis] = typer.Option(None, help="Count working or natural hours"),
    yellow: Optional[float] = typer.Option(None, help="Share of the limit at which a case turns yellow, 0–1"),
    priority: Optional[Priority] = typer.Option(None),
    inherit: list[str] = typer.Option([], help="Clear this limit so it is inherited again (repeatable): "
                                               + ", ".join(service.LIMIT_FIELDS)),
) -> None:
    """Set time limits of a category; the ones not given stay as they are."""
    fields: dict[str, object] = {field: None for field in inherit}
    given = {"dispatch_limit_hours": dispatch, "handle_limit_hours": handle,
             "time_basis": basis.value if basis else None, "yellow_ratio": yellow,
             "priority": priority.value if priority else None}
    fields.update({field: value for field, value in given.items() if value is not None})
    with transaction() as session:
        cat = service.set_limits(session, ref, **fields)
        typer.echo(f"已更新 {cat.code} {service.path_of(session, cat)}")
    show(ref)
