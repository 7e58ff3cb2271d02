"""The Dataset type: texts with their labels and ids, as read from one file."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

Label = str | tuple | None  # one label, a tuple of labels (multi-label), or missing

BINARY = "binary"
MULTICLASS = "multiclass"
MULTILABEL = "multilabel"
REGRESSION = "regression"
TASKS = (BINARY, MULTICLASS, MULTILABEL, REGRESSION)
CLASSIFICATION_TASKS = (BINARY, MULTICLASS, MULTILABEL)

# Numeric labels are read as a quantity only when they could not be class codes: some value
# is not a whole number and there are more than this many distinct values (a 1-5 rating or a
# 0.5-step score stays classes, and `data check` says the task is ambiguous).
MIN_REGRESSION_VALUES = 20


@dataclass
class Dataset:
    """Rows of one labelled (or unlabelled) text file.

    ``labels[i]`` is a string, a tuple of strings for multi-label rows, or None when the
    row has no label. ``ids[i]`` is the row's id from the source file, or its row number
    when the file has no id column, so every row can be traced back to its source.
    """

    texts: list[str]
    labels: list[Label]
    ids: list[str]
    source: str | None = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not (len(self.texts) == len(self.labels) == len(self.ids)):
            raise ValueError("texts, labels and ids must have the same length")

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def is_multilabel(self) -> bool:
        return any(isinstance(label, tuple) for label in self.labels)

    @property
    def has_labels(self) -> bool:
        return any(label is not None for label in self.labels)

    def subset(self, indices: Iterable[int]) -> Dataset:
        indices = list(indices)
        return Dataset(
            texts=[self.texts[i] for i in indices],
            labels=[self.labels[i] for i in indices],
            ids=[self.ids[i] for i in indices],
            source=self.source,
            meta=dict(self.meta),
        )

    def class_counts(self) -> Counter:
        """Rows per class; a multi-label row counts once for each of its labels."""
        counts: Counter = Counter()
        for label in self.labels:
            if label is None:
                continue
            counts.update(label if isinstance(label, tuple) else (label,))
        return counts

    @classmethod
    def concat(cls, parts: Sequence[Dataset]) -> Dataset:
        texts: list[str] = []
        labels: list[Label] = []
        ids: list[str] = []
        for part in parts:
            texts.extend(part.texts)
            labels.extend(part.labels)
            ids.extend(part.ids)
        source = parts[0].source if parts else None
        meta = dict(parts[0].meta) if parts else {}
        return cls(texts=texts, labels=labels, ids=ids, source=source, meta=meta)


def numeric_value(label: Label) -> float | None:
    """``label`` as a finite float, or None when it is not one number."""
    if not isinstance(label, str):
        return None
    try:
        value = float(label)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def infer_task(labels: Iterable[Label]) -> str:
    """binary, multiclass, multilabel or regression, from the labels that are present.

    Regression when every label is a number, there are more than ``MIN_REGRESSION_VALUES``
    distinct values and some are not whole numbers (or they are unique to over half the rows:
    amounts, not class codes); numbers that could be class codes or a
    rating scale (whole numbers, few values) stay classes (see :func:`task_ambiguity`).
    """
    classes: set = set()
    multilabel = False
    rows = 0
    for label in labels:
        if label is None:
            continue
        rows += 1
        if isinstance(label, tuple):
            multilabel = multilabel or len(label) != 1
            classes.update(label)
        else:
            classes.add(label)
    if multilabel:
        return MULTILABEL
    if len(classes) > MIN_REGRESSION_VALUES:
        values = [numeric_value(c) for c in classes]
        # whole numbers unique to half the rows are amounts (sizes, counts), not class codes
        if all(v is not None for v in values) and (any(v != int(v) for v in values)
                                                   or len(classes) > rows / 2):
            return REGRESSION
    return BINARY if len(classes) <= 2 else MULTICLASS


def task_ambiguity(labels: Iterable[Label]) -> str | None:
    """A sentence for ``data check`` when single labels are all numbers but read as classes."""
    classes = {label for label in labels if isinstance(label, str)}
    if len(classes) < 3 or infer_task(classes) == REGRESSION:
        return None
    if all(numeric_value(c) is not None for c in classes):
        return (f"every label is a number ({len(classes)} distinct values), read as classes; "
                f"if they are quantities (a rating, a size), pass --task regression")
    return None


def label_sets(labels: Iterable[Label]) -> list[tuple[str, ...]]:
    """Multi-label targets: each row's labels as a tuple (one label -> a 1-tuple, none -> ())."""
    return [label if isinstance(label, tuple) else () if label is None else (label,) for label in labels]


def numeric_targets(labels: Sequence[Label], where: str = "the labels") -> np.ndarray:
    """Regression targets as float64; a DataError naming the first label that is not a number."""
    from textml.exceptions import DataError

    values = np.empty(len(labels), dtype=np.float64)
    for i, label in enumerate(labels):
        value = numeric_value(label)
        if value is None:
            raise DataError(f"{where}: row {i + 1} has label {label!r}, not a number; a regression target "
                            f"must be a finite number in every row (drop --task regression for classes)")
        values[i] = value
    return values
