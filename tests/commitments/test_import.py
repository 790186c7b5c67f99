"""A real work report (武昌区, delivered 2012-12-25, planning 2013) read and tracked: one item
per target and per 实事, each with its sentence; a second import makes nothing twice; the
same report in GB18030 gives the same items; a file that is no text is refused."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from civicloop.commitments import service
from civicloop.commitments.imports import import_reading, target_title
from civicloop.commitments.models import TrackedItem
from civicloop.db import transaction
from civicloop.errors import CivicloopError, InvalidInput
from civicloop.reports.reader import read_bytes

# The reports' tests keep the five real reports as found.
REPORT = Path(__file__).resolve().parents[1] / "reports" / "data" / "000_ffec1ac142b8e965.txt"
NOW = dt.datetime(2013, 1, 5, 9)


def run(tracking, data: bytes, name: str = REPORT.name, **kw):
    reading = read_bytes(data, name)
    with transaction(tracking.engine) as s:
        return reading, import_reading(s, reading, district_code="420106", lead_department="zj",
                                       actor=tracking.actor("supervisor"), now=NOW, **kw)


def items(tracking) -> list[TrackedItem]:
    with transaction(tracking.engine) as s:
        found = service.list_items(s, district_code="420106")
        s.expunge_all()
        return found


def test_every_target_and_commitment_becomes_an_item_with_its_sentence(tracking):
    data = REPORT.read_bytes()
    reading, result = run(tracking, data)
    assert result.year == 2013 == reading.metadata.plan_year
    made = items(tracking)
    assert len(made) == len(result.created) == len(reading.targets) + len(reading.commitments)
    targets = [i for i in made if i.kind == "target"]
    assert [t.title for t in targets] == [target_title(t) for t in reading.targets]
    assert "地区生产总值增长12%以上" in [t.title for t in targets]
    gdp = next(t for t in targets if t.title == "地区生产总值增长12%以上")
    assert (gdp.quantity, gdp.unit) == (12, "%")
    original = data.decode("utf-8")
    for item, source in zip(made, [t.source for t in reading.targets] + [c.source for c in reading.commitments]):
        assert item.source_sentence == source.text == original[source.start:source.end]
    commitments = [i for i in made if i.kind == "commitment"]
    assert [c.title for c in commitments] == [c.title for c in reading.commitments]
    parks = next(c for c in commitments if c.title == "推进幸福社区建设")
    assert (parks.quantity, parks.unit) == (46, "个") and "创建46个幸福社区" in parks.body
    assert all(i.year == 2013 and i.due == dt.date(2013, 12, 31) for i in made)


def test_a_second_import_makes_nothing_twice(tracking):
    _, first = run(tracking, REPORT.read_bytes())
    _, again = run(tracking, REPORT.read_bytes())
    assert again.created == [] and again.already == len(first.created)
    assert len(items(tracking)) == len(first.created)


def test_the_same_report_in_gb18030_gives_the_same_items(tracking):
    _, first = run(tracking, REPORT.read_bytes())
    utf8_titles = [i.title for i in items(tracking)]
    _, second = run(tracking, REPORT.read_bytes().decode("utf-8").encode("gb18030"), year=2014)
    assert len(second.created) == len(first.created)
    assert [i.title for i in items(tracking) if i.year == 2014] == utf8_titles


def test_what_is_no_report_is_refused_and_nothing_written(tracking):
    with pytest.raises(CivicloopError):
        run(tracking, bytes(range(256)) * 40, name="scan.pdf")
    with pytest.raises(InvalidInput) as refused:
        run(tracking, "今天天气很好。".encode(), name="note.txt")   # no year planned, none given
    assert refused.value.field == "year"
    with pytest.raises(InvalidInput) as refused:
        reading = read_bytes(REPORT.read_bytes(), REPORT.name)
        with transaction(tracking.engine) as s:
            import_reading(s, reading, district_code="420106", lead_department="nope",
                           actor=tracking.actor("supervisor"), now=NOW)
    assert refused.value.field == "lead_department"
    with transaction(tracking.engine) as s:
        assert s.scalar(select(func.count()).select_from(TrackedItem)) == 0


def test_the_command_reads_a_gb18030_file_and_refuses_one_that_is_no_text(tracking, tmp_path, database_url,
                                                                          monkeypatch):
    from typer.testing import CliRunner

    from civicloop.cli import app
    from civicloop.settings import get_settings
    from civicloop.users.models import User
    with transaction(tracking.engine) as s:
        s.add(User(username="leader", name="李区长", role="supervisor"))
    gb = tmp_path / "武昌区政府工作报告.txt"
    gb.write_bytes(REPORT.read_bytes().decode("utf-8").encode("gb18030"))
    scan = tmp_path / "scan.txt"
    scan.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20)
    monkeypatch.setenv("CIVICLOOP_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        done = runner.invoke(app, ["commitments", "import", str(gb), "--district", "420106", "--lead", "zj",
                                   "--as", "leader", "--at", "2013-01-05T09:00"])
        assert done.exit_code == 0, done.output
        reading = read_bytes(gb.read_bytes(), gb.name)
        made = len(reading.targets) + len(reading.commitments)
        assert f"2013年: 新建跟踪事项 {made} 项（目标 {len(reading.targets)}、实事 {len(reading.commitments)}）" \
            in done.output
        refused = runner.invoke(app, ["commitments", "import", str(scan), "--district", "420106", "--lead", "zj",
                                      "--as", "leader"])
        assert refused.exit_code != 0 and isinstance(refused.exception, CivicloopError)
    finally:
        get_settings.cache_clear()
    assert len(items(tracking)) == made and items(tracking)[0].title == target_title(reading.targets[0])
