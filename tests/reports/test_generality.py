"""The reader is built for reports it has not seen: the real reports re-typeset (full-width
punctuation and digits, other numbering, CRLF, page chrome, GB18030) read the same, and a
report written in another house style (targets one per line, 实事 as 一是…二是…, owners
named) is read as a person would."""
from __future__ import annotations

import re

import pytest

from civicloop.reports.reader import read, read_bytes
from tests.reports.conftest import report_text

FULL_WIDTH = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in ",:;()!?%0123456789"})
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩"


def retypeset(text: str, numbering: str) -> str:
    """The same report as another site would print it."""
    lines = []
    for line in text.splitlines():
        body = line.strip()
        m = re.match(r"^(\d{1,2})、", body)
        if m:
            n = int(m.group(1))
            mark = {"paren": f"({n})", "circled": CIRCLED[n - 1], "chinese": "一二三四五六七八九十"[n - 1] + "、",
                    "dot": f"{n}."}[numbering]
            body = mark + body[m.end():]
        lines.append("\u3000\u3000" + body.translate(FULL_WIDTH) if body else "")
    return ("来源:区政府办公室  发布时间:2013-02-01  浏览量:1234\r\n\r\n" + "\r\n".join(lines)
            + "\r\n【打印本页】  【关闭窗口】\r\n")


def summary(reading):
    return ([(t.indicator, t.name, t.kind, t.value, t.unit, t.qualifier, t.direction, t.level) for t in reading.targets],
            [(c.title.translate(FULL_WIDTH), len(c.quantities), tuple(q.value for q in c.quantities))
             for c in reading.commitments])


@pytest.mark.parametrize("stem", ["000_ffec1ac142b8e965", "004_d4abb190f6768d14", "003_34836e24406d3407"])
@pytest.mark.parametrize("numbering", ["paren", "circled", "chinese", "dot"])
def test_a_retypeset_report_in_gb18030_reads_the_same(stem, numbering):
    original = read(report_text(stem))
    variant = retypeset(report_text(stem), numbering)
    reading = read_bytes(variant.encode("gb18030"), f"{stem}.txt")
    assert summary(reading) == summary(original)
    assert len(reading.commitments) == len(original.commitments)
    for item in [*reading.targets, *reading.commitments]:
        assert variant[item.source.start:item.source.end] == item.source.text


OTHER_STYLE = """首页 > 政务公开 > 政府工作报告
政府工作报告
——2025年1月8日在示范市新城区第五届人民代表大会第六次会议上
新城区人民政府代理区长　王建国
各位代表：
一、2024年工作回顾
全区地区生产总值完成810.5亿元，同比增长5.2%；一般公共预算收入达到56.3亿元，增长3.1%。城镇新增就业1.2万人。
二、2025年工作安排
2025年经济社会发展的主要预期目标为：
（一）地区生产总值增长5%左右；
（二）一般公共预算收入增长3%；
（三）城镇调查失业率控制在5.5%以内；
（四）居民人均可支配收入增长与经济增长基本同步；
（五）单位地区生产总值能耗下降2.5%。
围绕上述目标，重点抓好以下工作。
今年，区政府将继续办好五项民生实事：一是新增普惠性幼儿园学位1200个；二是改造老旧小区45个，由区住房城乡建设委牵头实施；三是新建社区养老服务驿站12家；四是完成3000户燃气用户安全改造；五是新建口袋公园和小微绿地20处。
各位代表，让我们团结一心，为建设美好新城区而努力奋斗！
"""


def test_a_report_in_another_house_style():
    reading = read(OTHER_STYLE)
    meta = reading.metadata
    assert (meta.district, meta.meeting, meta.delivered_on.isoformat(), meta.report_year, meta.plan_year,
            meta.speaker, meta.speaker_title) == ("示范市新城区", "示范市新城区第五届人民代表大会第六次会议",
                                                   "2025-01-08", 2024, 2025, "王建国", "代理区长")
    assert [(t.indicator, t.kind, t.value, t.qualifier, t.direction) for t in reading.targets] == [
        ("gdp", "growth", 5, "左右", "up"),
        ("general_budget_revenue", "growth", 3, None, "up"),
        ("surveyed_unemployment_rate", "ceiling", 5.5, "以内", None),
        ("per_capita_income", "qualitative", None, None, None),
        ("energy_intensity", "growth", 2.5, None, "down")]
    items = reading.commitments
    assert [c.number for c in items] == [1, 2, 3, 4, 5]
    assert [(q.value, q.unit, q.thing) for q in items[0].quantities] == [(1200, "个", "普惠性幼儿园学位")]
    assert items[1].owner == "区住房城乡建设委"
    assert [(q.value, q.unit) for q in items[4].quantities] == [(20, "处")]
    figures = {f.indicator: (f.value, f.unit, f.growth) for f in reading.figures}
    assert figures["gdp"] == (810.5, "亿元", 5.2)
    assert figures["general_budget_revenue"] == (56.3, "亿元", 3.1)
    for item in [*reading.targets, *items, *reading.figures]:
        assert OTHER_STYLE[item.source.start:item.source.end] == item.source.text


def test_a_text_with_no_targets_or_commitments_reads_empty():
    reading = read("各位代表：现在，我代表区人民政府向大会报告工作。今年我们将继续努力。")
    assert (reading.targets, reading.commitments, reading.figures, reading.glossary) == ((), (), (), ())


def test_a_list_of_commitments_one_paragraph_each_with_an_owner():
    text = ("区政府将集中力量办好以下民生实事：\n1. 新建公共停车场3处，新增停车泊位800个，由区交通运输局负责。\n"
            "2. 完成积水点改造15处。\n3. 为60岁以上老年人免费体检。\n各位代表，任务艰巨。")
    items = read(text).commitments
    assert [c.title for c in items] == ["新建公共停车场3处", "完成积水点改造15处", "为60岁以上老年人免费体检"]
    assert items[0].owner == "区交通运输局"
    assert [(q.value, q.unit, q.thing) for q in items[0].quantities] == [(3, "处", "公共停车场"),
                                                                       (800, "个", "停车泊位")]


THIRD_STYLE = """【政府工作报告】
——2024年1月16日在南山县第十届人大第三次会议上
南山县人民政府县长 欧阳明远
2023年工作回顾
全县生产总值达到215亿元，比上年增长6.1%。
2024年的工作安排
今年全县经济社会发展的主要预期目标是地区生产总值增长6.5%左右，规模以上工业增加值增长8%，固定资产投资稳定在90亿元以上，PM2.5平均浓度控制在35微克/立方米以内，空气质量优良天数比例达到85%以上，城镇新增就业3500人。
县政府今年承诺办好八件民生实事。第一，新建农村公路60公里，由县交通运输局负责；第二，改造农村危房300户；第三，为全县60岁以上老年人购买意外伤害保险，县民政局牵头；第四，新建标准化村卫生室15个。
名词解释
“放管服”：简政放权、放管结合、优化服务。
“三资”：农村集体经济中的资产、资金、资源。
"""


def test_a_county_report_in_a_third_style():
    reading = read(THIRD_STYLE)
    meta = reading.metadata
    assert (meta.district, meta.meeting, meta.delivered_on.isoformat(), meta.speaker, meta.speaker_title,
            meta.report_year, meta.plan_year) == ("南山县", "南山县第十届人大第三次会议", "2024-01-16", "欧阳明远",
                                                  "县长", 2023, 2024)
    assert [(t.indicator, t.kind, t.value, t.unit, t.qualifier) for t in reading.targets] == [
        ("gdp", "growth", 6.5, "%", "左右"),
        ("industrial_value_added", "growth", 8, "%", None),
        ("fixed_asset_investment", "level", 90, "亿元", "以上"),
        ("pm25", "ceiling", 35, "微克/立方米", "以内"),
        ("good_air_days", "level", 85, "%", "以上"),
        ("new_urban_jobs", "level", 3500, "人", None)]
    items = reading.commitments
    assert [c.title for c in items] == ["新建农村公路60公里", "改造农村危房300户",
                                        "为全县60岁以上老年人购买意外伤害保险", "新建标准化村卫生室15个"]
    assert [c.owner for c in items] == ["县交通运输局", None, "县民政局", None]
    assert [(q.value, q.unit, q.thing) for q in items[0].quantities] == [(60, "公里", "农村公路")]
    # eight announced, four listed: the reader keeps the four, it does not invent the rest
    assert [(g.term, g.explanation) for g in reading.glossary] == [
        ("“放管服”", "简政放权、放管结合、优化服务。"), ("“三资”", "农村集体经济中的资产、资金、资源。")]


@pytest.mark.parametrize(("sentence", "expected"), [
    ("主要预期目标建议为:城乡居民人均可支配收入分别增长8%、9%。",
     [("urban_per_capita_income", 8), ("rural_per_capita_income", 9)]),
    ("主要预期目标是:城镇和农村居民人均可支配收入分别达到5万元、2.5万元。",
     [("urban_per_capita_income", 5), ("rural_per_capita_income", 2.5)]),
    ("主要预期目标是:全口径和区级财政收入增长13%以上。",
     [("total_fiscal_revenue", 13), ("district_fiscal_revenue", 13)]),
    ("主要预期目标是:地区生产总值增长7%以上,力争8%。", [("gdp", 7)]),
])
def test_joint_and_parallel_targets(sentence, expected):
    assert [(t.indicator, t.value) for t in read(sentence).targets] == expected


def test_the_review_of_last_years_targets_is_not_this_years():
    text = ("一、2023年工作回顾\n圆满完成了区人大三次会议确定的主要预期目标:地区生产总值增长6.2%,一般公共预算收入增长4%。\n"
            "二、2024年工作安排\n主要预期目标是:地区生产总值增长5.5%左右。")
    assert [(t.indicator, t.value) for t in read(text).targets] == [("gdp", 5.5)]


def test_a_section_headed_with_实事_is_not_a_list_of_them():
    text = ("二、2024年工作安排\n五、办好民生实事,提升群众幸福感。\n(一)推进教育优质均衡发展。新建学校3所。\n"
            "(二)提升医疗服务水平。\n今年将办好以下实事:\n(一)新建口袋公园5个。\n(二)改造老旧小区10个。")
    assert [c.title for c in read(text).commitments] == ["新建口袋公园5个", "改造老旧小区10个"]


def test_figures_given_respectively():
    text = "一、2023年工作回顾\n城镇居民、农村居民人均可支配收入分别达到5.2万元、2.6万元,分别增长5%、7%。城镇居民农村居民人均可支配收入分别达到2.8万、1.5万。"
    figures = [(f.indicator, f.value, f.unit) for f in read(text).figures]
    assert figures == [("urban_per_capita_income", 5.2, "万元"), ("rural_per_capita_income", 2.6, "万元")]


def test_targets_as_dashed_lines():
    text = ("2025年主要预期目标是:\n——地区生产总值增长5%左右;\n——社会消费品零售总额增长6%;\n"
            "——城镇调查失业率控制在5.5%以内。\n围绕上述目标,做好以下工作。")
    assert [(t.indicator, t.name, t.value) for t in read(text).targets] == [
        ("gdp", "地区生产总值", 5), ("retail_sales", "社会消费品零售总额", 6),
        ("surveyed_unemployment_rate", "城镇调查失业率", 5.5)]


def test_targets_in_the_paragraph_after_the_announcement_and_thousands_separators():
    text = ("今年全区经济社会发展的主要预期目标是:\n地区生产总值增长6%左右,城镇新增就业12,000人以上。\n"
            "为实现上述目标,重点做好以下工作。\n区政府将办好以下实事:\n1.新增普惠性学位1,200个。\n2.改造老旧小区30个。")
    reading = read(text)
    assert [(t.indicator, t.value, t.unit) for t in reading.targets] == [("gdp", 6, "%"), ("new_urban_jobs", 12000, "人")]
    assert [(q.value, q.unit) for q in reading.commitments[0].quantities] == [(1200, "个")]
    for t in reading.targets:
        assert text[t.source.start:t.source.end] == t.source.text


def test_a_counted_set_of_民生工程_is_a_list_of_commitments():
    text = ("二、2024年工作安排\n今年将集中力量实施十大民生工程:(1)新建公办幼儿园3所;(2)改造农贸市场5个。\n"
            "民生工程建设成效明显。\n(一)加快产业发展。")
    assert [c.title for c in read(text).commitments] == ["新建公办幼儿园3所", "改造农贸市场5个"]


MODERN = """二、2024年工作安排
今年政府工作的主要预期目标是：地区生产总值增长5.5%左右，区级一般公共预算收入增长3%，社会消费品零售总额增长6%，城镇新增就业1.2万人，城镇调查失业率控制在5.5%以内，居民人均可支配收入增长与经济增长同步，单位地区生产总值能耗和主要污染物排放量完成市下达任务，PM2.5年均浓度控制在市下达目标以内。
三、扎实办好民生实事
2024年区政府将办好以下民生实事项目：
1.老旧小区改造
完成30个老旧小区综合改造，惠及居民1.2万户。（牵头单位：区住房城乡建设局）
2.普惠托育服务
新增普惠性托位500个。（牵头单位：区卫生健康委）
3.社区食堂
新建社区食堂10家。
各位代表，民生无小事。
"""


def test_a_recent_report_with_items_over_two_paragraphs():
    reading = read(MODERN)
    assert [(t.indicator, t.kind, t.value) for t in reading.targets] == [
        ("gdp", "growth", 5.5), ("general_budget_revenue", "growth", 3), ("retail_sales", "growth", 6),
        ("new_urban_jobs", "level", 1.2), ("surveyed_unemployment_rate", "ceiling", 5.5),
        ("per_capita_income", "qualitative", None), ("energy_intensity", "qualitative", None),
        ("emissions", "qualitative", None), ("pm25", "qualitative", None)]
    items = reading.commitments
    assert [(c.title, c.owner) for c in items] == [("老旧小区改造", "区住房城乡建设局"), ("普惠托育服务", "区卫生健康委"),
                                                   ("社区食堂", None)]
    assert [(q.value, q.unit) for q in items[0].quantities] == [(30, "个"), (1.2, "万户")]
    assert items[-1].text == "社区食堂\n新建社区食堂10家"          # its details, not the closing words
    for c in items:
        assert MODERN[c.source.start:c.source.end] == c.source.text


def test_a_share_of_an_indicator_is_not_the_indicator():
    reading = read("主要预期目标是:数字经济核心产业增加值占GDP比重达到10%,人均GDP突破10万元,地区生产总值增长6%。")
    assert [(t.indicator, t.name, t.value) for t in reading.targets] == [
        (None, "数字经济核心产业增加值占GDP比重", 10), ("per_capita_gdp", "人均GDP", 10), ("gdp", "地区生产总值", 6)]


def test_a_report_printed_twice_gives_everything_once():
    text = report_text("000_ffec1ac142b8e965")
    once, twice = read(text), read(text + "\n" + text)
    assert summary(twice) == summary(once)
    assert [(f.indicator, f.value) for f in twice.figures] == [(f.indicator, f.value) for f in once.figures]


def test_a_deputy_is_not_the_speaker():
    meta = read("政府工作报告\n——2024年1月5日在东湖区第九届人民代表大会第三次会议上\n东湖区人民政府区长李四\n"
                "副区长王五\n各位代表:").metadata
    assert (meta.speaker, meta.speaker_title, meta.district) == ("李四", "区长", "东湖区")


def test_environmental_aims_read_as_qualitative_targets():
    text = ("2023年全区经济社会发展的主要预期目标是：地区生产总值增长5%左右；一般公共预算收入增长4%；"
            "外贸进出口总额稳中提质；细颗粒物（PM2.5）年均浓度、单位地区生产总值能耗和二氧化碳排放完成市级下达任务。")
    assert [(t.indicator, t.kind) for t in read(text).targets] == [
        ("gdp", "growth"), ("general_budget_revenue", "growth"), ("foreign_trade", "qualitative"),
        ("pm25", "qualitative"), ("energy_intensity", "qualitative"), ("carbon_intensity", "qualitative")]


def test_unnumbered_items_between_semicolons_when_they_are_as_many_as_announced():
    items = read("二、2024年工作安排\n今年办好三件实事:新建幼儿园2所;改造背街小巷20条;新增停车位500个。").commitments
    assert [c.title for c in items] == ["新建幼儿园2所", "改造背街小巷20条", "新增停车位500个"]
    assert read("二、2024年工作安排\n今年办好五件实事:新建幼儿园2所;改造背街小巷20条。").commitments == ()


def test_the_work_after_the_targets_is_not_a_target():
    text = "主要预期目标是:地区生产总值增长6%。为实现上述目标,要突出抓好以下10个方面工作。"
    assert [(t.indicator, t.value) for t in read(text).targets] == [("gdp", 6)]


def test_a_clause_of_work_is_unparsed_a_measure_the_registry_lacks_is_a_target():
    reading = read("主要预期目标是:地区生产总值增长6%,要突出抓好以下10个方面工作,粮食播种面积稳定在30万亩。")
    assert [(t.indicator, t.name, t.value, t.unit) for t in reading.targets] == [
        ("gdp", "地区生产总值", 6, "%"), (None, "粮食播种面积", 30, "万亩")]
    assert [u.source.text for u in reading.unparsed] == ["要突出抓好以下10个方面工作,"]
