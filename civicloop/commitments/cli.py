"""`civicloop commitments …` commands."""
from __future__ import annotations

import typer

app = typer.Typer(help="Track the work report's targets and commitments.", no_args_is_help=True)
