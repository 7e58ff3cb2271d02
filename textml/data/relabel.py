"""Copy a data file with the labels of some rows replaced, keeping everything else.

Rows are counted exactly as :func:`textml.data.formats.read_dataset` counts them (blank
lines are not rows), so row ``i`` of a Dataset read from the file is row ``i`` here.
Other columns and fields are kept, and unchanged lines of JSONL and fastText files are
copied byte for byte.
"""

from __future__ import annotations

import json
from pathlib import Path

from textml.data.delimited import DelimitedWriter, open_table
from textml.data.jsonl import json_line
from textml.data.labels import join_labels
from textml.data.lines import relabel_fasttext_line
from textml.data.rows import BadRows
from textml.data.textfiles import check_exists, nonblank_lines, open_out
from textml.exceptions import ConfigError, DataError


def rewrite_labels(source: Path, tmp: Path, final: Path, fmt: str, encoding: str, label_col: str,
                   rows: int, changes: dict[int, object], label_sep: str | None = None) -> None:
    """Write ``source`` to ``tmp`` (which will become ``final``) with the label of row ``i``
    (0-based) set to ``changes[i]``; ``rows`` is how many rows the file had when it was read.

    In CSV/TSV, several labels are joined with ``label_sep`` (a ConfigError without one)."""
    source, tmp, final = Path(source), Path(tmp), Path(final)
    check_exists(source)
    if fmt in ("csv", "tsv"):
        found = _rewrite_delimited(source, tmp, final, fmt, encoding, label_col, changes, label_sep)
    elif fmt == "jsonl":
        found = _rewrite_lines(source, tmp, final, encoding, changes, lambda line, label: _relabel_json(
            line, label_col, label))
    elif fmt == "fasttext":
        found = _rewrite_lines(source, tmp, final, encoding, changes, relabel_fasttext_line)
    elif fmt == "parquet":
        found = _rewrite_parquet(source, tmp, label_col, changes)
    else:
        raise ConfigError(f"{source} holds no labels ({fmt} format); merge into a labelled file")
    if found != rows:
        raise DataError(f"{source} changed while it was being merged ({found} rows now, {rows} before); "
                        f"run the command again")


def _label_text(label, label_sep: str | None, fmt: str) -> str:
    if isinstance(label, tuple) and not label_sep:
        raise ConfigError("multi-label labels cannot be written to a CSV/TSV file without a label separator; "
                          "pass --label-sep, or merge into a JSONL or Parquet file")
    text = join_labels(label if isinstance(label, tuple) or label is None else str(label), label_sep, fmt)
    return "" if text is None else text


def _rewrite_delimited(source, tmp, final, fmt, encoding, label_col, changes, label_sep=None) -> int:
    names, records = open_table(source, fmt, encoding, BadRows(source))
    position = names.index(label_col)
    done = 0
    with open_out(tmp, final) as out:
        writer = DelimitedWriter(out, fmt, names)
        for _, _, fields in records:
            if done in changes:
                fields[position] = _label_text(changes[done], label_sep, fmt)
            writer.write(fields)
            done += 1
    return done


def _relabel_json(line: str, label_col: str, label) -> str:
    record = json.loads(line)
    record[label_col] = list(label) if isinstance(label, tuple) else label
    return json_line(record)


def _rewrite_lines(source, tmp, final, encoding, changes, relabel) -> int:
    done = 0
    with open_out(tmp, final) as out:
        for _, line in nonblank_lines(source, encoding):
            if done in changes:
                out.write(relabel(line, changes[done]))
            else:
                out.write(line if line.endswith("\n") else line.rstrip("\r") + "\n")
            done += 1
    return done


def _rewrite_parquet(source, tmp, label_col, changes) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(source)
    index = table.schema.get_field_index(label_col)
    old_type = table.schema.field(label_col).type
    values = table.column(label_col).to_pylist()
    for i, label in changes.items():
        if i < len(values):
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
    pq.write_table(table.set_column(index, pa.field(label_col, array.type), array), tmp)
    return table.num_rows


def _type_cast(value, arrow_type):
    import pyarrow as pa

    if pa.types.is_integer(arrow_type):
        return int(value)
    if pa.types.is_floating(arrow_type):
        return float(value)
    if pa.types.is_boolean(arrow_type):
        return {"true": True, "false": False}[str(value).lower()]
    return value
