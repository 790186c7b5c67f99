"""The closed loop in a real browser: a citizen reports on the portal → an operator takes it
in view → a dispatcher registers and dispatches it → the department's handler accepts and
reports back with a photo → the grid worker verifies on the phone → the citizen rates it.
Each screen passes axe-core without a serious or critical violation."""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import struct
import zlib
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import expect

from civicloop.cases.lifecycle import RULES
from civicloop.regions.coords import gcj02_to_wgs84
from tests.api.conftest import add_user
from tests.cases.conftest import MONDAY
from tests.web.conftest import PASSWORD, PNG, axe_violations


def noise_png(width: int, height: int) -> bytes:
    """A PNG of random pixels: incompressible, so it is as large as a phone's photo."""
    rows = b"".join(b"\0" + os.urandom(width * 3) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 1)) + chunk(b"IEND", b"")


@contextmanager
def redrawn(locator):
    """What the block does draws the element of `locator` anew: after it, wait until the one
    there before has left the page. The console swaps screens on `hashchange`, a task later than
    the address changes, and a list a request later than what asked for it; until then the old
    view is still there, often matching the very locators the new one will."""
    before = locator.first.element_handle()
    yield
    locator.page.wait_for_function("before => !before.isConnected", arg=before)
    before.dispose()


def show_queue(page, queue: str):
    """Click a queue's tab and wait for its list. The list shown (its first item waited for:
    one still on its way could land after this queue's) is replaced once this one arrives."""
    with redrawn(page.locator("ol.cases > li")):
        page.locator(f"button[data-queue={queue}]").click()
    expect(page.locator(f"button[data-queue={queue}]")).to_have_attribute("aria-pressed", "true")


def open_case(page, case_id: int, queue: str | None = None):
    """Open the case from its item in the list (of `queue`, when given)."""
    if queue:
        show_queue(page, queue)
    item = page.locator(f"li[data-id='{case_id}']")
    number = item.locator(".meta").inner_text().split(" · ")[0]  # 编号 · 状态 · 单位 · 时限
    item.click()
    expect(page.locator("#case-title")).to_be_visible()
    # The panel is drawn when the case has been fetched: until then it shows the case opened before.
    expect(page.locator("dl.facts > dd").first).to_have_text(number)


def act(page, action: str, label: str, *, note: str | None = None, photo: bool = False, expect_state: str):
    page.locator(f"button[data-action={action}]").click()
    form = page.locator("form.action-form")
    if note is not None:
        form.get_by_label(re.compile("说明")).fill(note)
    if photo:
        form.get_by_label("照片").set_input_files([{"name": "after.png", "mimeType": "image/png", "buffer": PNG}])
    form.get_by_role("button", name=f"确认{label}").click()
    # The case is drawn again once the action is done, its form gone with the old panel: a state
    # the action leaves as it was (批准延期: 处置中) would otherwise be read from the old panel.
    expect(form).to_have_count(0)
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
    operator = pages.signed_in("operator")
    expect(operator.locator("#screen[data-screen=intake]")).to_be_visible()
    open_case(operator, case_id)
    expect(operator.locator("dl.facts .state")).to_have_text("待立案")
    expect(operator.locator("#case-body")).to_contain_text("13812345678")
    assert axe_violations(operator) == []

    # The dispatcher registers and dispatches it to the 城管 department, the map beside the queue.
    dispatcher = pages.signed_in("dispatcher")
    expect(dispatcher.locator("#district-map[data-cells='4']")).to_be_visible()
    open_case(dispatcher, case_id, "to_register")
    act(dispatcher, "register", "立案", expect_state="待派遣")
    dispatcher.locator("button[data-action=dispatch]").click()
    # The routing rules' owner (城乡建设 → 区住建局) is filled in with the rule's reason; corrected here.
    expect(dispatcher.locator("#routing-why")).to_contain_text("按分派规则")
    expect(dispatcher.locator("form.action-form").get_by_label("承办单位")).to_have_value(str(live.world.departments["zj"]))
    dispatcher.locator("form.action-form").get_by_label("承办单位").select_option(label="区城管执法局")
    dispatcher.get_by_role("button", name="确认派遣").click()
    expect(dispatcher.locator("dl.facts .state")).to_have_text("待签收")
    assert axe_violations(dispatcher) == []

    # The department's handler accepts and reports back with a photo of the work.
    handler = pages.signed_in("handler")
    expect(handler.locator("#screen[data-screen=handle]")).to_be_visible()
    open_case(handler, case_id)
    act(handler, "accept", "签收", expect_state="处置中")
    act(handler, "feedback", "反馈", note="已更换灯泡", photo=True, expect_state="待核查")
    expect(handler.locator("ol.timeline")).to_contain_text("反馈")
    assert axe_violations(handler) == []

    # The grid worker verifies on site, on the phone.
    worker = pages.signed_in("grid_worker", "/m", phone=True)
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
    expect(public.locator("#tracked")).to_contain_text("已更换灯泡")  # the department's reply

    with live.client("dispatcher") as api:
        final = api.get(f"/api/v1/cases/{case_id}").json()
        events = [e["action"] for e in api.get(f"/api/v1/cases/{case_id}/events").json()]
        photos = api.get(f"/api/v1/cases/{case_id}/attachments").json()
    assert final["state"] == "closed" and final["rating"] == "satisfied"
    assert events == ["report", "register", "dispatch", "accept", "feedback", "verify_pass", "rate"]
    assert len(photos) == 3, "the citizen's, the handler's and the grid worker's photos"


def test_each_role_sees_its_screens_and_fields_only(pages, live):
    case = live.world.create(title="井盖缺失", body="人行道井盖缺失，联系 13812345678")

    handler = pages.signed_in("handler")
    expect(handler.locator("#screen[data-screen=handle]")).to_be_visible()
    expect(handler.locator("header nav a")).to_have_text(["承办", "案件查询"])
    with redrawn(handler.locator("#screen")):  # (the old home is there until hashchange: the same screen)
        handler.goto(live.url + "/#/dispatch")  # a screen of another role: the role's own home instead
    expect(handler.locator("#screen[data-screen=handle]")).to_be_visible()
    with redrawn(handler.locator("#screen")):  # (the handler's own screen has a pager and lacks the case too)
        handler.goto(live.url + "/#/cases?queue=all")
    expect(handler.locator(".pager")).to_contain_text("共")
    expect(handler.locator(f"li[data-id='{case.id}']")).to_have_count(0)  # not dispatched to it: not seen at all

    supervisor = pages.signed_in("supervisor")
    expect(supervisor.locator("#screen[data-screen=dashboard]")).to_be_visible()
    expect(supervisor.locator("header nav a")).to_have_text(["大屏", "案件查询"])
    with live.client("supervisor") as api:
        to_register = api.get("/api/v1/cases", params={"state": "reported"}).json()["total"]
    expect(supervisor.locator("a[data-kpi=待立案] strong")).to_have_text(str(to_register))
    supervisor.locator("a[data-kpi=待立案]").click()  # every number opens the list behind it
    expect(supervisor.locator(".pager")).to_contain_text(f"共 {to_register} 件")
    expect(supervisor.locator("#dashboard-map[data-cells='4']")).to_have_count(0)
    with redrawn(supervisor.locator("#screen")):  # (the list of 待立案 before it has the case too)
        supervisor.goto(live.url + "/#/cases")
    open_case(supervisor, case.id)
    body = supervisor.locator("#case-body")
    expect(body, "the API masks the reporter for a supervisor").to_contain_text("138****5678")
    expect(body, "the API masks the reporter for a supervisor").not_to_contain_text("13812345678")

    dispatcher = pages.signed_in("dispatcher")
    open_case(dispatcher, case.id, "to_register")
    expect(dispatcher.locator("#case-body")).to_contain_text("13812345678")

    worker = pages.sign_in("grid_worker")
    worker.wait_for_url("**/m")  # grid workers have the phone page, citizens the portal
    citizen = pages.sign_in("citizen")
    citizen.wait_for_url("**/portal")


def test_operator_takes_a_call_with_the_keyboard_only(pages, live):
    page = pages.open("/")
    page.keyboard.type("operator")  # the user name has the focus
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("#call-form")).to_be_visible()
    expect(page.get_by_label("标题")).to_be_focused()
    for text in ["积水", "中山路下穿通道积水，车辆无法通行", "李四", "13900001111", "中山路下穿通道", "114.305", "30.545"]:
        page.keyboard.type(text)
        page.keyboard.press("Tab")
    # The duplicates API (and the classifier's, when it knows the category) speak while the call
    # is typed, and the point's grid cell is named.
    expect(page.locator("#suggestions")).to_contain_text("重复")
    expect(page.locator("#suggested-grid")).to_contain_text(live.world.cells[0])
    page.keyboard.press("Control+Enter")
    expect(page.locator(".toast")).to_contain_text("已受理")
    expect(page.get_by_label("标题")).to_be_focused()  # ready for the next call
    expect(page.get_by_label("标题")).to_have_value("")
    with live.client("dispatcher") as api:
        found = api.get("/api/v1/cases", params={"q": "下穿通道 积水"}).json()["items"]
    assert [(c["channel"], c["reporter_phone"], c["address"]) for c in found] == [
        ("hotline", "13900001111", "中山路下穿通道")]
    assert axe_violations(page) == []


def test_bad_input_is_named_next_to_the_field_and_nothing_is_lost_or_doubled(pages, live):
    page = pages.signed_in("operator")
    form = page.locator("#call-form")
    form.get_by_role("button", name="提交受理").click()
    for name in ("title", "body"):
        control = form.locator(f"[name={name}]")
        expect(control).to_have_attribute("aria-invalid", "true")
        error_id = control.get_attribute("aria-describedby").split()[-1]
        expect(page.locator(f"#{error_id}")).to_have_text("必填")
    expect(form.locator(".form-error")).to_have_text("请改正标出的内容")

    # A half-typed report survives a reload (a lost connection, a closed tab).
    form.get_by_label("标题").fill("双击测试：井盖缺失")
    form.get_by_label("诉求内容").fill("武汉路口井盖缺失")
    page.reload()
    expect(page.get_by_label("标题")).to_have_value("双击测试：井盖缺失")
    page.get_by_label("地址").fill("武汉路口")
    page.get_by_role("button", name="提交受理").dblclick()
    expect(page.locator(".toast")).to_contain_text("已受理")
    with live.client("dispatcher") as api:
        found = api.get("/api/v1/cases", params={"q": "双击测试"}).json()
    assert found["total"] == 1, "a double click sends once (and the Idempotency-Key makes a resend the same case)"


def test_admin_manages_users_rules_and_the_grid(pages, live):
    add_user(live, "admin", "admin")
    page = pages.sign_in("admin")
    expect(page.locator("#screen[data-screen=admin]")).to_be_visible()
    expect(page.locator("header nav a")).to_have_text(["系统管理", "大屏", "案件查询"])

    form = page.locator("form[aria-label=新增用户]")
    form.get_by_role("button", name="保存").click()  # nothing filled in: the API names the fields
    expect(form.locator("[name=username]")).to_have_attribute("aria-invalid", "true")
    expect(form.locator("[name=name]")).to_have_attribute("aria-invalid", "true")
    form.get_by_label("用户名").fill("dispatcher9")
    form.get_by_label("姓名").fill("值班长九")
    form.get_by_label("角色").select_option("dispatcher")
    form.get_by_label("初始密码").fill("a long enough password")
    users = page.locator("section.panel[aria-label=用户与角色] table.grid")
    # Once saved, the list of the role shown is read again: let it come in before another role
    # is asked for, or it could land after that one's and stay.
    with redrawn(users):
        form.get_by_role("button", name="保存").click()
        expect(page.locator(".toast")).to_contain_text("已保存")
    page.get_by_label(re.compile("按角色查看")).select_option("dispatcher")
    expect(users).to_contain_text("值班长九")
    assert axe_violations(page) == []

    page.locator("button[data-section=districts]").click()
    districts = page.locator("section.panel[aria-label=辖区] table.grid")
    expect(districts.first).to_contain_text("武昌区")
    expect(districts.nth(1)).to_contain_text("积玉桥街道")
    assert axe_violations(page) == []
    page.locator("button[data-section=routing]").click()
    # The section swaps on hashchange, a task later than the click: look inside the new section only.
    expect(page.locator("section.panel[aria-label=分派规则] table.grid")).to_contain_text("区住建局")  # the world's rule: 城乡建设 → 区住建局
    page.locator("button[data-section=categories]").click()
    limits = page.locator("form[aria-label^=修改时限]")
    limits.get_by_role("button", name="保存").click()
    expect(limits.locator("[name=code]")).to_have_attribute("aria-invalid", "true")
    limits.get_by_label("分类编码").fill("010101")
    limits.get_by_label("处置时限（小时）").fill("-1")
    limits.get_by_role("button", name="保存").click()
    expect(limits.locator("[name=handle_limit_hours]")).to_have_attribute("aria-invalid", "true")
    expect(limits.locator(".field-error")).to_have_text("须大于 0")
    assert axe_violations(page) == []
    page.locator("button[data-section=grids]").click()
    expect(page.locator("#admin-map[data-cells='4']")).to_be_visible()
    assert axe_violations(page) == []
    # The grid exported as GeoJSON imports again; a broken file is refused, the fault named at the file.
    with page.expect_download() as download:
        page.get_by_role("button", name="导出网格 GeoJSON").click()
    exported = json.loads(Path(download.value.path()).read_text())
    assert sorted(f["properties"]["code"] for f in exported["features"]) == sorted(live.world.cells)
    grid_form = page.locator("form[aria-label=导入网格]")
    grid_form.get_by_role("button", name="导入").click()
    expect(grid_form.locator(".field-error")).to_have_text("请选择网格文件")
    broken = {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": None, "properties": {}}]}
    grid_form.get_by_label("网格文件").set_input_files(
        [{"name": "broken.geojson", "mimeType": "application/geo+json", "buffer": json.dumps(broken).encode()}])
    grid_form.get_by_role("button", name="导入").click()
    expect(grid_form.locator("[name=grid-file]")).to_have_attribute("aria-invalid", "true")
    expect(grid_form.locator(".field-error").first).to_contain_text("features[0]")
    grid_form.get_by_label("网格文件").set_input_files(download.value.path())
    grid_form.get_by_role("button", name="导入").click()
    expect(page.locator(".toast", has_text="网格已导入")).to_have_text("网格已导入：4 格")  # (an earlier toast may linger)

    dispatcher = pages.signed_in("dispatcher")
    with redrawn(dispatcher.locator("#screen")):  # (its home is there until hashchange: the same screen)
        dispatcher.goto(live.url + "/#/admin")  # not an admin: its own home instead
    expect(dispatcher.locator("#screen[data-screen=dispatch]")).to_be_visible()
    expect(dispatcher.locator("header nav a")).to_have_text(["调度", "受理", "案件查询"])


def test_pages_and_their_files_are_served_by_civicloop_itself(live):
    with live.client() as http:
        for path, script in [("/", "console.js"), ("/m", "mobile.js"), ("/portal", "portal.js")]:
            page = http.get(path)
            assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
            assert f"/static/js/{script}" in page.text
            assert "http://" not in page.text and "https://" not in page.text, "nothing from the internet"
        echarts = http.get("/static/vendor/echarts.min.js")
        assert echarts.status_code == 200 and len(echarts.content) > 500_000
        assert echarts.headers["content-type"].startswith("text/javascript")
        assert http.get("/static/vendor/jquery.js").status_code == 404
        for escape in ("/static/..%2fviews.py", "/static/%2e%2e/views.py", "/static/css/..%2f..%2fviews.py"):
            assert http.get(escape).status_code == 404, escape
        labels = http.get("/static/js/labels.js").text
        paths = http.get("/openapi.json").json()["paths"]
    for rule in RULES:
        assert f'"{rule.action}": {{"label": "{rule.label}"' in labels
    assert '"needs": ["reason"]' in labels and '"needs": ["department"]' in labels
    assert not [p for p in paths if p in ("/", "/m", "/portal") or p.startswith("/static")], "pages are not API"


def test_a_citizen_pins_the_problem_on_the_map_and_nothing_is_lost_or_doubled(pages, live):
    page = pages.open("/portal", phone=True)
    form = page.locator("#report-form")
    form.get_by_role("button", name="提交").click()  # nothing filled in: the API names the fields
    for name in ("title", "body"):
        expect(form.locator(f"[name={name}]")).to_have_attribute("aria-invalid", "true")
    expect(form.locator("[name=title]")).to_be_focused()
    form.get_by_label("标题").fill("地图选点：路面塌陷")
    form.get_by_label("问题描述").fill("路面塌陷一个大坑，电话 13811112222")
    form.get_by_role("button", name="提交").click()  # no place yet: said next to the address
    expect(form.locator("[name=address]")).to_have_attribute("aria-invalid", "true")
    expect(form.locator(".field-error")).to_have_text("请填写地址，或获取当前位置、在地图上选点")

    # The map is the public outline (no account): a tap puts the pin, kept in GCJ-02 as it is.
    form.get_by_role("button", name="地图选点").click()
    expect(page.locator("#pin-map[data-regions='2']")).to_be_visible()
    box = page.locator("#pin-map").bounding_box()
    page.locator("#pin-map").click(position={"x": box["width"] * 0.3, "y": box["height"] * 0.5})
    expect(page.locator("#position-status")).to_contain_text("已在地图上选点")
    lon, lat = (float(form.locator(f"[name={n}]").input_value()) for n in ("lon", "lat"))
    assert 114.30 < lon < 114.32 and 30.54 < lat < 30.56, (lon, lat)
    assert axe_violations(page) == []

    # The half-typed report and its pin survive a reload (a lost connection, a closed tab).
    page.reload()
    expect(form.get_by_label("标题")).to_have_value("地图选点：路面塌陷")
    expect(page.locator("#position-status")).to_contain_text("已在地图上选点")
    # The connection drops as it is sent: said so, and nothing typed is lost; sent again, once.
    page.context.set_offline(True)
    form.get_by_role("button", name="提交").click()
    expect(form.locator(".form-error")).to_contain_text("连不上服务器")
    expect(form.get_by_label("问题描述")).to_have_value("路面塌陷一个大坑，电话 13811112222")
    page.context.set_offline(False)
    form.get_by_role("button", name="提交").dblclick()
    number = page.locator("#tracking-number").inner_text()
    with live.client("dispatcher") as api:
        found = api.get("/api/v1/cases", params={"q": "路面塌陷"}).json()["items"]
    assert [c["number"] for c in found] == [number], "a double click sends once"
    case = found[0]
    assert (case["lon"], case["lat"]) == (lon, lat), "the pin is the stored coordinate system: sent unconverted"
    # The world's cells are 0.01° squares: two communities side by side, two cells in each.
    community = "001" if lon < 114.31 else "002"
    assert case["grid_code"] == f"420106001{community}{'0001' if lat < 30.55 else '0002'}"
    with live.client() as http:  # and the public lookup shows the case, with nothing personal
        public = http.get(f"/api/v1/public/cases/{number}").json()
    assert "13811112222" not in str(public)


def test_a_grid_worker_report_keeps_its_draft_and_sends_once(pages, live):
    lon, lat = gcj02_to_wgs84(114.305, 30.545)
    page = pages.signed_in("grid_worker", "/m", phone=True, geolocation={"longitude": lon, "latitude": lat})
    form = page.locator("#report-form")
    form.get_by_role("button", name="上报").click()
    expect(form.locator("[name=title]")).to_have_attribute("aria-invalid", "true")
    expect(form.locator(".field-error").first).to_have_text("必填")
    form.get_by_label("标题").fill("巡查：占道经营")
    form.get_by_label("问题描述").fill("路口早点摊占道经营")
    form.get_by_role("button", name="获取当前位置").click()
    expect(page.locator("#position-status")).to_contain_text("已定位")
    page.reload()
    expect(form.get_by_label("问题描述")).to_have_value("路口早点摊占道经营")
    expect(page.locator("#position-status")).to_contain_text("已定位")
    photo = noise_png(1400, 1100)  # a phone's photo: megabytes, made smaller in the browser before it is sent
    form.get_by_label("照片").set_input_files([{"name": "stall.png", "mimeType": "image/png", "buffer": photo}])
    form.get_by_role("button", name="上报").dblclick()
    expect(page.locator(".toast")).to_contain_text("已上报")
    expect(form.get_by_label("标题")).to_have_value("")
    expect(page.locator("#position-status")).to_have_text("未定位")
    with live.client("dispatcher") as api:
        found = api.get("/api/v1/cases", params={"q": "占道经营"}).json()["items"]
    assert len(found) == 1, "a double click sends once"
    assert found[0]["channel"] == "patrol" and found[0]["grid_code"] == live.world.cells[0]
    with live.client("dispatcher") as api:
        [sent] = api.get(f"/api/v1/cases/{found[0]['id']}/attachments").json()
    assert (sent["filename"], sent["content_type"]) == ("stall.jpg", "image/jpeg")
    assert sent["size"] < len(photo) / 2, (sent["size"], len(photo))


def test_the_dispatcher_decides_with_the_keyboard_from_what_intake_worked_out(pages, live):
    world = live.world
    text = dict(title="井盖缺失", body="积玉桥路口人行道井盖缺失，行人容易跌落")
    master, repeat = world.create(**text), world.create(**text, reporter_phone="13900003333")
    advert = world.create(title="推销电话", body="有人打电话推销理财产品")
    wrong = world.create(title="违章搭建", body="小区楼顶违章搭建彩钢棚")
    page = pages.signed_in("dispatcher")

    # The case's possible duplicate, with the reasons; one button merges it into that case.
    open_case(page, repeat.id, "to_register")
    advice = page.locator("section.advice")
    expect(advice.locator("#advice-duplicates")).to_contain_text(master.number)
    expect(advice).to_contain_text("同一网格")
    advice.locator(f"button[data-merge='{master.number}']").click()
    expect(page.get_by_label("主案件（编号或 ID）")).to_have_value(master.number)
    expect(page.get_by_label("主案件（编号或 ID）")).to_be_focused()
    page.keyboard.press("Control+Enter")
    expect(page.locator("dl.facts .state")).to_have_text("已合并")
    assert axe_violations(page) == []

    # Each action has its digit: the one on 不予立案 opens it, the reason is typed, Ctrl+Enter sends.
    open_case(page, advert.id)
    digit = page.locator("button[data-action=reject] kbd").inner_text()
    assert digit.isdigit()
    page.locator("#case-title").press(digit)
    expect(page.get_by_label("说明（必填）")).to_be_focused()
    page.keyboard.press("Control+Enter")  # no reason: named next to the field
    expect(page.locator("form.action-form [name=note]")).to_have_attribute("aria-invalid", "true")
    page.keyboard.type("非本区职责范围的推销行为，建议拨打反诈热线")
    page.keyboard.press("Control+Enter")
    expect(page.locator("dl.facts .state")).to_have_text("不予立案")

    # 改类 asks for the new category.
    open_case(page, wrong.id)
    page.locator("button[data-action=reclassify]").click()
    page.get_by_label(re.compile("新分类")).fill("0102")
    page.keyboard.press("Control+Enter")
    expect(page.locator("dl.facts")).to_contain_text("违法建设")

    # A handler's extension request and return: the dispatcher approves the one, refuses the other.
    later = MONDAY.replace(hour=10)
    extended, returned = world.create(title="路面破损", body="积玉桥路面破损"), world.create(title="树木倒伏", body="路边树木倒伏")
    for case in (extended, returned):
        world.act(case.id, "register", "dispatcher", later)
        world.act(case.id, "dispatch", "dispatcher", later, department_id=world.departments["cg"])
        world.act(case.id, "accept" if case is extended else "return", "handler", later,
                  note="" if case is extended else "非本单位职责")
    world.act(extended.id, "request_extension", "handler", later, note="需采购材料", extension_hours=24)
    page.reload()
    open_case(page, extended.id, "extension_requests")
    expect(page.locator("dl.facts")).to_contain_text("24 小时")
    act(page, "approve_extension", "批准延期", expect_state="处置中")
    expect(page.locator("dl.facts")).not_to_contain_text("申请延期")
    # and the queue is read again without it (before another queue is asked for: it could land after)
    expect(page.locator(f"ol.cases li[data-id='{extended.id}']")).to_have_count(0)
    open_case(page, returned.id, "to_dispatch")
    expect(page.locator("dl.facts .state")).to_have_text("退回待审")
    act(page, "refuse_return", "驳回退回", note="属于城管职责，请继续办理", expect_state="待签收")
    assert axe_violations(page) == []


def test_a_grid_worker_answers_a_check_request_on_the_phone(pages, live):
    """派核实 → the worker's 核实 tab lists the case → 核实 with a photo on site: the case
    stays 待立案 and leaves the tab."""
    world = live.world
    case = world.create(title="井盖缺失", body="积玉桥某小区门口井盖缺失")
    world.act(case.id, "request_check", "operator", MONDAY.replace(hour=10))
    page = pages.signed_in("grid_worker", "/m", phone=True)
    page.locator("nav.bottom button[data-tab=check]").click()
    expect(page.locator("#screen[data-screen=check] h2")).to_contain_text("待核实")
    page.locator(f"#screen[data-screen=check] button[data-id='{case.id}']").click()
    act(page, "check", "核实", note="现场属实，井盖确已缺失", photo=True, expect_state="待立案")
    expect(page.locator(f"ol.cases button[data-id='{case.id}']")).to_have_count(0)  # answered: off the list
    assert axe_violations(page) == []
    assert [e.action for e in world.events(case.id)][-1] == "check"


def test_the_handler_works_its_cases_by_deadline(pages, live):
    world = live.world
    later = MONDAY.replace(hour=10)
    cases = [world.create(title=title, body=f"积玉桥{title}") for title in ("路灯倾斜", "垃圾满溢", "道路积水")]
    # Dispatched in an order that is neither the cases' nor its reverse: the deadlines say 2, 0, 1.
    for minutes, case in zip((20, 40, 0), cases):
        at = later + dt.timedelta(minutes=minutes)
        world.act(case.id, "register", "dispatcher", at)
        world.act(case.id, "dispatch", "dispatcher", at, department_id=world.departments["cg"])
    page = pages.signed_in("handler")
    show_queue(page, "to_accept")  # (the first queue, 待我办理, lists these cases too)
    expect(page.locator(f"ol.cases li[data-id='{cases[1].id}']")).to_be_visible()
    listed = page.locator("ol.cases li[data-id]").evaluate_all("items => items.map((li) => +li.dataset.id)")
    mine = {c.id for c in cases}  # (other tests of the module leave cases of their own in the queue)
    assert [i for i in listed if i in mine] == [cases[2].id, cases[0].id, cases[1].id], "nearest deadline first"

    open_case(page, cases[0].id)
    act(page, "return", "退回", note="不属于本单位职责", expect_state="退回待审")
    open_case(page, cases[1].id)
    act(page, "accept", "签收", expect_state="处置中")
    page.locator("button[data-action=request_extension]").click()
    page.get_by_label("延期小时数").fill("0")
    page.get_by_label(re.compile("说明")).fill("需协调清运车辆")
    page.get_by_role("button", name="确认申请延期").click()
    expect(page.locator("form.action-form [name=extension_hours]")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("延期小时数").fill("12")
    page.get_by_role("button", name="确认申请延期").click()
    expect(page.locator("dl.facts")).to_contain_text("申请延期")
    open_case(page, cases[2].id)
    act(page, "accept", "签收", expect_state="处置中")
    act(page, "suspend", "挂起", note="等待雨停后处置", expect_state="已挂起")
    expect(page.locator("ol.timeline")).to_contain_text("挂起")
    assert axe_violations(page) == []
