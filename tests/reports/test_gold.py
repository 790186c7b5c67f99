"""Every target paragraph and every 实事 list of the five real reports, read and checked
item by item against the hand-made annotations in gold/, plus each report's metadata."""
from __future__ import annotations

import pytest

from civicloop.reports.service import METADATA_FIELDS, match_commitments, target_matches
from tests.reports.conftest import STEMS, report_text


def test_there_are_five_reports_with_gold_files():
    assert len(STEMS) == 5


@pytest.mark.parametrize("stem", STEMS)
def test_gold_sources_are_exact_sentences_of_the_report(stem, golds):
    text = report_text(stem)
    gold = golds[stem]
    for item in [*gold.targets, *gold.commitments]:
        assert text[item.source.start:item.source.end] == item.source.text


@pytest.mark.parametrize("stem", STEMS)
def test_metadata(stem, readings, golds):
    meta, expected = readings[stem].metadata, golds[stem].metadata.model_dump()
    assert {f: getattr(meta, f) for f in METADATA_FIELDS} == expected


@pytest.mark.parametrize("stem", STEMS)
def test_every_target(stem, readings, golds):
    found = list(readings[stem].targets)
    for g in golds[stem].targets:
        hit = next((t for t in found if target_matches(g, t)), None)
        assert hit is not None, f"missing {g.indicator} {g.value} ({g.source.text})"
        found.remove(hit)
        assert (hit.kind, hit.unit, hit.qualifier, hit.direction, hit.name) == \
               (g.kind, g.unit, g.qualifier, g.direction, g.name), g.source.text
        assert (hit.level.value, hit.level.unit) == (g.level.value, g.level.unit) if g.level else hit.level is None
        assert g.source.start >= hit.source.start and g.source.end <= hit.source.end, (g.source, hit.source)
    assert found == [], f"targets not in the gold: {found}"


@pytest.mark.parametrize("stem", STEMS)
def test_every_commitment_item(stem, readings, golds):
    gold = golds[stem].commitments
    found = readings[stem].commitments
    pairs = match_commitments([(g.source.start, g.source.end) for g in gold],
                              [(c.source.start, c.source.end) for c in found])
    assert len(pairs) == len(gold) == len(found), [c.title for c in found]
    for i, j in pairs:
        g, c = gold[i], found[j]
        assert i == j and c.number == g.number
        assert c.source.text.strip("。") == g.source.text.strip("。")
        assert c.title.startswith(g.title) or g.title.startswith(c.title), (c.title, g.title)
        promised = {(q.value, q.unit) for q in c.quantities}
        assert {(q.value, q.unit) for q in g.quantities} <= promised, (g.title, c.quantities)


def test_a_promise_counts_what_it_builds(readings):
    item = next(c for c in readings["004_d4abb190f6768d14"].commitments if "口袋公园" in c.text)
    assert [(q.value, q.unit, q.thing) for q in item.quantities][:1] == [(30, "个", "口袋公园")]
    pension = readings["000_ffec1ac142b8e965"].commitments[6]
    assert (15, "所", "社区居家养老服务中心") in [(q.value, q.unit, q.thing) for q in pension.quantities]


@pytest.mark.parametrize("stem", STEMS)
def test_every_source_is_the_original_text(stem, readings):
    text = report_text(stem)
    r = readings[stem]
    for item in [*r.targets, *r.commitments, *r.figures, *r.glossary, *r.unparsed]:
        assert text[item.source.start:item.source.end] == item.source.text
        assert item.source.text.strip()


def test_achieved_figures_of_the_past_year(readings):
    figures = {f.indicator: f for f in readings["000_ffec1ac142b8e965"].figures}
    gdp = figures["gdp"]
    assert (gdp.value, gdp.unit, gdp.growth, gdp.estimated) == (640, "亿元", 12.6, True)
    assert (figures["retail_sales"].value, figures["retail_sales"].growth) == (468.6, 13.5)
    xuhui = {f.indicator: f for f in readings["003_34836e24406d3407"].figures}
    assert (xuhui["gdp"].value, xuhui["gdp"].growth, xuhui["gdp"].estimated) == (1000, 7.8, False)
    assert xuhui["district_fiscal_revenue"].value == 109.1
    energy = {f.indicator: f for f in readings["001_69232ea0bb8e6e45"].figures}["energy_intensity"]
    assert energy.growth == -3.2


def test_glossaries(readings):
    jiangan = readings["002_63741cc1e03311a7"].glossary
    assert len(jiangan) == 29
    assert (jiangan[4].term, jiangan[4].explanation) == ("“放管服”改革", "简政放权、放管结合、优化服务。")
    yueyang = readings["004_d4abb190f6768d14"].glossary
    assert len(yueyang) == 18          # the page printed its last six entries twice
    assert yueyang[-1].term == "“一照一码”"
    assert readings["000_ffec1ac142b8e965"].glossary == ()


def test_what_could_not_be_read_is_reported_not_dropped(readings):
    wuchang = readings["000_ffec1ac142b8e965"].unparsed
    assert [u.source.text for u in wuchang if u.kind == "target"] == ["城市文明程度和群众幸福指数稳步提升。"]
    chengguan = [u for u in readings["001_69232ea0bb8e6e45"].unparsed if u.kind == "commitment"]
    assert len(chengguan) == 1 and "办好十件为民兴办的实事" in chengguan[0].source.text


def test_page_chrome_is_not_read_as_report(readings):
    forum = readings["002_63741cc1e03311a7"]
    assert forum.metadata.title == "2024年武汉市江岸区政府工作报告"
    assert forum.metadata.published_on.isoformat() == "2024-06-15"
    cms = readings["004_d4abb190f6768d14"].metadata
    assert (cms.published_by, cms.published_on.isoformat()) == ("区政府经研室", "2016-02-19")
