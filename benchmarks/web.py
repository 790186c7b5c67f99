"""Web benchmark: the staff pages in headless Chromium against `civicloop serve` on loopback,
in the demo district (武昌区, about 11,000 grid cells), then with 100,000 historical cases
loaded on top (`civicloop assess generate`).

For each staff page: the time from navigation to interactive (the screen's first data drawn
and its handlers in place: `window.civicloopReady`), read with the Performance API; for the
map: how many grid cells it draws, the time to fetch the grid (first visit, then revalidated
from the browser's cache) and to draw it, the frame times while dragging it with the page's own
handlers, the redraw when the drag ends, and — for comparison — the frame times of the same
steps through ECharts' own roam (a full redraw each). Medians of --runs runs, each in a fresh
browser profile. (The screenshots are a test's: `make screenshots`.)

    .venv/bin/python benchmarks/web.py [--database-url URL] [--runs 3] [--cases 100000]

Without --database-url it builds the demo district into a temporary SQLite database first
(`civicloop demo --fresh`, a few minutes). --cases loads that many cases into the database
after the demo's runs (into the given one too: use a copy); 0 measures the demo only.
Chromium is Debian's (`apt-get install chromium`).
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# benchmarks/http.py is named like the standard library's `http`: its folder must not shadow it.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import httpx
from playwright.sync_api import sync_playwright
from rich.console import Console
from rich.table import Table

PASSWORD = "civicloop-demo"
CHROMIUM = os.environ.get("CIVICLOOP_CHROMIUM", "/usr/bin/chromium")
DESKTOP = {"width": 1366, "height": 800}
# (name, account, address, selector of the map when the page has one)
STAFF_PAGES = [
    ("受理 intake", "operator1", "/#/intake", None),
    ("调度 dispatch", "dispatcher1", "/#/dispatch", "#district-map"),
    ("承办 handler", "h-420106-cgzf", "/#/handle", None),
    ("大屏 dashboard", "leader1", "/#/dashboard", "#dashboard-map"),
    ("案件查询 cases", "assessor1", "/#/cases", None),
]
console = Console()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(database_url: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "CIVICLOOP_DATABASE_URL": database_url}
    process = subprocess.Popen([sys.executable, "-m", "civicloop", "serve", "--port", str(port), "--no-migrate"],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    os.killpg(process.pid, signal.SIGTERM)
    raise SystemExit("the server did not start")


def session_of(url: str, username: str) -> dict:
    """What the console keeps in localStorage after signing in."""
    token = httpx.post(url + "/api/v1/auth/token", data={"username": username, "password": PASSWORD},
                       timeout=60).json()
    me = httpx.get(url + "/api/v1/auth/me", headers={"Authorization": "Bearer " + token["access_token"]},
                   timeout=60).json()
    return {"token": token["access_token"], "expires_at": token["expires_at"], **me}


def open_signed_in(browser, url: str, session: dict, path: str):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(120_000)
    context.add_init_script(f"localStorage.setItem('civicloop.session', {json.dumps(session)!r})")
    page = context.new_page()
    page.goto(url + path)
    return context, page


def time_to_interactive(page) -> float:
    return page.evaluate("async () => { await new Promise((r) => { const wait = () => window.civicloopReady ? "
                         "r() : setTimeout(wait, 5); wait(); }); await window.civicloopReady; "
                         "return performance.now(); }")


# A drag of 30 moves of the page's own pointer handlers (what a mouse does), the frame after
# each move timed; the redraw when the drag ends; then the same 30 steps through ECharts' own
# roam, which redraws every cell on each step (how the map panned before), for the ratio.
PAN = """async (selector) => {
  const el = document.querySelector(selector);
  const chart = echarts.getInstanceByDom(el);
  const box = el.getBoundingClientRect();
  let x = box.left + box.width / 2, y = box.top + box.height / 2;
  const fire = (type) => document.elementFromPoint(x, y).dispatchEvent(new PointerEvent(type, {
    bubbles: true, cancelable: true, pointerId: 1, isPrimary: true, pointerType: "mouse", button: 0,
    buttons: type === "pointerup" ? 0 : 1, clientX: x, clientY: y }));
  const frame = () => new Promise(requestAnimationFrame);
  const timed = async (step) => {
    const frames = [];
    await frame();
    let last = performance.now();
    for (let i = 0; i < 30; i++) {
      step(i);
      await frame();
      const now = performance.now(); frames.push(now - last); last = now;
    }
    return frames.sort((a, b) => a - b);
  };
  const centre = () => chart.convertFromPixel({ geoIndex: 0 }, [box.width / 2, box.height / 2]);
  const before = centre();
  fire("pointerdown");
  const drag = await timed((i) => { x += i % 2 ? -8 : 12; y += 4; fire("pointermove"); });
  const released = performance.now();
  fire("pointerup");
  await frame();
  const redraw = performance.now() - released;
  const after = centre();
  const roam = await timed((i) => chart.dispatchAction({ type: "geoRoam", componentType: "geo", dx: i % 2 ? -8 : 8, dy: 4 }));
  return { cells: +el.dataset.cells, fetch: +el.dataset.fetchMs, draw: +el.dataset.drawMs,
           frame_median: drag[15], frame_max: drag[29], redraw, roam_median: roam[15], roam_max: roam[29],
           moved: before[0] !== after[0] && before[1] !== after[1] };
}"""


def map_figures(page, selector: str) -> dict:
    page.wait_for_selector(f"{selector}[data-cells]")
    figures = page.evaluate(PAN, selector)
    if not figures.pop("moved"):
        raise SystemExit(f"{selector}: the drag did not move the map")
    # Again in the same profile: the grid now comes from the browser's Cache Storage (a 304).
    page.reload()
    page.wait_for_selector(f"{selector}[data-cells]")
    figures["fetch_cached"] = float(page.eval_on_selector(selector, "el => +el.dataset.fetchMs"))
    return figures


def measure(browser, url: str, runs: int) -> tuple[dict[str, list[float]], dict[str, list[dict]]]:
    """Each staff page's time to interactive and the maps' figures, `runs` times."""
    sessions = {account: session_of(url, account) for _, account, _, _ in STAFF_PAGES}
    tti: dict[str, list[float]] = {name: [] for name, *_ in STAFF_PAGES}
    maps: dict[str, list[dict]] = {}
    for _ in range(runs):
        for name, account, path, map_selector in STAFF_PAGES:
            context, page = open_signed_in(browser, url, sessions[account], path)
            tti[name].append(time_to_interactive(page))
            if map_selector:
                maps.setdefault(name, []).append(map_figures(page, map_selector))
            context.close()
    return tti, maps


def report(label: str, runs: int, tti: dict[str, list[float]], maps: dict[str, list[dict]]) -> None:
    table = Table(title=f"staff pages, {label}, median of {runs} runs (ms; min–max)")
    table.add_column("page")
    table.add_column("interactive", justify="right")
    table.add_column("min–max", justify="right")
    for name, values in tti.items():
        table.add_row(name, f"{statistics.median(values):.0f}", f"{min(values):.0f}–{max(values):.0f}")
    console.print(table)
    table = Table(title=f"the grid map, {label} (ms; frames while panning)")
    for column in ("page", "cells", "grid fetch", "fetch, cached", "draw", "pan frame median", "max",
                   "redraw at the end", "ECharts roam median", "max"):
        table.add_column(column, justify="right")
    for name, results in maps.items():
        m = {k: statistics.median(r[k] for r in results) for k in results[0]}
        table.add_row(name, *(f"{m[k]:.0f}" for k in ("cells", "fetch", "fetch_cached", "draw", "frame_median",
                                                        "frame_max", "redraw", "roam_median", "roam_max")))
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a database the demo was built in (default: build one)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cases", type=int, default=100_000,
                        help="then load this many historical cases on top (`civicloop assess generate`) and "
                             "measure again; 0: the demo only")
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    url_db = args.database_url
    env = {**os.environ, "CIVICLOOP_ATTACHMENTS_DIR": f"{tmp.name}/attachments"}
    if url_db is None:
        url_db = f"sqlite:///{tmp.name}/demo.db"
        console.print("building the demo district (civicloop demo --fresh) …")
        subprocess.run([sys.executable, "-m", "civicloop", "demo", "--fresh"], check=True, stdout=subprocess.DEVNULL,
                       env={**env, "CIVICLOOP_DATABASE_URL": url_db})
    env["CIVICLOOP_DATABASE_URL"] = url_db
    datasets = [("the demo district", None)] + ([(f"the demo + {args.cases:,} cases", args.cases)] if args.cases else [])
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for label, extra in datasets:
            if extra:
                console.print(f"loading {extra:,} historical cases (civicloop assess generate) …")
                subprocess.run([sys.executable, "-m", "civicloop", "assess", "generate", "--cases", str(extra)],
                               check=True, stdout=subprocess.DEVNULL, env=env)
            port = free_port()
            server = serve(url_db, port)
            url = f"http://127.0.0.1:{port}"
            try:
                leader = {"Authorization": "Bearer " + session_of(url, "leader1")["token"]}
                cases = httpx.get(url + "/api/v1/cases", params={"per_page": 1}, headers=leader, timeout=60).json()
                label = f"{label} ({cases['total']:,} cases)"
                console.print(f"{label}: load average {os.getloadavg()[0]:.1f} before the runs")
                tti, maps = measure(browser, url, args.runs)
            finally:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait()
            console.print(f"load average {os.getloadavg()[0]:.1f} after the runs")
            report(label, args.runs, tti, maps)
        browser.close()


if __name__ == "__main__":
    main()
