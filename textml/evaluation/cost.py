"""The satisficing metrics: prediction latency and model size."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

LATENCY_BATCH = 1000
LATENCY_REPEATS = 7  # the median of 7 timed batches moved < 10% between identical runs; best-of-3 moved 2x
LATENCY_PROBE = 100  # texts in the first (warm-up) call, which also tells the cost of one text
# A batch is cut so that one takes about this long. On 3 KB documents 1,000-text batches took
# bow-svm 10.3-10.8 s to time (bow-char-svm ~45 s; ~85 worker-seconds for a default compare);
# 0.5 s batches took 3.3-3.7 s and gave the same ms/1k within 8%.
LATENCY_BATCH_SECONDS = 0.5


@dataclass(frozen=True)
class Latency:
    """Milliseconds per 1,000 texts: the median of the timed batches, and their spread."""

    median_ms: float
    spread_ms: float  # interquartile range of the batches
    batches: int
    batch_size: int = LATENCY_BATCH


def measure_latency(model, texts: Sequence[str], repeats: int = LATENCY_REPEATS) -> Latency:
    """Time ``repeats`` predictions of one fixed batch of dev texts, after a warm-up, in
    milliseconds per 1,000 texts.

    The batch is 1,000 texts, or fewer when the warm-up shows that 1,000 would take more than
    :data:`LATENCY_BATCH_SECONDS` (long documents, slow models), down to
    :data:`LATENCY_PROBE`. Texts are cycled to make the batch, so small dev sets measure the
    same thing.
    """
    if not texts:
        return Latency(float("nan"), float("nan"), 0, 0)

    def cycled(n: int) -> list:
        return [texts[i % len(texts)] for i in range(n)]

    probe = cycled(LATENCY_PROBE)
    model.predict(probe)  # warm-up: lazy initialisation and cold caches are not latency
    start = time.perf_counter()
    model.predict(probe)  # a warm call tells what one text costs
    per_text = (time.perf_counter() - start) / LATENCY_PROBE
    size = LATENCY_BATCH
    if per_text * LATENCY_BATCH > LATENCY_BATCH_SECONDS:
        size = max(LATENCY_PROBE, int(LATENCY_BATCH_SECONDS / per_text))
    batch = cycled(size)
    if size == LATENCY_BATCH:
        model.predict(batch)  # cheap: warm the caches at the size that is timed
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.predict(batch)
        times.append(1000.0 * (time.perf_counter() - start) * LATENCY_BATCH / len(batch))
    quartiles = statistics.quantiles(times, n=4) if len(times) > 1 else [times[0]] * 3
    return Latency(statistics.median(times), quartiles[2] - quartiles[0], len(times), len(batch))


def latency_ms_per_1k(model, texts: Sequence[str], repeats: int = LATENCY_REPEATS) -> float:
    """Median milliseconds to predict 1,000 texts in one batch."""
    return measure_latency(model, texts, repeats).median_ms


def folder_bytes(path: str | os.PathLike) -> int:
    """Bytes on disk of every file under ``path``: a model's size as it is saved and shipped."""
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(file.stat().st_size for file in path.rglob("*") if file.is_file())
