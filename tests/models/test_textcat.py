"""SpacyTextClassifier: spaCy's textcat as a scikit-learn classifier.

scikit-learn's estimator checks run through the same numeric-rows adapter as the other
text estimators (tests/numeric_rows.py, tests/models/test_estimator_checks.py); then what
a user notices: it learns, pickles, repeats itself with a seed, handles multi-label tags.
"""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import (
    check_classifiers_multilabel_output_format_predict,
    check_classifiers_multilabel_output_format_predict_proba,
    check_classifiers_multilabel_representation_invariance,
    parametrize_with_checks,
)

from tests.models.test_estimator_checks import NUMERIC_VALIDATION
from tests.numeric_rows import NumericRows
from textml.exceptions import ConfigError, DataError
from textml.models.textcat import SpacyTextClassifier


class NumericSpacyTextClassifier(NumericRows, SpacyTextClassifier):
    def fit(self, X, y):
        return super().fit(self._texts(X, fitting=True), y)

    def predict_proba(self, X):  # predict() goes through predict_proba()
        return super().predict_proba(self._texts(X))


# Complex *labels* are rejected by the classifier itself (sklearn's target checks), as for
# FastTextClassifier; the rest are numeric-input concerns that do not apply to texts.
EXPECTED_FAILED = {k: v for k, v in NUMERIC_VALIDATION.items() if k != "check_complex_data"}
EXPECTED_FAILED["check_estimators_nan_inf"] = (
    "NaN/inf are numeric-input concerns; the texts the adapter makes from them are valid "
    "input. Missing texts (None/NaN items) are rejected: see test_unfitted_and_bad_input"
)

# Small data, so the checks' few hundred rows learn in a blink: more epochs, no hold-out.
CHECKED = dict(epochs=20, learn_rate=0.05, length=4096, early_stopping=False)


@parametrize_with_checks(
    [
        NumericSpacyTextClassifier(**CHECKED),
        NumericSpacyTextClassifier(**{**CHECKED, "epochs": 10}, architecture="ensemble", width=16),
    ],
    expected_failed_checks=lambda estimator: EXPECTED_FAILED,
    xfail_strict=True,  # a listed check that starts passing must be removed from the list
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize(
    "check",
    [
        check_classifiers_multilabel_representation_invariance,
        check_classifiers_multilabel_output_format_predict,
        check_classifiers_multilabel_output_format_predict_proba,
    ],
)
def test_sklearn_multilabel_checks(check):
    check("SpacyTextClassifier", NumericSpacyTextClassifier(**CHECKED, multilabel=True))


# --------------------------------------------------------------------------- behaviour

TOPICS = {
    "space": "rocket alien galaxy planet laser starship orbit comet",
    "food": "organic apple honey bread fresh farm cheese soup",
    "money": "invoice payment bank loan credit tax salary budget",
    "music": "guitar piano violin drum melody chord concert song",
}
FILLER = "the a of and with for my new big".split()


def corpus(n=60, seed=0):
    """Texts of 3 topic words and 3 filler words; labels are the topics."""
    rng = np.random.default_rng(seed)
    texts, y = [], []
    for label, words in TOPICS.items():
        for _ in range(n):
            tokens = list(rng.choice(words.split(), size=3)) + list(rng.choice(FILLER, size=3))
            rng.shuffle(tokens)
            texts.append(" ".join(tokens))
            y.append(label)
    order = rng.permutation(len(texts))
    return [texts[i] for i in order], np.array(y, dtype=object)[order]


@pytest.fixture(scope="module")
def data():
    X, y = corpus(n=150)  # 600 texts: enough for the early-stopping hold-out (60 texts)
    X_test, y_test = corpus(n=25, seed=1)
    return X, y, X_test, y_test


@pytest.fixture(scope="module")
def fitted(data):
    X, y, _, _ = data
    return SpacyTextClassifier().fit(X, y)


def test_learns_a_small_corpus(fitted, data):
    _, _, X_test, y_test = data
    assert list(fitted.classes_) == sorted(TOPICS)
    assert (fitted.predict(X_test) == y_test).mean() >= 0.9
    proba = fitted.predict_proba(X_test)
    assert proba.shape == (len(X_test), len(TOPICS))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # early stopping ran on a held-out slice of the training texts
    assert fitted.validation_scores_ and 1 <= fitted.best_epoch_ <= fitted.n_epochs_


def test_ensemble_architecture_learns_too(data):
    X, y, X_test, y_test = data
    clf = SpacyTextClassifier(architecture="ensemble", epochs=5).fit(X, y)
    assert (clf.predict(X_test) == y_test).mean() >= 0.9


def test_pickle_and_deepcopy_give_identical_probabilities(fitted, data):
    X, y, X_test, _ = data
    texts = X_test + ["", "   ", "unseen words only", "ROCKET Galaxy!"]
    ensemble = SpacyTextClassifier(architecture="ensemble", lang="en", epochs=2).fit(X, y)
    for clf in (fitted, ensemble):
        blob = pickle.dumps(clf)
        expected = clf.predict_proba(texts)
        assert pickle.dumps(clf) == blob  # predicting added strings to the vocab, not to the state
        for restored in (pickle.loads(blob), copy.deepcopy(clf)):
            np.testing.assert_array_equal(restored.predict_proba(texts), expected)
            assert list(restored.classes_) == list(clf.classes_)
            assert restored.nlp_ is not clf.nlp_


def test_restored_pipeline_ignores_later_set_params(fitted, data):
    _, _, X_test, _ = data
    changed = clone(fitted).set_params(architecture="ensemble", ngram_size=3)
    changed.__dict__.update({k: v for k, v in fitted.__dict__.items() if k.endswith("_")})
    restored = pickle.loads(pickle.dumps(changed))  # rebuilt from pipeline_config_
    np.testing.assert_array_equal(restored.predict_proba(X_test), fitted.predict_proba(X_test))


def test_skops_round_trip_needs_only_this_type(fitted, data):
    sio = pytest.importorskip("skops.io")
    _, _, X_test, _ = data
    blob = sio.dumps(fitted)
    assert sio.get_untrusted_types(data=blob) == ["textml.models.textcat.SpacyTextClassifier"]
    restored = sio.loads(blob, trusted=["textml.models.textcat.SpacyTextClassifier"])
    np.testing.assert_array_equal(restored.predict_proba(X_test), fitted.predict_proba(X_test))


def test_same_seed_same_model_and_global_random_state_untouched(data):
    import random

    X, y, X_test, _ = data
    random.seed(123)
    np.random.seed(123)
    before = random.random(), np.random.random()
    random.seed(123)
    np.random.seed(123)
    a = SpacyTextClassifier(architecture="ensemble", epochs=2, dropout=0.2, seed=3).fit(X, y)
    assert (random.random(), np.random.random()) == before  # fit restored the caller's generators
    b = clone(a).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X_test), b.predict_proba(X_test))
    c = clone(a).set_params(seed=4).fit(X, y)
    assert not np.array_equal(a.predict_proba(X_test), c.predict_proba(X_test))


def test_cross_validation_in_threads_matches_sequential(data):
    import joblib
    from sklearn.model_selection import cross_val_predict

    X, y, _, _ = data
    clf = SpacyTextClassifier(architecture="ensemble", width=16, epochs=2, dropout=0.2)
    sequential = cross_val_predict(clf, X, y, cv=3, method="predict_proba")
    with joblib.parallel_backend("threading"):
        threaded = cross_val_predict(clf, X, y, cv=3, method="predict_proba", n_jobs=3)
    np.testing.assert_array_equal(threaded, sequential)


def test_empty_texts_score_the_same_in_any_batch(fitted):
    alone = fitted.predict_proba([""])
    mixed = fitted.predict_proba(["rocket galaxy", "", "bank loan"])
    np.testing.assert_array_equal(alone[0], mixed[1])
    # empty training texts are fine too (a token-less doc would crash thinc's n-grams)
    SpacyTextClassifier(epochs=2).fit(["", "rocket", "bank", ""] * 5, ["a", "b", "c", "a"] * 5)


def test_chinese_and_japanese_characters_are_tokens_of_their_own():
    from tests.models.test_unspaced_scripts import _texts

    train_texts, train_labels = _texts(400, seed=0)
    dev_texts, dev_labels = _texts(100, seed=1)
    clf = SpacyTextClassifier().fit(train_texts, train_labels)
    assert (clf.predict(dev_texts) == np.array(dev_labels)).mean() >= 0.9


def test_numeric_labels_and_a_single_class():
    X = ["rocket galaxy", "bank loan"] * 10
    clf = SpacyTextClassifier(epochs=5).fit(X, [3, 11] * 10)
    assert clf.predict(["rocket"]).tolist() == [3]
    one = SpacyTextClassifier().fit(X, ["only"] * 20)
    assert one.predict(["anything"]).tolist() == ["only"]
    np.testing.assert_array_equal(one.predict_proba(["a", "b"]), [[1.0], [1.0]])


def test_mixed_label_types_are_refused():
    # spaCy labels are strings: 1 and "1" would collide (scikit-learn refuses the mix first)
    with pytest.raises(ValueError, match="label type"):
        SpacyTextClassifier().fit(["a", "b"], np.array([1, "1"], dtype=object))


# ------------------------------------------------------------------------- multi-label

TAGS = {"red": "red crimson scarlet", "fruit": "apple cherry plum", "sweet": "honey sugar candy"}


def tag_corpus(n=150, seed=0):
    rng = np.random.default_rng(seed)
    texts, rows = [], []
    for _ in range(n):
        row = rng.integers(0, 2, size=len(TAGS))
        words = [str(rng.choice(TAGS[tag].split())) for tag, on in zip(TAGS, row) if on]
        words += list(rng.choice(FILLER, size=2))
        rng.shuffle(words)
        texts.append(" ".join(words))
        rows.append(row)
    return texts, np.array(rows)


def test_multilabel_learns_a_tiny_tag_corpus():
    X, Y = tag_corpus()
    X_test, Y_test = tag_corpus(n=60, seed=1)
    clf = SpacyTextClassifier(multilabel=True, labels=list(TAGS), epochs=40).fit(X, Y)
    assert list(clf.classes_) == list(TAGS)
    pred = clf.predict(X_test)
    assert pred.shape == Y_test.shape and set(np.unique(pred)) <= {0, 1}
    assert (pred == Y_test).mean() >= 0.9
    proba = clf.predict_proba(X_test)
    assert ((proba >= 0) & (proba <= 1)).all()
    assert not np.allclose(proba.sum(axis=1), 1.0)  # independent scores, not a softmax
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X_test), proba)
    # the threshold applies at prediction time
    assert clf.set_params(threshold=0.0).predict(X_test[:3]).tolist() == [[1, 1, 1]] * 3


def test_multilabel_default_classes_are_column_indices_and_sparse_y_is_accepted():
    from scipy.sparse import csr_matrix

    X, Y = tag_corpus(n=40)
    clf = SpacyTextClassifier(multilabel=True, epochs=2).fit(X, csr_matrix(Y))
    assert clf.classes_.tolist() == [0, 1, 2]


def test_target_shape_mistakes_say_what_to_do():
    X, Y = tag_corpus(n=20)
    with pytest.raises(DataError, match="multilabel=True"):
        SpacyTextClassifier().fit(X, Y)
    with pytest.raises(DataError, match="indicator matrix"):
        SpacyTextClassifier(multilabel=True).fit(X, ["a"] * 20)
    with pytest.raises(DataError, match="0/1"):
        SpacyTextClassifier(multilabel=True).fit(X, Y * 2)
    with pytest.raises(ConfigError, match="one name per column"):
        SpacyTextClassifier(multilabel=True, labels=["a", "b"]).fit(X, Y)
    with pytest.raises(ConfigError, match="multilabel=True"):
        SpacyTextClassifier(labels=["a", "b"]).fit(X, ["a", "b"] * 10)


# ------------------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    "params, message",
    [
        ({"architecture": "cnn"}, "architecture must be one of bow, ensemble"),
        ({"lang": "english"}, "lang must be a spaCy language code"),
        ({"lang": "zz"}, "spaCy cannot build a pipeline for language 'zz'"),
        ({"epochs": 0}, "epochs must be an integer >= 1"),
        ({"ngram_size": 2.0}, "ngram_size must be an integer"),
        ({"learn_rate": 0}, r"learn_rate must be in \(0, inf\)"),
        ({"dropout": 1.0}, r"dropout must be in \[0, 1\)"),
        ({"validation_fraction": 1.0}, r"validation_fraction must be in \(0, 1\)"),
        ({"early_stopping": "yes"}, "early_stopping must be True or False"),
        ({"batch_size": "big"}, "batch_size must be 'auto' or an integer"),
        ({"batch_size": 0}, "batch_size must be 'auto' or an integer"),
    ],
)
def test_bad_settings_fail_at_fit_in_one_line(params, message):
    clf = SpacyTextClassifier(**params)  # nothing is checked before fit
    with pytest.raises(ConfigError, match=message) as info:
        clf.fit(["a b", "c d"] * 5, ["x", "y"] * 5)
    assert "\n" not in str(info.value)


def test_unfitted_and_bad_input():
    with pytest.raises(NotFittedError):
        SpacyTextClassifier().predict(["a"])
    with pytest.raises(DataError, match="missing"):
        SpacyTextClassifier().fit(["a", None], ["x", "y"])
    with pytest.raises(DataError, match="single str"):
        SpacyTextClassifier().fit("a text", ["x"])


def test_damaged_state_is_refused(fitted):
    state = fitted.__getstate__()
    state["pipeline_config_"] = dict(state["pipeline_config_"], lang="../x")
    with pytest.raises(DataError, match="damaged"):
        SpacyTextClassifier().__setstate__(state)
    state = fitted.__getstate__()
    state["nlp_"] = b"not a spaCy pipeline"
    with pytest.raises(DataError, match="cannot restore"):
        SpacyTextClassifier().__setstate__(state)
