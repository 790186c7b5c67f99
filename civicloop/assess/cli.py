"""`civicloop assess …` commands."""
from __future__ import annotations

import typer

app = typer.Typer(help="Indicators, rankings and 讲评 reports.", no_args_is_help=True)
