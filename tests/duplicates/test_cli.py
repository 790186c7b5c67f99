"""`civicloop duplicates check REF` through the root command."""
from __future__ import annotations

from typer.testing import CliRunner

from civicloop import cli
from civicloop.db import transaction
from civicloop.duplicates import cli as duplicates_cli
from tests.duplicates.conftest import cell_center, messages, rewrite

runner = CliRunner()


def test_check_prints_candidates_with_reasons(world, monkeypatch):
    monkeypatch.setattr(duplicates_cli, "transaction", lambda: transaction(world.engine))
    message = messages(1, seed=31)[0]
    lon, lat = cell_center(6, 3)
    first = world.create(title=message.title, body=message.body, lon=lon, lat=lat)
    title, text = rewrite(message)
    second = world.create(title=title, body=text, lon=lon, lat=lat)
    found = runner.invoke(cli.app, ["duplicates", "check", second.number], env={"COLUMNS": "250"})
    assert found.exit_code == 0, found.output
    assert first.number in found.output and "同一网格" in found.output and "文本相似" in found.output
    lonely = world.create(title="井盖缺失", body="人行道上的井盖不见了，很危险", lon=cell_center(0, 9)[0],
                          lat=cell_center(0, 9)[1])
    none = runner.invoke(cli.app, ["duplicates", "check", str(lonely.id)])
    assert none.exit_code == 0 and "没有疑似重复" in none.output
    unknown = runner.invoke(cli.app, ["duplicates", "check", "999999"])
    assert unknown.exit_code != 0 and "no case" in str(unknown.exception)
    bad = runner.invoke(cli.app, ["duplicates", "check", second.number, "--window-days", "0"])
    assert bad.exit_code != 0 and "window_days" in str(bad.exception)
