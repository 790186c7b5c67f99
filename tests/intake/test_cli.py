"""`civicloop intake evaluate` and `civicloop intake classify`, run as a user runs them."""
from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest

from civicloop.intake import classifier as model
from tests.intake.conftest import cli_env
from tests.intake.test_intake_service import ENGLISH


def run(*args, env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "civicloop", "intake", *args], capture_output=True, text=True, check=False,
                          env={**env, "COLUMNS": "200"}, timeout=300)


def write_messages(path, examples) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(model.COLUMNS)
        for number, e in enumerate(examples):
            writer.writerow([number, "", e.title, "", e.text, e.label, "test"])


def test_evaluate_prints_figures_per_class_and_the_majority_beside(tmp_path, split, model_file):
    held_out = split[1][::6]
    write_messages(tmp_path / "held-out.csv", held_out)
    done = run("evaluate", "--messages", str(tmp_path / "held-out.csv"), env=cli_env(model_file))
    assert done.returncode == 0, done.stderr
    for word in ("accuracy", "macro-F1", "our model", "majority class", "precision", "recall",
                 *{e.label for e in held_out}):
        assert word in done.stdout, word
    assert "training data" not in done.stdout
    figures = json.loads(run("evaluate", "--messages", str(tmp_path / "held-out.csv"), "--json",
                             env=cli_env(model_file)).stdout)
    assert figures["messages"] == len(held_out) and figures["in_training"] == 0
    assert figures["model"]["macro_f1"] >= figures["majority"]["macro_f1"] + 0.5


def test_evaluate_says_when_messages_were_trained_on(tmp_path, split, model_file):
    write_messages(tmp_path / "seen.csv", split[0][:20])
    done = run("evaluate", "--messages", str(tmp_path / "seen.csv"), env=cli_env(model_file))
    assert done.returncode == 0 and "20 of 20 messages were in the model's training data" in done.stdout


@pytest.mark.parametrize("content,words", [
    (b"title,text\n,x\n", ["label1"]),
    (b"", ["empty"]),
    (b"title,text,label1\n,\xff\xfe,x\n", ["line 2", "UTF-8"]),
])
def test_evaluate_refuses_a_malformed_file_with_exit_code_2(tmp_path, model_file, content, words):
    (tmp_path / "bad.csv").write_bytes(content)
    done = run("evaluate", "--messages", str(tmp_path / "bad.csv"), env=cli_env(model_file))
    assert done.returncode == 2
    for word in words:
        assert word in done.stderr


def test_classify_prints_category_confidence_and_alternatives(tmp_path, trained, model_file):
    text = "小区旁工地每天夜里施工到凌晨两点，噪音太大无法入睡，请有关部门管一管"
    expected = trained.predict("噪音扰民", text)
    done = run("classify", text, "--title", "噪音扰民", env=cli_env(model_file))
    assert done.returncode == 0, done.stderr
    assert expected.label in done.stdout and f"{expected.confidence:.2f}" in done.stdout
    assert all(a.label in done.stdout for a in expected.alternatives)
    (tmp_path / "many.csv").write_text(f"title,text\n,{text}\n,{ENGLISH}\n", encoding="utf-8")
    done = run("classify", "--csv", str(tmp_path / "many.csv"), env=cli_env(model_file))
    assert done.returncode == 0 and "not Chinese" in done.stdout and expected.label in done.stdout


def test_classify_bad_input_and_no_model(tmp_path, model_file):
    done = run("classify", "  ", env=cli_env(model_file))
    assert done.returncode == 2 and "text" in done.stderr
    (tmp_path / "gaps.csv").write_text("title,text\n,路灯坏了\n,\n", encoding="utf-8")
    done = run("classify", "--csv", str(tmp_path / "gaps.csv"), env=cli_env(model_file))
    assert done.returncode == 2 and "message 2" in done.stderr
    done = run("classify", "路灯坏了", env=cli_env(tmp_path / "none.joblib"))
    assert done.returncode == 2 and "civicloop intake train" in done.stderr


def test_classify_names_the_department_from_the_district_rules(engine, database_url, model_file, held_out_by_label):
    from tests.cases.conftest import build_world
    world = build_world(engine)
    example = held_out_by_label["城乡建设"][0]
    done = run("classify", example.text, "--district", "420106",
               env={**cli_env(model_file), "CIVICLOOP_DATABASE_URL": database_url})
    assert done.returncode == 0, done.stderr
    assert "区住建局" in done.stdout and world.departments["zj"]


def test_train_without_a_migrated_database_says_what_to_do(tmp_path, model_file):
    done = run("train", "--output", str(tmp_path / "m.joblib"),
               env={**cli_env(model_file), "CIVICLOOP_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"})
    assert done.returncode == 2 and "civicloop db upgrade" in done.stderr and "--no-corrections" in done.stderr
    assert not (tmp_path / "m.joblib").exists()
