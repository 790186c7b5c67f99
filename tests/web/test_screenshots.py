"""Every screen of the demo district in headless Chromium, as its users see it: the console of
each role, the admin's sections, the dashboard, the grid worker's phone page and the citizen
portal (phone viewport). Each screen must show real data (its list, map or figures filled
from the demo), log no error in the console and pass axe-core without a serious or critical
violation; then it is saved as a PNG.

The PNGs go to a temporary folder, or — with CIVICLOOP_SCREENSHOTS=docs/screenshots (what
`make screenshots` does) — into that folder, from the full demo district as `make demo`
builds it. Without it a smaller demo (two weeks, 1 km² cells) is built: same screens, faster."""
from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from civicloop.demo.people import DEMO_PASSWORD
from civicloop.demo.simulate import run_demo
from tests.api.conftest import Server, free_port
from tests.conftest import empty_tables, migrated_engine
from tests.web.conftest import DESKTOP, PHONE, axe_violations

ROOT = Path(__file__).resolve().parents[2]
PUBLISH = os.environ.get("CIVICLOOP_SCREENSHOTS")
# The published screenshots are of the demo as `make demo` builds it; a test run needs less.
DEMO = {} if PUBLISH else dict(weeks=2, per_day=30, seed=3, cell_area_m2=1_000_000)
# A first answer may be slow on a busy machine: the classifier loads its model, the grid's GeoJSON is made.
SLOW = 60_000


@pytest.fixture(scope="module")
def demo(database_url, tmp_path_factory):
    engine = migrated_engine(database_url)
    empty_tables(engine)
    run_demo(engine, **DEMO)
    tmp = tmp_path_factory.mktemp("screens")
    server = Server(database_url, free_port(), env={"CIVICLOOP_ATTACHMENTS_DIR": str(tmp / "attachments")}).start()
    yield server
    server.stop()
    empty_tables(engine)


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = (ROOT / PUBLISH) if PUBLISH else tmp_path_factory.mktemp("shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Demo:
    """Sign-ins and API reads on the demo's server; pages opened signed in, errors collected."""

    def __init__(self, browser, server: Server):
        self.browser, self.url = browser, server.url
        self.sessions: dict[str, dict] = {}
        self.errors: list[str] = []
        self.contexts = []

    def session(self, username: str) -> dict:
        if username not in self.sessions:
            token = httpx.post(self.url + "/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD},
                               timeout=60)
            assert token.status_code == 200, (username, token.text)
            bearer = token.json()["access_token"]
            me = self.get("/api/v1/auth/me", bearer=bearer)
            self.sessions[username] = {"token": bearer, "expires_at": token.json()["expires_at"], **me}
        return self.sessions[username]

    def get(self, path: str, *, as_user: str | None = None, bearer: str | None = None, **params):
        bearer = bearer or (self.session(as_user)["token"] if as_user else None)
        answer = httpx.get(self.url + path, params=params, timeout=60,
                           headers={"Authorization": f"Bearer {bearer}"} if bearer else {})
        assert answer.status_code == 200, (path, answer.text)
        return answer.json()

    def open(self, path: str, username: str | None = None, *, phone: bool = False):
        context = self.browser.new_context(viewport=PHONE if phone else DESKTOP, locale="zh-CN",
                                           timezone_id="Asia/Shanghai", is_mobile=phone, has_touch=phone)
        context.set_default_timeout(60_000)
        if username:
            saved = json.dumps(self.session(username))
            context.add_init_script(f"localStorage.setItem('civicloop.session', {json.dumps(saved)})")
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda e: self.errors.append(f"{path}: {e}"))
        page.on("console", lambda m: m.type == "error" and self.errors.append(f"{path}: {m.text}"))
        page.goto(self.url + path)
        return page


@pytest.fixture
def screens(browser, demo):
    opened = Demo(browser, demo)
    yield opened
    for context in opened.contexts:
        context.close()


# Every chart of the page has drawn all it was given: ECharts draws on animation frames (a large
# series over several, asking for the next until it is done), so two frames in a row without a
# drawing mean the last one is on the screen.
CHARTS_DRAWN = """() => new Promise((done) => {
  const charts = window.echarts ? [...document.querySelectorAll("[_echarts_instance_]")]
    .map((el) => window.echarts.getInstanceByDom(el)).filter(Boolean) : [];
  let quiet = 0;
  const drew = () => { quiet = 0; };
  charts.forEach((chart) => chart.on("rendered", drew));
  const frame = () => {
    if (++quiet < 2) { requestAnimationFrame(frame); return; }
    charts.forEach((chart) => chart.off("rendered", drew));
    done();
  };
  requestAnimationFrame(frame);
})"""


def save(page, folder: Path, name: str, taken: list[str], errors: list[str]) -> None:
    """The screen passes axe-core and logged no error; then it is saved."""
    page.evaluate(CHARTS_DRAWN)
    assert axe_violations(page) == [], name
    assert errors == [], (name, errors)
    page.screenshot(path=str(folder / f"{name}.png"))
    taken.append(name)


def test_every_screen_of_the_demo_district(screens, shots):
    demo, taken = screens, []
    dispatcher = "dispatcher1"
    to_verify = demo.get("/api/v1/cases", as_user=dispatcher, queue="to_verify", per_page=1)["items"][0]
    closed = demo.get("/api/v1/cases", as_user=dispatcher, state="closed", per_page=1)["items"][0]
    handling = demo.get("/api/v1/cases", as_user=dispatcher, queue="handling", per_page=1)["items"][0]
    handler = "h-" + demo.get(f"/api/v1/departments/{handling['lead_department']['id']}", as_user=dispatcher)["code"]
    # A citizen with a case, closed (with the department's reply) if any citizen has one.
    mine = {f"citizen{i}": demo.get("/api/v1/cases", as_user=f"citizen{i}", per_page=50)["items"] for i in range(1, 7)}
    citizen, own = max(((name, c) for name, items in mine.items() for c in items),
                       key=lambda pair: (pair[1]["state"] == "closed", pair[1]["id"]))

    page = demo.open("/")
    expect(page.locator("form.signin")).to_be_visible(timeout=SLOW)
    save(page, shots, "signin", taken, demo.errors)

    # 受理: a call being typed, with what the classifier, the address registry and the duplicate
    # finder say; the queue beside it.
    page = demo.open("/#/intake", "operator1")
    expect(page.locator("ol.cases li[data-id]").first).to_be_visible(timeout=SLOW)
    page.get_by_label("标题").fill("共享单车乱停乱放")
    page.get_by_label("诉求内容").fill("小区门口共享单车乱停乱放，堵塞人行道，电话 13800001111")
    expect(page.locator("#suggestions")).to_contain_text("建议分类", timeout=SLOW)
    expect(page.locator("#suggestions")).to_contain_text("重复", timeout=SLOW)
    save(page, shots, "intake", taken, demo.errors)

    # 调度: the queue, the map with the open case's cell, the case with 智能研判.
    page = demo.open("/#/dispatch", dispatcher)
    expect(page.locator("#district-map[data-cells]")).to_be_visible(timeout=SLOW)
    page.locator("ol.cases li[data-id]").first.click()
    expect(page.locator("section.advice")).to_be_visible(timeout=SLOW)
    save(page, shots, "dispatch", taken, demo.errors)

    # 承办: the department's cases by deadline, one open with its history.
    page = demo.open("/#/handle", handler)
    expect(page.locator("ol.cases li[data-id]").first).to_be_visible(timeout=SLOW)
    page.locator("ol.cases").focus()
    page.keyboard.press("Enter")
    expect(page.locator("ol.timeline li").first).to_be_visible(timeout=SLOW)
    save(page, shots, "handler", taken, demo.errors)

    # 大屏: counts, the map by open cases, the trend and the panels of the other APIs.
    page = demo.open("/#/dashboard", "leader1")
    expect(page.locator("#dashboard-map[data-cells]")).to_be_visible(timeout=SLOW)
    expect(page.locator(".chart[_echarts_instance_]")).to_be_visible(timeout=SLOW)  # the trend (drawn as it is made)
    expect(page.locator("section.panel[data-panel]").first).to_be_visible(timeout=SLOW)  # (all at once)
    expect(page.locator("a[data-kpi] strong").first).to_be_visible()  # (all at once, before the map)
    counts = [int(n) for n in page.locator("a[data-kpi] strong").all_inner_texts() if n.strip().isdigit()]
    assert counts and sum(counts) > 0, counts
    save(page, shots, "dashboard", taken, demo.errors)

    page = demo.open("/#/cases?queue=red", "assessor1")
    expect(page.locator("ol.cases li[data-id]").first).to_be_visible(timeout=SLOW)
    page.locator("ol.cases li[data-id]").first.click()
    expect(page.locator("#case-title")).to_be_visible(timeout=SLOW)
    save(page, shots, "cases", taken, demo.errors)

    # 系统管理: users and roles; the grid on the map.
    page = demo.open("/#/admin?section=users", "admin")
    expect(page.locator("table.grid tbody tr").first).to_be_visible(timeout=SLOW)
    save(page, shots, "admin", taken, demo.errors)
    page = demo.open("/#/admin?section=grids", "admin")
    expect(page.locator("#admin-map[data-cells]")).to_be_visible(timeout=SLOW)
    save(page, shots, "admin-grids", taken, demo.errors)

    # The grid worker's phone: the case to verify on site, the cell's open cases, the report form.
    worker = "gw-" + to_verify["grid_code"]
    page = demo.open("/m", worker, phone=True)
    page.locator("nav.bottom button[data-tab=verify]").click()
    page.locator(f"button[data-id='{to_verify['id']}']").click()
    expect(page.locator("#case-title")).to_be_visible(timeout=SLOW)
    expect(page.locator("button[data-action=verify_pass]")).to_be_visible(timeout=SLOW)
    save(page, shots, "mobile-verify", taken, demo.errors)
    page.locator("nav.bottom button[data-tab=grid]").click()
    expect(page.locator("ol.cases li").first).to_be_visible(timeout=SLOW)
    save(page, shots, "mobile-grid", taken, demo.errors)
    page.locator("nav.bottom button[data-tab=report]").click()
    page.get_by_label("标题").fill("井盖破损")
    page.get_by_label("问题描述").fill("人行道井盖破损，已设置临时警示")
    save(page, shots, "mobile-report", taken, demo.errors)

    # The portal: a report with its pin on the map; a case followed by its number; a signed-in
    # citizen's own case with the replies.
    page = demo.open("/portal", phone=True)
    page.get_by_label("标题").fill("路灯不亮")
    page.get_by_label("问题描述").fill("小区门口路灯连续三晚不亮")
    page.get_by_role("button", name="地图选点").click()
    expect(page.locator("#pin-map[data-regions]")).to_be_visible(timeout=SLOW)
    box = page.locator("#pin-map").bounding_box()
    page.locator("#pin-map").click(position={"x": box["width"] * 0.5, "y": box["height"] * 0.4})
    expect(page.locator("#position-status")).to_contain_text("已在地图上选点", timeout=SLOW)
    page.locator("#pin-map").scroll_into_view_if_needed()
    save(page, shots, "portal-report", taken, demo.errors)
    page.locator("nav.bottom button[data-tab=track]").click()
    page.get_by_label("查询编号").fill(closed["number"])
    page.get_by_role("button", name="查询", exact=True).click()
    expect(page.locator("#tracked")).to_contain_text("已结案", timeout=SLOW)
    save(page, shots, "portal-track", taken, demo.errors)
    page = demo.open("/portal", citizen, phone=True)
    page.locator("nav.bottom button[data-tab=mine]").click()
    page.locator(f"ol.cases button[data-id='{own['id']}']").click()
    expect(page.locator("ol.timeline li").first).to_be_visible(timeout=SLOW)
    # The history (the department's reply among it) in view, below the sticky tabs.
    page.evaluate("document.querySelector('#case-body').scrollIntoView({block: 'start'}); window.scrollBy(0, -60)")
    save(page, shots, "portal-mine", taken, demo.errors)

    assert len(taken) == len({*taken}) == 14
    assert all((shots / f"{name}.png").stat().st_size > 10_000 for name in taken)
