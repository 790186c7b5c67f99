"""`civicloop duplicates …` commands."""
from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from civicloop.cases.lifecycle import STATE_LABELS, State
from civicloop.cases.service import Case, get_case
from civicloop.db import transaction
from civicloop.duplicates import service
from civicloop.privacy import mask_text

app = typer.Typer(help="Find duplicate cases.", no_args_is_help=True)
console = Console()


@app.command("check")
def check(ref: str = typer.Argument(..., help="The case: id or number"),
          window_days: float = typer.Option(service.DEFAULT_WINDOW_DAYS, help="Reported at most this many days apart"),
          radius_m: float = typer.Option(service.DEFAULT_RADIUS_M, help="Points this close are near (metres)"),
          min_score: float = typer.Option(service.DEFAULT_MIN_SCORE, help="Leave out weaker candidates (0–1)"),
          limit: int = typer.Option(service.DEFAULT_LIMIT, help="How many candidates at most")) -> None:
    """Open cases that case REF may repeat, best first, with the score and the reasons.
    Merge with `civicloop case act REF merge --master ID --as USERNAME`."""
    with transaction() as session:
        case = get_case(session, ref)
        found = service.candidates(session, case, window_days=window_days, radius_m=radius_m,
                                   min_score=min_score, limit=limit)
        number = case.number
    if not found:
        console.print(f"{number}: 没有疑似重复的在办案件（{window_days:g} 天内，附近 {radius_m:g} 米或相邻网格）")
        return
    table = Table(title=f"{number} 的疑似重复案件")
    for column in ("案件", "状态", "标题", "得分", "理由"):
        table.add_column(column)
    for c in found:
        table.add_row(Case.number.fget(c.case), STATE_LABELS[State(c.case.state)], mask_text(c.case.title),
                      f"{c.score:.2f}", "，".join(c.reasons))
    console.print(table)
