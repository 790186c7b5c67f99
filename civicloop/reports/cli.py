"""`civicloop reports …` commands."""
from __future__ import annotations

import typer

app = typer.Typer(help="Read and evaluate government work reports.", no_args_is_help=True)
