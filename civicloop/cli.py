"""The root command: `civicloop …`. Each domain mounts its own sub-commands."""
from __future__ import annotations

import typer

from civicloop import migrate
from civicloop.errors import CivicloopError
from civicloop.settings import get_settings
from civicloop.cases.cli import app as case_app, sweep_command
from civicloop.sla.cli import app as calendar_app
from civicloop.categories.cli import app as categories_app
from civicloop.departments.cli import app as departments_app, routing_app
from civicloop.users.cli import app as users_app
from civicloop.regions.cli import mount as mount_regions
from civicloop.demo.cli import demo as demo_command
from civicloop.intake.cli import app as intake_app
from civicloop.addresses.cli import app as addresses_app
from civicloop.notify.cli import app as notify_app
from civicloop.commitments.cli import app as commitments_app
from civicloop.assess.cli import app as assess_app
from civicloop.hot.cli import app as hot_app
from civicloop.duplicates.cli import app as duplicates_app
from civicloop.reports.cli import app as reports_app
from civicloop.ops.serve import serve as serve_command

app = typer.Typer(help="civicloop: closed-loop urban governance for a district.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(calendar_app, name="calendar")
app.add_typer(case_app, name="case")
app.add_typer(categories_app, name="categories")
app.add_typer(departments_app, name="departments")
app.add_typer(routing_app, name="routing")
app.add_typer(users_app, name="users")
app.add_typer(intake_app, name="intake")
app.add_typer(addresses_app, name="addresses")
app.add_typer(notify_app, name="notify")
app.add_typer(commitments_app, name="commitments")
app.add_typer(assess_app, name="assess")
app.add_typer(hot_app, name="hot")
app.add_typer(duplicates_app, name="duplicates")
app.add_typer(reports_app, name="reports")
mount_regions(app)  # init, grids, regions
app.command("sweep")(sweep_command)
app.command("demo")(demo_command)
app.command("serve")(serve_command)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema of the configured database (CIVICLOOP_DATABASE_URL)."""
    migrate.upgrade()
    typer.echo(f"schema up to date: {get_settings().database_url}")


def main() -> None:
    """Entry point that turns domain errors into one clear line and exit code 2."""
    try:
        app()
    except CivicloopError as exc:
        typer.secho(f"error: {exc.field}: {exc.detail}", err=True, fg="red")
        raise SystemExit(2)
