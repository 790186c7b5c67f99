"""The public outline (`GET /api/v1/public/outline`): the district's streets and communities
for the citizen portal's pin, open to anyone, with nothing personal, cacheable, rate-limited."""
from __future__ import annotations

from tests.api.conftest import live  # noqa: F401  (the server fixture, shared)


def test_anyone_gets_the_streets_and_communities_and_nothing_personal(live):  # noqa: F811
    with live.client() as http:
        answer = http.get("/api/v1/public/outline")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/geo+json"
    assert answer.headers["cache-control"].startswith("public, max-age=")
    outline = answer.json()
    assert outline["coordinate_system"] == "GCJ-02" and outline["district"] == {"code": "420106", "name": "武昌区"}
    levels = {f["id"]: f["properties"]["level"] for f in outline["features"]}
    assert levels == {"420106": "district", "420106001": "street", "420106001001": "community",
                      "420106001002": "community"}
    community = next(f for f in outline["features"] if f["id"] == "420106001002")
    assert community["properties"] == {"code": "420106001002", "name": "第2社区", "level": "community",
                                       "parent_code": "420106001"}
    xs = [x for x, _ in community["geometry"]["coordinates"][0]]
    assert (round(min(xs), 9), round(max(xs), 9)) == (114.31, 114.32), "the stored GCJ-02 boundary, not converted"
    # The grid worker of the world's first cell is named nowhere in it.
    assert "grid_worker" not in answer.text and "worker" not in answer.text


def test_the_outline_answers_304_to_its_etag_and_names_a_bad_district(live):  # noqa: F811
    with live.client() as http:
        first = http.get("/api/v1/public/outline", params={"district": "420106"})
        again = http.get("/api/v1/public/outline", headers={"If-None-Match": first.headers["etag"]})
        missing = http.get("/api/v1/public/outline", params={"district": "999999"})
        bad = http.get("/api/v1/public/outline", params={"district": "42x"})
    assert first.status_code == 200 and again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    assert missing.status_code == 404 and missing.json()["field"] == "district"
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "district"


def test_the_outline_is_rate_limited_per_client(live):  # noqa: F811
    statuses = []
    with live.client() as http:
        for _ in range(61):  # the limit is 30 a minute: a window boundary crossed midway still ends in 429
            statuses.append(http.get("/api/v1/public/outline").status_code)
            if statuses[-1] == 429:
                retry = http.get("/api/v1/public/outline")
                break
    assert statuses[0] == 200 and statuses[-1] == 429
    assert retry.status_code == 429 and int(retry.headers["retry-after"]) >= 1
