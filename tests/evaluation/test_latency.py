"""Latency is a per-1,000-texts figure users compare across models, whatever the texts' length."""

import time

import pytest

from textml.evaluation.cost import LATENCY_BATCH, measure_latency


class PerTextCost:
    """A model whose predict costs ``seconds`` per text, like a slow model on long documents."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.calls = []

    def predict(self, texts):
        self.calls.append(len(texts))
        time.sleep(self.seconds * len(texts))
        return ["x"] * len(texts)


def test_a_slow_model_is_timed_on_smaller_batches_with_the_same_per_1k_figure():
    model = PerTextCost(0.003)  # 3 s per 1,000 texts: timing 1,000-text batches would take ~30 s
    start = time.perf_counter()
    latency = measure_latency(model, ["a long document"] * 40, repeats=3)
    took = time.perf_counter() - start
    assert latency.batch_size < LATENCY_BATCH
    assert latency.median_ms == pytest.approx(3000, rel=0.25)
    assert took < 5  # 3 batches of ~0.5 s and two probes, not 3 x 3 s
    assert max(model.calls) < LATENCY_BATCH


def test_a_fast_model_is_timed_on_1000_texts():
    latency = measure_latency(PerTextCost(0.0), ["short title"] * 7, repeats=3)
    assert latency.batch_size == LATENCY_BATCH
    assert latency.batches == 3
