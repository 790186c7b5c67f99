"""`civicloop intake …` commands."""
from __future__ import annotations

import typer

app = typer.Typer(help="Classify messages: train, evaluate and use the model.", no_args_is_help=True)
