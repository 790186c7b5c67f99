"""Generated history: cases spread over the years, grids, departments, channels and
outcomes, with the events the figures read, so that every count is above 0; the fast path
rebuilt from them and agreeing with a live recount; bad input."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, update

from civicloop.assess import indicators as ind
from civicloop.assess import periods, rollup, service
from civicloop.assess.generate import generate
from civicloop.cases.models import Case, CaseEvent
from civicloop.db import secondary_indexes, transaction
from civicloop.errors import InvalidInput, NotFound
from civicloop.regions.models import GridCell
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


def test_generated_events_make_every_count_and_agree(engine):
    """The facts read from events (退回申请, 批准延期, 按时立案/派遣/核查, the verifier) are
    there too, at their shares, and the rollup of them is the live recount."""
    build_world(engine)
    tables = ("cases", "case_events", "assess_case_facts")
    with engine.connect() as conn:
        indexes = sorted(secondary_indexes(conn, tables))
    generate(engine, 3000, years=1, district=D, end=END, seed=5)  # loaded without them, made again after
    with engine.connect() as conn:
        assert sorted(secondary_indexes(conn, tables)) == indexes and len(indexes) > 16
    year = periods.Period(END.date() - dt.timedelta(days=365), END.date())
    with transaction(engine) as s:
        actions = dict(s.execute(select(CaseEvent.action, func.count()).group_by(CaseEvent.action)).all())
        assert actions["report"] == 3000 and actions["dispatch"] > actions["feedback"] > actions["return"] > 0
        counts = service.count_rows(s, year)[D]
        assert counts == service.count_rows(s, year, live=True)[D]
        assert [c.key for c in ind.COUNTS if counts[c.key] == 0] == []
        rates = ind.rates_of(counts)
        assert 0.85 < rates["timely_dispatch_rate"] < 0.99 and 0.95 < rates["timely_registration_rate"] <= 1
        assert 0.8 < rates["timely_close_rate"] < 0.98 and 0.8 < rates["timely_verification_rate"] < 0.98
        assert 0.01 < counts["returned"] / counts["dispatched"] < 0.1
        assert counts["wrongly_dispatched"] < counts["returned"]
        assert counts["extended"] < counts["extensions"] < 2 * counts["extended"]
        for by in ("grid_worker", "department", "grid"):  # the verifier's and reporter's figures too
            assert service.count_rows(s, year, by=by) == service.count_rows(s, year, by=by, live=True), by
        ranked = service.count_rows(s, year, by="grid_worker")
        assert sum(v["verified_by_worker"] for v in ranked.values()) == counts["verified_by_worker"] > 0
        months = service.months_of(year)  # 13, the first and last cut at the year's ends
        assert len(months) == 13 and months[0][1].start == year.start and months[-1][1].end == year.end
        for by, level in (("department", 1), ("category", 2), ("grid_worker", 1)):
            table = service.monthly(s, year, by=by, level=level)
            assert list(table) == [label for label, _ in months]
            for label, part in months:
                assert table[label] == service.count_rows(s, part, by=by, level=level, live=True), (by, label)


def test_a_district_without_grid_workers_is_staffed_first(engine):
    world = build_world(engine)
    with transaction(engine) as s:
        s.execute(update(GridCell).values(worker_id=None))
    generate(engine, 300, years=1, district=D, end=END, seed=2)
    with transaction(engine) as s:
        workers = dict(s.execute(select(GridCell.code, GridCell.worker_id)).all())
        assert set(workers) == set(world.cells) and len(set(workers.values())) == len(world.cells)
        assert None not in workers.values()
        verifiers = set(s.scalars(select(CaseEvent.actor_id).where(CaseEvent.action == "verify_pass",
                                                                   CaseEvent.actor_role == "grid_worker")))
        assert verifiers and verifiers <= set(workers.values())


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
