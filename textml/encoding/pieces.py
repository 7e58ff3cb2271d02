"""Pieces of an input file that the worker processes read and parse themselves.

The main process only *plans*: it reads the header (through the data layer), decides the
columns, and cuts the file into pieces of about ``chunk_size`` rows - byte ranges for the
text formats, runs of row groups for Parquet. Each worker reads its piece's bytes, parses
them, and works on them; no texts or vectors cross process boundaries.

Where a text piece starts is a guess: just after the first line ending at or after its
planned offset. For JSONL, fastText lines, plain lines and TSV (no quoting) every line
ending ends a record, so the guess is always right. A CSV record may span lines inside a
quoted field, so the guess is *verified*: a piece parses its records, keeps those that
start before the next piece's guessed start, and reports where its last record really
ended. A piece starts its work only once its predecessor has reported (a small
``piece-N.json`` in the work folder; parsing is ~10x faster than encoding, so the wait is
short), and if the predecessor ended elsewhere than the guess, the piece parses again from
that true end. Piece 0 starts at the true first record, so by induction the pieces tile the
file exactly, record for record, as one sequential parse would - whatever the quoting.

The report also carries the running counts a piece needs and cannot know alone: the line
number it starts at (for messages), the number of records before it (row-number ids) and
of good rows before it (its rows' offset in a ``.npy`` output).

Rows, ids, line numbers and malformed rows follow :mod:`textml.data` exactly (the tests
compare both, format by format); messages are made by the data layer's ``BadRows``. Inputs
the pieces cannot split - gzip files, encodings in which a newline byte can be part of a
character (UTF-16/32) - are read by the main process through the data layer instead.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from textml.data.formats import Columns, column_names, location_unit
from textml.data.rows import BadRow, BadRows, cell_text, resolve_columns
from textml.data.textfiles import reads_as_gzip
from textml.exceptions import DataError

# Encodings in which a newline byte is always a newline (never inside another character).
_SPLITTABLE = ("utf-8", "utf-8-sig", "ascii", "latin-1", "iso8859", "cp125", "mac-roman", "koi8")
_BOM = codecs.BOM_UTF8
_END_OF_FILE = "\ue000textml: end of file\ue000"  # as the data layer's CSV reader uses it
_SAMPLE_BYTES = 1 << 20
PIECES_AT_LEAST, MIN_PIECE_ROWS = 32, 2000
_LINE_NUMBER = ("the row's line number",)  # the id of a plain line (compared by identity)
_WAIT_FIRST, _WAIT_MAX = 0.0005, 0.02  # seconds between looks for the predecessor's report


def splittable(path: Path, fmt: str, encoding: str) -> bool:
    """Whether workers can read ``path`` in byte ranges (else the main process reads it)."""
    if fmt == "parquet":
        return True
    if reads_as_gzip(path):
        return False
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return False  # the data layer says what is wrong with the encoding
    return name.startswith(_SPLITTABLE)


@dataclass(frozen=True)
class Plan:
    """How a file is cut: each piece's (guessed) start, and what every piece needs to parse."""

    path: str
    fmt: str
    encoding: str
    columns: Columns
    starts: tuple[int, ...]  # byte offsets (text formats) or first row groups (Parquet)
    end: int  # file size, or number of row groups
    names: tuple[str, ...] = ()  # CSV/TSV header
    first_line: int = 1  # line number of the first data line
    group_rows: tuple[int, ...] = ()  # Parquet: rows per row group
    batch_rows: int = 50_000  # rows encoded at once (--chunk-size): bounds a dense piece's memory

    def __len__(self) -> int:
        return len(self.starts)

    def stop(self, index: int) -> int:
        return self.starts[index + 1] if index + 1 < len(self.starts) else self.end

    def base(self) -> dict:
        """The report piece 0 starts from."""
        return {"end": self.starts[0] if self.starts else self.end, "next_line": self.first_line,
                "records": 0, "rows": 0}


def plan_pieces(path: Path, fmt: str, columns: Columns, encoding: str, chunk_size: int) -> Plan:
    """Cut ``path`` into pieces of about ``chunk_size`` rows (reading only its header and a sample)."""
    if fmt == "parquet":
        return _plan_parquet(path, columns, chunk_size)
    names: tuple[str, ...] = ()
    size = path.stat().st_size
    if fmt in ("csv", "tsv"):
        names = tuple(column_names(path, fmt, encoding))  # the data layer's header (and its errors)
        columns = resolve_columns(path, list(names), columns)
        data_start, first_line = _header_end(path, fmt, encoding)
    else:
        if fmt == "jsonl":
            first = column_names(path, fmt, encoding)  # the first object's fields decide the id, as a header
            if columns.id is None and "id" in first and columns.text != "id":
                columns = Columns(text=columns.text, label=None, id="id")
        else:
            columns = Columns(text=columns.text, label=None, id=None)
        data_start, first_line = _bom_length(path), 1
    starts = [data_start]
    with open(path, "rb") as handle:
        handle.seek(data_start)
        sample = handle.read(_SAMPLE_BYTES)
        per_row = max(1.0, len(sample) / max(1, sample.count(b"\n")))
        rows = piece_rows(chunk_size, (size - data_start) / per_row)
        # at least 4 KiB a piece: each piece costs a task, a report and a part file (~1 ms), so a
        # tiny --chunk-size must not make thousands of pieces of a few rows
        step = max(4096, int(per_row * rows))
        target = data_start + step
        while target < size:
            start = _next_line_start(handle, target)
            if start >= size:
                break
            if start > starts[-1]:
                starts.append(start)
            target = max(start, target) + step
    if data_start >= size:
        starts = []
    if codecs.lookup(encoding).name == "utf-8-sig":
        encoding = "utf-8"  # the BOM is skipped above; a piece must not drop a U+FEFF at its start
    return Plan(str(path), fmt, encoding, columns, tuple(starts), size, names, first_line, batch_rows=chunk_size)


def piece_rows(chunk_size: int, rows: float) -> int:
    """Rows per piece: ``chunk_size``, or less so that a file makes at least PIECES_AT_LEAST pieces.

    The last pieces decide when a job ends: with 50,000-row pieces, 1M rows make 20 pieces and
    one worker finishes alone on the last one while the other idles (~5% of the job on 2
    workers); 32 pieces or more keep that tail small for up to 16 workers. Not smaller than
    MIN_PIECE_ROWS, where the per-piece cost (~1 ms) would show. It depends on the file alone,
    never on --n-jobs, so a --resume with other workers finds the same pieces.
    """
    return max(1, min(chunk_size, max(MIN_PIECE_ROWS, int(rows / PIECES_AT_LEAST))))


def _plan_parquet(path: Path, columns: Columns, chunk_size: int) -> Plan:
    from textml.data.parquet import open_parquet

    parquet = open_parquet(path)
    columns = resolve_columns(path, list(parquet.schema_arrow.names), columns)
    rows = tuple(parquet.metadata.row_group(g).num_rows for g in range(parquet.num_row_groups))
    starts, per_piece = [], piece_rows(chunk_size, sum(rows))
    taken = per_piece
    for group, n in enumerate(rows):
        if taken >= per_piece:
            starts.append(group)
            taken = 0
        taken += n
    return Plan(str(path), "parquet", "", columns, tuple(starts), len(rows), group_rows=rows, batch_rows=chunk_size)


def _bom_length(path: Path) -> int:
    with open(path, "rb") as handle:
        return len(_BOM) if handle.read(len(_BOM)) == _BOM else 0


def _next_line_start(handle, offset: int) -> int:
    """The offset just after the first line ending (\\n, \\r\\n or \\r) at or after ``offset - 1``."""
    handle.seek(max(0, offset - 1))
    while True:
        block = handle.read(1 << 16)
        if not block:
            return handle.tell()
        at = min((i for i in (block.find(b"\n"), block.find(b"\r")) if i >= 0), default=-1)
        if at < 0:
            continue
        position = handle.tell() - len(block) + at + 1
        if block[at:at + 1] == b"\r":
            handle.seek(position)
            if handle.read(1) == b"\n":
                position += 1
        return position


def _header_end(path: Path, fmt: str, encoding: str) -> tuple[int, int]:
    """(byte offset, line number) where the data records of a CSV/TSV file start (after the header)."""
    from textml.data.delimited import dialect

    skip = _bom_length(path)
    lengths, lines = [], []
    with open(path, "rb") as handle:
        handle.seek(skip)
        for raw in _raw_lines(handle):
            lengths.append(len(raw))
            lines.append(raw.decode(encoding, "surrogateescape"))
            if len(lines) % 64:
                continue
            found = _first_record_end(lines, fmt, dialect)
            if found is not None:
                return skip + sum(lengths[:found]), found + 1
    found = _first_record_end(lines + [_END_OF_FILE], fmt, dialect)
    end = len(lines) if found is None else min(found, len(lines))
    return skip + sum(lengths[:end]), end + 1


def _first_record_end(lines: list[str], fmt: str, dialect) -> int | None:
    """How many lines the first non-blank record (and the blank lines before it) take, if complete."""
    reader = csv.reader(iter(lines), **dialect(fmt))
    try:
        for fields in reader:
            if fields:
                return reader.line_num if reader.line_num < len(lines) or lines[-1] == _END_OF_FILE else None
    except csv.Error:
        return reader.line_num
    return None


def _raw_lines(handle, block_size: int = 1 << 16):
    """Byte lines (with their endings, \\r\\n kept together) from the handle's position to the end."""
    rest = b""
    while True:
        block = handle.read(block_size)
        if not block:
            if rest:
                yield rest
            return
        lines = (rest + block).splitlines(keepends=True)
        rest = lines.pop()
        if rest.endswith(b"\r") or not rest.endswith((b"\n", b"\r")):
            pass  # incomplete (or a \r that a \n may follow): keep for the next block
        else:
            lines.append(rest)
            rest = b""
        yield from lines


# --- parsing one piece --------------------------------------------------------------------


@dataclass
class Parsed:
    """A piece's rows before it knows its place: local line numbers, local record numbers."""

    texts: list[str] = field(default_factory=list)
    ids: list | None = field(default_factory=list)  # an item None: its row number (known once placed);
    # the list None: every row's (a piece of plain records, records == lines == 1..n)
    records: list[int] = field(default_factory=list)  # 1-based record number within the piece
    lines: list[int] = field(default_factory=list)  # 1-based line number within the piece
    events: list[tuple] = field(default_factory=list)  # (local line, kind, details...), in file order
    n_records: int = 0
    n_lines: int = 0  # lines the piece's records (and blank lines) take
    end: int = 0  # where the piece really ended (byte offset, or row group)
    error: tuple | None = None  # (local line, message with {line}): raised once placed


def parse_piece(plan: Plan, index: int, start: int) -> Parsed:
    """Parse the piece ``index`` as if it started at ``start``."""
    stop = plan.stop(index)
    if plan.fmt == "parquet":
        return _parse_parquet(plan, start, stop)
    with open(plan.path, "rb") as handle:
        handle.seek(start)
        raw = handle.read(max(0, stop - start))
        parsed = Parsed(end=max(start, stop))
        if start >= stop:  # the record before swallowed the whole piece (a long quoted field)
            return parsed
        bad_line = None
        try:
            text = raw.decode(plan.encoding)
        except UnicodeDecodeError:
            text = raw.decode(plan.encoding, "surrogateescape")
            bad_line = _first_undecoded(list(io.StringIO(text, newline="")))
        tried = plan.fmt in ("csv", "tsv") and bad_line is None and "\r" not in text
        if tried:
            # only \n line endings: the lines can be counted, and parsed without a list of them first
            n_lines = text.count("\n") + (not text.endswith("\n"))
            source = io.StringIO((text if text.endswith("\n") else text + "\n") + _END_OF_FILE, newline="")
            if _parse_single_lines(source, n_lines, *_delimited_layout(plan), parsed):
                parsed.end, parsed.n_lines = stop, n_lines
                return parsed
        lines = list(io.StringIO(text, newline=""))
        if plan.fmt in ("csv", "tsv"):
            _parse_delimited(plan, lines, handle, stop, parsed, one_call=not tried)
        else:
            parsed.n_lines = len(lines)
            (_parse_jsonl if plan.fmt == "jsonl" else _parse_line_format)(plan, lines, parsed)
        if bad_line is not None and bad_line <= max(parsed.n_lines, 1) and (
                parsed.error is None or parsed.error[0] >= bad_line):
            from textml.data.textfiles import not_decodable

            message = str(not_decodable(Path(plan.path), plan.encoding, 10**12, lines[bad_line - 1]))
            parsed.error = (bad_line, message.replace(f"line {10**12}", "line {line}"))
        return parsed


def _first_undecoded(lines: list[str]) -> int | None:
    for number, line in enumerate(lines, start=1):
        if any("\udc80" <= c <= "\udcff" for c in line):
            return number
    return None


def _parse_delimited(plan: Plan, lines: list[str], handle, stop: int, parsed: Parsed, one_call: bool = True) -> None:
    from textml.data.delimited import MAX_FIELD_CHARS, dialect

    csv.field_size_limit(max(csv.field_size_limit(), MAX_FIELD_CHARS))
    inside = len(lines)
    extra: list[int] = []  # byte lengths of the lines read past the planned stop

    def feed():
        yield from lines
        handle.seek(stop)
        for raw in _raw_lines(handle):
            extra.append(len(raw))
            yield raw.decode(plan.encoding, "surrogateescape")
        yield _END_OF_FILE

    width, text_at, id_at, fix, _ = _delimited_layout(plan)
    if one_call and _parse_single_lines(iter(lines + [_END_OF_FILE]), len(lines), *_delimited_layout(plan), parsed):
        parsed.end, parsed.n_lines = stop, len(lines)
        return
    reader = csv.reader(feed(), **dialect(plan.fmt))
    first = 1
    try:
        for fields in reader:
            if first > inside:
                break  # this record starts at or after the next piece's start
            if fields and fields[-1].endswith(_END_OF_FILE):
                if fields != [_END_OF_FILE]:
                    parsed.error = (first, f"{plan.path}: a quoted field in the row starting at line {{line}} is "
                                           f'never closed; close the quote (a " inside a quoted field is written "")')
                first = inside + len(extra) + 1
                break
            if fields:
                parsed.n_records += 1
                if len(fields) > width:
                    parsed.events.append((first, "malformed", f"has {len(fields)} fields, the header has {width}", fix))
                else:
                    if len(fields) < width:
                        fields += [""] * (width - len(fields))
                    _add(parsed, cell_text(fields[text_at]), None if id_at is None else fields[id_at], first)
            first = reader.line_num + 1
    except csv.Error as exc:
        parsed.error = (reader.line_num, f"{plan.path}: line {{line}} cannot be parsed as {plan.fmt.upper()} ({exc}); "
                                         f"check the quoting around that line")
        first = reader.line_num + 1
    consumed = max(0, first - 1 - inside)
    parsed.end = stop + sum(extra[:consumed])
    parsed.n_lines = first - 1


def _delimited_layout(plan: Plan) -> tuple:
    """(width, text column, id column or None, fix for a malformed row, csv options) of a CSV/TSV plan."""
    from textml.data.delimited import dialect

    names = list(plan.names)
    return (len(names), names.index(plan.columns.text),
            None if plan.columns.id is None else names.index(plan.columns.id),
            "quote fields that contain commas" if plan.fmt == "csv" else "remove stray tab characters",
            dialect(plan.fmt))


def _parse_single_lines(source, n_lines: int, width, text_at, id_at, fix, options, parsed: Parsed) -> bool:
    """Parse a piece in one C call when each of its ``n_lines`` lines is one record (no quoted line breaks).

    ``source`` gives the lines, then the end-of-file marker on a line of its own. The csv
    module gives one result per record, so as many results as lines means no record took
    two lines; the marker coming back alone means none runs past the piece. Otherwise (or
    on a parse error) False, with ``parsed`` untouched: the record-by-record parse decides.
    """
    from textml.data.delimited import MAX_FIELD_CHARS

    csv.field_size_limit(max(csv.field_size_limit(), MAX_FIELD_CHARS))
    try:
        records = list(csv.reader(source, **options))
    except csv.Error:
        return False
    if len(records) != n_lines + 1 or records[-1] != [_END_OF_FILE]:
        return False
    records.pop()
    if all(len(fields) == width for fields in records):
        texts = [fields[text_at] for fields in records]
        if all(texts) and not any(text.isspace() for text in texts):  # every row good: no row-by-row work
            parsed.texts = texts
            parsed.ids = None if id_at is None else [fields[id_at] for fields in records]
            parsed.records = parsed.lines = range(1, len(records) + 1)
            parsed.n_records = len(records)
            return True
    for number, fields in enumerate(records, start=1):
        if not fields:
            continue  # a blank line is not a row
        parsed.n_records += 1
        if len(fields) > width:
            parsed.events.append((number, "malformed", f"has {len(fields)} fields, the header has {width}", fix))
            continue
        if len(fields) < width:
            fields += [""] * (width - len(fields))
        _add(parsed, fields[text_at], None if id_at is None else fields[id_at], number)
    return True


def _add(parsed: Parsed, text: str, id_, line: int) -> None:
    if not text or text.isspace():
        parsed.events.append((line, "blank", "an empty text" if not text else "a blank text", parsed.n_records, id_))
        return
    parsed.texts.append(text)
    parsed.ids.append(id_)
    parsed.records.append(parsed.n_records)
    parsed.lines.append(line)


def _parse_jsonl(plan: Plan, lines: list[str], parsed: Parsed) -> None:
    one = "each line must hold one JSON object"
    columns = plan.columns
    wanted = [(name, option) for name, option in ((columns.text, "--text-col"), (columns.id, "--id-col")) if name]
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        parsed.n_records += 1
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            parsed.events.append((number, "malformed", f"is not valid JSON ({exc.msg} at column {exc.colno})", one))
            continue
        if not isinstance(record, dict):
            parsed.events.append((number, "malformed", "is not a JSON object", one))
            continue
        missing = next(((name, option) for name, option in wanted if name not in record), None)
        if missing is not None:
            parsed.events.append((number, "malformed", f"has no {missing[0]!r} field (fields: {', '.join(record)})",
                                  f"pass {missing[1]} to choose one"))
            continue
        _add(parsed, cell_text(record[columns.text]), None if columns.id is None else str(record[columns.id]), number)


def _parse_line_format(plan: Plan, lines: list[str], parsed: Parsed) -> None:
    from textml.data.lines import FASTTEXT_PREFIX

    for number, line in enumerate(lines, start=1):
        if plan.fmt == "lines":
            parsed.n_records += 1
            _add(parsed, line.rstrip("\r\n"), _LINE_NUMBER, number)
            continue
        if not line.strip():
            continue
        parsed.n_records += 1
        tokens = line.split()
        k = 0
        while k < len(tokens) and tokens[k].startswith(FASTTEXT_PREFIX):
            k += 1
        _add(parsed, " ".join(tokens[k:]), None, number)


def _parse_parquet(plan: Plan, first_group: int, stop: int) -> Parsed:
    from textml.data.parquet import BATCH_ROWS, open_parquet

    parsed = Parsed(end=stop)
    columns = plan.columns
    wanted = list(dict.fromkeys(c for c in (columns.text, columns.id) if c is not None))
    parquet = open_parquet(Path(plan.path))
    for batch in parquet.iter_batches(batch_size=BATCH_ROWS, row_groups=list(range(first_group, stop)),
                                      columns=wanted):
        data = batch.to_pydict()
        ids = data[columns.id] if columns.id is not None else None
        for i, text in enumerate(data[columns.text]):
            parsed.n_records += 1
            _add(parsed, cell_text(text), None if ids is None else str(ids[i]), parsed.n_records)
    parsed.n_lines = parsed.n_records
    return parsed


# --- placing a piece: waiting for its predecessor, global numbers, messages ---------------


def report_path(folder: Path, index: int) -> Path:
    return folder / f"piece-{index:06d}.json"


def publish(folder: Path, index: int, report: dict) -> None:
    tmp = report_path(folder, index).with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report), encoding="utf-8")
    os.replace(tmp, report_path(folder, index))


def wait_for(folder: Path, index: int, plan: Plan, parent: int) -> dict | None:
    """The report of the piece before ``index`` (None if it failed, or the main process is gone)."""
    if index == 0:
        return plan.base()
    path, pause = report_path(folder, index - 1), _WAIT_FIRST
    while True:
        try:
            report = json.loads(path.read_text(encoding="utf-8"))
            return None if report.get("error") else report
        except (OSError, ValueError):
            pass
        if os.getppid() != parent:
            return None
        time.sleep(pause)
        pause = min(pause * 2, _WAIT_MAX)


@dataclass
class Placed:
    """A piece's good rows with their global ids and lines, and its bad rows as messages."""

    texts: list[str]
    ids: list[str]
    bad: list[str]
    n_read: int
    report: dict


def place(plan: Plan, parsed: Parsed, before: dict, skip_bad: bool) -> Placed:
    """Give a parsed piece its global numbers; raise its first problem unless ``skip_bad``."""
    line0, record0 = before["next_line"] - 1, before["records"]
    path = Path(plan.path)
    unit = location_unit(plan.fmt)
    problems = list(parsed.events)
    if parsed.error is not None:
        cut = parsed.error[0]
        problems = [event for event in problems if event[0] < cut]
    bad_rows, bad = BadRows(path, skip_bad), []
    for event in problems:
        where = f"{unit} {line0 + event[0]}"
        if event[1] == "malformed":
            bad_rows.found(where, event[2], event[3])  # raises unless skip_bad, with the data layer's words
            bad.extend(str(b) for b in bad_rows.take())
            continue
        id_ = _id(event[4], event[3], record0, line0 + event[0])
        if not skip_bad:
            raise DataError(f"{path}: {where} (id {id_}) has {event[2]}; fill in or remove that row, "
                            f"or pass --skip-bad to skip such rows")
        bad.append(str(BadRow(where, f"{event[2]} (id {id_})")))
    if parsed.error is not None:
        raise DataError(parsed.error[1].format(line=line0 + parsed.error[0]))
    if parsed.ids is None:  # every row numbered: the fast path of a plain piece
        ids = list(map(str, range(record0 + 1, record0 + len(parsed.texts) + 1)))
    else:
        ids = [_id(i, r, record0, line0 + n) for i, r, n in zip(parsed.ids, parsed.records, parsed.lines)]
    report = {"end": parsed.end, "next_line": line0 + parsed.n_lines + 1,
              "records": record0 + parsed.n_records, "rows": before["rows"] + len(parsed.texts)}
    return Placed(parsed.texts, ids, bad, parsed.n_records, report)


def _id(id_, record: int, record0: int, line: int) -> str:
    if id_ is None:
        return str(record0 + record)
    if id_ is _LINE_NUMBER:
        return str(line)
    return id_
