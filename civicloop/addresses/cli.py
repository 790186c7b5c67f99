"""`civicloop addresses …` commands."""
from __future__ import annotations

import typer

app = typer.Typer(help="Standard addresses: import, list and match.", no_args_is_help=True)
