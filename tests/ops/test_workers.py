"""`civicloop serve --workers 3` for real: requests spread over the workers and all
succeed, /metrics adds up every worker, the sweep runs in exactly one process at a time
(three workers and a `civicloop sweep --loop` process contend for its lease), a killed
holder is replaced, and SIGTERM stops the server cleanly."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from civicloop.ops.lease import current_holder
from tests.ops.conftest import log_lines, sign_in
from tests.ops.test_endpoints import CASE, metric

SWEEP = {"CIVICLOOP_SWEEP_EVERY": "0.3", "CIVICLOOP_SWEEP_LEASE_SECONDS": "1.5"}


@pytest.fixture(scope="module")
def cluster(serving, database_url, tmp_path_factory):
    server = serving(workers=3, **SWEEP)
    log = tmp_path_factory.mktemp("sweeper") / "sweeper.log"
    sweeper = subprocess.Popen([sys.executable, "-m", "civicloop", "sweep", "--loop", "--every", "0.3"],
                               env={**os.environ, "CIVICLOOP_DATABASE_URL": database_url, **SWEEP},
                               stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
    yield server, sweeper, log, serving.world.engine
    if sweeper.poll() is None:
        sweeper.terminate()
        sweeper.wait(10)


def test_requests_spread_over_workers_and_all_succeed(cluster):
    server = cluster[0]
    headers = sign_in(server.url, "operator")
    before = metric(httpx.get(server.url + "/metrics").text, "civicloop_http_requests_total", method="POST",
                    route="/api/v1/cases", status="201") or 0

    def create(i: int) -> int:
        with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:  # a connection each
            return client.post("/api/v1/cases", json={**CASE, "title": f"路灯{i}"}).status_code

    with ThreadPoolExecutor(12) as pool:
        statuses = list(pool.map(create, range(45)))
    assert statuses == [201] * 45
    text = httpx.get(server.url + "/metrics").text
    # every worker's counter is in the one scrape, whichever worker answered it
    assert metric(text, "civicloop_http_requests_total", method="POST", route="/api/v1/cases",
                  status="201") == before + 45
    served = {line.split('pid="')[1].split('"')[0]: float(line.rsplit(" ", 1)[1])
              for line in text.splitlines() if line.startswith("civicloop_worker_requests{")}
    assert len(served) == 3, served
    assert sum(1 for n in served.values() if n > 0) >= 2, f"one worker took everything: {served}"
    pids = {line["pid"] for line in log_lines(server.log) if line.get("path") == "/api/v1/cases"}
    assert len(pids) >= 2


def _sweeps(*logs: Path) -> list[dict]:
    return sorted((line for log in logs for line in log_lines(log) if line.get("event") == "sweep"),
                  key=lambda line: line["started"])


def test_the_sweep_runs_in_one_process_at_a_time_and_moves_on_when_its_holder_dies(cluster):
    server, sweeper, sweeper_log, engine = cluster
    time.sleep(1.5)
    sweeps = _sweeps(server.log, sweeper_log)
    assert len(sweeps) >= 3, "the scheduled sweep did not run"
    for before, after in zip(sweeps, sweeps[1:]):
        assert before["ended"] <= after["started"], f"two sweeps at once: {before} and {after}"
    holder, _ = current_holder(engine, "sweep")
    pid = int(holder.split(":")[1])
    assert pid in {sweeper.pid} | {line["pid"] for line in log_lines(server.log)}
    assert {s["holder"] for s in sweeps[-3:]} == {holder}  # the holder keeps it while it lives
    os.kill(pid, signal.SIGKILL)
    killed_at = time.time()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        now = current_holder(engine, "sweep")
        if now and now[0] != holder:
            break
        time.sleep(0.1)
    else:
        pytest.fail("nobody took the sweep over from the killed holder")
    assert time.time() - killed_at >= 1.0  # not before the dead holder's lease ran out
    time.sleep(0.8)
    after = [s for s in _sweeps(server.log, sweeper_log) if s["started"] > killed_at]
    assert after and {s["holder"] for s in after} == {now[0]}


def test_sigterm_stops_the_server_cleanly(cluster):
    server = cluster[0]
    headers = sign_in(server.url, "operator")
    assert httpx.post(server.url + "/api/v1/cases", json=CASE, headers=headers).status_code == 201
    started = time.monotonic()
    server.process.send_signal(signal.SIGTERM)  # the parent alone, as a service manager would
    assert server.process.wait(20) in (0, 128 + signal.SIGTERM)
    assert time.monotonic() - started < 15
    assert not any(_alive(pid) for pid in {line["pid"] for line in log_lines(server.log)}), "a worker lives on"
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url + "/healthz", timeout=2)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
