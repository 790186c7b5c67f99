"""The case endpoints over real HTTP: intake, idempotent retries, the closed loop, lists,
search, masking and problem details."""
from __future__ import annotations

import pytest

CASE = {"channel": "hotline", "title": "路灯不亮", "body": "积玉桥某路段路灯连续三晚不亮，电话13812345678",
        "reporter_name": "张三", "reporter_phone": "13812345678", "lon": 114.305, "lat": 30.545, "category": "010101"}


def test_sign_in_and_me(live):
    me = live.client("operator").get("/api/v1/auth/me").json()
    assert me["username"] == "operator" and me["role"] == "operator"


def test_wrong_password_is_401_problem(live):
    answer = live.client().post("/api/v1/auth/token", data={"username": "operator", "password": "nope-nope"})
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["field"] == "credentials"


def test_closed_loop_over_http(live):
    op, disp, handler, gw = (live.client(u) for u in ("operator", "dispatcher", "handler_zj", "grid_worker"))
    created = op.post("/api/v1/cases", json=CASE)
    assert created.status_code == 201, created.text
    case = created.json()
    assert case["state"] == "reported" and case["grid_code"] == live.world.cells[0]
    ref = case["number"]
    steps = [(disp, "register", {}), (disp, "dispatch", {}), (handler, "accept", {}),
             (handler, "feedback", {"note": "已更换灯泡"}), (gw, "verify_pass", {})]
    for client, action, body in steps:
        answer = client.post(f"/api/v1/cases/{ref}/actions/{action}", json=body)
        assert answer.status_code == 200, (action, answer.text)
    assert answer.json()["state"] == "closed"
    events = op.get(f"/api/v1/cases/{ref}/events").json()
    assert [e["action"] for e in events] == ["report", "register", "dispatch", "accept", "feedback", "verify_pass"]
    assert events[3]["actor"]["username"] == "handler_zj"


def test_idempotency_key_makes_retries_safe(live):
    op = live.client("operator")
    first = op.post("/api/v1/cases", json=CASE, headers={"Idempotency-Key": "retry-1"})
    again = op.post("/api/v1/cases", json=CASE, headers={"Idempotency-Key": "retry-1"})
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"] and again.headers["Idempotent-Replayed"] == "true"
    other = op.post("/api/v1/cases", json={**CASE, "title": "另一件事"}, headers={"Idempotency-Key": "retry-1"})
    assert other.status_code == 409 and other.json()["field"] == "idempotency_key"


def test_refused_action_is_409_with_state(live):
    op, handler = live.client("operator"), live.client("handler")
    ref = op.post("/api/v1/cases", json=CASE).json()["id"]
    answer = live.client("dispatcher").post(f"/api/v1/cases/{ref}/actions/verify_pass", json={})
    assert answer.status_code == 409
    body = answer.json()
    assert body["state"] == "reported" and "register" in body["allowed_actions"]
    assert handler.get(f"/api/v1/cases/{ref}").status_code == 404  # not its department's: not told it exists


@pytest.mark.parametrize("body, field", [
    ({**CASE, "channel": "fax"}, "channel"),
    ({**CASE, "title": ""}, "title"),
    ({**CASE, "lon": 500}, "lon"),
    ({**CASE, "unknown": 1}, "unknown"),
])
def test_bad_input_names_the_field(live, body, field):
    answer = live.client("operator").post("/api/v1/cases", json=body)
    assert answer.status_code == 422 and answer.json()["field"] == field, answer.text


def test_masked_for_roles_without_need(live):
    ref = live.client("operator").post("/api/v1/cases", json=CASE).json()["id"]
    seen = live.client("supervisor").get(f"/api/v1/cases/{ref}").json()
    assert seen["reporter_masked"] and seen["reporter_phone"] == "138****5678"
    assert "13812345678" not in live.client("supervisor").get(f"/api/v1/cases/{ref}/events").text
    assert live.client("operator").get(f"/api/v1/cases/{ref}").json()["reporter_phone"] == "13812345678"


def test_a_check_request_waits_in_the_grid_workers_queue_until_answered(live):
    op, gw = live.client("operator"), live.client("grid_worker")
    asked, not_asked = (op.post("/api/v1/cases", json=CASE).json() for _ in range(2))
    assert op.post(f"/api/v1/cases/{asked['number']}/actions/request_check", json={}).status_code == 200

    def waiting(client) -> list[int]:
        return [c["id"] for c in client.get("/api/v1/cases", params={"queue": "to_check", "per_page": 200}).json()["items"]]

    assert asked["id"] in waiting(gw) and not_asked["id"] not in waiting(gw)
    counts = gw.get("/api/v1/cases/queues").json()["counts"]
    assert counts["to_check"] == len(waiting(gw))
    answer = gw.post(f"/api/v1/cases/{asked['number']}/actions/check", json={"note": "现场属实"})
    assert answer.status_code == 200, answer.text
    assert asked["id"] not in waiting(gw)  # answered: off the queue, still 待立案
    assert op.post(f"/api/v1/cases/{asked['number']}/actions/request_check", json={}).status_code == 200
    assert asked["id"] in waiting(gw)  # asked again after the answer: back on it
    assert live.client("dispatcher").post(f"/api/v1/cases/{asked['number']}/actions/register",
                                          json={}).status_code == 200
    assert asked["id"] not in waiting(gw)  # registered: no longer a 核实's to give


def test_search_and_filters(live):
    op = live.client("operator")
    made = op.post("/api/v1/cases", json={**CASE, "title": "噪音扰民", "body": "夜间施工噪音扰民严重"}).json()
    found = op.get("/api/v1/cases", params={"q": "噪音", "channel": "hotline"}).json()
    assert made["id"] in [c["id"] for c in found["items"]]
    assert all("噪音" in c["title"] + c["body"] for c in found["items"])
    none = op.get("/api/v1/cases", params={"q": "噪音", "channel": "patrol"}).json()
    assert none["total"] == 0


def test_photo_upload_checked_by_content(live):
    op = live.client("operator")
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    data = {k: str(v) for k, v in CASE.items()}
    made = op.post("/api/v1/cases", data=data, files=[("photos", ("a.png", png, "image/png"))])
    assert made.status_code == 201, made.text
    listed = op.get(f"/api/v1/cases/{made.json()['id']}/attachments").json()
    assert listed[0]["content_type"] == "image/png"
    assert op.get(listed[0]["url"]).content == png
    bad = op.post("/api/v1/cases", data=data, files=[("photos", ("a.png", b"not an image", "image/png"))])
    assert bad.status_code == 415 and bad.json()["field"] == "attachments[0]"


def test_public_report_and_follow_by_number(live):
    anonymous = live.client()
    made = anonymous.post("/api/v1/public/cases", json={"title": "井盖缺失", "body": "小区门口井盖丢了，电话13912345678",
                                                          "reporter_phone": "13912345678", "lon": 114.30,
                                                          "lat": 30.547})
    assert made.status_code == 201, made.text
    number = made.json()["number"]
    followed = anonymous.get(f"/api/v1/public/cases/{number}").json()
    assert followed["state"] == "reported" and "13912345678" not in str(followed)
    assert followed["reply"] is None  # no department has answered yet
    assert anonymous.get("/api/v1/public/cases/1").status_code == 404  # by number only
    assert anonymous.get("/api/v1/cases").status_code == 401


def test_password_guessing_is_slowed(live):
    anonymous = live.client()
    statuses = [anonymous.post("/api/v1/auth/token", data={"username": "dispatcher", "password": f"guess-{i}"})
                .status_code for i in range(45)]
    assert statuses[0] == 401 and 429 in statuses
    refused = anonymous.post("/api/v1/auth/token", data={"username": "dispatcher", "password": "guess-again"})
    if refused.status_code == 429:
        assert int(refused.headers["Retry-After"]) >= 1


def test_public_intake_is_rate_limited(live):
    anonymous = live.client()
    statuses = []
    for i in range(61):  # the limit is 30 a minute: a window boundary crossed midway still ends in 429
        statuses.append(anonymous.post("/api/v1/public/cases", json={
            "title": f"第{i}次", "body": "测试限流", "address": "积玉桥"}).status_code)
        if statuses[-1] == 429:
            break
    assert statuses[0] == 201 and statuses[-1] == 429
