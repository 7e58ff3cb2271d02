"""Reading and writing every supported file format, in chunks: the one place that does.

Formats: CSV, TSV, JSONL, Parquet, fastText lines (``__label__a __label__b some text``)
and plain lines. The format comes from the file extension (``.gz`` allowed for the text
formats) unless given. One module per format does the parsing (:mod:`textml.data.delimited`,
:mod:`~textml.data.jsonl`, :mod:`~textml.data.parquet`, :mod:`~textml.data.lines`); this
module is what the rest of textml uses:

- :func:`iter_rows` streams :class:`RowChunk` objects of at most ``chunk_size`` rows, each
  row with its line number, and either stops at the first malformed row with a
  :class:`DataError` naming the file and line or (``skip_bad=True``) leaves such rows out
  and lists them; :func:`iter_chunks` and :func:`read_dataset` give the same rows as
  :class:`Dataset` objects.
- :func:`write_dataset` writes a Dataset in any format, :func:`write_records` writes rows
  of named values (eyeball sets, comparison tables, pulled annotations) as CSV, TSV, JSONL
  or Parquet, :func:`write_fasttext` streams (text, label) pairs as fastText lines. Every
  write is atomic and text outputs end their lines with ``\\n``.
- :func:`encode_label` / :func:`decode_label` are the one fastText label encoding.

Every format follows the same rules on bad input:

- Only regular files are read (:func:`~textml.data.textfiles.check_exists`, before any
  open): a folder, a named pipe or a device is a one-line DataError.
- Labels follow one rule (:mod:`textml.data.labels`): ``NaN``, ``NA``, ``N/A``, ``null``,
  ``None``, empty and blank cells are missing labels in every format; ``Columns.label_sep``
  splits a text cell into several labels.
- A NUL character in a text or a label is refused: the row is malformed, named by its
  line (skipped with ``--skip-bad``). NUL is not text: it comes from binary files or from
  UTF-16 read as UTF-8, fastText splits words on it, and C libraries end strings at it;
  stripping it silently would hide a wrong encoding.
- A UTF-8 byte-order mark is dropped at the start of every text format.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from textml.data.dataset import Dataset
from textml.data.delimited import DelimitedWriter, cell, header, read_delimited
from textml.data.jsonl import JsonlWriter, first_fields, read_jsonl
from textml.data.labels import LIST_FIX, BadLabel, ListLikeCell, clean_label, join_labels, spelled_missing
from textml.data.lines import (
    FASTTEXT_PREFIX,
    decode_label,
    encode_label,
    fasttext_lines,
    fasttext_text,
    read_fasttext,
    read_lines,
)
from textml.data.parquet import column_names as parquet_columns
from textml.data.parquet import read_parquet, write_parquet
from textml.data.relabel import rewrite_labels
from textml.data.rows import LINE, ROW, BadRow, BadRows, Columns, RowChunk, cell_text
from textml.data.textfiles import check_exists, open_out
from textml.exceptions import ConfigError, DataError
from textml.files import atomic_path

__all__ = [
    "BadRow", "Columns", "DEFAULT_CHUNK_SIZE", "EXTENSIONS", "FASTTEXT_PREFIX", "FORMATS", "RECORD_FORMATS",
    "RowChunk", "cell", "cell_text", "check_exists", "column_names", "open_out", "record_writer", "decode_label", "detect_format", "encode_label",
    "extension_for", "fasttext_lines", "fasttext_text", "iter_chunks", "iter_rows", "location_unit",
    "read_dataset", "record_format", "rewrite_labels", "write_dataset", "write_fasttext", "write_records",
]

FORMATS = ("csv", "tsv", "jsonl", "parquet", "fasttext", "lines")
RECORD_FORMATS = ("csv", "tsv", "jsonl", "parquet")  # formats with named columns
EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".ft": "fasttext",
    ".fasttext": "fasttext",
    ".txt": "fasttext",
}
DEFAULT_CHUNK_SIZE = 50_000

_READERS = {
    "csv": lambda path, *args: read_delimited(path, "csv", *args),
    "tsv": lambda path, *args: read_delimited(path, "tsv", *args),
    "jsonl": read_jsonl,
    "parquet": read_parquet,
    "fasttext": read_fasttext,
    "lines": read_lines,
}


def detect_format(path: str | os.PathLike, fmt: str | None = None) -> str:
    """The file's format: ``fmt`` when given, else from its extension."""
    if fmt:
        if fmt not in FORMATS:
            raise ConfigError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")
        return fmt
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    if suffixes and suffixes[-1] in EXTENSIONS:
        return EXTENSIONS[suffixes[-1]]
    raise ConfigError(
        f"cannot tell the format of {path} from its extension; pass --format "
        f"({', '.join(FORMATS)})"
    )


def extension_for(fmt: str) -> str:
    return {"csv": ".csv", "tsv": ".tsv", "jsonl": ".jsonl", "parquet": ".parquet", "fasttext": ".txt"}[fmt]


def location_unit(fmt: str) -> str:
    """How rows of ``fmt`` are located in messages: by "line", or by "row" (Parquet)."""
    return ROW if fmt == "parquet" else LINE


# --- reading -----------------------------------------------------------------------------


def iter_rows(
    path: str | os.PathLike,
    fmt: str | None = None,
    columns: Columns = Columns(),
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    encoding: str = "utf-8",
    skip_bad: bool | None = None,
) -> Iterator[RowChunk]:
    """Yield the file's rows in chunks of at most ``chunk_size`` rows read (bad ones included).

    Rows without an id column get their 1-based row number as id (malformed rows count,
    blank lines do not). A label column that is missing from the file is an error unless
    ``columns.label`` is None (unlabelled data). A malformed row (a CSV/TSV row with more
    fields than the header, a JSONL line that is not an object with the fields asked for)
    stops the read with a DataError naming its line, offering ``--skip-bad`` when
    ``skip_bad`` is False; with ``skip_bad=True`` it is left out and listed in the chunk's
    ``bad``.
    """
    path = Path(path)
    check_exists(path)
    fmt = detect_format(path, fmt)
    if chunk_size < 1:
        raise ConfigError("chunk size must be at least 1")
    bad = BadRows(path, skip_bad)
    columns, unit, rows = _READERS[fmt](path, columns, encoding, bad)
    sep = columns.label_sep
    empty = None if fmt == "fasttext" else ()  # a fastText line without label tokens is unlabelled
    texts, labels, ids, lines = [], [], [], []
    taken = spelled = 0
    for row in rows:
        taken += 1
        if row is not None:
            text, raw, id_, line = row
            try:
                label = clean_label(raw, sep, empty)
            except BadLabel as exc:
                bad.found(f"{unit} {line}", exc.problem, exc.fix)
                label = _BAD
            except ListLikeCell:
                raise DataError(f"{path}: {unit} {line} has the label {raw.strip()[:60]!r}, a list written as "
                                f"one text; {LIST_FIX}") from None
            if label is not _BAD and not _has_nul(path, unit, line, text, label, bad):
                spelled += label is None and spelled_missing(raw)
                texts.append(text)
                labels.append(label)
                ids.append(id_)
                lines.append(line)
        if taken == chunk_size:
            yield RowChunk(texts, labels, ids, lines, unit, bad.take(), columns, spelled)
            texts, labels, ids, lines = [], [], [], []
            taken = spelled = 0
    if taken:
        yield RowChunk(texts, labels, ids, lines, unit, bad.take(), columns, spelled)


_BAD = object()  # a row whose label made it malformed


def _has_nul(path: Path, unit: str, line: int, text: str, label, bad: BadRows) -> bool:
    """Whether the row's text or label holds a NUL character (then given to ``bad``)."""
    if "\x00" in text:
        where = "its text"
    elif label is not None and "\x00" in (label if isinstance(label, str) else "".join(label)):
        where = "its label"
    else:
        return False
    bad.found(f"{unit} {line}", f"has a NUL character in {where}",
              "NUL is not text: check that the file is text in the right --encoding (UTF-16 read as UTF-8 "
              "gives NULs) and remove the NUL bytes")
    return True


def iter_chunks(
    path: str | os.PathLike,
    fmt: str | None = None,
    columns: Columns = Columns(),
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    encoding: str = "utf-8",
    skip_bad: bool | None = None,
) -> Iterator[Dataset]:
    """Yield the file's rows as Dataset chunks of at most ``chunk_size`` rows (see :func:`iter_rows`).

    ``meta`` records the format, the columns used and the malformed rows left out (``bad_rows``).
    """
    check_exists(path)  # before the extension: a pipe or a device is named as such
    fmt = detect_format(path, fmt)
    for chunk in iter_rows(path, fmt, columns, chunk_size, encoding, skip_bad):
        yield Dataset(chunk.texts, chunk.labels, chunk.ids, source=str(path),
                      meta={"format": fmt, "columns": chunk.columns, "bad_rows": chunk.bad})


def read_dataset(
    path: str | os.PathLike,
    fmt: str | None = None,
    columns: Columns = Columns(),
    encoding: str = "utf-8",
    skip_bad: bool | None = None,
) -> Dataset:
    """Read a whole file into one Dataset (``meta`` as in :func:`iter_chunks`)."""
    chunks = list(iter_chunks(path, fmt=fmt, columns=columns, encoding=encoding, skip_bad=skip_bad))
    if not chunks:
        return Dataset([], [], [], source=str(path),
                       meta={"format": detect_format(path, fmt), "columns": columns, "bad_rows": []})
    data = Dataset.concat(chunks)
    data.meta["bad_rows"] = [bad for chunk in chunks for bad in chunk.meta["bad_rows"]]
    return data


def column_names(path: str | os.PathLike, fmt: str | None = None, encoding: str = "utf-8") -> list[str]:
    """The columns of a data file (for JSONL, the first object's fields); [] for the line formats."""
    path = Path(path)
    check_exists(path)
    fmt = detect_format(path, fmt)
    if fmt in ("csv", "tsv"):
        return header(path, fmt, encoding)
    if fmt == "jsonl":
        return first_fields(path, encoding)
    if fmt == "parquet":
        return parquet_columns(path)
    return []


# --- writing -----------------------------------------------------------------------------


def record_format(path: str | os.PathLike, option: str = "--out") -> str:
    """The format to write named columns to ``path`` in (csv, tsv, jsonl or parquet)."""
    fmt = detect_format(path)
    if fmt not in RECORD_FORMATS:
        raise ConfigError(f"{option} {Path(path).name}: write .csv, .tsv, .jsonl or .parquet (a {fmt} file has no "
                          f"named columns)")
    return fmt


def record_writer(handle, fmt: str, fields: Sequence[str]):
    """A writer of rows of values to an open text handle (:func:`open_out`), CSV, TSV or JSONL.

    For outputs written in pieces; it has ``write(values)`` and ``write_many(rows)``.
    """
    if fmt in ("csv", "tsv"):
        return DelimitedWriter(handle, fmt, fields)
    if fmt == "jsonl":
        return JsonlWriter(handle, fields)
    raise ConfigError(f"cannot stream rows as {fmt}; write .csv, .tsv or .jsonl")


def write_records(
    rows: Iterable[dict],
    fields: Sequence[str],
    path: str | os.PathLike,
    fmt: str | None = None,
    *,
    tmp: str | os.PathLike | None = None,
) -> Path:
    """Write dict rows, with the columns ``fields`` (other keys ignored, missing ones empty).

    CSV, TSV, JSONL or Parquet, from ``fmt`` or the extension of ``path`` (``.gz`` compresses
    the text formats). Atomic: written under a temporary name renamed to ``path`` at the
    end; or, with ``tmp``, written to that temporary path for the caller to rename (to
    commit several files together). In CSV/TSV, lists are joined with ``|`` and dicts are
    JSON; JSONL keeps them as JSON values.
    """
    path = Path(path)
    fmt = fmt or record_format(path)
    fields = list(fields)
    values = ([row.get(f) for f in fields] for row in rows)
    if tmp is None:
        with atomic_path(path) as temporary:
            _write_values(Path(temporary), path, fmt, fields, values)
    else:
        _write_values(Path(tmp), path, fmt, fields, values)
    return path


def _write_values(tmp: Path, final: Path, fmt: str, fields: list[str], values: Iterable[Sequence]) -> None:
    if fmt == "parquet":
        write_parquet(tmp, fields, values)
        return
    with open_out(tmp, final) as handle:
        record_writer(handle, fmt, fields).write_many(values)


def write_fasttext(
    path: str | os.PathLike,
    texts: Iterable[str],
    labels: Iterable,
    clean: Callable[[str], str] | None = None,
) -> Path:
    """Write (text, label) pairs as fastText lines, streaming and atomically.

    ``clean`` turns a text into the line's words (e.g. the estimator's
    :func:`textml.models.fasttext.clean_text`); by default only whitespace changes. A label
    that is a tuple gives one label token per element (multi-label); None is an error.
    """
    path = Path(path)
    with atomic_path(path) as tmp, open_out(tmp, path) as handle:
        handle.writelines(fasttext_lines(texts, labels, clean))
    return path


def write_dataset(dataset: Dataset, path: str | os.PathLike, fmt: str | None = None,
                  label_sep: str | None = None) -> Path:
    """Write ``dataset`` with the standard columns ``id``, ``text``, ``label``, atomically.

    fastText files hold no ids (a row's id is its row number there). Several labels are a
    list in JSONL and Parquet, several label tokens in fastText, and in CSV/TSV one cell
    joined with ``label_sep`` (a ConfigError without one, or when a label contains it).
    """
    path = Path(path)
    fmt = detect_format(path, fmt)
    if fmt == "lines":
        raise ConfigError("the 'lines' format holds no labels; write csv, tsv, jsonl, parquet or fasttext")
    if fmt == "fasttext":
        return write_fasttext(path, dataset.texts, dataset.labels)
    labels = dataset.labels
    if fmt in ("csv", "tsv"):  # checked before anything is written
        labels = [join_labels(label, label_sep, fmt) for label in labels]
    rows = ({"id": i, "text": t, "label": label} for i, t, label in zip(dataset.ids, dataset.texts, labels))
    return write_records(rows, ["id", "text", "label"], path, fmt)
