"""Labels as read and written: one rule for every format, so a label means the same in CSV,
TSV, JSONL, Parquet and fastText files.

A label, once read, is a string; a tuple of two or more strings (a row with several
labels); ``()`` (a row whose label *list* is empty: JSONL and Parquet only, since an
empty cell is a missing label); or None (missing).

- **Missing.** None/null, a float NaN, an empty or whitespace-only cell, and the
  spellings pandas writes for a missing value: ``NaN``, ``nan``, ``NA``, ``N/A``, ``n/a``,
  ``null``, ``NULL``, ``None``, ``<NA>``. Case matters, as in pandas: ``none`` or ``na``
  is a class name.
- **Numbers and booleans** are labels by their text: 3 and 3.0 are ``"3"``, 2.5 is
  ``"2.5"``, true is ``"true"`` (as CSV cells are written), so a numeric label reads the
  same from JSONL, Parquet and CSV.
- **Several labels** come from a JSON or Parquet list, several ``__label__`` tokens on a
  fastText line, or a text cell split on ``Columns.label_sep`` (``a|b`` with ``|``). Each
  piece is stripped; empty and missing pieces and repeats are dropped. One piece left is a
  plain string (a list of one is a single label); none left is ``()`` for a JSON or
  Parquet list, and None for a cell or a fastText line (neither can hold an empty set).
- **Refused.** A list element that is not a string, number or boolean (null, an object,
  a nested list) makes its row malformed (:class:`BadLabel`; skipped with ``--skip-bad``).
  A text cell that looks like a list (``["a", "b"]``, ``['a', 'b']``, ``[]``) is a
  :class:`ListLikeCell`: a file saved that way needs ``--label-sep`` or JSONL, which
  skipping rows would not fix.
"""

from __future__ import annotations

import json

# pandas' default na_values that can stand for a missing label (its numeric-looking ones,
# like "-1.#IND", cannot be a class name anyone means)
MISSING_SPELLINGS = frozenset({"NaN", "nan", "NA", "N/A", "n/a", "null", "NULL", "None", "<NA>"})

LIST_FIX = "write the labels as a JSON list in a JSONL file, or as a|b in a CSV/TSV cell with --label-sep '|'"


class BadLabel(ValueError):
    """A label value no format can mean: the row is malformed."""

    def __init__(self, problem: str, fix: str):
        super().__init__(problem)
        self.problem = problem
        self.fix = fix


class ListLikeCell(ValueError):
    """A text cell that holds a list of labels written as one string."""


def spelled_missing(value) -> bool:
    """Whether ``value`` is a text that spells a missing value (``NaN``, ``NA``, ``null`` ...),
    or a list (fastText label tokens) holding one."""
    if isinstance(value, (list, tuple)):
        return any(spelled_missing(v) for v in value)
    return isinstance(value, str) and value.strip() in MISSING_SPELLINGS


def _scalar(value) -> str | None:
    """One label value as its text, or None when it is missing; BadLabel for null/objects/lists."""
    if isinstance(value, str):
        value = value.strip()
        return None if not value or value in MISSING_SPELLINGS else value
    if isinstance(value, bool):  # before int: True is an int
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value:  # NaN
            return None
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict):
        raise BadLabel("has a label that is an object, not a string", "labels must be strings or lists of strings")
    if isinstance(value, (list, tuple)):
        raise BadLabel("has a list inside its label list", "a label list holds strings, not lists")
    return str(value)  # dates, decimals from Parquet: their text


def _several(pieces, empty) -> str | tuple | None:
    labels = tuple(dict.fromkeys(p for p in pieces if p is not None))
    if not labels:
        return empty
    return labels[0] if len(labels) == 1 else labels


def looks_like_list(text: str) -> bool:
    """Whether a text cell holds a list written as one string: ``["a", "b"]``, ``['a']`` or ``[]``.

    ``[draft]`` or ``[1]`` alone are not lists: they could be class names.
    """
    text = text.strip()
    if len(text) < 2 or text[0] != "[" or text[-1] != "]":
        return False
    inner = text[1:-1].strip()
    if not inner:
        return True
    if inner[0] in "'\"" and inner[-1] in "'\"":
        return True
    try:
        parsed = json.loads(text)
    except ValueError:
        return False
    return isinstance(parsed, list) and len(parsed) > 1


def clean_label(value, sep: str | None = None, empty=()):
    """A label as read (see the module docstring for the rule).

    ``sep`` splits text cells into several labels; ``empty`` is what a list with no labels
    in it gives (``()``; fastText lines pass None: a line without label tokens is unlabelled).
    Raises :class:`BadLabel` or :class:`ListLikeCell`.
    """
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        pieces = []
        for item in value:
            if item is None:
                raise BadLabel("has null in its label list", "a label list holds strings; remove the null")
            pieces.append(_scalar(item))
        return _several(pieces, empty)
    if isinstance(value, str):
        if looks_like_list(value):
            raise ListLikeCell(value)
        if sep and sep in value:
            return _several((_scalar(piece) for piece in value.split(sep)), None)
    return _scalar(value)


def join_labels(label, sep: str | None, fmt: str) -> str | None:
    """A label as one CSV/TSV cell: a tuple joined with ``sep``; a ConfigError when that cannot read back."""
    from textml.exceptions import ConfigError

    if label is None:
        return None
    if isinstance(label, tuple):
        if not sep:
            raise ConfigError(f"multi-label data needs a label separator in {fmt.upper()}: pass --label-sep "
                              f"(e.g. --label-sep '|'), or write jsonl, parquet or fasttext")
        if not label:
            raise ConfigError(f"a row has an empty label list, which a {fmt.upper()} cell cannot tell from a "
                              f"missing label; write jsonl or parquet")
    pieces = label if isinstance(label, tuple) else (label,)
    if sep:
        clash = next((p for p in pieces if sep in p), None)
        if clash is not None:
            raise ConfigError(f"the label {clash!r} contains the label separator {sep!r}; choose another --label-sep")
    return sep.join(pieces) if isinstance(label, tuple) else label
