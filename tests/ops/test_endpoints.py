"""Health, readiness, metrics, request ids and request logs of a real server."""
from __future__ import annotations

import re
import time

import httpx
import pytest

from alembic.script import ScriptDirectory

from civicloop.migrate import alembic_config
from tests.api.conftest import Server, free_port

HEAD = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()  # the newest migration
from tests.ops.conftest import log_lines, sign_in

CASE = {"channel": "hotline", "title": "路灯不亮", "body": "积玉桥某路段路灯连续三晚不亮", "lon": 114.305, "lat": 30.545,
        "category": "010101"}


@pytest.fixture(scope="module")
def server(serving):
    return serving(workers=1)


def metric(text: str, name: str, **labels) -> float | None:
    """The value of one sample of a Prometheus text exposition, None if absent."""
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
            if all(found.get(k) == v for k, v in labels.items()):
                return float(line.rsplit(" ", 1)[1])
    return None


def test_healthz_and_readyz(server):
    assert httpx.get(server.url + "/healthz").json() == {"status": "ok"}
    ready = httpx.get(server.url + "/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    assert ready.json()["revision"] == HEAD


def test_request_id_echoed_or_made(server):
    mine = httpx.get(server.url + "/healthz", headers={"X-Request-ID": "req-42.a:b"})
    assert mine.headers["x-request-id"] == "req-42.a:b"
    for bad in ("has space", "x" * 129, "semi;colon"):
        made = httpx.get(server.url + "/healthz", headers={"X-Request-ID": bad})
        assert made.headers["x-request-id"] != bad and re.fullmatch(r"[0-9a-f]{24}", made.headers["x-request-id"])
    missing = httpx.get(server.url + "/api/v1/nothing-here", headers={"X-Request-ID": "trace-404"})
    assert missing.status_code == 404 and missing.json()["request_id"] == "trace-404"
    assert missing.headers["x-request-id"] == "trace-404"


def test_metrics_count_requests_by_route_and_cases_by_state(server):
    headers = sign_in(server.url, "operator")
    before = httpx.get(server.url + "/metrics").text
    created_before = metric(before, "civicloop_http_requests_total", method="POST", route="/api/v1/cases",
                            status="201") or 0
    reported_before = metric(before, "civicloop_cases", state="reported")
    waiting_before = metric(before, "civicloop_rollup_pending")
    for _ in range(3):
        assert httpx.post(server.url + "/api/v1/cases", json=CASE, headers=headers).status_code == 201
    got = httpx.get(server.url + "/api/v1/cases/999999", headers=headers)
    assert got.status_code == 404
    text = httpx.get(server.url + "/metrics").text
    assert metric(text, "civicloop_http_requests_total", method="POST", route="/api/v1/cases",
                  status="201") == created_before + 3
    # the route template, not the path: ids do not multiply the series
    assert metric(text, "civicloop_http_requests_total", method="GET", route="/api/v1/cases/{ref}",
                  status="404") == 1
    assert metric(text, "civicloop_http_request_duration_seconds_count", method="POST",
                  route="/api/v1/cases") == created_before + 3
    assert metric(text, "civicloop_cases", state="reported") == reported_before + 3
    assert metric(text, "civicloop_sweep_lag_seconds") == 0
    assert metric(text, "civicloop_rollup_pending") == waiting_before + 3  # no sweep here, no reader of figures
    assert metric(text, "civicloop_http_requests_in_flight") == 1  # the scrape itself


def test_one_json_log_line_per_request(server):
    headers = {**sign_in(server.url, "operator"), "X-Request-ID": "log-me-1"}
    assert httpx.post(server.url + "/api/v1/cases", json=CASE, headers=headers).status_code == 201
    for _ in range(50):
        lines = [line for line in log_lines(server.log) if line.get("request_id") == "log-me-1"]
        if lines:
            break
        time.sleep(0.05)
    assert len(lines) == 1, lines
    line = lines[0]
    assert line["logger"] == "civicloop.access" and line["method"] == "POST" and line["status"] == 201
    assert line["path"] == "/api/v1/cases" and line["route"] == "/api/v1/cases"
    assert line["user"] == "operator" and line["client"] == "127.0.0.1" and line["duration_ms"] > 0
    assert line["time"][:4].isdigit() and "T" in line["time"]


def test_not_ready_when_the_schema_is_behind(tmp_path):
    # A database nobody migrated: alive, but not ready, and saying what to do.
    server = Server(f"sqlite:///{tmp_path / 'empty.db'}", free_port(),
                    env={"CIVICLOOP_ATTACHMENTS_DIR": str(tmp_path / "a"), "CIVICLOOP_SWEEP_EVERY": "0"})
    server.start()
    try:
        assert httpx.get(server.url + "/healthz").status_code == 200
        answer = httpx.get(server.url + "/readyz")
        assert answer.status_code == 503
        assert answer.headers["content-type"].startswith("application/problem+json")
        body = answer.json()
        assert body["field"] == "schema" and body["expected"] == [HEAD] and "db upgrade" in body["detail"]
    finally:
        server.stop()


def test_not_ready_when_the_database_is_gone(tmp_path):
    server = Server("postgresql+psycopg://nobody@127.0.0.1:1/none", free_port(),
                    env={"CIVICLOOP_ATTACHMENTS_DIR": str(tmp_path / "a"), "CIVICLOOP_SWEEP_EVERY": "0"})
    server.start()
    try:
        assert httpx.get(server.url + "/healthz").status_code == 200
        answer = httpx.get(server.url + "/readyz", timeout=30)
        assert answer.status_code == 503 and answer.json()["field"] == "database"
    finally:
        server.stop()


def test_a_client_that_hangs_up_is_logged_499_not_500(server):
    """Half a body, then the connection closes: the server's answer never leaves, and the
    log and metrics say the client left rather than that the server failed."""
    import socket
    headers = sign_in(server.url, "operator")
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as conn:
        conn.sendall((f"POST /api/v1/cases HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                      f"Authorization: {headers['Authorization']}\r\nX-Request-ID: hang-up-1\r\n"
                      f"Content-Length: 1000\r\n\r\n" + '{"channel": "hotl').encode())
        time.sleep(0.3)
    for _ in range(100):
        lines = [line for line in log_lines(server.log) if line.get("request_id") == "hang-up-1"]
        if lines:
            break
        time.sleep(0.05)
    assert [line["logger"] for line in lines] == ["civicloop.access"], lines  # no "unhandled error"
    assert lines[0]["status"] == 499, lines
