"""The address endpoints over real HTTP (a `civicloop serve` subprocess), on SQLite and
PostgreSQL: the admin imports, staff list and match, bad input is a clear 4xx."""
from __future__ import annotations

import pytest

from tests.addresses.conftest import CELLS, SMALL_CSV
from tests.api.conftest import add_user

CSV = {"Content-Type": "text/csv"}


@pytest.fixture(scope="module")
def admin(live):
    add_user(live, "addr-admin", "admin")
    client = live.client("addr-admin")
    answer = client.post("/api/v1/addresses/import", params={"district": "420106"}, content=SMALL_CSV.encode(),
                         headers=CSV)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"district_code": "420106", "rows": 6, "added": 6, "updated": 0, "removed": 0,
                             "total": 6}
    return client


def test_list_by_grid_and_text(live, admin):
    operator = live.client("operator")
    in_cell = operator.get("/api/v1/addresses", params={"grid": CELLS[2]})
    assert in_cell.status_code == 200
    assert {a["grid_code"] for a in in_cell.json()} == {CELLS[2]} and len(in_cell.json()) == 2
    found = operator.get("/api/v1/addresses", params={"q": "银杏家园"}).json()
    assert [a["grid_code"] for a in found] == [CELLS[3]]
    assert found[0]["estate"] == "银杏家园" and found[0]["building"] == "3" and found[0]["street_code"] == "420106001"
    paged = operator.get("/api/v1/addresses", params={"district": "420106", "limit": 2, "offset": 4}).json()
    assert len(paged) == 2
    assert operator.get("/api/v1/addresses", params={"grid": "nope"}).status_code == 422
    assert operator.get("/api/v1/addresses", params={"limit": 0}).status_code == 422


def test_match_resolved_ambiguous_unresolved(live, admin):
    operator = live.client("operator")
    resolved = operator.post("/api/v1/addresses/match", json={"text": "武昌区翠柳苑二号楼门口", "district_code": "420106"})
    assert resolved.status_code == 200
    body = resolved.json()
    assert body["status"] == "resolved" and body["grid_code"] == CELLS[1]
    assert body["community_code"] == "420106001001" and body["street_code"] == "420106001"
    assert body["address"]["text"].endswith("翠柳苑2栋") and body["score"] >= 0.8 and body["reasons"]
    assert body["parts"]["estate"] == "翠柳苑" and body["parts"]["building"] == "2"

    ambiguous = operator.post("/api/v1/addresses/match", json={"text": "第2社区3栋", "district_code": "420106"}).json()
    assert ambiguous["status"] == "ambiguous" and ambiguous["address"] is None and ambiguous["grid_code"] is None
    assert {c["grid_code"] for c in ambiguous["candidates"]} == {CELLS[2], CELLS[3]}

    unknown = operator.post("/api/v1/addresses/match", json={"text": "和平大道999号", "district_code": "420106"}).json()
    assert unknown["status"] == "unresolved" and unknown["grid_code"] is None and "999" in unknown["reasons"][0]


@pytest.mark.parametrize("body, status", [
    ({"text": "", "district_code": "420106"}, 422),
    ({"text": "翠" * 301, "district_code": "420106"}, 422),
    ({"text": "   ", "district_code": "420106"}, 422),
    ({"text": "翠柳苑", "district_code": "42"}, 422),
    ({"text": "翠柳苑"}, 422),
    ({"text": "翠柳苑", "district_code": "420106", "extra": 1}, 422),
    ({"text": "翠柳苑", "district_code": "310104"}, 404),
])
def test_bad_match_requests(live, admin, body, status):
    answer = live.client("operator").post("/api/v1/addresses/match", json=body)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_import_refusals(live, admin):
    params = {"district": "420106"}
    bad = SMALL_CSV.splitlines()[0] + "\n" + SMALL_CSV.splitlines()[1].replace(CELLS[0], "42010600100199")
    answer = admin.post("/api/v1/addresses/import", params=params, content=bad.encode(), headers=CSV)
    assert answer.status_code == 422 and "row 1, column grid_code" in answer.json()["detail"]
    wrong_type = admin.post("/api/v1/addresses/import", params=params, content=b"x", headers={"Content-Type": "image/png"})
    assert wrong_type.status_code == 415
    not_geojson = admin.post("/api/v1/addresses/import", params=params, json={"type": "Feature"})
    assert not_geojson.status_code == 422 and "FeatureCollection" in not_geojson.json()["detail"]
    operator = live.client("operator").post("/api/v1/addresses/import", params=params, content=SMALL_CSV.encode(),
                                            headers=CSV)
    assert operator.status_code == 403
    total = len(live.client("operator").get("/api/v1/addresses", params={"limit": 500}).json())
    assert total == 6  # nothing of the refused imports was written
