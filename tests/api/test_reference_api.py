"""The reference-data endpoints over real HTTP: regions (tree, GeoJSON grid, locate, grid
import), departments and routing rules, categories and their limits, the working calendar,
and who may read and write them. The world is tests/cases/conftest.py's: district 420106,
one street, two communities, four 0.01° cells; an admin is added here."""
from __future__ import annotations

import pytest

from civicloop.auth.service import hash_password
from civicloop.db import transaction
from civicloop.regions.coords import gcj02_to_wgs84, wgs84_to_gcj02
from civicloop.users.service import create_user
from tests.api.conftest import PASSWORD

D = "420106"
STREET = D + "001"
C1, C2 = STREET + "001", STREET + "002"
V1 = "/api/v1"


@pytest.fixture(scope="module")
def admin(live):
    """An admin account (the seeded world has none), signed in."""
    with transaction(live.world.engine) as s:
        user = create_user(s, username="admin", name="管理员", role="admin", phone="13700001234")
        user.password_hash = hash_password(PASSWORD)
    return live.client("admin")


def problem(answer, status: int, field: str | None = None) -> dict:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    body = answer.json()
    if field is not None:
        assert body["field"] == field, body
    return body


# ------------------------------------------------------------------ who may

READS = ["/districts", f"/districts/{D}", f"/districts/{D}/grids", "/locate?lon=114.305&lat=30.545",
         "/departments", "/routing/rules", "/routing/explain?category=01", "/categories", "/categories/01",
         "/users", "/calendar/2025"]


@pytest.mark.parametrize("path", READS)
def test_reads_need_a_token_and_a_staff_role(live, path):
    problem(live.client().get(V1 + path), 401, "token")
    problem(live.client("citizen").get(V1 + path), 403, "role")
    assert live.client("handler").get(V1 + path).status_code == 200


@pytest.mark.parametrize("method, path, body", [
    ("post", "/departments", {"code": "x1", "name": "某局", "kind": "bureau", "district_code": D}),
    ("post", "/routing/rules", {"department": "zj"}),
    ("delete", "/routing/rules/1", None),
    ("patch", "/categories/01/limits", {"priority": "high"}),
    ("put", "/calendar/days/2099-01-01", {"is_workday": False}),
    ("post", "/users", {"username": "someone", "name": "某人", "role": "operator"}),
    ("post", "/users/operator/password", {"password": "another password"}),
    ("delete", "/users/operator/tokens", None),
])
def test_writes_are_for_admins(live, method, path, body):
    kwargs = {"json": body} if body is not None else {}
    problem(getattr(live.client("dispatcher"), method)(V1 + path, **kwargs), 403, "role")


def test_permission_is_checked_before_the_input(live):
    """A caller without the right learns nothing from a validation error."""
    problem(live.client("dispatcher").post(V1 + "/users", json={}), 403, "role")
    problem(live.client("citizen").get(V1 + "/locate"), 403, "role")
    problem(live.client().put(V1 + "/calendar/days/not-a-date"), 401, "token")


def test_openapi_documents_every_endpoint(live):
    paths = live.client().get("/openapi.json").json()["paths"]
    for path in ("/districts/{code}", "/grids/{code}", "/locate", "/departments/{ref}", "/routing/explain",
                 "/categories/{ref}/limits", "/users/{username}/tokens", "/calendar/{year}", "/calendar/days/{date}"):
        assert V1 + path in paths, path
    grids = paths[V1 + "/districts/{code}/grids"]["get"]["responses"]["200"]["content"]
    assert list(grids) == ["application/geo+json"]


# ------------------------------------------------------------------ regions

def test_districts_and_their_tree(live):
    client = live.client("dispatcher")
    [district] = client.get(V1 + "/districts").json()
    assert (district["code"], district["streets"], district["communities"], district["cells"]) == (D, 1, 2, 4)
    tree = client.get(f"{V1}/districts/{D}").json()
    [street] = tree["children"]
    assert street["code"] == STREET and street["name"] == "积玉桥街道" and street["cells"] == 4
    assert [(c["code"], c["cells"], c["level"]) for c in street["children"]] == [(C1, 2, "community"),
                                                                                 (C2, 2, "community")]
    problem(client.get(V1 + "/districts/999999"), 404, "district")
    problem(client.get(V1 + "/districts/abc"), 422, "code")


def test_grids_as_geojson(live):
    client = live.client("dispatcher")
    answer = client.get(f"{V1}/districts/{D}/grids")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/geo+json")
    collection = answer.json()
    assert collection["type"] == "FeatureCollection" and collection["coordinate_system"] == "GCJ-02"
    features = {f["id"]: f for f in collection["features"]}
    assert list(features) == live.world.cells
    first = features[live.world.cells[0]]
    assert first["geometry"]["type"] == "Polygon"
    assert first["properties"]["worker"]["username"] == "grid_worker"
    assert first["properties"]["street"] == "积玉桥街道" and first["properties"]["community_code"] == C1
    assert features[live.world.cells[1]]["properties"]["worker"] is None

    only_c2 = client.get(f"{V1}/districts/{D}/grids", params={"community": C2}).json()["features"]
    assert [f["properties"]["community_code"] for f in only_c2] == [C2, C2]
    boxed = client.get(f"{V1}/districts/{D}/grids", params={"bbox": "114.302,30.542,114.304,30.544"}).json()
    assert [f["id"] for f in boxed["features"]] == [live.world.cells[0]]
    problem(client.get(f"{V1}/districts/{D}/grids", params={"bbox": "1,2,3"}), 422, "bbox")
    problem(client.get(f"{V1}/districts/{D}/grids", params={"community": "420106009009"}), 404, "community")
    problem(client.get(f"{V1}/districts/{D}/grids", params={"crs": "bd09"}), 422, "crs")


def test_grids_in_wgs84_are_converted(live):
    client = live.client("dispatcher")
    gcj = client.get(f"{V1}/grids/{live.world.cells[0]}").json()
    wgs = client.get(f"{V1}/grids/{live.world.cells[0]}", params={"crs": "wgs84"}).json()
    assert gcj["coordinate_system"] == "GCJ-02" and wgs["coordinate_system"] == "WGS-84"
    corner_gcj = gcj["geometry"]["coordinates"][0][0]
    corner_wgs = wgs["geometry"]["coordinates"][0][0]
    assert corner_wgs == pytest.approx(list(gcj02_to_wgs84(*corner_gcj)), abs=1e-7)
    assert abs(corner_wgs[0] - corner_gcj[0]) > 1e-3  # GCJ-02 is offset by hundreds of metres
    # A bbox in WGS-84 picks the same cell as its GCJ-02 equivalent.
    west, south = gcj02_to_wgs84(114.302, 30.542)
    east, north = gcj02_to_wgs84(114.304, 30.544)
    boxed = client.get(f"{V1}/districts/{D}/grids", params={"crs": "wgs84", "bbox": f"{west},{south},{east},{north}"})
    assert [f["id"] for f in boxed.json()["features"]] == [live.world.cells[0]]


def test_one_grid_with_its_worker(live):
    client = live.client("operator")
    cell = client.get(f"{V1}/grids/{live.world.cells[0]}")
    assert cell.status_code == 200 and cell.headers["content-type"].startswith("application/geo+json")
    assert cell.json()["type"] == "Feature" and cell.json()["properties"]["worker"]["username"] == "grid_worker"
    problem(client.get(f"{V1}/grids/{C1}9999"), 404, "grid")
    problem(client.get(f"{V1}/grids/nonsense"), 422, "code")


def test_locate_a_point(live):
    client = live.client("operator")
    found = client.get(V1 + "/locate", params={"lon": 114.305, "lat": 30.545}).json()
    assert found["grid"]["code"] == live.world.cells[0]
    assert found["community"] == {"code": C1, "name": "第1社区"}
    assert found["street"]["code"] == STREET and found["district"]["code"] == D
    lon, lat = gcj02_to_wgs84(114.315, 30.555)  # a GPS fix of a point in the fourth cell
    gps = client.get(V1 + "/locate", params={"lon": lon, "lat": lat, "crs": "wgs84"}).json()
    assert gps["grid"]["code"] == live.world.cells[3] and gps["crs"] == "wgs84"
    assert wgs84_to_gcj02(lon, lat) == pytest.approx((114.315, 30.555), abs=1e-6)


@pytest.mark.parametrize("params, field", [
    ({"lon": 114.5, "lat": 30.5}, "location"),
    ({"lon": 1e308, "lat": 30.5}, "lon"),
    ({"lon": 114.3}, "lat"),
    ({"lon": "east", "lat": 30.5}, "lon"),
    ({"lon": 114.305, "lat": 30.545, "district": "123"}, "district"),
])
def test_locate_refuses_with_the_field(live, params, field):
    problem(live.client("operator").get(V1 + "/locate", params=params), 422, field)


def test_grid_import_is_all_or_nothing(live, admin):
    current = admin.get(f"{V1}/districts/{D}/grids").json()["features"]
    cells = [{"type": "Feature", "geometry": f["geometry"],
              "properties": {"code": f["id"], "community_code": f["properties"]["community_code"]}}
             for f in current]
    bad = [cells[0], {**cells[1], "properties": {"community_code": "420106009009"}}, *cells[2:]]
    body = problem(admin.post(f"{V1}/districts/{D}/grids", json={"type": "FeatureCollection", "features": bad}),
                   422, "features[1].properties.community_code")
    assert "420106009009" in body["detail"]
    after = admin.get(f"{V1}/districts/{D}/grids").json()["features"]
    assert [f["properties"]["source"] for f in after] == ["generated"] * 4  # nothing changed
    problem(admin.post(f"{V1}/districts/{D}/grids", content=b"{not json", headers={"content-type": "application/json"}),
            422, "body")
    problem(admin.post(f"{V1}/districts/{D}/grids", content=b"x", headers={"content-type": "text/plain"}),
            415, "content-type")
    problem(admin.post(f"{V1}/districts/999999/grids", json={"type": "FeatureCollection", "features": cells}),
            404, "district")

    done = admin.post(f"{V1}/districts/{D}/grids", json={"type": "FeatureCollection", "features": cells},
                      headers={"content-type": "application/geo+json"})
    assert done.status_code == 200, done.text
    assert done.json()["cells"] == 4 and 0.9 < done.json()["coverage"] < 1.2  # the world's areas are round figures
    after = {f["id"]: f["properties"] for f in admin.get(f"{V1}/districts/{D}/grids").json()["features"]}
    assert {p["source"] for p in after.values()} == {"imported"}
    assert after[live.world.cells[0]]["worker"]["username"] == "grid_worker"  # kept with its code
    found = admin.get(V1 + "/locate", params={"lon": 114.315, "lat": 30.545}).json()
    assert found["grid"]["code"] == live.world.cells[2]  # the locator serves the new grid


# ------------------------------------------------------------------ departments and routing

def test_departments_list_and_one(live):
    client = live.client("handler")
    bureaus = client.get(V1 + "/departments", params={"kind": "bureau"}).json()
    assert [d["code"] for d in bureaus] == ["cg", "zj"] and bureaus[0]["kind_label"] == "区直部门"
    everything = client.get(V1 + "/departments", params={"district": D, "active": True}).json()
    assert {"cg", "zj", "jyq"} <= {d["code"] for d in everything}
    assert client.get(V1 + "/departments", params={"active": False}).json() == []
    one = client.get(V1 + "/departments/cg").json()
    assert one["name"] == "区城管执法局" and one["id"] == live.world.departments["cg"]
    assert client.get(f"{V1}/departments/{one['id']}").json()["code"] == "cg"
    problem(client.get(V1 + "/departments/nope"), 404, "department")
    problem(client.get(V1 + "/departments", params={"kind": "ministry"}), 422, "kind")
    problem(client.get(V1 + "/departments", params={"district": "42"}), 422, "district")


def test_admin_adds_a_department(live, admin):
    created = admin.post(V1 + "/departments", json={"code": "sw", "name": "区水务局", "kind": "bureau",
                                                    "district_code": D})
    assert created.status_code == 201, created.text
    assert created.json()["active"] and created.headers["location"].endswith("/departments/sw")
    assert live.client("dispatcher").get(V1 + "/departments/sw").json()["name"] == "区水务局"
    problem(admin.post(V1 + "/departments", json={"code": "sw", "name": "again", "kind": "bureau",
                                                  "district_code": D}), 409, "code")
    problem(admin.post(V1 + "/departments", json={"code": "jq2", "name": "某街道", "kind": "street_office",
                                                  "district_code": D}), 422, "region_code")
    problem(admin.post(V1 + "/departments", json={"code": "c1", "name": "某社区", "kind": "community",
                                                  "district_code": D, "region_code": STREET}), 422, "region_code")
    problem(admin.post(V1 + "/departments", json={"code": "x", "name": "x", "kind": "bureau", "district_code": D,
                                                  "color": "red"}), 422, "color")


def test_routing_rules_and_why(live, admin):
    dispatcher = live.client("dispatcher")
    before = dispatcher.get(V1 + "/routing/rules").json()
    assert {(r["category"]["code"], r["department"]["code"]) for r in before} == {("01", "zj"), ("0102", "cg")}
    why = dispatcher.get(V1 + "/routing/explain", params={"category": "010101", "grid": live.world.cells[0]}).json()
    assert why["department"]["code"] == "zj" and why["community_code"] == C1 and why["street_code"] == STREET

    rule = admin.post(V1 + "/routing/rules", json={"department": "jyq", "category": "0101", "region_code": STREET,
                                                   "note": "积玉桥街道的市政问题"})
    assert rule.status_code == 201, rule.text
    rule = rule.json()
    assert rule["category"]["path"] == "城乡建设/城市建设和市政管理" and rule["department"]["code"] == "jyq"
    problem(admin.post(V1 + "/routing/rules", json={"department": "cg", "category": "0101", "region_code": STREET}),
            409, "rule")
    why = dispatcher.get(V1 + "/routing/explain", params={"category": "010101", "grid": live.world.cells[0]}).json()
    assert why["department"]["code"] == "jyq"
    assert [c["rule_id"] for c in why["candidates"]][0] == rule["id"]
    assert [c["department"]["code"] for c in why["candidates"]] == ["jyq", "zj"]
    assert why["candidates"][0]["area"] == "street" and why["candidates"][1]["area"] == "any"
    # Elsewhere in the district the bureau keeps the matter.
    assert dispatcher.get(V1 + "/routing/explain", params={"category": "010101"}).json()["department"]["code"] == "zj"

    assert admin.delete(f"{V1}/routing/rules/{rule['id']}").status_code == 204
    problem(admin.delete(f"{V1}/routing/rules/{rule['id']}"), 404, "rule")
    problem(admin.delete(f"{V1}/routing/rules/{10**30}"), 422, "rule_id")
    why = dispatcher.get(V1 + "/routing/explain", params={"category": "010101", "grid": live.world.cells[0]}).json()
    assert why["department"]["code"] == "zj"


@pytest.mark.parametrize("params, status, field", [
    ({"category": "99"}, 404, "category"),
    ({"category": "01", "grid": f"{C1}9999"}, 404, "grid"),
    ({"category": "01", "community": STREET + "999"}, 404, "community"),
    ({"category": "01", "street": "abc"}, 422, "street"),
])
def test_explain_refuses_unknown_places(live, params, status, field):
    problem(live.client("dispatcher").get(V1 + "/routing/explain", params=params), status, field)


def test_routing_rule_input_is_checked(live, admin):
    problem(admin.post(V1 + "/routing/rules", json={"department": "nope"}), 404, "department")
    problem(admin.post(V1 + "/routing/rules", json={"department": "zj", "category": "99"}), 404, "category")
    problem(admin.post(V1 + "/routing/rules", json={"department": "zj", "region_code": "12"}), 422, "region_code")
    problem(admin.post(V1 + "/routing/rules", json={"department": "zj", "region_code": "420106999"}), 404, "region")


def test_explain_with_no_rule_says_so(live):
    why = live.client("dispatcher").get(V1 + "/routing/explain").json()  # uncategorised: no rule names "any"
    assert why["department"] is None and why["candidates"] == [] and why["district_code"] == D


# ------------------------------------------------------------------ categories

def test_categories_flat_and_tree(live):
    client = live.client("supervisor")
    assert [c["code"] for c in client.get(V1 + "/categories").json()] == ["01", "0101", "010101", "0102"]
    assert [c["code"] for c in client.get(V1 + "/categories", params={"level": 2}).json()] == ["0101", "0102"]
    under = client.get(V1 + "/categories", params={"under": "0101"}).json()
    assert [c["path"] for c in under] == ["城乡建设/城市建设和市政管理", "城乡建设/城市建设和市政管理/园林绿化环卫"]
    [top] = client.get(V1 + "/categories/tree").json()
    assert top["code"] == "01" and [c["code"] for c in top["children"]] == ["0101", "0102"]
    assert [c["code"] for c in top["children"][0]["children"]] == ["010101"]
    problem(client.get(V1 + "/categories", params={"level": 0}), 422, "level")
    problem(client.get(V1 + "/categories", params={"under": "99"}), 404, "category")


def test_category_with_its_effective_limits(live):
    client = live.client("supervisor")
    leaf = client.get(V1 + "/categories/010101").json()
    assert leaf["limits"]["handle_limit_hours"] is None  # nothing set on the leaf itself
    assert leaf["effective"]["handle_hours"]["value"] == 16
    assert leaf["effective"]["handle_hours"]["source"]["code"] == "01"
    assert leaf["effective"]["yellow_ratio"] == {"value": 0.75, "source": {
        "category_id": live.world.categories["01"], "code": "01", "name": "城乡建设", "default": False}}
    illegal = client.get(V1 + "/categories/违法建设").json()
    assert illegal["code"] == "0102" and illegal["effective"]["priority"]["value"] == "urgent"
    assert illegal["effective"]["basis"]["source"]["code"] == "0102"
    problem(client.get(V1 + "/categories/99"), 404, "category")


def test_admin_changes_limits(live, admin):
    changed = admin.patch(V1 + "/categories/010101/limits", json={"handle_limit_hours": 8})
    assert changed.status_code == 200, changed.text
    effective = changed.json()["effective"]
    assert effective["handle_hours"]["value"] == 8 and effective["handle_hours"]["source"]["code"] == "010101"
    assert effective["dispatch_hours"]["source"]["code"] == "01"  # the others still inherited
    seen = live.client("dispatcher").get(V1 + "/categories/010101").json()
    assert seen["limits"]["handle_limit_hours"] == 8

    cleared = admin.patch(V1 + "/categories/010101/limits", json={"handle_limit_hours": None}).json()
    assert cleared["effective"]["handle_hours"] == {"value": 16, "source": {
        "category_id": live.world.categories["01"], "code": "01", "name": "城乡建设", "default": False}}

    replaced = admin.put(V1 + "/categories/0102/limits", json={"priority": "high"}).json()
    assert replaced["limits"] == {"dispatch_limit_hours": None, "handle_limit_hours": None, "time_basis": None,
                                  "yellow_ratio": None, "priority": "high"}
    assert replaced["effective"]["handle_hours"]["source"]["code"] == "01"


@pytest.mark.parametrize("body, field", [
    ({"yellow_ratio": 1.5}, "yellow_ratio"),
    ({"handle_limit_hours": 0}, "handle_limit_hours"),
    ({"dispatch_limit_hours": 10**9}, "dispatch_limit_hours"),
    ({"time_basis": "lunar"}, "time_basis"),
    ({"colour": "red"}, "colour"),
    ({}, "limits"),
])
def test_limits_input_names_the_field(live, admin, body, field):
    problem(admin.patch(V1 + "/categories/0101/limits", json=body), 422, field)


def test_limits_of_unknown_category(live, admin):
    problem(admin.put(V1 + "/categories/99/limits", json={"priority": "low"}), 404, "category")


# ------------------------------------------------------------------ calendar

def test_a_year_the_official_calendar_knows(live):
    year = live.client("handler").get(V1 + "/calendar/2025").json()
    assert year["status"] == "package" and len(year["days"]) == 365
    days = {d["date"]: d for d in year["days"]}
    assert days["2025-01-29"] == {"date": "2025-01-29", "is_workday": False, "source": "package",
                                  "name": "Spring Festival"}
    assert days["2025-01-26"]["is_workday"] is True  # a Sunday worked in exchange (调休)
    assert days["2025-03-03"]["is_workday"] is True and days["2025-03-02"]["is_workday"] is False
    assert year["workdays"] + year["holidays"] == 365 and 240 <= year["workdays"] <= 252


def test_admin_overrides_days(live, admin):
    handler = live.client("handler")
    unknown = handler.get(V1 + "/calendar/2099").json()
    assert unknown["status"] == "unknown" and unknown["workdays"] is None
    assert unknown["days"][0]["is_workday"] is None

    marked = admin.put(V1 + "/calendar/days/2099-01-01", json={"is_workday": False, "name": "元旦"})
    assert marked.status_code == 200 and marked.json() == {"date": "2099-01-01", "is_workday": False, "name": "元旦"}
    year = handler.get(V1 + "/calendar/2099").json()
    assert year["status"] == "overrides" and year["overrides"] == [marked.json()]
    days = {d["date"]: d for d in year["days"]}
    assert days["2099-01-01"]["source"] == "override" and days["2099-01-01"]["is_workday"] is False
    assert days["2099-01-02"] == {"date": "2099-01-02", "is_workday": True, "source": "weekdays", "name": None}

    admin.put(V1 + "/calendar/days/2099-01-01", json={"is_workday": True})  # replaces the override
    assert {d["date"]: d for d in handler.get(V1 + "/calendar/2099").json()["days"]}["2099-01-01"]["is_workday"]
    assert admin.delete(V1 + "/calendar/days/2099-01-01").status_code == 204
    assert handler.get(V1 + "/calendar/2099").json()["status"] == "unknown"
    problem(admin.delete(V1 + "/calendar/days/2099-01-01"), 404, "date")


@pytest.mark.parametrize("method, path, body, field", [
    ("put", "/calendar/days/2099-02-30", {"is_workday": False}, "date"),
    ("put", "/calendar/days/2099-02-01", {"is_workday": "maybe"}, "is_workday"),
    ("put", "/calendar/days/2099-02-01", {"is_workday": False, "name": "x" * 61}, "name"),
    ("put", "/calendar/days/2099-02-01", {}, "is_workday"),
    ("get", "/calendar/99999", None, "year"),
])
def test_calendar_input_names_the_field(live, admin, method, path, body, field):
    kwargs = {"json": body} if body is not None else {}
    problem(getattr(admin, method)(V1 + path, **kwargs), 422, field)


def test_calendar_import_is_all_or_nothing(live, admin):
    bad = "date,is_workday,name\n2098-01-01,holiday,元旦\n2098-13-01,holiday,\n"
    body = problem(admin.post(V1 + "/calendar/import", content=bad.encode(), headers={"content-type": "text/csv"}),
                   422, "csv")
    assert "line 3" in body["detail"]
    assert admin.get(V1 + "/calendar/2098").json()["status"] == "unknown"
    good = "date,is_workday,name\n2098-01-01,holiday,元旦\n2098-01-04,workday,调休\n"
    done = admin.post(V1 + "/calendar/import", content=good.encode(), headers={"content-type": "text/csv"})
    assert done.status_code == 200 and done.json() == {"days": 2}
    assert len(admin.get(V1 + "/calendar/2098").json()["overrides"]) == 2
    problem(admin.post(V1 + "/calendar/import", json={"a": 1}), 415, "content-type")
