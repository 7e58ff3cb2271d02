"""One primary metric chosen from the task, and every score computed the same way.

Binary: F1 of the minority (positive) class, or average precision when that class is
under 10% of the training rows (ROC AUC on request, for ranking). Multi-class: macro F1
(balanced accuracy on request). Multi-label: micro F1 (macro and samples F1, Hamming loss
beside it). Regression: RMSE (MAE, R² beside it). Plain accuracy is always reported but
never primary: it rewards predicting the majority. Lower-is-better metrics (RMSE, MAE,
Hamming loss) are ranked by :attr:`MetricChoice.sign` wherever a best is chosen.

Scores come one way: :func:`class_probabilities` (``predict_proba``, columns as
``classes_``), which every output and metric uses; with them :func:`score` also reports the
top-label expected calibration error (``calibration_error``), so a user can see how far to
trust a probability.
"""

from __future__ import annotations

import functools
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from textml.data.dataset import BINARY, MULTICLASS, MULTILABEL, REGRESSION, infer_task, numeric_value
from textml.exceptions import ConfigError

METRICS_BY_TASK = {
    BINARY: ("f1", "average_precision", "roc_auc", "macro_f1", "balanced_accuracy", "weighted_f1"),
    MULTICLASS: ("macro_f1", "balanced_accuracy", "weighted_f1"),
    MULTILABEL: ("micro_f1", "macro_f1", "samples_f1", "weighted_f1", "hamming_loss"),
    REGRESSION: ("rmse", "mae", "r2"),
}
METRICS = tuple(dict.fromkeys(name for names in METRICS_BY_TASK.values() for name in names))
LOWER_IS_BETTER = frozenset({"rmse", "mae", "hamming_loss"})
RARE_POSITIVE_SHARE = 0.10


@dataclass(frozen=True)
class MetricChoice:
    """The primary metric of an experiment, and for binary tasks the positive class."""

    name: str
    task: str
    positive: str | None = None
    reason: str = ""

    @property
    def greater_is_better(self) -> bool:
        return self.name not in LOWER_IS_BETTER

    @property
    def sign(self) -> int:
        """+1 when higher is better, -1 when lower is (what scikit-learn scorers maximise)."""
        return 1 if self.greater_is_better else -1

    def best_first(self, values):
        """Sort key giving the best value first: ``sorted(rows, key=lambda r: choice.best_first(r[m]))``."""
        return -self.sign * values

    def to_dict(self) -> dict:
        return {"primary_metric": self.name, "task": self.task, "positive_class": self.positive,
                "metric_reason": self.reason}


def _validated_task(train_labels: Sequence, inferred: str, task: str | None) -> str:
    """The task to run: the inferred one, or ``task`` where the labels can be that."""
    if task is None or task == inferred:
        return inferred
    classes = {label for label in train_labels if label is not None}
    if task == REGRESSION:
        bad = next((label for label in train_labels if label is not None and numeric_value(label) is None), None)
        if bad is not None:
            raise ConfigError(f"--task regression: the training label {bad!r} is not a number; a regression "
                              f"target must be a number in every row (drop --task to classify)")
        return task
    if task == MULTILABEL and inferred in (BINARY, MULTICLASS):
        return task  # each row a set of one label: legitimate, e.g. a tag file where most rows carry one tag
    if task == MULTICLASS and inferred in (BINARY, REGRESSION):
        return task  # two classes each counted the same; numbers read as classes
    if task == BINARY and inferred == REGRESSION and len(classes) == 2:
        return task
    raise ConfigError(f"--task {task}: the training labels are {inferred} ({len(classes)} distinct labels); "
                      f"drop --task to use the inferred task")


def choose_metric(train_labels: Sequence, override: str | None = None, task: str | None = None) -> MetricChoice:
    """Pick the primary metric from the training labels (or validate ``override``).

    Binary: F1 of the minority class (average precision under 10%); multi-class: macro F1;
    multi-label: micro F1 (every label decision counts the same); regression: RMSE in the
    target's units. ``task`` overrides the inferred task where the labels allow it.
    """
    task = _validated_task(train_labels, infer_task(train_labels), task)
    positive = share = None
    counts: Counter = Counter()
    if task in (BINARY, MULTICLASS):
        counts = Counter(label for label in train_labels if label is not None)
    if task == BINARY and len(counts) == 2:
        # the minority class is the one people care about (spam, fraud, the rare category)
        positive, n_pos = min(counts.items(), key=lambda kv: (kv[1], kv[0]))
        share = n_pos / sum(counts.values())
    if override:
        allowed = METRICS_BY_TASK[task]
        if override == "accuracy":
            raise ConfigError("accuracy cannot be the primary metric: it rewards predicting the majority "
                              "class; it is reported anyway. Choose one of: " + ", ".join(allowed))
        if override not in METRICS:
            raise ConfigError(f"unknown metric {override!r}; choose one of: {', '.join(METRICS)}")
        if override not in allowed:
            needs = [t for t, names in METRICS_BY_TASK.items() if override in names]
            raise ConfigError(f"{override} is a metric for {' or '.join(needs)} tasks; this one is {task}: "
                              f"choose one of {', '.join(allowed)}")
        return MetricChoice(override, task, positive, "chosen with --metric")
    if task == BINARY:
        if share is not None and share < RARE_POSITIVE_SHARE:
            return MetricChoice("average_precision", task, positive,
                                f"binary, positive class {positive!r} is {share:.1%} of train (<10%)")
        return MetricChoice("f1", task, positive, f"binary, F1 of the minority class {positive!r}")
    if task == MULTILABEL:
        return MetricChoice("micro_f1", task, None, "multi-label: every label decision counts the same")
    if task == REGRESSION:
        return MetricChoice("rmse", task, None, "numeric target: root mean squared error, in the target's units")
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
    """Every metric textml reports for ``choice.task``, the primary one among them.

    ``y_true``/``y_pred`` are labels as :mod:`textml.evaluation.targets` gives them (strings,
    label tuples, or floats). ``probabilities``: :func:`class_probabilities` of the model on
    the same rows, columns as ``classes``. Single-label: with them the result also holds
    ``calibration_error`` (see :func:`calibration_error`), and binary average precision and
    ROC AUC rank by the positive class's probability; without them, those are computed from
    the hard predictions. Multi-label: with them, ``micro_average_precision`` (ranking).
    """
    if choice.task == REGRESSION:
        return regression_scores(y_true, y_pred)
    if probabilities is not None:
        if classes is None:
            raise ValueError("score(): probabilities need classes= (the order of their columns)")
        probabilities = np.asarray(probabilities, dtype=np.float64)
        if probabilities.shape != (len(y_true), len(classes)):
            raise ValueError(f"score(): probabilities have shape {probabilities.shape}, expected "
                             f"({len(y_true)}, {len(classes)})")
    if choice.task == MULTILABEL:
        return multilabel_scores(y_true, y_pred, probabilities, classes)
    return single_label_scores(y_true, y_pred, choice, probabilities, classes)


def regression_scores(y_true: Sequence, y_pred: Sequence) -> dict[str, float]:
    """RMSE, MAE and R² (R² is NaN for fewer than two rows, as scikit-learn warns)."""
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if len(y_true) == 0:
        return {"rmse": float("nan"), "mae": float("nan"), "r2": float("nan")}
    r2 = r2_score(y_true, y_pred) if len(y_true) > 1 else float("nan")
    return {"rmse": float(np.sqrt(mean_squared_error(y_true, y_pred))),
            "mae": float(mean_absolute_error(y_true, y_pred)), "r2": float(r2)}


def multilabel_label_space(y_true: Sequence, y_pred: Sequence, classes: Sequence | None = None) -> list[str]:
    """The labels a multi-label score counts: the model's, then any other seen in truth or predictions."""
    from textml.evaluation.targets import as_label_sets

    labels = [str(c) for c in (classes if classes is not None else [])]
    seen = set(labels)
    extra = sorted({str(label) for rows in (y_true, y_pred) for row in as_label_sets(rows) for label in row} - seen)
    return labels + extra


def multilabel_scores(y_true: Sequence, y_pred: Sequence, probabilities: np.ndarray | None = None,
                      classes: Sequence | None = None) -> dict[str, float]:
    """Micro/macro/weighted/samples F1, micro precision and recall, Hamming loss and subset
    accuracy (exact label set) over the model's labels plus any other seen in the rows."""
    from sklearn.metrics import average_precision_score, f1_score, hamming_loss, precision_score, recall_score

    from textml.evaluation.targets import indicator

    labels = multilabel_label_space(y_true, y_pred, classes)
    truth, predicted = indicator(y_true, labels), indicator(y_pred, labels)
    out = {average + "_f1": f1_score(truth, predicted, average=average, zero_division=0)
           for average in ("micro", "macro", "weighted", "samples")}
    out.update({
        "micro_precision": precision_score(truth, predicted, average="micro", zero_division=0),
        "micro_recall": recall_score(truth, predicted, average="micro", zero_division=0),
        "hamming_loss": hamming_loss(truth, predicted) if len(truth) else float("nan"),
        "subset_accuracy": float(np.mean((truth == predicted).all(axis=1))) if len(truth) else float("nan"),
        "labels_per_row": float(predicted.sum(axis=1).mean()) if len(truth) else float("nan"),
    })
    if probabilities is not None and len(truth) and truth[:, :len(classes)].any():
        out["micro_average_precision"] = average_precision_score(truth[:, :len(classes)], probabilities,
                                                                 average="micro")
    return {name: float(value) for name, value in out.items()}


def label_codes(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both label arrays as integer codes of one shared vocabulary: the averaged metrics are the
    same, and scikit-learn checks integer labels without Python sets of strings (score on
    Debian's 48k training rows: 0.5 s -> 0.1 s). Labels that cannot be ordered stay as they are."""
    try:
        _, codes = np.unique(np.concatenate([y_true, y_pred]), return_inverse=True)
    except TypeError:  # mixed label types (str beside int): sklearn copes, np.unique cannot sort them
        return y_true, y_pred
    codes = codes.reshape(-1)
    return codes[:len(y_true)], codes[len(y_true):]


def single_label_scores(y_true: Sequence, y_pred: Sequence, choice: MetricChoice,
                        probabilities: np.ndarray | None = None, classes: Sequence | None = None) -> dict[str, float]:
    """Macro/weighted F1, balanced accuracy, accuracy, calibration error; binary: F1,
    precision, recall, average precision and ROC AUC of the positive class."""
    from sklearn.metrics import (
        accuracy_score,
        average_precision_score,
        balanced_accuracy_score,
        f1_score,
        precision_score,
        recall_score,
        roc_auc_score,
    )

    y_true = np.asarray(y_true, dtype=object)
    y_pred = np.asarray(y_pred, dtype=object)
    true_codes, pred_codes = label_codes(y_true, y_pred)
    with warnings.catch_warnings():  # "y_pred contains classes not in y_true": the context warns once, itself
        warnings.simplefilter("ignore", UserWarning)
        out = {
            "macro_f1": f1_score(true_codes, pred_codes, average="macro", zero_division=0),
            "weighted_f1": f1_score(true_codes, pred_codes, average="weighted", zero_division=0),
            "balanced_accuracy": balanced_accuracy_score(true_codes, pred_codes),
            "accuracy": accuracy_score(true_codes, pred_codes),
        }
    if probabilities is not None:
        out["calibration_error"] = calibration_error(y_true, probabilities, classes)
    if choice.task == BINARY and choice.positive is not None:
        pos = choice.positive
        # as yes/no for the positive class, so labels the training data never had cannot break it
        is_pos, said_pos = y_true == pos, y_pred == pos
        out["f1"] = f1_score(is_pos, said_pos, zero_division=0)
        out["precision"] = precision_score(is_pos, said_pos, zero_division=0)
        out["recall"] = recall_score(is_pos, said_pos, zero_division=0)
        # without probabilities, the hard predictions' single operating point
        ranking = (positive_scores(probabilities, classes, pos) if probabilities is not None
                   else (y_pred == pos).astype(float))
        out["average_precision"] = average_precision_score(is_pos, ranking) if is_pos.any() else 0.0
        out["roc_auc"] = roc_auc_score(is_pos, ranking) if 0 < is_pos.sum() < len(is_pos) else float("nan")
    return {name: float(value) for name, value in out.items()}


def make_scorer_for(choice: MetricChoice):
    """The primary metric as a scikit-learn scorer (search, learning curves, cross-validation).

    Scorers are maximised, so a lower-is-better metric (RMSE, MAE, Hamming loss) is returned
    negated: multiply by ``choice.sign`` to read it. The ``y`` they receive is what
    :func:`textml.evaluation.targets.fit_targets` gives (label tuples, floats or strings).
    """
    from sklearn.metrics import average_precision_score, balanced_accuracy_score, f1_score, make_scorer

    if choice.task in (MULTILABEL, REGRESSION) or choice.name == "roc_auc":
        return functools.partial(_task_scorer, choice)
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


NEEDS_PROBABILITIES = frozenset({"average_precision", "roc_auc"})


def _task_scorer(choice: MetricChoice, estimator, X, y) -> float:
    """``score()``'s primary metric of ``estimator`` on ``X``, signed so that higher is better."""
    from textml.evaluation.targets import predict_labels

    texts = list(X)
    predicted = predict_labels(estimator, texts, choice.task)
    probabilities = class_probabilities(estimator, texts) if choice.name in NEEDS_PROBABILITIES else None
    truth = y if choice.task != MULTILABEL else list(y)
    metrics = score(truth, predicted, choice, probabilities, getattr(estimator, "classes_", None))
    return choice.sign * metrics[choice.name]
