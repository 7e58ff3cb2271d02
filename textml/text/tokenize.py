"""Simple, fast, language-agnostic word tokenisation shared by the models.

Scripts written without spaces between words (Chinese, Japanese) would otherwise give one
"word" per sentence, so each of their characters is a token of its own: word n-grams then
become character n-grams there, the usual bag-of-words for these languages. Text in any
other script tokenises exactly as before (runs of word characters).
"""

from __future__ import annotations

import re
from functools import lru_cache

#: Han ideographs (incl. extension A and compatibility forms), hiragana and katakana.
UNSPACED_SCRIPTS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"

#: Runs of Unicode word characters (letters, digits, underscore), so "C++ 3.5-inch" -> c, 3, 5, inch;
#: one token per character in unspaced scripts.
TOKEN_PATTERN = rf"(?u)[{UNSPACED_SCRIPTS}]|[^\W{UNSPACED_SCRIPTS}]+"

#: scikit-learn's default ``token_pattern`` (words of 2+ characters), with single tokens per
#: character in unspaced scripts; the same tokens as sklearn's default on other text.
WORD_PATTERN = rf"(?u)[{UNSPACED_SCRIPTS}]|[^\W{UNSPACED_SCRIPTS}]{{2,}}"


@lru_cache(maxsize=32)
def compile_pattern(pattern: str) -> re.Pattern:
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
    return compile_pattern(token_pattern).findall(text)
