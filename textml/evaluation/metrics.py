"""One primary metric chosen from the task, and every score computed the same way.

Binary: F1 of the minority (positive) class, or average precision when that class is
under 10% of the training rows. Multi-class: macro F1 (balanced accuracy on request).
Plain accuracy is always reported but never primary: it rewards predicting the majority.

Scores come one way: :func:`class_probabilities` (``predict_proba``, columns as
``classes_``), which every output and metric uses; with them :func:`score` also reports the
top-label expected calibration error (``calibration_error``), so a user can see how far to
trust a probability.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from textml.data.dataset import BINARY, MULTICLASS, MULTILABEL, infer_task
from textml.exceptions import ConfigError

METRICS = ("macro_f1", "balanced_accuracy", "f1", "average_precision", "weighted_f1")
RARE_POSITIVE_SHARE = 0.10


@dataclass(frozen=True)
class MetricChoice:
    """The primary metric of an experiment, and for binary tasks the positive class."""

    name: str
    task: str
    positive: str | None = None
    reason: str = ""

    def to_dict(self) -> dict:
        return {"primary_metric": self.name, "task": self.task, "positive_class": self.positive,
                "metric_reason": self.reason}


def choose_metric(train_labels: Sequence, override: str | None = None, task: str | None = None) -> MetricChoice:
    """Pick the primary metric from the training labels (or validate ``override``).

    ``task`` overrides the inferred task where that makes sense (two classes read as a
    multi-class task: macro F1 over both); a task the labels cannot be is refused.
    """
    inferred = infer_task(train_labels)
    if task is not None and task != inferred:
        if not (task == MULTICLASS and inferred == BINARY):
            raise ConfigError(f"--task {task}: the training labels are {inferred} "
                              f"({len(set(train_labels))} classes); drop --task to use the inferred task")
        if override in ("f1", "average_precision"):
            raise ConfigError(f"{override} needs a binary task; --task multiclass asks for macro_f1 or "
                              f"balanced_accuracy")
        if override and override not in METRICS:
            raise ConfigError(f"unknown metric {override!r}; choose one of: {', '.join(METRICS)}")
        return MetricChoice(override or "macro_f1", MULTICLASS, None,
                            "chosen with --metric" if override else "multi-class by --task: every class counts the same")
    task = inferred
    if task == MULTILABEL:
        raise ConfigError("multi-label data is not supported by train/compare yet; "
                          "give each row one label (e.g. split it into one file per label)")
    counts = Counter(train_labels)
    positive = None
    share = None
    if task == BINARY and len(counts) == 2:
        # the minority class is the one people care about (spam, fraud, the rare category)
        positive, n_pos = min(counts.items(), key=lambda kv: (kv[1], kv[0]))
        share = n_pos / sum(counts.values())
    if override:
        if override == "accuracy":
            raise ConfigError("accuracy cannot be the primary metric: it rewards predicting the majority "
                              "class; it is reported anyway. Choose one of: " + ", ".join(METRICS))
        if override not in METRICS:
            raise ConfigError(f"unknown metric {override!r}; choose one of: {', '.join(METRICS)}")
        if override in ("f1", "average_precision") and task != BINARY:
            raise ConfigError(f"{override} needs a binary task; this one has {len(counts)} classes "
                              f"(use macro_f1 or balanced_accuracy)")
        return MetricChoice(override, task, positive, "chosen with --metric")
    if task == BINARY:
        if share is not None and share < RARE_POSITIVE_SHARE:
            return MetricChoice("average_precision", task, positive,
                                f"binary, positive class {positive!r} is {share:.1%} of train (<10%)")
        return MetricChoice("f1", task, positive, f"binary, F1 of the minority class {positive!r}")
    return MetricChoice("macro_f1", MULTICLASS, None, f"multi-class ({len(counts)} classes): every class counts the same")


CALIBRATION_BINS = 15


def require_probabilities(model, where: str = "the model") -> None:
    """A one-line ConfigError unless ``model`` has ``predict_proba`` (what every score needs)."""
    if not hasattr(model, "predict_proba"):
        raise ConfigError(
            f"{where} ({type(model).__name__}) has no predict_proba, so it gives no class probabilities; "
            f"retrain it with this textml version (its SVMs are calibrated) or rebuild it as "
            f"textml.models.calibration.CalibratedPipeline(pipeline.steps) and fit that")


def class_probabilities(model, texts) -> np.ndarray:
    """The one way textml scores a model: its class probabilities for ``texts``.

    ``model.predict_proba(texts)`` as float64, shape ``(n, len(model.classes_))``, columns
    ordered as ``model.classes_``. Every output uses it: ``textml predict``/``encode``,
    ``errors`` and its label-issue ranking, the MLflow pyfunc model (and ``mlflow models
    serve``, the Spark UDF), Label Studio pre-annotations and every reported metric. Registry
    pipelines all have ``predict_proba`` (the linear SVMs as
    :class:`textml.models.calibration.CalibratedPipeline`); a model without it is
    refused with a ConfigError saying what to do - there is no second, uncalibrated way.
    """
    require_probabilities(model)
    n_classes = len(model.classes_)
    if hasattr(texts, "__len__") and len(texts) == 0:
        return np.zeros((0, n_classes), dtype=np.float64)
    probabilities = np.asarray(model.predict_proba(texts), dtype=np.float64)
    if probabilities.ndim != 2 or probabilities.shape[1] != n_classes:
        raise ConfigError(f"{type(model).__name__}.predict_proba gave shape {probabilities.shape}, "
                          f"not (rows, {n_classes} classes)")
    return probabilities


def probability_source(model) -> str:
    """How ``model``'s probabilities are made (for model metadata and reports)."""
    from textml.models.calibration import CalibratedPipeline

    if isinstance(model, CalibratedPipeline) and hasattr(model, "temperature_"):
        return (f"predict_proba: softmax(decision_function / T), T={model.temperature_:.4g} fitted on "
                f"{model.n_calibration_rows_} held-out training rows")
    return "predict_proba"


def calibration_error(y_true: Sequence, probabilities: np.ndarray, classes: Sequence,
                      bins: int = CALIBRATION_BINS) -> float:
    """Top-label expected calibration error (ECE): how far confidence is from accuracy.

    Each row's confidence is its highest probability, and it is correct when that column's
    class is the true label. Rows fall into ``bins`` equal-width confidence bins
    ((0, 1/15], (1/15, 2/15], ..., (14/15, 1]); ECE = sum over bins of (rows in bin / rows)
    * |accuracy in bin - mean confidence in bin|. 0 means "80% sure" is right 80% of the
    time; 0.05 means confidences are off by 5 points on average. NaN for no rows.
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    n = len(probabilities)
    if n == 0:
        return float("nan")
    top = probabilities.argmax(axis=1)
    confidence = probabilities[np.arange(n), top]
    correct = np.asarray(classes, dtype=object)[top] == np.asarray(y_true, dtype=object)
    which = np.clip(np.ceil(confidence * bins).astype(int) - 1, 0, bins - 1)
    hits = np.bincount(which, weights=correct.astype(np.float64), minlength=bins)
    sure = np.bincount(which, weights=confidence, minlength=bins)
    return float(np.abs(hits - sure).sum() / n)


def positive_scores(probabilities: np.ndarray | None, classes: Sequence, positive: str) -> np.ndarray | None:
    """The positive class's column of class probabilities (zeros if the model never saw it)."""
    if probabilities is None:
        return None
    probabilities = np.asarray(probabilities, dtype=np.float64)
    classes = list(classes)
    if positive not in classes:
        return np.zeros(len(probabilities))
    return probabilities[:, classes.index(positive)]


def score(y_true: Sequence, y_pred: Sequence, choice: MetricChoice,
          probabilities: np.ndarray | None = None, classes: Sequence | None = None) -> dict[str, float]:
    """Every metric textml reports, with the primary one also under its own name.

    ``probabilities``: :func:`class_probabilities` of the model on the same rows, columns as
    ``classes``. With them the result also holds ``calibration_error`` (see
    :func:`calibration_error`), and binary average precision ranks by the positive class's
    probability; without them, average precision is that of the hard predictions.
    """
    from sklearn.metrics import (
        accuracy_score,
        average_precision_score,
        balanced_accuracy_score,
        f1_score,
        precision_score,
        recall_score,
    )

    y_true = np.asarray(y_true, dtype=object)
    y_pred = np.asarray(y_pred, dtype=object)
    out = {
        "macro_f1": f1_score(y_true, y_pred, average="macro", zero_division=0),
        "weighted_f1": f1_score(y_true, y_pred, average="weighted", zero_division=0),
        "balanced_accuracy": balanced_accuracy_score(y_true, y_pred),
        "accuracy": accuracy_score(y_true, y_pred),
    }
    if probabilities is not None:
        if classes is None:
            raise ValueError("score(): probabilities need classes= (the order of their columns)")
        probabilities = np.asarray(probabilities, dtype=np.float64)
        if probabilities.shape != (len(y_true), len(classes)):
            raise ValueError(f"score(): probabilities have shape {probabilities.shape}, expected "
                             f"({len(y_true)}, {len(classes)})")
        out["calibration_error"] = calibration_error(y_true, probabilities, classes)
    if choice.task == BINARY and choice.positive is not None:
        pos = choice.positive
        out["f1"] = f1_score(y_true, y_pred, pos_label=pos, average="binary", zero_division=0)
        out["precision"] = precision_score(y_true, y_pred, pos_label=pos, average="binary", zero_division=0)
        out["recall"] = recall_score(y_true, y_pred, pos_label=pos, average="binary", zero_division=0)
        if probabilities is not None and (y_true == pos).any():
            out["average_precision"] = average_precision_score(y_true == pos, positive_scores(probabilities, classes, pos))
        else:
            # without probabilities, AP of hard predictions: precision at the single operating point
            out["average_precision"] = average_precision_score(y_true == pos, (y_pred == pos).astype(float))
    return {name: float(value) for name, value in out.items()}


def make_scorer_for(choice: MetricChoice):
    """The primary metric as an sklearn scorer (for search, learning curves, cross-validation)."""
    from sklearn.metrics import average_precision_score, balanced_accuracy_score, f1_score, make_scorer

    if choice.name == "macro_f1":
        return make_scorer(f1_score, average="macro", zero_division=0)
    if choice.name == "weighted_f1":
        return make_scorer(f1_score, average="weighted", zero_division=0)
    if choice.name == "balanced_accuracy":
        return make_scorer(balanced_accuracy_score)
    if choice.name == "f1":
        return make_scorer(f1_score, pos_label=choice.positive, average="binary", zero_division=0)
    if choice.name == "average_precision":  # ranked by the positive class's probability, as score()
        return make_scorer(average_precision_score, pos_label=choice.positive, response_method="predict_proba")
    raise ConfigError(f"no scorer for metric {choice.name!r}")


