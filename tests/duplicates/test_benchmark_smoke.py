"""benchmarks/duplicates.py, run tiny on SQLite and PostgreSQL so that it keeps working:
it must load the cases, check every draft and find every rewritten copy it planted."""
from __future__ import annotations

from tests.benchmarks.test_benchmarks_smoke import _run, db  # noqa: F401  (the fixture, shared)


def test_duplicates_benchmark_runs_and_finds_its_rewrites(db, tmp_path):  # noqa: F811
    result = _run("duplicates.py", db, tmp_path, "--open", "2000", "--drafts", "40", "--runs", "1",
                  "--cell-area", "250000", "--days", "5")
    (run,) = result["runs"]
    assert result["open"] == 2000 and result["problems"] == []
    assert run["rewrites"] > 10 and run["rewrites_found"] == run["rewrites"]
    assert 0 < run["p50_ms"] <= run["p95_ms"] <= run["p99_ms"] <= run["max_ms"]
