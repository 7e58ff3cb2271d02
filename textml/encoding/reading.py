"""The input side of a batch job: texts and ids in chunks, with where each row came from.

Like :func:`textml.data.formats.iter_chunks` (same formats, columns and ids), but unlabelled,
and each row carries its location so a bad row can be named: the line number for CSV,
TSV, JSONL and plain lines (CSV/TSV lines count the header; a quoted field that spans
lines shifts them), the row number for Parquet and fastText files.

Bad rows are malformed rows (a CSV/TSV line with the wrong number of fields, a JSONL line
that is not a JSON object with the text field) and rows whose text is empty or blank.
By default the first one stops the job with a :class:`DataError` naming it; with
``skip_bad`` they are left out, counted, and the first few are listed in the result.
An empty text is an error rather than a zero vector because a zero vector silently
matches nothing (or everything) downstream; ``--skip-bad`` is the way to go past them.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterator, Sequence

from textml.data.formats import (
    Columns,
    cell_text,
    check_columns,
    check_exists,
    detect_format,
    iter_chunks,
    open_text,
    parser_error,
    with_default_id,
)
from textml.exceptions import ConfigError, DataError

LINE_FORMATS = ("csv", "tsv", "jsonl", "lines")
MAX_EXAMPLES = 20


@dataclass
class BadRow:
    where: str  # "line 12" or "row 12"
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass
class InputChunk:
    """Good rows of one chunk (texts, ids, locations) and the bad rows met on the way.

    ``lines[i]`` is row i's line number (CSV, TSV, JSONL, lines) or row number (Parquet,
    fastText); ``unit`` says which.
    """

    texts: list[str]
    ids: list[str]
    lines: Sequence[int]
    unit: str = "line"
    bad: list[BadRow] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.texts)

    def where(self, i: int) -> str:
        return f"{self.unit} {self.lines[i]}"


def unit(fmt: str) -> str:
    return "line" if fmt in LINE_FORMATS else "row"


def _bad_text_message(path: Path, where: str, id_: str, reason: str) -> str:
    return (f"{path}: {where} (id {id_}) has {reason}; fill in or remove that row, "
            f"or pass --skip-bad to skip such rows")


def iter_input(
    path: str | os.PathLike,
    fmt: str | None = None,
    columns: Columns = Columns(label=None),
    chunk_size: int = 50_000,
    encoding: str = "utf-8",
    skip_bad: bool = False,
) -> Iterator[InputChunk]:
    """Yield the file's good rows in chunks of at most ``chunk_size`` rows (fewer when rows are skipped)."""
    path = Path(path)
    check_exists(path)
    fmt = detect_format(path, fmt)
    if chunk_size < 1:
        raise ConfigError("chunk size must be at least 1")
    columns = replace(columns, label=None)
    if fmt in ("csv", "tsv"):
        raw = _read_delimited(path, fmt, columns, chunk_size, encoding, skip_bad)
    elif fmt == "jsonl":
        raw = _read_jsonl(path, columns, chunk_size, encoding, skip_bad)
    else:
        raw = _read_other(path, fmt, columns, chunk_size, encoding)
    try:
        for chunk in raw:
            yield _drop_blank(chunk, path, skip_bad)
    except UnicodeDecodeError as exc:
        raise DataError(f"{path} is not valid {encoding} text (bad byte at position {exc.start} of a block); "
                        f"re-save it as UTF-8 or pass --encoding") from None


def _drop_blank(chunk: InputChunk, path: Path, skip_bad: bool) -> InputChunk:
    blank = [i for i, text in enumerate(chunk.texts) if not text or text.isspace()]
    if not blank:
        return chunk
    bad = list(chunk.bad)
    for i in blank:
        reason = "an empty text" if not chunk.texts[i] else "a blank text"
        if not skip_bad:
            raise DataError(_bad_text_message(path, chunk.where(i), chunk.ids[i], reason))
        bad.append(BadRow(chunk.where(i), f"{reason} (id {chunk.ids[i]})"))
    bad.sort(key=lambda row: int(row.where.rsplit(" ", 1)[-1]))  # malformed and blank rows in file order
    drop = set(blank)
    keep = [i for i in range(len(chunk.texts)) if i not in drop]
    return InputChunk([chunk.texts[i] for i in keep], [chunk.ids[i] for i in keep],
                      [chunk.lines[i] for i in keep], chunk.unit, bad)


def _read_other(path, fmt, columns, chunk_size, encoding) -> Iterator[InputChunk]:
    row = 0
    for data in iter_chunks(path, fmt=fmt, columns=columns, chunk_size=chunk_size, encoding=encoding):
        n = len(data)
        if fmt == "lines":
            lines = [int(i) for i in data.ids]
        else:
            lines = range(row + 1, row + n + 1)
        row += n
        yield InputChunk(list(data.texts), list(data.ids), lines, unit(fmt))


_SKIPPED = re.compile(r"Skipping line (\d+): (.*)")


def _read_delimited(path, fmt, columns, chunk_size, encoding, skip_bad) -> Iterator[InputChunk]:
    """pandas' C reader, as in textml.data.formats; bad lines either raise or are skipped and named."""
    import csv

    import pandas as pd

    options = dict(
        sep="," if fmt == "csv" else "\t", keep_default_na=False, na_filter=False,
        encoding=encoding, compression="infer",
        quoting=csv.QUOTE_MINIMAL if fmt == "csv" else csv.QUOTE_NONE, engine="c",
    )
    try:
        header = [str(c) for c in pd.read_csv(path, nrows=0, **options).columns]
    except pd.errors.EmptyDataError:
        raise DataError(f"{path} is empty; expected a header line with a {columns.text!r} column") from None
    except pd.errors.ParserError as exc:
        raise parser_error(path, fmt, exc) from None
    check_columns(path, header, columns)
    columns = with_default_id(columns, header)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pd.errors.ParserWarning)
        try:
            reader = pd.read_csv(path, dtype=object, chunksize=chunk_size,
                                 on_bad_lines="warn" if skip_bad else "error", **options)
        except pd.errors.ParserError as exc:
            raise parser_error(path, fmt, exc) from None
        skipped: dict[int, str] = {}
        next_line = 2  # line 1 is the header
        with reader:
            while True:
                try:
                    frame = next(reader)
                except StopIteration:
                    break
                except pd.errors.ParserError as exc:
                    raise parser_error(path, fmt, exc) from None
                for warning in caught:
                    for match in _SKIPPED.finditer(str(warning.message)):
                        skipped[int(match.group(1))] = match.group(2).strip()
                caught.clear()
                texts = frame[columns.text].tolist()
                if any(type(t) is not str for t in texts):
                    texts = [cell_text(t) for t in texts]
                n = len(texts)
                bad = []
                if skipped and min(skipped) < next_line + n + len(skipped):
                    lines = []
                    for _ in range(n):
                        while next_line in skipped:
                            bad.append(BadRow(f"line {next_line}", f"malformed ({skipped.pop(next_line)})"))
                            next_line += 1
                        lines.append(next_line)
                        next_line += 1
                else:
                    lines = range(next_line, next_line + n)
                    next_line += n
                if columns.id is not None:
                    ids = [str(v) for v in frame[columns.id].tolist()]
                else:  # the row number, as textml.data.formats numbers rows
                    ids = [str(line - 1) for line in lines]
                yield InputChunk(texts, ids, lines, "line", bad)
        for warning in caught:
            for match in _SKIPPED.finditer(str(warning.message)):
                skipped[int(match.group(1))] = match.group(2).strip()
        if skipped:
            yield InputChunk([], [], [], "line",
                             [BadRow(f"line {n}", f"malformed ({r})") for n, r in sorted(skipped.items())])


def _read_jsonl(path, columns, chunk_size, encoding, skip_bad) -> Iterator[InputChunk]:
    texts, ids, lines, bad = [], [], [], []
    row = 0
    with open_text(path, encoding) as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            row += 1
            problem = None
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                record, problem = None, f"is not valid JSON ({exc.msg} at column {exc.colno})"
            if problem is None and not isinstance(record, dict):
                problem = "is not a JSON object"
            elif problem is None and columns.text not in record:
                problem = f"has no {columns.text!r} field (fields: {', '.join(record)}); pass --text-col to choose one"
            elif problem is None and columns.id is not None and columns.id not in record:
                problem = f"has no {columns.id!r} field; pass --id-col"
            if problem is not None:
                if not skip_bad:
                    raise DataError(f"{path}: line {line_no} {problem}; fix it, or pass --skip-bad to skip such lines")
                bad.append(BadRow(f"line {line_no}", f"malformed (it {problem.split(';')[0]})"))
                continue
            texts.append(cell_text(record[columns.text]))
            if columns.id is not None:
                ids.append(str(record[columns.id]))
            elif "id" in record and columns.text != "id":
                ids.append(str(record["id"]))
            else:
                ids.append(str(row))
            lines.append(line_no)
            if len(texts) >= chunk_size:
                yield InputChunk(texts, ids, lines, "line", bad)
                texts, ids, lines, bad = [], [], [], []
    if texts or bad:
        yield InputChunk(texts, ids, lines, "line", bad)
