"""Labels as models take them, and model outputs as labels: the one place a task shapes data.

In a :class:`~textml.data.dataset.Dataset` every label is what the file says (a string, a
tuple of strings for a multi-label row, or None). Models take and give task-shaped values:

* single-label (binary, multi-class): strings in, strings out;
* multi-label: label tuples in (``()`` for a row without labels); out, scikit-learn's
  0/1 indicator matrix with columns as ``model.classes_``, turned back into tuples here;
* regression: floats in, floats out (no ``classes_``, no ``predict_proba``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from textml.data.dataset import BINARY, MULTICLASS, MULTILABEL, REGRESSION, label_sets, numeric_targets


def targets(labels: Sequence, task: str, where: str = "the training labels"):
    """``labels`` (a Dataset's) as ``task``'s models take them in ``fit``."""
    if task == MULTILABEL:
        return label_sets(labels)
    if task == REGRESSION:
        return numeric_targets(labels, where)
    return list(labels)


def as_label_sets(rows: Sequence) -> np.ndarray:
    """A 1-D object array of label tuples (a list of tuples may not become a 2-D array)."""
    out = np.empty(len(rows), dtype=object)
    for i, row in enumerate(rows):
        out[i] = tuple(row) if isinstance(row, (tuple, list)) else () if row is None else (row,)
    return out


def indicator(rows: Sequence, classes: Sequence) -> np.ndarray:
    """(n, len(classes)) 0/1 matrix of label tuples; labels not in ``classes`` are left out."""
    index = {str(c): j for j, c in enumerate(classes)}
    out = np.zeros((len(rows), len(index)), dtype=np.int8)
    for i, row in enumerate(as_label_sets(rows)):
        for label in row:
            j = index.get(str(label))
            if j is not None:
                out[i, j] = 1
    return out


def label_tuples(matrix, classes: Sequence) -> np.ndarray:
    """An indicator matrix (dense or sparse) back into an object array of label tuples."""
    if hasattr(matrix, "toarray"):
        matrix = matrix.toarray()
    matrix = np.asarray(matrix)
    names = np.asarray([str(c) for c in classes], dtype=object)
    out = np.empty(len(matrix), dtype=object)
    for i, row in enumerate(matrix):
        out[i] = tuple(names[np.flatnonzero(row)])
    return out


def predict_labels(model, texts: Sequence, task: str) -> np.ndarray:
    """``model.predict(texts)`` as labels: strings, label tuples or floats (object/float array)."""
    if task == REGRESSION:
        return np.asarray(model.predict(texts), dtype=np.float64).reshape(-1)
    if task == MULTILABEL:
        if len(texts) == 0:
            return np.empty(0, dtype=object)
        return label_tuples(model.predict(texts), model.classes_)
    return np.asarray([str(p) for p in model.predict(texts)], dtype=object)


def model_task(model, info: dict | None = None) -> str:
    """The task a fitted model serves: its textml.json's ``task``, else what it looks like."""
    task = (info or {}).get("task")
    if task in (BINARY, MULTICLASS, MULTILABEL, REGRESSION):
        return task
    if is_multilabel_model(model):
        return MULTILABEL
    from sklearn.base import is_regressor

    if is_regressor(model) or not hasattr(model, "classes_"):
        return REGRESSION
    return BINARY if len(model.classes_) == 2 else MULTICLASS


def is_multilabel_model(model) -> bool:
    """Whether ``model`` makes one yes/no decision per label (scikit-learn's estimator tags)."""
    from sklearn.utils import get_tags

    try:
        tags = get_tags(model).classifier_tags
    except Exception:  # noqa: BLE001 - an estimator without tags is a single-label one
        return False
    return bool(tags is not None and tags.multi_label)


def label_text(label) -> str:
    """A label (string, tuple or number) as one readable cell."""
    if isinstance(label, tuple):
        return "|".join(label)
    if isinstance(label, float):
        return f"{label:.6g}"
    return "" if label is None else str(label)
