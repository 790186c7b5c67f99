"""`civicloop hot --messages` and the CSV reader: the real file is read whole; a file that
is not such a CSV is refused with the line and column at fault, never a crash."""
from __future__ import annotations

import subprocess
import sys

import pytest

from civicloop.errors import InvalidInput
from civicloop.hot.service import MESSAGE_COLUMNS, hot_messages, read_messages
from tests.hot.conftest import HOT_MESSAGES, real_messages

HEADER = ",".join(MESSAGE_COLUMNS) + "\n"
ROW = "1,A001,A2区丽发新城附近搅拌站噪音扰民,2019-11-13T10:00:00,丽发新城附近建搅拌站噪音扰民,3,1\n"


def test_the_real_file_is_read_whole():
    reports = real_messages()
    assert len(reports) == 4326
    assert sum(r.likes > 0 for r in reports.values()) == 1277
    assert all(r.title or r.text for r in reports.values())


@pytest.mark.parametrize("content,why", [
    (b"", "empty"),
    (HEADER.encode(), "no messages"),
    (b"id,title,text\n1,a,b\n", "missing column"),
    ((HEADER + ROW.replace("2019-11-13T10:00:00", "13/11/2019")).encode(), "line 2: time"),
    ((HEADER + ROW.replace(",3,1", ",many,1")).encode(), "likes"),
    ((HEADER + ROW.replace(",3,1", ",-3,1")).encode(), "likes"),
    ((HEADER + ROW + "2,A002,只有标题\n").encode(), "line 3"),
    ((HEADER + ROW).encode("gb18030"), "UTF-8"),
    ((HEADER + ",A001,,2019-11-13T10:00:00,,0,0\n").encode(), "empty id"),
])
def test_malformed_files_are_refused(tmp_path, content, why):
    path = tmp_path / "messages.csv"
    path.write_bytes(content)
    with pytest.raises(InvalidInput) as refused:
        read_messages(path)
    assert refused.value.field == "messages" and why in refused.value.detail


def test_excel_bom_and_other_languages_are_read():
    english = "2,B001,Noise from the plant,2019-11-14T08:00:00,The plant is loud at night,0,0\n"
    reports = read_messages(("\ufeff" + HEADER + ROW + english).encode())
    assert [r.ref for r in reports] == ["1", "2"] and reports[0].likes == 3 and reports[0].district == "A2区"
    assert hot_messages(reports, top=5).topics == []  # two matters, no shared place: no topic


@pytest.mark.parametrize("days,top", [(0, 10), (-1, 10), (400, 10), (7, 0), (7, 1000)])
def test_days_and_top_out_of_range(days, top):
    with pytest.raises(InvalidInput):
        hot_messages(list(real_messages().values()), top=top, days=days)


def test_the_last_days_of_a_file():
    result = hot_messages(list(real_messages().values()), top=10, days=30)
    assert (result.until - result.since).days == 30
    assert result.reports < 4326 and all(t.first_at > result.since for t in result.topics)
    assert all(t.heat.age_days <= 30 for t in result.topics)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "civicloop", "hot", *args], check=False, capture_output=True,
                          text=True, timeout=300, env={"COLUMNS": "160", "PATH": ""})


def test_cli_over_the_real_file():
    done = _cli("--messages", str(HOT_MESSAGES), "--top", "5", "--refs")
    assert done.returncode == 0, done.stderr
    assert "4326 条留言" in done.stdout and "热点问题" in done.stdout
    listed = [line for line in done.stdout.splitlines() if line[:2] in ("1.", "2.", "3.", "4.", "5.")]
    assert len(listed) == 5
    assert all(ref in real_messages() for line in listed for ref in line.split(": ", 1)[1].split(", "))


def test_cli_refuses_an_empty_file_with_one_line(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    done = _cli("--messages", str(empty))
    assert done.returncode == 2 and "messages: the file is empty" in done.stderr
    assert "Traceback" not in done.stderr
    assert _cli("--messages", str(tmp_path / "missing.csv")).returncode == 2
