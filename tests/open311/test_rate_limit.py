"""Writes are limited per client address, before the key is looked at."""
from __future__ import annotations

from tests.open311.conftest import BASE

SERVER_ENV = {"CIVICLOOP_PUBLIC_RATE_LIMIT": "3", "CIVICLOOP_PUBLIC_RATE_WINDOW_SECONDS": "3600"}


def test_writes_past_the_limit_are_429_with_retry_after(live, keys):
    with live.client() as http:
        statuses = [http.post(f"{BASE}/requests.json", data={"api_key": "guess", "service_code": "010101"}).status_code
                    for _ in range(3)]
        assert statuses == [403, 403, 403]
        refused = http.post(f"{BASE}/servicerequestupdates.xml", data={"api_key": keys["operator"]})
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
        assert b"<code>429</code>" in refused.content
        assert http.get(f"{BASE}/requests.json").status_code == 200  # reads are not limited
