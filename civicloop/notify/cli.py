"""`civicloop notify …` commands."""
from __future__ import annotations

import typer

app = typer.Typer(help="Notifications to reporters.", no_args_is_help=True)
