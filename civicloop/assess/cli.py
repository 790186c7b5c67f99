"""`civicloop assess …`: the indicators as a table (and Excel), the cases behind a figure,
rankings, the 讲评 workbook and page, and the year's paragraph."""
from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from civicloop.assess import export, rollup, service
from civicloop.assess import indicators as ind
from civicloop.assess.periods import Period, month, parse_period, span
from civicloop.cases.lifecycle import STATE_LABELS, State
from civicloop.db import get_engine, transaction
from civicloop.errors import InvalidInput
from civicloop.settings import local_now

app = typer.Typer(help="Indicators, rankings and 讲评 reports (考核).", no_args_is_help=True,
                  invoke_without_command=True)
console = Console()
# The columns of the table; the workbook (--xlsx) has every count and rate.
TABLE_COLUMNS = ("reported", "registered", "closed", "closure_rate", "on_time_closure_rate", "on_time_handling_rate",
                 "rework_rate", "reply_rate", "first_contact_rate", "satisfaction_rate", "overdue_open")

PERIOD_HELP = "A month 2026-11, a quarter 2026-Q4, an ISO week 2026-W47 or a year 2026"
WEIGHT_HELP = "RATE=WEIGHT, repeatable (default: " + ", ".join(f"{k}={v}" for k, v in ind.DEFAULT_WEIGHTS.items()) + ")"


def figures_transaction():
    """A transaction to read the figures in, once the rollup has caught up with every
    change committed (rollup.catch_up)."""
    rollup.catch_up(get_engine())
    return transaction()


def pick_period(period: str | None, start: str | None, end: str | None) -> Period:
    if period:
        if start or end:
            raise InvalidInput("period", "give --period, or --from and --to, not both")
        return parse_period(period)
    if not start or not end:
        raise InvalidInput("from" if not start else "to", "give --from and --to (YYYY-MM-DD), or --period")
    return span(start, end)


def pick_slice(session, text: str | None) -> service.Slice | None:
    if not text:
        return None
    dimension, sep, ref = text.partition("=")
    if not sep:
        raise InvalidInput("slice", f"write DIMENSION=KEY, e.g. department=cg or street=420106001, got {text!r}")
    return service.resolve_slice(session, dimension.strip(), ref.strip())


def parse_weights(items: list[str]) -> dict[str, float] | None:
    if not items:
        return None
    weights = {}
    for item in items:
        key, sep, value = item.partition("=")
        try:
            weights[key.strip()] = float(value)
        except ValueError:
            raise InvalidInput("weights", f"write RATE=NUMBER, e.g. closure_rate=0.3, got {item!r}") from None
        if not sep:
            raise InvalidInput("weights", f"write RATE=NUMBER, got {item!r}")
    return ind.check_weights(weights)


def _shown(key: str, value) -> str:
    if key in ind.RATE:
        return "—" if value is None else f"{100 * value:.1f}%"
    return f"{value:,}"


@app.callback()
def assess(
    ctx: typer.Context,
    by: str = typer.Option("district", help=", ".join(service.DIMENSIONS)),
    level: int = typer.Option(1, help="Category level when --by category (1–3)"),
    start: str | None = typer.Option(None, "--from", help="First day, YYYY-MM-DD"),
    end: str | None = typer.Option(None, "--to", help="Last day, YYYY-MM-DD (included)"),
    period: str | None = typer.Option(None, help=PERIOD_HELP),
    where: str | None = typer.Option(None, "--slice", help="Only one slice: DIMENSION=KEY, e.g. street=420106001"),
    district: str | None = typer.Option(None, help="District code (default: every case)"),
    xlsx: Path | None = typer.Option(None, help="Also write every count and rate to this Excel file"),
) -> None:
    """The indicators of a period by department, street, community, grid, category, channel
    or grid worker: `civicloop assess --by department --from 2026-11-01 --to 2026-11-30`."""
    if ctx.invoked_subcommand is not None:
        return
    chosen = pick_period(period, start, end)
    with figures_transaction() as session:
        rows, total = service.figures(session, chosen, by=by, level=level, where=pick_slice(session, where),
                                      district=district)
    table = Table(title=f"{chosen.label} 按{service.DIMENSION_LABELS[by]}", title_justify="left")
    table.add_column(service.DIMENSION_LABELS[by], no_wrap=True, min_width=10)
    for key in TABLE_COLUMNS:
        table.add_column(service.label_of(key), justify="right", no_wrap=True)
    for row in [*rows, total]:
        values = {**row.counts, **row.rates}
        table.add_row(escape(row.label), *(_shown(k, values[k]) for k in TABLE_COLUMNS),
                      style="bold" if row is total else None)
    console.print(table)
    if xlsx is not None:
        export.figures_workbook(f"{chosen.label} 按{service.DIMENSION_LABELS[by]}", service.DIMENSION_LABELS[by],
                                rows, total).save(xlsx)
        console.print(f"written {xlsx}")


@app.command()
def cases(
    indicator: str = typer.Argument(..., help="A count or rate key, e.g. closed, closure_rate"),
    start: str | None = typer.Option(None, "--from"), end: str | None = typer.Option(None, "--to"),
    period: str | None = typer.Option(None, help=PERIOD_HELP),
    where: str | None = typer.Option(None, "--slice", help="DIMENSION=KEY"),
    part: str | None = typer.Option(None, help="numerator or denominator (default: the denominator, marked)"),
    limit: int = typer.Option(50, min=1, max=service.PAGE_MAX), offset: int = typer.Option(0, min=0),
) -> None:
    """The cases behind one figure; for a rate, ✓ marks those its numerator counts."""
    chosen = pick_period(period, start, end)
    with figures_transaction() as session:
        behind = service.cases_behind(session, indicator, chosen, pick_slice(session, where), part=part,
                                      offset=offset, limit=limit)
    value = service.percent(behind.value) if behind.denominator is not None else f"{behind.value:,}"
    fraction = f" = {behind.numerator}/{behind.denominator}" if behind.denominator is not None else ""
    table = Table("", "案件编号", "标题", "状态", "承办单位", "受理时间", "结案时间",
                  title=f"{behind.label} {value}{fraction}（{chosen.label}，共{behind.total}件）", title_justify="left")
    for c in behind.cases:
        table.add_row("✓" if c.in_numerator else "", c.number, escape(c.title), STATE_LABELS[State(c.state)],
                      escape(c.lead_department or "—"), f"{c.reported_at:%Y-%m-%d %H:%M}",
                      f"{c.closed_at:%Y-%m-%d %H:%M}" if c.closed_at else "—")
    console.print(table)


@app.command()
def ranking(
    by: str = typer.Option("department", help="department or street"),
    start: str | None = typer.Option(None, "--from"), end: str | None = typer.Option(None, "--to"),
    period: str | None = typer.Option(None, help=PERIOD_HELP),
    weight: list[str] = typer.Option([], help=WEIGHT_HELP),
    district: str | None = typer.Option(None),
) -> None:
    """Departments or streets ranked on the 综合指标值's 95 % lower bound (fair to volume)."""
    chosen = pick_period(period, start, end)
    weights = parse_weights(weight)
    with figures_transaction() as session:
        ranked = service.ranking(session, chosen, by=by, weights=weights, district=district)
    table = Table("名次", "单位", "立案数", "综合指标值", "95%区间", "", title=f"{chosen.label} 综合指标值排名",
                  title_justify="left")
    for r in ranked:
        value = "—" if r.score.value is None else f"{r.score.value:.2f}"
        table.add_row(str(r.rank), escape(r.figures.label), f"{r.cases:,}", value,
                      f"{r.score.low:.2f}–{r.score.high:.2f}", "样本少" if r.small_sample else "")
    console.print(table)


def _last_month() -> Period:
    today = local_now().date()
    return month(today.year, today.month).previous()


@app.command()
def review(
    period: str | None = typer.Option(None, help=PERIOD_HELP + " (default: last month)"),
    xlsx: Path | None = typer.Option(None, help="Write the 讲评 workbook here"),
    html: Path | None = typer.Option(None, help="Write the printable 讲评 page here (ECharts inline)"),
    district: str | None = typer.Option(None),
    worst: int = typer.Option(10, min=1, max=200, help="How many of the longest-overdue cases"),
    hot: bool = typer.Option(True, help="Include the hot issues (grouping them takes seconds)"),
) -> None:
    """The 讲评 of a period: figures against the period before, rankings, overdue cases, charts."""
    chosen = parse_period(period) if period else _last_month()
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console,
                  transient=True) as bar:
        task = bar.add_task(f"{chosen.label}: counting", total=None)
        with figures_transaction() as session:
            made = service.review(session, chosen, now=local_now(), district=district, worst=worst, hot=hot)
        if xlsx is not None:
            bar.update(task, description=f"writing {xlsx}")
            export.write_workbook(made, xlsx)
        if html is not None:
            bar.update(task, description=f"writing {html}")
            export.write_html(made, html)
    table = Table("指标", chosen.label, made.previous.label, "变化", title=f"{made.district_name}{chosen.label}讲评",
                  title_justify="left")
    for change in made.headline:
        delta = change.delta
        shown = "—" if delta is None else f"{delta:+.2f} 个百分点" if change.is_rate else f"{delta:+,}"
        table.add_row(change.label, _shown(change.key, change.now), _shown(change.key, change.before), shown)
    console.print(table)
    for written in (xlsx, html):
        if written is not None:
            console.print(f"written {written}")


@app.command()
def annual(year: int = typer.Option(..., help="The calendar year, e.g. 2025"),
           district: str | None = typer.Option(None)) -> None:
    """The year's figures as a work report's review paragraph."""
    with figures_transaction() as session:
        typer.echo(service.annual_paragraph(session, district, year))


@app.command()
def generate(
    cases: int = typer.Option(..., "--cases", help="How many historical cases, e.g. 10000000"),
    years: int = typer.Option(3, help="Reported over this many years up to now"),
    district: str = typer.Option("420106", help="The district (its grid, departments and categories must exist)"),
    seed: int = typer.Option(1, help="The same seed draws the same cases"),
) -> None:
    """Load years of historical cases in bulk (for the scale benchmark), then rebuild the fast path."""
    from rich.progress import BarColumn, MofNCompleteColumn, TimeRemainingColumn

    from civicloop.assess.generate import generate as load

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TimeRemainingColumn(), console=console) as bar:
        task = bar.add_task("写入案件 cases", total=cases)
        load(get_engine(), cases, years=years, district=district, end=local_now(), seed=seed,
             progress=lambda k: bar.advance(task, k),
             step=lambda text: bar.update(task, description=text))
    console.print(f"{cases:,} cases loaded; the facts and the rollup rebuilt")


@app.command()
def rebuild() -> None:
    """Recompute every case's facts and the whole rollup from the cases (after an upgrade
    of a database that already had cases, or to check the rollup)."""
    with Progress(SpinnerColumn(), TextColumn("rebuilding the facts and the rollup"), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        bar.add_task("rebuild")
        with transaction() as session:
            n = rollup.rebuild(session, now=local_now())
    console.print(f"{n:,} cases: facts and rollup rebuilt")


@app.command()
def compact() -> None:
    """Fold the rollup rows that actions appended into one per day and slice (run it daily,
    e.g. after the sweep)."""
    rollup.catch_up(get_engine())
    with transaction() as session:
        days = rollup.compact(session)
    console.print(f"{days} days compacted")
