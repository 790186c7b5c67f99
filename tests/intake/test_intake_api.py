"""Intake over real HTTP (`civicloop serve` on SQLite and PostgreSQL): a case without a
category comes out categorised when the model is sure, the suggestion is there for the
operator, and the classify endpoint answers bad input with a clear problem, never a 500."""
from __future__ import annotations

import pytest

from civicloop.intake.classifier import TEXT_CHARS
from civicloop.intake.service import TEXT_MAX
from tests.intake.test_intake_service import ENGLISH

V1 = "/api/v1"
PLACE = {"lon": 114.305, "lat": 30.545, "reporter_name": "张三", "reporter_phone": "13812345678"}


def new_case(client, title: str, body: str) -> dict:
    answer = client.post(V1 + "/cases", json={"channel": "hotline", "title": title, "body": body, **PLACE})
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_a_case_is_categorised_at_intake_and_the_suggestion_shown(live, held_out_by_label):
    operator = live.client("operator")
    example = held_out_by_label["城乡建设"][1]
    made = new_case(operator, (example.title or example.text)[:30], example.text)
    assert made["category"]["code"] == "01"
    shown = operator.get(f"{V1}/cases/{made['id']}/suggestion").json()
    assert shown["category"]["code"] == "01" and shown["number"] == made["number"]
    s = shown["suggestion"]
    assert s["applied"] and s["label"] == "城乡建设" and len(s["alternatives"]) == 3
    best = s["alternatives"][0]
    assert best["category"]["code"] == "01" and best["department"]["code"] == "zj"
    assert s["created_at"].endswith("+08:00")
    dispatcher = live.client("dispatcher")
    for action in ("register", "dispatch"):
        answer = dispatcher.post(f"{V1}/cases/{made['id']}/actions/{action}", json={})
        assert answer.status_code == 200, answer.text
    assert answer.json()["lead_department"]["id"] == live.world.departments["zj"]


def test_an_english_case_waits_for_the_operator_who_sets_the_category(live):
    operator = live.client("operator")
    made = new_case(operator, "Broken street light", ENGLISH)
    assert made["category"] is None
    s = operator.get(f"{V1}/cases/{made['id']}/suggestion").json()["suggestion"]
    assert s["not_chinese"] and not s["applied"]
    answer = operator.post(f"{V1}/cases/{made['id']}/actions/reclassify", json={"category": "0102"})
    assert answer.status_code == 200 and answer.json()["category"]["code"] == "0102", answer.text
    supervisor = live.client("supervisor")  # sees every case, may not 改类
    assert supervisor.post(f"{V1}/cases/{made['id']}/actions/reclassify", json={"category": "01"}).status_code == 403
    problem = operator.post(f"{V1}/cases/{made['id']}/actions/reclassify", json={"category": "no-such"})
    assert problem.status_code == 404 and problem.json()["field"] == "category"


def test_a_case_with_a_category_has_no_suggestion(live):
    operator = live.client("operator")
    answer = operator.post(V1 + "/cases", json={"channel": "hotline", "title": "违建", "body": "楼顶加盖",
                                                "category": "0102", **PLACE})
    shown = operator.get(f"{V1}/cases/{answer.json()['id']}/suggestion").json()
    assert shown["suggestion"] is None and shown["category"]["code"] == "0102"


def test_classify_gives_the_top_three_with_departments(live, trained, held_out_by_label):
    example = held_out_by_label["城乡建设"][2]
    answer = live.client("dispatcher").post(V1 + "/intake/classify", json={"title": example.title,
                                                                           "text": example.text})
    assert answer.status_code == 200, answer.text
    out = answer.json()
    expected = trained.predict(example.title, example.text)
    assert out["label"] == expected.label == "城乡建设" and out["applicable"]
    assert out["confidence"] == pytest.approx(expected.confidence, abs=1e-4) and out["threshold"] > 0
    assert [a["label"] for a in out["alternatives"]] == [a.label for a in expected.alternatives]
    assert out["alternatives"][0]["department"]["code"] == "zj"
    assert all(a["department"] is None and a["department_note"] for a in out["alternatives"][1:])


@pytest.mark.parametrize("body,status,field", [
    ({"text": ""}, 422, "text"),
    ({"text": "   "}, 422, "text"),
    ({"title": "路灯"}, 422, "text"),
    ({"text": "路灯坏了", "district_code": "12"}, 422, "district_code"),
    ({"text": "路" * (TEXT_MAX + 1)}, 413, "text"),
    ({"title": "路" * (TEXT_MAX + 1), "text": "路灯坏了"}, 413, "title"),
])
def test_classify_bad_input_is_a_problem_naming_the_field(live, body, status, field):
    answer = live.client("operator").post(V1 + "/intake/classify", json=body)
    assert answer.status_code == status, answer.text
    assert answer.json()["field"] == field


@pytest.mark.parametrize("text", [ENGLISH, "家の前の街灯が一週間も壊れたままです。", "집 앞 가로등이 고장났습니다."])
def test_classify_flags_other_languages(live, text):
    out = live.client("operator").post(V1 + "/intake/classify", json={"text": text}).json()
    assert out["not_chinese"] and not out["applicable"] and len(out["alternatives"]) == 3


def test_classify_reads_only_the_start_of_a_long_text(live):
    start = "学校乱收费，每个学生每学期要交补课费五百元，家长负担很重。"
    long = live.client("operator").post(V1 + "/intake/classify", json={"text": start + "。" * 5000}).json()
    short = live.client("operator").post(V1 + "/intake/classify", json={"text": start}).json()
    assert long["truncated"] and not short["truncated"] and long["label"] == short["label"]
    assert str(TEXT_CHARS) in live.client().get("/openapi.json").text
