"""Fit one model on the context's split and measure it: the unit of work of train, compare and tune."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from textml import __version__
from textml.evaluation.cost import latency_ms_per_1k, size_bytes
from textml.evaluation.metrics import MetricChoice, model_scores, score
from textml.evaluation.plots import confusion_matrix_png, per_class_report


@dataclass
class ModelResult:
    name: str
    model: object
    dev: dict[str, float]
    fit_seconds: float
    latency_ms_per_1k: float
    size_bytes: int
    dev_pred: np.ndarray
    test: dict[str, float] | None = None
    run_id: str | None = None
    params: dict = field(default_factory=dict)

    def row(self, primary: str) -> dict:
        out = {"model": self.name, primary: self.dev[primary]}
        out.update({k: v for k, v in self.dev.items() if k != primary})
        out.update({"fit_seconds": self.fit_seconds, "latency_ms_per_1k": self.latency_ms_per_1k,
                    "size_bytes": self.size_bytes, "run_id": self.run_id})
        if self.test is not None:
            out.update({f"test_{k}": v for k, v in self.test.items()})
        return out


def predict_and_score(model, data, choice: MetricChoice) -> tuple[np.ndarray, dict[str, float]]:
    """``model``'s predictions on ``data`` and every metric textml reports on them."""
    predicted = np.asarray(model.predict(data.texts), dtype=object)
    metrics = score(data.labels, predicted, choice, model_scores(model, data.texts),
                    getattr(model, "classes_", None))
    return predicted, metrics


def fit_and_evaluate(context, name: str, model, final: bool = False) -> ModelResult:
    """Fit on train, score on dev (and on test only when ``final``), time and weigh the model."""
    start = time.perf_counter()
    context.fit(model, name=name)
    fit_seconds = time.perf_counter() - start
    dev = context.split.dev
    dev_pred, dev_metrics = predict_and_score(model, dev, context.choice)
    test_metrics = predict_and_score(model, context.read_test(), context.choice)[1] if final else None
    return ModelResult(
        name=name, model=model, dev=dev_metrics, fit_seconds=fit_seconds,
        latency_ms_per_1k=latency_ms_per_1k(model, dev.texts), size_bytes=size_bytes(model),
        dev_pred=dev_pred, test=test_metrics,
    )


def model_info(result: ModelResult, context) -> dict:
    """What textml.json records beside a saved model."""
    return {
        "model": result.name,
        "classes": [str(c) for c in getattr(result.model, "classes_", [])],
        **context.choice.to_dict(),
        "dev_metrics": result.dev,
        "test_metrics": result.test,
        "data": {key.removeprefix("data.").removesuffix("_sha256"): value
                 for key, value in context.data_tags().items()},
        "run_id": result.run_id,
        "textml_version": __version__,
    }


def log_result(context, result: ModelResult) -> None:
    """Log one model's params, metrics, plots, per-class report and MLflow model to the active run."""
    from textml.tracking import estimator_params
    from textml.tracking.pyfunc import log_pyfunc

    tracker, choice, dev = context.tracker, context.choice, context.split.dev
    tracker.log_params(estimator_params(result.model))
    tracker.log_metrics(result.dev, prefix="dev_")
    tracker.log_metrics({"fit_seconds": result.fit_seconds, "latency_ms_per_1k": result.latency_ms_per_1k,
                         "size_bytes": result.size_bytes})
    if result.test is not None:
        tracker.log_metrics(result.test, prefix="test_")
    labels = sorted(set(dev.labels) | set(str(c) for c in getattr(result.model, "classes_", [])))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        confusion_matrix_png(dev.labels, result.dev_pred, labels, tmp / "confusion_matrix.png",
                             f"{result.name} on dev ({choice.name} {result.dev[choice.name]:.3f})")
        tracker.log_file(tmp / "confusion_matrix.png", "plots")
        tracker.log_dict(per_class_report(dev.labels, result.dev_pred, labels), "per_class_report.json")
    # The model as an MLflow pyfunc model (artifact path "model"): runs:/<run_id>/model can be
    # registered, served and loaded with mlflow.pyfunc.load_model. A few dev texts are its input example.
    log_pyfunc(tracker, result.model, model_info(result, context), dev.texts[:3], artifact_path="model")
