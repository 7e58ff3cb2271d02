"""Predictors: a trained model resolved to an object whose ``transform(texts)`` gives top-k labels.

MODEL is a folder written by ``textml train --out``, an MLflow run id or ``runs:/`` URI of
a run that logged one, a joblib file holding a fitted pipeline, or a supervised fastText
``.bin``/``.ftz`` file (read as textml's ``FastTextClassifier``, so labels and texts are
handled as in training). The top-k labels are ranked by ``predict_proba`` when the model
has it (scores named ``prob``), else by ``decision_function`` (scores named ``score``:
margins, not probabilities); the first label is what the model's ``predict`` gives.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

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

    def load(self) -> "Predictor":
        from textml.encoding.encoders import FASTTEXT_SUFFIXES, PICKLE_SUFFIXES, _load_object

        path = Path(self.path)
        if path.is_file() and path.suffix.lower() in FASTTEXT_SUFFIXES:
            predictor = SklearnPredictor(_fasttext_classifier(path), self.top_k, str(path))
        elif path.is_dir() or path.suffix.lower() in PICKLE_SUFFIXES:
            predictor = SklearnPredictor(_load_object(path, "predict"), self.top_k, str(path))
        else:
            raise ConfigError(f"{path}: expected a model folder (from `textml train --out`), a .joblib "
                              f"pipeline or a supervised fastText .bin file")
        predictor.spec = self
        return predictor

    def paths(self) -> list[Path]:
        return [Path(self.path)]

    def relocated(self, mapping: dict[str, str]) -> "PredictorSpec":
        return PredictorSpec(mapping.get(self.path, self.path), self.top_k, self.source)

    def describe(self) -> dict:
        from textml.encoding.sources import describe_source

        return {"model": describe_source(self.source, self.path), "top_k": self.top_k}

    def cleanup(self) -> None:
        from textml.encoding.sources import cleanup_download

        cleanup_download(self.source, self.path)


def resolve_predictor(model: str, top_k: int = 1, tracking_uri: str | None = None) -> PredictorSpec:
    """A spec for MODEL (a path, run id or runs:/ URI; runs are downloaded here, once)."""
    from textml.encoding.sources import resolve_source

    if top_k < 1:
        raise ConfigError("--top-k must be at least 1")
    path = resolve_source(model, tracking_uri, what="model")
    return PredictorSpec(str(path), top_k, str(model))


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
        if hasattr(model, "predict_proba"):
            self.method, self.score_name = "predict_proba", "prob"
        elif hasattr(model, "decision_function"):
            self.method, self.score_name = "decision_function", "score"
        else:
            raise ConfigError(f"{where}: the model has neither predict_proba nor decision_function")

    def transform(self, texts):
        if not len(texts):
            return Predictions(np.empty((0, self.k), dtype=str), np.empty((0, self.k)))
        scores = np.asarray(getattr(self.model, self.method)(list(texts)), dtype=float)
        if scores.ndim == 1:  # binary decision_function: margin for classes_[1]
            scores = np.column_stack([-scores, scores])
        return top_k(scores, self.classes_array, self.k)


def _fasttext_classifier(path: Path):
    """A supervised fastText .bin as textml's FastTextClassifier (labels decoded, texts cleaned)."""
    from textml.exceptions import DataError
    from textml.models.fasttext import FastTextClassifier

    try:
        return FastTextClassifier.load(path)
    except DataError as exc:
        if "not a supervised" in str(exc):
            raise ConfigError(f"{path} is an unsupervised fastText model (word vectors only); it cannot "
                              f"predict. Use it with `textml encode --encoder fasttext:PATH`") from None
        raise
