"""POST /api/v1/reports/read over real HTTP: a report as JSON text, as raw bytes in any of
the accepted encodings, or as an uploaded file; bad input refused naming the field."""
from __future__ import annotations

import pytest

from civicloop.reports.service import MAX_REPORT_BYTES
from tests.api.conftest import add_user, live  # noqa: F401  (the server fixture, shared)
from tests.reports.conftest import report_text

URL = "/api/v1/reports/read"
STEM = "000_ffec1ac142b8e965"


@pytest.fixture(scope="module")
def leader(live):  # noqa: F811
    add_user(live, "report_reader", "assessor")
    return live.client("supervisor")


@pytest.fixture(scope="module")
def assessor(live, leader):  # noqa: F811
    return live.client("report_reader")


def problem(answer, status: int, field: str) -> dict:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["field"] == field, answer.json()
    return answer.json()


def test_json_text_is_read_with_offsets_into_it(leader):
    text = report_text(STEM)
    answer = leader.post(URL, json={"text": text})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["metadata"]["district"] == "武汉市武昌区"
    assert body["metadata"]["delivered_on"] == "2012-12-25"
    assert [t["indicator"] for t in body["targets"]][:4] == ["gdp", "total_fiscal_revenue", "district_fiscal_revenue",
                                                            "retail_sales"]
    assert len(body["commitments"]) == 10
    for item in body["targets"] + body["commitments"]:
        assert text[item["source"]["start"]:item["source"]["end"]] == item["source"]["text"]


def test_a_gb18030_file_upload_and_raw_bytes_read_the_same(leader, assessor):
    text = report_text("004_d4abb190f6768d14")
    as_json = leader.post(URL, json={"text": text}).json()
    uploaded = assessor.post(URL, files={"file": ("报告.txt", text.encode("gb18030"), "text/plain")})
    assert uploaded.status_code == 200, uploaded.text
    raw = leader.post(URL, content=text.encode("utf-16"), headers={"content-type": "text/plain"})
    assert raw.status_code == 200, raw.text
    assert uploaded.json() == as_json == raw.json()


@pytest.mark.parametrize(("kwargs", "status", "field"), [
    ({"json": {"text": ""}}, 422, "text"),
    ({"json": {"text": "   "}}, 422, "text"),
    ({"json": {}}, 422, "text"),
    ({"json": {"text": "The district's government work report, in English."}}, 422, "text"),
    ({"content": b"{not json", "headers": {"content-type": "application/json"}}, 422, "body"),
    ({"content": bytes(range(256)) * 8, "headers": {"content-type": "text/plain"}}, 415, "body"),
    ({"content": b"", "headers": {"content-type": "text/plain"}}, 422, "body"),
    ({"files": {"file": ("scan.pdf", b"%PDF-1.4\x00\x01\x02" * 100, "application/pdf")}}, 415, "scan.pdf"),
    ({"files": {"other": ("a.txt", "报告".encode(), "text/plain")}}, 422, "file"),
    ({"content": "报告".encode(), "headers": {"content-type": "application/xml"}}, 415, "content-type"),
])
def test_bad_input_is_refused_naming_the_field(leader, kwargs, status, field):
    problem(leader.post(URL, **kwargs), status, field)


def test_a_huge_body_is_refused_with_413(leader):
    problem(leader.post(URL, content=b"a" * (MAX_REPORT_BYTES + 1), headers={"content-type": "text/plain"}),
            413, "body")


def test_only_those_who_plan_or_assess_read_reports(live, leader):  # noqa: F811
    problem(live.client().post(URL, json={"text": "报告"}), 401, "token")
    for role in ("citizen", "operator", "handler"):
        problem(live.client(role).post(URL, json={"text": "报告"}), 403, "role")
