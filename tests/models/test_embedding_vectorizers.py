"""Embedding vectorizers: pretrained files, pooling, unknown words, determinism, errors."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from textml.exceptions import ConfigError, DataError
from textml.models.embeddings import (
    FastTextVectorizer,
    PretrainedVectorizer,
    Word2VecVectorizer,
    sniff_vector_format,
)

TEXTS = [
    "the cat sat on the mat",
    "a dog chased the cat",
    "the dog sat on a log",
    "stocks fell as markets closed",
    "markets rallied and stocks rose",
] * 8


@pytest.fixture(scope="module")
def small_vectors():
    """Tiny known word vectors (gensim KeyedVectors)."""
    from gensim.models import KeyedVectors

    kv = KeyedVectors(vector_size=3)
    kv.add_vectors(["cat", "dog", "stocks", "the"], np.array(
        [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]], dtype=np.float32))
    return kv


@pytest.mark.parametrize("binary, suffix", [(False, ".txt"), (True, ".bin")])
def test_pretrained_word2vec_text_and_binary_files_load_and_pool(small_vectors, tmp_path, binary, suffix):
    path = tmp_path / f"vectors{suffix}"
    small_vectors.save_word2vec_format(str(path), binary=binary)
    assert sniff_vector_format(path) == ("word2vec-binary" if binary else "word2vec")
    vec = PretrainedVectorizer(path).fit(["cat dog"])
    assert vec.format_ == ("word2vec-binary" if binary else "word2vec")
    out = vec.transform(["Cat dog", "the cat zebra", "zebra", ""])
    np.testing.assert_allclose(out[0], [0.5, 0.5, 0])  # lowercased, mean of cat and dog
    np.testing.assert_allclose(out[1], [1, 0.5, 0.5])  # unknown "zebra" skipped
    np.testing.assert_array_equal(out[2:], 0)  # all-unknown and empty -> zero vectors
    assert out.dtype == np.float32


def test_explicit_format_and_limit(small_vectors, tmp_path):
    path = tmp_path / "vectors.vec"
    small_vectors.save_word2vec_format(str(path))
    vec = PretrainedVectorizer(path, format="word2vec", limit=2).fit(["x"])
    assert len(vec.wv_) == 2


def test_pretrained_fasttext_bin_gives_unseen_words_subword_vectors(tmp_path):
    from gensim.models import FastText
    from gensim.models.fasttext import save_facebook_model

    model = FastText(sentences=[t.split() for t in TEXTS], vector_size=8, min_count=1, epochs=2,
                     bucket=1000, workers=1, seed=0)
    path = tmp_path / "model.bin"
    save_facebook_model(model, str(path))
    assert sniff_vector_format(path) == "fasttext"
    vec = PretrainedVectorizer(path).fit(TEXTS)
    out = vec.transform(["cats", "qqqq zzzz"])
    assert np.abs(out[0]).sum() > 0  # "cats" unseen, built from n-grams shared with "cat"


def test_pretrained_file_errors_say_what_is_wrong(tmp_path):
    with pytest.raises(ConfigError, match="path="):
        PretrainedVectorizer().fit(["a"])
    with pytest.raises(DataError, match="not found"):
        PretrainedVectorizer(tmp_path / "missing.vec").fit(["a"])
    junk = tmp_path / "junk.txt"
    junk.write_text("hello world\n", encoding="utf-8")
    with pytest.raises(DataError, match="not a word2vec"):
        PretrainedVectorizer(junk).fit(["a"])
    with pytest.raises(ConfigError, match="format must be"):
        PretrainedVectorizer(junk, format="glove").fit(["a"])


def test_tfidf_pooling_weights_rare_words_up(small_vectors, tmp_path):
    path = tmp_path / "v.txt"
    small_vectors.save_word2vec_format(str(path))
    fit_texts = ["the cat", "the dog", "the stocks", "the"]
    mean = PretrainedVectorizer(path).fit(fit_texts).transform(["the cat"])[0]
    weighted = PretrainedVectorizer(path, pooling="tfidf").fit(fit_texts).transform(["the cat"])[0]
    np.testing.assert_allclose(mean, [1, 0.5, 0.5])
    idf_the, idf_cat = np.log(5 / 5) + 1, np.log(5 / 2) + 1
    expected = (idf_the * np.array([1, 1, 1]) + idf_cat * np.array([1, 0, 0])) / (idf_the + idf_cat)
    np.testing.assert_allclose(weighted, expected, rtol=1e-5)


@pytest.mark.parametrize("cls", [Word2VecVectorizer, FastTextVectorizer])
@pytest.mark.parametrize("pooling", ["mean", "tfidf"])
def test_trained_vectors_are_seeded_and_never_crash_on_odd_texts(cls, pooling):
    params = dict(vector_size=8, epochs=3, pooling=pooling)
    a = cls(**params).fit(TEXTS)
    out = a.transform(["the cat", "", "!!!", "xyzzy"])
    assert out.shape == (4, 8) and np.isfinite(out).all()
    np.testing.assert_array_equal(out[1:3], 0)
    np.testing.assert_array_equal(cls(**params).fit(TEXTS).transform(TEXTS), a.transform(TEXTS))
    assert not np.array_equal(cls(**params, seed=1).fit(TEXTS).transform(TEXTS), a.transform(TEXTS))
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(a)).transform(TEXTS), a.transform(TEXTS))
    assert list(a.get_feature_names_out())[:1] == [f"{cls.__name__.lower()}0"]


def test_unseen_words_zero_for_word2vec_but_subwords_for_fasttext():
    w2v = Word2VecVectorizer(vector_size=8, epochs=2, min_count=1).fit(TEXTS)
    ft = FastTextVectorizer(vector_size=8, epochs=2, min_count=1, bucket=1000).fit(TEXTS)
    assert w2v.transform(["markets"]).any()  # known word -> vector
    assert not w2v.transform(["marketz"]).any()
    assert ft.transform(["marketz"]).any()


def test_multi_worker_training_is_flagged_non_deterministic():
    assert Word2VecVectorizer(workers=2).__sklearn_tags__().non_deterministic
    assert not Word2VecVectorizer().__sklearn_tags__().non_deterministic


def test_training_texts_without_words_raise_data_error():
    with pytest.raises(DataError, match="min_count"):
        Word2VecVectorizer().fit(["", "!!!", "  "])


def test_bad_parameters_raise_config_error():
    with pytest.raises(ConfigError, match="pooling"):
        Word2VecVectorizer(pooling="max").fit(TEXTS)
    with pytest.raises(ConfigError, match="min_n"):
        FastTextVectorizer(min_n=6, max_n=3).fit(TEXTS)
