"""check_texts and tokenize: the input contract shared by every text estimator."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from textml.exceptions import DataError
from textml.text.tokenize import tokenize
from textml.text.validation import check_texts


@pytest.mark.parametrize(
    "X",
    [
        ["a", "b"],
        ("a", "b"),
        np.array(["a", "b"], dtype=object),
        pd.Series(["a", "b"]),
        pd.DataFrame({"text": ["a", "b"]}),
        np.array([["a"], ["b"]]),
        (t for t in ["a", "b"]),
    ],
    ids=["list", "tuple", "ndarray", "series", "one-column-frame", "column-array", "generator"],
)
def test_common_containers_of_texts_are_accepted(X):
    assert check_texts(X) == ["a", "b"]


@pytest.mark.parametrize(
    "X, fragment",
    [
        ("a single string", "wrap it in a list"),
        (pd.DataFrame({"a": ["x"], "b": ["y"]}), "pass the text column only"),
        (["ok", None], "text 1 is missing"),
        (pd.Series(["ok", np.nan]), "fillna"),
        (["ok", 3.5], "item 1 is a float"),
        ([], "0 texts"),
        (42, "iterable of texts"),
    ],
)
def test_bad_inputs_say_what_to_fix(X, fragment):
    with pytest.raises(DataError, match=fragment):
        check_texts(X, who="Model")


def test_empty_input_allowed_where_it_makes_sense():
    assert check_texts([], allow_empty=True) == []


def test_tokenize_lowercases_and_splits_on_non_word_characters():
    assert tokenize("Héllo, WORLD! C++ 3.5-inch") == ["héllo", "world", "c", "3", "5", "inch"]
    assert tokenize("Hello", lowercase=False) == ["Hello"]
    assert tokenize("  ...  ") == []
