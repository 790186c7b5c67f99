"""The review section drafted from the data, on SQLite and PostgreSQL: 武昌区's real report
(planning 2013) imported as tracked items of 2026 in the case engine's small district, progress
reported on some of them, a week of real cases (tests/assess) — and every number of the
draft is one of the database's. A year with no data says so; bad years and districts are refused."""
from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from typer.testing import CliRunner

from civicloop.assess.service import annual_paragraph
from civicloop.cli import app
from civicloop.commitments import service as tracking
from civicloop.commitments.imports import import_reading
from civicloop.db import transaction
from civicloop.errors import InvalidInput, NotFound
from civicloop.reports import annual
from civicloop.reports.reader import read
from civicloop.settings import get_settings
from tests.assess.conftest import build_mixed
from tests.cases.conftest import build_world
from tests.reports.conftest import DATA

REPORT = DATA / "000_ffec1ac142b8e965.txt"
YEAR = 2026
runner = CliRunner()


@pytest.fixture
def tracked(engine):
    """The 2013 report's 7 targets and 10 实事 tracked in 2026, led by 区住建局 (zj)."""
    world = build_mixed(build_world(engine)).world
    reading = read(REPORT.read_text("utf-8"))
    with transaction(engine) as s:
        import_reading(s, reading, district_code="420106", lead_department="zj", year=YEAR,
                       actor=world.actors["supervisor"], now=dt.datetime(YEAR, 1, 5, 9))
        items = {i.title: i.id for i in tracking.list_items(s, district_code="420106", year=YEAR)}
    handler, supervisor = world.actors["handler_zj"], world.actors["supervisor"]

    def progress(title, quantity, day, **kw):
        with transaction(engine) as s:
            tracking.report_progress(s, items[title], actor=handler, now=dt.datetime(YEAR, *day, 10),
                                     text=f"{title}：进展", quantity=quantity, **kw)

    progress("地区生产总值增长12%以上", 12.6, (12, 20))                # met
    progress("区级财政收入增长13%以上", 12.1, (12, 20))                # missed
    progress("全口径财政收入增长13%以上", 9.0, (6, 30))                 # a half-year figure, superseded:
    progress("全口径财政收入增长13%以上", 13.4, (12, 28))               # met
    progress("加强老年人服务工作", 15, (11, 30))                         # 15 所: done
    progress("改善群众居住环境", 90, (12, 15))                           # 90 of 108 条: partly
    progress("关爱困难企业职工", None, (12, 1), completed=True)          # done by its report
    with transaction(engine) as s:
        tracking.drop_item(s, items["加强环境污染治理"], actor=supervisor, now=dt.datetime(YEAR, 9, 1, 9),
                           reason="并入全市污染治理项目")
    return world, reading, items


def test_the_draft_says_the_tracked_figures_and_the_case_figures(tracked, engine):
    _, _, items = tracked
    with transaction(engine) as s:
        made = annual.draft(s, "420106", YEAR)
        cases = annual_paragraph(s, "420106", YEAR)
    targets, commitments, figures = (section.text for section in made.sections)
    assert made.district == "武昌区" and figures == cases and "全年受理群众诉求" in cases
    assert targets.startswith(f"{YEAR}年确定的7项主要预期目标中，2项完成：")
    assert "地区生产总值增长12.6%（目标：增长12%以上）" in targets
    assert "全口径财政收入增长13.4%（目标：增长13%以上）" in targets and "9%" not in targets
    assert "1项未完成：区级财政收入增长12.1%（目标：增长13%以上）" in targets
    assert "社会消费品零售总额增长13%以上（未报告完成数）" in targets
    assert "3项无法以数字判定" not in targets and "4项无法以数字判定" in targets   # 3 qualitative + 1 unreported
    assert commitments.startswith(f"{YEAR}年承诺的10件民生实事，已完成2件：加强老年人服务工作、关爱困难企业职工；")
    assert "7件未完成：推进幸福社区建设（未报告完成数量，承诺46个）；" in commitments
    assert "改善群众居住环境（已完成90条，承诺108条）" in commitments
    assert "1件终止：加强环境污染治理（并入全市污染治理项目）" in commitments
    # every number in the first two sections is a figure reported, promised or counted
    with transaction(engine) as s:
        reported = {p.quantity for i in items.values() for p in tracking.progress(s, i) if p.quantity is not None}
        promised = {i.quantity for i in tracking.list_items(s, district_code="420106", year=YEAR) if i.quantity}
    counts = {1, 2, 4, 7, 10}                     # the tallies, each asserted above
    for number in re.findall(r"\d+(?:\.\d+)?", targets + commitments):
        value = float(number)
        assert value in reported | promised | counts | {YEAR}, number


def test_a_report_given_judges_its_targets_as_it_words_them(tracked, engine):
    _, reading, _ = tracked
    with transaction(engine) as s:
        with_report = annual.draft(s, "420106", YEAR, reading)
        alone = annual.draft(s, "420106", YEAR)
        compared = annual.compare_tracked(s, reading, district_code="420106", year=YEAR)
    assert [t.verdict for t in with_report.targets] == [t.verdict for t in alone.targets] == \
        ["met", "met", "missed", "no_figure", "not_comparable", "not_comparable", "not_comparable"]
    assert [c.verdict for c in compared.commitments] == [
        "not_mentioned", "not_mentioned", "partly", "not_mentioned", "not_mentioned", "not_mentioned", "done",
        "not_mentioned", "done", "partly"]
    assert "已终止" in compared.commitments[9].reason and compared.warnings == () and compared.tracked_year == YEAR


def test_a_year_with_no_data_is_said_plainly(tracked, engine):
    with transaction(engine) as s:
        made = annual.draft(s, "420106", 2019)
    assert [s.text for s in made.sections] == ["库中没有2019年跟踪的主要预期目标。", "库中没有2019年跟踪的民生实事。",
                                               "2019年，武昌区未受理群众诉求。"]
    assert made.targets == () and made.commitments == ()


def test_bad_years_and_districts_are_refused(tracked, engine):
    _, reading, _ = tracked
    with transaction(engine) as s:
        for year in (1999, 2101):
            with pytest.raises(InvalidInput) as caught:
                annual.draft(s, "420106", year)
            assert caught.value.field == "year"
        with pytest.raises(NotFound) as caught:
            annual.draft(s, "999999", YEAR)
        assert caught.value.field == "district"
        with pytest.raises(NotFound):
            annual.compare_tracked(s, reading, district_code="999999", year=YEAR)
        empty = annual.compare_tracked(s, reading, district_code="420106", year=2019)
    assert empty.warnings == ("库中没有420106的2019年跟踪事项",)
    assert {line.verdict for line in empty.targets} == {"no_figure"}


def test_the_commands(tracked, database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("CIVICLOOP_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        run_the_commands(tmp_path)
    finally:
        get_settings.cache_clear()


def run_the_commands(tmp_path):
    done = runner.invoke(app, ["reports", "annual", "--year", str(YEAR), "--district", "420106"])
    assert done.exit_code == 0, done.output
    assert "一、主要预期目标完成情况" in done.output and "地区生产总值增长12.6%" in done.output
    out = tmp_path / "tracked.xlsx"
    done = runner.invoke(app, ["reports", "compare", str(REPORT), "--tracked", "--district", "420106",
                               "--year", str(YEAR), "--xlsx", str(out)])
    assert done.exit_code == 0, done.output
    assert f"{YEAR}年目标与实事完成情况（对照跟踪事项）" in done.output.replace("\n", "") and out.stat().st_size > 0
    done = runner.invoke(app, ["reports", "compare", str(REPORT), "--tracked"])
    assert done.exit_code == 2 and "--district" in done.output
    done = runner.invoke(app, ["reports", "annual", "--year", str(YEAR), "--report", str(REPORT), "--format", "json"])
    assert done.exit_code == 0, done.output
    data = json.loads(done.output)
    assert data["district"] == "武昌区" and [t["label"] for t in data["targets"]][:4] == ["完成", "完成", "未完成", "未见完成数"]
    assert data["text"] == "\n\n".join(f"{s['heading']}\n{s['text']}" for s in data["sections"])
