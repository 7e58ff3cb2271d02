"""Stable row keys: how a task in Label Studio is matched to a row of a file.

A pushed task keeps its key in its data (``textml_key``), next to the source id
(``textml_id``) and the row's current label (``textml_label``). A key is either

* ``id:<source id>`` when the file has an id column (``--id-col``, or a column named
  ``id``): the same row of the same corpus keeps its key in every split and eyeball set;
* ``text:<hash>`` otherwise (row numbers are not stable): a hash of the text with its
  whitespace collapsed, so the same text in a CSV, TSV or fastText file has the same key.

Pushing skips rows whose key the project already holds; merging applies a pulled label to
the rows of a file with the same id (or the same text).
"""

from __future__ import annotations

import hashlib

KEY_FIELD = "textml_key"
ID_FIELD = "textml_id"
LABEL_FIELD = "textml_label"


def normal_text(text: str) -> str:
    return " ".join(str(text).split())


def text_key(text: str) -> str:
    return "text:" + hashlib.sha256(normal_text(text).encode("utf-8")).hexdigest()[:24]


def id_key(source_id: str) -> str:
    return f"id:{source_id}"


def key_kind(key: str) -> str:
    """``id``, ``text``, or ``task`` (a task textml did not push: keyed by its task number)."""
    return key.split(":", 1)[0] if ":" in key else "task"


def key_value(key: str) -> str:
    return key.split(":", 1)[1] if ":" in key else key
