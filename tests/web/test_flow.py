"""The closed loop in a real browser: a citizen reports on the portal → an operator takes it
in view → a dispatcher registers and dispatches it → the department's handler accepts and
reports back with a photo → the grid worker verifies on the phone → the citizen rates it.
Each screen passes axe-core without a serious or critical violation."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from civicloop.regions.coords import gcj02_to_wgs84
from tests.web.conftest import PNG, axe_violations


def open_case(page, case_id: int, queue: str | None = None):
    if queue:
        page.locator(f"button[data-queue={queue}]").click()
    page.locator(f"li[data-id='{case_id}']").click()
    expect(page.locator("#case-title")).to_be_visible()


def act(page, action: str, label: str, *, note: str | None = None, photo: bool = False, expect_state: str):
    page.locator(f"button[data-action={action}]").click()
    form = page.locator("form.action-form")
    if note is not None:
        form.get_by_label(re.compile("说明")).fill(note)
    if photo:
        form.get_by_label("照片").set_input_files([{"name": "after.png", "mimeType": "image/png", "buffer": PNG}])
    form.get_by_role("button", name=f"确认{label}").click()
    expect(page.locator("dl.facts .state")).to_have_text(expect_state)


def test_a_report_goes_round_the_loop(pages, live):
    cell = live.world.cells[0]  # the grid worker's cell: 114.30–114.31, 30.54–30.55 (GCJ-02)
    lon, lat = gcj02_to_wgs84(114.305, 30.545)  # where the citizen's phone says it is (GPS, WGS-84)

    # The citizen signs in on the portal and reports with the phone's position and a photo.
    citizen = pages.sign_in("citizen", "/portal", phone=True, geolocation={"longitude": lon, "latitude": lat})
    expect(citizen.get_by_role("button", name="退出")).to_be_visible()
    citizen.locator("nav.bottom button[data-tab=report]").click()
    citizen.get_by_label("标题").fill("路灯不亮")
    citizen.get_by_label("问题描述").fill("小区门口路灯连续三晚不亮，电话 13812345678")
    citizen.get_by_role("button", name="获取当前位置").click()
    expect(citizen.locator("#position-status")).to_contain_text("已定位")
    citizen.get_by_label("照片").set_input_files([{"name": "lamp.png", "mimeType": "image/png", "buffer": PNG}])
    assert axe_violations(citizen) == []
    citizen.get_by_role("button", name="提交").click()
    number = citizen.locator("#tracking-number").inner_text()
    with live.client("dispatcher") as api:
        case = api.get(f"/api/v1/cases/{number}").json()
    assert case["grid_code"] == cell, "the WGS-84 fix was converted to GCJ-02 and located in the worker's cell"
    assert case["channel"] == "web" and case["state"] == "reported"
    case_id = case["id"]

    # The operator sees it in the to-register queue, the phone in the text unmasked for this role.
    operator = pages.sign_in("operator")
    expect(operator.locator("#screen[data-screen=intake]")).to_be_visible()
    open_case(operator, case_id)
    expect(operator.locator("dl.facts .state")).to_have_text("待立案")
    expect(operator.locator("#case-body")).to_contain_text("13812345678")
    assert axe_violations(operator) == []

    # The dispatcher registers and dispatches it to the 城管 department, the map beside the queue.
    dispatcher = pages.sign_in("dispatcher")
    expect(dispatcher.locator("#district-map[data-cells='4']")).to_be_visible()
    open_case(dispatcher, case_id, "to_register")
    act(dispatcher, "register", "立案", expect_state="待派遣")
    dispatcher.locator("button[data-action=dispatch]").click()
    dispatcher.locator("form.action-form").get_by_label("承办单位").select_option(label="区城管执法局")
    dispatcher.get_by_role("button", name="确认派遣").click()
    expect(dispatcher.locator("dl.facts .state")).to_have_text("待签收")
    assert axe_violations(dispatcher) == []

    # The department's handler accepts and reports back with a photo of the work.
    handler = pages.sign_in("handler")
    expect(handler.locator("#screen[data-screen=handle]")).to_be_visible()
    open_case(handler, case_id)
    act(handler, "accept", "签收", expect_state="处置中")
    act(handler, "feedback", "反馈", note="已更换灯泡", photo=True, expect_state="待核查")
    expect(handler.locator("ol.timeline")).to_contain_text("反馈")
    assert axe_violations(handler) == []

    # The grid worker verifies on site, on the phone.
    worker = pages.sign_in("grid_worker", "/m", phone=True)
    worker.locator("nav.bottom button[data-tab=verify]").click()
    worker.locator(f"button[data-id='{case_id}']").click()
    act(worker, "verify_pass", "核查通过", photo=True, expect_state="已结案")
    assert axe_violations(worker) == []

    # The citizen rates the result and anyone can follow the case by its number.
    citizen.locator("nav.bottom button[data-tab=mine]").click()
    citizen.locator(f"button[data-id='{case_id}']").click()
    citizen.locator("button[data-action=rate]").click()
    citizen.get_by_label("满意", exact=True).check()
    citizen.get_by_role("button", name="确认回访评价").click()
    expect(citizen.locator("dl.facts")).to_contain_text("满意")
    public = pages.open("/portal", phone=True)
    public.locator("nav.bottom button[data-tab=track]").click()
    public.get_by_label("查询编号").fill(number)
    public.get_by_role("button", name="查询", exact=True).click()
    expect(public.locator("#tracked")).to_contain_text("已结案")
    expect(public.locator("#tracked")).to_contain_text("区城管执法局")

    with live.client("dispatcher") as api:
        final = api.get(f"/api/v1/cases/{case_id}").json()
        events = [e["action"] for e in api.get(f"/api/v1/cases/{case_id}/events").json()]
        photos = api.get(f"/api/v1/cases/{case_id}/attachments").json()
    assert final["state"] == "closed" and final["rating"] == "satisfied"
    assert events == ["report", "register", "dispatch", "accept", "feedback", "verify_pass", "rate"]
    assert len(photos) == 3, "the citizen's, the handler's and the grid worker's photos"
