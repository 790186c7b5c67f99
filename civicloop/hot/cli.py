"""`civicloop hot …` commands."""
from __future__ import annotations

import typer

app = typer.Typer(help="Hot issues of recent cases.", no_args_is_help=True)
