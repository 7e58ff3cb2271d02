"""A simple, fast, language-agnostic word tokeniser for embedding models."""

from __future__ import annotations

import re
from functools import lru_cache

#: Runs of Unicode word characters (letters, digits, underscore), so "C++ 3.5-inch" -> c, 3, 5, inch.
TOKEN_PATTERN = r"(?u)\w+"


@lru_cache(maxsize=32)
def _compile(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def tokenize(text: str, *, lowercase: bool = True, token_pattern: str = TOKEN_PATTERN) -> list[str]:
    """Split ``text`` into the matches of ``token_pattern``, lowercased by default.

    Parameters
    ----------
    text : str
        One text.
    lowercase : bool, default=True
        Lowercase before matching.
    token_pattern : str, default=TOKEN_PATTERN
        Regular expression whose matches are the tokens.

    Returns
    -------
    tokens : list of str
        Possibly empty (an empty or punctuation-only text has no tokens).
    """
    if lowercase:
        text = text.lower()
    return _compile(token_pattern).findall(text)
