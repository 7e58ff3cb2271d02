"""Checking that estimator input is a one-dimensional sequence of texts."""

from __future__ import annotations

import math
from typing import Any

from textml.exceptions import DataError


def check_texts(X: Any, *, who: str = "this estimator", allow_empty: bool = False) -> list[str]:
    """Return ``X`` as a list of ``str``, or raise ``DataError`` saying what to fix.

    Accepts any iterable of strings: a list, a tuple, a 1-D NumPy array, a pandas Series
    or a generator. A 2-D array with a single column (e.g. ``df[["text"]]``) is accepted and
    flattened. Missing values (``None``, NaN) and non-string items are rejected rather
    than silently turned into the text ``"nan"``.

    Parameters
    ----------
    X : iterable of str
        The texts.
    who : str, default="this estimator"
        Name used in error messages.
    allow_empty : bool, default=False
        Whether zero texts are acceptable (e.g. for ``transform``).

    Returns
    -------
    texts : list of str
    """
    if isinstance(X, (str, bytes)):
        raise DataError(
            f"{who} expects a sequence of texts, got a single {type(X).__name__}; "
            "wrap it in a list: [text]"
        )
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) == 2:
        if shape[1] != 1:
            raise DataError(
                f"{who} expects a 1-D sequence of texts, got a 2-D input of shape {tuple(shape)}; "
                "pass the text column only, e.g. df['text']"
            )
        X = X.iloc[:, 0] if hasattr(X, "iloc") else X[:, 0]
    elif shape is not None and len(shape) > 2:
        raise DataError(f"{who} expects a 1-D sequence of texts, got an array of shape {tuple(shape)}")
    if hasattr(X, "tolist"):
        X = X.tolist()
    try:
        texts = list(X)
    except TypeError:
        raise DataError(
            f"{who} expects an iterable of texts, got {type(X).__name__}"
        ) from None
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            if text is None or (isinstance(text, float) and math.isnan(text)):
                raise DataError(
                    f"{who}: text {i} is missing ({text!r}); fill missing texts first, "
                    "e.g. df['text'].fillna('')"
                )
            raise DataError(
                f"{who} expects texts (str), but item {i} is a {type(text).__name__}: {text!r:.60}; "
                "convert the column to strings first, e.g. df['text'].astype(str)"
            )
    if not texts and not allow_empty:
        raise DataError(f"{who} got 0 texts; at least one text is required")
    return texts
