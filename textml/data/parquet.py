"""Parquet: read in record batches (only the columns asked for), written from row values.

pyarrow is imported inside the functions, so importing the data layer stays cheap.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from textml.data.rows import ROW, BadRows, Columns, cell_text, resolve_columns
from textml.exceptions import DataError

BATCH_ROWS = 10_000


def open_parquet(path: Path):
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a broken file
        raise DataError(f"{path} is not a readable Parquet file ({exc}); check the file") from None


def column_names(path: Path) -> list[str]:
    return list(open_parquet(path).schema_arrow.names)


def read_parquet(path: Path, columns: Columns, encoding: str, bad: BadRows):
    """(columns used, rows): each row ``(text, label, id, position)``; Parquet has no malformed rows."""
    parquet = open_parquet(path)
    columns = resolve_columns(path, list(parquet.schema_arrow.names), columns)
    wanted = list(dict.fromkeys(c for c in (columns.text, columns.label, columns.id) if c is not None))

    def rows():
        row = 0
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=wanted):
            data = batch.to_pydict()
            n = batch.num_rows
            labels = data[columns.label] if columns.label is not None else [None] * n
            ids = data[columns.id] if columns.id is not None else None
            for i, text in enumerate(data[columns.text]):
                row += 1
                yield cell_text(text), labels[i], str(row) if ids is None else str(ids[i]), row

    return columns, ROW, rows()


def _column(values: list) -> list:
    """Values of one column as Arrow takes them: lists stay lists (all wrapped), dicts become JSON."""
    if any(isinstance(v, (list, tuple)) for v in values):
        return [None if v is None else list(v) if isinstance(v, (list, tuple)) else [v] for v in values]
    if any(isinstance(v, dict) for v in values):
        return [None if v is None else json.dumps(v, ensure_ascii=False, sort_keys=True) for v in values]
    return values


def write_parquet(path: Path, fields: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Write rows of values (one per field) as a Parquet table."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns: list[list] = [[] for _ in fields]
    for values in rows:
        for column, value in zip(columns, values):
            column.append(value)
    pq.write_table(pa.table({f: _column(c) for f, c in zip(fields, columns)}), path)
