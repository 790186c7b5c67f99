"""The commitments API over real HTTP (`civicloop serve` on SQLite and PostgreSQL): an
item from creation to 督办 and bulletin, who may do what, and bad input answered 4xx with
the field named and nothing written."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.api.conftest import add_user, live  # noqa: F401  (the server fixture, shared)

ITEM = {"kind": "commitment", "district_code": "420106", "year": 2026, "title": "建设口袋公园30个",
        "source_sentence": "建设口袋公园30个。", "quantity": 30, "unit": "个", "lead_department": "zj",
        "co_departments": ["cg"]}


@pytest.fixture(scope="module")
def item(live):  # noqa: F811
    add_user(live, "admin", "admin")
    answer = live.client("supervisor").post("/api/v1/commitments", json={**ITEM, "due": "2026-12-31"})
    assert answer.status_code == 201, answer.text
    assert answer.headers["location"] == f"/api/v1/commitments/{answer.json()['id']}"
    return answer.json()


def test_an_item_as_created(live, item):  # noqa: F811
    assert item["title"] == "建设口袋公园30个" and item["kind_label"] == "民生实事"
    assert item["lead_department"]["name"] == "区住建局" and [d["name"] for d in item["co_departments"]] == ["区城管执法局"]
    assert item["created_at"].endswith("+08:00")
    got = live.client("handler_zj").get(f"/api/v1/commitments/{item['id']}", params={"as_of": "2026-12-01"}).json()
    assert got["source_sentence"] == "建设口袋公园30个。" and got["status"]["as_of"] == "2026-12-01"
    listed = live.client("dispatcher").get("/api/v1/commitments", params={"district": "420106", "year": 2026}).json()
    assert [i["id"] for i in listed] == [item["id"]]


def test_milestone_progress_supervision_and_status(live, item):  # noqa: F811
    base = f"/api/v1/commitments/{item['id']}"
    answer = live.client("admin").post(base + "/milestones", json={"due": "Q1", "what": "完成选址", "target_quantity": 5})
    assert answer.status_code == 201, answer.text
    [milestone] = answer.json()["milestones"]
    assert milestone["due"] == "2026-03-31"
    # judged as of a later date: the Q1 milestone passed with nothing reported
    late = live.client("supervisor").get(base, params={"as_of": "2026-04-01"}).json()["status"]
    assert late["status"] == "late" and late["label"] == "滞后" and "完成选址" in late["reason"]
    answer = live.client("handler").post(base + "/progress", json={
        "text": "选址完成5处", "reported_on": "2026-03-30", "quantity": 5, "milestone_id": milestone["id"],
        "evidence": ["https://example.gov.cn/a.pdf"]})
    assert answer.status_code == 201, answer.text
    progress = answer.json()["progress"]
    assert progress[-1]["department"]["name"] == "区城管执法局" and progress[-1]["evidence"] == ["https://example.gov.cn/a.pdf"]
    after = live.client("supervisor").get(base, params={"as_of": "2026-04-01"}).json()["status"]
    assert after["status"] == "on_track" and after["achieved"] == 5
    answer = live.client("supervisor").post(base + "/supervisions", json={"note": "请加快进度", "due": "2099-01-01"})
    assert answer.status_code == 201, answer.text
    assert answer.json()["supervisions"][-1]["note"] == "请加快进度"
    events = live.client("operator").get(base + "/events").json()
    assert [e["action"] for e in events][:4] == ["create", "milestone", "progress", "supervise"]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))


@pytest.mark.parametrize("who, path, body", [
    ("handler_zj", "", ITEM),                                            # handlers do not create
    ("operator", "/{id}/milestones", {"due": "Q2", "what": "x"}),
    ("supervisor", "/{id}/progress", {"text": "x"}),                     # leaders supervise, not report
    ("admin", "/{id}/supervisions", {"note": "x", "due": "2099-01-01"}),
    ("handler", "/{id}/drop", {"reason": "x"}),
    ("handler_zj", "/{id}/cases", {"case": "1"}),
    ("handler_zj", "/bulletins", {"district_code": "420106", "as_of": "2026-07-01"}),
    ("citizen", "", None),
])
def test_refused_roles(live, item, who, path, body):  # noqa: F811
    url = "/api/v1/commitments" + path.replace("{id}", str(item["id"]))
    client = live.client(who)
    answer = client.get(url) if body is None else client.post(url, json=body)
    assert answer.status_code == 403, answer.text
    assert answer.json()["field"] == "role"


def test_a_handler_of_another_department_may_not_report(live, item):  # noqa: F811
    answer = live.client("handler_jyq").post(f"/api/v1/commitments/{item['id']}/progress", json={"text": "x"})
    assert answer.status_code == 403 and answer.json()["field"] == "actor"


@pytest.mark.parametrize("change, field", [
    ({"lead_department": "nope"}, "lead_department"),
    ({"co_departments": ["cg", "nope"]}, "co_departments[1]"),
    ({"title": ""}, "title"),
    ({"due": "2026-02-30"}, "due"),
    ({"due": "2027-01-31"}, "due"),
    ({"year": 1800}, "year"),
    ({"surprise": 1}, "surprise"),
])
def test_bad_items_are_422_naming_the_field(live, item, change, field):  # noqa: F811
    client = live.client("supervisor")
    before = len(client.get("/api/v1/commitments").json())
    answer = client.post("/api/v1/commitments", json={**ITEM, **change})
    assert answer.status_code == 422, answer.text
    assert field in answer.text
    assert len(client.get("/api/v1/commitments").json()) == before


def test_malformed_dates_and_milestones_outside_the_year(live, item):  # noqa: F811
    base = f"/api/v1/commitments/{item['id']}"
    for body in ({"due": "2027-Q1", "what": "x"}, {"due": "2025-12", "what": "x"}, {"due": "明年", "what": "x"}):
        answer = live.client("admin").post(base + "/milestones", json=body)
        assert answer.status_code == 422 and answer.json()["field"] == "due", answer.text
    answer = live.client("supervisor").get(base, params={"as_of": "2026-13-01"})
    assert answer.status_code == 422 and answer.json()["field"] == "as_of"
    answer = live.client("supervisor").get("/api/v1/commitments/999999")
    assert answer.status_code == 404


def test_a_case_links_to_its_item(live, item):  # noqa: F811
    made = live.client("operator").post("/api/v1/cases", json={
        "channel": "hotline", "title": "口袋公园何时开建", "body": "小区旁空地能否建口袋公园", "lon": 114.305,
        "lat": 30.545, "category": "010101"})
    assert made.status_code == 201, made.text
    answer = live.client("dispatcher").post(f"/api/v1/commitments/{item['id']}/cases", json={"case": made.json()["number"]})
    assert answer.status_code == 201, answer.text
    assert made.json()["id"] in answer.json()["case_ids"]
    again = live.client("dispatcher").post(f"/api/v1/commitments/{item['id']}/cases", json={"case": str(made.json()["id"])})
    assert again.status_code == 409


def test_bulletin_in_three_formats_and_the_record_of_those_issued(live, item):  # noqa: F811
    client = live.client("supervisor")
    answer = client.post("/api/v1/commitments/bulletins", json={"district_code": "420106", "as_of": "2026-04-01"})
    assert answer.status_code == 201, answer.text
    data = answer.json()
    assert data["title"] == "武昌区2026年重点工作督查通报（第1期）" and data["since"] is None
    # the Q1 milestone was met on 03-30 (the test above); the 督办 is issued today, after the date asked
    assert data["late"] == [] and data["at_risk"] == [] and len(data["new_progress"]) == 1
    assert data["departments"] == [{"department": "区住建局", "total": 1, "counts": {"on_track": 1}, "new_progress": 1}]
    book = client.post("/api/v1/commitments/bulletins", json={"district_code": "420106", "as_of": "2026-05-01",
                                                              "format": "xlsx"})
    assert book.status_code == 201 and book.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(book.content))["全部事项"]
    assert sheet["C2"].value == "建设口袋公园30个" and sheet["D2"].value == "区住建局"
    page = client.post("/api/v1/commitments/bulletins", json={"district_code": "420106", "as_of": "2026-06-01",
                                                              "format": "html"})
    assert page.status_code == 201 and "text/html" in page.headers["content-type"] and "建设口袋公园30个" in page.text
    issued = client.get("/api/v1/commitments/bulletins", params={"district": "420106"}).json()
    assert [b["as_of"] for b in issued][:3] == ["2026-06-01", "2026-05-01", "2026-04-01"]
    assert issued[0]["since"] == "2026-05-01"   # from the one before
    bad = client.post("/api/v1/commitments/bulletins", json={"district_code": "420106", "as_of": "01/06/2026"})
    assert bad.status_code == 422 and bad.json()["field"] == "as_of"
    assert len(client.get("/api/v1/commitments/bulletins").json()) == len(issued)


def test_progress_on_a_dropped_item_is_409_with_the_reason(live):  # noqa: F811
    made = live.client("admin").post("/api/v1/commitments", json={**ITEM, "title": "改造老旧小区"}).json()
    base = f"/api/v1/commitments/{made['id']}"
    dropped = live.client("admin").post(base + "/drop", json={"reason": "并入城市更新片区"})
    assert dropped.status_code == 200 and dropped.json()["status"]["status"] == "dropped"
    answer = live.client("handler_zj").post(base + "/progress", json={"text": "已开工"})
    assert answer.status_code == 409 and "并入城市更新片区" in answer.json()["detail"]
    assert live.client("admin").get(base).json()["progress"] == []
