"""Rankings fair to volume, the 讲评 workbook and page, and the year's paragraph."""
from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
import pytest

from civicloop.assess import export, service
from civicloop.assess import indicators as ind
from civicloop.assess.periods import Period, month, parse_period, year
from civicloop.db import transaction
from civicloop.errors import InvalidInput

from .conftest import WEEK

NOW = dt.datetime(2026, 11, 30, 12, 0)


def unit(key: str, cases: int, good: int) -> service.Figures:
    """A unit whose every weighted rate is good/cases."""
    counts = {c.key: 0 for c in ind.COUNTS}
    counts.update(registered=cases, due=cases, closed_cohort=good, handling_due=cases, handled_on_time=good,
                  fed_back=cases, reworked=cases - good, rated=cases, satisfied_or_basic=good)
    return service.Figures(key, key, counts)


def test_three_perfect_cases_do_not_outrank_three_thousand_nearly_perfect():
    small, large = unit("small", 3, 3), unit("large", 3000, 2970)
    ranked = service.rank([small, large])
    assert [r.figures.key for r in ranked] == ["large", "small"]
    first, second = ranked
    # The plain score would have put the small unit first: the interval is what decides.
    assert second.score.value == pytest.approx(100) and first.score.value == pytest.approx(99)
    assert second.score.low < first.score.low < first.score.value < first.score.high
    assert second.small_sample and not first.small_sample and second.cases == 3


def test_with_equal_samples_the_better_unit_wins_and_weights_count():
    better, worse = unit("better", 500, 490), unit("worse", 500, 450)
    assert [r.figures.key for r in service.rank([worse, better])] == ["better", "worse"]
    worse.counts["closed_cohort"] = 500  # perfect on closure alone
    only_closure = service.rank([better, worse], {"closure_rate": 1})
    assert [r.figures.key for r in only_closure] == ["worse", "better"]


def test_wilson_interval():
    assert ind.wilson(0, 0) == (0.0, 1.0)
    low, high = ind.wilson(3, 3)
    assert 0.43 < low < 0.44 and high == 1.0
    low, high = ind.wilson(50, 100)
    assert low == pytest.approx(1 - high) and 0.40 < low < 0.41


def test_periods():
    assert parse_period("2026-11") == month(2026, 11) and month(2026, 11).previous() == month(2026, 10)
    assert month(2026, 1).previous() == month(2025, 12) and month(2026, 12).end == dt.date(2026, 12, 31)
    q = parse_period("2026-Q1")
    assert (q.start, q.end, q.previous().start) == (dt.date(2026, 1, 1), dt.date(2026, 3, 31), dt.date(2025, 10, 1))
    w = parse_period("2026-W48")
    assert (w.start, w.end, w.previous().start) == (dt.date(2026, 11, 23), dt.date(2026, 11, 29), dt.date(2026, 11, 16))
    assert parse_period("2026") == year(2026) and year(2026).label == "2026年"
    for bad in ("2026-13", "2026-Q5", "2026-W60", "", "十一月", "2026-11-01", "9999"):
        with pytest.raises(InvalidInput) as e:
            parse_period(bad)
        assert e.value.field == "period"
    with pytest.raises(InvalidInput) as e:
        Period(dt.date(2026, 11, 2), dt.date(2026, 11, 1))
    assert e.value.field == "to"


def test_review_of_the_week(mixed):
    with transaction(mixed.world.engine) as s:
        review = service.review(s, WEEK, now=NOW, worst=5)
        total = service.figures(s, WEEK)[1]
        before = service.figures(s, WEEK.previous())[1]
    changes = {c.key: c for c in review.headline}
    assert changes["reported"].now == total.counts["reported"] == 9
    assert changes["closure_rate"].now == total.rates["closure_rate"]
    assert changes["closure_rate"].before == before.rates["closure_rate"] == 1.0  # H, the week before
    assert changes["closure_rate"].delta == pytest.approx(-25.0)  # percentage points
    assert [c["id"] for c in review.worst_overdue] == [mixed.ids["I"]]
    assert review.district_name == "武昌区" and not review.gaps
    hot_cases = {i for topic in review.hot for i in topic["case_ids"]}  # hot/'s topics of the week's cases
    assert review.hot and hot_cases <= {mixed.ids[n] for n in "ABCEFGIJK"}
    with transaction(mixed.world.engine) as s:
        quick = service.review(s, WEEK, now=NOW, hot=False)
    assert quick.hot == [] and quick.gaps and quick.headline == review.headline
    assert {r.figures.label for r in review.department_ranking} == {"区住建局", "区城管执法局"}


def test_the_workbook_holds_every_view_and_its_sums_are_the_figures(mixed):
    with transaction(mixed.world.engine) as s:
        review = service.review(s, WEEK, now=NOW)
    buffer = io.BytesIO()
    export.workbook(review).save(buffer)
    book = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    assert book.sheetnames == ["概况", "承办单位", "单位排名", "街道", "街道排名", "渠道", "类别", "超期案件", "热点问题", "说明"]
    for name in ("概况", "承办单位", "单位排名", "街道", "渠道", "类别"):
        assert book[name]._charts, f"{name} has no chart"
    assert_sums_match(book, review.total.counts)


def assert_sums_match(book, totals: dict) -> None:
    """Each per-unit sheet: the units' column sums and its 合计 row equal the figures (a case
    has exactly one department, street, channel and category, so the units partition them)."""
    for name in ("承办单位", "街道", "渠道", "类别"):
        sheet = book[name]
        header = [c.value for c in sheet[3]]
        body = [r for r in sheet.iter_rows(min_row=4, values_only=True)]
        units, total_row = body[:-1], body[-1]
        assert total_row[0] == "合计"
        for count in ind.COUNTS:
            column = header.index(count.label)
            assert sum(r[column] for r in units) == total_row[column] == totals[count.key], (name, count.key)


def test_the_printable_page(mixed):
    with transaction(mixed.world.engine) as s:
        review = service.review(s, WEEK, now=NOW)
    page = export.html_page(review)
    assert '<script src="/static/vendor/echarts.min.js"></script>' in page
    assert page.count("echarts.init(") == 5 and "@media print" in page
    assert "武昌区2026年第48周讲评" in page and "75.00%" in page  # the closure rate
    assert "六、热点问题" in page and review.hot[0]["title"] in page
    inline = export.html_page(review, inline_script="/* echarts */")
    assert "<script>/* echarts */</script>" in inline and "/static/vendor" not in inline
    assert export.ECHARTS_FILE.is_file()  # package.json's echarts, for the standalone file


def test_the_annual_paragraph_says_the_indicators(mixed):
    with transaction(mixed.world.engine) as s:
        text = service.annual_paragraph(s, None, 2026)
        total = service.figures(s, year(2026))[1]
        empty = service.annual_paragraph(s, "420106", 2024)
        with pytest.raises(InvalidInput) as e:
            service.annual_paragraph(s, None, 1999)
    assert e.value.field == "year" and empty == "2024年，武昌区未受理群众诉求。"
    c, r = total.counts, total.rates
    assert f"全年受理群众诉求{c['reported']}件" in text and f"办结{c['closed']}件" in text
    assert f"立案{c['registered']}件" in text
    assert f"按期办结率{100 * r['on_time_closure_rate']:.2f}%" in text
    assert f"群众满意率{100 * r['satisfaction_rate']:.2f}%" in text
    channels = dict(re.findall(r"(12345热线|网上留言|移动端|网格巡查|信访)(\d+)件", text))
    assert {k: int(v) for k, v in channels.items()} == {"12345热线": 8, "网格巡查": 1, "移动端": 1, "信访": 1}  # with H and L
    assert sum(int(v) for v in channels.values()) == c["reported"]
