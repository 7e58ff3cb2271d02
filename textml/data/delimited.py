"""CSV and TSV: one dialect each, shared by every reader and writer.

CSV is comma-separated, with fields quoted by ``"`` when needed (RFC 4180; a quoted
field may span lines). TSV is tab-separated with no quoting at all (a quote is an ordinary
character), so a TSV cell cannot hold a tab or a line break: writers turn those into a
space. The first record is the header; blank lines are skipped and are not rows.

Records are parsed by Python's csv module, which tells how many fields each record has
and on which line it ends. Bad rows are judged from that alone: a record with more fields
than the header is malformed; one with fewer is padded with empty cells (as pandas and
Spark read it: a row whose last cells are missing); a quoted field still open at the end
of the file is an error in every mode, since everything after the quote became that field.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from textml.data.rows import LINE, BadRows, Columns, cell_text, resolve_columns
from textml.data.textfiles import text_lines
from textml.exceptions import DataError

# Fed to the parser after the last line. It comes back as a record of its own when every
# quote was closed, and glued to the end of the last field when one was left open.
_END_OF_FILE = "\ue000textml: end of file\ue000"
# Python's csv refuses fields over 128 KiB by default; allow any plausible text.
MAX_FIELD_CHARS = 1 << 26
_TSV_BREAKS = re.compile(r"[\t\r\n]+")

Record = tuple[int, int, list]  # (row number, first line, fields)


def dialect(fmt: str) -> dict:
    """csv.reader/csv.writer options of ``fmt`` ("csv" or "tsv")."""
    if fmt == "csv":
        return dict(delimiter=",", quotechar='"', quoting=csv.QUOTE_MINIMAL, doublequote=True)
    return dict(delimiter="\t", quoting=csv.QUOTE_NONE, quotechar=None, escapechar=None)


def _records(path: Path, fmt: str, encoding: str) -> Iterator[tuple[int, list[str]]]:
    """(first line, fields) of every non-blank record, the header included."""
    csv.field_size_limit(max(csv.field_size_limit(), MAX_FIELD_CHARS))
    reader = csv.reader(itertools.chain(text_lines(path, encoding), (_END_OF_FILE,)), **dialect(fmt))
    start = 1
    try:
        for fields in reader:
            if fields and fields[-1].endswith(_END_OF_FILE):
                if fields != [_END_OF_FILE]:
                    raise DataError(f"{path}: a quoted field in the row starting at line {start} is never closed; "
                                    f'close the quote (a " inside a quoted field is written "")')
                return
            if fields:
                yield start, fields
            start = reader.line_num + 1
    except csv.Error as exc:
        raise DataError(f"{path}: line {reader.line_num} cannot be parsed as {fmt.upper()} ({exc}); "
                        f"check the quoting around that line") from None


def header(path: Path, fmt: str, encoding: str = "utf-8") -> list[str]:
    """The column names of a CSV/TSV file."""
    records = _records(path, fmt, encoding)
    try:
        first = next(records, None)
    finally:
        records.close()
    if first is None:
        raise DataError(f"{path} is empty; expected a header line naming the columns")
    return first[1]


def open_table(path: Path, fmt: str, encoding: str, bad: BadRows) -> tuple[list[str], Iterator[Record | None]]:
    """The header, and the data records in order; None stands for a malformed one, given to ``bad``."""
    records = _records(path, fmt, encoding)
    first = next(records, None)
    if first is None:
        raise DataError(f"{path} is empty; expected a header line naming the columns")
    return first[1], _data_records(records, len(first[1]), fmt, bad)


def _data_records(records, width: int, fmt: str, bad: BadRows) -> Iterator[Record | None]:
    fix = "quote fields that contain commas" if fmt == "csv" else "remove stray tab characters"
    for row, (line, fields) in enumerate(records, start=1):
        if len(fields) > width:
            bad.found(f"line {line}", f"has {len(fields)} fields, the header has {width}", fix)
            yield None
            continue
        if len(fields) < width:
            fields += [""] * (width - len(fields))
        yield row, line, fields


def read_delimited(path: Path, fmt: str, columns: Columns, encoding: str, bad: BadRows):
    """(columns used, rows): each row ``(text, label, id, line)``, or None for a malformed one."""
    names, records = open_table(path, fmt, encoding, bad)
    columns = resolve_columns(path, names, columns)
    text_at = names.index(columns.text)
    label_at = None if columns.label is None else names.index(columns.label)
    id_at = None if columns.id is None else names.index(columns.id)

    def rows():
        for record in records:
            if record is None:
                yield None
                continue
            row, line, fields = record
            yield (cell_text(fields[text_at]), None if label_at is None else fields[label_at],
                   str(row) if id_at is None else fields[id_at], line)

    return columns, LINE, rows()


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


class DelimitedWriter:
    """Writes rows of values as CSV or TSV that :func:`read_delimited` reads back, ``\\n``-terminated."""

    def __init__(self, handle, fmt: str, fields: Sequence[str]):
        self._tsv = fmt == "tsv"
        self._writer = csv.writer(handle, lineterminator="\n", **dialect(fmt))
        self.write(fields)

    def write(self, values: Sequence) -> None:
        cells = [cell(v) for v in values]
        if self._tsv:  # read back without quoting: no tabs or line breaks inside cells
            cells = [_TSV_BREAKS.sub(" ", c) for c in cells]
        self._writer.writerow(cells)

    def write_many(self, rows: Iterable[Sequence]) -> None:
        for values in rows:
            self.write(values)
