"""A year's report against the next one's review: every line of two comparisons checked
against what the hand-written next reports (tests/reports/loop/, see its README) say, the
judging rules at their edges, the Excel output, and doubtful or broken input."""
from __future__ import annotations

import json

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from civicloop.cli import app
from civicloop.errors import CivicloopError, NotFound
from civicloop.reports import compare as comparing
from civicloop.reports import service
from civicloop.reports.reading import Source, Target
from tests.reports.conftest import DATA, HERE

runner = CliRunner()
LOOP = HERE / "loop"
WUCHANG_2013 = DATA / "000_ffec1ac142b8e965.txt"            # plans 2013
WUCHANG_2014 = LOOP / "wuchang-2013-review.txt"              # reviews 2013 (hand-written)
CHENGGUAN_2015 = DATA / "001_69232ea0bb8e6e45.txt"          # plans 2015
CHENGGUAN_2016 = LOOP / "chengguan-2015-review.txt"          # reviews 2015 (hand-written)


@pytest.fixture(scope="module")
def wuchang() -> comparing.Comparison:
    return service.compare_files(WUCHANG_2013, WUCHANG_2014)


@pytest.fixture(scope="module")
def chengguan() -> comparing.Comparison:
    return service.compare_files(CHENGGUAN_2015, CHENGGUAN_2016)


def test_every_target_of_wuchang_2013_against_the_2014_review(wuchang):
    # target (the 2013 report) → achieved growth (the hand-written 2014 report) → verdict
    expected = [("gdp", 11.8, "missed"), ("total_fiscal_revenue", 13.3, "met"),
                ("district_fiscal_revenue", 12.1, "missed"), ("retail_sales", 13.2, "met"),
                ("energy_intensity", None, "not_comparable"), ("emissions", None, "not_comparable"),
                ("per_capita_income", 12.6, "not_comparable")]
    got = [(line.target.indicator, line.figure.growth if line.figure else None, line.verdict)
           for line in wuchang.targets]
    assert got == expected
    gdp = wuchang.targets[0]
    assert gdp.achieved == "716亿元，增长11.8%（预计）"
    assert "低于目标12%" in gdp.reason and "预计" in gdp.reason
    assert "定性" in wuchang.targets[6].reason     # 增长继续高于经济增长: no figure to hold it to
    assert wuchang.warnings == ()


def test_every_commitment_of_wuchang_2013_against_the_2014_review(wuchang):
    text = WUCHANG_2014.read_text("utf-8")
    expected = {1: "done", 2: "not_mentioned", 3: "partly", 4: "not_mentioned", 5: "not_mentioned", 6: "done",
                7: "done", 8: "done", 9: "not_mentioned", 10: "not_mentioned"}
    assert {line.commitment.number: line.verdict for line in wuchang.commitments} == expected
    plan_starts = text.index("2014年工作的总体要求")
    for line in wuchang.commitments:
        if line.verdict == "not_mentioned":
            assert line.mention is None
            continue
        assert text[line.mention.start:line.mention.end] == line.mention.text
        assert line.mention.end <= plan_starts          # the review, never next year's own list
    by_number = {line.commitment.number: line for line in wuchang.commitments}
    assert "创建幸福社区46个" in by_number[1].mention.text       # not its heading (成效明显)
    assert by_number[3].reason == "未达承诺数量：96条社区道路（承诺108）"
    assert "新建社区居家养老服务中心15所" in by_number[7].mention.text
    assert "520台轮椅车" in by_number[8].reason


def test_ceiling_about_and_a_fall_judged_their_way(chengguan):
    lines = {line.target.indicator: line for line in chengguan.targets}
    assert len(lines) == len(chengguan.targets) == 8
    assert (lines["registered_unemployment_rate"].verdict, lines["registered_unemployment_rate"].target.kind) \
        == ("met", "ceiling")
    assert "未超过上限4%" in lines["registered_unemployment_rate"].reason
    # 增长12%左右 against 11.6%: within the tolerance; 11%左右 against 10.2%: below it
    assert lines["retail_sales"].target.qualifier == "左右" and lines["retail_sales"].verdict == "met"
    assert lines["urban_per_capita_income"].verdict == "missed"
    assert lines["rural_per_capita_income"].verdict == "met"
    assert lines["energy_intensity"].target.direction == "down" and lines["energy_intensity"].verdict == "met"
    assert lines["gdp"].verdict == "met" and lines["fixed_asset_investment"].verdict == "missed"
    assert lines["general_budget_revenue"].verdict == "no_figure"
    assert chengguan.commitments == ()
    assert chengguan.counts()["met"] == 5 and chengguan.counts()["missed"] == 2


def _target(kind="growth", value=12.0, unit="%", qualifier=None, direction="up") -> Target:
    return Target("gdp", "地区生产总值", kind, value, unit, qualifier, direction, None, Source("x", 0, 1))


@pytest.mark.parametrize(("target", "achieved", "unit", "growth", "verdict"), [
    (_target(qualifier="以上"), 12.0, "%", True, "met"),
    (_target(qualifier="以上"), 11.99, "%", True, "missed"),
    (_target(qualifier="左右"), 12 - comparing.ABOUT_POINTS, "%", True, "met"),
    (_target(qualifier="左右"), 12 - comparing.ABOUT_POINTS - 0.01, "%", True, "missed"),
    (_target(qualifier="左右"), 15.0, "%", True, "met"),
    (_target("ceiling", 4.0, "%", "以内", None), 4.0, "%", False, "met"),
    (_target("ceiling", 4.0, "%", "以内", None), 4.1, "%", False, "missed"),
    (_target("ceiling", 21040, "人", "以内", None), 2.2, "万人", False, "missed"),
    (_target(value=3.2, direction="down"), -3.5, "%", True, "met"),
    (_target(value=3.2, direction="down"), -2.0, "%", True, "missed"),
    (_target(value=3.2, direction="down"), 1.0, "%", True, "missed"),
    (_target("level", 600.0, "亿元", None, None), 6.1e6, "万元", False, "met"),
    (_target("level", 600.0, "亿元", "左右", None), 588.0, "亿元", False, "met"),
    (_target("level", 600.0, "亿元", "左右", None), 587.9, "亿元", False, "missed"),
    (_target("level", 600.0, "亿元", None, None), 600.0, "人", False, "not_comparable"),
])
def test_judging_rules_at_their_edges(target, achieved, unit, growth, verdict):
    assert comparing.judge(target, achieved, unit, growth=growth)[0] == verdict


def test_the_same_report_twice_is_compared_but_flagged():
    same = service.compare_files(WUCHANG_2013, WUCHANG_2013)
    assert any("同一份报告" in w for w in same.warnings)
    assert any("回顾的是2012年" in w for w in same.warnings)


def test_reports_of_two_districts_are_compared_but_flagged():
    mixed = service.compare_files(WUCHANG_2013, CHENGGUAN_2016)
    assert any("不是同一个区" in w and "武昌区" in w and "城关区" in w for w in mixed.warnings)
    # still judged line by line (武昌区's 12%以上 against 城关区's 8.3%): the warning tells the user
    assert (mixed.targets[0].figure.growth, mixed.targets[0].verdict) == (8.3, "missed")


@pytest.mark.parametrize("content", [b"", b"\x00\x01\x02\xff" * 100, b"plain English, no report"])
def test_malformed_files_are_refused_naming_the_file(tmp_path, content):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)
    with pytest.raises(CivicloopError) as caught:
        service.compare_files(WUCHANG_2013, bad)
    assert caught.value.field == str(bad)
    with pytest.raises(NotFound):
        service.compare_files(tmp_path / "missing.txt", WUCHANG_2014)


def test_cli_prints_the_table_and_writes_excel(tmp_path):
    out = tmp_path / "compare.xlsx"
    result = runner.invoke(app, ["reports", "compare", str(WUCHANG_2013), str(WUCHANG_2014), "--xlsx", str(out)])
    assert result.exit_code == 0, result.output
    flat = result.output.replace("\n", "")
    assert "目标：完成 2，未完成 2，不可比 3" in flat and "已完成 4，部分完成 1，未提及 5" in flat
    book = load_workbook(out)
    assert book.sheetnames == ["主要预期目标", "实事"]
    expected = service.compare_files(WUCHANG_2013, WUCHANG_2014)
    targets = [tuple(cell or "" for cell in row) for row in book["主要预期目标"].iter_rows(min_row=3, values_only=True)]
    assert targets == comparing.target_rows(expected)
    items = [tuple(cell or "" for cell in row) for row in book["实事"].iter_rows(min_row=3, values_only=True)]
    assert items == comparing.commitment_rows(expected)
    assert book["主要预期目标"]["D3"].value == "未完成" and book["主要预期目标"]["D3"].fill.fgColor.rgb.endswith("FCE4D6")


def test_cli_json_and_a_missing_next_report():
    result = runner.invoke(app, ["reports", "compare", str(CHENGGUAN_2015), str(CHENGGUAN_2016), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["following"]["delivered_on"] == "2016-01-08"
    assert data["counts"]["no_figure"] == 1 and len(data["targets"]) == 8
    alone = runner.invoke(app, ["reports", "compare", str(CHENGGUAN_2015)])
    assert alone.exit_code == 2 and "NEXT_YEAR" in alone.output
