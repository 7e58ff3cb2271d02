"""The satisficing metrics: prediction latency and model size."""

from __future__ import annotations

import pickle
import time
from typing import Sequence

LATENCY_BATCH = 1000


def latency_ms_per_1k(model, texts: Sequence[str], repeats: int = 3) -> float:
    """Milliseconds to predict 1,000 texts in one batch (best of ``repeats``).

    Texts are cycled to make a batch of 1,000 so small dev sets measure the same thing.
    """
    if not texts:
        return float("nan")
    batch = [texts[i % len(texts)] for i in range(LATENCY_BATCH)]
    model.predict(batch[:10])  # warm-up: lazy initialisation is not latency
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        model.predict(batch)
        best = min(best, time.perf_counter() - start)
    return 1000.0 * best * LATENCY_BATCH / len(batch)


def size_bytes(model) -> int:
    """Size of the serialised model (what a deployment would ship)."""
    return len(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
