"""Numeric targets: every regression pipeline learns a quantity from texts, predicts floats,
repeats itself with a seed and comes back the same from disk."""

from __future__ import annotations

import random

import numpy as np
import pytest

from textml.exceptions import ConfigError, DataError
from textml.models.fasttext import FastTextSentenceVectorizer
from textml.models.registry import make_model, model_names
from textml.models.saving import load_model, save_model

WORDS = {  # word -> how much it adds to the target
    "huge": 3.0, "large": 2.0, "big": 1.5, "medium": 1.0, "small": 0.5, "tiny": 0.0,
}
FILLER = "package library tool data files the a for with of and program".split()


def size_corpus(n=300, seed=0):
    """Texts of filler words plus one or two size words; target = their sum + noise."""
    rng = random.Random(seed)
    texts, targets = [], []
    for _ in range(n):
        sizes = rng.sample(sorted(WORDS), rng.choice([1, 2]))
        words = sizes + rng.sample(FILLER, 4)
        rng.shuffle(words)
        texts.append(" ".join(words))
        targets.append(sum(WORDS[w] for w in sizes) + rng.gauss(0, 0.1))
    return texts, np.array(targets)


@pytest.fixture(scope="module")
def corpus():
    texts, y = size_corpus()
    return texts[:240], y[:240], texts[240:], y[240:]


def rmse(a, b):
    return float(np.sqrt(np.mean((np.asarray(a) - np.asarray(b)) ** 2)))


@pytest.fixture(scope="module")
def mean_rmse(corpus):
    X, y, X_dev, y_dev = corpus
    return rmse(make_model("dummy-mean").fit(X, y).predict(X_dev), y_dev)


@pytest.mark.parametrize("name", model_names("regression"))
def test_every_regression_pipeline_predicts_floats_and_round_trips(name, corpus, mean_rmse, tmp_path):
    X, y, X_dev, y_dev = corpus
    model = make_model(name, seed=0, task="regression").fit(X, y)
    predicted = model.predict(X_dev)
    assert predicted.shape == (len(X_dev),) and predicted.dtype == np.float64
    assert not hasattr(model, "predict_proba") and not hasattr(model, "classes_")
    if name == "dummy-median":
        assert np.allclose(predicted, np.median(y))
    elif name != "dummy-mean":
        assert rmse(predicted, y_dev) < 0.75 * mean_rmse  # it learns which words weigh
        again = make_model(name, seed=0, task="regression").fit(X, y).predict(X_dev)
        assert np.array_equal(again, predicted)  # the same seed, the same model
    save_model(model, tmp_path / "model", {"model": name, "task": "regression"})
    loaded, _ = load_model(tmp_path / "model")
    assert np.allclose(loaded.predict(X_dev), predicted, atol=1e-9)


def test_fasttext_sentence_vectors(corpus):
    X, _, X_dev, _ = corpus
    vec = FastTextSentenceVectorizer(dim=16, epoch=5, seed=3).fit(X)
    out = vec.transform(X_dev + ["", "unseen words only"])
    assert out.shape == (len(X_dev) + 2, 16) and out.dtype == np.float64
    assert not out[-2].any()  # an empty text is the zero vector
    assert np.array_equal(FastTextSentenceVectorizer(dim=16, epoch=5, seed=3).fit(X).transform(X_dev), out[:-2])
    assert list(vec.get_feature_names_out())[:2] == ["fasttextsentencevectorizer0", "fasttextsentencevectorizer1"]


def test_fasttext_sentence_vectors_say_what_is_wrong(corpus):
    X, _, _, _ = corpus
    with pytest.raises(ConfigError, match="model must be one of cbow, skipgram"):
        FastTextSentenceVectorizer(model="glove").fit(X)
    with pytest.raises(ConfigError, match="minn <= maxn"):
        FastTextSentenceVectorizer(minn=5, maxn=3).fit(X)
    with pytest.raises(DataError, match="minCount=5"):
        FastTextSentenceVectorizer(minCount=5).fit(["one two", "three four"])
