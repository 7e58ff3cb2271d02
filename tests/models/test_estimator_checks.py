"""scikit-learn's own estimator checks on the text estimators.

sklearn's checks feed numeric 2-D arrays, while these estimators take a 1-D sequence of
texts (their tags say so, and for such tags sklearn would skip every check). To run the
checks anyway, each estimator is wrapped in a thin subclass that only turns each numeric
row into a text ("x0_3 x1_-2 ...": one token per feature, its value binned) before calling
the real method. Everything behind that conversion (fit/predict/transform, classes_,
probabilities, pickling, cloning, determinism, sample-order and subset invariance, error
on unfitted use, ...) is the real estimator's code.

``CalibratedPipeline`` (a meta-estimator) is checked both directly, with numeric steps, and
in the registry SVMs' shape (TF-IDF + LinearSVC) through the same adapter.

Checks expected to fail are listed with the reason in ``EXPECTED_FAILED``: they test numeric
input validation (NaN/inf, complex numbers, sparse matrices, feature counts), which does not
apply to text, a convention textml deliberately differs from, or (for ``CalibratedPipeline``)
what scikit-learn's own ``Pipeline`` is expected to fail.
"""

from __future__ import annotations

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.naive_bayes import GaussianNB
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.utils.estimator_checks import parametrize_with_checks

from tests.numeric_rows import NumericRows
from textml.models.calibration import CalibratedPipeline
from textml.models.embeddings import FastTextVectorizer, Word2VecVectorizer
from textml.models.fasttext import FastTextClassifier, FastTextSentenceVectorizer


class NumericFastTextClassifier(NumericRows, FastTextClassifier):
    def fit(self, X, y):
        return super().fit(self._texts(X, fitting=True), y)

    def predict_proba(self, X):  # predict() goes through predict_proba()
        return super().predict_proba(self._texts(X))


class NumericCalibratedPipeline(NumericRows, CalibratedPipeline):
    """The registry SVMs' shape: text features + LinearSVC, calibrated (texts from rows)."""

    def fit(self, X, y=None):
        return super().fit(self._texts(X, fitting=True), y)

    def predict(self, X):
        return super().predict(self._texts(X))

    def predict_proba(self, X):
        return super().predict_proba(self._texts(X))

    def predict_log_proba(self, X):
        return super().predict_log_proba(self._texts(X))

    def decision_function(self, X):
        return super().decision_function(self._texts(X))

    def score(self, X, y, sample_weight=None):
        return super().score(self._texts(X), y, sample_weight=sample_weight)


class NumericWord2VecVectorizer(NumericRows, Word2VecVectorizer):
    def fit(self, X, y=None):
        return super().fit(self._texts(X, fitting=True), y)

    def transform(self, X):
        return super().transform(self._texts(X))


class NumericFastTextVectorizer(NumericRows, FastTextVectorizer):
    def fit(self, X, y=None):
        return super().fit(self._texts(X, fitting=True), y)

    def transform(self, X):
        return super().transform(self._texts(X))


class NumericFastTextSentenceVectorizer(NumericRows, FastTextSentenceVectorizer):
    def fit(self, X, y=None):
        return super().fit(self._texts(X, fitting=True), y)

    def transform(self, X):
        return super().transform(self._texts(X))


# Reasons shared by the text estimators.
NUMERIC_VALIDATION = {
    "check_n_features_in_after_fitting": (
        "text input has no fixed number of features, so there is no n_features_in_ "
        "(like sklearn's own CountVectorizer)"
    ),
    "check_n_features_in": "no n_features_in_ for text input (as CountVectorizer)",
    "check_estimators_nan_inf": (
        "NaN/inf are numeric-input concerns; the texts the adapter makes from them are valid "
        "input. Missing texts (None/NaN items) are rejected: see test_fasttext_classifier"
    ),
    "check_complex_data": "complex numbers are a numeric-input concern; texts have no such case",
    "check_fit2d_predict1d": (
        "a 1-D input is exactly what a text estimator takes, so it is not rejected"
    ),
    "check_estimators_empty_data_messages": (
        "zero texts raise textml's DataError (a TextmlError, not a ValueError, by project "
        "convention: the CLI reports it in one line); zero features cannot happen with text "
        "(an empty text is valid input)"
    ),
    "check_estimator_sparse_array": "sparse matrices are not texts",
    "check_estimator_sparse_matrix": "sparse matrices are not texts",
    "check_estimator_sparse_tag": "sparse matrices are not texts",
}

# scikit-learn's own Pipeline is expected to fail these two (its PER_ESTIMATOR_XFAIL_CHECKS).
PIPELINE = {
    "check_dont_overwrite_parameters": "Pipeline fits its `steps` in place (sklearn x-fails Pipeline on this)",
    "check_estimators_overwrite_params": "Pipeline fits its `steps` in place (sklearn x-fails Pipeline on this)",
}

EXPECTED_FAILED = {
    # Complex *labels* are rejected by the classifiers themselves (sklearn's target checks).
    "NumericFastTextClassifier": {
        k: v for k, v in NUMERIC_VALIDATION.items() if k != "check_complex_data"
    },
    "CalibratedPipeline": {**PIPELINE},
    "NumericCalibratedPipeline": {**{k: v for k, v in NUMERIC_VALIDATION.items() if k != "check_complex_data"},
                                  **PIPELINE},
    "NumericWord2VecVectorizer": {**NUMERIC_VALIDATION},
    "NumericFastTextVectorizer": {**NUMERIC_VALIDATION},
    "NumericFastTextSentenceVectorizer": {**NUMERIC_VALIDATION},
}


def expected_failed_checks(estimator):
    return EXPECTED_FAILED.get(type(estimator).__name__, {})


@parametrize_with_checks(
    [
        NumericFastTextClassifier(epoch=10, dim=10),
        CalibratedPipeline([("clf", LinearSVC())]),  # temperature-scaled decision_function
        CalibratedPipeline([("scale", StandardScaler()), ("clf", GaussianNB())]),  # ... and predict_proba
        NumericCalibratedPipeline([("tfidf", TfidfVectorizer(token_pattern=r"\S+")), ("clf", LinearSVC())]),
        NumericWord2VecVectorizer(vector_size=8, epochs=2, min_count=1),
        NumericFastTextVectorizer(vector_size=8, epochs=2, min_count=1, bucket=1000),
        NumericFastTextSentenceVectorizer(dim=8, epoch=2, minCount=1),
    ],
    expected_failed_checks=expected_failed_checks,
    xfail_strict=True,  # a listed check that starts passing must be removed from the list
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
