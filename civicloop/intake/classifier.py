"""The message classifier: title and text → first-level category with a calibrated confidence.

Features: character 1–3-grams (TF-IDF, sublinear) of title+text cut to TEXT_CHARS, beside
character 1–3-grams of the title alone (the first HEAD_CHARS characters where a message has
no separate title) weighted HEAD_WEIGHT — characters because Chinese has no spaces and a
word segmenter added nothing on this data. A linear SVM (balanced class weights) gives one
score per class; the confidence is the softmax of those scores at a temperature fitted on
out-of-fold scores, so that a stated 0.9 is right about nine times in ten. The threshold
below which a case is left to the operator is chosen on the same out-of-fold scores.
See docs/intake.md.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from civicloop.errors import InvalidInput, NotFound
from civicloop.settings import PACKAGE_DIR

log = logging.getLogger(__name__)

MESSAGES_CSV = PACKAGE_DIR / "data" / "messages.csv"
MODEL_PATH = PACKAGE_DIR / "data" / "intake-model.joblib"
COLUMNS = ("id", "user", "title", "time", "text", "label1", "source")
REQUIRED_COLUMNS = ("title", "text", "label1")
TEXT_CHARS = 500        # only the start of a message is read: it says what the matter is
HEAD_CHARS = 25         # stands in for the title of a message that has none
HEAD_WEIGHT = 0.5
SVM_C = 1.0
TOP = 3
AIM_ACCURACY = 0.95     # auto-fill only where out-of-fold accuracy above the threshold reaches this
FOLDS = 5
SEED = 42
NEAR_DUPLICATE = 0.8    # cosine of character 3-grams above which two messages are one for the split
EXCEL_CR = "_x000D_"
_SPACES = re.compile(r"\s+")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA_HANGUL = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
_LATIN = re.compile(r"[A-Za-z]")


@dataclass(frozen=True)
class Example:
    title: str
    text: str
    label: str
    weight: float = 1.0


@dataclass(frozen=True)
class Alternative:
    label: str
    confidence: float


@dataclass(frozen=True)
class Prediction:
    label: str
    confidence: float
    alternatives: tuple[Alternative, ...]   # the top TOP, best first (the label included)
    low_confidence: bool                    # below the model's threshold: the operator decides
    not_chinese: bool                       # mostly not Chinese: the model knows nothing of it
    truncated: bool                         # only the first TEXT_CHARS characters were read

    @property
    def applicable(self) -> bool:
        """Good enough to fill in the case without asking the operator."""
        return not (self.low_confidence or self.not_chinese)


class ModelUnavailable(Exception):
    """No usable model file: missing, unreadable, or built by another scikit-learn."""


def clean(text: str | None) -> str:
    return _SPACES.sub(" ", (text or "").replace(EXCEL_CR, " ")).strip()


def _document(title: str, text: str) -> str:
    return clean(f"{title} {text}")[:TEXT_CHARS]


def _head(title: str, text: str) -> str:
    return clean(title) or clean(text)[:HEAD_CHARS]


def is_chinese(text: str) -> bool:
    """Most letters are Han characters and hardly any are kana or hangul (Japanese and Korean
    write Han characters too)."""
    han, other, latin = len(_HAN.findall(text)), len(_KANA_HANGUL.findall(text)), len(_LATIN.findall(text))
    letters = han + other + latin
    return letters > 0 and han >= 0.5 * letters and other <= 0.05 * letters


# ---- data -------------------------------------------------------------------------------

def read_examples(source: str | Path | bytes) -> list[Example]:
    """Labelled messages from a CSV with the columns of messages.csv (title may be empty).
    InvalidInput names the column or line at fault."""
    name = "csv"
    if isinstance(source, bytes):
        raw = source
    else:
        path = Path(source)
        if not path.is_file():
            raise NotFound("messages", f"no file '{source}'")
        name, raw = path.name, path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise InvalidInput("messages", f"{name}: line {line} is not UTF-8 (save the file as CSV UTF-8)") from None
    if not text.strip():
        raise InvalidInput("messages", f"{name}: the file is empty")
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    reader.fieldnames = header
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise InvalidInput("messages", f"{name}: missing column(s) {', '.join(missing)}; "
                                       f"expected the columns {', '.join(COLUMNS)}")
    examples = []
    try:
        for row in reader:
            line = reader.line_num
            if None in row:
                raise InvalidInput("messages", f"{name}: line {line} has more cells than columns")
            if not any((v or "").strip() for v in row.values()):
                continue
            label = (row["label1"] or "").strip()
            if not label:
                raise InvalidInput("messages", f"{name}: line {line}, column label1 is empty")
            if not clean(row["text"]) and not clean(row["title"]):
                raise InvalidInput("messages", f"{name}: line {line}, column text is empty")
            examples.append(Example(clean(row["title"]), clean(row["text"]), label))
    except csv.Error as exc:
        raise InvalidInput("messages", f"{name}: line {reader.line_num}: {exc}") from None
    if not examples:
        raise InvalidInput("messages", f"{name}: no messages, only a header")
    return examples


def carried_examples() -> list[Example]:
    return read_examples(MESSAGES_CSV)


def fingerprint(example: Example) -> str:
    """Of what the model reads of a message: the same message under another label matches too."""
    return hashlib.sha256(_document(example.title, example.text).encode()).hexdigest()[:16]


def data_hash(examples: Sequence[Example]) -> str:
    digest = hashlib.sha256()
    for e in examples:
        digest.update(f"{e.title}\x1f{e.text}\x1f{e.label}\x1f{e.weight}\x1e".encode())
    return digest.hexdigest()


def near_duplicate_groups(examples: Sequence[Example]) -> np.ndarray:
    """A group number per example: exact and near copies (character 3-gram cosine ≥
    NEAR_DUPLICATE) share one, so that a grouped split never has a message on one side and
    its copy on the other."""
    from scipy.sparse.csgraph import connected_components
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = [_document(e.title, e.text) for e in examples]
    vectors = TfidfVectorizer(analyzer="char", ngram_range=(3, 3)).fit_transform(docs)
    similar = vectors @ vectors.T
    similar.data = (similar.data >= NEAR_DUPLICATE).astype(np.int8)
    similar.eliminate_zeros()
    return connected_components(similar, directed=False)[1]


# ---- the model ----------------------------------------------------------------------------

def _vectorizers():
    from sklearn.feature_extraction.text import TfidfVectorizer

    def char_grams():
        return TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2)
    return char_grams(), char_grams()


def _vectorize(examples: Sequence[Example]):
    """(body vectorizer, title vectorizer, features of the examples), the vectorizers fitted."""
    from scipy.sparse import hstack

    body, head = _vectorizers()
    features = hstack([body.fit_transform([_document(e.title, e.text) for e in examples]),
                       HEAD_WEIGHT * head.fit_transform([_head(e.title, e.text) for e in examples])]).tocsr()
    return body, head, features


def _svm(features, examples: Sequence[Example]):
    from sklearn.svm import LinearSVC

    svm = LinearSVC(C=SVM_C, class_weight="balanced")
    return svm.fit(features, [e.label for e in examples], sample_weight=[e.weight for e in examples])


def _fit(examples: Sequence[Example]):
    body, head, features = _vectorize(examples)
    return body, head, _svm(features, examples)


def _scores(parts, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
    from scipy.sparse import hstack

    body, head, svm = parts
    features = hstack([body.transform([_document(t, x) for t, x in pairs]),
                       HEAD_WEIGHT * head.transform([_head(t, x) for t, x in pairs])]).tocsr()
    return svm.decision_function(features)


class _Vocabulary(dict):
    """n-gram -> column; -1 for an n-gram the model never saw (so that look-ups run in C)."""

    def __missing__(self, gram: str) -> int:
        return -1


class _Weights:
    """The fitted vectorizers and SVM as plain arrays, so that one message is scored without
    scikit-learn's per-call input checks (which cost more than the arithmetic): the same
    n-grams, sublinear TF-IDF, L2 norm and linear scores as `_scores`, which the tests hold
    it to."""

    def __init__(self, parts):
        body, head, svm = parts
        self.vocabularies = (_Vocabulary(body.vocabulary_), _Vocabulary(head.vocabulary_))
        self.idf = (body.idf_, head.idf_)
        coef = np.asarray(svm.coef_)
        split = len(body.vocabulary_)
        self.weights = (np.ascontiguousarray(coef[:, :split].T), HEAD_WEIGHT * np.ascontiguousarray(coef[:, split:].T))
        self.intercept = np.asarray(svm.intercept_)

    @staticmethod
    def _grams(text: str) -> list[str]:
        """Character 1–3-grams as TfidfVectorizer(analyzer="char") makes them (lower case)."""
        text = text.lower()
        return [text[i:i + n] for n in (1, 2, 3) for i in range(len(text) - n + 1)]

    def scores(self, title: str, text: str) -> np.ndarray:
        total = self.intercept.copy()
        for part, document in enumerate((_document(title, text), _head(title, text))):
            grams = self._grams(document)
            index = np.fromiter(map(self.vocabularies[part].__getitem__, grams), dtype=np.intp, count=len(grams))
            columns, counts = np.unique(index[index >= 0], return_counts=True)
            if not len(columns):
                continue
            values = (1.0 + np.log(counts)) * self.idf[part][columns]
            total += (values / np.sqrt(values @ values)) @ self.weights[part][columns]
        return total


def baseline_fit(examples: Sequence[Example]):
    """The plain reference: character 1–3-gram TF-IDF over title+text, linear SVM."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    model = make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2),
                          LinearSVC())
    return model.fit([clean(f"{e.title} {e.text}") for e in examples], [e.label for e in examples])


def baseline_predict(model, examples: Sequence[Example]) -> list[str]:
    return list(model.predict([clean(f"{e.title} {e.text}") for e in examples]))


def _softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    z = scores / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit_temperature(scores: np.ndarray, truth: np.ndarray) -> float:
    """The temperature that minimises the log loss of softmax(scores / T) on held-out scores."""
    best, best_loss = 1.0, np.inf
    for temperature in np.geomspace(0.02, 5, 200):
        p = _softmax(scores, temperature)[np.arange(len(truth)), truth]
        loss = -np.log(np.clip(p, 1e-12, None)).mean()
        if loss < best_loss:
            best, best_loss = float(temperature), loss
    return best


def choose_threshold(confidence: np.ndarray, correct: np.ndarray, aim: float = AIM_ACCURACY) -> float:
    """The lowest confidence at which the messages at or above it are right at least `aim`
    of the time (held-out figures), so that as many as possible are filled in."""
    order = np.argsort(-confidence)
    running = np.cumsum(correct[order]) / np.arange(1, len(order) + 1)
    good = np.nonzero(running >= aim)[0]
    return float(confidence[order][good[-1]]) if len(good) else 1.0


def folds(examples: Sequence[Example], n: int = FOLDS, seed: int = SEED, groups: np.ndarray | None = None):
    """(train, test) index arrays of a stratified 5-fold split with near-duplicates grouped."""
    from sklearn.model_selection import StratifiedGroupKFold

    labels = [e.label for e in examples]
    groups = near_duplicate_groups(examples) if groups is None else groups
    split = StratifiedGroupKFold(n_splits=n, shuffle=True, random_state=seed)
    return list(split.split(np.zeros(len(examples)), labels, groups))


@dataclass
class Classifier:
    """A trained model with what it was trained on and how well it did out of fold."""
    parts: tuple
    classes: tuple[str, ...]
    temperature: float
    threshold: float
    meta: dict = field(default_factory=dict)
    _weights: _Weights | None = field(default=None, init=False, repr=False, compare=False)

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "_weights"}  # rebuilt after loading

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, _weights=None)

    @property
    def version(self) -> str:
        return self.meta.get("version", "?")

    def scores(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """One row of SVM scores per (title, text), both already cleaned."""
        if self._weights is None:
            self._weights = _Weights(self.parts)
        return np.array([self._weights.scores(title, text) for title, text in pairs])

    def predict_many(self, pairs: Sequence[tuple[str | None, str]]) -> list[Prediction]:
        pairs = [(clean(title), clean(text)) for title, text in pairs]
        if not pairs:
            return []
        probabilities = _softmax(self.scores(pairs), self.temperature)
        out = []
        for (title, text), p in zip(pairs, probabilities):
            best = np.argsort(-p)[:TOP]
            confidence = float(p[best[0]])
            out.append(Prediction(
                label=self.classes[best[0]], confidence=confidence,
                alternatives=tuple(Alternative(self.classes[i], float(p[i])) for i in best),
                low_confidence=confidence < self.threshold,
                not_chinese=not is_chinese(f"{title} {text}"[:TEXT_CHARS]),
                truncated=len(f"{title} {text}") > TEXT_CHARS))
        return out

    def predict(self, title: str | None, text: str) -> Prediction:
        return self.predict_many([(title, text)])[0]


Progress = Callable[[str, int, int], None]  # (step, done, total)


def _silent(step: str, done: int, total: int) -> None:
    pass


def train(examples: Sequence[Example], *, progress: Progress = _silent, calibrate: bool = True) -> Classifier:
    """Fit on every example. With `calibrate`, a grouped 5-fold pass first gives the
    out-of-fold scores that fix the temperature and the threshold (and the figures kept in
    the model); without it temperature 1 and threshold 0.5. The folds share the vectorizers
    fitted on every text (no labels go into them), so that training costs one pass over
    the text and six fits of the linear SVM."""
    import sklearn

    started = time.perf_counter()
    classes = tuple(sorted({e.label for e in examples}))
    index = {c: i for i, c in enumerate(classes)}
    truth = np.array([index[e.label] for e in examples])
    meta = {"sklearn": sklearn.__version__, "data_hash": data_hash(examples), "examples": len(examples),
            "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "fingerprints": sorted({fingerprint(e) for e in examples})}
    temperature, threshold = 1.0, 0.5
    progress("reading the messages", 0, FOLDS + 2 if calibrate else 2)
    body, head, features = _vectorize(examples)
    if calibrate:
        scores = np.zeros((len(examples), len(classes)))
        splits = folds(examples)
        for number, (fit_on, held_out) in enumerate(splits, start=1):
            progress(f"held-out scores, fold {number} of {len(splits)}", number, len(splits) + 2)
            svm = _svm(features[fit_on], [examples[i] for i in fit_on])
            fold_scores = svm.decision_function(features[held_out])
            # a class absent from a fold's training part scores lowest there
            scores[np.ix_(held_out, range(len(classes)))] = -10.0
            for column, label in enumerate(svm.classes_):
                scores[held_out, index[label]] = fold_scores[:, column] if fold_scores.ndim > 1 else fold_scores
        temperature = fit_temperature(scores, truth)
        probabilities = _softmax(scores, temperature)
        confidence = probabilities.max(axis=1)
        correct = probabilities.argmax(axis=1) == truth
        threshold = choose_threshold(confidence, correct)
        above = confidence >= threshold
        in_top = (np.argsort(-probabilities, axis=1)[:, :TOP] == truth[:, None]).any(axis=1)
        meta["out_of_fold"] = {"accuracy": float(correct.mean()), "threshold": threshold,
                               "accuracy_above": float(correct[above].mean()) if above.any() else None,
                               "share_above": float(above.mean()),
                               "top_below": float(in_top[~above].mean()) if (~above).any() else None}
    progress("the model on every example", FOLDS + 1 if calibrate else 1, FOLDS + 2 if calibrate else 2)
    parts = body, head, _svm(features, examples)
    meta["seconds"] = round(time.perf_counter() - started, 1)
    meta["version"] = f"{meta['trained_at'][:10]}-{meta['data_hash'][:8]}"
    return Classifier(parts, classes, temperature, threshold, meta)


def save(classifier: Classifier, path: Path = MODEL_PATH) -> Path:
    import joblib

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    joblib.dump(classifier, partial, compress=3)
    partial.replace(path)  # a reader never sees half a file
    return path


def load(path: Path = MODEL_PATH) -> Classifier:
    """The model in `path`, or ModelUnavailable saying why. A model pickled by another
    scikit-learn may load but predict wrongly, so the version recorded must match."""
    import warnings

    import joblib
    import sklearn

    if not path.is_file():
        raise ModelUnavailable(f"no model file {path.name}; run `civicloop intake train`")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the version check below says it better
            classifier = joblib.load(path)
    except Exception as exc:  # noqa: BLE001 — any unreadable file means "train again"
        raise ModelUnavailable(f"{path.name} cannot be read ({exc.__class__.__name__}); "
                               f"run `civicloop intake train`") from None
    if not isinstance(classifier, Classifier):
        raise ModelUnavailable(f"{path.name} is not an intake model; run `civicloop intake train`")
    built_with = classifier.meta.get("sklearn")
    if built_with != sklearn.__version__:
        raise ModelUnavailable(f"{path.name} was built with scikit-learn {built_with}, this is "
                               f"{sklearn.__version__}; run `civicloop intake train`")
    return classifier


def measure(predict: Callable[[Sequence[Example]], Iterable[str]], examples: Sequence[Example],
            classes: Sequence[str] | None = None) -> dict:
    """Accuracy, macro-F1 and per-class precision/recall/F1/support of `predict` on examples."""
    from sklearn.metrics import (
        accuracy_score,
        f1_score,
        precision_recall_fscore_support,
    )

    truth = [e.label for e in examples]
    guess = list(predict(examples))
    labels = sorted(set(truth)) if classes is None else list(classes)
    p, r, f, s = precision_recall_fscore_support(truth, guess, labels=labels, zero_division=0)
    return {"accuracy": accuracy_score(truth, guess),
            "macro_f1": f1_score(truth, guess, labels=sorted(set(truth)), average="macro", zero_division=0),
            "per_class": {c: (p[i], r[i], f[i], int(s[i])) for i, c in enumerate(labels)}}


def majority_predictor(train_examples: Sequence[Example]) -> Callable[[Sequence[Example]], list[str]]:
    from collections import Counter

    top = Counter(e.label for e in train_examples).most_common(1)[0][0]
    return lambda examples: [top] * len(examples)


def cross_validate(examples: Sequence[Example], *, progress: Progress = _silent) -> dict:
    """Grouped stratified 5-fold figures (mean and standard deviation over the folds) of our
    model, the plain character TF-IDF + linear SVM baseline and the majority class."""
    figures: dict[str, list[tuple[float, float]]] = {"model": [], "baseline": [], "majority": []}
    groups = near_duplicate_groups(examples)
    splits = folds(examples, groups=groups)
    for number, (fit_on, held_out) in enumerate(splits):
        progress(f"fold {number + 1} of {len(splits)}", number, len(splits))
        train_part, test_part = [examples[i] for i in fit_on], [examples[i] for i in held_out]
        parts = _fit(train_part)
        classes = sorted({e.label for e in train_part})

        def ours(batch, parts=parts, classes=classes):
            return [classes[i] for i in _scores(parts, [(e.title, e.text) for e in batch]).argmax(axis=1)]

        baseline = baseline_fit(train_part)
        for name, predict in (("model", ours), ("baseline", lambda b, m=baseline: baseline_predict(m, b)),
                              ("majority", majority_predictor(train_part))):
            result = measure(predict, test_part)
            figures[name].append((result["accuracy"], result["macro_f1"]))
    summary = {name: {"accuracy": float(np.mean([a for a, _ in runs])), "macro_f1": float(np.mean([f for _, f in runs])),
                      "macro_f1_std": float(np.std([f for _, f in runs]))} for name, runs in figures.items()}
    summary["split"] = {"folds": len(splits), "seed": SEED, "examples": len(examples),
                        "groups": int(groups.max()) + 1}
    return summary
