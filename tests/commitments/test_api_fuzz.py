"""A property-based run (schemathesis) of the commitments operations against the running
server, as the roles that reach them: no server error, every response true to the schema.
The whole API is fuzzed by tests/api/test_openapi_fuzz.py as dispatcher and admin; a
leader and a handler reach operations those two do not (督办, bulletins, progress)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.api.conftest import live  # noqa: F401  (the server fixture, shared)

EXAMPLES = int(os.environ.get("CIVICLOOP_FUZZ_EXAMPLES", "12"))


@pytest.mark.parametrize("role", ["supervisor", "handler_zj"])
def test_schemathesis_finds_no_server_error_on_commitments(live, role, tmp_path):  # noqa: F811
    made = live.client("supervisor").post("/api/v1/commitments", json={
        "kind": "commitment", "district_code": "420106", "year": 2026, "title": "建设口袋公园30个",
        "lead_department": "zj"})
    assert made.status_code == 201, made.text
    token = live.client(role).headers["Authorization"]
    cli = Path(sys.executable).with_name("schemathesis")
    command = [str(cli if cli.exists() else shutil.which("schemathesis")), "run", live.url + "/openapi.json",
               "--checks", "not_a_server_error,response_schema_conformance", "--max-examples", str(EXAMPLES),
               "--header", f"Authorization: {token}", "--generation-database", "none", "--seed", "20261122",
               "--no-color", "--workers", "1", "--suppress-health-check", "all",
               "--include-path-regex", "^/api/v1/commitments"]
    # One worker: generating cases compiles code with ast, which on CPython 3.11 is not safe from two
    # threads at once (a SystemError, 'AST constructor recursion depth mismatch', under load).
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=900, check=False)
    report = run.stdout[-6000:]
    assert run.returncode == 0, report
    assert "Tested:" in report and " 0 " not in report.split("Tested:")[1].splitlines()[0], report
