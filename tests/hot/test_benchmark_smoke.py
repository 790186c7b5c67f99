"""benchmarks/hot.py keeps working: a small run writes its figures (not a speed test)."""
from __future__ import annotations

import json
import subprocess
import sys

from civicloop.settings import PROJECT_DIR


def test_the_benchmark_runs(tmp_path):
    done = subprocess.run([sys.executable, str(PROJECT_DIR / "benchmarks" / "hot.py"), "--cases", "3000", "--runs",
                           "1", "--results", str(tmp_path)], check=False, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads((tmp_path / "hot.json").read_text())
    (run,) = result["runs"]
    assert result["cases"] == 3000 and run["topics"] > 0 and run["cpu_seconds"] > 0
    # Most planted topics come out whole (7 of the 9 of this seed): the grouping finds what
    # was planted.
    assert run["planted"] >= 5 and run["planted_whole"] >= 0.7 * run["planted"]
