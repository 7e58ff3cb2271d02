"""Active selection without a server: the uncertainty measures, the bounded candidate pool,
diversity, and `textml annotate suggest` on a small pool."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from tests.annotation.conftest import bundled_rows, run_annotate, write_plain, write_pool
from textml.annotation.selection import Candidates, k_center_greedy, near_key, predictions, tfidf_features, uncertainty
from textml.annotation.suggest import suggest


def _csv(path):
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


P = np.array([[0.98, 0.01, 0.01],   # sure
              [0.50, 0.49, 0.01],   # torn between two: smallest margin
              [0.34, 0.33, 0.33],   # torn between all three: highest entropy
              [0.60, 0.20, 0.20]])


def test_each_measure_ranks_the_row_it_is_about_first():
    assert np.argmax(uncertainty(P, "least-confidence")) == 2
    assert np.argmax(uncertainty(P, "margin")) == 1
    assert np.argmax(uncertainty(P, "entropy")) == 2
    for strategy in ("least-confidence", "margin", "entropy"):
        assert np.argmin(uncertainty(P, strategy)) == 0
    assert uncertainty(P, "entropy")[2] == pytest.approx(np.log(3), abs=1e-3)


def test_multi_label_rows_rank_by_their_labels_mean_uncertainty():
    marginals = np.array([[0.99, 0.01, 0.02],   # sure about every label
                          [0.50, 0.02, 0.97],   # one doubtful label
                          [0.55, 0.45, 0.60]])  # doubtful about all three
    for strategy in ("least-confidence", "margin", "entropy"):
        values = uncertainty(marginals, strategy, multilabel=True)
        assert list(np.argsort(-values)) == [2, 1, 0]
    labels, scores = predictions(marginals, ["a", "b", "c"], multilabel=True)
    assert labels == [("a",), ("a", "c"), ("a", "c")] and scores[0] > scores[2]


def test_candidates_keep_the_best_one_per_near_duplicate_in_bounded_memory():
    pool = Candidates(3)
    texts = ["Red Mug 12oz", "red mug, 12OZ", "blue kettle", "steel pan", "oak table", "12oz red mug"]
    values = [0.9, 0.95, 0.1, 0.5, 0.7, 0.99]
    for start in range(0, len(texts), 2):  # chunks of two: the pool never holds more than 3 + 2
        part = slice(start, start + 2)
        pool.offer(values[part], [near_key(t) for t in texts[part]], texts[part], range(start, start + 2))
        assert len(pool.rows) <= 3
    assert [row for _, row in pool.best()] == ["12oz red mug", "oak table", "steel pan"]
    assert pool.dropped == 2  # the two other spellings of the mug


@pytest.mark.parametrize("capacity", [1, 7, 40, 500])
def test_candidates_keep_and_count_the_same_however_the_pool_is_cut(capacity):
    """Chunks in order (the local stream) or partitions merged (the Spark engine): the same rows,
    in the same order, and the same count of near-duplicates left out."""
    rng = np.random.default_rng(capacity)
    n = 400
    values = rng.integers(0, 60, n) / 60.0  # many ties
    keys = [f"k{k}" for k in rng.integers(0, 150, n)]
    rows = list(range(n))

    def stream(chunk):
        pool = Candidates(capacity)
        for start in range(0, n, chunk):
            part = slice(start, start + chunk)
            worth = np.flatnonzero(pool.could_enter(values[part])) + start
            pool.offer(values[worth], [keys[i] for i in worth], [rows[i] for i in worth], worth)
        return pool

    whole = Candidates(capacity)
    whole.offer(values, keys, rows, range(n))
    expected = (whole.best(), whole.dropped)
    assert (stream(1).best(), stream(1).dropped) == expected
    assert (stream(33).best(), stream(33).dropped) == expected
    merged = Candidates(capacity)  # three "partitions", each with its own candidates, merged last first
    parts = [slice(0, 150), slice(150, 151), slice(151, n)]
    for part in reversed(parts):
        local = Candidates(capacity)
        index = np.arange(n)[part]
        local.offer(values[part], [keys[i] for i in index], [rows[i] for i in index], index)
        merged.offer(local.values, local.keys, local.rows, local.order)
        merged.note_dropped(local.dup_values, local.dup_order)
    assert (merged.best(), merged.dropped) == expected


def test_random_values_are_per_text_and_seed():
    from textml.annotation.selection import random_values

    first = random_values(["red mug", "blue kettle", "red mug"], seed=3)
    assert first[0] == first[2] and 0 <= first.min() and first.max() < 1
    assert list(random_values(["blue kettle"], seed=3)) == [first[1]]
    assert random_values(["red mug"], seed=4)[0] != first[0]


def test_k_center_spreads_picks_over_groups_that_uncertainty_alone_would_not():
    texts = [f"usb charging cable {n} m" for n in range(6)] + ["wooden chess set", "garden hose reel"]
    weights = np.array([0.9, 0.89, 0.88, 0.87, 0.86, 0.85, 0.5, 0.4])
    picks, distances = k_center_greedy(tfidf_features(texts), 3, weights=weights)
    assert picks[0] == 0 and set(picks[1:]) == {6, 7}  # one cable, then the texts unlike it
    assert distances[1] > 0.5


@pytest.fixture
def pool_files(tmp_path):
    rows = bundled_rows(1200, offset=3000)
    pool = write_pool(tmp_path / "pool.csv", rows)
    labelled = write_plain(tmp_path / "train.csv", rows[:100])  # the first 100 are labelled already
    return pool, labelled, rows


def test_suggest_writes_the_most_uncertain_unlabelled_texts_with_why(small_model, pool_files, tmp_path):
    pool, labelled, rows = pool_files
    report = suggest(pool, str(small_model), 25, "margin", tmp_path / "next.csv", exclude=[labelled], chunk_size=128)
    picked = _csv(tmp_path / "next.csv")
    assert report.written == len(picked) == 25 and report.pool_rows == 1200
    assert list(picked[0]) == ["id", "text", "predicted", "prob_predicted", "uncertainty", "strategy", "rank",
                               "reason"]
    assert not {r["id"] for r in picked} & {r["id"] for r in rows[:100]}
    values = [float(r["uncertainty"]) for r in picked]
    assert values == sorted(values, reverse=True)
    assert picked[0]["rank"] == "1" and picked[0]["reason"].startswith("margin: rank 1 of ")
    assert len({near_key(r["text"]) for r in picked}) == 25
    # the same selection whatever the chunk size: only the best candidates are ever kept
    again = suggest(pool, str(small_model), 25, "margin", exclude=[labelled], chunk_size=1000)
    assert [r["id"] for r in again.rows] == [r["id"] for r in picked]
    # and they are the most uncertain of all the unlabelled rows
    from textml.models.loading import load_model_path

    model, _ = load_model_path(small_model)
    rest = rows[100:]
    margins = uncertainty(model.predict_proba([r["text"] for r in rest]), "margin")
    assert min(values) >= np.sort(margins)[-40] - 1e-9


def test_diverse_and_random_picks(small_model, pool_files):
    pool, labelled, _ = pool_files
    diverse = suggest(pool, str(small_model), 10, "diverse", exclude=[labelled])
    entropy = suggest(pool, str(small_model), 10, "entropy", exclude=[labelled])
    assert diverse.rows[0]["id"] == entropy.rows[0]["id"]  # both start from the most uncertain
    assert "TF-IDF cosine distance" in diverse.rows[1]["reason"]
    spread = lambda rows: tfidf_features([r["text"] for r in rows])  # noqa: E731
    mean_similarity = lambda f: (f @ f.T).sum() / f.shape[0] ** 2  # noqa: E731
    assert mean_similarity(spread(diverse.rows)) < mean_similarity(spread(entropy.rows))
    first = suggest(pool, str(small_model), 10, "random", seed=3)
    assert [r["id"] for r in first.rows] == [r["id"] for r in suggest(pool, str(small_model), 10, "random",
                                                                       seed=3, chunk_size=77).rows]
    assert first.rows[0]["reason"].startswith("random:") and first.rows[0]["uncertainty"] is None


def test_cli_suggest_refuses_to_overwrite_and_bad_strategies(small_model, pool_files, tmp_path):
    pool, labelled, _ = pool_files
    out = tmp_path / "next.jsonl"
    done = run_annotate("suggest", pool, "--model", small_model, "--size", "5", "--out", out, "--exclude", labelled)
    assert done.returncode == 0, done.stderr
    assert "picked 5 texts" in done.stdout and out.exists()
    again = run_annotate("suggest", pool, "--model", small_model, "--size", "5", "--out", out)
    assert again.returncode != 0 and "--force" in again.stderr and again.stderr.count("\n") == 1
    bad = run_annotate("suggest", pool, "--model", small_model, "--size", "5", "--out", tmp_path / "x.csv",
                       "--strategy", "vibes")
    assert bad.returncode != 0 and "least-confidence" in bad.stderr


def test_multi_label_models_are_ranked_by_per_label_uncertainty(tmp_path, write):
    import json

    from textml.models.registry import make_model
    from textml.models.saving import save_model

    texts = ["red leather boots", "steel kettle", "hiking kettle for camping", "wool hiking socks", "camp stove",
             "steel frying pan", "trail running shoes", "enamel camping mug"] * 4
    labels = [("clothing",), ("kitchen",), ("kitchen", "outdoor"), ("clothing", "outdoor"), ("outdoor",),
              ("kitchen",), ("clothing", "outdoor"), ("kitchen", "outdoor")] * 4
    model = make_model("bow-logreg", seed=0, task="multilabel").fit(texts, labels)
    folder = save_model(model, tmp_path / "multi", {"model": "bow-logreg", "task": "multilabel"})
    pool = write("pool.jsonl", "".join(json.dumps({"id": f"m{i}", "text": t}) + "\n" for i, t in enumerate(
        ["camping boots", "steel camping kettle", "hiking mug", "red socks", "frying pan", "camp shoes"])))
    report = suggest(pool, str(folder), 3, "entropy", tmp_path / "next.jsonl")
    assert report.multilabel and report.written == 3
    rows = [json.loads(line) for line in (tmp_path / "next.jsonl").read_text().splitlines()]
    assert all(isinstance(r["predicted"], list) and r["predicted"] for r in rows)
    probabilities = model.predict_proba([r["text"] for r in rows])
    expected = uncertainty(probabilities, "entropy", multilabel=True)
    assert [r["uncertainty"] for r in rows] == pytest.approx(list(expected))
