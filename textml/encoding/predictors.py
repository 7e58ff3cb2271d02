"""Predictors: a trained model resolved to an object whose ``transform(texts)`` gives top-k labels.

MODEL is a folder written by ``textml train --out``, an MLflow run id or ``runs:/`` URI of
a run that logged one, a joblib file holding a fitted pipeline, or a supervised fastText
``.bin``/``.ftz`` file (read as textml's ``FastTextClassifier``, so labels and texts are
handled as in training). The top-k labels are ranked by the model's class probabilities
(:func:`textml.evaluation.metrics.class_probabilities`, the numbers the MLflow pyfunc model
gives too), in columns named ``prob``; the first label is what the model's ``predict``
gives. A model without ``predict_proba`` is refused when loaded, saying what to do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from textml.exceptions import ConfigError


@dataclass
class Predictions:
    """Top-k labels (n x k strings) and their scores (n x k floats), best first."""

    labels: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)


@dataclass(frozen=True)
class PredictorSpec:
    """What to load (picklable): the model's local path and how many labels to keep."""

    path: str
    top_k: int = 1
    source: str = ""
    trust_pickle: bool = False  # load .joblib/.pkl files and old model.joblib folders (they run code)

    def load(self) -> Predictor:
        from textml.models.loading import load_model_path

        model, _ = load_model_path(self.path, trust_pickle=self.trust_pickle)
        predictor = SklearnPredictor(model, self.top_k, str(self.path))
        predictor.spec = self
        return predictor

    def paths(self) -> list[Path]:
        return [Path(self.path)]

    def relocated(self, mapping: dict[str, str]) -> PredictorSpec:
        return replace(self, path=mapping.get(self.path, self.path))

    def describe(self) -> dict:
        from textml.encoding.sources import describe_source

        return {"model": describe_source(self.source, self.path), "top_k": self.top_k}

    def cleanup(self) -> None:
        from textml.encoding.sources import cleanup_download

        cleanup_download(self.source, self.path)


def resolve_predictor(model: str, top_k: int = 1, tracking_uri: str | None = None, *,
                      trust_pickle: bool = False) -> PredictorSpec:
    """A spec for MODEL (a path, run id, runs:/ or models:/ URI; runs are downloaded here, once).

    ``trust_pickle`` lets the spec load a pickle (see :func:`textml.models.loading.load_model_path`).
    """
    from textml.tracking.registry import resolve_model

    if top_k < 1:
        raise ConfigError("--top-k must be at least 1")
    path = resolve_model(model, tracking_uri).path
    return PredictorSpec(str(path), top_k, str(model), trust_pickle)


class Predictor:
    spec: PredictorSpec | None = None
    score_name = "prob"
    classes: list[str]
    k: int

    def transform(self, texts: Sequence[str]) -> Predictions:
        raise NotImplementedError


def top_k(scores: np.ndarray, classes: np.ndarray, k: int) -> Predictions:
    """The k best classes per row, ties broken towards the first class (as argmax does)."""
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return Predictions(classes[order], np.take_along_axis(scores, order, axis=1))


class SklearnPredictor(Predictor):
    def __init__(self, model, k: int, where: str):
        if not hasattr(model, "predict"):
            raise ConfigError(f"{where} holds {type(model).__name__}, which cannot predict")
        classes = getattr(model, "classes_", None)
        if classes is None:
            raise ConfigError(f"{where}: the model has no classes_; is it fitted?")
        self.model = model
        self.classes_array = np.asarray([str(c) for c in classes], dtype=str)
        self.classes = list(self.classes_array)
        self.k = min(k, len(self.classes))
        from textml.evaluation.metrics import require_probabilities

        require_probabilities(model, where)

    def transform(self, texts):
        from textml.evaluation.metrics import class_probabilities

        if not len(texts):
            return Predictions(np.empty((0, self.k), dtype=str), np.empty((0, self.k)))
        return top_k(class_probabilities(self.model, list(texts)), self.classes_array, self.k)
