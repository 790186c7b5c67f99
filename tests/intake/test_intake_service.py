"""Intake fills the category in when the model is confident, keeps every suggestion, and
keeps each category a person sets or changes as a labelled example that retraining uses
(on SQLite and PostgreSQL)."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from civicloop.cases import service as cases
from civicloop.categories.models import Category
from civicloop.db import transaction
from civicloop.departments.models import RoutingRule
from civicloop.errors import Forbidden, InvalidInput
from civicloop.intake import classifier as model
from civicloop.intake import service
from civicloop.intake.models import LabelledExample, Suggestion
from civicloop.settings import get_settings
from tests.cases.conftest import MONDAY, build_world

ENGLISH = "The street light outside our building has been broken for a week, please fix it."


@pytest.fixture
def world(engine):
    return build_world(engine)


def add_top_category(world, name: str, department: str) -> int:
    """A first-level category of the carried taxonomy routed to one of the world's departments."""
    with transaction(world.engine) as s:
        top = Category(code=f"{90 + len(world.categories)}", name=name, level=1)
        s.add(top)
        s.flush()
        s.add(RoutingRule(category_id=top.id, region_code=None, department_id=world.departments[department]))
        world.categories[top.code] = top.id
        return top.id


def create(world, example: model.Example | None = None, **fields):
    if example is not None:
        fields.update(title=(example.title or example.text)[:30], body=example.text)
    return world.create(category=None, **fields)


def suggestion(world, case_id: int) -> Suggestion | None:
    with transaction(world.engine) as s:
        return s.get(Suggestion, case_id)


def test_a_confident_case_gets_its_category_its_limits_and_its_department(world, use_model, held_out_by_label):
    example = held_out_by_label["城乡建设"][0]
    case = create(world, example)
    assert case.category_id == world.categories["01"]
    kept = suggestion(world, case.id)
    assert kept.applied and kept.label == "城乡建设" and not kept.low_confidence and not kept.not_chinese
    assert kept.alternatives[0]["label"] == "城乡建设" and len(kept.alternatives) == 3
    assert kept.model_version == model.load(use_model).version
    assert case.deadline == MONDAY.replace(hour=11)  # 城乡建设's dispatch limit: 2 working hours
    world.act(case.id, "register", "dispatcher", MONDAY)
    dispatched = world.act(case.id, "dispatch", "dispatcher", MONDAY)  # no department given: routing picks
    assert dispatched.lead_department_id == world.departments["zj"]


def test_a_category_the_taxonomy_lacks_is_only_suggested(world, use_model, held_out_by_label):
    label = next(name for name in held_out_by_label if name != "城乡建设")
    case = create(world, held_out_by_label[label][0])
    assert case.category_id is None
    kept = suggestion(world, case.id)
    assert kept.label == label and not kept.applied


@pytest.mark.parametrize("text", [ENGLISH, "家の前の街灯が一週間も壊れたままです。", "집 앞 가로등이 고장났습니다."])
def test_another_language_is_never_filled_in(world, use_model, text):
    case = create(world, title=text[:20], body=text)
    assert case.category_id is None
    kept = suggestion(world, case.id)
    assert kept.not_chinese and not kept.applied


def test_a_case_that_comes_with_a_category_is_not_classified(world, use_model):
    case = world.create(category="0102", title="违建", body="楼顶加盖")
    assert case.category_id == world.categories["0102"] and suggestion(world, case.id) is None


def test_without_a_model_intake_goes_on_and_warns_once(world, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("CIVICLOOP_INTAKE_MODEL", str(tmp_path / "none.joblib"))
    get_settings.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="civicloop.intake.service"):
            first = create(world, title="路灯不亮", body="积玉桥某路段路灯连续三晚不亮")
            second = create(world, title="噪音", body="工地夜间施工噪音扰民")
        assert first.category_id is None and second.category_id is None
        assert suggestion(world, first.id) is None
        warnings = [r for r in caplog.records if "not classified automatically" in r.getMessage()]
        assert len(warnings) == 1 and "intake train" in warnings[0].getMessage()
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_reclassify_keeps_a_labelled_example_and_retraining_uses_it(world, use_model, held_out_by_label, carried):
    label = next(name for name in held_out_by_label if name != "城乡建设")
    example = held_out_by_label[label][0]
    case = create(world, example)
    assert case.category_id is None
    with pytest.raises(Forbidden):
        world.act(case.id, "reclassify", "handler", MONDAY, category="0102")
    with pytest.raises(InvalidInput) as e:
        world.act(case.id, "reclassify", "dispatcher", MONDAY)
    assert e.value.field == "category"
    world.act(case.id, "reclassify", "operator", MONDAY, category="01")
    changed = world.act(case.id, "reclassify", "dispatcher", MONDAY, category="城乡建设/违法建设")
    assert changed.category_id == world.categories["0102"] and changed.state == "reported"
    with transaction(world.engine) as s:
        kept = list(s.scalars(select(LabelledExample).order_by(LabelledExample.id)))
        assert [(k.label, k.previous_label, k.category_path) for k in kept] == [
            ("城乡建设", None, "城乡建设"), ("城乡建设", "城乡建设", "城乡建设/违法建设")]
        assert kept[1].text == example.text and kept[1].case_id == case.id
        assert kept[1].actor_id == world.actors["dispatcher"].user_id
        assert cases.rebuild_mismatches(s, s.get(cases.Case, case.id)) == {}  # the change is in the event log
        examples = service.training_examples(s)
    added = examples[len(carried):]
    assert len(examples) == len(carried) + 1  # corrected twice, counted once with its final label
    assert [(e.text, e.label, e.weight) for e in added] == [(model.clean(example.text), "城乡建设",
                                                             service.CORRECTION_WEIGHT)]
    retrained = model.train(examples, calibrate=False)
    assert model.fingerprint(added[0]) in retrained.meta["fingerprints"]
    assert retrained.meta["examples"] == len(carried) + 1
    assert retrained.meta["data_hash"] != model.data_hash(carried)


def test_reclassify_only_before_the_case_goes_out(world, use_model):
    case = world.create(category="01")
    world.act(case.id, "register", "dispatcher", MONDAY)
    world.act(case.id, "dispatch", "dispatcher", MONDAY)
    with pytest.raises(Exception) as e:
        world.act(case.id, "reclassify", "dispatcher", MONDAY, category="0102")
    assert getattr(e.value, "state", None) == "dispatched"


def test_classify_names_the_department_of_each_alternative(world, use_model, held_out_by_label):
    education = add_top_category(world, "教育文体", "jyq")
    example = held_out_by_label["教育文体"][0]
    with transaction(world.engine) as s:
        result = service.classify(s, example.title, example.text, district_code="420106")
        best = result.choices[0]
        assert best.label == "教育文体" and best.category.id == education
        assert best.department.id == world.departments["jyq"]
        lacking = [c for c in result.choices if c.label not in ("教育文体", "城乡建设")]
        assert lacking and all(c.department is None and "no category" in c.department_note for c in lacking)
        with pytest.raises(InvalidInput) as e:
            service.classify(s, None, "   ")
        assert e.value.field == "text"
        with pytest.raises(InvalidInput) as e:
            service.classify(s, None, "路" * (service.TEXT_MAX + 1))
        assert e.value.field == "text" and e.value.status == 413
