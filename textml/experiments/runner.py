"""Fit one model on the context's split and measure it: the unit of work of train, compare and tune."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from textml import __version__
from textml.data.dataset import MULTILABEL, REGRESSION
from textml.evaluation.cost import measure_latency
from textml.evaluation.metrics import NEEDS_PROBABILITIES, MetricChoice, class_probabilities, score
from textml.evaluation.plots import model_plots, per_class_report, per_label_report
from textml.evaluation.targets import predict_labels, targets


@dataclass
class ModelResult:
    name: str
    model: object
    dev: dict[str, float]
    fit_seconds: float
    latency_ms_per_1k: float
    size_bytes: int | None  # bytes on disk of the saved model; known once it is saved (logged)
    dev_pred: np.ndarray
    test: dict[str, float] | None = None
    run_id: str | None = None
    params: dict = field(default_factory=dict)
    latency_spread_ms: float = float("nan")
    train_score: float | None = None
    dev_proba: np.ndarray | None = None  # class probabilities on dev (None for regression)

    def row(self, primary: str) -> dict:
        out = {"model": self.name, primary: self.dev[primary]}
        out.update({k: v for k, v in self.dev.items() if k != primary})
        out.update({"fit_seconds": self.fit_seconds, "latency_ms_per_1k": self.latency_ms_per_1k,
                    "size_bytes": self.size_bytes, "run_id": self.run_id})
        if self.test is not None:
            out.update({f"test_{k}": v for k, v in self.test.items()})
        return out


def predict_and_score(model, data, choice: MetricChoice, probabilities: bool = True,
                      with_probabilities: bool = False):
    """``model``'s predictions on ``data`` (labels: strings, label tuples or floats) and every
    metric textml reports on them (and the class probabilities with ``with_probabilities``).

    ``probabilities=False`` skips the class probabilities (and so the calibration error) unless
    the primary metric needs them: the train score wants only the primary metric, and on 48k
    texts the probabilities cost a second pass over the features. Regression has none.
    """
    predicted = predict_labels(model, data.texts, choice.task)
    needed = (probabilities or choice.name in NEEDS_PROBABILITIES) and choice.task != REGRESSION
    proba = class_probabilities(model, data.texts) if needed else None
    metrics = score(targets(data.labels, choice.task, f"{data.source or 'the data'}"), predicted, choice, proba,
                    getattr(model, "classes_", None))
    return (predicted, metrics, proba) if with_probabilities else (predicted, metrics)


TRAIN_SCORE_ROWS = 20_000  # an accuracy's standard error at 20k rows is ~0.3 points: enough to set beside dev


def train_sample(context):
    """The training rows the train score is computed on: all of them up to
    :data:`TRAIN_SCORE_ROWS`, else a fixed sample (the spec's seed), so scoring the training
    set costs at most about three dev sets, not a pass over a million rows per pipeline."""
    train = context.split.train
    if len(train) <= TRAIN_SCORE_ROWS:
        return train
    rows = np.random.default_rng(context.spec.seed).choice(len(train), TRAIN_SCORE_ROWS, replace=False)
    return train.subset(np.sort(rows).tolist())


def fit_and_evaluate(context, name: str, model, final: bool = False) -> ModelResult:
    """Fit on train, score on dev (and on test only when ``final``), time and weigh the model."""
    start = time.perf_counter()
    context.fit(model, name=name)
    fit_seconds = time.perf_counter() - start
    dev, choice = context.split.dev, context.choice
    dev_pred, dev_metrics, dev_proba = predict_and_score(model, dev, choice, with_probabilities=True)
    test_metrics = predict_and_score(model, context.read_test(), choice)[1] if final else None
    # the train score is half of the bias/variance picture (train vs dev)
    train_score = predict_and_score(model, train_sample(context), choice, probabilities=False)[1][choice.name]
    context.settle()  # nothing in the background while the latency is timed
    latency = measure_latency(model, dev.texts)
    return ModelResult(
        name=name, model=model, dev=dev_metrics, fit_seconds=fit_seconds,
        latency_ms_per_1k=latency.median_ms, latency_spread_ms=latency.spread_ms, size_bytes=None,
        dev_pred=dev_pred, test=test_metrics, train_score=train_score, dev_proba=dev_proba,
    )


def model_info(result: ModelResult, context) -> dict:
    """What textml.json records beside a saved model."""
    return {
        "model": result.name,
        "classes": [str(c) for c in getattr(result.model, "classes_", [])],  # labels, for multi-label
        **context.choice.to_dict(),
        "dev_metrics": result.dev,
        "test_metrics": result.test,
        "data": {key.removeprefix("data.").removesuffix("_sha256"): value
                 for key, value in context.data_tags().items()},
        "run_id": result.run_id,
        "textml_version": __version__,
    }


MAX_CLASS_METRICS = 500  # per-class F1 metrics beyond this many classes stay in the report only


def log_result(context, result: ModelResult) -> None:
    """Log one model to the active run: the model itself first (an MLflow logged model, whose
    size on disk becomes ``result.size_bytes``, and to which the metrics after it are linked),
    the params that were set, its metrics (dev, train, per-class F1, costs), plots and report."""
    from textml.tracking import estimator_params, metric_name
    from textml.tracking.pyfunc import log_pyfunc

    tracker, choice, split = context.tracker, context.choice, context.split
    dev = split.dev
    options = context.spec_for(result.name).model.options
    params = {"pipeline": result.name, **{f"option.{k}": v for k, v in options.items()},
              **estimator_params(result.model, changed_only=True)}
    tracker.log_params(params)
    logged = log_pyfunc(result.model, model_info(result, context), dev.texts[:3], name="model")
    result.size_bytes = logged.size_bytes
    tracker.log_dict(estimator_params(result.model), "params.json")  # every hyperparameter, defaults too
    truth = targets(dev.labels, choice.task)
    classes = [str(c) for c in getattr(result.model, "classes_", [])]
    if choice.task == REGRESSION:
        labels, report = [], []
    elif choice.task == MULTILABEL:
        labels = classes + sorted({label for row in truth for label in row} - set(classes))
        report = per_label_report(truth, result.dev_pred, labels)
    else:
        labels = sorted(set(dev.labels) | set(classes))
        report = per_class_report(dev.labels, result.dev_pred, labels)
    tracker.log_metrics(result.dev, prefix="dev_")
    tracker.log_metrics({f"train_{choice.name}": result.train_score, "fit_seconds": result.fit_seconds,
                         "latency_ms_per_1k": result.latency_ms_per_1k,
                         "latency_spread_ms_per_1k": result.latency_spread_ms, "size_bytes": result.size_bytes,
                         "train_rows": len(split.train), "dev_rows": len(dev),
                         "train_score_rows": min(len(split.train), TRAIN_SCORE_ROWS),
                         **({"classes": len(labels)} if labels else {})})
    if report and len(report) <= MAX_CLASS_METRICS:
        tracker.log_metrics({metric_name(f"f1.{row['class']}"): row["f1"] for row in report})
    if result.test is not None:
        tracker.log_metrics(result.test, prefix="test_")
    with tempfile.TemporaryDirectory() as tmp:
        for path in model_plots(choice, truth, result.dev_pred, labels, Path(tmp),
                                f"{result.name} on dev ({choice.name} {result.dev[choice.name]:.3f})",
                                result.dev_proba, classes):
            tracker.log_file(path, "plots")
        if report:
            tracker.log_dict(report, "per_class_report.json")
