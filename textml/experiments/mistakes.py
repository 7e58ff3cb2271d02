"""Error analysis: the eyeball set of the worst dev mistakes, and likely label errors.

The eyeball set holds at most ``size`` (default 100) dev rows the model got wrong, the
most confidently wrong first: a person reads them and sorts them into causes. Label
issues are found with cleanlab's confident learning on out-of-fold probabilities.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from textml.data.dataset import MULTILABEL, REGRESSION, Dataset
from textml.evaluation.metrics import class_probabilities, probability_source, require_probabilities
from textml.evaluation.targets import predict_labels, targets
from textml.exceptions import ConfigError, DataError
from textml.experiments.context import Progress, RunContext
from textml.experiments.spec import RunSpec

FIELDS = ("id", "text", "label", "predicted", "prob_label", "prob_predicted", "margin")
FIELDS_BY_TASK = {
    MULTILABEL: ("id", "text", "label", "predicted", "missed", "spurious", "wrong_labels", "prob_missed",
                 "prob_spurious"),
    REGRESSION: ("id", "text", "label", "predicted", "error", "abs_error"),
}
MAX_ROWS = 100  # the eyeball set is read by a person
SETTINGS = {"run": None, "model_dir": None, "size": MAX_ROWS, "label_issues": False, "n_jobs": 1,
            "trust_pickle": False}


@dataclass
class ErrorReport:
    rows: list[dict]
    total_errors: int
    evaluated: int
    confidence_source: str
    out: Path | None
    run_id: str | None
    kind: str  # "eyeball" or "label-issues"


def check_overlap(model, data: Dataset, task: str) -> None:
    """A one-line DataError when a model's classes share no label with the data's: every row
    would be a "mistake" (the wrong model, or the wrong --label-col)."""
    if task == REGRESSION or not hasattr(model, "classes_"):
        return
    classes = {str(c) for c in model.classes_}
    seen = {str(label) for row in targets(data.labels, MULTILABEL) for label in row}
    if seen and not classes & seen:
        shown = ", ".join(sorted(classes)[:5])
        raise DataError(f"the model's labels ({shown}{', ...' if len(classes) > 5 else ''}) share none with "
                        f"{data.source or 'the data'}'s; is it the model for this data, and is --label-col right?")


def eyeball_rows(model, data: Dataset, size: int = 100, task: str | None = None) -> tuple[list[dict], int, str]:
    """The ``size`` worst mistakes on ``data``, worst first: single-label, the most confidently
    wrong (by the model's class probabilities: the numbers ``textml predict`` and the MLflow
    model give); multi-label, the rows with the most wrong labels (missed and spurious shown
    apart, with the model's scores for them); regression, the largest absolute errors."""
    if task == MULTILABEL:
        return _multilabel_rows(model, data, size)
    if task == REGRESSION:
        return _regression_rows(model, data, size)
    probabilities = class_probabilities(model, data.texts)
    source = probability_source(model)
    classes = [str(c) for c in model.classes_]
    index = {c: i for i, c in enumerate(classes)}
    predicted = probabilities.argmax(axis=1)
    rows = []
    for i, (text, label) in enumerate(zip(data.texts, data.labels)):
        guess = classes[predicted[i]]
        if guess == str(label):
            continue
        p_label = float(probabilities[i, index[str(label)]]) if str(label) in index else 0.0
        p_pred = float(probabilities[i, predicted[i]])
        rows.append({"id": data.ids[i], "text": text, "label": label, "predicted": guess,
                     "prob_label": round(p_label, 4), "prob_predicted": round(p_pred, 4),
                     "margin": round(p_pred - p_label, 4)})
    rows.sort(key=lambda r: (-r["prob_predicted"], r["prob_label"]))
    return rows[:size], len(rows), source


def _multilabel_rows(model, data: Dataset, size: int) -> tuple[list[dict], int, str]:
    probabilities = class_probabilities(model, data.texts)
    classes = [str(c) for c in model.classes_]
    truth = targets(data.labels, MULTILABEL)
    predicted = predict_labels(model, data.texts, MULTILABEL)
    rows = []
    for i, (true, guess) in enumerate(zip(truth, predicted)):
        missed = [label for label in true if label not in guess]
        spurious = [label for label in guess if label not in true]
        if not missed and not spurious:
            continue
        column = {c: j for j, c in enumerate(classes)}

        def scores(labels, row=i, column=column):
            return "|".join(f"{probabilities[row, column[x]]:.3f}" if x in column else "unseen" for x in labels)

        # label sets stay tuples: JSONL/Parquet write lists (what `annotate push` reads back as
        # several choices), CSV/TSV join them with "|"
        rows.append({"id": data.ids[i], "text": data.texts[i], "label": tuple(true), "predicted": tuple(guess),
                     "missed": tuple(missed), "spurious": tuple(spurious), "wrong_labels": len(missed) + len(spurious),
                     "prob_missed": scores(missed), "prob_spurious": scores(spurious)})
    rows.sort(key=lambda r: -r["wrong_labels"])
    return rows[:size], len(rows), probability_source(model)


def _regression_rows(model, data: Dataset, size: int) -> tuple[list[dict], int, str]:
    truth = targets(data.labels, REGRESSION)
    predicted = predict_labels(model, data.texts, REGRESSION)
    errors = predicted - truth
    order = np.argsort(-np.abs(errors), kind="stable")[:size]
    rows = [{"id": data.ids[i], "text": data.texts[i], "label": float(truth[i]), "predicted": round(float(predicted[i]), 6),
             "error": round(float(errors[i]), 6), "abs_error": round(abs(float(errors[i])), 6)} for i in order]
    return rows, len(truth), "predict (largest absolute errors)"


def label_issue_rows(model, data: Dataset, size: int = 100, folds: int = 5, seed: int = 0,
                     n_jobs: int = 1) -> tuple[list[dict], int, str]:
    """Training rows whose given label looks wrong, most suspicious first (cleanlab, fed
    out-of-fold ``predict_proba`` of the model: calibrated probabilities for the SVMs)."""
    from cleanlab.filter import find_label_issues
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    require_probabilities(model)
    if getattr(model, "multilabel_", False) or data.is_multilabel:
        return _multilabel_issue_rows(model, data, size, folds, seed)
    labels = np.asarray([str(l) for l in data.labels], dtype=object)
    classes, counts = np.unique(labels, return_counts=True)
    folds = int(min(folds, counts.min())) if counts.min() >= 2 else 2
    if counts.min() < 2:
        raise ConfigError("every class needs at least 2 training rows for out-of-fold probabilities")
    y = np.searchsorted(classes, labels)
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    scores = np.asarray(cross_val_predict(clone(model), list(data.texts), labels, cv=cv, method="predict_proba",
                                          n_jobs=n_jobs), dtype=np.float64)
    ranked = find_label_issues(y, scores, return_indices_ranked_by="self_confidence")
    rows = []
    for i in ranked[:size]:
        rows.append({"id": data.ids[i], "text": data.texts[i], "label": labels[i],
                     "predicted": classes[scores[i].argmax()],
                     "prob_label": round(float(scores[i, y[i]]), 4),
                     "prob_predicted": round(float(scores[i].max()), 4),
                     "margin": round(float(scores[i].max() - scores[i, y[i]]), 4)})
    return rows, len(ranked), f"out-of-fold predict_proba ({folds} folds)"


def _multilabel_issue_rows(model, data: Dataset, size: int, folds: int, seed: int) -> tuple[list[dict], int, str]:
    """cleanlab's multi-label confident learning on out-of-fold per-label probabilities (plain
    K folds: a label set is not a class to stratify on)."""
    from cleanlab.filter import find_label_issues
    from sklearn.base import clone
    from sklearn.model_selection import KFold

    truth = targets(data.labels, MULTILABEL)
    classes = sorted({label for row in truth for label in row})
    scores = np.zeros((len(truth), len(classes)))
    texts = list(data.texts)
    for fit_rows, held_out in KFold(n_splits=min(folds, len(truth)), shuffle=True, random_state=seed).split(texts):
        fold_model = clone(model).fit([texts[i] for i in fit_rows], [truth[i] for i in fit_rows])
        probabilities = class_probabilities(fold_model, [texts[i] for i in held_out])
        for j, label in enumerate(str(c) for c in fold_model.classes_):
            if label in classes:
                scores[held_out, classes.index(label)] = probabilities[:, j]
    given = [[classes.index(label) for label in row] for row in truth]
    ranked = find_label_issues(given, scores, multi_label=True, return_indices_ranked_by="self_confidence")
    rows = []
    for i in ranked[:size]:
        guess = tuple(c for j, c in enumerate(classes) if scores[i, j] >= 0.5)
        true = tuple(truth[i])
        rows.append({"id": data.ids[i], "text": texts[i], "label": true, "predicted": guess,
                     "missed": tuple(x for x in true if x not in guess),
                     "spurious": tuple(x for x in guess if x not in true),
                     "wrong_labels": len(set(true) ^ set(guess)),
                     "prob_missed": "", "prob_spurious": ""})
    return rows, len(ranked), f"out-of-fold predict_proba ({folds} folds)"


def write_rows(rows: list[dict], path: str | os.PathLike, task: str | None = None) -> Path:
    """The rows as CSV, TSV, JSONL or Parquet (by extension), atomically."""
    from textml.data.formats import write_records

    return write_records(rows, FIELDS_BY_TASK.get(task, FIELDS), path)


def find_errors(spec: RunSpec, progress: Progress | None = None, out: str | os.PathLike | None = None,
                force: bool = False, tags: dict | None = None) -> ErrorReport:
    """Build the eyeball set (or the label-issue ranking) and log it beside the model's run.

    The model is ``spec.model`` fitted on train, or a saved one: ``settings["run"]`` (its
    logged model, and the rows are logged beside that run) or ``settings["model_dir"]``.
    """
    from textml.experiments.tune import check_n_jobs
    from textml.files import check_can_write
    from textml.tracking import log_to_existing_run
    from textml.tracking.registry import load_model_uri

    settings = {**SETTINGS, **spec.settings}
    run_id, model_dir, size = settings["run"], settings["model_dir"], settings["size"]
    label_issues = bool(settings["label_issues"])
    if sum(x is not None for x in (spec.model.name, run_id, model_dir)) != 1:
        raise ConfigError("give exactly one of --model NAME, --run RUN_ID or --model-dir DIR")
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_ROWS:
        raise ConfigError(f"--size must be between 1 and {MAX_ROWS}: an eyeball set is meant to be read by a person")
    n_jobs = check_n_jobs(settings["n_jobs"])
    if out:
        check_can_write(out, force)
    context = RunContext(spec, progress)
    split, say = context.split, context.say
    if run_id or model_dir:
        model, info = load_model_uri(run_id or model_dir, spec.tracking.uri,
                                     trust_pickle=bool(settings["trust_pickle"]))
        name = info.get("model", "model")
    else:
        name = spec.model.name
        model = context.make_model()
        if not label_issues:
            say(f"{name}: fitting on {len(split.train):,} texts ...")
            context.fit(model)
    task = context.choice.task
    if label_issues:
        if task == REGRESSION:
            raise ConfigError("--label-issues finds wrong class labels; a numeric target has none to find "
                              "(the eyeball set, without --label-issues, lists the largest errors)")
        say(f"{name}: out-of-fold probabilities on {len(split.train):,} training texts ...")
        check_overlap(model, split.train, task)  # a loaded model only: a fresh one has no classes yet
        rows, total, source = label_issue_rows(model, split.train, size, seed=spec.seed, n_jobs=n_jobs)
        evaluated, kind = len(split.train), "label-issues"
    else:
        check_overlap(model, split.dev, task)
        rows, total, source = eyeball_rows(model, split.dev, size, task)
        evaluated, kind = len(split.dev), "eyeball"
    written = write_rows(rows, out, task) if out else None
    artifact = f"{kind}.jsonl"
    counts = {f"{kind.replace('-', '_')}_errors": total, f"{kind.replace('-', '_')}_evaluated": evaluated}
    if run_id:
        # beside the model's own run, in whatever experiment that run lives
        with tempfile.TemporaryDirectory() as tmp:
            path = write_rows(rows, Path(tmp) / artifact, task)
            log_to_existing_run(run_id, [(str(path), "errors")], counts, spec.tracking.uri)
        logged_run = run_id
    else:
        with context.run(f"errors {name}", model=name, tags=tags) as logged_run:
            with tempfile.TemporaryDirectory() as tmp:
                context.tracker.log_file(write_rows(rows, Path(tmp) / artifact, task), "errors")
            context.tracker.log_metrics(counts)
    return ErrorReport(rows, total, evaluated, source, written, logged_run, kind)
