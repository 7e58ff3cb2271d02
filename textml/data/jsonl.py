"""JSON Lines: one JSON object per line. Blank lines are skipped and are not rows.

A line that is not a JSON object, or lacks a field that was asked for, is malformed. The
fields of the first good object decide whether an ``id`` field gives the row ids, as a
header would.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from textml.data.rows import LINE, BadRows, Columns, cell_text
from textml.data.textfiles import nonblank_lines

_ONE_OBJECT = "each line must hold one JSON object"


def _objects(path: Path, encoding: str, bad: BadRows) -> Iterator[tuple[int, dict] | None]:
    """(line, object) of every non-blank line; None for a line that holds no JSON object."""
    for line_no, line in nonblank_lines(path, encoding):
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            bad.found(f"line {line_no}", f"is not valid JSON ({exc.msg} at column {exc.colno})", _ONE_OBJECT)
            yield None
            continue
        if not isinstance(record, dict):
            bad.found(f"line {line_no}", "is not a JSON object", _ONE_OBJECT)
            yield None
            continue
        yield line_no, record


def first_fields(path: Path, encoding: str = "utf-8") -> list[str]:
    """The fields of the file's first JSON object ([] for a file without one)."""
    objects = _objects(path, encoding, BadRows(path))
    try:
        first = next(objects, None)
    finally:
        objects.close()
    return [] if first is None else list(first[1])


def read_jsonl(path: Path, columns: Columns, encoding: str, bad: BadRows):
    """(columns used, rows): each row ``(text, label, id, line)``, or None for a malformed one."""
    objects = _objects(path, encoding, bad)
    before = []  # malformed lines before the first object, still to be counted as rows
    first = None
    for item in objects:
        if item is not None:
            first = item
            break
        before.append(item)
    if (first is not None and columns.id is None and "id" in first[1]
            and columns.text != "id" and columns.label != "id"):
        columns = replace(columns, id="id")
    wanted = [(name, option) for name, option in
              ((columns.text, "--text-col"), (columns.label, "--label-col"), (columns.id, "--id-col")) if name]

    def rows():
        yield from before
        if first is None:
            return
        for row, item in enumerate(itertools.chain([first], objects), start=len(before) + 1):
            if item is None:
                yield None
                continue
            line_no, record = item
            missing = next(((name, option) for name, option in wanted if name not in record), None)
            if missing is not None:
                bad.found(f"line {line_no}", f"has no {missing[0]!r} field (fields: {', '.join(record)})",
                          f"pass {missing[1]} to choose one")
                yield None
                continue
            yield (cell_text(record[columns.text]), None if columns.label is None else record[columns.label],
                   str(row) if columns.id is None else str(record[columns.id]), line_no)

    return columns, LINE, rows()


def _json_value(value):
    return list(value) if isinstance(value, tuple) else value


def _json_default(value):
    """numpy scalars and arrays as plain numbers and lists; anything else as its text."""
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def json_line(record: dict) -> str:
    """``record`` as one JSONL line (non-ASCII kept as is), ending in ``\\n``."""
    return json.dumps(record, ensure_ascii=False, default=_json_default) + "\n"


class JsonlWriter:
    """Writes rows of values as JSON objects with the given fields, one per line."""

    def __init__(self, handle, fields: Sequence[str]):
        self._handle = handle
        self._fields = list(fields)

    def write(self, values: Sequence) -> None:
        self._handle.write(json_line({f: _json_value(v) for f, v in zip(self._fields, values)}))

    def write_many(self, rows) -> None:
        for values in rows:
            self.write(values)
