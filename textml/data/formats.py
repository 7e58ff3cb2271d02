"""Reading and writing the supported file formats, in chunks.

Formats: CSV, TSV, JSONL, Parquet and fastText lines (``__label__a __label__b some text``).
The format comes from the file extension (``.gz`` allowed for text formats) unless given.
Readers stream: :func:`iter_chunks` yields :class:`Dataset` chunks of at most
``chunk_size`` rows, so files larger than memory can be processed.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from textml.data.dataset import Dataset, Label
from textml.exceptions import ConfigError, DataError
from textml.files import atomic_path

FORMATS = ("csv", "tsv", "jsonl", "parquet", "fasttext", "lines")
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
FASTTEXT_PREFIX = "__label__"
DEFAULT_CHUNK_SIZE = 50_000


@dataclass(frozen=True)
class Columns:
    """Which columns (or JSON fields) hold the text, the label and the id."""

    text: str = "text"
    label: str | None = "label"
    id: str | None = None


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


def open_text(path: Path, encoding: str):
    """Open a text file for reading, decompressing ``.gz`` on the fly (newlines kept as in the file)."""
    if path.suffix.lower() == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding=encoding, newline="")
    return open(path, encoding=encoding, newline="")


def check_exists(path: Path) -> None:
    """Raise a DataError unless ``path`` is an existing file."""
    if not path.exists():
        raise DataError(f"file not found: {path}")
    if path.is_dir():
        raise DataError(f"{path} is a folder, expected a data file")


def _clean_label(value) -> Label:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        labels = tuple(str(v).strip() for v in value if v is not None and str(v).strip())
        if not labels:
            return None
        return labels[0] if len(labels) == 1 else labels
    if isinstance(value, float) and value != value:  # NaN
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    value = str(value).strip()
    return value or None


def cell_text(value) -> str:
    """A text cell as a string: missing values (None, NaN) become the empty text."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value)


def iter_chunks(
    path: str | os.PathLike,
    fmt: str | None = None,
    columns: Columns = Columns(),
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    encoding: str = "utf-8",
) -> Iterator[Dataset]:
    """Yield the file's rows as Dataset chunks of at most ``chunk_size`` rows.

    Rows without an id column get their 1-based row number as id. A label column that is
    missing from the file is an error unless ``columns.label`` is None (unlabelled data).
    Errors name the file and the line (or row) and say what to do.
    """
    path = Path(path)
    check_exists(path)
    fmt = detect_format(path, fmt)
    if chunk_size < 1:
        raise ConfigError("chunk size must be at least 1")
    reader = {
        "csv": _read_delimited,
        "tsv": _read_delimited,
        "jsonl": _read_jsonl,
        "parquet": _read_parquet,
        "fasttext": _read_fasttext,
        "lines": _read_lines,
    }[fmt]
    try:
        for chunk in reader(path, fmt, columns, chunk_size, encoding):
            chunk.source = str(path)
            chunk.meta["format"] = fmt
            yield chunk
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path} is not valid {encoding} text (bad byte at position {exc.start} of a block); "
            f"re-save it as UTF-8 or pass --encoding"
        ) from None


def read_dataset(
    path: str | os.PathLike,
    fmt: str | None = None,
    columns: Columns = Columns(),
    encoding: str = "utf-8",
) -> Dataset:
    """Read a whole file into one Dataset."""
    chunks = list(iter_chunks(path, fmt=fmt, columns=columns, encoding=encoding))
    if not chunks:
        return Dataset([], [], [], source=str(path), meta={"format": detect_format(path, fmt)})
    return Dataset.concat(chunks)


# --- readers -----------------------------------------------------------------------------


def _missing_column(path: Path, kind: str, name: str, present: list[str], option: str) -> DataError:
    shown = ", ".join(map(str, present[:20])) or "(none)"
    return DataError(
        f"{path}: no {kind} column {name!r}; the file has: {shown}; pass {option} to choose one"
    )


def _read_delimited(path, fmt, columns, chunk_size, encoding):
    import pandas as pd

    sep = "," if fmt == "csv" else "\t"
    # keep every cell as text; empty cells stay "" rather than NaN
    try:
        reader = pd.read_csv(
            path,
            sep=sep,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            chunksize=chunk_size,
            encoding=encoding,
            compression="infer",
            quoting=csv.QUOTE_MINIMAL if fmt == "csv" else csv.QUOTE_NONE,
            engine="c",
        )
    except pd.errors.EmptyDataError:
        raise DataError(f"{path} is empty; expected a header line with a {columns.text!r} column") from None
    except pd.errors.ParserError as exc:
        raise parser_error(path, fmt, exc) from None
    start = 0
    with reader:
        while True:
            try:
                frame = next(reader)
            except StopIteration:
                break
            except pd.errors.ParserError as exc:
                raise parser_error(path, fmt, exc) from None
            if start == 0:
                header = [str(c) for c in frame.columns]
                check_columns(path, header, columns)
                columns = with_default_id(columns, header)
            yield _frame_to_dataset(frame, columns, start)
            start += len(frame)


def parser_error(path: Path, fmt: str, exc: Exception) -> DataError:
    """Turn a pandas CSV/TSV parser error into a one-line DataError naming the line and the fix."""
    text = str(exc)
    match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if match:
        expected, line, saw = match.groups()
        hint = "quote fields that contain commas" if fmt == "csv" else "remove stray tab characters"
        return DataError(
            f"{path}: malformed row at line {line}: expected {expected} fields, found {saw}; {hint}"
        )
    match = re.search(r"EOF inside string starting at row (\d+)", text)
    if match:
        return DataError(
            f"{path}: unterminated quote starting at data row {int(match.group(1)) + 1}; "
            f"close the quoted field"
        )
    return DataError(f"{path}: cannot parse as {fmt.upper()}: {text.strip().splitlines()[-1]}")


def check_columns(path: Path, header: list[str], columns: Columns) -> None:
    """Raise a DataError naming the option to use when a requested column is not in ``header``."""
    if columns.text not in header:
        raise _missing_column(path, "text", columns.text, header, "--text-col")
    if columns.label is not None and columns.label not in header:
        raise _missing_column(path, "label", columns.label, header, "--label-col")
    if columns.id is not None and columns.id not in header:
        raise _missing_column(path, "id", columns.id, header, "--id-col")


def with_default_id(columns: Columns, header: list[str]) -> Columns:
    """Use an ``id`` column as the row id when the file has one and none was named."""
    if columns.id is None and "id" in header and columns.text != "id" and columns.label != "id":
        return Columns(text=columns.text, label=columns.label, id="id")
    return columns


def _frame_to_dataset(frame, columns: Columns, start: int) -> Dataset:
    texts = [cell_text(v) for v in frame[columns.text].tolist()]
    n = len(texts)
    if columns.label is not None:
        labels = [_clean_label(v) for v in frame[columns.label].tolist()]
    else:
        labels = [None] * n
    if columns.id is not None:
        ids = [str(v) for v in frame[columns.id].tolist()]
    else:
        ids = [str(start + i + 1) for i in range(n)]
    return Dataset(texts=texts, labels=labels, ids=ids)


def _read_jsonl(path, fmt, columns, chunk_size, encoding):
    texts, labels, ids = [], [], []
    row = 0
    with open_text(path, encoding) as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(
                    f"{path}: line {line_no} is not valid JSON ({exc.msg} at column {exc.colno}); "
                    f"each line must hold one JSON object"
                ) from None
            if not isinstance(record, dict):
                raise DataError(f"{path}: line {line_no} is not a JSON object; each line must hold one")
            row += 1
            if columns.text not in record:
                raise DataError(
                    f"{path}: line {line_no} has no {columns.text!r} field "
                    f"(fields: {', '.join(record)}); pass --text-col to choose one"
                )
            if columns.label is not None and columns.label not in record:
                raise DataError(
                    f"{path}: line {line_no} has no {columns.label!r} field "
                    f"(fields: {', '.join(record)}); pass --label-col to choose one"
                )
            if columns.id is not None and columns.id not in record:
                raise DataError(f"{path}: line {line_no} has no {columns.id!r} field; pass --id-col")
            texts.append(cell_text(record[columns.text]))
            labels.append(_clean_label(record[columns.label]) if columns.label is not None else None)
            if columns.id is not None:
                ids.append(str(record[columns.id]))
            elif "id" in record and columns.text != "id":
                ids.append(str(record["id"]))
            else:
                ids.append(str(row))
            if len(texts) >= chunk_size:
                yield Dataset(texts, labels, ids)
                texts, labels, ids = [], [], []
    if texts:
        yield Dataset(texts, labels, ids)


def _read_parquet(path, fmt, columns, chunk_size, encoding):
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a broken file
        raise DataError(f"{path} is not a readable Parquet file ({exc}); check the file") from None
    header = parquet.schema_arrow.names
    check_columns(path, header, columns)
    columns = with_default_id(columns, header)
    wanted = [c for c in (columns.text, columns.label, columns.id) if c is not None]
    start = 0
    for batch in parquet.iter_batches(batch_size=chunk_size, columns=wanted):
        data = batch.to_pydict()
        texts = [cell_text(v) for v in data[columns.text]]
        n = len(texts)
        labels = [_clean_label(v) for v in data[columns.label]] if columns.label else [None] * n
        ids = (
            [str(v) for v in data[columns.id]] if columns.id else [str(start + i + 1) for i in range(n)]
        )
        start += n
        yield Dataset(texts, labels, ids)


def _read_fasttext(path, fmt, columns, chunk_size, encoding):
    texts, labels, ids = [], [], []
    row = 0
    with open_text(path, encoding) as handle:
        for line_no, line in enumerate(handle, start=1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            row += 1
            tokens = line.split()
            found = []
            while tokens and tokens[0].startswith(FASTTEXT_PREFIX):
                label = tokens.pop(0)[len(FASTTEXT_PREFIX):]
                if label:
                    found.append(label)
            texts.append(" ".join(tokens))
            labels.append(_clean_label(found))
            ids.append(str(row))
            if len(texts) >= chunk_size:
                yield Dataset(texts, labels, ids)
                texts, labels, ids = [], [], []
    if texts:
        yield Dataset(texts, labels, ids)


def _read_lines(path, fmt, columns, chunk_size, encoding):
    """Plain text, one unlabelled text per line (for encoding and prediction)."""
    texts, ids = [], []
    with open_text(path, encoding) as handle:
        for line_no, line in enumerate(handle, start=1):
            texts.append(line.rstrip("\r\n"))
            ids.append(str(line_no))
            if len(texts) >= chunk_size:
                yield Dataset(texts, [None] * len(texts), ids)
                texts, ids = [], []
    if texts:
        yield Dataset(texts, [None] * len(texts), ids)


# --- writers -----------------------------------------------------------------------------


def fasttext_label(label: str) -> str:
    """``label`` as a fastText label token (whitespace becomes ``_``)."""
    # fastText labels are whitespace-delimited tokens
    return FASTTEXT_PREFIX + re.sub(r"\s+", "_", label)


def write_dataset(dataset: Dataset, path: str | os.PathLike, fmt: str | None = None) -> Path:
    """Write ``dataset`` with the standard columns ``id``, ``text``, ``label``, atomically."""
    path = Path(path)
    fmt = detect_format(path, fmt)
    if fmt == "lines":
        raise ConfigError("the 'lines' format holds no labels; write csv, tsv, jsonl, parquet or fasttext")
    multilabel = dataset.is_multilabel
    if multilabel and fmt in ("csv", "tsv"):
        raise ConfigError(
            f"multi-label data cannot be written as {fmt.upper()}; use jsonl, parquet or fasttext"
        )
    with atomic_path(path) as tmp:
        if fmt in ("csv", "tsv"):
            with open(tmp, "w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle, delimiter="," if fmt == "csv" else "\t",
                                    quoting=csv.QUOTE_MINIMAL)
                writer.writerow(["id", "text", "label"])
                for row in zip(dataset.ids, dataset.texts, dataset.labels):
                    text = row[1] if fmt == "csv" else re.sub(r"[\t\r\n]+", " ", row[1])
                    writer.writerow([row[0], text, "" if row[2] is None else row[2]])
        elif fmt == "jsonl":
            with open(tmp, "w", encoding="utf-8") as handle:
                for id_, text, label in zip(dataset.ids, dataset.texts, dataset.labels):
                    value = list(label) if isinstance(label, tuple) else label
                    handle.write(json.dumps({"id": id_, "text": text, "label": value}, ensure_ascii=False))
                    handle.write("\n")
        elif fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            if multilabel:
                label_values = [
                    None if label is None else list(label if isinstance(label, tuple) else (label,))
                    for label in dataset.labels
                ]
            else:
                label_values = list(dataset.labels)
            table = pa.table({"id": dataset.ids, "text": dataset.texts, "label": label_values})
            pq.write_table(table, tmp)
        elif fmt == "fasttext":
            with open(tmp, "w", encoding="utf-8") as handle:
                for text, label in zip(dataset.texts, dataset.labels):
                    if label is None:
                        raise DataError("fastText files need a label on every row; drop unlabelled rows first")
                    tags = " ".join(fasttext_label(l) for l in (label if isinstance(label, tuple) else (label,)))
                    handle.write(f"{tags} {' '.join(text.split())}\n")
    return path


def extension_for(fmt: str) -> str:
    return {"csv": ".csv", "tsv": ".tsv", "jsonl": ".jsonl", "parquet": ".parquet", "fasttext": ".txt"}[fmt]
