"""Duplicates and the outbox over HTTP, on a real server: a rewritten copy of a real
message finds the case it repeats, before and after intake; the merge is one action;
bad input is a 422 naming the field; the outbox shows no phone unmasked."""
from __future__ import annotations

import pytest

from tests.api.conftest import add_user
from tests.duplicates.conftest import messages, rewrite

PHONE = "13877776666"


@pytest.fixture(scope="module")
def original(live):
    add_user(live, "admin", "admin")
    message = messages(1, seed=21)[0]
    answer = live.client("operator").post("/api/v1/cases", json={
        "channel": "hotline", "title": message.title, "body": message.body, "reporter_name": "王五",
        "reporter_phone": PHONE, "lon": 114.305, "lat": 30.545})
    assert answer.status_code == 201, answer.text
    return message, answer.json()


def test_a_draft_finds_the_case_it_repeats(live, original):
    message, case = original
    title, text = rewrite(message)
    answer = live.client("operator").post("/api/v1/duplicates/check", json={
        "title": title, "text": text, "lon": 114.3052, "lat": 30.5451})
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert found["case_id"] is None and found["window_days"] == 7
    assert [c["case"]["id"] for c in found["candidates"]] == [case["id"]]
    best = found["candidates"][0]
    assert best["case"]["number"] == case["number"] and best["case"]["state_label"] == "待立案"
    assert "同一网格" in best["reasons"] and 0.5 <= best["score"] <= 1
    assert best["case"]["reported_at"].endswith("+08:00")
    other = messages(1, seed=22)[0]  # another matter at the same place
    nothing = live.client("dispatcher").post("/api/v1/duplicates/check", json={
        "title": other.title, "text": other.body, "lon": 114.305, "lat": 30.545})
    assert nothing.status_code == 200 and nothing.json()["candidates"] == []


def test_a_case_lists_its_duplicates_and_is_merged_with_one_action(live, original):
    message, case = original
    title, text = rewrite(message, seed=3)
    operator, dispatcher = live.client("operator"), live.client("dispatcher")
    copy = operator.post("/api/v1/cases", json={"channel": "hotline", "title": title, "body": text,
                                                "reporter_phone": "13955554444", "lon": 114.306, "lat": 30.546})
    assert copy.status_code == 201, copy.text
    copy_id = copy.json()["id"]
    listed = dispatcher.get(f"/api/v1/cases/{copy_id}/duplicates", params={"window_days": 3, "radius_m": 500})
    assert listed.status_code == 200, listed.text
    assert listed.json()["case_id"] == copy_id and listed.json()["radius_m"] == 500
    assert [c["case"]["id"] for c in listed.json()["candidates"]] == [case["id"]]
    assert live.client("handler").get(f"/api/v1/cases/{copy_id}/duplicates").status_code == 403
    assert dispatcher.get("/api/v1/cases/999999/duplicates").status_code == 404

    itself = dispatcher.post(f"/api/v1/cases/{copy_id}/actions/merge", json={"master_case_id": copy_id})
    assert itself.status_code == 422 and itself.json()["field"] == "master_case_id"
    unknown = dispatcher.post(f"/api/v1/cases/{copy_id}/actions/merge", json={"master_case_id": 999999})
    assert unknown.status_code == 404 and unknown.json()["field"] == "master_case_id"
    missing = dispatcher.post(f"/api/v1/cases/{copy_id}/actions/merge", json={})
    assert missing.status_code == 422 and missing.json()["field"] == "master_case_id"
    merged = dispatcher.post(f"/api/v1/cases/{copy_id}/actions/merge", json={"master_case_id": case["id"]})
    assert merged.status_code == 200, merged.text
    assert merged.json()["state"] == "merged" and merged.json()["state_label"] == "已合并"
    again = dispatcher.get(f"/api/v1/cases/{case['id']}/duplicates")
    assert again.json()["candidates"] == []  # a merged case is no longer open

    outbox = live.client("admin").get("/api/v1/notifications", params={"case": str(copy_id)})
    assert outbox.status_code == 200, outbox.text
    items = outbox.json()["items"]
    assert [(n["event"], n["channel"], n["recipient_phone"], n["status"]) for n in items] == [
        ("merge", "sms", "139****4444", "pending")]
    assert case["number"] in items[0]["text"] and "合并办理" in items[0]["text"]
    assert live.client("operator").get("/api/v1/notifications").status_code == 403


def test_no_phone_leaves_the_outbox_unmasked(live, original):
    _, case = original
    dispatcher = live.client("dispatcher")
    assert dispatcher.post(f"/api/v1/cases/{case['id']}/actions/register", json={}).status_code == 200
    everything = live.client("admin").get("/api/v1/notifications", params={"per_page": 200})
    assert everything.status_code == 200 and everything.json()["total"] >= 2
    assert PHONE not in everything.text and "13955554444" not in everything.text
    registered = [n for n in everything.json()["items"] if n["case_id"] == case["id"]]
    assert [n["event"] for n in registered] == ["register"] and registered[0]["recipient_phone"] == "138****6666"
    bad = live.client("admin").get("/api/v1/notifications", params={"status": "lost"})
    assert bad.status_code == 422 and bad.json()["field"] == "status"


@pytest.mark.parametrize("body, field", [
    ({"title": "路灯不亮", "text": ""}, "text"),
    ({"title": "路灯不亮"}, "text"),
    ({"title": "路灯不亮", "text": "   "}, "text"),
    ({"text": "路" * 20_001}, "text"),
    ({"text": "路灯不亮", "lon": "东经"}, "lon"),
    ({"text": "路灯不亮", "lon": 114.305}, "location"),
    ({"text": "路灯不亮", "lon": 120.0, "lat": 30.0}, "location"),
    ({"text": "路灯不亮", "grid_code": "420106001001"}, "grid_code"),
    ({"text": "路灯不亮", "category": "没有这个分类"}, "category"),
    ({"text": "路灯不亮", "window_days": 0}, "window_days"),
    ({"text": "路灯不亮", "color": "red"}, "color"),
])
def test_bad_drafts_are_422_or_404_naming_the_field(live, body, field):
    answer = live.client("operator").post("/api/v1/duplicates/check", json=body)
    assert answer.status_code in (404, 422) and answer.json()["field"] == field, answer.text
    assert answer.status_code == (404 if field == "category" else 422)
