"""Stratified train/dev/test splits with a manifest, and loading them back.

A split folder is any folder holding ``train``, ``dev`` and ``test`` files in a supported
format (``valid``/``validation``/``val`` are accepted for dev), with or without the
``manifest.json`` that :func:`split_file` writes. How rows are assigned to the splits
(classes, label sets, numeric targets) is :mod:`textml.data.stratify`.
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from textml.data.dataset import MULTILABEL, REGRESSION, TASKS, Dataset, infer_task, numeric_value
from textml.data.formats import (
    EXTENSIONS,
    RECORD_FORMATS,
    Columns,
    check_exists,
    detect_format,
    extension_for,
    iter_rows,
    read_dataset,
    write_dataset,
)
from textml.data.stratify import (
    MIN_ROWS_PER_CLASS,
    SPLITS,
    multilabel_indices,
    numeric_indices,
    stratified_indices,
)
from textml.exceptions import ConfigError, DataError
from textml.files import atomic_dir, sha256_file

SPLIT_ALIASES = {"train": ("train",), "dev": ("dev", "valid", "validation", "val"), "test": ("test",)}
MANIFEST = "manifest.json"


def _label_key(label):
    """A label as a vote: label sets compare as sets."""
    return tuple(sorted(label)) if isinstance(label, tuple) else label


def _shown(key) -> str:
    return "|".join(key) if isinstance(key, tuple) else key


def _dedupe(data: Dataset, task: str) -> tuple[Dataset, dict]:
    """Keep one row per text; a text seen with several labels gets its majority label (for a
    numeric target, the median of its values).

    Ties go to the label seen first, and every conflict is reported.
    """
    groups: dict[str, list[int]] = defaultdict(list)
    for i, text in enumerate(data.texts):
        groups[" ".join(text.split())].append(i)
    keep, labels = [], []
    conflicts = []
    for rows in groups.values():
        first = rows[0]
        keys = [_label_key(data.labels[i]) for i in rows]
        votes = Counter(keys)
        keep.append(first)
        if len(votes) == 1:
            labels.append(data.labels[first])
            continue
        if task == REGRESSION:
            value = float(np.median([numeric_value(data.labels[i]) for i in rows]))
            kept, tie = str(int(value)) if value.is_integer() else repr(value), False
            labels.append(kept)
        else:
            order = {key: pos for pos, key in reversed(list(enumerate(keys)))}
            best = max(votes, key=lambda key: (votes[key], -order[key]))
            labels.append(data.labels[rows[keys.index(best)]])
            tie = sorted(votes.values())[-1] == sorted(votes.values())[-2]
            kept = _shown(best)
        conflicts.append({"text": data.texts[first], "labels": {_shown(k): n for k, n in votes.items()},
                          "kept": kept, "tie": tie})
    deduped = data.subset(keep)
    deduped.labels = labels
    report = {
        "duplicates_dropped": len(data) - len(keep),
        "conflicting_texts": len(conflicts),
        "conflict_ties": sum(c["tie"] for c in conflicts),
        "conflict_examples": conflicts[:20],
    }
    return deduped, report


def _read(path: Path, fmt, columns: Columns, encoding: str, skip_bad) -> tuple[Dataset, list[str]]:
    """The file as one Dataset, and where each row is ("line 7"), for messages about its labels."""
    chunks = list(iter_rows(path, fmt, columns, encoding=encoding, skip_bad=skip_bad))
    texts, labels, ids, where, bad = [], [], [], [], []
    used = columns
    for chunk in chunks:
        texts += chunk.texts
        labels += chunk.labels
        ids += chunk.ids
        where += [chunk.where(i) for i in range(len(chunk))]
        bad += chunk.bad
        used = chunk.columns
    meta = {"format": detect_format(path, fmt), "columns": used, "bad_rows": bad}
    return Dataset(texts, labels, ids, source=str(path), meta=meta), where


def _numeric(path: Path, data: Dataset, where: list[str]) -> np.ndarray:
    """The labels as numbers; a DataError naming the first row whose label is not one."""
    values = np.array([numeric_value(label) if isinstance(label, str) else None for label in data.labels],
                      dtype=np.float64)
    bad = np.flatnonzero(np.isnan(values))
    if len(bad):
        first = bad[0]
        raise DataError(f"{path}: {where[first]} has the label {data.labels[first]!r}, not a number ({len(bad)} "
                        f"such rows); a numeric target must be a number in every labelled row: fix those rows, "
                        f"or split the labels as classes (without --task regression)")
    return values


def _target_summary(values: np.ndarray) -> dict:
    if not len(values):
        return {"rows": 0}
    return {"rows": len(values), "min": float(values.min()), "median": float(np.median(values)),
            "max": float(values.max()), "mean": round(float(values.mean()), 6), "std": round(float(values.std()), 6)}


def _too_small(path: Path, n: int, empty: list[str], task: str, largest: int) -> DataError:
    unit = "label" if task == MULTILABEL else "class"
    need = ("" if task == REGRESSION else
            f"; every split needs a row, so some {unit} needs at least {MIN_ROWS_PER_CLASS} rows (the largest has "
            f"{largest})")
    return DataError(f"{path}: too small to split: {n} usable rows leave the {' and '.join(empty)} split empty"
                     f"{need}; split a larger file, or pass --dev 0 / --test 0 for the splits you do not need")


def split_file(
    path: str | os.PathLike,
    out_dir: str | os.PathLike,
    dev: float = 0.1,
    test: float = 0.1,
    seed: int = 0,
    dedupe: bool = False,
    fmt: str | None = None,
    out_format: str | None = None,
    columns: Columns = Columns(),
    encoding: str = "utf-8",
    force: bool = False,
    skip_bad: bool | None = None,
    task: str | None = None,
) -> dict:
    """Split a labelled file into train/dev/test files plus ``manifest.json``; return the manifest.

    ``task`` (default: inferred from the labels) says how rows are stratified: by class, by
    label set (multi-label: iterative stratification) or by quantile bins of a numeric
    target (regression). With ``skip_bad``, malformed rows are left out (counted in the
    manifest) instead of stopping the split. Multi-label rows written to CSV/TSV are
    joined with ``columns.label_sep``.
    """
    if not (0 <= dev < 1 and 0 <= test < 1 and dev + test < 1):
        raise ConfigError(f"--dev ({dev}) and --test ({test}) must be fractions that add up to less than 1")
    if task is not None and task not in TASKS:
        raise ConfigError(f"unknown task {task!r}; choose one of: {', '.join(TASKS)}")
    path = Path(path)
    out_dir = Path(out_dir)
    if out_dir.exists() and not force:
        raise ConfigError(f"{out_dir} already exists; pass --force to replace it")
    data, where = _read(path, fmt, columns, encoding, skip_bad)
    in_format = data.meta["format"]
    bad_rows = data.meta["bad_rows"]
    out_format = out_format or ("csv" if in_format == "lines" else in_format)
    detect_format(f"x{extension_for(out_format)}" if out_format in EXTENSIONS.values() else "x", out_format)

    usable = [i for i, (t, l) in enumerate(zip(data.texts, data.labels)) if t.strip() and l is not None]
    dropped = {
        "blank_text": sum(1 for t in data.texts if not t.strip()),
        "missing_label": sum(1 for t, l in zip(data.texts, data.labels) if t.strip() and l is None),
        "malformed": len(bad_rows),
        "malformed_examples": [str(b) for b in bad_rows[:20]],
    }
    data_usable = data.subset(usable)
    where = [where[i] for i in usable]
    if not data_usable.has_labels:
        raise DataError(f"{path}: no row has both a text and a label; check --text-col/--label-col")
    task = task or infer_task(data_usable.labels)
    if data_usable.is_multilabel and task != REGRESSION:
        task = MULTILABEL  # rows with several labels are split as label sets, whatever the task
    if task == REGRESSION:
        _numeric(path, data_usable, where)  # before dedupe, which takes medians of the numbers
    dedupe_report = None
    if dedupe:
        data_usable, dedupe_report = _dedupe(data_usable, task)
    n_splits = sum(f > 0 for f in (1 - dev - test, dev, test))
    if len(data_usable) < n_splits:
        raise DataError(f"{path}: too small to split: {len(data_usable)} usable rows (with a text and a label); "
                        f"train, dev and test need at least {n_splits}, one each")

    classes = data_usable.class_counts()
    values = None
    strata = None
    if task == REGRESSION:
        values = np.array([numeric_value(label) for label in data_usable.labels], dtype=np.float64)
        if values.min() == values.max():
            raise DataError(f"{path}: every target is {values[0]:g}; a numeric target needs at least two values")
        indices, bins = numeric_indices(values, dev, test, seed)
        rare = []
        strata = f"{bins} quantile bins of the target"
    elif task == MULTILABEL:
        if not classes:
            raise DataError(f"{path}: no row has a label (every label list is empty)")
        indices, rare = multilabel_indices(data_usable.labels, dev, test, seed)
        strata = "labels (iterative stratification)"
    else:
        if len(classes) < 2:
            raise DataError(f"{path}: only one class ({next(iter(classes))!r}); a classifier needs at least two")
        indices, rare = stratified_indices(data_usable.labels, dev, test, seed)
        strata = "classes"
    fractions = {"train": 1 - dev - test, "dev": dev, "test": test}
    empty = [name for name in SPLITS if fractions[name] > 0 and not indices[name]]
    if empty:
        raise _too_small(path, len(data_usable), empty, task, max(classes.values(), default=0))
    parts = {name: data_usable.subset(indices[name]) for name in SPLITS}
    cross = _texts_in_several_splits(parts)

    ext = extension_for(out_format)
    label_sep = columns.label_sep if out_format in ("csv", "tsv") else None
    manifest = {
        "source": {"path": str(path.resolve()), "sha256": sha256_file(path), "rows": len(data), "format": in_format},
        "columns": _columns_read(data.meta.get("columns", columns), in_format),
        "output_columns": _columns_written(out_format, label_sep),
        "options": {"dev": dev, "test": test, "seed": seed, "dedupe": dedupe, "format": out_format},
        "task": task,
        "stratified_on": strata,
        "dropped": dropped,
        "dedupe": dedupe_report,
        "rare_classes_in_train_only": rare,
        "texts_in_several_splits": cross,
        "classes": None if task == REGRESSION else len(classes),
        "splits": {},
    }
    if task == REGRESSION:
        manifest["target"] = _target_summary(values)
    if task == MULTILABEL:
        manifest["labels_not_in_every_split"] = _labels_missing(parts, classes, fractions)
    with atomic_dir(out_dir, force=force) as tmp:
        for name in SPLITS:
            file = write_dataset(parts[name], tmp / f"{name}{ext}", out_format, label_sep=label_sep)
            info = {"file": file.name, "rows": len(parts[name]), "sha256": sha256_file(file)}
            if task == REGRESSION:
                info["target"] = _target_summary(values[indices[name]])
            else:
                info["class_counts"] = dict(sorted(parts[name].class_counts().items()))
            if task == MULTILABEL:
                info["rows_without_labels"] = sum(1 for label in parts[name].labels if label == ())
            manifest["splits"][name] = info
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest


def _labels_missing(parts: dict[str, Dataset], classes: Counter, fractions: dict) -> dict[str, list[str]]:
    """Labels with enough rows to stratify that some split still lacks (normally none)."""
    counts = {name: part.class_counts() for name, part in parts.items()}
    missing = {}
    for label, n in classes.items():
        if n >= MIN_ROWS_PER_CLASS:
            lacking = [name for name in SPLITS if fractions[name] > 0 and not counts[name].get(label)]
            if lacking:
                missing[label] = lacking
    return dict(sorted(missing.items()))


def _columns_read(used: Columns, fmt: str) -> dict:
    """The source columns the split was made from; id None: the ids are row numbers."""
    if fmt not in RECORD_FORMATS:  # fastText and plain lines have no named columns
        return {"text": None, "label": None, "id": None}
    read = {"text": used.text, "label": used.label, "id": used.id}
    return {**read, "label_sep": used.label_sep} if used.label_sep else read


def _columns_written(fmt: str, label_sep: str | None = None) -> dict:
    """The columns of the split files (fastText files carry no ids: their rows are numbered),
    and the separator of several labels in a CSV/TSV cell."""
    written = {"text": "text", "label": "label", "id": None if fmt == "fasttext" else "id"}
    return {**written, "label_sep": label_sep} if label_sep else written


def _texts_in_several_splits(parts: dict[str, Dataset]) -> int:
    seen: dict[str, str] = {}
    crossing = set()
    for name, part in parts.items():
        for text in part.texts:
            key = " ".join(text.split())
            if seen.setdefault(key, name) != name:
                crossing.add(key)
    return len(crossing)


# --- loading a split ---------------------------------------------------------------------


@dataclass
class Split:
    """The train/dev/test files of one experiment. Test is read only on request and the
    fact that it was read is recorded (`test_read`), because the test split is sacred."""

    paths: dict[str, Path]
    columns: Columns = Columns()
    fmt: str | None = None
    encoding: str = "utf-8"
    manifest: dict | None = None
    test_read: bool = False
    _cache: dict = field(default_factory=dict, repr=False)

    def _load(self, name: str) -> Dataset:
        if name not in self._cache:
            path = self.paths.get(name)
            if path is None:
                raise ConfigError(f"no {name} file given; pass a split folder or --{name} FILE")
            data = read_dataset(path, fmt=self.fmt, columns=self.columns, encoding=self.encoding)
            _require_labels(data, name)
            self._cache[name] = data
        return self._cache[name]

    @property
    def train(self) -> Dataset:
        return self._load("train")

    @property
    def dev(self) -> Dataset:
        return self._load("dev")

    def read_test(self) -> Dataset:
        self.test_read = True
        return self._load("test")

    @property
    def name(self) -> str:
        """A dataset name for grouping runs: the source file's stem, else the folder's name."""
        if self.manifest:
            return Path(self.manifest["source"]["path"]).stem
        return self.paths["train"].resolve().parent.name

    def hashes(self) -> dict[str, str]:
        return {name: sha256_file(path) for name, path in self.paths.items()}


def _require_labels(data: Dataset, name: str) -> None:
    if len(data) == 0:
        raise DataError(f"{data.source}: the {name} file has no rows")
    missing = [data.ids[i] for i, label in enumerate(data.labels) if label is None]
    if missing:
        raise DataError(
            f"{data.source}: {len(missing)} {name} rows have no label (first: row {missing[0]}); "
            f"label or drop them (`textml data split` drops them)"
        )


def _find(folder: Path, name: str) -> Path | None:
    candidates = []
    for alias in SPLIT_ALIASES[name]:
        for file in sorted(folder.glob(f"{alias}.*")):
            try:
                detect_format(file)
            except ConfigError:
                continue
            candidates.append(file)
    if len(candidates) > 1:
        raise DataError(
            f"{folder}: several {name} files ({', '.join(c.name for c in candidates)}); keep one"
        )
    return candidates[0] if candidates else None


def load_split(
    split_dir: str | os.PathLike | None = None,
    train: str | os.PathLike | None = None,
    dev: str | os.PathLike | None = None,
    test: str | os.PathLike | None = None,
    columns: Columns = Columns(),
    fmt: str | None = None,
    encoding: str = "utf-8",
) -> Split:
    """A Split from a folder, from explicit files, or from a folder with some files overridden."""
    paths: dict[str, Path] = {}
    manifest = None
    if split_dir is not None:
        folder = Path(split_dir)
        if not folder.exists():
            raise DataError(f"split folder not found: {folder}; make one with `textml data split FILE --out DIR`")
        if not folder.is_dir():
            raise DataError(f"{folder} is a file; pass a split folder, or the files with --train/--dev/--test")
        for name in SPLITS:
            found = _find(folder, name)
            if found:
                check_exists(found)  # a folder or a named pipe called train.csv: refused before it is hashed
                paths[name] = found
        if (folder / MANIFEST).exists():
            check_exists(folder / MANIFEST)
            try:
                manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                raise DataError(f"{folder / MANIFEST} is not valid JSON ({exc.msg}); delete or fix it") from None
    for name, given in (("train", train), ("dev", dev), ("test", test)):
        if given is not None:
            if not Path(given).exists():
                raise DataError(f"{name} file not found: {given}")
            check_exists(Path(given))  # a folder or a named pipe: refused before anything reads it
            paths[name] = Path(given)
            manifest = None if split_dir is None else manifest
    for name in ("train", "dev"):
        if name not in paths:
            where = f"in {split_dir}" if split_dir is not None else "given"
            raise DataError(
                f"no {name} file {where}; expected {name}.csv (or .tsv, .jsonl, .parquet, .txt) "
                f"or pass --{name} FILE"
            )
    # files written by `data split` use the standard column names, whatever the source had
    if manifest is not None and all(p.parent == Path(split_dir) for p in paths.values()):
        written = manifest.get("output_columns") or _columns_written(manifest.get("options", {}).get("format"))
        columns = replace(columns, text=written["text"], label=written["label"], id=written["id"],
                          label_sep=written.get("label_sep"))
    return Split(paths=paths, columns=columns, fmt=fmt, encoding=encoding, manifest=manifest)
