"""Stratified train/dev/test splits with a manifest, and loading them back.

A split folder is any folder holding ``train``, ``dev`` and ``test`` files in a supported
format (``valid``/``validation``/``val`` are accepted for dev), with or without the
``manifest.json`` that :func:`split_file` writes.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from textml.data.check import MIN_ROWS_PER_CLASS
from textml.data.dataset import Dataset
from textml.data.formats import (
    EXTENSIONS,
    RECORD_FORMATS,
    Columns,
    detect_format,
    extension_for,
    read_dataset,
    write_dataset,
)
from textml.exceptions import ConfigError, DataError
from textml.files import atomic_dir, sha256_file

SPLITS = ("train", "dev", "test")
SPLIT_ALIASES = {"train": ("train",), "dev": ("dev", "valid", "validation", "val"), "test": ("test",)}
MANIFEST = "manifest.json"


def _label_key(label) -> str:
    return "|".join(sorted(label)) if isinstance(label, tuple) else label


def _dedupe(data: Dataset) -> tuple[Dataset, dict]:
    """Keep one row per text; a text seen with several labels gets its majority label.

    Ties go to the label seen first, and every conflict is reported.
    """
    groups: dict[str, list[int]] = defaultdict(list)
    for i, text in enumerate(data.texts):
        groups[" ".join(text.split())].append(i)
    keep, labels = [], []
    conflicts = []
    for rows in groups.values():
        first = rows[0]
        votes = Counter(_label_key(data.labels[i]) for i in rows)
        keep.append(first)
        if len(votes) > 1:
            order = {key: pos for pos, key in reversed(list(enumerate(_label_key(data.labels[i]) for i in rows)))}
            best = max(votes, key=lambda key: (votes[key], -order[key]))
            label = next(data.labels[i] for i in rows if _label_key(data.labels[i]) == best)
            tie = sorted(votes.values())[-1] == sorted(votes.values())[-2]
            conflicts.append({"text": data.texts[first], "labels": dict(votes), "kept": best, "tie": tie})
            labels.append(label)
        else:
            labels.append(data.labels[first])
    deduped = data.subset(keep)
    deduped.labels = labels
    report = {
        "duplicates_dropped": len(data) - len(keep),
        "conflicting_texts": len(conflicts),
        "conflict_ties": sum(c["tie"] for c in conflicts),
        "conflict_examples": conflicts[:20],
    }
    return deduped, report


def _allocate(n: int, fractions: tuple[float, float], rng: np.random.Generator) -> tuple[int, int]:
    """Rows of one class going to dev and test: at least one each when the class allows it."""
    dev = test = 0
    if fractions[0] > 0:
        dev = max(1, int(math.floor(n * fractions[0] + rng.random())))
    if fractions[1] > 0:
        test = max(1, int(math.floor(n * fractions[1] + rng.random())))
    # never take more than leaves one row for training
    while dev + test > n - 1 and (dev > 1 or test > 1):
        if dev >= test:
            dev -= 1
        else:
            test -= 1
    return dev, test


def stratified_indices(
    labels: list, dev: float, test: float, seed: int
) -> tuple[dict[str, list[int]], list[str]]:
    """Per-class allocation of row indices to train/dev/test.

    Classes with fewer than MIN_ROWS_PER_CLASS rows stay in train (returned as ``rare``);
    every other class gets at least one row in dev and in test. Randomised rounding keeps
    the overall fractions right on average.
    """
    rng = np.random.default_rng(seed)
    by_class: dict[str, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        by_class[_label_key(label)].append(i)
    # multi-label combinations too rare to stratify fall back to their first label
    if any(isinstance(label, tuple) for label in labels):
        merged: dict[str, list[int]] = defaultdict(list)
        for key, rows in by_class.items():
            if len(rows) < MIN_ROWS_PER_CLASS and "|" in key:
                key = key.split("|")[0]
            merged[key].extend(rows)
        by_class = merged
    out: dict[str, list[int]] = {name: [] for name in SPLITS}
    rare = []
    for key in sorted(by_class):
        rows = np.array(by_class[key])
        rng.shuffle(rows)
        if len(rows) < MIN_ROWS_PER_CLASS:
            rare.append(key)
            out["train"].extend(rows.tolist())
            continue
        n_dev, n_test = _allocate(len(rows), (dev, test), rng)
        out["test"].extend(rows[:n_test].tolist())
        out["dev"].extend(rows[n_test:n_test + n_dev].tolist())
        out["train"].extend(rows[n_test + n_dev:].tolist())
    for name in SPLITS:
        rng.shuffle(out[name])  # files in shuffled order: no class-sorted blocks downstream
    return out, rare


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
) -> dict:
    """Split a labelled file into train/dev/test files plus ``manifest.json``; return the manifest.

    With ``skip_bad``, malformed rows are left out (counted in the manifest) instead of
    stopping the split.
    """
    if not (0 <= dev < 1 and 0 <= test < 1 and dev + test < 1):
        raise ConfigError(f"--dev ({dev}) and --test ({test}) must be fractions that add up to less than 1")
    path = Path(path)
    out_dir = Path(out_dir)
    if out_dir.exists() and not force:
        raise ConfigError(f"{out_dir} already exists; pass --force to replace it")
    data = read_dataset(path, fmt=fmt, columns=columns, encoding=encoding, skip_bad=skip_bad)
    in_format = data.meta.get("format") or detect_format(path, fmt)
    bad_rows = data.meta.get("bad_rows", [])
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
    if not data_usable.has_labels:
        raise DataError(f"{path}: no row has both a text and a label; check --text-col/--label-col")
    dedupe_report = None
    if dedupe:
        data_usable, dedupe_report = _dedupe(data_usable)
    classes = data_usable.class_counts()
    if len(classes) < 2:
        raise DataError(f"{path}: only one class ({next(iter(classes))!r}); a classifier needs at least two")

    indices, rare = stratified_indices(data_usable.labels, dev, test, seed)
    parts = {name: data_usable.subset(indices[name]) for name in SPLITS}
    cross = _texts_in_several_splits(parts)

    ext = extension_for(out_format)
    manifest = {
        "source": {"path": str(path.resolve()), "sha256": sha256_file(path), "rows": len(data), "format": in_format},
        "columns": _columns_read(data.meta.get("columns", columns), in_format),
        "output_columns": _columns_written(out_format),
        "options": {"dev": dev, "test": test, "seed": seed, "dedupe": dedupe, "format": out_format},
        "dropped": dropped,
        "dedupe": dedupe_report,
        "rare_classes_in_train_only": rare,
        "texts_in_several_splits": cross,
        "classes": len(classes),
        "splits": {},
    }
    with atomic_dir(out_dir, force=force) as tmp:
        for name in SPLITS:
            file = write_dataset(parts[name], tmp / f"{name}{ext}", out_format)
            manifest["splits"][name] = {
                "file": file.name,
                "rows": len(parts[name]),
                "sha256": sha256_file(file),
                "class_counts": dict(sorted(parts[name].class_counts().items())),
            }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest


def _columns_read(used: Columns, fmt: str) -> dict:
    """The source columns the split was made from; id None: the ids are row numbers."""
    if fmt not in RECORD_FORMATS:  # fastText and plain lines have no named columns
        return {"text": None, "label": None, "id": None}
    return {"text": used.text, "label": used.label, "id": used.id}


def _columns_written(fmt: str) -> dict:
    """The columns of the split files (fastText files carry no ids: their rows are numbered)."""
    return {"text": "text", "label": "label", "id": None if fmt == "fasttext" else "id"}


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
                paths[name] = found
        if (folder / MANIFEST).exists():
            try:
                manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                raise DataError(f"{folder / MANIFEST} is not valid JSON ({exc.msg}); delete or fix it") from None
    for name, given in (("train", train), ("dev", dev), ("test", test)):
        if given is not None:
            if not Path(given).exists():
                raise DataError(f"{name} file not found: {given}")
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
        columns = Columns(text=written["text"], label=written["label"], id=written["id"])
    return Split(paths=paths, columns=columns, fmt=fmt, encoding=encoding, manifest=manifest)
