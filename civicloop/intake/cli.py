"""`civicloop intake …`: train the message classifier, measure it, classify messages."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from civicloop.intake import classifier as model
from civicloop.intake import service

app = typer.Typer(help="Classify messages: train, evaluate and use the model.", no_args_is_help=True)
console = Console()


def _progress_bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console,
                    transient=True)


def _run(work, description: str):
    """Run work(progress) under a progress bar."""
    with _progress_bar() as bar:
        task = bar.add_task(description, total=1)

        def progress(step: str, done: int, total: int) -> None:
            bar.update(task, description=step, completed=done, total=total)

        return work(progress)


@app.command()
def train(
    corrections: bool = typer.Option(True, help="Add the operators' corrections kept in the database "
                                                "(--no-corrections: messages.csv only, no database needed)"),
    output: Path | None = typer.Option(None, help="Where to write the model (default: the one intake uses)"),
) -> None:
    """Build the classifier from civicloop/data/messages.csv and every correction operators made."""
    if corrections:
        from sqlalchemy.exc import DBAPIError

        from civicloop.db import transaction
        from civicloop.errors import InvalidInput
        try:
            with transaction() as session:
                examples = service.training_examples(session)
        except DBAPIError as exc:
            raise InvalidInput("database", f"cannot read the corrections ({exc.orig.__class__.__name__}); run "
                                           f"`civicloop db upgrade`, or train with --no-corrections") from None
    else:
        examples = service.training_examples(None)
    kept = len(examples) - len(model.carried_examples())
    classifier = _run(lambda progress: model.train(examples, progress=progress), "training")
    path = model.save(classifier, output or service.model_path())
    oof = classifier.meta["out_of_fold"]
    console.print(f"model {classifier.version}: {len(examples)} messages ({kept} operators' corrections, "
                  f"weight {service.CORRECTION_WEIGHT:g}), {len(classifier.classes)} classes, "
                  f"{classifier.meta['seconds']:.1f} s, scikit-learn {classifier.meta['sklearn']}")
    console.print(f"held-out accuracy {oof['accuracy']:.3f}; filled in automatically at confidence ≥ "
                  f"{classifier.threshold:.2f}: {oof['share_above']:.0%} of messages, "
                  f"{oof['accuracy_above']:.1%} of them right; below it the right class is among the "
                  f"top {model.TOP} for {oof['top_below']:.0%}")
    console.print(f"written to {path} ({path.stat().st_size / 1e6:.1f} MB)")


def _figures_table(title: str, rows: list[tuple[str, dict]]) -> Table:
    table = Table(title=title)
    for column in ("", "accuracy", "macro-F1"):
        table.add_column(column, justify="right" if column else "left")
    for name, figures in rows:
        spread = f" ± {figures['macro_f1_std']:.3f}" if "macro_f1_std" in figures else ""
        table.add_row(name, f"{figures['accuracy']:.3f}", f"{figures['macro_f1']:.3f}{spread}")
    return table


@app.command()
def evaluate(
    messages: Path | None = typer.Option(None, "--messages", help="Labelled CSV with the columns of messages.csv"),
    cv: bool = typer.Option(False, "--cv", help="Grouped 5-fold cross-validation on the carried messages: "
                                                "our model beside the plain baseline"),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON"),
) -> None:
    """Accuracy and macro-F1 of the first-level category, per class, beside the majority class."""
    if cv == (messages is not None):
        raise typer.BadParameter("give either --messages FILE.csv or --cv")
    if cv:
        figures = _run(lambda progress: model.cross_validate(model.carried_examples(), progress=progress),
                       "cross-validation")
        if as_json:
            typer.echo(json.dumps(figures, ensure_ascii=False, indent=1))
            return
        split = figures["split"]
        console.print(_figures_table(
            f"{split['examples']} messages, stratified {split['folds']}-fold, shuffled (seed {split['seed']}), "
            f"near-duplicates kept on one side ({split['groups']} groups)",
            [("our model", figures["model"]), ("baseline: char 1–3 TF-IDF + linear SVM", figures["baseline"]),
             ("majority class", figures["majority"])]))
        return
    examples = model.read_examples(messages)
    classifier = service.require_model()
    result = model.measure(lambda batch: [p.label for p in classifier.predict_many([(e.title, e.text)
                                                                                     for e in batch])], examples)
    majority = model.measure(model.majority_predictor(examples), examples)
    seen = set(classifier.meta.get("fingerprints", ()))
    in_training = sum(model.fingerprint(e) in seen for e in examples)
    if as_json:
        typer.echo(json.dumps({"model": result, "majority": majority, "in_training": in_training,
                               "messages": len(examples), "model_version": classifier.version},
                              ensure_ascii=False, indent=1))
        return
    console.print(_figures_table(f"{messages.name}: {len(examples)} messages, model {classifier.version}",
                                 [("our model", result), ("majority class (most common in this file)", majority)]))
    table = Table(title="per class")
    for column in ("class", "precision", "recall", "F1", "messages"):
        table.add_column(column, justify="left" if column == "class" else "right")
    for label, (p, r, f, n) in result["per_class"].items():
        known = "" if label in classifier.classes else " (unknown to the model)"
        table.add_row(label + known, f"{p:.3f}", f"{r:.3f}", f"{f:.3f}", str(n))
    console.print(table)
    if in_training:
        console.print(f"[yellow]{in_training} of {len(examples)} messages were in the model's training data: "
                      f"figures on them are not held-out ones (use --cv for those)[/yellow]")


def _messages_from_csv(path: Path) -> list[tuple[str, str]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise typer.BadParameter(f"no file {path}") from None
    except UnicodeDecodeError:
        from civicloop.errors import InvalidInput
        raise InvalidInput("csv", f"{path.name} is not UTF-8 (save it as CSV UTF-8)") from None
    reader = csv.DictReader(io.StringIO(text))
    if "text" not in (reader.fieldnames or []):
        from civicloop.errors import InvalidInput
        raise InvalidInput("csv", f"{path.name}: needs a column text (and optionally title)")
    return [(row.get("title") or "", row["text"] or "") for row in reader]


@app.command()
def classify(
    text: str | None = typer.Argument(None, help="The message"),
    title: str | None = typer.Option(None, help="Its title, if it has one"),
    csv_file: Path | None = typer.Option(None, "--csv", help="Classify every row of a CSV (columns text, title)"),
    district: str | None = typer.Option(None, "--district", "-d",
                                           help="6-digit district code: name the department its routing rules give"),
) -> None:
    """Category, confidence, the top alternatives and the department, of one message or a CSV of them."""
    if (text is None) == (csv_file is None):
        raise typer.BadParameter("give a TEXT or --csv FILE")
    messages = _messages_from_csv(csv_file) if csv_file else [(title, text)]
    if district is None:
        results = service.classify_many(None, messages)
        departments = None
    else:
        from civicloop.db import transaction
        with transaction() as session:
            results = service.classify_many(session, messages, district_code=district)
            departments = [[(c.department.name if c.department else f"— ({c.department_note})") for c in r.choices]
                           for r in results]
    table = Table(title=f"model {results[0].model_version}" if results else None)
    for column in ("#", "category", "confidence", "alternatives", *(["department"] if departments else []),
                   "note"):
        table.add_column(column)
    for number, r in enumerate(results, start=1):
        p = r.prediction
        notes = [why for flag, why in ((p.not_chinese, "not Chinese: never filled in"),
                                       (p.low_confidence, "low confidence: the operator decides"),
                                       (p.truncated, f"only the first {model.TEXT_CHARS} characters read"))
                 if flag]
        alternatives = "、".join(f"{a.label} {a.confidence:.2f}" for a in p.alternatives[1:])
        row = [str(number), p.label, f"{p.confidence:.2f}", alternatives]
        if departments:
            row.append(departments[number - 1][0])
        table.add_row(*row, "; ".join(notes) or "confident: a new case gets it")
    console.print(table)
