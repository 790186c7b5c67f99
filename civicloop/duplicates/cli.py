"""`civicloop duplicates …` commands."""
from __future__ import annotations

import typer

app = typer.Typer(help="Find duplicate cases.", no_args_is_help=True)
