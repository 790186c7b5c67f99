"""The benchmarks, run tiny, so that they keep working: each on SQLite and PostgreSQL.
Their figures are not checked here, only that they run and verify what they wrote."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request):
    """(db, the PostgreSQL server's URL or None); PostgreSQL skips or fails like tests/conftest.py."""
    pg_url = request.getfixturevalue("postgresql_database_url") if request.param == "postgresql" else None
    return request.param, pg_url


def _run(script: str, db, tmp_path, *args) -> dict:
    name, pg_url = db
    command = [sys.executable, str(BENCHMARKS / script), "--db", name, "--tag", f"_smoke_{os.getpid()}",
               "--results", str(tmp_path), "--quiet-wait", "0", *args]
    if pg_url:
        command += ["--pg-url", pg_url]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads((tmp_path / f"{script.removesuffix('.py')}-{name}.json").read_text())


def test_lifecycle_runs_and_verifies(db, tmp_path):
    result = _run("lifecycle.py", db, tmp_path, "--cases", "6", "--workers", "2", "--cell-area", "1000000",
                  "--pgbench-seconds", "1")
    (run,) = result["runs"]
    assert run["verified"] == {"cases": 6, "closed": 6, "events": 36, "problems": [], "figures_closed": 6,
                               "events_by_action": dict.fromkeys(
                                   ("report", "register", "dispatch", "accept", "feedback", "verify_pass"), 6)}
    assert run["failure_count"] == 0 and run["per_action"]["dispatch"]["calls"] == 6
    assert run["catch_up"]["during"] + run["catch_up"]["tail"] >= 6  # (a case taken mid-way is taken again)
    assert (db[0] == "postgresql") == ("pgbench" in result)


def test_sweep_runs_and_verifies(db, tmp_path):
    result = _run("sweep.py", db, tmp_path, "--open", "3000", "--crossing", "0.02", "--runs", "1",
                  "--sweepers", "2")
    (run,) = result["runs"]
    assert result["due"] == 60 and result["problems"] == []
    assert run["changed"] == run["events"] == 60 and run["cases_with_two_events"] == 0
    assert result["raw_update"][0]["rows"] == 60
    if db[0] == "postgresql":
        assert result["concurrent"]["events"] == 60 and result["concurrent"]["cases_with_two_events"] == 0


def test_assess_scale_runs_and_checks_the_rollup(db, tmp_path):
    result = _run("assess_scale.py", db, tmp_path, "--cases", "3000", "--runs", "1", "--months", "1",
                  "--cell-area", "1000000", "--check")
    assert result["cases"] == 3000 and result["events"] > 3000 and result["problems"] == []
    assert result["checked"] is True  # one month recounted live equals the rollup's figures
    timed = [f"{by}_{kind}_s" for by in ("grid", "category", "channel", "street")
             for kind in ("month", "week", "quarter", "year", "span", "all", "worst")]
    assert all(result[key] > 0 for key in timed)
    assert result["department_by_month_cells"] > 0 and result["own_group_by_s"] > 0 and result["duckdb_group_by_s"] > 0
