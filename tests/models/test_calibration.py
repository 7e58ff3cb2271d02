"""One way to score: calibrated SVM probabilities, class_probabilities, and the calibration error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from tests.conftest import BUNDLED
from textml.evaluation.metrics import (
    MetricChoice,
    calibration_error,
    class_probabilities,
    make_scorer_for,
    probability_source,
    score,
)
from textml.exceptions import ConfigError
from textml.models.calibration import CalibratedPipeline
from textml.models.registry import get_spec, make_model

SVMS = ["bow-svm", "bow-char-svm"]


@pytest.fixture(scope="module")
def products():
    """3,000 bundled product titles (16 classes): train 2,400, dev 600."""
    frame = pd.read_csv(BUNDLED, dtype=str, keep_default_na=False).sample(3000, random_state=0)
    texts, labels = frame.text.tolist(), frame.label.tolist()
    return texts[:2400], labels[:2400], texts[2400:], np.asarray(labels[2400:], dtype=object)


@pytest.mark.parametrize("name", SVMS)
def test_the_svms_predict_as_before_and_give_calibrated_probabilities(products, name):
    train, y, dev, y_dev = products
    model = make_model(name).fit(train, y)
    plain = Pipeline(make_model(name).steps).fit(train, y)  # the same steps, uncalibrated
    assert isinstance(model, CalibratedPipeline) and model.n_calibration_rows_ == 480  # 20% of 2,400
    np.testing.assert_array_equal(model.predict(dev), plain.predict(dev))  # dev scores do not move
    np.testing.assert_array_equal(model.decision_function(dev), plain.decision_function(dev))
    proba = class_probabilities(model, dev)
    assert proba.shape == (len(dev), len(model.classes_))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert (model.classes_[proba.argmax(axis=1)] == model.predict(dev)).all()
    margins = model.decision_function(dev) / model.temperature_
    expected = np.exp(margins - margins.max(axis=1, keepdims=True))
    np.testing.assert_allclose(proba, expected / expected.sum(axis=1, keepdims=True), rtol=1e-12)
    # calibrated on training rows: far closer to the truth than a softmax of raw margins
    raw = np.exp(model.decision_function(dev))
    raw_error = calibration_error(y_dev, raw / raw.sum(axis=1, keepdims=True), model.classes_)
    error = calibration_error(y_dev, proba, model.classes_)
    assert error < 0.1 < raw_error, (error, raw_error)
    assert "T=" in probability_source(model)


def test_the_svm_search_spaces_name_real_parameters():
    for name in SVMS:
        params = make_model(name).get_params()
        assert set(get_spec(name).search_space) <= set(params)
        assert "clf__C" in get_spec(name).search_space


def test_the_temperature_is_fitted_on_held_out_training_rows_only(products):
    train, y, dev, _ = products
    a = make_model("bow-svm").fit(train, y)
    b = make_model("bow-svm").fit(train, y)
    assert a.temperature_ == b.temperature_  # deterministic for a seed
    other = make_model("bow-svm", seed=1).fit(train, y)
    assert other.temperature_ != a.temperature_  # another held-out sample
    np.testing.assert_array_equal(other.predict(dev), a.predict(dev))


class SizeSpy(ClassifierMixin, BaseEstimator):
    """Records how many rows each fit saw (a class-prior 'classifier' with margins)."""

    sizes: list = []

    def fit(self, X, y):
        SizeSpy.sizes.append(len(X))
        self.classes_, counts = np.unique(y, return_counts=True)
        self.log_prior_ = np.log(counts / counts.sum())
        return self

    def decision_function(self, X):
        return np.tile(self.log_prior_, (len(X), 1))

    def predict(self, X):
        return self.classes_[self.decision_function(X).argmax(axis=1)]


def test_the_extra_cost_is_one_fit_on_a_capped_sample():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5000, 3))
    y = rng.choice(["a", "b", "c"], size=5000, p=[0.6, 0.3, 0.1])
    SizeSpy.sizes = []
    model = CalibratedPipeline([("clf", SizeSpy())], max_fit_samples=300, calibration_samples=200).fit(X, y)
    assert SizeSpy.sizes == [5000, 300]  # the model, then the calibration clone
    assert model.n_calibration_rows_ == 200
    # the prior is already calibrated: T stays ~1
    assert model.temperature_ == pytest.approx(1.0, abs=0.1)


def test_binary_probabilities_are_a_sigmoid_of_the_margin():
    texts = ["cheap pills now", "win money now", "meeting at noon", "lunch at noon?"] * 30
    labels = ["spam", "spam", "ham", "ham"] * 30
    texts[0], texts[2] = "cheap lunch", "win a meeting"  # some noise, so T is finite
    model = make_model("bow-svm").fit(texts, labels)
    d = model.decision_function(texts)
    np.testing.assert_allclose(model.predict_proba(texts)[:, 1], 1 / (1 + np.exp(-2 * d / model.temperature_)),
                               rtol=1e-12)


def test_too_few_rows_to_hold_out_warn_and_keep_t_1():
    with pytest.warns(UserWarning, match="too few"):
        model = make_model("bow-svm").fit(["red apple", "green pear", "red cherry", "green lime"],
                                          ["red", "green", "red", "green"])
    assert model.temperature_ == 1.0 and model.n_calibration_rows_ == 0


def test_a_model_without_probabilities_is_refused_with_what_to_do(products):
    train, y, dev, _ = products
    bare = Pipeline([("tfidf", TfidfVectorizer()), ("clf", LinearSVC())]).fit(train, y)
    with pytest.raises(ConfigError, match="no predict_proba.*CalibratedPipeline") as info:
        class_probabilities(bare, dev)
    assert "\n" not in str(info.value)
    calibrated = CalibratedPipeline(bare.steps).fit(train, y)  # the fix the message names
    assert class_probabilities(calibrated, dev).shape == (len(dev), len(calibrated.classes_))


def test_slices_are_plain_feature_pipelines(products):
    train, y, dev, _ = products
    model = make_model("bow-svm").fit(train, y)
    features = model[:-1]
    assert type(features) is Pipeline
    assert (features.transform(dev) != model.named_steps["tfidf"].transform(dev)).nnz == 0


def test_calibration_error_is_top_label_ece_with_15_bins():
    classes = ["a", "b"]
    # confidences 0.9 (bin 14/15..1) right, 0.9 wrong, 0.6 (bin 9) right, 0.6 right
    proba = np.array([[0.9, 0.1], [0.1, 0.9], [0.6, 0.4], [0.4, 0.6]])
    y = ["a", "a", "a", "b"]
    # bin (13/15, 14/15]: 2 rows, accuracy 0.5, confidence 0.9; bin (8/15, 9/15]: 2 rows, 1.0 vs 0.6
    assert calibration_error(y, proba, classes) == pytest.approx(0.5 * 0.4 + 0.5 * 0.4)
    assert calibration_error(["a", "b"], np.array([[1.0, 0.0], [0.0, 1.0]]), classes) == 0.0
    assert np.isnan(calibration_error([], np.zeros((0, 2)), classes))


def test_score_reports_the_calibration_error_and_ranks_by_the_positive_probability():
    choice = MetricChoice("average_precision", "binary", positive="spam")
    y = ["ham", "spam", "ham", "spam"]
    proba = np.array([[0.8, 0.2], [0.3, 0.7], [0.4, 0.6], [0.1, 0.9]])
    got = score(y, ["ham", "spam", "spam", "spam"], choice, proba, ["ham", "spam"])
    assert got["calibration_error"] == pytest.approx(calibration_error(y, proba, ["ham", "spam"]))
    assert got["average_precision"] == pytest.approx(1.0)  # both spams rank above both hams
    assert "calibration_error" not in score(y, y, choice)
    with pytest.raises(ValueError, match="classes"):
        score(y, y, choice, proba)


def test_the_average_precision_scorer_reads_predict_proba(products):
    train, y, dev, y_dev = products
    binary = ["kitchen" if label == "kitchen" else "other" for label in y]
    model = make_model("bow-svm").fit(train, binary)
    scorer = make_scorer_for(MetricChoice("average_precision", "binary", positive="kitchen"))
    dev_binary = np.where(y_dev == "kitchen", "kitchen", "other")
    expected = score(dev_binary, model.predict(dev), MetricChoice("average_precision", "binary", "kitchen"),
                     class_probabilities(model, dev), model.classes_)["average_precision"]
    assert scorer(model, dev, dev_binary) == pytest.approx(expected)
