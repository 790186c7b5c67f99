"""GeoReport v2 and mySociety's servicerequestupdates over real HTTP, in JSON and XML."""
from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest

from civicloop.settings import local_now
from tests.open311.conftest import BASE, LAT, LONG

REPORTED = dt.datetime(2026, 10, 1, 9, 0)  # local time of a case made through the service layer
SERVER_ENV = {"CIVICLOOP_PUBLIC_RATE_LIMIT": "100000"}  # the limit itself: test_rate_limit.py


def report(live, key, fmt="json", **fields):
    form = {"api_key": key, "service_code": "010101", "lat": LAT, "long": LONG,
            "description": "积玉桥路段路灯不亮\n已经三晚了", **fields}
    with live.client() as http:
        return http.post(f"{BASE}/requests.{fmt}", data={k: v for k, v in form.items() if v is not None})


def get(live, path, **params):
    with live.client() as http:
        return http.get(BASE + path, params=params)


def error_of(answer) -> tuple[int, str]:
    """The spec's error body, in either format: (code, description)."""
    if answer.headers["content-type"].startswith("text/xml"):
        error = ET.fromstring(answer.content).find("error")
        return int(error.findtext("code")), error.findtext("description")
    [error] = answer.json()
    return error["code"], error["description"]


# ------------------------------------------------------------------ services

def test_services_are_the_leaf_categories_in_json_and_xml(live):
    answer = get(live, "/services.json")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/json")
    by_code = {s["service_code"]: s for s in answer.json()}
    assert set(by_code) == {"010101", "0102"}  # 01 and 0101 have sub-categories
    assert by_code["010101"] == {"service_code": "010101", "service_name": "园林绿化环卫",
                                 "description": "城乡建设/城市建设和市政管理/园林绿化环卫", "metadata": False,
                                 "type": "realtime", "keywords": "城乡建设, 城市建设和市政管理, 园林绿化环卫",
                                 "group": "城乡建设"}
    xml = get(live, "/services.xml")
    assert xml.headers["content-type"].startswith("text/xml") and xml.content.startswith(b"<?xml")
    root = ET.fromstring(xml.content)
    assert root.tag == "services"
    services = {s.findtext("service_code"): s for s in root.findall("service")}
    assert services["0102"].findtext("group") == "城乡建设" and services["0102"].findtext("metadata") == "false"


def test_service_definition_and_unknown_service(live):
    assert get(live, "/services/010101.json").json() == {"service_code": "010101", "attributes": []}
    root = ET.fromstring(get(live, "/services/0102.xml").content)
    assert root.tag == "service_definition" and root.findtext("service_code") == "0102"
    assert root.find("attributes") is not None
    for fmt in ("json", "xml"):
        answer = get(live, f"/services/01.{fmt}")  # a category with sub-categories is no service
        assert answer.status_code == 404 and error_of(answer)[0] == 404


def test_discovery_names_the_endpoint_and_formats(live):
    body = get(live, "/discovery.json").json()
    assert body["endpoints"][0]["url"].endswith("/open311/v2")
    assert body["endpoints"][0]["formats"] == ["application/json", "text/xml"]
    root = ET.fromstring(get(live, "/discovery.xml").content)
    assert [f.text for f in root.find("endpoints/endpoint/formats")] == ["application/json", "text/xml"]


def test_jurisdiction_is_the_district_code(live):
    assert get(live, "/services.json", jurisdiction_id="420106").status_code == 200
    answer = get(live, "/services.xml", jurisdiction_id="sfgov.org")
    assert answer.status_code == 404 and "jurisdiction_id" in error_of(answer)[1]


# ------------------------------------------------------------------ POST requests

def test_report_is_a_web_case_found_by_its_id_and_token(live, keys):
    answer = report(live, keys["operator"], account_id="fms-42", media_url="https://example.org/lamp.jpg",
                    first_name="三", last_name="张", phone="13812345678", address_string="积玉桥路 1 号")
    assert answer.status_code == 200, answer.text
    [made] = answer.json()
    assert made["account_id"] == "fms-42" and made["token"] and made["service_notice"].startswith("待立案")
    number = made["service_request_id"]
    assert number.startswith("420106-")

    [found] = get(live, f"/requests/{number}.json").json()
    assert found["service_request_id"] == number and found["status"] == "open"
    assert found["service_code"] == "010101" and found["service_name"] == "园林绿化环卫"
    assert found["description"] == "积玉桥路段路灯不亮\n已经三晚了"
    assert found["media_url"] == "https://example.org/lamp.jpg"
    assert found["address"] == "积玉桥路 1 号" and found["address_id"] == live.world.cells[0]
    assert found["lat"] == pytest.approx(LAT, abs=1e-6) and found["long"] == pytest.approx(LONG, abs=1e-6)
    assert found["requested_datetime"].endswith("+08:00") and found["status_notes"].startswith("待立案")
    assert get(live, f"/tokens/{made['token']}.json").json() == [{"service_request_id": number,
                                                                  "token": made["token"]}]
    token_xml = ET.fromstring(get(live, f"/tokens/{made['token']}.xml").content)
    assert token_xml.findtext("request/service_request_id") == number

    with live.client("dispatcher") as http:
        case = http.get(f"/api/v1/cases/{number}").json()
    assert case["channel"] == "web" and case["reporter_name"] == "张三" and case["reporter_phone"] == "13812345678"
    assert case["title"] == "积玉桥路段路灯不亮" and case["grid_code"] == live.world.cells[0]


def test_report_in_xml_and_as_json(live, keys):
    answer = report(live, keys["operator"], fmt="xml")
    root = ET.fromstring(answer.content)
    assert answer.status_code == 200 and root.tag == "service_requests"
    number = root.findtext("request/service_request_id")
    assert root.findtext("request/token")
    request = ET.fromstring(get(live, f"/requests/{number}.xml").content).find("request")
    assert request.findtext("status") == "open" and request.findtext("zipcode") == ""

    with live.client() as http:
        answer = http.post(f"{BASE}/requests.json", json={"api_key": keys["operator"], "service_code": "0102",
                                                           "address_string": "积玉桥路 9 号", "description": "违建"})
    assert answer.status_code == 200, answer.text
    [found] = get(live, f"/requests/{answer.json()[0]['service_request_id']}.json").json()
    assert found["service_code"] == "0102" and found["lat"] is None


@pytest.mark.parametrize("key_of,fields,status,says", [
    (None, {}, 403, "api_key"),
    ("wrong", {}, 403, "api_key"),
    ("grid_worker", {}, 403, "operator"),
    ("operator", {"service_code": ""}, 400, "service_code"),
    ("operator", {"service_code": "9999"}, 404, "service_code"),
    ("operator", {"lat": "north"}, 400, "lat"),
    ("operator", {"long": None}, 400, "lat/long"),
    ("operator", {"lat": 39.9, "long": 116.4}, 400, "outside"),
    ("operator", {"lat": None, "long": None}, 400, "place"),
    ("operator", {"address_id": "nope", "lat": None, "long": None}, 400, "address_id"),
    ("operator", {"jurisdiction_id": "310101"}, 404, "jurisdiction_id"),
    ("operator", {"description": "x" * 4001}, 400, "description"),
    ("operator", {"media_url": "javascript:alert(1)"}, 400, "media_url"),
])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_refused_reports_answer_in_the_spec_error_format(live, keys, key_of, fields, status, says, fmt):
    key = keys.get(key_of, key_of)
    answer = report(live, key, fmt=fmt, **fields)
    assert answer.status_code == status, answer.text
    code, description = error_of(answer)
    assert code == status and says in description


def test_a_body_that_is_no_form_is_refused(live):
    with live.client() as http:
        assert error_of(http.post(f"{BASE}/requests.json", content=b"<x/>",
                                  headers={"content-type": "text/xml"}))[0] == 400
        assert error_of(http.post(f"{BASE}/requests.json", content=b"[1",
                                  headers={"content-type": "application/json"}))[0] == 400
        assert error_of(http.post(f"{BASE}/requests.json", files={"media": ("a.jpg", b"x")}))[0] == 400


def test_unknown_paths_and_formats(live):
    answer = get(live, "/services.html")
    assert answer.status_code == 404 and "format" in error_of(answer)[1]
    answer = get(live, "/nothing.xml")
    assert answer.status_code == 404 and error_of(answer)[0] == 404
    for ref in ("999999", "9" * 30, "420106-20261122-" + "9" * 30, "%00", "x" * 300):
        assert get(live, f"/requests/{ref}.json").status_code == 404, ref
        assert get(live, "/requests.json", service_request_id=ref).json() == []
    assert get(live, "/tokens/nope.json").status_code == 404


# ------------------------------------------------------------------ GET requests

def test_filters_by_id_code_status_and_dates(live, keys):
    lamp = report(live, keys["operator"]).json()[0]["service_request_id"]
    shed = report(live, keys["operator"], service_code="0102").json()[0]["service_request_id"]
    older = live.world.create(at=REPORTED, category="0102")
    live.world.act(older.id, "reject", "dispatcher", REPORTED + dt.timedelta(hours=1), note="不属实")

    def ids(**params):
        answer = get(live, "/requests.json", **params)
        assert answer.status_code == 200, answer.text
        return [r["service_request_id"] for r in answer.json()]

    assert set(ids(service_request_id=f"{lamp},{shed},{older.number}")) == {lamp, shed, older.number}
    recent = ids()
    assert lamp in recent and shed in recent and older.number in recent  # within the last 90 days
    assert shed in ids(service_code="0102") and lamp not in ids(service_code="0102")
    assert older.number not in ids(status="open") and lamp in ids(status="open")
    assert ids(status="closed") == [older.number]
    # 09:00 in Shanghai is 01:00 UTC
    assert ids(start_date="2026-10-01T00:30:00Z", end_date="2026-10-01T01:30:00Z") == [older.number]
    assert ids(start_date="2026-10-01T09:30:00+08:00", end_date="2026-10-02T00:00:00+08:00") == []
    assert ids(start_date="2026-10-01T08:59:00", end_date="2026-10-01T09:01:00") == [older.number]  # local
    [closed] = get(live, f"/requests/{older.number}.json").json()
    assert closed["status"] == "closed" and closed["status_notes"] == "不予立案：不属实"


@pytest.mark.parametrize("params,says", [
    ({"start_date": "yesterday"}, "start_date"),
    ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, "90 days"),
    ({"start_date": "2026-06-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, "before"),
    ({"status": "pending"}, "status"),
])
def test_bad_filters_are_400(live, params, says):
    for fmt in ("json", "xml"):
        answer = get(live, f"/requests.{fmt}", **params)
        assert answer.status_code == 400 and says in error_of(answer)[1]


def test_reporters_are_never_shown(live):
    case = live.world.create(at=local_now() - dt.timedelta(hours=1), reporter_name="欧阳娜娜",
                             reporter_phone="13912345678", body="请回电 13912345678")
    for fmt in ("json", "xml"):
        listed = get(live, f"/requests.{fmt}").text + get(live, f"/requests/{case.number}.{fmt}").text
        assert "13912345678" not in listed and "欧阳娜娜" not in listed
    [found] = get(live, f"/requests/{case.number}.json").json()
    assert "139****5678" in found["description"]


def test_dispatched_case_names_its_agency_and_expected_time(live):
    at = local_now() - dt.timedelta(hours=2)
    case = live.world.create(at=at)
    live.world.act(case.id, "register", "dispatcher", at)
    live.world.act(case.id, "dispatch", "dispatcher", at, note="请住建局处理")
    [found] = get(live, f"/requests/{case.number}.json").json()
    assert found["agency_responsible"] == "区住建局" and found["status"] == "open"
    assert found["status_notes"] == "待签收：请住建局处理" and found["expected_datetime"].endswith("+08:00")
    assert "本环节时限" in found["service_notice"]


# ------------------------------------------------------------------ servicerequestupdates

def post_update(live, key, fmt="json", **fields):
    with live.client() as http:
        return http.post(f"{BASE}/servicerequestupdates.{fmt}", data={"api_key": key, **fields})


def test_an_update_is_a_comment_in_the_history(live, keys):
    number = report(live, keys["operator"]).json()[0]["service_request_id"]
    answer = post_update(live, keys["operator"], service_request_id=number, update_id="fms-1", status="FIXED",
                         description="市民说已经修好了", updated_datetime="2026-11-22T10:00:00Z",
                         first_name="三", last_name="张", email="z@example.org",
                         media_url="https://example.org/fixed.jpg")
    assert answer.status_code == 200, answer.text
    [made] = answer.json()
    with live.client("dispatcher") as http:
        events = http.get(f"/api/v1/cases/{number}/events").json()
    assert events[-1]["action"] == "comment" and events[-1]["from_state"] == events[-1]["to_state"] == "reported"
    assert events[-1]["note"] == "[FIXED] 市民说已经修好了\n\n照片：https://example.org/fixed.jpg"
    assert made["update_id"]

    xml = post_update(live, keys["operator"], fmt="xml", service_request_id=number, status="open",
                      description="还是不亮")
    assert ET.fromstring(xml.content).findtext("request_update/update_id")


@pytest.mark.parametrize("key_of,fields,status,says", [
    (None, {"description": "x"}, 403, "api_key"),
    ("operator", {"description": "x", "status": "MAYBE"}, 400, "status"),
    ("operator", {"status": "OPEN"}, 400, "description"),
    ("operator", {"service_request_id": "", "description": "x"}, 400, "service_request_id"),
    ("operator", {"service_request_id": "420106-20260101-999999", "description": "x"}, 404, "service_request_id"),
    ("dispatcher", {"description": "x"}, 403, "role"),
])
def test_refused_updates(live, keys, key_of, fields, status, says):
    number = live.world.create(at=local_now()).number
    for fmt in ("json", "xml"):
        answer = post_update(live, keys.get(key_of, key_of) or "", fmt=fmt,
                             **{"service_request_id": number, **fields})
        assert answer.status_code == status, answer.text
        assert says in error_of(answer)[1]


def test_changes_of_state_are_the_updates_polled(live, keys):
    at = local_now() - dt.timedelta(minutes=30)
    case = live.world.create(at=at)
    live.world.act(case.id, "register", "dispatcher", at)
    live.world.act(case.id, "dispatch", "dispatcher", at + dt.timedelta(minutes=1), note="派住建局 13812345678")
    post_update(live, keys["operator"], service_request_id=case.number, description="补充一句")
    answer = get(live, "/servicerequestupdates.json", start_date=(at - dt.timedelta(minutes=1)).isoformat() + "+08:00")
    assert answer.status_code == 200, answer.text
    mine = [u for u in answer.json() if u["service_request_id"] == case.number]
    assert [u["status"] for u in mine] == ["OPEN", "ACTION_SCHEDULED"]  # the comment is not echoed
    assert mine[1]["description"] == "待签收：派住建局 138****5678"
    assert mine[1]["updated_datetime"].endswith("+08:00") and mine[1]["update_id"].isdigit()

    root = ET.fromstring(get(live, "/servicerequestupdates.xml").content)
    assert root.tag == "service_request_updates"
    assert case.number in [u.findtext("service_request_id") for u in root.findall("request_update")]
    assert get(live, "/servicerequestupdates.json", end_date="2020-01-01T00:00:00Z").json() == []
