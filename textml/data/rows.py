"""What every reader yields: chunks of rows that know where in the file they came from.

Each format's reader (:mod:`textml.data.delimited`, :mod:`~textml.data.jsonl`,
:mod:`~textml.data.parquet`, :mod:`~textml.data.lines`) turns a file into
:class:`RowChunk` objects, and hands every malformed row to one :class:`BadRows` policy,
which either stops with a :class:`DataError` naming the file and line or leaves the row
out and notes it. So "which row is bad and why" is decided the same way for every format
and every command.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from textml.exceptions import DataError

LINE = "line"  # rows located by their line in the file (CSV, TSV, JSONL, fastText, plain lines)
ROW = "row"  # rows located by their position (Parquet)


@dataclass(frozen=True)
class Columns:
    """Which columns (or JSON fields) hold the text, the label and the id.

    ``label_sep`` splits a text label cell into several labels (``a|b`` with ``"|"``), and
    joins them when multi-label data is written to CSV/TSV (see :mod:`textml.data.labels`).
    """

    text: str = "text"
    label: str | None = "label"
    id: str | None = None
    label_sep: str | None = None


@dataclass
class BadRow:
    """A row left out: where it is (``"line 12"``) and why."""

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass
class RowChunk:
    """Consecutive rows of one file, and the malformed rows met while reading them.

    ``lines[i]`` locates row i (its first line, or its position for Parquet; ``unit`` says
    which); ``labels[i]`` is None when the row has no label or labels were not asked for.
    ``columns`` are the columns actually used: ``columns.id`` is None when the ids are row
    numbers. ``missing_spelled`` counts the labels read as missing because they were
    written ``NaN``, ``NA``, ``null``, ``None`` ... (see :mod:`textml.data.labels`).
    """

    texts: list[str]
    labels: list
    ids: list[str]
    lines: Sequence[int]
    unit: str = LINE
    bad: list[BadRow] = field(default_factory=list)
    columns: Columns = Columns()
    missing_spelled: int = 0

    def __len__(self) -> int:
        return len(self.texts)

    def where(self, i: int) -> str:
        return f"{self.unit} {self.lines[i]}"


class BadRows:
    """What a reader does with a malformed row.

    ``skip_bad=True``: leave it out and keep it for the chunk's ``bad`` list.
    ``skip_bad=False``: stop with a DataError that also offers ``--skip-bad``.
    ``skip_bad=None`` (commands without that option): stop with a DataError.
    """

    def __init__(self, path: Path, skip_bad: bool | None = None):
        self.path = path
        self.skip = bool(skip_bad)
        self.offer_skip = skip_bad is False
        self._found: list[BadRow] = []

    def found(self, where: str, problem: str, fix: str) -> None:
        """The row at ``where`` ("line 7") is malformed: ``problem`` says how ("has 3 fields,
        the header has 2"), ``fix`` what the user can do about it."""
        if not self.skip:
            offer = ", or pass --skip-bad to skip such rows" if self.offer_skip else ""
            raise DataError(f"{self.path}: {where} {problem}; {fix}{offer}")
        self._found.append(BadRow(where, f"malformed (it {problem})"))

    def take(self) -> list[BadRow]:
        """The bad rows found since the last call."""
        found, self._found = self._found, []
        return found


def cell_text(value) -> str:
    """A text cell as a string: missing values (None, NaN) become the empty text."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value)


def _missing_column(path: Path, kind: str, name: str, present: list[str], option: str) -> DataError:
    shown = ", ".join(map(str, present[:20])) or "(none)"
    return DataError(f"{path}: no {kind} column {name!r}; the file has: {shown}; pass {option} to choose one")


def resolve_columns(path: Path, names: list[str], columns: Columns) -> Columns:
    """The columns to read from a file with these column names.

    A requested column that is missing is a DataError naming the option to use; an ``id``
    column is used as the row id when the file has one and none was named.
    """
    if columns.text not in names:
        raise _missing_column(path, "text", columns.text, names, "--text-col")
    if columns.label is not None and columns.label not in names:
        raise _missing_column(path, "label", columns.label, names, "--label-col")
    if columns.id is not None and columns.id not in names:
        raise _missing_column(path, "id", columns.id, names, "--id-col")
    if columns.id is None and "id" in names and columns.text != "id" and columns.label != "id":
        return replace(columns, id="id")
    return columns
