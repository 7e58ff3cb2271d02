"""Which rows go to train, dev and test, so that each split looks like the whole file.

- **Classes** (binary, multi-class): each class is split on its own, with randomised
  rounding, and every class with at least :data:`MIN_ROWS_PER_CLASS` rows gets a row in
  dev and in test; rarer classes stay in train.
- **Label sets** (multi-label): iterative stratification (Sechidis, Tsoumakas and
  Vlahavas, *On the stratification of multi-label data*, ECML PKDD 2011), over the three
  splits at once: the label with the fewest rows still unplaced goes first, each of its
  rows to the split that still wants most of that label. Two changes to the paper: a
  label with at least ``MIN_ROWS_PER_CLASS`` rows wants at least one row in dev and in
  test (the paper's fractions alone leave a 3-row label wholly in train), and a last pass
  moves a row in wherever such a label still missed a split (its rows were all placed
  by rarer labels first), never taking a label's last row out of a split. Rows of
  labels rarer than that stay in train. Written here rather than taken from the
  iterative-stratification package, whose two-way splitter gives no such floor.
- **Numeric targets** (regression): the target's quantile bins are the classes, so the
  distribution is alike across splits (see :data:`NUMERIC_BINS`).
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from textml.data.dataset import label_sets

SPLITS = ("train", "dev", "test")
MIN_ROWS_PER_CLASS = 3  # fewer cannot appear in train, dev and test alike
# Quantile bins of a numeric target: at most NUMERIC_BINS, and few enough that each bin's
# share of the smallest split is BIN_ROWS rows. Measured on debian-sizes (80/10/10, 5 seeds;
# mean Kolmogorov-Smirnov distance between train and dev/test): 20k rows: unstratified 0.019,
# 10 bins 0.010, 50 bins 0.005, 100 bins 0.004; a 2k-row sample: 10 bins 0.030, 50 (4 rows a bin
# in dev) 0.017-0.020, 100 0.022; a 300-row sample: 5 bins 0.10, 10 (3 rows a bin) 0.077, 20 0.085.
NUMERIC_BINS = 50
BIN_ROWS = 3


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


def _shuffled(out: dict[str, list[int]], rng: np.random.Generator) -> dict[str, list[int]]:
    for name in SPLITS:
        rng.shuffle(out[name])  # files in shuffled order: no class-sorted blocks downstream
    return out


def stratified_indices(labels: list, dev: float, test: float, seed: int) -> tuple[dict[str, list[int]], list[str]]:
    """Per-class allocation of row indices to train/dev/test, and the classes kept in train.

    Classes with fewer than MIN_ROWS_PER_CLASS rows stay in train (returned as ``rare``);
    every other class gets at least one row in dev and in test. Randomised rounding keeps
    the overall fractions right on average.
    """
    rng = np.random.default_rng(seed)
    by_class: dict[str, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        by_class[label].append(i)
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
    return _shuffled(out, rng), rare


def _pick(scores: np.ndarray, budget: np.ndarray, rng: np.random.Generator) -> int:
    """The split with the highest score; ties go to the most rows still wanted, then at random."""
    best = np.flatnonzero(scores == scores.max())
    if len(best) > 1:
        best = best[budget[best] == budget[best].max()]
    return int(best[0] if len(best) == 1 else rng.choice(best))


def multilabel_indices(labels: list, dev: float, test: float, seed: int) -> tuple[dict[str, list[int]], list[str]]:
    """Iterative stratification of label sets over train/dev/test (see the module docstring).

    Returns the row indices of each split and the labels too rare to stratify (kept in
    train). A row with no labels goes where most rows are still wanted.
    """
    rng = np.random.default_rng(seed)
    sets = label_sets(labels)
    names = sorted({name for labels_of_row in sets for name in labels_of_row})
    index = {name: k for k, name in enumerate(names)}
    row_labels = [np.array([index[name] for name in labels_of_row], dtype=np.int64) for labels_of_row in sets]
    rows_of: list[list[int]] = [[] for _ in names]
    for i, ks in enumerate(row_labels):
        for k in ks:
            rows_of[k].append(i)
    counts = np.array([len(rows) for rows in rows_of], dtype=np.int64)
    fractions = np.array([1 - dev - test, dev, test])
    # rows of each label each split wants: its share, at least one in dev and test when it has enough
    want = np.outer(fractions, counts).astype(np.float64)
    stratified = counts >= MIN_ROWS_PER_CLASS
    for j in (1, 2):
        if fractions[j] > 0:
            want[j, stratified] = np.maximum(want[j, stratified], 1.0)
    want[0] = counts - want[1] - want[2]
    want[:, ~stratified] = 0
    want[0, ~stratified] = counts[~stratified]
    budget = fractions * len(sets)
    split_of = np.full(len(sets), -1, dtype=np.int64)
    unplaced = counts.copy()
    while True:
        open_labels = np.flatnonzero(unplaced > 0)
        if not len(open_labels):
            break
        fewest = open_labels[unplaced[open_labels] == unplaced[open_labels].min()]
        k = int(fewest[0] if len(fewest) == 1 else rng.choice(fewest))
        for i in rng.permutation(rows_of[k]):
            if split_of[i] >= 0:
                continue
            j = _pick(want[:, k], budget, rng)
            split_of[i] = j
            budget[j] -= 1
            want[j, row_labels[i]] -= 1
            unplaced[row_labels[i]] -= 1
    for i in rng.permutation(np.flatnonzero(split_of < 0)):  # rows without labels
        j = _pick(budget, budget, rng)
        split_of[i] = j
        budget[j] -= 1
    _repair(split_of, row_labels, rows_of, counts, fractions, rng)
    out = {name: np.flatnonzero(split_of == j).tolist() for j, name in enumerate(SPLITS)}
    rare = [names[k] for k in np.flatnonzero(~stratified)]
    return _shuffled(out, rng), rare


def _repair(split_of, row_labels, rows_of, counts, fractions, rng) -> None:
    """Move one row into each split a label with enough rows is missing from, where that
    empties no split of another such label, and never a row of a label kept in train."""
    present = np.zeros((len(SPLITS), len(counts)), dtype=np.int64)
    for i, j in enumerate(split_of):
        present[j, row_labels[i]] += 1
    rare = counts < MIN_ROWS_PER_CLASS
    for k in np.argsort(counts, kind="stable"):
        if rare[k]:
            continue
        for j in np.flatnonzero(fractions > 0):
            if present[j, k]:
                continue
            best = None
            for i in rng.permutation(rows_of[k]):
                source = split_of[i]
                if present[source, k] < 2 or rare[row_labels[i]].any():
                    continue
                others = row_labels[i]
                if ((present[source, others] < 2) & ~rare[others]).any():
                    continue  # it would empty that split of another label
                if best is None or len(others) < len(row_labels[best]):
                    best = i
            if best is not None:
                source = split_of[best]
                present[source, row_labels[best]] -= 1
                present[j, row_labels[best]] += 1
                split_of[best] = j


def quantile_bins(values: np.ndarray, bins: int) -> np.ndarray:
    """Each value's quantile bin (0 to ``bins - 1``; fewer bins when many values are equal)."""
    if bins <= 1 or len(values) == 0:
        return np.zeros(len(values), dtype=np.int64)
    edges = np.unique(np.quantile(values, np.linspace(0, 1, bins + 1)[1:-1]))
    return np.searchsorted(edges, values, side="right")


def numeric_bins(n_rows: int, dev: float, test: float) -> int:
    """How many quantile bins to stratify ``n_rows`` numeric targets on (see NUMERIC_BINS)."""
    smallest = min(f for f in (dev, test, 1 - dev - test) if f > 0)
    return max(1, min(NUMERIC_BINS, int(n_rows * smallest / BIN_ROWS)))


def numeric_indices(values: np.ndarray, dev: float, test: float, seed: int) -> tuple[dict[str, list[int]], int]:
    """Rows of a numeric target stratified on its quantile bins; returns them and the bin count."""
    bins = quantile_bins(values, numeric_bins(len(values), dev, test))
    out, _ = stratified_indices([f"bin {b:03d}" for b in bins], dev, test, seed)
    return out, len(np.unique(bins))
