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


@dataclass(frozen=True)
class Latency:
    """Milliseconds per 1,000 texts: the median of the timed batches, and their spread."""

    median_ms: float
    spread_ms: float  # interquartile range of the batches
    batches: int


def measure_latency(model, texts: Sequence[str], repeats: int = LATENCY_REPEATS) -> Latency:
    """Time ``repeats`` predictions of one fixed batch of 1,000 dev texts, after a warm-up.

    Texts are cycled to make the batch, so small dev sets measure the same thing.
    """
    if not texts:
        return Latency(float("nan"), float("nan"), 0)
    batch = [texts[i % len(texts)] for i in range(LATENCY_BATCH)]
    model.predict(batch)  # warm-up: lazy initialisation and cold caches are not latency
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.predict(batch)
        times.append(1000.0 * (time.perf_counter() - start) * LATENCY_BATCH / len(batch))
    quartiles = statistics.quantiles(times, n=4) if len(times) > 1 else [times[0]] * 3
    return Latency(statistics.median(times), quartiles[2] - quartiles[0], len(times))


def latency_ms_per_1k(model, texts: Sequence[str], repeats: int = LATENCY_REPEATS) -> float:
    """Median milliseconds to predict 1,000 texts in one batch."""
    return measure_latency(model, texts, repeats).median_ms


def folder_bytes(path: str | os.PathLike) -> int:
    """Bytes on disk of every file under ``path``: a model's size as it is saved and shipped."""
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(file.stat().st_size for file in path.rglob("*") if file.is_file())
