"""`civicloop demo` on SQLite and PostgreSQL: every lifecycle path is played through the
service layer, nothing is refused, and every case rebuilds from its event log."""
import datetime as dt
import time

import pytest
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from civicloop.cases import service
from civicloop.cases.lifecycle import ACTIONS, OPEN, TERMINAL
from civicloop.cases.models import Case, CaseEvent
from civicloop.categories.models import Category
from civicloop.db import transaction
from civicloop.demo.messages import CategoryMatcher, Message, load_messages, title_of
from civicloop.demo.simulate import check_empty, choose_period, reset_database, run_demo
from civicloop.errors import Conflict
from civicloop.migrate import upgrade
from civicloop.users.models import User

END = dt.datetime(2026, 11, 20, 16, 30)  # a Friday afternoon: staff at work, every state in flight
SMALL = dict(weeks=2, per_day=30, seed=3, cell_area_m2=1_000_000, end=END)


def test_the_demo_plays_every_path_and_every_case_rebuilds(engine, capsys):
    started = time.perf_counter()
    summary = run_demo(engine, **SMALL)
    seconds = time.perf_counter() - started
    with capsys.disabled():
        print(f"\n{engine.dialect.name}: {summary.cases} cases, {summary.actions} actions, {summary.sweeps} sweeps "
              f"in {seconds:.1f} s ({summary.cases_per_s:.0f} cases/s, {summary.actions_per_s:.0f} actions/s)")

    assert summary.refused == 0, summary.refusals
    assert summary.period_end == END and summary.period_start == dt.datetime(2026, 11, 7)
    # A merged case following a master that is rejected, or merged in turn, is too rare for
    # two weeks of traffic; tests/duplicates/test_merge.py plays both.
    played = set(ACTIONS) - {"reject_with_master", "follow_master"}
    assert played <= set(summary.events_by_action), played - set(summary.events_by_action)
    assert {"report", "warn"} <= set(summary.events_by_action)  # intake and the sweep's colours
    assert {s.value for s in OPEN | TERMINAL} <= set(summary.by_state), summary.by_state
    assert set(summary.by_channel) == {"12345热线", "网上留言", "移动端", "网格巡查", "信访", "督办", "领导批示"}
    assert summary.yellow + summary.red > 0 and summary.overdue > 0 and summary.escalated > 0
    assert set(summary.ratings) == {"satisfied", "basic", "dissatisfied"}
    assert {g.role for g in summary.accounts} == {"admin", "operator", "dispatcher", "handler", "grid_worker",
                                                   "supervisor", "assessor", "citizen"}

    with transaction(engine) as session:
        cases = session.scalars(select(Case)).all()
        assert len(cases) == summary.cases
        assert {c.id: m for c in cases if (m := service.rebuild_mismatches(session, c))} == {}
        # every event happened inside the period, and each case's events go forward in time
        first, last = session.execute(select(func.min(CaseEvent.at), func.max(CaseEvent.at))).one()
        assert summary.period_start <= first and last <= END
        times = {}
        for case_id, at in session.execute(select(CaseEvent.case_id, CaseEvent.at).order_by(CaseEvent.case_id,
                                                                                              CaseEvent.seq)):
            assert at >= times.get(case_id, at), case_id
            times[case_id] = at
        # reporters are generated: no real-looking mobile number anywhere
        phones = session.scalars(select(Case.reporter_phone).where(Case.reporter_phone.is_not(None))).all()
        assert phones and all(p.startswith("100") and len(p) == 11 for p in phones)
        workers = session.scalar(select(func.count()).select_from(User).where(User.role == "grid_worker"))
        assert workers == summary.cells  # 一格一员


def test_a_database_with_anything_in_it_is_refused(engine):
    with transaction(engine) as session:
        session.add(User(username="someone", name="某人", role="admin", active=True))
    with pytest.raises(Conflict) as refused:
        run_demo(engine, **SMALL)
    assert refused.value.field == "database" and "--fresh" in refused.value.detail


@pytest.fixture
def scratch_url(tmp_path, database_url):
    """A database of its own: --fresh must not empty the one the other tests share."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'demo.db'}"
        return
    name = f"{make_url(database_url).database}_fresh"
    admin = create_engine(make_url(database_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_fresh_deletes_everything_and_an_empty_database_is_accepted(scratch_url):
    upgrade(scratch_url)
    engine = create_engine(scratch_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO users (username, name, role, active) VALUES ('x', 'x', 'admin', true)"))
        conn.execute(text("CREATE TABLE notes (body text)"))
    with pytest.raises(Conflict) as refused:
        check_empty(engine)
    assert "users" in refused.value.detail
    engine.dispose()
    reset_database(scratch_url)
    with engine.connect() as conn:
        assert inspect(conn).get_table_names() == []  # the SQLite file is new, PostgreSQL's tables dropped
    upgrade(scratch_url)
    check_empty(engine)  # migrated and empty: fine
    engine.dispose()


def test_the_period_falls_back_to_weeks_the_calendar_knows(engine):
    from civicloop.categories.service import import_builtin

    with transaction(engine) as session:
        import_builtin(session)
        start, end, note = choose_period(session, dt.datetime(2026, 11, 20, 10), 6)
        assert (start, end, note) == (dt.datetime(2026, 10, 10), dt.datetime(2026, 11, 20, 10), "ending now")
        # chinesecalendar knows 2026, not 2027: deadlines of late December would reach 2027
        start, end, note = choose_period(session, dt.datetime(2027, 3, 1, 10), 6)
        assert end.year == 2026 and end < dt.datetime(2026, 12, 31) and "calendar" in note
        assert start == dt.datetime.combine(end.date() - dt.timedelta(days=41), dt.time())


def test_titles_and_categories_of_messages():
    messages = load_messages()
    assert len(messages) == 3111
    assert not any("_x000D_" in m.body or "_x000D_" in m.title for m in messages)
    assert title_of("C3县二中晚自习无人看管，任外来人员进入") == "C3县二中晚自习无人看管"
    assert title_of("一二三四五六七八九十一二三四五六七八九十一二三") == "一二三四五六七八九十一二三四五六七八九十…"


def test_the_matcher_picks_a_category_inside_the_label(engine):
    from civicloop.categories.service import import_builtin, list_categories, path_of

    with transaction(engine) as session:
        import_builtin(session)
        matcher = CategoryMatcher(list_categories(session))

        def path(title, label):
            return path_of(session, session.get(Category, matcher.match(Message(title, title, label))))

        assert path("小区楼下餐馆噪音扰民严重", "环境保护") == "环境保护/环境污染/噪音污染"
        assert path("出租车拒载绕路", "交通运输").startswith("交通运输/")
        assert path("你好谢谢", "卫生计生") == "卫生计生/其他/其他"  # nothing shared: the label's 其他


# The CLI is the same on both databases (it gets its own SQLite file); run_demo is tested on each above.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_cli_builds_a_demo_and_lists_its_accounts(tmp_path, monkeypatch, database_url):
    from civicloop.cli import app
    from civicloop.settings import get_settings

    monkeypatch.setenv("CIVICLOOP_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        args = ["demo", "--weeks", "1", "--per-day", "5", "--cell-area", "2000000", "--seed", "2"]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        assert "refused actions: 0" in result.output and "dispatcher1" in result.output
        again = runner.invoke(app, args)
        assert isinstance(again.exception, Conflict)  # not empty any more
        assert runner.invoke(app, [*args, "--fresh"]).exit_code == 0
        accounts = runner.invoke(app, ["demo", "--accounts"])
        assert accounts.exit_code == 0 and "operator1" in accounts.output and "gw-" in accounts.output
    finally:
        get_settings.cache_clear()
