"""The Dataset type: texts with their labels and ids, as read from one file."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

Label = str | tuple | None  # one label, a tuple of labels (multi-label), or missing

BINARY = "binary"
MULTICLASS = "multiclass"
MULTILABEL = "multilabel"


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


def infer_task(labels: Iterable[Label]) -> str:
    """binary, multiclass or multilabel, from the labels that are present."""
    classes: set = set()
    multilabel = False
    for label in labels:
        if label is None:
            continue
        if isinstance(label, tuple):
            multilabel = multilabel or len(label) != 1
            classes.update(label)
        else:
            classes.add(label)
    if multilabel:
        return MULTILABEL
    return BINARY if len(classes) <= 2 else MULTICLASS
