"""One primary metric chosen from the task, and every score computed the same way.

Binary: F1 of the minority (positive) class, or average precision when that class is
under 10% of the training rows. Multi-class: macro F1 (balanced accuracy on request).
Plain accuracy is always reported but never primary: it rewards predicting the majority.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Sequence

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


def choose_metric(train_labels: Sequence, override: str | None = None) -> MetricChoice:
    """Pick the primary metric from the training labels (or validate ``override``)."""
    task = infer_task(train_labels)
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


def positive_scores(scores: np.ndarray | None, classes: Sequence, positive: str) -> np.ndarray | None:
    """The positive class's column from predict_proba or decision_function output."""
    if scores is None:
        return None
    scores = np.asarray(scores)
    classes = list(classes)
    if scores.ndim == 1:  # binary decision_function: the score of classes[1]
        return scores if classes[1] == positive else -scores
    return scores[:, classes.index(positive)]


def score(y_true: Sequence, y_pred: Sequence, choice: MetricChoice,
          scores: np.ndarray | None = None, classes: Sequence | None = None) -> dict[str, float]:
    """Every metric textml reports, with the primary one also under its own name."""
    from sklearn.metrics import (accuracy_score, average_precision_score, balanced_accuracy_score,
                                 f1_score, precision_score, recall_score)

    y_true = np.asarray(y_true, dtype=object)
    y_pred = np.asarray(y_pred, dtype=object)
    out = {
        "macro_f1": f1_score(y_true, y_pred, average="macro", zero_division=0),
        "weighted_f1": f1_score(y_true, y_pred, average="weighted", zero_division=0),
        "balanced_accuracy": balanced_accuracy_score(y_true, y_pred),
        "accuracy": accuracy_score(y_true, y_pred),
    }
    if choice.task == BINARY and choice.positive is not None:
        pos = choice.positive
        out["f1"] = f1_score(y_true, y_pred, pos_label=pos, average="binary", zero_division=0)
        out["precision"] = precision_score(y_true, y_pred, pos_label=pos, average="binary", zero_division=0)
        out["recall"] = recall_score(y_true, y_pred, pos_label=pos, average="binary", zero_division=0)
        pos_scores = positive_scores(scores, classes, pos) if classes is not None else None
        if pos_scores is not None and (y_true == pos).any():
            out["average_precision"] = average_precision_score(y_true == pos, pos_scores)
        else:
            # without scores, AP of hard predictions: precision at the single operating point
            out["average_precision"] = average_precision_score(y_true == pos, (y_pred == pos).astype(float))
    return {name: float(value) for name, value in out.items()}


def model_scores(model, texts) -> np.ndarray | None:
    """predict_proba where the model has it, else decision_function, else None."""
    for method in ("predict_proba", "decision_function"):
        if hasattr(model, method):
            try:
                return np.asarray(getattr(model, method)(texts))
            except (AttributeError, NotImplementedError):
                continue
    return None


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
    if choice.name == "average_precision":
        return make_scorer(average_precision_score, pos_label=choice.positive,
                           response_method=("decision_function", "predict_proba"))
    raise ConfigError(f"no scorer for metric {choice.name!r}")


def class_probabilities(model, texts) -> tuple[np.ndarray, str]:
    """Per-class probabilities ordered as ``model.classes_``, and where they came from.

    Models without predict_proba (LinearSVC) get a softmax of their decision scores: a
    confidence for ranking, not a calibrated probability, and labelled as such.
    """
    if hasattr(model, "predict_proba"):
        try:
            return np.asarray(model.predict_proba(texts), dtype=float), "predict_proba"
        except (AttributeError, NotImplementedError):
            pass
    decision = np.asarray(model.decision_function(texts), dtype=float)
    if decision.ndim == 1:
        decision = np.column_stack([-decision, decision])
    decision = decision - decision.max(axis=1, keepdims=True)
    exp = np.exp(decision)
    return exp / exp.sum(axis=1, keepdims=True), "softmax(decision_function)"
