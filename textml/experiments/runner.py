"""Fit one model on a split and measure it: the unit of work of train and compare."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from textml import __version__
from textml.data.split import Split
from textml.exceptions import ConfigError, DataError
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


def fit_and_evaluate(name: str, model, split: Split, choice: MetricChoice, final: bool = False) -> ModelResult:
    """Fit on train, score on dev (and on test only when ``final``), time and weigh the model."""
    train, dev = split.train, split.dev
    start = time.perf_counter()
    _fit(name, model, train.texts, train.labels)
    fit_seconds = time.perf_counter() - start
    dev_pred = np.asarray(model.predict(dev.texts), dtype=object)
    dev_metrics = score(dev.labels, dev_pred, choice, model_scores(model, dev.texts), getattr(model, "classes_", None))
    test_metrics = None
    if final:
        test = split.read_test()
        test_pred = model.predict(test.texts)
        test_metrics = score(test.labels, test_pred, choice, model_scores(model, test.texts),
                             getattr(model, "classes_", None))
    return ModelResult(
        name=name, model=model, dev=dev_metrics, fit_seconds=fit_seconds,
        latency_ms_per_1k=latency_ms_per_1k(model, dev.texts), size_bytes=size_bytes(model),
        dev_pred=dev_pred, test=test_metrics,
    )


def _fit(name: str, model, texts, labels) -> None:
    from sklearn.utils._param_validation import InvalidParameterError

    try:
        model.fit(texts, labels)
    except InvalidParameterError as exc:  # scikit-learn validates parameter values in fit
        raise ConfigError(f"{name}: {str(exc).rstrip('.')}; pass a valid value with --param NAME=VALUE") from None
    except ValueError as exc:
        # sklearn's vectorizers say this when no text holds a single token of their pattern
        # (symbols only, single characters); a plain ValueError with no type of its own
        if "empty vocabulary" not in str(exc):
            raise
        raise DataError(
            f"{name}: no training text has a word its vectorizer can use (empty vocabulary: symbols or "
            f"one-character tokens only?); try fasttext, or a token_pattern that matches them (--param)"
        ) from None


def model_info(result: ModelResult, split: Split, choice: MetricChoice) -> dict:
    """What textml.json records beside a saved model."""
    return {
        "model": result.name,
        "classes": [str(c) for c in getattr(result.model, "classes_", [])],
        **choice.to_dict(),
        "dev_metrics": result.dev,
        "test_metrics": result.test,
        "data": split.hashes() if split.manifest is None else {
            n: s["sha256"] for n, s in split.manifest["splits"].items()},
        "textml_version": __version__,
    }


def log_result(tracker, result: ModelResult, split: Split, choice: MetricChoice) -> None:
    """Log one model's params, metrics, plots, per-class report and MLflow model to the active run."""
    from textml.tracking import estimator_params
    from textml.tracking.pyfunc import log_pyfunc

    tracker.log_params(estimator_params(result.model))
    tracker.log_metrics(result.dev, prefix="dev_")
    tracker.log_metrics({"fit_seconds": result.fit_seconds, "latency_ms_per_1k": result.latency_ms_per_1k,
                         "size_bytes": result.size_bytes})
    if result.test is not None:
        tracker.log_metrics(result.test, prefix="test_")
    labels = sorted(set(split.dev.labels) | set(str(c) for c in getattr(result.model, "classes_", [])))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        confusion_matrix_png(split.dev.labels, result.dev_pred, labels, tmp / "confusion_matrix.png",
                             f"{result.name} on dev ({choice.name} {result.dev[choice.name]:.3f})")
        tracker.log_file(tmp / "confusion_matrix.png", "plots")
        tracker.log_dict(per_class_report(split.dev.labels, result.dev_pred, labels), "per_class_report.json")
    # The model as an MLflow pyfunc model (artifact path "model"): runs:/<run_id>/model can be
    # registered, served and loaded with mlflow.pyfunc.load_model; load_model(download_run_folder(
    # run_id, "model")) still gives the pipeline. A few dev texts are its input example.
    log_pyfunc(tracker, result.model, model_info(result, split, choice), split.dev.texts[:3], artifact_path="model")
