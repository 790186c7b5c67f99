"""Open311 clients from PyPI, unchanged, against the running server: civicbot 0.4.0 and
georeport 0.3.1 (JSON and XML)."""
from __future__ import annotations

import pytest
from civicbot import Endpoint, Open311Client
from georeport import GeoReport

from tests.open311.conftest import BASE, LAT, LONG


@pytest.fixture
def civicbot(live) -> Open311Client:
    return Open311Client(Endpoint(id="civicloop", name="civicloop", base_url=live.url + BASE, write=True))


def test_civicbot_lists_defines_reports_reads_back_and_follows_the_token(live, keys, civicbot):
    assert {s["service_code"] for s in civicbot.list_services()} == {"010101", "0102"}
    assert civicbot.get_service_definition("010101")["attributes"] == []

    sent = civicbot.create_request("010101", dry_run=False, confirm="SEND", api_key=keys["operator"],
                                   validate_remote=True, lat=LAT, lng=LONG, description="绿化带垃圾堆积",
                                   first_name="四", last_name="李", phone="13700001111", account_id="bot-7")
    [made] = sent.response
    number = made["service_request_id"]
    assert made["account_id"] == "bot-7"

    found = civicbot.get_request(number)
    assert found["service_code"] == "010101" and found["description"] == "绿化带垃圾堆积"
    assert found["status"] == "open" and "13700001111" not in str(found) and "李四" not in str(found)
    assert civicbot.get_token(made["token"]) == [{"service_request_id": number, "token": made["token"]}]
    assert [r["service_request_id"] for r in civicbot.list_requests(service_request_ids=[number])] == [number]
    assert number in [r["service_request_id"] for r in civicbot.list_requests(service_code="010101", status="open")]


@pytest.mark.parametrize("output_format", ["json", "xml"])
def test_georeport_reads_services_and_requests(live, keys, civicbot, output_format):
    [made] = civicbot.create_request("0102", dry_run=False, confirm="SEND", api_key=keys["operator"],
                                     address_string="积玉桥路 3 号", description="楼顶违建").response
    number = made["service_request_id"]
    client = GeoReport(live.url + BASE, jurisdiction="420106", output_format=output_format)

    assert {s["service_code"] for s in client.get_service_list()} == {"010101", "0102"}
    assert client.get_service_definition("0102")["service_code"] == "0102"
    assert client.get_service_request(number)["description"] == "楼顶违建"
    by_id = client.get_service_requests(service_request_id=number)
    by_code = client.get_service_requests(service_code="0102", status="open")
    assert [r["service_request_id"] for r in as_list(by_id)] == [number]
    assert number in [r["service_request_id"] for r in as_list(by_code)]


def as_list(found) -> list:
    """xmltodict gives one <request> as a mapping, several as a list."""
    return [found] if isinstance(found, dict) else found
