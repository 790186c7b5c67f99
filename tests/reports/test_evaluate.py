"""`civicloop reports evaluate`: precision, recall and F1 against gold files, the matching
rules, and gold files that are not in the documented shape."""
from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from civicloop.cli import app
from civicloop.errors import InvalidInput, NotFound
from civicloop.reports import service
from tests.reports.conftest import DATA, GOLD, STEMS

runner = CliRunner()


def test_the_five_reports_against_their_gold():
    result = service.evaluate(GOLD, DATA)
    assert [f.name for f in result.files] == STEMS
    targets, commitments = result.total("targets"), result.total("commitments")
    assert (targets.gold, commitments.gold) == (35, 20)
    assert targets.f1 >= 0.9 and commitments.f1 >= 0.9
    assert result.total("metadata").matched == 35


def test_a_changed_gold_value_costs_one_target(tmp_path):
    for stem in STEMS[:1]:
        shutil.copy(DATA / f"{stem}.txt", tmp_path)
        gold = json.loads((GOLD / f"{stem}.json").read_text(encoding="utf-8"))
        gold["targets"][0]["value"] = 99.0
        del gold["commitments"][-1]
        (tmp_path / f"{stem}.json").write_text(json.dumps(gold, ensure_ascii=False), encoding="utf-8")
    file = service.evaluate(tmp_path).files[0]
    assert (file.targets.found, file.targets.gold, file.targets.matched) == (7, 7, 6)
    assert file.targets.precision == file.targets.recall == pytest.approx(6 / 7)
    assert file.missed_targets == ("gdp 99.0",)
    assert (file.commitments.found, file.commitments.gold, file.commitments.matched) == (10, 9, 9)
    assert file.commitments.recall == 1.0 and file.commitments.precision == pytest.approx(0.9)


def test_commitments_match_one_to_one_by_the_largest_overlap():
    gold = [(0, 10), (10, 20)]
    assert service.match_commitments(gold, [(0, 20)]) == [(0, 0)] or service.match_commitments(gold, [(0, 20)]) == [(1, 0)]
    assert service.match_commitments(gold, [(2, 12), (12, 30)]) == [(0, 0), (1, 1)]
    assert service.match_commitments(gold, [(30, 40)]) == []


def test_malformed_gold_is_refused_naming_the_file_and_field(tmp_path):
    shutil.copy(DATA / f"{STEMS[0]}.txt", tmp_path)
    gold = json.loads((GOLD / f"{STEMS[0]}.json").read_text(encoding="utf-8"))
    gold["targets"][0]["kind"] = "guess"
    (tmp_path / f"{STEMS[0]}.json").write_text(json.dumps(gold), encoding="utf-8")
    with pytest.raises(InvalidInput) as refused:
        service.evaluate(tmp_path)
    assert refused.value.field.endswith(f"{STEMS[0]}.json:targets.0.kind")
    (tmp_path / f"{STEMS[0]}.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(InvalidInput, match="not a JSON file"):
        service.evaluate(tmp_path)


def test_a_folder_without_pairs_is_refused(tmp_path):
    with pytest.raises(NotFound):
        service.evaluate(tmp_path)
    with pytest.raises(NotFound):
        service.evaluate(tmp_path / "nowhere")


def test_cli_evaluate_prints_per_file_and_overall():
    out = runner.invoke(app, ["reports", "evaluate", "--gold", str(GOLD), "--reports", str(DATA), "--format", "json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert [r["file"] for r in rows] == [*STEMS, "overall"]
    assert rows[-1]["targets"]["gold"] == 35 and rows[-1]["commitments"]["gold"] == 20
    text = runner.invoke(app, ["reports", "evaluate", "--gold", str(GOLD), "--reports", str(DATA)])
    assert text.exit_code == 0 and "overall" in text.output


def test_cli_read_summary_and_json():
    path = DATA / "000_ffec1ac142b8e965.txt"
    out = runner.invoke(app, ["reports", "read", str(path), "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["metadata"]["delivered_on"] == "2012-12-25"
    assert len(data["targets"]) == 7 and len(data["commitments"]) == 10
    summary = runner.invoke(app, ["reports", "read", str(path)])
    assert summary.exit_code == 0
    assert "武汉市武昌区" in summary.output and "推进幸福社区建设" in summary.output


def test_gold_written_by_other_hands_is_understood(tmp_path):
    """Names for indicators, a fall written negative, a level for the value, fields left out
    or added: all still match; the metadata compared is what the gold gives."""
    stem = "004_d4abb190f6768d14"
    shutil.copy(DATA / f"{stem}.txt", tmp_path)
    gold = {"file": f"{stem}.txt", "annotator": "区政府办", "metadata": {"district": "岳阳楼区", "plan_year": 2016},
            "targets": [{"indicator": "地区生产总值", "value": 581}, {"indicator": "GDP", "value": 10},
                        {"indicator": "全面小康实现程度", "value": 90, "remark": "以上"}],
            "commitments": [{"source": {"text": "提质改造小街巷30条。", "start": 0, "end": 1}}]}
    text = (DATA / f"{stem}.txt").read_text(encoding="utf-8")
    at = text.index("提质改造小街巷30条。")
    gold["commitments"][0]["source"].update(start=at, end=at + len("提质改造小街巷30条。"))
    (tmp_path / f"{stem}.json").write_text(json.dumps(gold, ensure_ascii=False), encoding="utf-8")
    file = service.evaluate(tmp_path).files[0]
    assert (file.targets.gold, file.targets.matched) == (3, 2)    # one gdp target, read once
    assert (file.commitments.gold, file.commitments.matched) == (1, 1)
    assert (file.metadata.gold, file.metadata.matched) == (2, 2)


def test_a_fall_may_be_written_negative(tmp_path):
    stem = "001_69232ea0bb8e6e45"
    shutil.copy(DATA / f"{stem}.txt", tmp_path)
    gold = {"targets": [{"indicator": "energy_intensity", "value": -3.2}]}
    (tmp_path / f"{stem}.json").write_text(json.dumps(gold), encoding="utf-8")
    assert service.evaluate(tmp_path).files[0].targets.matched == 1
