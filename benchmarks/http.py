"""HTTP benchmark: `civicloop serve` on loopback under wrk.

Scenarios, each at 50 and 200 concurrent connections: case creation (POST /api/v1/cases
with an Idempotency-Key, as the operator), case listing with filters (GET
/api/v1/cases?state=reported&channel=hotline&per_page=20, as the dispatcher) and one
lifecycle action (POST …/actions/supervise, 督办, round the reported cases, as a supervisor); and,
for the framework's ceiling, GET /healthz of the same server. On SQLite with 1 worker and
on PostgreSQL with 2 and 3 workers, in the real district 420106. Reports requests/s and
p50/p99 latency (wrk's own histogram), the median of --runs runs, and each scenario's
ratio to the /healthz ceiling.

    .venv/bin/python benchmarks/http.py [--db sqlite|postgresql|both] [--runs 3] [--seconds 8]

The load generator is wrk (Debian: `apt-get install -y wrk`), one thread, so that it
takes as little of a small machine as it can; its Lua script is written next to the
results.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

# This file's name is the standard library's `http`: its folder must not shadow it.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import importlib.util  # noqa: E402

import httpx  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import select, update  # noqa: E402

_spec = importlib.util.spec_from_file_location("common", HERE / "common.py")
common = sys.modules["common"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(common)
from civicloop.db import make_engine, transaction  # noqa: E402

console = Console()
PASSWORD = "bench-password-1"
CONNECTIONS = (50, 200)
LIST_PATH = "/api/v1/cases?state=reported&channel=hotline&per_page=20"

LUA = r"""
-- civicloop HTTP benchmark: one script, the scenario from the environment.
local scenario = os.getenv("BENCH_SCENARIO")
local token = os.getenv("BENCH_TOKEN")
local ids = {}
local n = 0
wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Content-Type"] = "application/json"
if scenario == "supervise" then
  for line in io.lines(os.getenv("BENCH_IDS")) do ids[#ids + 1] = line end
end
local body = os.getenv("BENCH_BODY")
local run = os.getenv("BENCH_RUN")

request = function()
  n = n + 1
  if scenario == "create" then
    -- wrk.format's headers replace wrk.headers: pass them all
    return wrk.format("POST", "/api/v1/cases", {["Authorization"] = wrk.headers["Authorization"],
      ["Content-Type"] = "application/json", ["Idempotency-Key"] = "bench-" .. run .. "-" .. n}, body)
  elseif scenario == "list" then
    return wrk.format("GET", os.getenv("BENCH_PATH"))
  elseif scenario == "supervise" then
    local id = ids[(n - 1) % #ids + 1]  -- round the open cases: supervising may be repeated
    return wrk.format("POST", "/api/v1/cases/" .. id .. "/actions/supervise", nil, '{"note":"请加快办理"}')
  else
    return wrk.format("GET", "/healthz")
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "seconds": %.3f, "p50_ms": %.3f, "p90_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, ' ..
    '"non_2xx": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(db: str, args) -> tuple[str, dict]:
    """A fresh database with the real district, the benchmark's people able to sign in."""
    from civicloop.auth.service import hash_password
    from civicloop.users.models import User

    url = common.fresh_database(db, f"civicloop_bench_http{args.tag}", args.pg_url)
    console.print(f"  building the district on {db} …")
    world = common.build_world(url, cell_area_m2=args.cell_area)
    from civicloop.categories.models import Category
    engine = make_engine(url)
    with transaction(engine) as s:
        category = s.scalar(select(Category.code).where(Category.id == world.categories[0]))
        s.add(User(username="bench-supervisor", name="督办员", role="supervisor"))
        s.flush()
        s.execute(update(User).where(User.username.in_(["bench-operator", "bench-dispatcher", "bench-supervisor"]))
                  .values(password_hash=hash_password(PASSWORD)))
    engine.dispose()
    lon, lat = world.points[len(world.points) // 2]
    body = {"channel": "hotline", "title": "路灯不亮", "body": "积玉桥某路段路灯连续三晚不亮，电话13812345678",
            "reporter_name": "张三", "reporter_phone": "13812345678", "lon": lon, "lat": lat,
            "category": category}  # a leaf the default rules route everywhere
    return url, {"kind": world.kind, "body": body}


class Served:
    def __init__(self, url: str, workers: int, log: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "CIVICLOOP_DATABASE_URL": url, "CIVICLOOP_SWEEP_EVERY": "0"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "civicloop", "serve", "--port", str(self.port), "--workers", str(workers),
             "--no-migrate"], env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base + "/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError(f"the server did not come up; see {log}")

    def token(self, username: str) -> str:
        answer = httpx.post(self.base + "/api/v1/auth/token", data={"username": username, "password": PASSWORD})
        answer.raise_for_status()
        return answer.json()["access_token"]

    def stop(self) -> None:
        os.killpg(self.process.pid, 15)
        self.process.wait(30)


def wrk(base: str, scenario: str, connections: int, seconds: float, env: dict, script: Path) -> dict:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{round(seconds)}s", "--timeout", "10s", "-s", str(script), base]
    out = subprocess.run(command, env={**os.environ, "BENCH_SCENARIO": scenario, **env}, capture_output=True,
                         text=True, timeout=seconds + 60)
    line = next((line for line in out.stdout.splitlines() if line.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk said: {out.stdout}\n{out.stderr}")
    result = json.loads(line[6:])
    result["rps"] = result["requests"] / result["seconds"]
    return result


def reported_ids(url: str) -> list[int]:
    from civicloop.cases.models import Case
    engine = make_engine(url)
    with transaction(engine) as s:
        ids = s.scalars(select(Case.id).where(Case.state == "reported").order_by(Case.id.desc())).all()
    engine.dispose()
    return list(ids)


def run(db: str, workers: int, url: str, world: dict, args, script: Path) -> list[dict]:
    log = common.VAR / f"http-{db}-{workers}.log"
    server = Served(url, workers, log)
    results = []
    try:
        tokens = {name: server.token(f"bench-{name}") for name in ("operator", "dispatcher", "supervisor")}
        body = json.dumps(world["body"], ensure_ascii=False)
        ids_file = common.VAR / "http-ids.txt"
        ids_file.unlink(missing_ok=True)
        for scenario in ("healthz", "create", "list", "supervise"):
            for connections in CONNECTIONS:
                runs = []
                for attempt in range(args.runs):
                    if scenario == "supervise" and not ids_file.exists():
                        ids_file.write_text("\n".join(map(str, reported_ids(url))) + "\n")
                    common.wait_quiet(console, args.quiet_wait)
                    before = common.cpu_counters()
                    who = {"create": "operator", "supervise": "supervisor"}.get(scenario, "dispatcher")
                    env = {"BENCH_TOKEN": tokens[who],
                           "BENCH_BODY": body, "BENCH_PATH": LIST_PATH, "BENCH_IDS": str(ids_file),
                           "BENCH_RUN": f"{db}{workers}c{connections}r{attempt}{time.time_ns()}"}
                    r = wrk(server.base, scenario, connections, args.seconds, env, script)
                    r["other_load_cores"] = round(common.busy_cores(before, common.cpu_counters()), 2)
                    runs.append(r)
                    console.print(f"  {db} W={workers} {scenario:8s} c={connections:3d}: {r['rps']:7.0f} req/s, "
                                  f"p50 {r['p50_ms']:6.1f} ms, p99 {r['p99_ms']:6.1f} ms, non-2xx {r['non_2xx']}, "
                                  f"socket errors {r['socket_errors']}")
                results.append({"db": db, "workers": workers, "scenario": scenario, "connections": connections,
                                "rps": common.median([r["rps"] for r in runs]),
                                "p50_ms": common.median([r["p50_ms"] for r in runs]),
                                "p99_ms": common.median([r["p99_ms"] for r in runs]),
                                "non_2xx": sum(r["non_2xx"] for r in runs), "runs": runs})
    finally:
        server.stop()
    ceiling = {r["connections"]: r["rps"] for r in results if r["scenario"] == "healthz"}
    for r in results:
        r["ratio_to_ceiling"] = r["rps"] / ceiling[r["connections"]] if ceiling.get(r["connections"]) else None
    return results


def summary(results: list[dict]) -> None:
    table = Table(title="HTTP, medians")
    for column in ("database", "workers", "scenario", "connections", "req/s", "p50 ms", "p99 ms",
                   "× /healthz", "non-2xx"):
        table.add_column(column, justify="right")
    for r in results:
        table.add_row(r["db"], str(r["workers"]), r["scenario"], str(r["connections"]), f"{r['rps']:,.0f}",
                      f"{r['p50_ms']:.1f}", f"{r['p99_ms']:.1f}", f"{r['ratio_to_ceiling']:.2f}",
                      str(r["non_2xx"]))
    console.print(table)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common.add_common_arguments(parser)
    parser.add_argument("--runs", type=int, default=3, help="runs of each scenario (the median is reported)")
    parser.add_argument("--seconds", type=float, default=8, help="length of each wrk run")
    parser.add_argument("--workers", type=int, action="append",
                        help="PostgreSQL worker processes (repeatable); default 2 and 3")
    parser.add_argument("--cell-area", type=float, default=250_000,
                        help="grid cell area in m² of the district built (default 250,000: quick to build)")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        console.print("[red]wrk is needed: apt-get install -y wrk[/]")
        return 2
    common.VAR.mkdir(parents=True, exist_ok=True)
    script = common.VAR / "http.lua"
    script.write_text(LUA)
    dbs, info = common.start(args, console)
    results = []
    for db in dbs:
        url, world = prepare(db, args)
        for workers in ([1] if db == "sqlite" else (args.workers or [2, 3])):
            results += run(db, workers, url, world, args, script)
        payload = {"benchmark": "http", "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                   "commit": common.git_commit(), "machine": info, "world": world["kind"], "load": "wrk 1 thread",
                   "runs": [r for r in results if r["db"] == db],
                   "aims": {"create_rps_200_connections_postgresql": 1000, "create_p99_ms": 100}}
        console.print(f"  wrote {common.write_result(f'http-{db}', payload, args.results)}")
        if not args.keep:
            common.drop_database(url, args.pg_url)
    summary(results)
    bad = [r for r in results if r["non_2xx"]]
    for r in bad:
        console.print(f"[red]{r['db']} W={r['workers']} {r['scenario']} c={r['connections']}: "
                      f"{r['non_2xx']} answers were not 2xx[/]")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
