"""`civicloop users …`."""
from __future__ import annotations

from typing import Optional

import typer

from civicloop.cases.lifecycle import Role
from civicloop.db import transaction
from civicloop.departments.models import Department
from civicloop.users import service

app = typer.Typer(help="Users and their roles.", no_args_is_help=True)
ROLES = ", ".join(r.value for r in Role)


@app.command("add")
def add(username: str,
        name: str = typer.Option(..., help="Full name"),
        role: str = typer.Option(..., help=ROLES),
        department: Optional[str] = typer.Option(None, help="Department code (required for handler)"),
        phone: Optional[str] = None) -> None:
    """Add a user."""
    with transaction() as session:
        user = service.create_user(session, username=username, name=name, role=role,
                                   department=department, phone=phone)
        typer.echo(f"已添加用户 {user.username} {user.name} ({user.role})")


@app.command("list")
def list_(role: Optional[str] = typer.Option(None, help=ROLES),
          department: Optional[str] = typer.Option(None, help="Department code")) -> None:
    """List users."""
    with transaction() as session:
        for user in service.list_users(session, role=role, department=department):
            dept = session.get(Department, user.department_id) if user.department_id else None
            typer.echo(f"{user.username}\t{user.name}\t{user.role}\t{dept.name if dept else '-'}"
                       f"{'' if user.active else '（已停用）'}")


@app.command("assign-grid-workers")
def assign_grid_workers(district: str = typer.Option(..., help="District code, e.g. 420106")) -> None:
    """一格一员: give every grid cell of the district without a worker its own (gw-<cell code>)."""
    with transaction() as session:
        created, assigned = service.assign_grid_workers(session, district)
    typer.echo(f"新建网格员 {created} 名, 分配网格 {assigned} 个")
