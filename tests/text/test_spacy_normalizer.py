"""SpacyNormalizer: lemmas, stop words, languages, and sklearn compatibility."""

from __future__ import annotations

import pickle
import warnings
import zlib

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from tests.numeric_rows import NumericRows
from textml.exceptions import ConfigError, DataError
from textml.text.spacy import SpacyNormalizer


def test_lemmatises_case_insensitively_and_keeps_punctuation():
    out = SpacyNormalizer(lang="en").fit_transform(["The Dogs were RUNNING!", "Mice ate cheeses"])
    assert out == ["the dog be run !", "mouse eat cheese"]


def test_stop_words_and_punctuation_can_be_dropped():
    norm = SpacyNormalizer(lang="en", remove_stop_words=True, remove_punct=True)
    assert norm.fit_transform(["The dogs were running!"]) == ["dog run"]


def test_capitalised_lemma_entries_are_found_before_lowercasing():
    # German lookup keys are capitalised nouns: lowercasing first would miss "Häuser".
    assert SpacyNormalizer(lang="de").fit_transform(["Die Häuser"]) == ["der haus"]
    assert SpacyNormalizer(lang="en", lowercase=False).fit_transform(["Dogs RUNNING"]) == ["dog run"]


def test_language_without_lookup_tables_falls_back_to_tokens_with_a_warning():
    norm = SpacyNormalizer(lang="fi")
    with pytest.warns(UserWarning, match="no lemma lookup table for language 'fi'"):
        norm.fit(["x"])
    assert norm.lemmatizing_ is False
    assert norm.transform(["Koirat juoksivat, nopeasti"]) == ["koirat juoksivat , nopeasti"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SpacyNormalizer(lang="fi", lemmatize=False).fit(["x"])  # asked for no lemmas: no warning


def test_unknown_language_is_a_config_error():
    with pytest.raises(ConfigError, match="'qq'"):
        SpacyNormalizer(lang="qq").fit(["x"])


def test_empty_blank_and_multiline_texts():
    out = SpacyNormalizer().fit(["x"]).transform(["", "   ", "line one\nline\ttwo"])
    assert out == ["", "", "line one line two"]


def test_output_feeds_a_tfidf_vectorizer_and_pickles():
    pipe = make_pipeline(SpacyNormalizer(), TfidfVectorizer(token_pattern=r"\S+", lowercase=False))
    X = pipe.fit_transform(["Dogs running", "a dog runs"])
    assert X.shape[0] == 2 and {"dog", "run"} <= set(pipe[-1].vocabulary_)
    restored = pickle.loads(pickle.dumps(pipe))
    assert (restored.transform(["dogs"]) != pipe.transform(["dogs"])).nnz == 0


def test_bad_input_is_a_data_error():
    with pytest.raises(DataError, match="missing"):
        SpacyNormalizer().fit(["ok", None])


class NumericSpacyNormalizer(NumericRows, SpacyNormalizer):
    """Test adapter so sklearn's checks can drive the real transformer (its tags declare 1-D
    text input, for which sklearn would skip every check).

    In: each numeric row becomes a text, as for the model checks (NumericRows). Out: each
    normalised text becomes one number (its CRC-32), so the checks' numeric comparisons
    (pickle round trip, sample order, subsets, idempotence, fit_transform vs transform)
    compare the real output strings for equality.
    """

    def fit(self, X, y=None):
        return super().fit(self._texts(X, fitting=True), y)

    def transform(self, X):
        out = super().transform(self._texts(X))
        return np.array([[zlib.crc32(text.encode("utf-8"))] for text in out], dtype=np.float64)


EXPECTED_FAILED = {
    "check_n_features_in_after_fitting": "text input has no n_features_in_ (as CountVectorizer)",
    "check_n_features_in": "text input has no n_features_in_ (as CountVectorizer)",
    "check_estimators_nan_inf": "NaN/inf are numeric-input concerns; missing texts raise DataError",
    "check_complex_data": "complex numbers are a numeric-input concern",
    "check_fit2d_predict1d": "a 1-D sequence of texts is exactly the expected input",
    "check_estimators_empty_data_messages": (
        "zero texts raise textml's DataError (not ValueError) by project convention"
    ),
    "check_estimator_sparse_array": "sparse matrices are not texts",
    "check_estimator_sparse_matrix": "sparse matrices are not texts",
    "check_estimator_sparse_tag": "sparse matrices are not texts",
}


@parametrize_with_checks(
    [NumericSpacyNormalizer()],
    expected_failed_checks=lambda est: EXPECTED_FAILED,
    xfail_strict=True,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
