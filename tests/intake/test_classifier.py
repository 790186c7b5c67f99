"""The classifier on real messages it was not trained on, its calibration, the split, the
reading of labelled CSV files, and input it knows nothing of."""
from __future__ import annotations

import numpy as np
import pytest
import sklearn

from civicloop.errors import InvalidInput, NotFound
from civicloop.intake import classifier as model


def test_beats_the_majority_class_on_the_held_out_fifth(split, trained):
    fit_on, held_out = split
    ours = model.measure(lambda batch: [p.label for p in trained.predict_many([(e.title, e.text) for e in batch])],
                         held_out)
    majority = model.measure(model.majority_predictor(fit_on), held_out)
    assert ours["macro_f1"] >= 0.80, ours
    assert ours["macro_f1"] >= majority["macro_f1"] + 0.5, (ours, majority)
    assert ours["accuracy"] > majority["accuracy"] + 0.5
    assert all(f >= 0.6 for _, _, f, _ in ours["per_class"].values()), ours["per_class"]


def test_confident_answers_are_mostly_right_and_most_are_confident(split, trained):
    held_out = split[1]
    predictions = trained.predict_many([(e.title, e.text) for e in held_out])
    confident = [p.label == e.label for e, p in zip(held_out, predictions) if p.applicable]
    assert len(confident) >= 0.6 * len(held_out)
    assert np.mean(confident) >= 0.92
    unsure = [p.label == e.label for e, p in zip(held_out, predictions) if not p.applicable]
    assert np.mean(unsure) < np.mean(confident)  # the confidence means something
    for p in predictions[:50]:
        assert len(p.alternatives) == 3 and p.alternatives[0].label == p.label
        assert p.alternatives[0].confidence >= p.alternatives[1].confidence >= p.alternatives[2].confidence
        assert sum(a.confidence for a in p.alternatives) <= 1.0 + 1e-9


def test_a_message_and_its_near_copy_never_sit_on_both_sides(carried, groups):
    assert len(set(groups)) < len(carried)  # the carried data has copies; they must be grouped
    texts: dict[str, int] = {}
    for example, group in zip(carried, groups):
        key = model.clean(example.title + example.text)
        assert texts.setdefault(key, group) == group, "an exact copy in another group"
    for fit_on, held_out in model.folds(carried, groups=groups):
        assert not set(groups[fit_on]) & set(groups[held_out])


def test_model_file_round_trip_and_another_scikit_learn_is_refused(trained, tmp_path):
    path = model.save(trained, tmp_path / "m.joblib")
    again = model.load(path)
    message = ("噪音扰民", "小区旁工地每天夜里施工到凌晨两点，噪音太大无法入睡")
    assert again.predict(*message) == trained.predict(*message)
    assert again.meta["sklearn"] == sklearn.__version__ and len(again.meta["data_hash"]) == 64
    trained.meta["sklearn"], kept = "0.0.1", trained.meta["sklearn"]
    try:
        model.save(trained, path)
    finally:
        trained.meta["sklearn"] = kept
    with pytest.raises(model.ModelUnavailable, match="scikit-learn 0.0.1"):
        model.load(path)
    with pytest.raises(model.ModelUnavailable, match="intake train"):
        model.load(tmp_path / "missing.joblib")
    (tmp_path / "junk.joblib").write_bytes(b"not a model")
    with pytest.raises(model.ModelUnavailable, match="cannot be read"):
        model.load(tmp_path / "junk.joblib")


@pytest.mark.parametrize("text", [
    "The street light outside our building has been broken for a week, please fix it.",
    "家の前の街灯が一週間も壊れたままです。早く直してください。",
    "우리 집 앞 가로등이 일주일째 고장났습니다. 빨리 고쳐 주세요.",
    "12345 67890 !!! ???",
])
def test_other_languages_are_flagged_and_never_applicable(trained, text):
    p = trained.predict(None, text)
    assert p.not_chinese and not p.applicable
    assert p.label in trained.classes and 0 < p.confidence <= 1


def test_chinese_with_latin_letters_and_digits_is_chinese(trained):
    p = trained.predict("WIFI信号差", "小区4G和WIFI信号一直很差，电信营业厅说不归他们管，请问找谁")
    assert not p.not_chinese


def test_only_the_start_of_a_huge_message_is_read(trained):
    start = "学校乱收费，每个学生每学期要交补课费五百元，家长负担很重。"
    huge = trained.predict(None, start + "的" * 50_000)
    assert huge.truncated and huge.label == trained.predict(None, start + "的" * (model.TEXT_CHARS - len(start))).label
    assert not trained.predict(None, start).truncated


def _csv(tmp_path, text: str | bytes):
    path = tmp_path / "m.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


@pytest.mark.parametrize("content,words", [
    ("title,text\n,路灯坏了\n", ["label1", "missing column"]),
    ("", ["empty"]),
    ("id,user,title,time,text,label1,source\n", ["no messages"]),
    ("title,text,label1\n,路灯坏了,城乡建设\n,路灯又坏了,\n", ["line 3", "label1"]),
    ("title,text,label1\n,路灯坏了,城乡建设\n,,城乡建设\n", ["line 3", "text"]),
    ("title,text,label1\n,路灯坏了,城乡建设,多余\n", ["line 2", "more cells"]),
    ("title,text,label1\n,路灯坏了,城乡建设\n".encode() + b",\xff\xfe\xfd,x\n", ["line 3", "UTF-8"]),
])
def test_malformed_csv_names_the_column_or_line(tmp_path, content, words):
    with pytest.raises(InvalidInput) as e:
        model.read_examples(_csv(tmp_path, content))
    assert e.value.field == "messages"
    for word in words:
        assert word in e.value.detail, e.value.detail


def test_csv_with_a_bom_and_excel_line_breaks_reads(tmp_path):
    examples = model.read_examples(_csv(tmp_path, "\ufefftitle,text,label1\n,路灯_x000D_坏了,城乡建设\n"))
    assert examples == [model.Example("", "路灯 坏了", "城乡建设")]
    with pytest.raises(NotFound):
        model.read_examples(tmp_path / "none.csv")


def test_the_quick_scoring_path_equals_scikit_learns(split, trained):
    pairs = [(model.clean(e.title), model.clean(e.text)) for e in split[1][:300]]
    pairs += [("", "的"), ("", "☃☃☃"), ("噪音", "")]  # one character, unseen n-grams only, a title alone
    assert np.allclose(trained.scores(pairs), model._scores(trained.parts, pairs), atol=1e-9)
