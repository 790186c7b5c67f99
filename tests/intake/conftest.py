"""One classifier per test session, trained on four fifths of the carried messages (grouped
split: a message and its near-copy never on both sides); the held-out fifth is what the
tests measure it on. The model file is handed to in-process code and to `civicloop serve`
through CIVICLOOP_INTAKE_MODEL."""
from __future__ import annotations

import os

import pytest

from civicloop.intake import classifier as model
from civicloop.settings import get_settings
from tests.api.conftest import Live, Server, free_port, seed
from tests.conftest import empty_tables


@pytest.fixture(scope="session")
def carried():
    return model.carried_examples()


@pytest.fixture(scope="session")
def groups(carried):
    return model.near_duplicate_groups(carried)


@pytest.fixture(scope="session")
def split(carried, groups):
    fit_on, held_out = model.folds(carried, groups=groups)[0]
    return [carried[i] for i in fit_on], [carried[i] for i in held_out]


@pytest.fixture(scope="session")
def trained(split):
    return model.train(split[0])


@pytest.fixture(scope="session")
def model_file(trained, tmp_path_factory):
    return model.save(trained, tmp_path_factory.mktemp("model") / "intake-model.joblib")


@pytest.fixture
def use_model(model_file, monkeypatch):
    """In-process code (create_case, the CLI's functions) uses the session's model."""
    monkeypatch.setenv("CIVICLOOP_INTAKE_MODEL", str(model_file))
    get_settings.cache_clear()
    yield model_file
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def held_out_by_label(split, trained):
    """Held-out messages the model names with confidence, by the label it names."""
    found: dict[str, list] = {}
    predictions = trained.predict_many([(e.title, e.text) for e in split[1]])
    for example, p in zip(split[1], predictions):
        if p.applicable and p.label == example.label:
            found.setdefault(p.label, []).append(example)
    return found


@pytest.fixture(scope="module")
def live(database_url, model_file, tmp_path_factory):
    world = seed(database_url)
    tmp = tmp_path_factory.mktemp("server")
    server = Server(database_url, free_port(), env={"CIVICLOOP_ATTACHMENTS_DIR": str(tmp / "attachments"),
                                                    "CIVICLOOP_INTAKE_MODEL": str(model_file)}).start()
    yield Live(world, server)
    server.stop()
    empty_tables(world.engine)


def cli_env(path) -> dict:
    return {**os.environ, "CIVICLOOP_INTAKE_MODEL": str(path)}
