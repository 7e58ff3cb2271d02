"""``textml annotate suggest``: rank an unlabelled pool and write the N texts to label next.

The pool is streamed in chunks (any format textml reads); each chunk is scored with the
one scoring call (:func:`textml.evaluation.metrics.class_probabilities`) and only the best
candidates are kept (:class:`~textml.annotation.selection.Candidates`), so memory is bounded
by the selection (x ``CANDIDATE_FACTOR`` for ``diverse``) plus one chunk, whatever the
pool's size. Never picked:

* texts already labelled: in the ``exclude`` files (train/dev/test) or, with ``project``,
  already a task of that Label Studio project (by text, and by source id when both have ids);
* near-duplicates of each other: texts equal up to case, punctuation, spacing and word
  order (:func:`~textml.annotation.selection.near_key`) are one candidate;
* blank texts.

Each output row holds ``id, text, predicted, prob_predicted`` (the model's guess and its
probability: the columns ``annotate push`` attaches as the pre-annotation), then
``uncertainty``, ``strategy``, ``rank`` and ``reason`` (why it was picked).

Two engines rank the pool: ``local`` (the stream above) and ``spark``
(:mod:`textml.annotation.spark_suggest`: each partition runs the same :class:`PoolRanker`,
the driver merges their candidates). Both pick the same rows, in the same order, with the
same counts: what a ``Candidates`` keeps does not depend on how the pool is cut.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from textml.annotation.keys import ID_FIELD, KEY_FIELD, key_kind, key_value
from textml.annotation.selection import (
    CANDIDATE_FACTOR,
    Candidates,
    check_strategy,
    k_center_greedy,
    measure_of,
    near_key,
    predictions,
    random_values,
    tfidf_features,
    uncertainty,
)
from textml.data.formats import Columns, iter_chunks, record_format, write_records
from textml.data.textfiles import check_exists
from textml.exceptions import ConfigError, DataError
from textml.files import atomic_path, check_can_write

SUGGEST_FIELDS = ("id", "text", "predicted", "prob_predicted", "uncertainty", "strategy", "rank", "reason")
SUGGEST_CHUNK = 10_000  # rows scored at once: the memory of one chunk, not the pool's
ENGINES = ("local", "spark")


@dataclass
class SuggestReport:
    strategy: str
    size: int  # asked for
    written: int
    pool_rows: int
    scored: int  # rows ranked: not blank, not excluded
    excluded_labelled: int  # rows already in the exclude files
    excluded_project: int  # rows already tasks of the project
    duplicates: int  # near-duplicates of a better row that ranked above the last candidate
    blank: int
    model: str  # how the model was named (label of its reference)
    model_version: str | None  # MLflow run id of the model, when known
    multilabel: bool
    classes: list = field(default_factory=list)
    pool_has_ids: bool = False  # else ids are row numbers: no stable key across files
    out: str | None = None
    seconds: float = 0.0
    rows_per_second: float = 0.0
    engine: str = "local"
    rows: list = field(default_factory=list, repr=False)  # the selection itself

    def to_dict(self) -> dict:
        out = asdict(self)
        out.pop("rows")
        return out


def is_multilabel(model, info: dict, sample: Sequence[str]) -> bool:
    """Whether ``model`` predicts label sets: its textml.json says so, or ``predict`` gives an
    indicator matrix (the multi-label pipelines' output)."""
    if info.get("task") == "multilabel":
        return True
    if info.get("task") or not len(sample):
        return False
    try:
        return np.ndim(model.predict(list(sample[:1]))) == 2
    except Exception:  # noqa: BLE001 - a model that cannot predict one text fails in scoring, with the reason
        return False


def labelled_keys(files: Sequence, columns: Columns, fmt: str | None, encoding: str) -> tuple[set, set]:
    """(near-duplicate keys of the texts, ids) of labelled files, streamed."""
    texts, ids = set(), set()
    for path in files:
        file_fmt = None if fmt is None or Path(path).suffix else fmt
        for chunk in iter_chunks(path, fmt=file_fmt, columns=Columns(text=columns.text, label=None, id=columns.id),
                                 encoding=encoding):
            texts.update(near_key(t) for t in chunk.texts)
            if chunk.meta["columns"].id is not None:
                ids.update(chunk.ids)
    return texts, ids


def project_keys(connection, project) -> tuple[set, set, object]:
    """(near-duplicate keys of the texts, source ids, the project) of a Label Studio project's
    tasks; empty sets when no project has that title yet."""
    from textml.annotation.config import parse_config

    found = connection.find_project(project)
    if found is None:
        return set(), set(), None
    schema = parse_config(found.label_config or "", f"project {found.title!r} (number {found.id})")
    texts, ids = set(), set()
    for _, data in connection.iter_task_data(found.id):
        if schema.text_field in data:
            texts.add(near_key(data[schema.text_field]))
        key = str(data.get(KEY_FIELD) or "")
        if key_kind(key) == "id":
            ids.add(key_value(key))
        elif data.get(ID_FIELD) is not None and not key:
            ids.add(str(data[ID_FIELD]))
    return texts, ids, found


@dataclass
class Exclusions:
    """Near-duplicate keys and ids of texts never to pick: labelled files, then the project's tasks."""

    texts: set = field(default_factory=set)
    ids: set = field(default_factory=set)
    project_texts: set = field(default_factory=set)
    project_ids: set = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.texts or self.ids or self.project_texts or self.project_ids)

    def why(self, key: str, source_id, has_ids: bool) -> str | None:
        """Why the row is left out: labelled, project, or None to rank it (ids count only when the
        pool has an id column)."""
        if key in self.texts or (has_ids and source_id in self.ids):
            return "labelled"
        if key in self.project_texts or (has_ids and source_id in self.project_ids):
            return "project"
        return None


class PoolRanker:
    """What suggest does to each chunk of the pool, on this machine or in a Spark partition:
    leave out blank and excluded texts, score the rest with the one scoring call, offer the
    rows above the candidate floor. ``order`` is each row's place in the pool (ties go to the
    earlier row); ``ids`` None means the pool has no id column (row numbers are filled in later)."""

    def __init__(self, strategy: str, capacity: int, classes: Sequence[str], multilabel: bool,
                 exclusions: Exclusions, has_ids: bool, seed: int = 0):
        self.strategy, self.classes, self.multilabel = strategy, list(classes), multilabel
        self.exclusions, self.has_ids, self.seed = exclusions, has_ids, seed
        self.candidates = Candidates(capacity)
        self.counts = {"rows": 0, "blank": 0, "labelled": 0, "project": 0, "scored": 0}

    def add(self, model, texts: Sequence, ids: Sequence | None, order: np.ndarray) -> None:
        from textml.evaluation.metrics import class_probabilities

        counts = self.counts
        counts["rows"] += len(texts)
        keep = [i for i, t in enumerate(texts) if isinstance(t, str) and t.strip()]
        counts["blank"] += len(texts) - len(keep)
        keys = {}
        if self.exclusions:  # every row is checked, so the counts do not depend on the floor
            left = []
            for i in keep:
                keys[i] = near_key(texts[i])
                why = self.exclusions.why(keys[i], ids[i] if ids is not None else None, self.has_ids)
                if why is None:
                    left.append(i)
                else:
                    counts[why] += 1
            keep = left
        if not keep:
            return
        kept_texts = [texts[i] for i in keep]
        counts["scored"] += len(keep)
        if self.strategy == "random":
            values = random_values(kept_texts, self.seed)  # the model scores only the rows that may enter
            probabilities = None
        else:
            probabilities = class_probabilities(model, kept_texts)
            values = uncertainty(probabilities, self.strategy, self.multilabel)
        worth = np.flatnonzero(self.candidates.could_enter(values))
        if not len(worth):
            return
        if probabilities is None:
            probabilities = np.full((len(kept_texts), len(self.classes)), np.nan)
            probabilities[worth] = class_probabilities(model, [kept_texts[j] for j in worth])
        guesses, scores = predictions(probabilities[worth], self.classes, self.multilabel)
        offered_keys, offered_rows = [], []
        for j, guess, score in zip(worth, guesses, scores):
            i = keep[j]
            offered_keys.append(keys[i] if i in keys else near_key(texts[i]))
            offered_rows.append({"id": ids[i] if ids is not None else None, "text": texts[i], "predicted": guess,
                                 "prob_predicted": float(score),
                                 "uncertainty": None if self.strategy == "random" else float(values[j])})
        self.candidates.offer(values[worth], offered_keys, offered_rows, np.asarray(order)[np.asarray(keep)[worth]])


def _why(strategy: str, rank: int, value: float, scored: int, measure: str, extra: str = "") -> str:
    if strategy == "random":
        return f"random: draw {rank} of {scored:,} scored rows (the control)"
    return f"{strategy}: rank {rank} of {scored:,} scored rows by {measure} {value:.4f}{extra}"


def suggest(
    pool,
    model: str,
    size: int,
    strategy: str = "entropy",
    out=None,
    *,
    columns: Columns = Columns(label=None),
    fmt: str | None = None,
    encoding: str = "utf-8",
    exclude: Sequence = (),
    project: str | int | None = None,
    url: str | None = None,
    api_key: str | None = None,
    connection=None,
    seed: int = 0,
    tracking_uri: str | None = None,
    trust_pickle: bool = False,
    chunk_size: int = SUGGEST_CHUNK,
    candidate_factor: int = CANDIDATE_FACTOR,
    force: bool = False,
    engine: str = "local",
    master: str | None = None,
    spark=None,
    progress: Callable[[str], None] | None = None,
) -> SuggestReport:
    """Pick ``size`` texts of ``pool`` to label next with ``strategy``; write them to ``out``
    (CSV, TSV, JSONL or Parquet) when given. ``model`` is any model reference (folder, run id,
    ``models:/NAME@champion``); ``exclude`` lists labelled files whose texts are not picked
    again; ``project`` (with ``url``/``api_key`` or ``connection``) also leaves out the texts
    the Label Studio project already holds.

    ``engine="spark"`` scores the pool on Spark (``master``, or the active/``spark`` session):
    the pool is then a Parquet, CSV or TSV file or folder Spark reads (any filesystem), and
    the selection, its order and the counts are the local engine's."""
    from textml.evaluation.metrics import require_probabilities
    from textml.models.loading import load_model_path
    from textml.tracking.registry import resolve_model

    started = time.monotonic()
    say = progress or (lambda message: None)
    check_engine(engine, master)
    check_strategy(strategy)
    if size < 1:
        raise ConfigError("--size must be at least 1")
    if chunk_size < 1 or candidate_factor < 1:
        raise ConfigError("the chunk size and the candidate factor must be at least 1")
    if engine == "local":
        check_exists(pool)  # before the exclusions, the project and the model are read
    elif "://" not in str(pool) and not Path(pool).exists():
        raise DataError(f"pool not found: {pool}")
    if out is not None:
        out = Path(out)
        out_fmt = record_format(out, "--out")
        check_can_write(out, force)
    columns = Columns(text=columns.text, label=None, id=columns.id)  # the pool is unlabelled

    exclusions = Exclusions(*labelled_keys(exclude, columns, fmt, encoding))
    if project is not None:
        from textml.annotation.client import connect

        connection = connection or connect(url, api_key)
        say(f"suggest: reading the tasks of project {project!r} ...")
        exclusions.project_texts, exclusions.project_ids, _ = project_keys(connection, project)

    source = resolve_model(model, tracking_uri)
    try:  # the same loading as load_model_ref; the Spark engine ships the files before they go
        fitted, info = load_model_path(source.path, trust_pickle=trust_pickle)
        require_probabilities(fitted, source.label)
        classes = [str(c) for c in getattr(fitted, "classes_", [])]
        multilabel = is_multilabel(fitted, info, ["probe text"])
        capacity = size * (candidate_factor if strategy == "diverse" else 1)
        settings = dict(strategy=strategy, capacity=capacity, classes=classes, multilabel=multilabel,
                        exclusions=exclusions, seed=seed)
        if engine == "spark":
            from textml.annotation.spark_suggest import rank_on_spark

            candidates, counts, has_ids = rank_on_spark(
                pool, str(source.path), trust_pickle, settings, fmt=fmt, columns=columns, encoding=encoding,
                master=master, spark=spark, progress=say)
        else:
            candidates, counts, has_ids = _rank_locally(pool, fitted, settings, fmt, columns, encoding, chunk_size,
                                                        say)
    finally:
        source.cleanup()
    model_version = info.get("run_id") or source.run_id
    measure = measure_of(strategy)
    rows = _pick(candidates.best(), size, strategy, measure, counts["scored"])
    seconds = time.monotonic() - started
    if out is not None:
        with atomic_path(out) as tmp:
            write_records(rows, SUGGEST_FIELDS, out, out_fmt, tmp=tmp)
    return SuggestReport(
        strategy=strategy, size=size, written=len(rows), pool_rows=counts["rows"], scored=counts["scored"],
        excluded_labelled=counts["labelled"], excluded_project=counts["project"], duplicates=candidates.dropped,
        blank=counts["blank"], model=source.label, model_version=model_version, multilabel=bool(multilabel),
        classes=classes, pool_has_ids=has_ids, out=str(out) if out is not None else None, seconds=round(seconds, 2),
        rows_per_second=round(counts["rows"] / seconds, 1) if seconds > 0 else 0.0, engine=engine, rows=rows)


def check_engine(engine: str, master: str | None) -> None:
    """Refuse an unknown engine, or --master without --engine spark, in one line."""
    if engine not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r}; choose local or spark")
    if engine == "local" and master is not None:
        raise ConfigError(f"--master {master} applies to --engine spark only; the local engine scores the pool "
                          f"on this machine; add --engine spark")
    if engine == "spark":
        from textml.encoding.jobs import check_master
        from textml.encoding.spark import require_pyspark

        check_master(master)
        require_pyspark()


def _rank_locally(pool, fitted, settings: dict, fmt, columns: Columns, encoding: str, chunk_size: int, say):
    """The pool streamed in chunks through one PoolRanker: (candidates, counts, pool has ids)."""
    ranker = None
    position = 0
    for chunk in iter_chunks(pool, fmt=fmt, columns=columns, chunk_size=chunk_size, encoding=encoding):
        if ranker is None:
            ranker = PoolRanker(**settings, has_ids=chunk.meta["columns"].id is not None)
        texts = chunk.texts
        ranker.add(fitted, texts, chunk.ids, position + np.arange(len(texts), dtype=np.int64))
        position += len(texts)
        say(f"suggest: {ranker.counts['rows']:,} rows read, {ranker.counts['scored']:,} scored")
    if ranker is None:  # an empty pool
        ranker = PoolRanker(**settings, has_ids=False)
    return ranker.candidates, ranker.counts, ranker.has_ids


def _pick(ranked: list, size: int, strategy: str, measure: str, scored: int) -> list[dict]:
    """The final ``size`` rows, in pick order, with their rank and why they were picked."""
    if strategy != "diverse":
        chosen = ranked[:size]
        return [{**row, "strategy": strategy, "rank": n, "reason": _why(strategy, n, value, scored, measure)}
                for n, (value, row) in enumerate(chosen, start=1)]
    values = np.asarray([value for value, _ in ranked])
    features = tfidf_features([row["text"] for _, row in ranked])
    picks, distances = k_center_greedy(features, size, weights=values)
    out = []
    for n, (i, distance) in enumerate(zip(picks, distances), start=1):
        value, row = ranked[i]
        extra = (f" (uncertainty rank {i + 1} of the {len(ranked):,} most uncertain; TF-IDF cosine distance "
                 f"{distance:.2f} to the nearest earlier pick)" if n > 1 else
                 f" (the most uncertain of the {len(ranked):,} candidates)")
        out.append({**row, "strategy": strategy, "rank": n, "reason": _why(strategy, n, value, scored, measure, extra)})
    return out


def push_selection(pool, project: str | int, model: str, size: int, strategy: str = "entropy", *,
                   url: str | None = None, api_key: str | None = None, connection=None,
                   columns: Columns = Columns(label=None), fmt: str | None = None, encoding: str = "utf-8",
                   exclude: Sequence = (), seed: int = 0, tracking_uri: str | None = None,
                   trust_pickle: bool = False, batch_size: int | None = None, engine: str = "local",
                   master: str | None = None, spark=None, progress: Callable[[str], None] | None = None):
    """Pick ``size`` texts of ``pool`` (leaving out what the project already holds) and push them
    to ``project`` with the model's guess as the pre-annotation and its probability as the score.

    Returns ``(SuggestReport, PushReport)``. The push is the ordinary idempotent one
    (:func:`textml.annotation.push.push_file`); a new project offers every class of the model.
    ``engine``/``master``/``spark``: where the pool is ranked, as in :func:`suggest`.
    """
    import tempfile

    from textml.annotation.client import connect
    from textml.annotation.push import DEFAULT_BATCH_SIZE, push_file

    check_engine(engine, master)  # before connecting
    connection = connection or connect(url, api_key)
    report = suggest(pool, model, size, strategy, columns=columns, fmt=fmt, encoding=encoding, exclude=exclude,
                     project=project, connection=connection, seed=seed, tracking_uri=tracking_uri,
                     trust_pickle=trust_pickle, engine=engine, master=master, spark=spark, progress=progress)
    if not report.rows:
        raise ConfigError(f"nothing to push: every text of {Path(pool).name} is labelled already, blank, or in "
                          f"project {project!r}")
    version = report.model_version or report.model
    with tempfile.TemporaryDirectory(prefix="textml-suggest-") as tmp:
        picks = Path(tmp) / "selection.jsonl"
        write_records(report.rows, SUGGEST_FIELDS, picks, "jsonl")
        pushed = push_file(picks, project, connection=connection, columns=Columns(text="text", label=None, id="id"),
                           model_version=version, key="id" if report.pool_has_ids else "text",
                           multilabel=report.multilabel, offer_labels=report.classes,
                           batch_size=batch_size or DEFAULT_BATCH_SIZE, progress=progress is not None)
    return report, pushed

