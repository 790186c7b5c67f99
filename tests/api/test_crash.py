"""Crash test: the server is killed (SIGKILL, every process) in the middle of a burst of
case creations and lifecycle actions from several clients. After a restart, everything
it answered with success is there, exactly once, and the event log still rebuilds every
case row. An answer is only sent after its transaction committed (civicloop/api/deps.py),
and the database keeps what it committed."""
from __future__ import annotations

import signal
import threading
import time
import uuid

import httpx
import pytest
from sqlalchemy import func, select

from civicloop.cases import service
from civicloop.cases.models import Case, CaseEvent
from civicloop.db import transaction
from tests.api.conftest import PASSWORD, Server, free_port, seed
from tests.conftest import empty_tables

CLIENTS = 6
CASE = {"channel": "hotline", "title": "井盖缺失", "body": "积玉桥路口井盖缺失，夜间危险", "lon": 114.305, "lat": 30.545,
        "category": "010101"}


def _token(url: str, username: str) -> str:
    answer = httpx.post(url + "/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return "Bearer " + answer.json()["access_token"]


class Burst:
    """Clients that create cases with idempotency keys and register them, recording every
    answer that said success, until the server stops answering."""

    def __init__(self, url: str, operator: str, dispatcher: str):
        self.url, self.operator, self.dispatcher = url, operator, dispatcher
        self.created: dict[str, int] = {}       # key -> case id, answered 201/200
        self.registered: set[int] = set()        # case ids whose register answered 200
        self.sent_keys: set[str] = set()         # every key sent, answered or not
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.failures = 0

    def client(self, worker: int) -> None:
        ops = httpx.Client(base_url=self.url, headers={"Authorization": self.operator}, timeout=10)
        disp = httpx.Client(base_url=self.url, headers={"Authorization": self.dispatcher}, timeout=10)
        n = 0
        while not self.stop.is_set():
            key = f"crash-{worker}-{n}-{uuid.uuid4().hex[:6]}"
            n += 1
            with self.lock:
                self.sent_keys.add(key)
            try:
                answer = ops.post("/api/v1/cases", json={**CASE, "title": f"井盖缺失 {key}"},
                                  headers={"Idempotency-Key": key})
                if answer.status_code not in (200, 201):
                    raise AssertionError(f"{answer.status_code}: {answer.text}")
                case_id = answer.json()["id"]
                with self.lock:
                    self.created[key] = case_id
                if n % 2:  # every other case also gets an action
                    acted = disp.post(f"/api/v1/cases/{case_id}/actions/register", json={"note": "受理"})
                    if acted.status_code != 200:
                        raise AssertionError(f"{acted.status_code}: {acted.text}")
                    with self.lock:
                        self.registered.add(case_id)
            except httpx.HTTPError:
                self.failures += 1
                time.sleep(0.01)  # the server is gone: keep knocking until told to stop
        ops.close()
        disp.close()


@pytest.fixture
def crash_world(database_url, tmp_path):
    world = seed(database_url)
    yield world, tmp_path
    empty_tables(world.engine)


def test_killed_mid_burst_keeps_every_answered_success(crash_world, database_url):
    world, tmp = crash_world
    workers = 1 if database_url.startswith("sqlite") else 2
    env = {"CIVICLOOP_ATTACHMENTS_DIR": str(tmp / "attachments"), "CIVICLOOP_SWEEP_EVERY": "0"}
    server = Server(database_url, free_port(), workers=workers, env=env).start(timeout=60)
    burst = Burst(server.url, _token(server.url, "operator"), _token(server.url, "dispatcher"))
    threads = [threading.Thread(target=burst.client, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 20
    while len(burst.created) < 40 and time.monotonic() < deadline:
        time.sleep(0.02)
    server.stop(signal.SIGKILL)  # the whole process group, mid-burst
    time.sleep(0.3)
    burst.stop.set()
    for t in threads:
        t.join(15)
    assert len(burst.created) >= 40 and burst.registered, "the burst never got going"
    assert burst.failures > 0, "the kill did not land in the middle of the burst"

    server = Server(database_url, server.port, workers=workers, env=env).start(timeout=60)
    try:
        operator = _token(server.url, "operator")
        with httpx.Client(base_url=server.url, headers={"Authorization": operator}, timeout=30) as client:
            for key, case_id in burst.created.items():  # a retry finds the very case it was told of
                again = client.post("/api/v1/cases", json={**CASE, "title": f"井盖缺失 {key}"},
                                    headers={"Idempotency-Key": key})
                assert again.status_code == 200 and again.json()["id"] == case_id, (key, again.text)
    finally:
        server.stop()

    with transaction(world.engine) as s:
        keys = dict(s.execute(select(Case.idempotency_key, func.count()).group_by(Case.idempotency_key)).all())
        registered = set(s.scalars(select(CaseEvent.case_id).where(CaseEvent.action == "register")))
        cases = s.scalars(select(Case)).all()
        mismatched = {c.id: diff for c in cases if (diff := service.rebuild_mismatches(s, c))}
    owned = {k.split(":", 1)[1]: n for k, n in keys.items() if k}
    assert all(owned.get(key) == 1 for key in burst.created), "an answered creation is missing or doubled"
    assert set(owned) <= burst.sent_keys and all(n == 1 for n in owned.values())
    assert burst.registered <= registered, "an answered action is missing from the event log"
    assert not mismatched, f"rows that differ from their event log: {mismatched}"
