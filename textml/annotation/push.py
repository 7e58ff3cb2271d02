"""Push rows to Label Studio as tasks, with the model's prediction as a pre-annotation.

Typical input is the eyeball set written by ``textml errors`` (columns id, text, label,
predicted, prob_label, prob_predicted, margin): each row becomes a task holding the text,
its source id, its current label and the row key, with the model's guess attached as a
prediction (``score`` = ``prob_predicted``, ``model_version`` = the MLflow run id of the
model). A plain labelled file pushes the text and the current label only.

Pushing is idempotent: rows whose key (see :mod:`textml.annotation.keys`) the project
already holds are skipped, so the same file pushed twice leaves one task per row and a
push interrupted halfway is finished by running it again. Imports go in batches (1,000
rows by default); each batch is one synchronous request, created whole or not at all.
"""

from __future__ import annotations

import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from textml.annotation.client import Connection, connect
from textml.annotation.config import LabelSchema, labelling_config, parse_config
from textml.annotation.keys import ID_FIELD, KEY_FIELD, LABEL_FIELD, id_key, text_key
from textml.data.formats import Columns, column_names, read_dataset
from textml.exceptions import AnnotationError, ConfigError, DataError

DEFAULT_BATCH_SIZE = 1000
PREDICTED_COL = "predicted"
SCORE_COL = "prob_predicted"
KEY_CHOICES = ("auto", "id", "text")


@dataclass
class PushReport:
    project_id: int
    project_title: str
    project_url: str
    created: bool
    rows: int  # rows in the file
    imported: int  # tasks created by this push
    already_there: int  # rows whose key the project held before
    predictions: int  # predictions attached to the imported tasks
    blank: int = 0  # rows without text (not pushed)
    duplicates: int = 0  # rows repeating an earlier row's text (text keys only; pushed once)
    batches: int = 0
    seconds: float = 0.0
    keyed_by: str = "id"
    model_version: str | None = None
    labels: list = field(default_factory=list)  # labels in the file (and its predictions)
    extra_project_labels: list = field(default_factory=list)  # offered by the project, unknown to the file
    multilabel: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


def _as_tuple(label) -> tuple:
    if label is None:
        return ()
    return tuple(label) if isinstance(label, tuple) else (label,)


def _read_rows(path, columns: Columns, fmt, encoding, key: str, pred_col: str | None, score_col: str | None):
    """The dataset, its predictions and scores (None where absent) and the key kind."""
    if key not in KEY_CHOICES:
        raise ConfigError(f"--key must be one of {', '.join(KEY_CHOICES)}, not {key!r}")
    names = column_names(path, fmt, encoding)
    dataset = read_dataset(path, fmt=fmt, columns=columns, encoding=encoding)
    has_ids = dataset.meta["columns"].id is not None
    if key == "id" and not has_ids:
        raise ConfigError(f"{path} has no id column to key rows by; pass --id-col COLUMN, or --key text to key "
                          f"rows by a hash of their text")
    keyed_by = "id" if key == "id" or (key == "auto" and has_ids) else "text"
    predicted = [None] * len(dataset)
    scores: list = [None] * len(dataset)
    if pred_col and pred_col in names:
        predicted = read_dataset(path, fmt=fmt, columns=Columns(text=columns.text, label=pred_col, id=columns.id),
                                 encoding=encoding).labels
        if score_col and score_col in names:
            raw = read_dataset(path, fmt=fmt, columns=Columns(text=columns.text, label=score_col, id=columns.id),
                               encoding=encoding).labels
            for i, value in enumerate(raw):
                if value is None:
                    continue
                try:
                    scores[i] = float(value)
                except (TypeError, ValueError):
                    raise DataError(f"{path}: row {i + 1} (id {dataset.ids[i]}) has {score_col}={value!r}, not a "
                                    f"number; fix it or pass --score-col ''") from None
    return dataset, predicted, scores, keyed_by


def _keys(dataset, keyed_by: str, path) -> list[str]:
    if keyed_by == "text":
        return [text_key(t) for t in dataset.texts]
    seen: dict[str, int] = {}
    for i, source_id in enumerate(dataset.ids):
        if source_id in seen:
            raise DataError(f"{path}: id {source_id!r} is on rows {seen[source_id] + 1} and {i + 1}; ids must be "
                            f"unique to key tasks (fix the ids, or pass --key text to key rows by their text)")
        seen[source_id] = i
    return [id_key(i) for i in dataset.ids]


def build_task(schema: LabelSchema, key: str, source_id: str, text: str, label=None, predicted=None,
               score: float | None = None, model_version: str | None = None) -> dict:
    """One task as Label Studio imports it: data (+ the model's prediction, if any)."""
    data = {schema.text_field: text, KEY_FIELD: key, ID_FIELD: source_id}
    if label is not None:
        data[LABEL_FIELD] = list(label) if isinstance(label, tuple) else label
    task: dict = {"data": data}
    if predicted is not None:
        prediction = {"model_version": model_version, "result": schema.result(predicted)}
        if score is not None:
            prediction["score"] = score
        task["predictions"] = [prediction]
    return task


def _check_labels(schema: LabelSchema, used: set, multilabel: bool, where: str, path) -> list:
    missing = sorted(used - set(schema.labels))
    if missing:
        shown = ", ".join(repr(m) for m in missing[:10]) + (" ..." if len(missing) > 10 else "")
        raise AnnotationError(f"{where} does not offer the label(s) {shown} that {Path(path).name} uses; add them to "
                              f"the project's labelling interface in Label Studio, or push to a new project name")
    if multilabel and not schema.multiple:
        raise AnnotationError(f"{where} takes one label per text, but {Path(path).name} has multi-label rows; "
                              f"push to a new project name (textml creates a multiple-choice one)")
    return sorted(set(schema.labels) - used)


def push_file(
    path,
    project: str | int,
    *,
    url: str | None = None,
    api_key: str | None = None,
    connection: Connection | None = None,
    columns: Columns = Columns(),
    fmt: str | None = None,
    encoding: str = "utf-8",
    model_version: str | None = None,
    key: str = "auto",
    pred_col: str | None = PREDICTED_COL,
    score_col: str | None = SCORE_COL,
    multilabel: bool = False,
    labels_from=None,
    offer_labels=(),
    batch_size: int = DEFAULT_BATCH_SIZE,
    description: str | None = None,
    progress: bool = True,
) -> PushReport:
    """Push the rows of ``path`` to the project titled (or numbered) ``project``.

    The project is created when no project has that title, with a labelling config made
    from the file's labels and predictions (multiple choice for multi-label data, or with
    ``multilabel=True``); an existing project must offer every label the file uses. Rows
    whose key the project already holds are skipped. When the file has a ``pred_col``
    column (``predicted`` in ``textml errors`` output) its values become predictions, and
    ``model_version`` (the MLflow run id of the model) is required. ``labels_from`` (e.g.
    the training file, read with the same column options) adds its labels to those a new
    project offers, so annotators can pick a class that none of the pushed rows has;
    ``offer_labels`` (e.g. the model's classes) adds labels the same way.
    """
    started = time.monotonic()
    if batch_size < 1:
        raise ConfigError("--batch-size must be at least 1")
    dataset, predicted, scores, keyed_by = _read_rows(path, columns, fmt, encoding, key, pred_col, score_col)
    has_predictions = any(p is not None for p in predicted)
    if has_predictions and not (model_version and model_version.strip()):
        raise ConfigError(f"{Path(path).name} holds model predictions ({pred_col!r} column): pass --model-version "
                          f"RUN_ID, the MLflow run id of the model that made them (printed by `textml errors`)")
    model_version = model_version.strip() if model_version else None
    keys = _keys(dataset, keyed_by, path)
    used: set = set()
    for label in list(dataset.labels) + list(predicted):
        used.update(_as_tuple(label))
    offered = set(used) | {str(label) for label in offer_labels}
    if labels_from is not None:
        reference = read_dataset(labels_from, columns=Columns(text=columns.text, label=columns.label),
                                 encoding=encoding)
        for label in reference.labels:
            offered.update(_as_tuple(label))
        multilabel = multilabel or reference.is_multilabel
    multilabel = (multilabel or dataset.is_multilabel
                  or any(isinstance(p, tuple) and len(p) > 1 for p in predicted))

    # rows to push: non-blank, first occurrence of each key
    rows, blank, duplicates, seen = [], 0, 0, set()
    for i, text in enumerate(dataset.texts):
        if not text.strip():
            blank += 1
        elif keys[i] in seen:
            duplicates += 1
        else:
            seen.add(keys[i])
            rows.append(i)

    conn = connection or connect(url, api_key)
    found = conn.find_project(project)
    created = found is None
    if created:
        title = str(project).strip()
        if not offered:
            raise AnnotationError(f"{Path(path).name} has no labels or predictions to build project {title!r}'s "
                                  f"labelling interface from; create the project in Label Studio and push to it")
        config = labelling_config(sorted(offered), multilabel=multilabel)
        found = conn.create_project(title, config, description or f"Created by textml from {Path(path).name}")
        label_config = config
    else:
        label_config = found.label_config
    where = f"project {found.title!r} (number {found.id})"
    schema = parse_config(label_config or "", where)
    extra = [] if created else _check_labels(schema, used, multilabel, where, path)

    already: set = set()
    if not created and (getattr(found, "task_number", None) or 0) > 0:
        if progress:
            print(f"push: reading the keys of the {found.task_number:,} tasks {where} holds ...", file=sys.stderr,
                  flush=True)
        for _, data in conn.iter_task_data(found.id):
            if KEY_FIELD in data:
                already.add(str(data[KEY_FIELD]))
    todo = [i for i in rows if keys[i] not in already]
    already_there = len(rows) - len(todo)

    imported = predictions = batches = 0
    bar = None
    if progress and todo:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), unit=" rows", desc="push", file=sys.stderr, dynamic_ncols=True,
                   mininterval=0.5, smoothing=0.1)
    try:
        for start in range(0, len(todo), batch_size):
            batch = todo[start:start + batch_size]
            tasks = [build_task(schema, keys[i], dataset.ids[i], dataset.texts[i], dataset.labels[i],
                                predicted[i], scores[i], model_version) for i in batch]
            imported += conn.import_tasks(found.id, tasks)
            predictions += sum(1 for t in tasks if "predictions" in t)
            batches += 1
            if bar is not None:
                bar.update(len(batch))
    finally:
        if bar is not None:
            bar.close()
    return PushReport(
        project_id=found.id, project_title=found.title, project_url=conn.project_url(found.id), created=created,
        rows=len(dataset), imported=imported, already_there=already_there, predictions=predictions, blank=blank,
        duplicates=duplicates, batches=batches, seconds=round(time.monotonic() - started, 2), keyed_by=keyed_by,
        model_version=model_version if has_predictions else None, labels=sorted(used),
        extra_project_labels=extra, multilabel=multilabel)
