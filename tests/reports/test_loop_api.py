"""POST /api/v1/reports/compare and GET /api/v1/reports/annual over real HTTP: the answers are
the service's, files in other encodings compare the same, bad input is refused naming the field."""
from __future__ import annotations

import datetime as dt

import pytest

from civicloop.commitments import service as tracking
from civicloop.commitments.imports import import_reading
from civicloop.db import transaction
from civicloop.reports import service
from civicloop.reports.reader import read
from tests.api.conftest import add_user, live  # noqa: F401  (the server fixture, shared)
from tests.reports.test_compare import WUCHANG_2013, WUCHANG_2014

COMPARE, ANNUAL = "/api/v1/reports/compare", "/api/v1/reports/annual"


@pytest.fixture(scope="module")
def assessor(live):  # noqa: F811
    add_user(live, "loop_assessor", "assessor")
    return live.client("loop_assessor")


def problem(answer, status: int, field: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.json()["field"] == field, answer.json()


def test_compare_answers_what_the_service_finds(assessor):
    this, following = WUCHANG_2013.read_text("utf-8"), WUCHANG_2014.read_text("utf-8")
    answer = assessor.post(COMPARE, json={"this_year": this, "next_year": following})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    expected = service.compare_files(WUCHANG_2013, WUCHANG_2014)
    assert [(t["target"]["indicator"], t["verdict"], t["label"]) for t in body["targets"]] == \
        [(t.target.indicator, t.verdict, label) for t, label in
         zip(expected.targets, ("未完成", "完成", "未完成", "完成", "不可比", "不可比", "不可比"))]
    assert [c["verdict"] for c in body["commitments"]] == [c.verdict for c in expected.commitments]
    assert body["counts"] == expected.counts() and body["warnings"] == []
    for line in body["commitments"]:
        if line["mention"]:
            assert following[line["mention"]["start"]:line["mention"]["end"]] == line["mention"]["text"]
    uploaded = assessor.post(COMPARE, files={"this_year": ("2013.txt", this.encode("gb18030"), "text/plain"),
                                             "next_year": ("2014.txt", following.encode("utf-16"), "text/plain")})
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["targets"] == body["targets"] and uploaded.json()["counts"] == body["counts"]


def test_compare_flags_a_doubtful_pair_and_refuses_bad_input(assessor):
    this = WUCHANG_2013.read_text("utf-8")
    same = assessor.post(COMPARE, json={"this_year": this, "next_year": this})
    assert same.status_code == 200 and any("同一份报告" in w for w in same.json()["warnings"])
    problem(assessor.post(COMPARE, json={"this_year": this}), 422, "next_year")
    problem(assessor.post(COMPARE, json={"this_year": "  ", "next_year": this}), 422, "this_year")
    problem(assessor.post(COMPARE, json={"this_year": this, "next_year": "no report here, just English"}), 422,
            "next_year")
    problem(assessor.post(COMPARE, files={"this_year": ("a.txt", b"\x00\xff" * 50, "text/plain"),
                                          "next_year": ("b.txt", this.encode(), "text/plain")}), 415, "this_year")
    problem(assessor.post(COMPARE, files={"this_year": ("a.txt", this.encode(), "text/plain")}), 422, "next_year")
    problem(assessor.post(COMPARE, content=b"<xml/>", headers={"content-type": "application/xml"}), 415,
            "content-type")


def test_annual_drafts_from_the_tracked_items_and_the_cases(live, assessor):  # noqa: F811
    world = live.world
    with transaction(world.engine) as s:
        import_reading(s, read(WUCHANG_2013.read_text("utf-8")), district_code="420106", lead_department="zj",
                       year=2025, actor=world.actors["supervisor"], now=dt.datetime(2025, 1, 5, 9))
        gdp = next(i.id for i in tracking.list_items(s, district_code="420106", year=2025)
                   if i.title == "地区生产总值增长12%以上")
    with transaction(world.engine) as s:
        tracking.report_progress(s, gdp, actor=world.actors["handler_zj"], now=dt.datetime(2025, 12, 20, 9),
                                 text="全年预计", quantity=11.7)
    answer = assessor.get(ANNUAL, params={"year": 2025, "district_code": "420106"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [s["heading"] for s in body["sections"]] == ["一、主要预期目标完成情况", "二、民生实事办理情况",
                                                        "三、群众诉求办理情况"]
    assert "1项未完成：地区生产总值增长11.7%（目标：增长12%以上）" in body["sections"][0]["text"]
    assert body["targets"][0]["verdict"] == "missed" and body["text"].startswith("一、主要预期目标完成情况\n")
    cases = assessor.get("/api/v1/assess/annual", params={"year": 2025, "district": "420106"}).json()["text"]
    assert body["sections"][2]["text"] == cases
    empty = assessor.get(ANNUAL, params={"year": 2019}).json()
    assert empty["sections"][0]["text"] == "库中没有2019年跟踪的主要预期目标。" and empty["targets"] == []
    problem(assessor.get(ANNUAL, params={"year": 1999}), 422, "year")
    problem(assessor.get(ANNUAL, params={"year": "二〇二五"}), 422, "year")
    problem(assessor.get(ANNUAL, params={"year": 2025, "district_code": "999999"}), 404, "district")
