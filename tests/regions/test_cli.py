"""`civicloop init`, `grids import/export`, `regions list/locate` through the root command."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from civicloop import cli
from civicloop.db import transaction
from civicloop.regions import cli as regions_cli

runner = CliRunner()


@pytest.fixture
def invoke(engine, monkeypatch):
    monkeypatch.setattr(regions_cli, "transaction", lambda: transaction(engine))

    def run(*args):
        return runner.invoke(cli.app, list(args))
    return run


def test_init_list_export_import_locate(invoke, tmp_path):
    result = invoke("init", "--district", "310104", "--cell-area", "250000")
    assert result.exit_code == 0, result.output
    assert "上海市徐汇区" in result.output and "GCJ-02" in result.output

    again = invoke("init", "--district", "310104", "--cell-area", "250000")
    assert again.exit_code != 0 and "already exists" in str(again.exception)

    listed = invoke("regions", "list")
    assert "310104" in listed.output and "徐汇区" in listed.output
    tree = invoke("regions", "list", "--district", "310104")
    assert "天平路街道" in tree.output and "居委会" in tree.output

    out = tmp_path / "grid.geojson"
    assert invoke("grids", "export", "--district", "310104", "--out", str(out)).exit_code == 0
    collection = json.loads(out.read_text(encoding="utf-8"))
    assert collection["coordinate_system"] == "GCJ-02" and collection["features"]

    imported = invoke("grids", "import", str(out), "--district", "310104")
    assert imported.exit_code == 0 and f"imported {len(collection['features'])} cells" in imported.output

    first = collection["features"][0]
    x, y = first["geometry"]["coordinates"][0][0]  # a corner: on the cell's edge, so the cell itself or a neighbour
    located = invoke("regions", "locate", str(x), str(y), "--district", "310104")
    assert located.exit_code == 0 and "grid 310104" in located.output


def test_bad_files_are_named(invoke, tmp_path):
    missing = invoke("grids", "import", str(tmp_path / "nope.geojson"), "--district", "310104")
    assert missing.exception.field == "file"
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json", encoding="utf-8")
    assert invoke("init", "--district", "310104", "--boundary", str(bad)).exception.field == "file"
