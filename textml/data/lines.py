"""The two line formats: fastText lines and plain lines.

A fastText line is ``__label__a __label__b some text``: label tokens first, then the
words. fastText splits tokens on whitespace, so a label is written as a token with every
whitespace or control character, and ``%`` itself, percent-encoded (UTF-8):
``Home & Garden`` is ``__label__Home%20&%20Garden``, ``100%`` is ``__label__100%25``, and
``a/b``, ``x,y`` or ``Café`` stay as they are. :func:`decode_label` undoes it exactly, and
every fastText file textml reads or writes (data files, the estimator's training input,
autotune's files) goes through this one pair, so labels come back unchanged everywhere.

A plain-lines file holds one unlabelled text per line, blank lines included (a row each).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote_to_bytes

from textml.data.rows import LINE, BadRows, Columns
from textml.data.textfiles import nonblank_lines, text_lines
from textml.exceptions import DataError

FASTTEXT_PREFIX = "__label__"

_UNSAFE_IN_LABEL = re.compile(r"[%\s\x00-\x1f\x7f-\x9f]")
_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
# fastText splits words on ASCII whitespace and NUL and reads one example per line
_WHITESPACE = re.compile(r"[\s\x00]+")
# a word starting with the label prefix would be read as one more label
_LABEL_LIKE = re.compile(r"(?:(?<=\s)|^)" + re.escape(FASTTEXT_PREFIX))


def _percent(match: re.Match) -> str:
    return "".join(f"%{byte:02X}" for byte in match.group().encode("utf-8"))


def encode_label(label) -> str:
    """The fastText label token for ``label``: ``__label__`` + ``str(label)``, made one token."""
    return FASTTEXT_PREFIX + _UNSAFE_IN_LABEL.sub(_percent, str(label))


def decode_label(token: str) -> str:
    """The label of a token written by :func:`encode_label`.

    A token whose ``%`` signs are not all escapes (from a file or model made outside
    textml, e.g. ``__label__100%``) is taken as it is.
    """
    if not token.startswith(FASTTEXT_PREFIX):
        raise DataError(f"{token!r} is not a fastText label (labels start with {FASTTEXT_PREFIX!r})")
    raw = token[len(FASTTEXT_PREFIX):]
    if "%" not in raw or raw.count("%") != len(_ESCAPE.findall(raw)):
        return raw
    try:
        return unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return raw


def fasttext_text(text: str) -> str:
    """``text`` as the words of one fastText line: whitespace runs become one space, and
    words starting with ``__label__`` get a ``_`` in front so they stay words."""
    text = _WHITESPACE.sub(" ", text).strip()
    if FASTTEXT_PREFIX in text:
        text = _LABEL_LIKE.sub("_" + FASTTEXT_PREFIX, text)
    return text


def label_tokens(label) -> str:
    """The label tokens of one row: one per label of a tuple (multi-label), else one."""
    if label is None:
        raise DataError("fastText files need a label on every row; drop unlabelled rows first")
    if isinstance(label, tuple) and not label:
        raise DataError("a row has an empty label list, which a fastText line cannot tell from a missing label; "
                        "write jsonl or parquet")
    return " ".join(encode_label(x) for x in (label if isinstance(label, tuple) else (label,)))


def fasttext_lines(texts: Iterable[str], labels: Iterable, clean: Callable[[str], str] | None = None) -> Iterator[str]:
    """fastText lines (``\\n``-terminated) for pairs of text and label, one at a time.

    ``clean`` turns a text into the line's words (default :func:`fasttext_text`); whatever
    it returns is passed through :func:`fasttext_text` too, so a line stays one line.
    """
    tokens: dict = {}
    for text, label in zip(texts, labels):
        key = (type(label), label)  # 1 and True are equal keys, but different labels
        tags = tokens.get(key)
        if tags is None:
            tags = tokens[key] = label_tokens(label)
        words = clean(text) if clean is not None else text
        yield f"{tags} {fasttext_text(words)}\n"


def _split_labels(line: str) -> tuple[list[str], list[str]]:
    """(decoded labels, words) of one fastText line."""
    tokens = line.split()
    k = 0
    while k < len(tokens) and tokens[k].startswith(FASTTEXT_PREFIX):
        k += 1
    return [decode_label(t) for t in tokens[:k] if len(t) > len(FASTTEXT_PREFIX)], tokens[k:]


def read_fasttext(path: Path, columns: Columns, encoding: str, bad: BadRows):
    """(columns used, rows): each row ``(text, label, row number, line)``; ``columns`` do not apply."""

    def rows():
        for row, (line_no, line) in enumerate(nonblank_lines(path, encoding), start=1):
            labels, words = _split_labels(line)
            yield " ".join(words), labels if columns.label is not None and labels else None, str(row), line_no

    # labels are tokens here: a separator inside a token is part of the label
    return replace(columns, id=None, label_sep=None), LINE, rows()


def relabel_fasttext_line(line: str, label) -> str:
    """``line`` with its labels replaced by ``label`` (its words kept)."""
    _, words = _split_labels(line)
    return f"{label_tokens(label)} {' '.join(words)}\n"


def read_lines(path: Path, columns: Columns, encoding: str, bad: BadRows):
    """(columns used, rows): every line a text, its line number its id; no labels."""

    def rows():
        for line_no, line in enumerate(text_lines(path, encoding), start=1):
            yield line.rstrip("\r\n"), None, str(line_no), line_no

    return replace(columns, label=None, id=None, label_sep=None), LINE, rows()
