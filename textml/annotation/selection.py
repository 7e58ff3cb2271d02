"""Which unlabelled texts to label next: uncertainty measures, a bounded candidate pool,
and k-center greedy for diversity. Pure NumPy: no files, no servers (see suggest.py).

Uncertainty (higher = the model is less sure), from a row's class probabilities ``p``:

==================  ==========================================  ===========================
strategy            single-label                                multi-label (marginals)
==================  ==========================================  ===========================
least-confidence    ``1 - max p``                               mean over labels of
                                                                ``1 - max(p_l, 1 - p_l)``
margin              ``1 - (p_top1 - p_top2)``                   mean of ``1 - |2 p_l - 1|``
entropy             ``-sum p log p`` (natural log)              mean binary entropy
diverse             entropy, then k-center greedy (below)       the same
random              a seeded draw per text (the control)        the same
==================  ==========================================  ===========================

Multi-label models give one independent probability per label, so a row's uncertainty is the
mean of its labels' binary uncertainties: a row the model hesitates on for several labels
ranks above one with a single doubtful label.

**diverse**: uncertainty alone keeps picking near-copies of the same confusing text (product
titles differing by a size or a colour). ``diverse`` keeps the ``CANDIDATE_FACTOR x N`` most
uncertain rows, then picks N of them with k-center greedy in TF-IDF space (fitted on those
candidates): start from the most uncertain, then repeatedly take the candidate farthest
(cosine distance) from every pick so far, breaking near-ties towards the more uncertain.

:class:`Candidates` keeps the best ``capacity`` rows seen so far, one per near-duplicate key,
so a pool of millions is ranked in memory bounded by ``capacity`` plus one chunk. What it keeps
does not depend on how the pool is cut: the best row of each key, the ``capacity`` best keys
(ties to the earlier row). So the Spark engine (a ``Candidates`` per partition, then one over
their union) keeps what the local stream does.

**random** draws each text's value from a hash of the seed and the text
(:func:`random_values`), not from the row's place in the stream, so the draw is the same on
either engine and whatever the chunk size.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from textml.exceptions import ConfigError

STRATEGIES = ("least-confidence", "margin", "entropy", "diverse", "random")
# diverse: the candidate pool is this many times the selection, so the picks stay among the
# uncertain while k-center has room to spread them. With 10x, diverse reached the random
# control's final score with 62% (Instacart) and 50% (Debian) of its labels
# (scripts/bench_active.py, docs/label_studio.md); other factors were not measured.
CANDIDATE_FACTOR = 10
# k-center: among candidates within this share of the farthest distance, take the most
# uncertain (plain k-center picks outliers only because they are far); not tuned
DISTANCE_SLACK = 0.1
_EPS = 1e-12
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def check_strategy(strategy: str) -> str:
    if strategy not in STRATEGIES:
        raise ConfigError(f"--strategy must be one of {', '.join(STRATEGIES)}, not {strategy!r}")
    return strategy


def measure_of(strategy: str) -> str:
    """The uncertainty measure a strategy ranks by (``diverse`` ranks its candidates by entropy)."""
    return "entropy" if strategy == "diverse" else strategy


def uncertainty(probabilities: np.ndarray, strategy: str, multilabel: bool = False) -> np.ndarray:
    """One uncertainty value per row (higher = less sure) for ``least-confidence``, ``margin``,
    ``entropy`` or ``diverse``; ``probabilities`` is ``(n, classes)`` (or per-label marginals)."""
    p = np.clip(np.asarray(probabilities, dtype=np.float64), 0.0, 1.0)
    if p.ndim != 2:
        raise ConfigError(f"probabilities must be (rows, classes), got shape {p.shape}")
    measure = measure_of(check_strategy(strategy))
    if measure == "random":
        raise ConfigError("random selection has no uncertainty; draw the values with a seeded generator")
    if len(p) == 0:
        return np.zeros(0)
    if multilabel:
        if measure == "least-confidence":
            per_label = 1.0 - np.maximum(p, 1.0 - p)
        elif measure == "margin":
            per_label = 1.0 - np.abs(2.0 * p - 1.0)
        else:
            q = 1.0 - p
            per_label = -(p * np.log(np.maximum(p, _EPS)) + q * np.log(np.maximum(q, _EPS)))
        return per_label.mean(axis=1)
    if measure == "least-confidence":
        return 1.0 - p.max(axis=1)
    if measure == "margin":
        if p.shape[1] < 2:
            return np.zeros(len(p))
        top2 = np.partition(p, -2, axis=1)[:, -2:]
        return 1.0 - (top2[:, 1] - top2[:, 0])
    return -(p * np.log(np.maximum(p, _EPS))).sum(axis=1)


def predictions(probabilities: np.ndarray, classes: Sequence, multilabel: bool = False,
                threshold: float = 0.5) -> tuple[list, np.ndarray]:
    """The model's guess per row and its score: the top class and its probability; for
    multi-label models the labels at or above ``threshold`` (a tuple, the top label if none
    is) and the mean confidence ``max(p_l, 1 - p_l)`` over labels."""
    p = np.asarray(probabilities, dtype=np.float64)
    classes = [str(c) for c in classes]
    if len(p) == 0:
        return [], np.zeros(0)
    if multilabel:
        labels = []
        for row in p:
            chosen = tuple(c for c, value in zip(classes, row) if value >= threshold)
            labels.append(chosen or (classes[int(np.argmax(row))],))
        return labels, np.maximum(p, 1.0 - p).mean(axis=1)
    top = p.argmax(axis=1)
    return [classes[i] for i in top], p[np.arange(len(p)), top]


def random_values(texts: Sequence[str], seed: int = 0) -> np.ndarray:
    """The random strategy's value of each text, in [0, 1): a hash of the seed and the text, so
    a text draws the same value wherever and in whatever order it is read."""
    prefix = f"{int(seed)}\x00".encode()
    return np.asarray([int.from_bytes(hashlib.blake2b(prefix + str(t).encode("utf-8"), digest_size=8).digest(),
                                      "big") / 2.0 ** 64 for t in texts], dtype=np.float64)


def normal_words(text: str) -> str:
    """The text as a near-duplicate sees it: lower-case words, each once, sorted."""
    return " ".join(sorted(set(_WORD.findall(str(text).lower()))))


def near_key(text: str) -> str:
    """A key shared by texts that differ only in case, punctuation, spacing or word order."""
    return hashlib.blake2b(normal_words(text).encode("utf-8"), digest_size=12).hexdigest()


class Candidates:
    """The ``capacity`` rows with the highest values seen so far, one per key.

    ``offer`` takes a chunk's values, keys and row payloads; ties keep the earlier row (lower
    ``order``), so the result does not depend on the chunk size or on the order chunks come in.
    Memory: ``capacity`` rows plus one chunk, plus the (value, order) of near-duplicates that
    still rank above the worst kept row (``dropped`` counts them).
    """

    def __init__(self, capacity: int):
        if capacity < 1:
            raise ConfigError("the selection size must be at least 1")
        self.capacity = capacity
        self.values = np.zeros(0)
        self.order = np.zeros(0, dtype=np.int64)  # position in the pool (for ties)
        self.keys: list[str] = []
        self.rows: list = []
        self.seen = 0  # rows offered
        # near-duplicates of a better row, as (value, order), kept while they rank above the worst
        # kept row: their count is the same however the pool was cut (chunks, partitions)
        self.dup_values = np.zeros(0)
        self.dup_order = np.zeros(0, dtype=np.int64)

    @property
    def dropped(self) -> int:
        """Rows left out for a better near-duplicate that rank above the worst kept row."""
        return len(self.dup_values)

    @property
    def floor(self) -> float:
        """The value a new row must beat to get in (-inf until the pool is full)."""
        return float(self.values.min()) if len(self.values) >= self.capacity else -np.inf

    def could_enter(self, values: np.ndarray) -> np.ndarray:
        """Rows of a chunk worth looking at (their keys, exclusions): above the floor. Only for
        rows offered in pool order: a later row that ties the floor could not enter anyway."""
        return np.asarray(values) > self.floor

    def offer(self, values: Sequence[float], keys: Sequence[str], rows: Sequence, order: Sequence[int]) -> None:
        self.seen += len(values)
        if not len(values):
            return
        values = np.concatenate([self.values, np.asarray(values, dtype=np.float64)])
        order = np.concatenate([self.order, np.asarray(order, dtype=np.int64)])
        keys = self.keys + list(keys)
        rows = self.rows + list(rows)
        ranked = np.lexsort((order, -values))  # best value first, then earliest row
        kept, taken, dups = [], set(), []
        for i in ranked:
            if keys[i] in taken:
                dups.append(i)
                continue
            if len(kept) == self.capacity:
                break  # the rest rank below the worst kept row
            taken.add(keys[i])
            kept.append(i)
        self.values, self.order = values[kept], order[kept]
        self.keys = [keys[i] for i in kept]
        self.rows = [rows[i] for i in kept]
        self.note_dropped(values[dups], order[dups])

    def note_dropped(self, values: Sequence[float], order: Sequence[int]) -> None:
        """Count near-duplicates left out elsewhere (another partition's ``Candidates``)."""
        values = np.concatenate([self.dup_values, np.asarray(values, dtype=np.float64)])
        order = np.concatenate([self.dup_order, np.asarray(order, dtype=np.int64)])
        if len(self.values) >= self.capacity:  # full: only rows above the worst kept one count
            worst = np.lexsort((self.order, -self.values))[-1]
            value, last = self.values[worst], self.order[worst]
            above = (values > value) | ((values == value) & (order < last))
            values, order = values[above], order[above]
        self.dup_values, self.dup_order = values, order

    def best(self) -> list[tuple[float, object]]:
        """(value, row), best first."""
        return list(zip(self.values.tolist(), self.rows))


def tfidf_features(texts: Sequence[str]):
    """L2-normalised TF-IDF rows of ``texts`` (word 1-2-grams and character 3-grams within words,
    so spelling variants of a product name are close), fitted on these texts only."""
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer

    words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 3), sublinear_tf=True, min_df=1)
    parts = []
    for vectorizer in (words, chars):
        try:
            parts.append(vectorizer.fit_transform(texts))
        except ValueError:  # empty vocabulary (symbols only): that view adds nothing
            continue
    if not parts:
        return sparse.csr_matrix((len(texts), 1))
    from sklearn.preprocessing import normalize

    return normalize(sparse.hstack(parts).tocsr())


def k_center_greedy(features, k: int, weights: np.ndarray | None = None,
                    slack: float = DISTANCE_SLACK) -> tuple[list[int], list[float]]:
    """``k`` row indices of ``features`` (L2-normalised rows) spread out by k-center greedy.

    The first pick is the row with the highest weight (uncertainty); then, each time, the
    rows whose cosine distance to their nearest pick is within ``slack`` of the farthest are
    the contenders, and the most uncertain of them is taken. Returns the indices in pick
    order and each pick's distance to the nearest earlier pick (1.0 for the first).
    """
    n = features.shape[0]
    k = min(k, n)
    if k <= 0:
        return [], []
    weights = np.zeros(n) if weights is None else np.asarray(weights, dtype=np.float64)
    first = int(np.argmax(weights))
    picks, distances = [first], [1.0]
    nearest = _cosine_distance(features, first)
    nearest[first] = -1.0
    while len(picks) < k:
        far = nearest.max()
        contenders = np.flatnonzero(nearest >= far - slack * max(far, _EPS))
        pick = int(contenders[np.argmax(weights[contenders])])
        picks.append(pick)
        distances.append(float(nearest[pick]))
        nearest = np.minimum(nearest, _cosine_distance(features, pick))
        nearest[picks] = -1.0
    return picks, distances


def _cosine_distance(features, row: int) -> np.ndarray:
    similarity = features @ features[row].T
    similarity = np.asarray(similarity.todense() if hasattr(similarity, "todense") else similarity).ravel()
    return np.clip(1.0 - similarity, 0.0, 2.0)


def select(probabilities: np.ndarray, texts: Sequence[str], size: int, strategy: str, seed: int = 0,
           multilabel: bool = False, candidate_factor: int = CANDIDATE_FACTOR) -> list[int]:
    """Indices of the ``size`` rows to label next, in pick order, for rows held in memory (the
    simulation in scripts/bench_active.py); ``annotate suggest`` does the same, streamed (its
    random draw is per text, :func:`random_values`; this one keeps the seeded generator the
    benchmark's recorded curves came from)."""
    check_strategy(strategy)
    n = len(texts)
    if strategy == "random":
        values = np.random.default_rng(seed).random(n)
    else:
        values = uncertainty(probabilities, strategy, multilabel)
    capacity = size * (candidate_factor if strategy == "diverse" else 1)
    pool = Candidates(capacity)
    pool.offer(values, [near_key(t) for t in texts], list(range(n)), range(n))
    ranked = pool.best()
    if strategy != "diverse":
        return [i for _, i in ranked[:size]]
    picks, _ = k_center_greedy(tfidf_features([texts[i] for _, i in ranked]), size,
                               weights=np.array([v for v, _ in ranked]))
    return [ranked[p][1] for p in picks]
