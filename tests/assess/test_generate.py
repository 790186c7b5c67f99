"""Generated history: cases spread over the years, grids, departments, channels and
outcomes, the fast path rebuilt from them and agreeing with a live recount; bad input."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from civicloop.assess import periods, rollup, service
from civicloop.assess.generate import generate
from civicloop.cases.models import Case
from civicloop.db import transaction
from civicloop.errors import InvalidInput, NotFound
from tests.cases.conftest import D, build_world

END = dt.datetime(2026, 11, 22, 12, 0)


def test_generated_cases_spread_and_agree_with_a_live_recount(engine):
    build_world(engine)
    assert generate(engine, 3000, years=2, district=D, end=END, seed=3) == 3000
    with transaction(engine) as s:
        assert rollup.ready(s)
        assert s.scalar(select(func.count()).select_from(Case)) == 3000
        first, last = s.execute(select(func.min(Case.reported_at), func.max(Case.reported_at))).one()
        assert first >= END - dt.timedelta(days=730) and last < END
        assert last - first > dt.timedelta(days=600)
        states = dict(s.execute(select(Case.state, func.count()).group_by(Case.state)).all())
        assert states["closed"] > 2000 and states["merged"] > 30 and states["rejected"] > 30
        channels = dict(s.execute(select(Case.channel, func.count()).group_by(Case.channel)).all())
        assert channels["hotline"] > channels["patrol"] > channels["petition"] > 0
        for period in (periods.month(2026, 10), periods.year(2025), periods.quarter(2025, 2)):
            for by in ("department", "grid", "category", "channel", "street", "grid_worker"):
                fast = service.count_rows(s, period, by=by)
                assert fast == service.count_rows(s, period, by=by, live=True), (period, by)
        total = service.figures(s, periods.year(2025))[1]
        assert total.counts["reported"] > 1000 and 0.5 < total.rates["closure_rate"] <= 1


@pytest.mark.parametrize("kwargs, error, field", [
    ({"n": 0}, InvalidInput, "cases"),
    ({"n": 10**9}, InvalidInput, "cases"),
    ({"n": 10, "years": 0}, InvalidInput, "years"),
    ({"n": 10, "district": "999999"}, NotFound, "district"),
])
def test_bad_requests_name_the_field(engine, kwargs, error, field):
    build_world(engine)
    arguments = {"n": 10, "years": 3, "district": D} | kwargs
    with pytest.raises(error) as raised:
        generate(engine, arguments.pop("n"), end=END, **arguments)
    assert raised.value.field == field
    with transaction(engine) as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 0  # nothing half-written


def test_the_commands(engine, database_url, monkeypatch):
    from typer.testing import CliRunner

    from civicloop.cli import app
    from civicloop.settings import get_settings

    build_world(engine)
    monkeypatch.setenv("CIVICLOOP_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    try:
        done = CliRunner().invoke(app, ["assess", "generate", "--cases", "400", "--years", "1", "--district", D])
        assert done.exit_code == 0, done.output
        assert "400 cases loaded" in done.output
        done = CliRunner().invoke(app, ["assess", "rebuild"])
        assert done.exit_code == 0 and "400 cases" in done.output, done.output
        done = CliRunner().invoke(app, ["assess", "compact"])
        assert done.exit_code == 0 and "0 days compacted" in done.output, done.output  # a rebuild leaves none
        done = CliRunner().invoke(app, ["assess", "generate", "--cases", "0"])
        assert done.exit_code != 0 and done.exception.field == "cases"
    finally:
        get_settings.cache_clear()
    with transaction(engine) as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 400
