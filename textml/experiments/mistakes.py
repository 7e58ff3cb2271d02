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

from textml.data.dataset import Dataset
from textml.evaluation.metrics import class_probabilities, probability_source, require_probabilities
from textml.exceptions import ConfigError
from textml.experiments.context import Progress, RunContext
from textml.experiments.spec import RunSpec

FIELDS = ("id", "text", "label", "predicted", "prob_label", "prob_predicted", "margin")
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


def eyeball_rows(model, data: Dataset, size: int = 100) -> tuple[list[dict], int, str]:
    """The ``size`` most confidently wrong predictions on ``data``, worst first (by the
    model's class probabilities: the numbers ``textml predict`` and the MLflow model give)."""
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


def label_issue_rows(model, data: Dataset, size: int = 100, folds: int = 5, seed: int = 0,
                     n_jobs: int = 1) -> tuple[list[dict], int, str]:
    """Training rows whose given label looks wrong, most suspicious first (cleanlab, fed
    out-of-fold ``predict_proba`` of the model: calibrated probabilities for the SVMs)."""
    from cleanlab.filter import find_label_issues
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    require_probabilities(model)
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


def write_rows(rows: list[dict], path: str | os.PathLike) -> Path:
    """The rows as CSV, TSV, JSONL or Parquet (by extension), atomically."""
    from textml.data.formats import write_records

    return write_records(rows, FIELDS, path)


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
    if label_issues:
        say(f"{name}: out-of-fold probabilities on {len(split.train):,} training texts ...")
        rows, total, source = label_issue_rows(model, split.train, size, seed=spec.seed, n_jobs=n_jobs)
        evaluated, kind = len(split.train), "label-issues"
    else:
        rows, total, source = eyeball_rows(model, split.dev, size)
        evaluated, kind = len(split.dev), "eyeball"
    written = write_rows(rows, out) if out else None
    artifact = f"{kind}.jsonl"
    counts = {f"{kind.replace('-', '_')}_errors": total, f"{kind.replace('-', '_')}_evaluated": evaluated}
    if run_id:
        # beside the model's own run, in whatever experiment that run lives
        with tempfile.TemporaryDirectory() as tmp:
            path = write_rows(rows, Path(tmp) / artifact)
            log_to_existing_run(run_id, [(str(path), "errors")], counts, spec.tracking.uri)
        logged_run = run_id
    else:
        with context.run(f"errors {name}", model=name, tags=tags) as logged_run:
            with tempfile.TemporaryDirectory() as tmp:
                context.tracker.log_file(write_rows(rows, Path(tmp) / artifact), "errors")
            context.tracker.log_metrics(counts)
    return ErrorReport(rows, total, evaluated, source, written, logged_run, kind)
