"""File plumbing the annotation commands need beyond ``textml.data``: a file's column names,
writing rows with extra (provenance) columns, and rewriting only the label column of a file.

Reading rows always goes through :func:`textml.data.read_dataset`, so every format,
encoding and column option behaves exactly as in the other commands. Writing goes
through :func:`textml.files.atomic_path` (the caller holds the temporary path).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
from pathlib import Path
from typing import Sequence

from textml.data.formats import FASTTEXT_PREFIX, fasttext_label, open_text, detect_format
from textml.exceptions import ConfigError, DataError

ROW_FORMATS = ("csv", "tsv", "jsonl", "parquet")


def column_names(path: str | os.PathLike, fmt: str | None = None, encoding: str = "utf-8") -> list[str]:
    """The columns (or the first JSON record's fields) of a data file; [] for fastText/lines."""
    path = Path(path)
    fmt = detect_format(path, fmt)
    if fmt in ("csv", "tsv"):
        import pandas as pd

        try:
            frame = pd.read_csv(path, sep="," if fmt == "csv" else "\t", nrows=0, dtype=str, encoding=encoding,
                                compression="infer",
                                quoting=csv.QUOTE_MINIMAL if fmt == "csv" else csv.QUOTE_NONE)
        except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError, OSError):
            return []  # read_dataset reports the problem properly
        return [str(c) for c in frame.columns]
    if fmt == "jsonl":
        try:
            with open_text(path, encoding) as handle:
                for line in handle:
                    if line.strip():
                        record = json.loads(line)
                        return list(record) if isinstance(record, dict) else []
        except (ValueError, OSError):
            return []
        return []
    if fmt == "parquet":
        try:
            import pyarrow.parquet as pq

            return list(pq.ParquetFile(path).schema_arrow.names)
        except Exception:  # noqa: BLE001 - read_dataset reports a broken file
            return []
    return []


def has_id_column(path, fmt, encoding, columns) -> bool:
    """Whether read_dataset takes the ids from a column (not row numbers)."""
    if columns.id is not None:
        return True
    names = column_names(path, fmt, encoding)
    return "id" in names and columns.text != "id" and columns.label != "id"


def row_format(path: str | os.PathLike, what: str) -> str:
    """The format to write rows with extra columns in: csv, tsv, jsonl or parquet."""
    fmt = detect_format(path)
    if fmt not in ROW_FORMATS:
        raise ConfigError(f"{what} {Path(path).name}: write .csv, .tsv, .jsonl or .parquet (a {fmt} file cannot hold "
                          f"the provenance columns)")
    return fmt


def cell(value) -> str:
    """A value as one CSV/TSV cell: lists joined with '|', dicts as JSON, booleans lower-case."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "|".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _open_out(path: Path, final: Path):
    """A text handle for ``path``; gzip-compressed when the final name ends in .gz."""
    if final.suffix.lower() == ".gz":
        return io.TextIOWrapper(gzip.open(path, "wb"), encoding="utf-8", newline="")
    return open(path, "w", encoding="utf-8", newline="")


def _csv_writer(handle, fmt: str):
    """A writer whose output reads back with read_dataset's options (TSV: no quoting at all)."""
    if fmt == "csv":
        return csv.writer(handle, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    return csv.writer(handle, delimiter="\t", quoting=csv.QUOTE_NONE, quotechar=None, escapechar=None,
                      lineterminator="\n")


def write_rows(rows: Sequence[dict], fields: Sequence[str], tmp: Path, final: Path, fmt: str) -> None:
    """Write dict rows with the given columns to ``tmp`` (which will become ``final``)."""
    if fmt in ("csv", "tsv"):
        with _open_out(tmp, final) as handle:
            writer = _csv_writer(handle, fmt)
            writer.writerow(fields)
            for row in rows:
                cells = [cell(row.get(f)) for f in fields]
                if fmt == "tsv":  # read back with QUOTE_NONE: no tabs or line breaks inside cells
                    cells = [" ".join(c.split()) if any(ch in c for ch in "\t\r\n") else c for c in cells]
                writer.writerow(cells)
    elif fmt == "jsonl":
        with _open_out(tmp, final) as handle:
            for row in rows:
                record = {f: (list(row[f]) if isinstance(row.get(f), tuple) else row.get(f)) for f in fields}
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    elif fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        columns = {}
        for f in fields:
            values = [row.get(f) for row in rows]
            if any(isinstance(v, (list, tuple)) for v in values):
                values = [None if v is None else list(v) if isinstance(v, (list, tuple)) else [v] for v in values]
            elif any(isinstance(v, dict) for v in values):
                values = [None if v is None else json.dumps(v, ensure_ascii=False, sort_keys=True) for v in values]
            columns[f] = values
        pq.write_table(pa.table(columns), tmp)
    else:  # pragma: no cover - row_format() guards this
        raise ConfigError(f"cannot write rows as {fmt}")


# --- rewriting the label column -------------------------------------------------------------


def rewrite_labels(source: Path, tmp: Path, final: Path, fmt: str, encoding: str, label_col: str,
                   rows: int, changes: dict[int, object]) -> None:
    """Copy ``source`` to ``tmp`` with the label of row ``i`` (0-based, in the order
    :func:`textml.data.read_dataset` reads rows) set to ``changes[i]``. Everything else is kept:
    other columns and fields, and unchanged lines of JSONL and fastText files byte for byte."""
    if fmt in ("csv", "tsv"):
        _rewrite_delimited(source, tmp, final, fmt, encoding, label_col, rows, changes)
    elif fmt == "jsonl":
        _rewrite_jsonl(source, tmp, final, encoding, label_col, rows, changes)
    elif fmt == "parquet":
        _rewrite_parquet(source, tmp, label_col, rows, changes)
    elif fmt == "fasttext":
        _rewrite_fasttext(source, tmp, final, encoding, rows, changes)
    else:
        raise ConfigError(f"{source} holds no labels ({fmt} format); merge into a labelled file")


def _check_count(source: Path, found: int, expected: int) -> None:
    if found != expected:
        raise DataError(f"{source} changed while it was being merged ({found} rows now, {expected} before); "
                        f"run the command again")


def _label_text(label) -> str:
    if isinstance(label, tuple):
        raise ConfigError("multi-label labels cannot be written to a CSV/TSV file; merge into a JSONL or Parquet file")
    return "" if label is None else str(label)


def _rewrite_delimited(source, tmp, final, fmt, encoding, label_col, rows, changes):
    import pandas as pd

    sep = "," if fmt == "csv" else "\t"
    frame = pd.read_csv(source, sep=sep, dtype=str, keep_default_na=False, na_filter=False, encoding=encoding,
                        compression="infer", quoting=csv.QUOTE_MINIMAL if fmt == "csv" else csv.QUOTE_NONE,
                        engine="c")
    _check_count(source, len(frame), rows)
    position = frame.columns.get_loc(label_col)
    for i, label in changes.items():
        frame.iat[i, position] = _label_text(label)
    with _open_out(tmp, final) as handle:
        writer = _csv_writer(handle, fmt)
        writer.writerow([str(c) for c in frame.columns])
        writer.writerows(frame.itertuples(index=False, name=None))


def _rewrite_jsonl(source, tmp, final, encoding, label_col, rows, changes):
    done = 0
    with open_text(source, encoding) as inp, _open_out(tmp, final) as out:
        for line in inp:
            if not line.strip():
                continue
            if done in changes:
                record = json.loads(line)
                label = changes[done]
                record[label_col] = list(label) if isinstance(label, tuple) else label
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
            else:
                out.write(line if line.endswith("\n") else line + "\n")
            done += 1
    _check_count(source, done, rows)


def _rewrite_parquet(source, tmp, label_col, rows, changes):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(source)
    _check_count(source, table.num_rows, rows)
    index = table.schema.get_field_index(label_col)
    old_type = table.schema.field(label_col).type
    values = table.column(label_col).to_pylist()
    for i, label in changes.items():
        values[i] = label
    if pa.types.is_list(old_type) or pa.types.is_large_list(old_type) or any(isinstance(v, tuple) for v in values):
        values = [None if v is None else list(v) if isinstance(v, (tuple, list)) else [str(v)] for v in values]
        array = pa.array(values, type=pa.list_(pa.string()))
    elif pa.types.is_string(old_type) or pa.types.is_large_string(old_type):
        array = pa.array([None if v is None else str(v) for v in values], type=old_type)
    else:  # numeric labels: keep the type when the new labels fit it, else strings
        try:
            array = pa.array([None if v is None else (v if i not in changes else _type_cast(v, old_type))
                              for i, v in enumerate(values)], type=old_type)
        except (ValueError, KeyError, pa.ArrowInvalid, pa.ArrowTypeError):
            array = pa.array([None if v is None else str(v) for v in values], type=pa.string())
    table = table.set_column(index, pa.field(label_col, array.type), array)
    pq.write_table(table, tmp)


def _type_cast(value, arrow_type):
    import pyarrow as pa

    if pa.types.is_integer(arrow_type):
        return int(value)
    if pa.types.is_floating(arrow_type):
        return float(value)
    if pa.types.is_boolean(arrow_type):
        return {"true": True, "false": False}[str(value).lower()]
    return value


def _rewrite_fasttext(source, tmp, final, encoding, rows, changes):
    done = 0
    with open_text(source, encoding) as inp, _open_out(tmp, final) as out:
        for raw in inp:
            line = raw.rstrip("\r\n")
            if not line.strip():
                continue
            if done in changes:
                tokens = line.split()
                while tokens and tokens[0].startswith(FASTTEXT_PREFIX):
                    tokens.pop(0)
                label = changes[done]
                tags = " ".join(fasttext_label(x) for x in (label if isinstance(label, tuple) else (label,)) if x)
                out.write(f"{tags} {' '.join(tokens)}\n")
            else:
                out.write(line + "\n")
            done += 1
    _check_count(source, done, rows)
