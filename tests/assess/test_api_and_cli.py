"""The demo district's traffic through the real server and the real command line: the 讲评
workbook opens with openpyxl and its sums are the API's figures, every figure's cases
re-count to it over HTTP, the paragraph's numbers are the indicators, bad input names its
field — on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import io
import os
import re
import subprocess
import sys

import openpyxl
import pytest

from civicloop.assess import indicators as ind
from civicloop.demo.people import DEMO_PASSWORD
from civicloop.demo.simulate import run_demo
from tests.api.conftest import Server, free_port
from tests.conftest import empty_tables, migrated_engine

from .test_ranking_and_review import assert_sums_match

END = dt.datetime(2026, 11, 20, 16, 30)
MONTH = "2026-11"


@pytest.fixture(scope="module")
def demo(database_url, tmp_path_factory):
    engine = migrated_engine(database_url)
    empty_tables(engine)
    run_demo(engine, weeks=3, per_day=25, seed=5, cell_area_m2=1_000_000, end=END)
    server = Server(database_url, free_port(),  # no sweep: nothing but a reader brings the figures up to date
                    env={"CIVICLOOP_ATTACHMENTS_DIR": str(tmp_path_factory.mktemp("files")),
                         "CIVICLOOP_SWEEP_EVERY": "0"}).start()
    import httpx
    token = httpx.post(server.url + "/api/v1/auth/token", data={"username": "assessor1", "password": DEMO_PASSWORD},
                       timeout=30).json()["access_token"]
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
        yield client, database_url
    server.stop()
    empty_tables(engine)


def get(client, path, **params):
    answer = client.get(path, params=params)
    assert answer.status_code == 200, answer.text
    return answer


def test_the_review_workbook_matches_the_api(demo):
    client, _ = demo
    figures = get(client, "/api/v1/assess/indicators", by="department", period=MONTH).json()
    total = figures["total"]["counts"]
    assert total["reported"] > 100 and total["closed"] > 50
    for key in ind.COUNT:  # departments partition the cases
        assert sum(r["counts"][key] for r in figures["rows"]) == total[key], key
    answer = get(client, "/api/v1/assess/review.xlsx", period=MONTH)
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    assert_sums_match(book, total)
    assert len(list(book["单位排名"].iter_rows(min_row=4))) == sum(1 for r in figures["rows"] if r["key"])
    review = get(client, "/api/v1/assess/review", period=MONTH).json()
    headline = {c["key"]: c for c in review["headline"]}
    assert headline["closure_rate"]["now"] == figures["total"]["rates"]["closure_rate"]
    before = get(client, "/api/v1/assess/indicators", period="2026-10").json()["total"]
    assert headline["reported"]["before"] == before["counts"]["reported"]
    assert review["period"]["label"] == "2026年11月" and review["previous"]["label"] == "2026年10月"
    ranking = get(client, "/api/v1/assess/ranking", period=MONTH).json()
    assert [r["label"] for r in ranking["rows"]] == [r["label"] for r in review["department_ranking"]]
    lows = [r["low"] for r in ranking["rows"]]
    assert lows == sorted(lows, reverse=True)
    page = get(client, "/api/v1/assess/review.html", period=MONTH).text
    assert "/static/vendor/echarts.min.js" in page and "2026年11月讲评" in page


@pytest.mark.parametrize("indicator", ["closed", "overdue_open", "closure_rate", "on_time_handling_rate",
                                       "satisfaction_rate", "missed_report_rate"])
def test_cases_behind_page_through_to_the_figure(demo, indicator):
    client, _ = demo
    where = {"slice": "street:420106007"}
    figures = get(client, "/api/v1/assess/indicators", period=MONTH, **where).json()["total"]
    path, seen, marked = f"/api/v1/assess/indicators/{indicator}/cases", [], 0
    while True:  # by `after` (keyset), each page the same as by offset
        page = get(client, path, period=MONTH, limit=40, **({"after": seen[-1]} if seen else {}), **where).json()
        by_offset = get(client, path, period=MONTH, offset=len(seen), limit=40, **where).json()
        assert [c["id"] for c in page["cases"]] == [c["id"] for c in by_offset["cases"]]
        seen += [c["id"] for c in page["cases"]]
        marked += sum(c["in_numerator"] for c in page["cases"])
        if len(seen) >= page["total"] or not page["cases"]:
            break
    assert len(seen) == len(set(seen)) == page["total"]
    if indicator in ind.RATE:
        rate = ind.RATE[indicator]
        assert page["denominator"] == len(seen) == ind.denominator_of(rate, figures["counts"])
        assert marked == page["numerator"] == figures["counts"][rate.numerator]
        assert page["value"] == figures["rates"][indicator]
    else:
        assert len(seen) == page["value"] == figures["counts"][indicator]
    assert "reporter_phone" not in str(page)


def test_the_annual_paragraph_over_http(demo):
    client, _ = demo
    text = get(client, "/api/v1/assess/annual", year=2026).json()["text"]
    year = get(client, "/api/v1/assess/indicators", period="2026").json()["total"]
    c, r = year["counts"], year["rates"]
    numbers = dict(re.findall(r"(受理群众诉求|立案|办结|按期办结率|群众满意率)([\d.]+)", text))
    assert int(numbers["受理群众诉求"]) == c["reported"] and int(numbers["立案"]) == c["registered"]
    assert int(numbers["办结"]) == c["closed"]
    assert float(numbers["按期办结率"]) == round(100 * r["on_time_closure_rate"], 2)
    assert float(numbers["群众满意率"]) == round(100 * r["satisfaction_rate"], 2)


@pytest.mark.parametrize("params, field", [
    ({"from": "2026-11-30", "to": "2026-11-01"}, "to"),
    ({"from": "2026-11-3x", "to": "2026-11-30"}, "from"),
    ({"from": "2026-11-01"}, "to"),
    ({"period": "2026-13"}, "period"),
    ({"period": "十一月"}, "period"),
    ({"period": MONTH, "by": "planet"}, "by"),
    ({"period": MONTH, "slice": "street:999"}, "slice"),
    ({"period": MONTH, "slice": "nonsense"}, "slice"),
])
def test_bad_input_names_the_field(demo, params, field):
    client, _ = demo
    answer = client.get("/api/v1/assess/indicators", params=params)
    assert answer.status_code in (404, 422), answer.text
    assert answer.json()["field"] == field


def test_bad_figures_and_rankings(demo):
    client, _ = demo
    answer = client.get("/api/v1/assess/indicators/happiness/cases", params={"period": MONTH})
    assert answer.status_code == 422 and answer.json()["field"] == "indicator"
    for after in ("0", "x", "999999999"):  # not an id; no such case in the list
        answer = client.get("/api/v1/assess/indicators/closed/cases", params={"period": MONTH, "after": after})
        assert answer.status_code == 422 and answer.json()["field"] == "after", answer.text
    answer = client.get("/api/v1/assess/ranking", params={"period": MONTH, "weights": "closure_rate:x"})
    assert answer.status_code == 422 and answer.json()["field"] == "weights"
    answer = client.get("/api/v1/assess/ranking", params={"period": MONTH, "by": "grid"})
    assert answer.status_code == 422 and answer.json()["field"] == "by"
    empty = get(client, "/api/v1/assess/indicators", period="2024-02", by="department").json()
    assert empty["rows"] == [] and set(empty["total"]["counts"].values()) == {0}
    assert set(empty["total"]["rates"].values()) == {None}
    definitions = get(client, "/api/v1/assess/definitions").json()
    assert {c["key"] for c in definitions["counts"]} == set(ind.COUNT)


def run_cli(database_url, *args):
    """The real command in its own process: how a user meets its errors (exit 2, one line)."""
    env = {**os.environ, "CIVICLOOP_DATABASE_URL": database_url, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "civicloop", "assess", *args], check=False, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def cli(demo, monkeypatch):
    """The same commands in this process (a new interpreter per command is slow)."""
    from typer.testing import CliRunner

    from civicloop.cli import app
    from civicloop.settings import get_settings

    monkeypatch.setenv("CIVICLOOP_DATABASE_URL", demo[1])
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield lambda *args: CliRunner().invoke(app, ["assess", *args])
    get_settings.cache_clear()


def test_the_command_line(demo, cli, tmp_path):
    client, database_url = demo
    xlsx, page, table = tmp_path / "review.xlsx", tmp_path / "review.html", tmp_path / "by-street.xlsx"
    done = run_cli(database_url, "review", "--period", MONTH, "--xlsx", str(xlsx), "--html", str(page))
    assert done.returncode == 0, done.stderr
    assert "结案率" in done.stdout and xlsx.is_file()
    html = page.read_text(encoding="utf-8")
    assert "/static/vendor" not in html and len(html) > 500_000  # ECharts inline: opens offline
    total = get(client, "/api/v1/assess/indicators", period=MONTH).json()["total"]["counts"]
    assert_sums_match(openpyxl.load_workbook(xlsx), total)
    done = cli("--by", "street", "--from", "2026-11-01", "--to", "2026-11-30", "--xlsx", str(table))
    assert done.exit_code == 0, done.output
    sheet = openpyxl.load_workbook(table)["街道"]
    header = [c.value for c in sheet[3]]
    assert list(sheet.iter_rows(values_only=True))[-1][header.index("受理数")] == total["reported"]
    assert f"{total['reported']:,}" in done.output
    done = cli("ranking", "--period", MONTH, "--weight", "closure_rate=1")
    assert done.exit_code == 0 and "综合指标值" in done.output
    reported = get(client, "/api/v1/assess/indicators", period="2026").json()["total"]["counts"]["reported"]
    done = cli("annual", "--year", "2026")
    assert done.exit_code == 0 and f"全年受理群众诉求{reported}件" in done.output
    done = cli("cases", "overdue_open", "--period", MONTH)
    assert done.exit_code == 0 and "超期未结数" in done.output
    done = run_cli(database_url, "--from", "2026-11-30", "--to", "2026-11-01")
    assert done.returncode == 2 and "error: to:" in done.stderr, done.stderr
    for args, field in ((("--from", "2026-11-3x", "--to", "2026-11-30"), "from"),
                        (("--by", "planet", "--period", MONTH), "by"),
                        (("ranking", "--period", MONTH, "--weight", "closure_rate"), "weights")):
        done = cli(*args)
        assert done.exit_code != 0 and done.exception.field == field, (args, done.output)


def test_a_figure_counts_the_changes_committed_before_it_was_asked_for(demo):
    """A case change only marks its case; the reader of the figures brings them up to date
    before it reads (this server runs no sweep, whose holder would do it every second)."""
    import httpx

    from civicloop.assess import rollup
    from civicloop.db import transaction
    from civicloop.settings import local_now

    client, database_url = demo
    engine = migrated_engine(database_url)
    today = {"from": local_now().date().isoformat(), "to": local_now().date().isoformat()}
    before = get(client, "/api/v1/assess/indicators", **today).json()["total"]["counts"]["reported"]
    token = httpx.post(f"{client.base_url}".rstrip("/") + "/api/v1/auth/token",
                       data={"username": "operator1", "password": DEMO_PASSWORD}, timeout=30).json()["access_token"]
    made = client.post("/api/v1/cases", headers={"Authorization": f"Bearer {token}"},
                       json={"channel": "hotline", "title": "路灯不亮", "body": "积玉桥某路段路灯连续三晚不亮",
                             "district_code": "420106", "lon": 114.305, "lat": 30.545, "category": "010101"})
    assert made.status_code == 201, made.text
    with transaction(engine) as s:
        assert rollup.pending(s) == 1
    after = get(client, "/api/v1/assess/indicators", **today).json()["total"]["counts"]["reported"]
    assert after == before + 1
    with transaction(engine) as s:
        assert rollup.pending(s) == 0
