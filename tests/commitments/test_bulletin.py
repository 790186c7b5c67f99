"""The 周督查/半月通报 bulletin, on SQLite and PostgreSQL: its views hold what the data says
(the workbook is opened with openpyxl and its cells checked against the data), "since the
last bulletin" comes from the bulletins issued, and the HTML page carries the same."""
from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from civicloop.commitments import bulletin, service
from civicloop.commitments.models import Bulletin
from civicloop.commitments.rules import Status
from civicloop.db import transaction
from civicloop.errors import Forbidden, InvalidInput

D = dt.date
T = dt.datetime


@pytest.fixture
def year(tracking):
    """Three items: a park late on its Q2 milestone, a target whose milestone is near, and
    a road finished in June; progress before and after 2026-06-15; a 督办 on 06-20."""
    park = tracking.park()
    tracking.call(service.add_milestone, park, who="admin", due="Q2", what="完成10个", target_quantity=10)
    gdp = tracking.call(service.create_item, who="admin", kind="target", district_code="420106", year=2026,
                        title="地区生产总值增长6%左右", lead_department="cg", quantity=6, unit="%")
    tracking.call(service.add_milestone, gdp, who="admin", due="2026-07-10", what="上半年经济运行分析")
    road = tracking.call(service.create_item, who="admin", kind="commitment", district_code="420106", year=2026,
                         title="打通断头路5条", lead_department="zj", quantity=5, unit="条")
    report = lambda item, who, at, **kw: tracking.call(service.report_progress, item, who=who, at=at, **kw)
    report(park, "handler_zj", T(2026, 6, 1, 9), text="已开工6个", quantity=6,
           evidence=["https://example.gov.cn/park/1.jpg"])
    report(gdp, "handler", T(2026, 6, 10, 9), text="一季度增长6.2%")
    report(road, "handler_zj", T(2026, 6, 12, 9), text="完成3条", quantity=3)
    report(road, "handler_zj", T(2026, 6, 25, 9), text="5条全部通车", quantity=5)
    report(gdp, "handler", T(2026, 6, 26, 9), text="5月主要指标平稳")
    tracking.call(service.supervise, park, who="supervisor", at=T(2026, 6, 20, 9), note="请加快口袋公园建设进度",
                  due="2026-07-15")
    return {"park": park, "gdp": gdp, "road": road}


def issue(tracking, as_of, since=None):
    with transaction(tracking.engine) as s:
        return bulletin.issue(s, actor=tracking.actor("supervisor"), now=T(as_of.year, as_of.month, as_of.day, 17),
                              district_code="420106", as_of=as_of, since=since)


def rows(sheet) -> list[list]:
    return [list(r) for r in sheet.iter_rows(min_row=2, values_only=True)]


def test_the_workbook_says_what_the_data_says(tracking, year, tmp_path):
    first = issue(tracking, D(2026, 6, 15))
    assert first.number == 1 and first.since is None
    data = issue(tracking, D(2026, 7, 1))
    assert data.number == 2 and data.since == D(2026, 6, 15)    # from the bulletin issued before
    path = tmp_path / "通报.xlsx"
    bulletin.write_xlsx(data, path)
    book = load_workbook(path)
    assert book.sheetnames == ["概况", "滞后事项", "风险事项", "状态变化", "新报进展", "新增督办", "分单位统计", "全部事项"]
    assert book["概况"]["A1"].value == "武昌区2026年重点工作督查通报（第2期）"

    late = book["滞后事项"]
    assert [c.value for c in late[1]][:7] == ["编号", "类别", "事项", "牵头单位", "配合单位", "状态", "说明"]
    assert late["A1"].font.bold and late.freeze_panes == "A2" and late.column_dimensions["C"].width == 40
    [park] = rows(late)
    assert park[:6] == [year["park"], "民生实事", "建设口袋公园30个", "区住建局", "区城管执法局", "滞后"]
    assert "完成10个" in park[6] and park[7:9] == ["30个", "6个"] and park[10] == 1
    assert park[9].date() == D(2026, 12, 31)

    [gdp] = rows(book["风险事项"])
    assert gdp[:4] == [year["gdp"], "主要预期目标", "地区生产总值增长6%左右", "区城管执法局"]
    assert "2026-07-10" in gdp[6]

    # since 06-15: the park went late, the road done, the target at risk
    changes = {r[0]: (r[3], r[4]) for r in rows(book["状态变化"])}
    assert changes == {year["park"]: ("正常推进", "滞后"), year["gdp"]: ("正常推进", "存在风险"),
                       year["road"]: ("正常推进", "已完成")}
    progress = rows(book["新报进展"])
    assert [(r[0], r[3].date(), r[4]) for r in progress] == [(year["road"], D(2026, 6, 25), "5条全部通车"),
                                                              (year["gdp"], D(2026, 6, 26), "5月主要指标平稳")]
    assert progress[0][5] == "5条" and progress[0][2] == "区住建局"
    [order] = rows(book["新增督办"])
    assert order[0] == year["park"] and order[3] == "supervisor" and order[4] == "请加快口袋公园建设进度"
    assert order[6].date() == D(2026, 7, 15)

    by_department = {r[0]: tuple(r[1:]) for r in rows(book["分单位统计"])}
    # 单位, 事项数, 滞后, 风险, 正常, 完成, 终止, 本期新报进展
    assert by_department == {"区住建局": (2, 1, 0, 0, 1, 0, 1), "区城管执法局": (1, 0, 1, 0, 0, 0, 1)}
    assert [r[0] for r in rows(book["全部事项"])] == [year["park"], year["gdp"], year["road"]]


def test_the_first_bulletin_counts_from_the_year_start_and_since_can_be_given(tracking, year):
    data = issue(tracking, D(2026, 7, 1))
    assert data.since is None and len(data.new_progress) == 5 and len(data.new_supervisions) == 1
    assert {c.before for c in data.changes} == {"新增"}
    given = issue(tracking, D(2026, 7, 1), since=D(2026, 6, 20))
    assert [p.text for p in given.new_progress] == ["5条全部通车", "5月主要指标平稳"]
    assert given.new_supervisions == []          # issued on 06-20 itself, not after it
    with pytest.raises(InvalidInput) as refused:
        issue(tracking, D(2026, 7, 1), since=D(2026, 7, 1))
    assert refused.value.field == "since"


def test_status_changes_are_judged_against_what_the_last_bulletin_said(tracking, year):
    issue(tracking, D(2026, 7, 1))
    # a report dated back before the last bulletin does not rewrite what that bulletin said
    tracking.call(service.report_progress, year["park"], who="handler_zj", at=T(2026, 7, 3, 9),
                  reported_on="2026-06-30", text="10个已建成", quantity=10)
    data = issue(tracking, D(2026, 7, 5))
    assert [(c.item_id, c.before, c.after) for c in data.changes] == [(year["park"], "滞后", "正常推进")]
    assert [p.text for p in data.new_progress] == []   # dated 06-30: before this period


def test_a_dropped_item_shows_with_its_reason_and_only_leaders_issue(tracking, year):
    tracking.call(service.drop_item, year["road"], who="admin", at=T(2026, 6, 28, 9), reason="并入城市更新项目")
    for who in ("handler_zj", "operator", "dispatcher"):
        with pytest.raises(Forbidden), transaction(tracking.engine) as s:
            bulletin.issue(s, actor=tracking.actor(who), now=T(2026, 7, 1, 9), district_code="420106",
                           as_of=D(2026, 7, 1))
    data = issue(tracking, D(2026, 7, 1))
    [road] = [r for r in data.items if r.id == year["road"]]
    assert road.status is Status.DROPPED and road.reason == "并入城市更新项目"
    with transaction(tracking.engine) as s:
        assert s.query(Bulletin).count() == 1


def test_html_page_carries_every_view(tracking, year, tmp_path):
    data = issue(tracking, D(2026, 7, 1))
    page = bulletin.render_html(data)
    assert page.startswith("<!DOCTYPE html>") and 'lang="zh-CN"' in page and "@media print" in page
    for title in ("滞后事项（1）", "风险事项（1）", "新报进展（5）", "新增督办（1）", "分单位统计（2）"):
        assert title in page
    assert page.count('<td class="late">滞后</td>') == 3   # in 滞后事项, 状态变化 and 全部事项
    assert "请加快口袋公园建设进度" in page and "https://example.gov.cn/park/1.jpg" in page


def test_html_escapes_what_people_typed(tracking):
    item = tracking.park(title="<script>alert(1)</script>公园")
    tracking.call(service.report_progress, item, who="handler_zj", at=T(2026, 3, 1, 9), text="a & b <b>")
    page = bulletin.render_html(issue(tracking, D(2026, 3, 2)))
    assert "<script>" not in page and "&lt;script&gt;" in page and "a &amp; b &lt;b&gt;" in page


def test_the_command_writes_both_files_and_records_the_bulletin(tracking, year, tmp_path, database_url, monkeypatch):
    from civicloop.cli import app
    from civicloop.users.models import User
    with transaction(tracking.engine) as s:
        s.add(User(username="leader", name="李区长", role="supervisor"))
    monkeypatch.setenv("CIVICLOOP_DATABASE_URL", database_url)
    from civicloop.settings import get_settings
    get_settings.cache_clear()
    try:
        out_x, out_h = tmp_path / "b.xlsx", tmp_path / "b.html"
        result = CliRunner().invoke(app, ["commitments", "bulletin", "--district", "420106", "--as-of", "2026-07-01",
                                          "--xlsx", str(out_x), "--html", str(out_h), "--as", "leader"])
        assert result.exit_code == 0, result.output
        assert "滞后 1 项" in result.output and "建设口袋公园30个" in result.output
        assert load_workbook(out_x)["滞后事项"]["C2"].value == "建设口袋公园30个"
        assert "建设口袋公园30个" in out_h.read_text(encoding="utf-8")
        bad = CliRunner().invoke(app, ["commitments", "bulletin", "--district", "420106", "--as-of", "7月1日",
                                       "--as", "leader"])
        assert bad.exit_code != 0 and isinstance(bad.exception, InvalidInput) and bad.exception.field == "as_of"
    finally:
        get_settings.cache_clear()
    with transaction(tracking.engine) as s:
        assert s.query(Bulletin).count() == 1
