"""Predictors: a trained model resolved to an object whose ``transform(texts)`` gives its predictions.

MODEL is a folder written by ``textml train --out``, an MLflow run id or ``runs:/`` URI of
a run that logged one, a joblib file holding a fitted pipeline, or a supervised fastText
``.bin``/``.ftz`` file (read as textml's ``FastTextClassifier``, so labels and texts are
handled as in training). What a row of output holds depends on the model's task (the
``task`` of its ``textml.json``, written by training; for models saved without one, what
the model's ``predict`` returns):

* **single-label** (binary, multi-class): the top-k labels ranked by the model's class
  probabilities (:func:`textml.evaluation.metrics.class_probabilities`, the numbers the
  MLflow pyfunc model gives too), in columns ``label, prob, label_2, prob_2, ...``; the
  first label is what the model's ``predict`` gives.
* **multi-label** (``predict`` gives an ``(n, L)`` 0/1 indicator matrix, ``classes_`` the L
  label names): ``label``, the list of labels ``predict`` sets, and one column per label,
  ``prob_NAME``, its probability (per label: they need not sum to 1).
* **regression** (no ``classes_``, ``predict`` gives one number per text): ``value``.

A classifier without ``predict_proba`` is refused when loaded, saying what to do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from textml.exceptions import ConfigError

SINGLE, MULTILABEL, REGRESSION = "single", "multilabel", "regression"
TASKS = {"binary": SINGLE, "multiclass": SINGLE, "multilabel": MULTILABEL, "regression": REGRESSION}
# joins a row's labels in a CSV/TSV cell: the data layer's own list separator (formats.cell)
DEFAULT_LABEL_SEP = "|"
_PROBE = ["probe text"]


@dataclass
class Predictions:
    """Top-k labels (n x k strings) and their scores (n x k floats), best first."""

    labels: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)

    def arrays(self) -> dict:
        return {"labels": self.labels, "scores": self.scores}


@dataclass
class LabelSets:
    """Multi-label predictions: the 0/1 indicator matrix (n x L) and each label's probability."""

    indicator: np.ndarray
    probabilities: np.ndarray

    def __len__(self) -> int:
        return len(self.indicator)

    def arrays(self) -> dict:
        return {"indicator": self.indicator, "probabilities": self.probabilities}


@dataclass
class Values:
    """Regression predictions: one float per text."""

    values: np.ndarray

    def __len__(self) -> int:
        return len(self.values)

    def arrays(self) -> dict:
        return {"values": self.values}


@dataclass(frozen=True)
class PredictorSpec:
    """What to load (picklable): the model's local path, how many labels to keep, how to join them."""

    path: str
    top_k: int = 1
    source: str = ""
    trust_pickle: bool = False  # load .joblib/.pkl files and old model.joblib folders (they run code)
    label_sep: str | None = None  # multi-label models in CSV/TSV: None is DEFAULT_LABEL_SEP

    def load(self) -> Predictor:
        from textml.models.loading import load_model_path

        model, info = load_model_path(self.path, trust_pickle=self.trust_pickle)
        predictor = make_predictor(model, info, self.top_k, str(self.path), self.label_sep)
        predictor.spec = self
        return predictor

    def paths(self) -> list[Path]:
        return [Path(self.path)]

    def relocated(self, mapping: dict[str, str]) -> PredictorSpec:
        return replace(self, path=mapping.get(self.path, self.path))

    def describe(self) -> dict:
        from textml.encoding.sources import describe_source

        # label_sep is left out: it changes how the output is written, not the parts a resume reuses
        return {"model": describe_source(self.source, self.path), "top_k": self.top_k}

    def cleanup(self) -> None:
        from textml.encoding.sources import cleanup_download

        cleanup_download(self.source, self.path)


def check_label_sep(label_sep: str | None, out_format: str) -> None:
    """A --label-sep that can be written and read back: CSV/TSV output only, one line, no TSV tab."""
    if label_sep is None:
        return
    if out_format not in ("csv", "tsv"):
        raise ConfigError(f"--label-sep applies to CSV/TSV output; {out_format} holds a multi-label row's "
                          f"labels as a list, so leave it out")
    if not label_sep or any(c in label_sep for c in "\r\n") or (out_format == "tsv" and "\t" in label_sep):
        raise ConfigError(f"--label-sep {label_sep!r} cannot separate labels in one {out_format.upper()} cell; "
                          f"pick a visible character such as | or ;")


def resolve_predictor(model: str, top_k: int = 1, tracking_uri: str | None = None, *,
                      trust_pickle: bool = False, label_sep: str | None = None) -> PredictorSpec:
    """A spec for MODEL (a path, run id, runs:/ or models:/ URI; runs are downloaded here, once).

    ``trust_pickle`` lets the spec load a pickle (see :func:`textml.models.loading.load_model_path`).
    """
    from textml.tracking.registry import resolve_model

    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
        raise ConfigError(f"--top-k must be a whole number, at least 1, got {top_k!r}")
    path = resolve_model(model, tracking_uri).path
    return PredictorSpec(str(path), top_k, str(model), trust_pickle, label_sep)


def model_task(model, info: dict, where: str) -> str:
    """SINGLE, MULTILABEL or REGRESSION: the saved ``task``, else what the model's ``predict`` gives."""
    task = info.get("task")
    if task is not None:
        if task not in TASKS:
            raise ConfigError(f"{where}: unknown task {task!r} in its textml.json (textml knows "
                              f"{', '.join(TASKS)}); upgrade textml or retrain the model")
        return TASKS[task]
    if not hasattr(model, "predict"):
        raise ConfigError(f"{where} holds {type(model).__name__}, which cannot predict")
    classes = getattr(model, "classes_", None)
    try:
        probe = model.predict(_PROBE)
    except Exception as exc:  # noqa: BLE001 - NotFittedError and friends: say what to do
        if classes is None:
            raise ConfigError(f"{where}: the model has no classes_ and cannot predict ({type(exc).__name__}: "
                              f"{exc}); is it fitted?") from None
        return SINGLE  # classify as before: its own error comes with the first chunk
    shape = np.shape(probe)
    if classes is not None and len(shape) == 2 and shape[1] == len(classes) and shape[1] > 1:
        return MULTILABEL
    if classes is None:
        if np.issubdtype(np.asarray(_dense(probe)).dtype, np.number):
            return REGRESSION
        raise ConfigError(f"{where}: the model has no classes_; is it fitted?")
    return SINGLE


def make_predictor(model, info: dict, top_k: int, where: str, label_sep: str | None = None) -> Predictor:
    """The predictor for ``model``'s task, refusing options that mean nothing for it."""
    task = model_task(model, info, where)
    if task != SINGLE and top_k != 1:
        kind = "a multi-label model: every label it sets is written, with each label's probability" \
            if task == MULTILABEL else "a regression model: it predicts one value per text"
        raise ConfigError(f"--top-k {top_k} applies to single-label models; {where} is {kind}")
    if task != MULTILABEL and label_sep is not None:
        raise ConfigError(f"--label-sep applies to multi-label models; {where} predicts "
                          f"{'one label' if task == SINGLE else 'one value'} per text")
    if task == MULTILABEL:
        return MultiLabelPredictor(model, where, label_sep or DEFAULT_LABEL_SEP)
    if task == REGRESSION:
        return RegressionPredictor(model, where)
    return SklearnPredictor(model, top_k, where)


def _dense(values):
    return values.toarray() if hasattr(values, "toarray") else values


def _class_names(model, where: str) -> np.ndarray:
    classes = getattr(model, "classes_", None)
    if classes is None:
        raise ConfigError(f"{where}: the model has no classes_; is it fitted?")
    names = np.asarray([str(c) for c in classes], dtype=object)
    if len(set(names)) != len(names):
        raise ConfigError(f"{where}: two of its classes have the same name as text; rename them and retrain")
    return names


class Predictor:
    spec: PredictorSpec | None = None
    task = SINGLE
    score_name: str | None = "prob"
    classes: list[str]
    k: int = 1
    label_sep: str = DEFAULT_LABEL_SEP

    def transform(self, texts: Sequence[str]):
        raise NotImplementedError

    @property
    def layout(self):
        """How this predictor's results become output columns (shared by both engines)."""
        from textml.encoding.outputs import PredictionLayout

        return PredictionLayout(self.task, self.k, self.score_name or "prob", tuple(getattr(self, "classes", ())),
                                self.label_sep)


def top_k(scores: np.ndarray, classes: np.ndarray, k: int) -> Predictions:
    """The k best classes per row, ties broken towards the first class (as argmax does)."""
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return Predictions(classes[order], np.take_along_axis(scores, order, axis=1))


class SklearnPredictor(Predictor):
    def __init__(self, model, k: int, where: str):
        if not hasattr(model, "predict"):
            raise ConfigError(f"{where} holds {type(model).__name__}, which cannot predict")
        self.model = model
        self.classes = list(_class_names(model, where))
        self.classes_array = np.asarray(self.classes, dtype=str)
        self.k = min(k, len(self.classes))
        from textml.evaluation.metrics import require_probabilities

        require_probabilities(model, where)

    def transform(self, texts):
        from textml.evaluation.metrics import class_probabilities

        if not len(texts):
            return Predictions(np.empty((0, self.k), dtype=str), np.empty((0, self.k)))
        return top_k(class_probabilities(self.model, list(texts)), self.classes_array, self.k)


class MultiLabelPredictor(Predictor):
    """The labels a multi-label model's ``predict`` sets, and every label's probability."""

    task = MULTILABEL

    def __init__(self, model, where: str, label_sep: str = DEFAULT_LABEL_SEP):
        from textml.evaluation.metrics import require_probabilities

        self.model = model
        self.where = where
        self.classes = list(_class_names(model, where))
        self.k = len(self.classes)
        self.label_sep = label_sep
        require_probabilities(model, where)

    def check_separator(self) -> None:
        """Refuse a separator that is part of a label name (the cell would not split back)."""
        clash = next((c for c in self.classes if self.label_sep in c), None)
        if clash is not None:
            raise ConfigError(f"the label {clash!r} of {self.where} contains the label separator "
                              f"{self.label_sep!r}; pass another --label-sep, or write .jsonl or .parquet")

    def transform(self, texts):
        from textml.evaluation.metrics import class_probabilities

        n, width = len(texts), len(self.classes)
        if not n:
            return LabelSets(np.zeros((0, width), dtype=np.uint8), np.zeros((0, width)))
        texts = list(texts)
        indicator = np.asarray(_dense(self.model.predict(texts)))
        if indicator.shape != (n, width):
            raise ConfigError(f"{self.where}: predict gave shape {indicator.shape}, not (rows, {width} labels) "
                              f"as a multi-label model does")
        return LabelSets((indicator != 0).astype(np.uint8), class_probabilities(self.model, texts))


class RegressionPredictor(Predictor):
    """One number per text: what the model's ``predict`` gives, as float64."""

    task = REGRESSION
    score_name = None

    def __init__(self, model, where: str):
        if not hasattr(model, "predict"):
            raise ConfigError(f"{where} holds {type(model).__name__}, which cannot predict")
        self.model = model
        self.where = where
        self.classes = []

    def transform(self, texts):
        if not len(texts):
            return Values(np.zeros(0))
        values = np.asarray(_dense(self.model.predict(list(texts))), dtype=np.float64)
        if values.ndim == 2 and values.shape[1] == 1:
            values = values[:, 0]
        if values.shape != (len(texts),):
            raise ConfigError(f"{self.where}: predict gave shape {values.shape}; textml predict writes one "
                              f"value per text")
        return Values(values)
