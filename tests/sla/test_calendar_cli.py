"""`civicloop calendar …` against a real database."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

import civicloop.db
from civicloop.cli import app
from civicloop.errors import CalendarUnknown

runner = CliRunner()


@pytest.fixture
def cli(engine, monkeypatch):
    monkeypatch.setattr(civicloop.db, "get_engine", lambda: engine)

    def run(*args):
        return runner.invoke(app, ["calendar", *args])
    return run


def test_check_set_add_list(cli, tmp_path):
    result = cli("check", "--year", "2027")
    assert result.exit_code == 1 and "未知" in result.output
    assert "chinesecalendar" in cli("check", "--year", "2025").output

    result = cli("add", "2026-12-31 16:00", "8")
    assert isinstance(result.exception, CalendarUnknown) and "2027-01-01" in str(result.exception)

    result = cli("set", "2027-01-01", "holiday", "--name", "元旦")
    assert result.exit_code == 0 and "未录入的日子按周一至周五上班" in result.output
    result = cli("check", "--year", "2027")
    assert result.exit_code == 0 and "休息 1 天" in result.output

    # Worked out in test_calendar: 1.5 h on Thu 31 Dec, then Mon 4 Jan until 17:00.
    assert "2027-01-04 17:00 周一" in cli("add", "2026-12-31 16:00", "8").output
    assert "2027-01-01 16:00" in cli("add", "2026-12-31T16:00", "24", "--natural").output

    csv_file = tmp_path / "2027.csv"
    csv_file.write_text("date,is_workday,name\n2027-02-14,班,春节调休上班\n", encoding="utf-8")
    assert "已导入 1 天" in cli("import", str(csv_file)).output
    assert cli("list", "--year", "2027").output.splitlines() == [
        "2027-01-01 周五 休息 元旦", "2027-02-14 周日 上班 春节调休上班"]

    assert cli("unset", "2027-02-14").exit_code == 0
    assert "2027-02-14" not in cli("list").output
