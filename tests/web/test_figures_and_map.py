"""What keeps the pages fast, checked for what it gives: the dashboard's figures counted by the
database equal a recount through the case lists they open, for each scope; the district's grid
is made once, sent compressed and revalidated with its ETag, and changes when the grid or its
workers do; large answers are compressed and photos are not; and in the browser the map pans by
moving its picture, then lands where the drag left it, with a click still opening a cell."""
from __future__ import annotations

import datetime as dt
import gzip
import json

import httpx
import pytest
from sqlalchemy import update

from civicloop.cases.models import Case
from civicloop.db import transaction
from civicloop.regions.locator import grid_replaced
from civicloop.regions.models import GridCell
from civicloop.settings import local_now
from civicloop.users.models import User
from tests.web.conftest import PNG

V1 = "/api/v1"
D = "420106"
OPEN = ("reported", "registered", "dispatched", "handling", "suspended", "return_requested", "verifying")
POINTS = [(114.305, 30.545), (114.305, 30.555), (114.315, 30.545)]  # cells 0, 1 and 2 of the world


@pytest.fixture(scope="module")
def cases(live):
    """Open cases in three cells over the last days, one red, one led by 区城管执法局, one closed
    yesterday, one reported before the trend's window."""
    world = live.world
    now = local_now().replace(microsecond=0)
    day = dt.timedelta(days=1)

    def make(point, days_ago, category="010101", dispatch_to=None):
        at = now - days_ago * day
        case = world.create(at=at, lon=point[0], lat=point[1], category=category)
        if dispatch_to:
            world.act(case.id, "register", "dispatcher", at + dt.timedelta(minutes=5))
            world.act(case.id, "dispatch", "dispatcher", at + dt.timedelta(minutes=10),
                      department_id=world.departments[dispatch_to])
        return case.id

    made = {"new": make(POINTS[0], 0), "zj": make(POINTS[0], 2, dispatch_to="zj"),
            "red": make(POINTS[1], 3, dispatch_to="zj"), "cg": make(POINTS[2], 1, category="0102", dispatch_to="cg"),
            "closed": make(POINTS[2], 4), "old": make(POINTS[1], 40)}
    with transaction(world.engine) as s:  # the sweep's colour and a closing, written as the engine leaves them
        s.execute(update(Case).where(Case.id == made["red"]).values(warning="red"))
        s.execute(update(Case).where(Case.id == made["closed"]).values(state="closed", closed_at=now - day))
    return made


def total(client: httpx.Client, **query) -> int:
    answer = client.get(f"{V1}/cases", params={**query, "per_page": 1})
    assert answer.status_code == 200, answer.text
    return answer.json()["total"]


@pytest.mark.parametrize("role", ["supervisor", "handler", "grid_worker", "citizen"])
def test_dashboard_figures_equal_the_lists_they_open(live, cases, role):
    client = live.client(role)
    answer = client.get(f"{V1}/dashboard", params={"days": 7})
    assert answer.status_code == 200, answer.text
    figures = answer.json()
    assert sorted(figures["by_state"]) == sorted(OPEN)
    for state, n in figures["by_state"].items():
        assert n == total(client, state=state), state
    queues = client.get(f"{V1}/cases/queues").json()["counts"]
    assert figures["queues"] == {name: queues[name] for name in ("overdue", "red", "yellow", "extension_requests")}
    cells = {c["grid"]: c for c in figures["cells"]}
    for code in live.world.cells:
        expected = {colour: total(client, grid=code, state=list(OPEN), warning=colour)
                    for colour in ("green", "yellow", "red")}
        expected = {"grid": code, "open": sum(expected.values()), **expected}
        assert cells.get(code, {"grid": code, "open": 0, "green": 0, "yellow": 0, "red": 0}) == expected, code
    assert all(c["open"] > 0 for c in figures["cells"])  # only cells with open cases are listed
    days = figures["days"]
    assert len(days) == 7 and days[-1]["day"] == local_now().date().isoformat()
    closed_at = [c["closed_at"] for c in client.get(f"{V1}/cases", params={"state": "closed", "per_page": 200})
                 .json()["items"]]
    for d in days:
        assert d["reported"] == total(client, reported_from=f"{d['day']}T00:00:00",
                                      reported_to=f"{d['day']}T23:59:59.999999"), d
        assert d["closed"] == sum(1 for at in closed_at if at and at.startswith(d["day"])), d
        assert d["closed"] == total(client, closed_from=f"{d['day']}T00:00:00",
                                    closed_to=f"{d['day']}T23:59:59.999999"), d  # the list a click opens
    if role == "supervisor":  # sees everything: the recount is the whole table's
        assert figures["by_state"]["reported"] >= 1 and figures["by_state"]["dispatched"] >= 3
        assert cells[live.world.cells[1]]["red"] >= 1
        assert sum(d["reported"] for d in days) >= 4 and sum(d["closed"] for d in days) >= 1
    if role == "handler":  # 区城管执法局: its one case and no other
        assert sum(figures["by_state"].values()) == 1 and list(cells) == [live.world.cells[2]]
    if role == "citizen":
        assert sum(figures["by_state"].values()) == 0 and figures["cells"] == []


def test_dashboard_refuses_a_bad_window_by_name(live):
    client = live.client("supervisor")
    answer = client.get(f"{V1}/cases", params={"closed_from": "2026-11-20T00:00:00", "closed_to": "2026-11-19T00:00:00"})
    assert answer.status_code == 422 and "closed_from" in answer.text
    for days in ("0", "367", "x"):
        answer = client.get(f"{V1}/dashboard", params={"days": days})
        assert answer.status_code == 422 and "days" in answer.text, answer.text
    assert httpx.get(live.url + f"{V1}/dashboard").status_code == 401


def test_whole_grid_made_once_compressed_and_revalidated(live):
    client = live.client("dispatcher")
    path = f"{V1}/districts/{D}/grids"
    first = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert first.status_code == 200 and first.headers["content-encoding"] == "gzip"
    assert first.headers["content-type"].startswith("application/geo+json")
    etag = first.headers["etag"]
    plain = client.get(path, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.headers["etag"] == etag
    with client.stream("GET", path, headers={"Accept-Encoding": "gzip"}) as sent:
        wire = b"".join(sent.iter_raw())
    assert plain.json() == first.json() == json.loads(gzip.decompress(wire)) and len(wire) < len(plain.content)
    collection = first.json()
    assert [f["id"] for f in collection["features"]] == live.world.cells
    assert collection["features"][0]["properties"]["worker"]["username"] == "grid_worker"
    # Coordinates to 7 decimals, within half a unit of the stored ones.
    one = client.get(f"{V1}/districts/{D}/grids", params={"community": D + "001001"}).json()["features"][0]
    for kept, stored in zip(collection["features"][0]["geometry"]["coordinates"][0], one["geometry"]["coordinates"][0]):
        assert kept == [round(v, 7) for v in stored]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(path, params={"crs": "wgs84"}).headers["etag"] != etag

    # A cell given another worker, then a worker renamed, then the grid replaced: a new ETag each time.
    with transaction(live.world.engine) as s:
        worker = s.query(User).filter_by(username="grid_worker").one()
        s.execute(update(GridCell).where(GridCell.code == live.world.cells[1]).values(worker_id=worker.id))
    second = client.get(path, headers={"If-None-Match": etag})
    assert second.status_code == 200 and second.headers["etag"] != etag
    assert second.json()["features"][1]["properties"]["worker"]["username"] == "grid_worker"
    with transaction(live.world.engine) as s:
        s.execute(update(User).where(User.username == "grid_worker").values(name="王网格"))
    third = client.get(path, headers={"If-None-Match": second.headers["etag"]})
    assert third.status_code == 200 and third.json()["features"][0]["properties"]["worker"]["name"] == "王网格"
    with transaction(live.world.engine) as s:
        grid_replaced(s, D)
    assert client.get(path, headers={"If-None-Match": third.headers["etag"]}).status_code == 200
    assert client.get(f"{V1}/districts/999999/grids").status_code == 404


def test_large_answers_compressed_photos_and_small_ones_not(live, cases):
    client = live.client("supervisor")
    spec = client.get("/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert spec.headers["content-encoding"] == "gzip" and spec.json()["paths"]
    small = client.get(f"{V1}/cases/queues", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers and small.json()["counts"]
    metrics = client.get("/metrics", headers={"Accept-Encoding": "gzip"})
    assert metrics.status_code == 200 and "http_requests" in metrics.text
    # A photo of many compressible bytes (the type is judged by its signature) is sent as it is.
    made = live.client("operator").post(f"{V1}/cases", data={
        "channel": "hotline", "title": "井盖缺失", "body": "路口井盖缺失", "district_code": D, "lon": "114.305",
        "lat": "30.545", "reporter_name": "李四", "reporter_phone": "13800001234"},
        files=[("photos", ("a.png", PNG + bytes(8000), "image/png"))])
    assert made.status_code == 201, made.text
    photo = client.get(f"{V1}/cases/{made.json()['id']}/attachments").json()[0]
    raw = client.get(f"{V1}/attachments/{photo['id']}", headers={"Accept-Encoding": "gzip"})
    assert raw.status_code == 200 and "content-encoding" not in raw.headers and len(raw.content) > 8000


def test_map_pans_by_moving_its_picture_and_lands_where_dragged(pages, live, cases):
    page = pages.signed_in("supervisor", "/#/dashboard")
    page.wait_for_selector("#dashboard-map[data-cells='4']")
    box = page.locator("#dashboard-map").bounding_box()
    centre = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    at_centre = ("() => echarts.getInstanceByDom(document.querySelector('#dashboard-map'))"
                 f".convertFromPixel({{geoIndex: 0}}, [{box['width'] / 2}, {box['height'] / 2}])")
    before = page.evaluate(at_centre)
    page.mouse.move(*centre)
    page.mouse.down()
    page.mouse.move(centre[0] + 60, centre[1] + 30, steps=5)
    layer = "document.querySelector('#dashboard-map > div').style.transform"
    assert "translate(60px, 30px)" in page.evaluate(layer)  # moved as a picture while dragging
    assert page.evaluate(at_centre) == before  # not drawn again yet
    page.mouse.up()
    assert page.evaluate(layer) == ""  # drawn again, once, where the drag left it
    moved = page.evaluate("(p) => echarts.getInstanceByDom(document.querySelector('#dashboard-map'))"
                          ".convertToPixel({geoIndex: 0}, p)", before)
    assert moved == pytest.approx([box["width"] / 2 + 60, box["height"] / 2 + 30], abs=1.5)
    after = page.evaluate(at_centre)

    # Zoom in about the pointer, drawn once when the wheel stops: 200 ms after the last turn, which
    # a busy machine can let pass before the test reads the picture; so read as the turn is handled.
    page.evaluate(f"""() => document.querySelector('#dashboard-map').addEventListener('wheel', () => {{
        window.whileTurning = {layer}; }}, {{once: true}})""")  # (after the map's own listener)
    page.mouse.wheel(0, -300)
    page.wait_for_function("window.whileTurning !== undefined")
    assert "scale(" in page.evaluate("window.whileTurning")
    page.wait_for_function(f"{layer} === ''")
    zoomed = page.evaluate(at_centre)
    assert zoomed != after
    # A click (no drag) on the red cell still opens its list.
    x, y = page.evaluate("(p) => echarts.getInstanceByDom(document.querySelector('#dashboard-map'))"
                         ".convertToPixel({geoIndex: 0}, p)", [114.305, 30.555])
    assert 0 < x < box["width"] and 0 < y < box["height"]
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_function(f"location.hash.includes('grid={live.world.cells[1]}')")
