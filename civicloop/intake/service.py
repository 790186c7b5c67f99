"""Intake intelligence: the classifier loaded once per process, its suggestion for each new
case, the department the routing rules give for a suggested category, and the labelled
examples operators leave when they set or change a case's category.

The model file is built by `civicloop intake train`, never downloaded. Without a usable
one (missing, or built by another scikit-learn) intake goes on: cases are simply not
auto-classified, and a warning is logged once per process.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicloop.categories import service as categories
from civicloop.categories.models import Category
from civicloop.errors import InvalidInput, NotFound, TooLarge
from civicloop.intake import classifier as model
from civicloop.intake.models import LabelledExample, Suggestion
from civicloop.settings import get_settings

log = logging.getLogger(__name__)

# A person's label outweighs a carried message: the operator read this very message, and a
# correction says the model was wrong on something like it.
CORRECTION_WEIGHT = 3.0
TEXT_MAX = 100_000  # past this an input is refused (413); only the first TEXT_CHARS are read anyway

_lock = threading.Lock()
# path -> (the file's modification time, the model or why there is none): a model trained
# anew is picked up by running workers at their next classification, without a restart.
_loaded: dict[Path, tuple[float | None, model.Classifier | str]] = {}


def model_path() -> Path:
    return get_settings().intake_model or model.MODEL_PATH


def _modified(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def _load() -> model.Classifier | str:
    path = model_path()
    stamp = _modified(path)
    known = _loaded.get(path)
    if known is None or known[0] != stamp:
        with _lock:
            known = _loaded.get(path)
            if known is None or known[0] != stamp:
                try:
                    known = (stamp, model.load(path))
                except model.ModelUnavailable as exc:
                    if known is None or isinstance(known[1], model.Classifier):  # once per change
                        log.warning("intake: cases are not classified automatically: %s", exc)
                    known = (stamp, str(exc))
                _loaded[path] = known
    return known[1]


def current() -> model.Classifier | None:
    """The process's classifier, loaded on first use; None (warned once) when unusable."""
    found = _load()
    return found if isinstance(found, model.Classifier) else None


def require_model() -> model.Classifier:
    """The classifier, or NotFound saying why there is none and what to run."""
    found = _load()
    if isinstance(found, str):
        raise NotFound("model", found)
    return found


def check_text(title: str | None, text: str | None) -> tuple[str, str]:
    title, text = (title or "").strip(), (text or "").strip()
    if not text:
        raise InvalidInput("text", "must not be empty")
    for name, value in (("title", title), ("text", text)):
        if len(value) > TEXT_MAX:
            raise TooLarge(name, f"at most {TEXT_MAX} characters, got {len(value)}; "
                                 f"only the first {model.TEXT_CHARS} are read")
    return title, text


# ---- category and department of a label --------------------------------------------------

def category_of(session: Session, label: str) -> Category | None:
    """The first-level category a label names, if the district's taxonomy has it."""
    return session.scalar(select(Category).where(Category.level == 1, Category.name == label))


@dataclass(frozen=True)
class Choice:
    label: str
    confidence: float
    category: Category | None      # None: the district's taxonomy lacks it (or no database asked)
    department: object | None      # departments.models.Department the routing rules give
    department_note: str | None    # why there is no department


def choice(session: Session | None, label: str, confidence: float, district_code: str | None, *,
           community_code: str | None = None, street_code: str | None = None) -> Choice:
    from civicloop.departments import routing

    if session is None:
        return Choice(label, confidence, None, None, "no district given")
    category = category_of(session, label)
    if category is None:
        return Choice(label, confidence, None, None, f"no category '{label}' in the taxonomy")
    if district_code is None:
        return Choice(label, confidence, category, None, "no district given")
    try:
        decision = routing.route(session, category_id=category.id, community_code=community_code,
                                 street_code=street_code, district_code=district_code)
    except NotFound as exc:
        return Choice(label, confidence, category, None, exc.detail)
    return Choice(label, confidence, category, decision.department, None)


@dataclass(frozen=True)
class Classified:
    prediction: model.Prediction
    choices: tuple[Choice, ...]   # one per alternative, best first
    model_version: str


def classify_many(session: Session | None, messages: list[tuple[str | None, str]], *,
                  district_code: str | None = None) -> list[Classified]:
    """The top categories of each message with their confidence and, with a session, the
    department the district's routing rules give each (cached per label: one look-up each)."""
    checked = []
    for number, (title, text) in enumerate(messages, start=1):
        try:
            checked.append(check_text(title, text))
        except InvalidInput as exc:
            if len(messages) == 1:
                raise
            raise type(exc)(exc.field, f"message {number}: {exc.detail}") from None
    if district_code is not None:
        from civicloop.departments.service import check_district_code
        district_code = check_district_code(district_code)
    classifier = require_model()
    choices: dict[str, Choice] = {}

    def chosen(alternative: model.Alternative) -> Choice:
        if alternative.label not in choices:
            choices[alternative.label] = choice(session, alternative.label, 0.0, district_code)
        found = choices[alternative.label]
        return Choice(found.label, alternative.confidence, found.category, found.department, found.department_note)

    return [Classified(p, tuple(chosen(a) for a in p.alternatives), classifier.version)
            for p in classifier.predict_many(checked)]


def classify(session: Session | None, title: str | None, text: str, *,
             district_code: str | None = None) -> Classified:
    return classify_many(session, [(title, text)], district_code=district_code)[0]


# ---- intake of a case -----------------------------------------------------------------------

@dataclass(frozen=True)
class Pending:
    """A suggestion made before the case row exists (it decides the case's category)."""
    prediction: model.Prediction
    category_id: int | None   # set when the suggestion is applied
    model_version: str


def suggest(session: Session, title: str, body: str) -> Pending | None:
    """The classifier's view of a new case that came without a category; None without a model.
    Applied only when confident, in Chinese, and naming a category the taxonomy has."""
    classifier = current()
    if classifier is None:
        return None
    prediction = classifier.predict(title, body)
    category = category_of(session, prediction.label) if prediction.applicable else None
    return Pending(prediction, category.id if category else None, classifier.version)


def keep_suggestion(session: Session, case_id: int, pending: Pending, now: dt.datetime) -> None:
    p = pending.prediction
    session.add(Suggestion(
        case_id=case_id, label=p.label, confidence=round(p.confidence, 4),
        alternatives=[{"label": a.label, "confidence": round(a.confidence, 4)} for a in p.alternatives],
        applied=pending.category_id is not None, low_confidence=p.low_confidence, not_chinese=p.not_chinese,
        model_version=pending.model_version, created_at=now))


def suggestion_for(session: Session, case) -> tuple[Suggestion, tuple[Choice, ...]] | None:
    """The suggestion kept for a case, each alternative routed for the case's place as it is now."""
    found = session.get(Suggestion, case.id)
    if found is None:
        return None
    return found, tuple(choice(session, a["label"], a["confidence"], case.district_code,
                               community_code=case.community_code, street_code=case.street_code)
                        for a in found.alternatives)


# ---- corrections ------------------------------------------------------------------------------

def record_example(session: Session, *, case_id: int | None, title: str, text: str, category_id: int,
                   previous_category_id: int | None, actor_id: int | None, now: dt.datetime) -> LabelledExample:
    """A person set or changed a case's category: keep the message with that label."""
    category = categories.find_category(session, category_id)
    chain = categories.ancestors(session, category)
    previous = (categories.ancestors(session, categories.find_category(session, previous_category_id))[-1].name
                if previous_category_id is not None else None)
    example = LabelledExample(case_id=case_id, title=title[:200], text=text, category_id=category.id,
                              category_path=categories.path_of(session, category), label=chain[-1].name,
                              previous_label=previous, actor_id=actor_id, created_at=now)
    session.add(example)
    session.flush()
    return example


def list_examples(session: Session) -> list[LabelledExample]:
    return list(session.scalars(select(LabelledExample).order_by(LabelledExample.id)))


def training_examples(session: Session | None) -> list[model.Example]:
    """messages.csv, then every kept correction at CORRECTION_WEIGHT (the latest per case
    only: a case corrected twice counts once, with its final label)."""
    examples = model.carried_examples()
    if session is None:
        return examples
    latest: dict[object, LabelledExample] = {}
    for example in list_examples(session):
        latest[example.case_id if example.case_id is not None else ("example", example.id)] = example
    return examples + [model.Example(model.clean(e.title), model.clean(e.text), e.label, CORRECTION_WEIGHT)
                       for e in latest.values()]
