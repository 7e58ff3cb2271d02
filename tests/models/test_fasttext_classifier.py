"""FastTextClassifier: what a user notices (labels, odd texts, probabilities, files, errors)."""

from __future__ import annotations

import pickle
import tempfile

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from textml.exceptions import ConfigError, DataError
from textml.models.fasttext import FastTextClassifier, clean_text

ODD_LABELS = ["sci fi", "100% natural", "a/b\tc", "ünïcödé ✓", "__label__x"]
WORDS = {
    "sci fi": "rocket alien galaxy planet laser starship",
    "100% natural": "organic apple honey herbal fresh farm",
    "a/b\tc": "invoice payment bank loan credit tax",
    "ünïcödé ✓": "guitar piano violin drum melody chord",
    "__label__x": "football goal match referee striker league",
}


def corpus(labels=ODD_LABELS, n=20, seed=0):
    rng = np.random.default_rng(seed)
    texts, y = [], []
    for label in labels:
        words = WORDS[label].split()
        for _ in range(n):
            texts.append(" ".join(rng.choice(words, size=4)))
            y.append(label)
    return texts, y


@pytest.fixture(scope="module")
def fitted():
    X, y = corpus()
    return FastTextClassifier(epoch=20, dim=16).fit(X, y), X, y


def test_odd_labels_round_trip_through_save_and_load(fitted, tmp_path):
    clf, X, y = fitted
    assert sorted(clf.classes_) == sorted(ODD_LABELS)
    path = clf.save(tmp_path / "model.bin")
    loaded = FastTextClassifier.load(path)
    assert list(loaded.classes_) == list(clf.classes_)
    assert list(loaded.predict(X)) == list(clf.predict(X))
    np.testing.assert_allclose(loaded.predict_proba(X), clf.predict_proba(X))
    assert (clf.predict(X) == np.array(y)).mean() > 0.9


def test_saved_bin_is_plain_fasttext_with_readable_labels(fitted, tmp_path):
    import fasttext

    clf, _, _ = fitted
    native = fasttext.load_model(str(clf.save(tmp_path / "m.bin")))
    labels = native.get_labels()
    assert "__label__sci%20fi" in labels and "__label__100%25%20natural" in labels
    assert all(" " not in label and "\t" not in label for label in labels)


def test_loading_a_model_trained_by_fasttext_itself(tmp_path):
    import fasttext

    train = tmp_path / "train.txt"
    rows = ["__label__pos Great Film, loved it", "__label__neg Awful Film, hated it"] * 20
    train.write_text("\n".join(rows) + "\n", encoding="utf-8")
    fasttext.train_supervised(input=str(train), epoch=20, verbose=0).save_model(str(tmp_path / "raw.bin"))
    clf = FastTextClassifier.load(tmp_path / "raw.bin")
    assert list(clf.classes_) == ["neg", "pos"]
    assert clf.normalize is False  # its vocabulary holds "Great" and "Film,": raw text
    assert list(clf.predict(["Great Film, loved it"])) == ["pos"]


def test_numeric_labels_keep_their_type_in_memory_and_come_back_as_text_from_bin(tmp_path):
    X, _ = corpus(labels=["sci fi", "100% natural"])
    y = [3] * 20 + [11] * 20
    clf = FastTextClassifier(epoch=10, dim=8).fit(X, y)
    assert list(clf.classes_) == [3, 11] and clf.predict(X[:1])[0] == 3
    assert list(pickle.loads(pickle.dumps(clf)).classes_) == [3, 11]
    assert sorted(FastTextClassifier.load(clf.save(tmp_path / "n.bin")).classes_) == ["11", "3"]


def test_newlines_tabs_and_blank_texts_are_handled(fitted):
    clf, _, _ = fitted
    odd = ["rocket\nalien\tgalaxy", "rocket alien galaxy", "", "   \n\t ", "\r\n"]
    proba = clf.predict_proba(odd)
    assert proba.shape == (5, len(clf.classes_))
    np.testing.assert_allclose(proba[0], proba[1])
    assert len(clf.predict(odd)) == 5
    assert set(clf.predict(["", " "])) <= set(clf.classes_)


def test_training_texts_with_newlines_and_label_like_words_do_not_corrupt_the_data():
    X = ["rocket\nalien", "__label__apple organic", "organic\tapple\r\nhoney", "galaxy planet"] * 10
    y = ["space", "food", "food", "space"] * 10
    clf = FastTextClassifier(epoch=20, dim=8).fit(X, y)
    assert list(clf.classes_) == ["food", "space"]  # no extra label from "__label__apple"
    assert list(clf.predict(["rocket alien", "organic apple"])) == ["space", "food"]


def test_predict_proba_columns_follow_classes_and_rows_sum_to_one(fitted):
    clf, X, y = fitted
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), len(clf.classes_))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert (proba >= 0).all()
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))
    column = list(clf.classes_).index("sci fi")
    assert proba[0, column] == proba[0].max()  # X[0] is a "sci fi" text


@pytest.mark.parametrize("loss", ["ova", "hs"])
def test_other_losses_still_give_probability_rows(loss):
    X, y = corpus(labels=["sci fi", "100% natural", "a/b\tc"])
    proba = FastTextClassifier(loss=loss, epoch=10, dim=8).fit(X, y).predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_same_seed_same_model_and_pickle_clone_joblib_work(fitted, tmp_path):
    clf, X, y = fitted
    again = clone(clf).fit(X, y)
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    joblib.dump(clf, tmp_path / "clf.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "clf.joblib").predict(X), clf.predict(X))


def test_unfitted_use_raises_not_fitted():
    clf = FastTextClassifier()
    for call in (lambda: clf.predict(["a"]), lambda: clf.predict_proba(["a"]), lambda: clf.save("x.bin")):
        with pytest.raises(NotFittedError):
            call()
    pickle.loads(pickle.dumps(clf))  # an unfitted estimator pickles too


@pytest.mark.parametrize(
    "params, fragment",
    [
        ({"minn": 4, "maxn": 2}, "minn <= maxn"),
        ({"loss": "hinge"}, "loss must be one of"),
        ({"lr": 0}, "lr must be a positive number"),
        ({"dim": 0}, "dim must be an integer >= 1"),
        ({"bucket": 0}, "bucket must be >= 1"),
    ],
)
def test_bad_hyperparameters_raise_config_error_saying_what_to_do(params, fragment):
    with pytest.raises(ConfigError, match=fragment):
        FastTextClassifier(**params).fit(["a b", "c d"], ["x", "y"])


@pytest.mark.parametrize(
    "X, fragment",
    [
        (["fine", None], "missing"),
        (["fine", float("nan")], "missing"),
        (["fine", 3], "convert the column to strings"),
        ("just one string", "wrap it in a list"),
        ([], "0 texts"),
    ],
)
def test_bad_texts_raise_data_error(X, fragment):
    with pytest.raises(DataError, match=fragment):
        FastTextClassifier(epoch=1).fit(X, ["a"] * len(X))


def test_temporary_files_are_removed_even_when_training_fails(monkeypatch, tmp_path):
    import fasttext

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    X, y = corpus(labels=["sci fi", "100% natural"], n=5)
    clf = FastTextClassifier(epoch=2, dim=4).fit(X, y)
    pickle.loads(pickle.dumps(clf))

    def boom(**kwargs):
        raise RuntimeError("native failure")

    monkeypatch.setattr(fasttext, "train_supervised", boom)
    with pytest.raises(RuntimeError):
        FastTextClassifier(epoch=2).fit(X, y)
    assert list(tmp_path.iterdir()) == []


def test_load_rejects_missing_and_non_model_files(tmp_path):
    with pytest.raises(DataError, match="not found"):
        FastTextClassifier.load(tmp_path / "nope.bin")
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"not a model at all")
    with pytest.raises(DataError):
        FastTextClassifier.load(junk)


def test_clean_text_is_what_fasttext_sees():
    assert clean_text("Game, 2D!\nNew\tone") == "game , 2d ! new one"
    assert clean_text("Game,\n2D", normalize=False) == "Game, 2D"
    assert clean_text("__label__spam offer") == "___label__spam offer"
