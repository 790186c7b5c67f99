"""GET /api/v1/hot-issues over real HTTP, on SQLite and PostgreSQL: cases made from real
messages are grouped into topics, each topic lists the cases behind it that the caller may
see, and bad parameters are 422, never 500."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest

from tests.api.conftest import add_user
from tests.cases.conftest import MONDAY
from tests.hot.conftest import (
    MIXING_PLANT,
    PARKING_BUNDLE,
    SAME_DISTRICT_ELSEWHERE,
    message,
)

UNTIL = (MONDAY + dt.timedelta(days=1)).isoformat()
# The test district's two communities: the plant's estate in the first, the rest in the second.
FIRST_COMMUNITY, SECOND_COMMUNITY = (114.305, 30.545), (114.315, 30.555)


@pytest.fixture(scope="module")
def cases(live):
    """The mixing-plant messages as cases of 区住建局 (category 010101), the parking ones as
    cases of 区城管执法局 (0102), two unrelated ones; all registered and dispatched."""
    add_user(live, "assessor", "assessor")
    made = {}
    plan = [(ref, "010101", FIRST_COMMUNITY) for ref in MIXING_PLANT] \
        + [(ref, "0102", SECOND_COMMUNITY) for ref in PARKING_BUNDLE] \
        + [(ref, "010101", SECOND_COMMUNITY) for ref in SAME_DISTRICT_ELSEWHERE]
    for minutes, (ref, category, (lon, lat)) in enumerate(plan):
        source = message(ref)
        at = MONDAY + dt.timedelta(minutes=minutes)
        case = live.world.create(at=at, category=category, title=source.title[:200], body=source.text,
                                 lon=lon, lat=lat, reporter_phone=f"1380000{minutes:04d}", key=f"hot-{ref}")
        live.world.act(case.id, "register", "dispatcher", at)
        live.world.act(case.id, "dispatch", "dispatcher", at)
        made[ref] = case.id
    return made


def _hot(live, role, **params):
    return live.client(role).get("/api/v1/hot-issues", params={"until": UNTIL, **params})


def _topic_with(body, case_id):
    found = [t for t in body["topics"] if case_id in {c["id"] for c in t["cases"]}]
    return found[0] if found else None


def test_topics_of_the_week_with_their_cases(live, cases):
    answer = _hot(live, "supervisor", days=7, top=10)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["district_code"] == "420106" and body["reports"] == len(cases)
    assert body["until"].endswith("+08:00")
    plant = _topic_with(body, cases[MIXING_PLANT[0]])
    parking = _topic_with(body, cases[PARKING_BUNDLE[0]])
    assert {c["id"] for c in plant["cases"]} == {cases[r] for r in MIXING_PLANT}
    assert {c["id"] for c in parking["cases"]} == {cases[r] for r in PARKING_BUNDLE}
    assert "丽发新城" in plant["title"] and "伊景园滨河苑" in parking["title"]
    for ref in SAME_DISTRICT_ELSEWHERE:
        assert _topic_with(body, cases[ref]) is None
    # Every count opens: the heat counts the cases listed, and each case opens.
    assert plant["heat"]["reports"] == len(plant["cases"]) and plant["heat"]["reporters"] == len(MIXING_PLANT)
    one = live.client("supervisor").get(f"/api/v1/cases/{plant['cases'][0]['id']}")
    assert one.status_code == 200 and one.json()["number"] == plant["cases"][0]["number"]
    heats = [t["heat"]["index"] for t in body["topics"]]
    assert heats == sorted(heats, reverse=True) and [t["rank"] for t in body["topics"]] == [1, 2]


def test_each_department_sees_the_topics_of_its_own_cases(live, cases):
    zj = _hot(live, "handler_zj").json()   # 区住建局 leads the plant's cases
    cg = _hot(live, "handler").json()      # 区城管执法局 leads the parking ones
    assert [len(t["cases"]) for t in zj["topics"]] == [len(MIXING_PLANT)]
    assert [len(t["cases"]) for t in cg["topics"]] == [len(PARKING_BUNDLE)]
    assert zj["reports"] == len(MIXING_PLANT) + len(SAME_DISTRICT_ELSEWHERE) and cg["reports"] == len(PARKING_BUNDLE)


def test_no_reporter_phone_in_topics(live, cases):
    text = _hot(live, "assessor").text
    assert "13800000000" not in text and "1380000" not in text


def test_a_window_or_district_without_cases_is_an_honest_empty_list(live, cases):
    for params in ({"district_code": "420102"}, {"until": (MONDAY - dt.timedelta(days=30)).isoformat()}):
        answer = _hot(live, "dispatcher", **params)
        assert answer.status_code == 200, answer.text
        assert answer.json()["topics"] == [] and answer.json()["reports"] == 0


@pytest.mark.parametrize("params", [{"days": 0}, {"days": -3}, {"days": 367}, {"top": 0}, {"top": 101},
                                    {"days": "week"}, {"district_code": "42010"}, {"until": "yesterday"},
                                    {"until": "0001-01-01T00:00:00"},
                                    {"until": "0673-11-09T01:40:11.4654-23:27"}])
def test_bad_parameters_are_422(live, cases, params):
    answer = _hot(live, "dispatcher", **params)
    assert answer.status_code == 422, (params, answer.status_code, answer.text)


@pytest.mark.parametrize("role,status", [(None, 401), ("citizen", 403), ("operator", 403), ("grid_worker", 403)])
def test_who_may_not(live, cases, role, status):
    assert live.client(role).get("/api/v1/hot-issues").status_code == status


def test_cli_over_the_database(live, cases):
    """`civicloop hot --days 7` on the same database: the same topics, every case listed."""
    env = {**os.environ, "CIVICLOOP_DATABASE_URL": live.server.database_url, "COLUMNS": "160"}
    done = subprocess.run([sys.executable, "-m", "civicloop", "hot", "--days", "7", "--top", "5", "--until", UNTIL,
                           "--refs"], check=False, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    assert f"420106: {len(cases)} 件案件" in done.stdout
    listed = {line.split(": ", 1)[0]: set(line.split(": ", 1)[1].split(", "))
              for line in done.stdout.splitlines() if line[:2] in ("1.", "2.")}
    assert {str(cases[r]) for r in MIXING_PLANT} in listed.values()
    assert {str(cases[r]) for r in PARKING_BUNDLE} in listed.values()
    bad = subprocess.run([sys.executable, "-m", "civicloop", "hot", "--days", "0"], check=False, capture_output=True,
                         text=True, timeout=300, env=env)
    assert bad.returncode == 2 and "days" in bad.stderr and "Traceback" not in bad.stderr
