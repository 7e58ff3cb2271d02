"""The input side of a batch job: the data layer's rows, unlabelled, with blank texts as bad rows.

Rows, ids, line numbers and malformed rows come from :func:`textml.data.formats.iter_rows`
(the same formats, columns and ids as every other command). A batch job adds one rule:
a row whose text is empty or blank is bad too, because its zero vector would silently
match nothing (or everything) downstream. By default the first bad row stops the job
with a :class:`DataError` naming it; with ``skip_bad`` bad rows are left out, counted,
and the first few are listed in the result.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from textml.data.formats import (
    DEFAULT_CHUNK_SIZE,
    BadRow,
    Columns,
    RowChunk,
    iter_rows,
)
from textml.data.formats import (
    location_unit as unit,
)
from textml.exceptions import DataError

MAX_EXAMPLES = 20

__all__ = ["MAX_EXAMPLES", "iter_input", "unit"]


def iter_input(
    path: str | os.PathLike,
    fmt: str | None = None,
    columns: Columns = Columns(label=None),
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    encoding: str = "utf-8",
    skip_bad: bool = False,
) -> Iterator[RowChunk]:
    """Yield the file's good rows in chunks of at most ``chunk_size`` rows (fewer when rows are skipped)."""
    path = Path(path)
    for chunk in iter_rows(path, fmt, replace(columns, label=None), chunk_size, encoding, skip_bad=bool(skip_bad)):
        yield _drop_blank(chunk, path, skip_bad)


def _drop_blank(chunk: RowChunk, path: Path, skip_bad: bool) -> RowChunk:
    blank = [i for i, text in enumerate(chunk.texts) if not text or text.isspace()]
    if not blank:
        return chunk
    bad = list(chunk.bad)
    for i in blank:
        reason = "an empty text" if not chunk.texts[i] else "a blank text"
        if not skip_bad:
            raise DataError(f"{path}: {chunk.where(i)} (id {chunk.ids[i]}) has {reason}; fill in or remove that row, "
                            f"or pass --skip-bad to skip such rows")
        bad.append(BadRow(chunk.where(i), f"{reason} (id {chunk.ids[i]})"))
    bad.sort(key=lambda row: int(row.where.rsplit(" ", 1)[-1]))  # malformed and blank rows in file order
    drop = set(blank)
    keep = [i for i in range(len(chunk.texts)) if i not in drop]
    return RowChunk([chunk.texts[i] for i in keep], [None] * len(keep), [chunk.ids[i] for i in keep],
                    [chunk.lines[i] for i in keep], chunk.unit, bad, chunk.columns)
