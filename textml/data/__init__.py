"""Data layer: file formats, streaming readers, checks, splits and public corpora.

Knows nothing of models or tracking.
"""

from textml.data.dataset import BINARY, MULTICLASS, MULTILABEL, REGRESSION, TASKS, Dataset, infer_task
from textml.data.formats import Columns, iter_chunks, read_dataset, write_dataset

__all__ = [
    "BINARY",
    "MULTICLASS",
    "MULTILABEL",
    "REGRESSION",
    "TASKS",
    "Columns",
    "Dataset",
    "infer_task",
    "iter_chunks",
    "read_dataset",
    "write_dataset",
]
