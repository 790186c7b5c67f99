"""Every indicator against a hand-counted week (conftest.build_mixed), the edge rules, and
every figure's list of cases re-counting to it — on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt

import pytest

from civicloop.assess import indicators as ind
from civicloop.assess import service
from civicloop.assess.periods import Period
from civicloop.db import transaction
from civicloop.errors import InvalidInput, NotFound

from .conftest import WEEK

# Counted by hand from the story of each case in conftest.build_mixed (the cohort of the
# week: A B C D E F G I J K; H only in `closed`, L not at all).
DISTRICT = {
    "reported": 9, "merged": 1, "rejected": 1, "registered_all": 6, "registered": 6, "registered_on_time": 6, "dispatched": 6,
    "dispatched_on_time": 5, "dispatched_right": 5, "returned": 2, "wrongly_dispatched": 1, "due": 4, "closed_cohort": 3,
    "closed_on_time": 2, "closed_verified_on_time": 3, "handling_due": 5, "handled_on_time": 3, "fed_back": 4, "reworked": 2,
    "replied": 3, "first_time": 2, "overdue": 2, "overdue_open": 1, "extended": 1, "extensions": 1, "rated": 2, "satisfied": 1,
    "satisfied_or_basic": 2, "patrol_reports": 1, "patrol_valid": 1, "missed": 5, "verified_by_worker": 2,
    "verified_by_worker_on_time": 2, "check_requested": 2, "checked_on_time": 1, "check_requested_on_time": 1,
    "closed": 4,
}
RATES = {
    "closure_rate": 3 / 4, "on_time_closure_rate": 2 / 4, "on_time_handling_rate": 3 / 5, "rework_rate": 2 / 4, "reply_rate": 3 / 6,
    "first_contact_rate": 2 / 3, "satisfaction_rate": 1 / 2, "satisfaction_broad_rate": 2 / 2, "valid_report_rate": 1 / 1,
    "timely_verification_rate": 2 / 2, "missed_report_rate": 5 / 6, "timely_registration_rate": 6 / 6,
    "accurate_registration_rate": 6 / 6, "timely_close_rate": 3 / 3, "timely_dispatch_rate": 5 / 6,
    "accurate_dispatch_rate": 5 / 6, "timely_check_rate": 1 / 2, "timely_check_request_rate": 1 / 2,
}


def test_every_indicator_has_a_hand_count():
    assert set(DISTRICT) == set(ind.COUNT) and set(RATES) == set(ind.RATE)


def test_the_week_against_hand_counts(mixed):
    with transaction(mixed.world.engine) as s:
        rows, total = service.figures(s, WEEK)
    assert total.counts == DISTRICT
    assert total.rates == pytest.approx(RATES)
    assert [r.key for r in rows] == ["420106"] and rows[0].counts == DISTRICT


def test_slices(mixed):
    w = mixed.world
    with transaction(w.engine) as s:
        by_department = {r.label: r.counts for r in service.figures(s, WEEK, by="department")[0]}
        # A B C F I went to 区住建局 in the end, G to 区城管执法局; D J K were never dispatched.
        assert by_department["区住建局"]["registered"] == 5 and by_department["区城管执法局"]["registered"] == 1
        assert by_department["（未派遣）"]["reported"] == 3
        # H was closed this week by 区城管执法局: in the work of the week, not in its cohort.
        assert by_department["区城管执法局"]["closed"] == 1 and by_department["区住建局"]["closed"] == 3
        worker = service.resolve_slice(s, "grid_worker", "grid_worker")
        mine = service.figures(s, WEEK, where=worker)[1].counts
        # cell 0 holds A C D F G I (and the duplicate E); the worker reported C and verified A and C.
        assert mine["reported"] == 6 and mine["patrol_valid"] == 1 and mine["missed"] == 4
        assert mine["verified_by_worker"] == 2 and mine["closed"] == 3  # A C, and H (cell 0)
        # 城市建设和市政管理 and its sub-category take every case but J (违法建设).
        sub = service.figures(s, WEEK, where=service.resolve_slice(s, "category", "0101"))[1].counts
        top = service.figures(s, WEEK, where=service.resolve_slice(s, "category", "01"))[1].counts
        assert sub["reported"] == 8 and top["reported"] == 9
        levels = {r.key: r.counts["reported"] for r in service.figures(s, WEEK, by="category", level=2)[0]}
        assert levels == {"0101": 8, "0102": 1}
        channels = {r.key: r.counts["reported"] for r in service.figures(s, WEEK, by="channel")[0]}
        assert channels == {"hotline": 6, "patrol": 1, "app": 1, "petition": 1, "web": 0}  # E (web) is merged


def test_period_edges(mixed):
    with transaction(mixed.world.engine) as s:
        last_day = service.figures(s, Period(dt.date(2026, 11, 29), dt.date(2026, 11, 29)))[1].counts
        next_day = service.figures(s, Period(dt.date(2026, 11, 30), dt.date(2026, 11, 30)))[1].counts
        week_before = service.figures(s, Period(dt.date(2026, 11, 16), dt.date(2026, 11, 22)))[1].counts
    assert last_day["reported"] == 1 and next_day["reported"] == 1  # K at 23:59:59, L at 00:00
    # H: reported and fed back the week before, its verification late, closed this week.
    assert week_before["registered"] == 1 and week_before["closed_cohort"] == 1 and week_before["closed"] == 0
    assert week_before["closed_verified_on_time"] == 0 and week_before["closed_on_time"] == 1


def test_days_add_up_to_the_week(mixed):
    """Counts are additive: seven days sum to the week, which is what rollups rely on."""
    with transaction(mixed.world.engine) as s:
        days = [service.figures(s, Period(d, d))[1].counts
                for d in (WEEK.start + dt.timedelta(days=i) for i in range(7))]
    assert {k: sum(d[k] for d in days) for k in DISTRICT} == DISTRICT


SLICES = [None, ("department", "zj"), ("department", "cg"), ("grid_worker", "grid_worker"), ("category", "0101"),
          ("channel", "hotline"), ("street", "420106001"), ("community", "420106001002"), ("grid", 0)]


@pytest.mark.parametrize("where", SLICES, ids=lambda w: "district" if w is None else w[0])
def test_every_figure_opens_to_cases_that_recount_to_it(mixed, where):
    w = mixed.world
    with transaction(w.engine) as s:
        chosen = None
        if where is not None:
            ref = w.cells[0] if where[0] == "grid" else where[1]
            chosen = service.resolve_slice(s, where[0], ref)
        total = service.figures(s, WEEK, where=chosen)[1]
        for key in ind.COUNT:
            behind = service.cases_behind(s, key, WEEK, chosen)
            listed = sum(1 for _ in behind.cases) if key != "extensions" else behind.numerator
            assert listed == total.counts[key] == behind.value, key
            assert behind.total == len(behind.cases) and all(c.in_numerator for c in behind.cases)
        for key, rate in ind.RATE.items():
            behind = service.cases_behind(s, key, WEEK, chosen)
            assert len(behind.cases) == ind.denominator_of(rate, total.counts), key
            assert sum(c.in_numerator for c in behind.cases) == total.counts[rate.numerator], key
            assert behind.value == total.rates[key], key
            above = service.cases_behind(s, key, WEEK, chosen, part="numerator")
            assert {c.id for c in above.cases} == {c.id for c in behind.cases if c.in_numerator}


@pytest.mark.parametrize("key", ["reported", "closed", "extensions", "closure_rate", "missed_report_rate",
                                 "timely_verification_rate"])
def test_a_list_from_the_rollup_is_the_live_list_and_pages_by_keyset(mixed, key):
    """The figure and the list's length come from the rollup, the page from the facts in
    date order: the same as recounting the cases; page after page by the last id walks it."""
    with transaction(mixed.world.engine) as s:
        for where in (None, service.resolve_slice(s, "department", "zj"),
                      service.resolve_slice(s, "grid_worker", "grid_worker")):
            for part in (None, "numerator"):
                whole = service.cases_behind(s, key, WEEK, where, part=part)
                live = service.cases_behind(s, key, WEEK, where, part=part, live=True)
                assert whole == live, (key, where, part)
                assert whole.total == len(whole.cases)
                anchor = "closed_at" if key == "closed" else "reported_at"
                assert [getattr(c, anchor) for c in whole.cases] == sorted(getattr(c, anchor) for c in whole.cases)
                seen: list[int] = []
                while page := service.cases_behind(s, key, WEEK, where, part=part, limit=2,
                                                   after=seen[-1] if seen else None).cases:
                    seen += [c.id for c in page]
                assert seen == [c.id for c in whole.cases]
        with pytest.raises(InvalidInput) as raised:
            service.cases_behind(s, "closed", WEEK, after=mixed.ids["D"])  # rejected: never closed
        assert raised.value.field == "after"


def test_the_lists_name_the_cases(mixed):
    ids = mixed.ids
    with transaction(mixed.world.engine) as s:
        listed = lambda key, **kw: {c.id for c in service.cases_behind(s, key, WEEK, **kw).cases}
        assert listed("merged") == {ids["E"]} and listed("rejected") == {ids["D"]}
        assert listed("wrongly_dispatched") == {ids["F"]} and listed("returned") == {ids["F"], ids["G"]}
        assert listed("overdue_open") == {ids["I"]} and listed("closed") == {ids["A"], ids["B"], ids["C"], ids["H"]}
        assert listed("timely_dispatch_rate", part="numerator") == {ids[n] for n in "ACFGI"}
        page = service.cases_behind(s, "reported", WEEK, offset=2, limit=3)
    assert page.total == 9 and len(page.cases) == 3 and page.value == 9


def test_python_and_sql_agree_on_every_fact(mixed):
    """Count.matches (the definition) and the SQL condition give the same counts."""
    from sqlalchemy import select
    with transaction(mixed.world.engine) as s:
        f = service.facts(s)
        rows = [dict(r._mapping) for r in s.execute(select(f))]
    for count in ind.COUNTS:
        anchor = [r for r in rows if r[count.anchor] is not None and WEEK.begins <= r[count.anchor] < WEEK.ends]
        counted = sum((r[count.measure] if count.measure else 1) for r in anchor if count.matches(r))
        assert counted == DISTRICT[count.key], count.key


def test_a_period_without_cases_gives_honest_zeros(mixed):
    with transaction(mixed.world.engine) as s:
        rows, total = service.figures(s, Period(dt.date(2025, 1, 1), dt.date(2025, 1, 31)), by="department")
        behind = service.cases_behind(s, "closure_rate", Period(dt.date(2025, 1, 1), dt.date(2025, 1, 31)))
    assert rows == [] and set(total.counts.values()) == {0}
    assert all(v is None for v in total.rates.values())  # “—”, never a division by zero
    assert behind.value is None and behind.cases == []


@pytest.mark.parametrize("call, field", [
    (lambda s: service.figures(s, WEEK, by="planet"), "by"),
    (lambda s: service.figures(s, WEEK, by="category", level=4), "level"),
    (lambda s: service.cases_behind(s, "happiness", WEEK), "indicator"),
    (lambda s: service.cases_behind(s, "reported", WEEK, part="half"), "part"),
    (lambda s: service.cases_behind(s, "reported", WEEK, limit=0), "limit"),
    (lambda s: service.cases_behind(s, "reported", WEEK, offset=-1), "offset"),
    (lambda s: service.resolve_slice(s, "channel", "pigeon"), "slice"),
    (lambda s: service.resolve_slice(s, "street", "420106999"), "slice"),
    (lambda s: service.resolve_slice(s, "grid_worker", "operator"), "slice"),
    (lambda s: service.resolve_slice(s, "department", "没有这个单位"), "department"),
    (lambda s: service.ranking(s, WEEK, by="grid"), "by"),
    (lambda s: service.ranking(s, WEEK, weights={"closure_rate": -1}), "weights"),
    (lambda s: service.ranking(s, WEEK, weights={"speed": 1}), "weights"),
    (lambda s: service.ranking(s, WEEK, weights={"closure_rate": 0}), "weights"),
])
def test_bad_requests_name_the_field(mixed, call, field):
    with transaction(mixed.world.engine) as s, pytest.raises((InvalidInput, NotFound)) as e:
        call(s)
    assert e.value.field == field


def test_the_worked_example_in_the_docs(mixed):
    from pathlib import Path

    text = Path(__file__).resolve().parents[2].joinpath("docs", "indicators.md").read_text(encoding="utf-8")
    table = text.split("<!-- worked-example -->")[1].split("<!-- /worked-example -->")[0]
    rows = [line.strip("| ").split(" | ") for line in table.strip().splitlines()[2:]]
    assert len(rows) > 20
    with transaction(mixed.world.engine) as s:
        total = service.figures(s, WEEK)[1]
    for key, shown in rows:
        if key in ind.RATE:
            assert shown == service.percent(total.rates[key]), key
        else:
            assert int(shown) == total.counts[key], key


def test_suspended_time_is_not_held_against_the_department(engine):
    """S is suspended (挂起) on Monday for a week and reported back after its first deadline
    but before the moved one: on time. N, the same without suspension, is late."""
    from civicloop.cases.sweep import sweep
    from tests.cases.conftest import MONDAY, build_world

    world = build_world(engine)
    zj, hour, day = world.departments["zj"], dt.timedelta(hours=1), dt.timedelta(days=1)
    ids = {}
    for name in ("S", "N"):
        ids[name] = world.create(title=f"案件{name}").id
        world.act(ids[name], "register", "dispatcher", MONDAY)
        world.act(ids[name], "dispatch", "dispatcher", MONDAY, department_id=zj)  # due Wednesday 11:00
        world.act(ids[name], "accept", "handler_zj", MONDAY + hour)
    world.act(ids["S"], "suspend", "handler_zj", MONDAY + 2 * hour, note="等待产权单位")
    sweep(world.engine, now=MONDAY + 3 * day)  # Thursday: N is overdue, S's clock is stopped
    world.act(ids["S"], "resume", "handler_zj", MONDAY + 7 * day, note="资料已到")  # due Tuesday 17:30
    for name in ("S", "N"):
        world.act(ids[name], "feedback", "handler_zj", MONDAY + 7 * day + hour, note="已处理")
        world.act(ids[name], "verify_pass", "dispatcher", MONDAY + 7 * day + 2 * hour)
    with transaction(engine) as s:
        counts = service.figures(s, WEEK)[1].counts
        on_time = {c.id for c in service.cases_behind(s, "on_time_closure_rate", WEEK, part="numerator").cases}
    assert counts["due"] == 2 and counts["closed_on_time"] == 1 and counts["handled_on_time"] == 1
    assert counts["overdue"] == 1 and on_time == {ids["S"]}
