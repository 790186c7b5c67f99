"""`civicloop departments …` and `civicloop routing …`."""
from __future__ import annotations

from typing import Optional

import typer

from civicloop.categories.models import Category
from civicloop.categories.service import find_category, path_of
from civicloop.db import transaction
from civicloop.departments import routing, service
from civicloop.departments.models import Department
from civicloop.departments.seed import seed_district
from civicloop.regions.models import Region

app = typer.Typer(help="Departments (承办单位).", no_args_is_help=True)
routing_app = typer.Typer(help="Routing rules: which department owns which matter where.", no_args_is_help=True)


@app.command("list")
def list_(district: Optional[str] = typer.Option(None, help="District code"),
          kind: Optional[str] = typer.Option(None, help=", ".join(service.KINDS))) -> None:
    """List departments: bureaus, street offices, communities."""
    with transaction() as session:
        for d in service.list_departments(session, district_code=district, kind=kind):
            typer.echo(f"{d.code}\t{d.name}\t{service.KINDS[d.kind]}{'' if d.active else '（已停用）'}")


@app.command("add")
def add(code: str, name: str,
        kind: str = typer.Option(..., help=", ".join(service.KINDS)),
        district: str = typer.Option(..., help="District code, e.g. 420106"),
        region: Optional[str] = typer.Option(None, help="The street or community it answers for"),
        parent: Optional[str] = typer.Option(None, help="Code of the department above it")) -> None:
    """Add a department."""
    with transaction() as session:
        d = service.create_department(session, code=code, name=name, kind=kind, district_code=district,
                                      parent=parent, region_code=region)
        typer.echo(f"已添加 {d.code} {d.name}")


@app.command("seed")
def seed(district: str = typer.Option(..., help="District code, e.g. 420106")) -> None:
    """Create the district's standard departments and default routing rules (safe to repeat)."""
    with transaction() as session:
        result = seed_district(session, district)
    typer.echo(f"新建单位 {result.departments_created} 个; 新建派遣规则 {result.rules_created} 条, "
               f"保留已有规则 {result.rules_kept} 条, 跳过 {len(result.skipped)} 条")
    for why in result.skipped:
        typer.echo(f"  跳过: {why}")


def _rule_line(session, rule, dept: Department) -> str:
    category = path_of(session, session.get(Category, rule.category_id)) if rule.category_id else "（任意分类）"
    region = rule.region_code or "（任意区域）"
    note = f"  # {rule.note}" if rule.note else ""
    return f"#{rule.id}\t{category}\t{region}\t→ {dept.code} {dept.name}{note}"


@routing_app.command("list")
def routing_list(district: Optional[str] = typer.Option(None, help="Only rules for this district")) -> None:
    """List routing rules by category."""
    with transaction() as session:
        for rule in routing.list_rules(session, district_code=district):
            typer.echo(_rule_line(session, rule, session.get(Department, rule.department_id)))


@routing_app.command("add")
def routing_add(department: str = typer.Option(..., help="Department code"),
                category: Optional[str] = typer.Option(None, help="Category code, path or name; omit for any"),
                region: Optional[str] = typer.Option(None, help="Community, street or district code; omit for any"),
                note: Optional[str] = None) -> None:
    """Add a rule: matters of CATEGORY in REGION go to DEPARTMENT."""
    with transaction() as session:
        rule = routing.add_rule(session, department_ref=department, category_ref=category,
                                region_code=region, note=note)
        typer.echo("已添加 " + _rule_line(session, rule, session.get(Department, rule.department_id)))


@routing_app.command("remove")
def routing_remove(rule_id: int) -> None:
    """Remove rule number RULE_ID."""
    with transaction() as session:
        routing.remove_rule(session, rule_id)
    typer.echo(f"已删除规则 #{rule_id}")


@routing_app.command("test")
def routing_test(category: str = typer.Option(..., help="Category code, path or name"),
                 community: Optional[str] = typer.Option(None, help="Community code"),
                 street: Optional[str] = typer.Option(None, help="Street code (found from the community if omitted)"),
                 district: Optional[str] = typer.Option(None, help="District code (from the community or street)")) -> None:
    """Which department a matter of CATEGORY at this place goes to, and every rule that matched."""
    with transaction() as session:
        place = community or street
        if district is None and place:
            found = session.get(Region, place)
            district = found.district_code if found else place[:6]
        if district is None:
            raise typer.BadParameter("give --community, --street or --district")
        cat = find_category(session, category)
        decision = routing.route(session, category_id=cat.id, community_code=community,
                                 street_code=street, district_code=district)
        typer.echo(f"派往: {decision.department.code} {decision.department.name}  (规则 #{decision.rule.id})")
        for rank, match in enumerate(decision.candidates, start=1):
            typer.echo(f"  {rank}. #{match.rule.id} → {match.department.code} {match.department.name}  [{match.why}]")
