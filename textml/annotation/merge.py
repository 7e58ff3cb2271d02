"""Apply curated labels to a training or dev file: a NEW file plus a change log.

The original file is never modified. The merged file is the original with the label of
every row whose key (source id, or text hash; see :mod:`textml.annotation.keys`) has a
resolved, different label replaced; all other columns, rows and the format are kept.
``<merged stem>.changes.csv`` lists each change: key, id, row, text, old label, new label,
votes, agreement and annotators. Rows the annotators confirmed are counted, not logged.

A resolved label the file does not know (a class it has no row of) is refused unless
``allow_new_labels``: adding a class to training data silently is rarely what you want.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from textml.annotation.keys import key_kind, key_value, text_key
from textml.data.formats import Columns, detect_format, read_dataset, rewrite_labels, write_records
from textml.exceptions import AnnotationError, ConfigError

CHANGE_FIELDS = ("key", "id", "row", "text", "old_label", "new_label", "votes", "agreement", "n_annotators",
                 "annotators")


@dataclass
class MergeReport:
    source: str
    out: str
    changes_path: str
    rows: int  # rows in the file
    matched: int  # rows of the file with a resolved pulled label
    changed: int  # ... whose label changed
    confirmed: int  # ... whose label the annotators confirmed
    not_in_file: int  # resolved pulled rows matching no row of the file
    conflicting: int = 0  # rows two tasks gave different labels (left unchanged)
    new_labels: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def default_merge_paths(split_file: str | os.PathLike, merge_out: str | os.PathLike | None = None) -> tuple[Path, Path]:
    """(merged file, change log): ``<stem>.merged<ext>`` and ``<stem>.merged.changes.csv`` by default."""
    source = Path(split_file)
    if merge_out is None:
        name = source.name
        gz = ""
        if name.lower().endswith(".gz"):
            name, gz = name[:-3], name[-3:]
        base = Path(name)
        merged = source.with_name(f"{base.stem}.merged{base.suffix}{gz}")
    else:
        merged = Path(merge_out)
    name = merged.name
    if name.lower().endswith(".gz"):
        name = name[:-3]
    changes = merged.with_name(f"{Path(name).stem}.changes.csv")
    return merged, changes


def _norm(label):
    """Labels compared as sets for multi-label rows; a one-label tuple equals its label."""
    if isinstance(label, tuple):
        return label[0] if len(label) == 1 else tuple(sorted(label))
    return label


def _flat(label) -> tuple:
    if label is None:
        return ()
    return label if isinstance(label, tuple) else (label,)


@dataclass
class MergePlan:
    source: Path
    fmt: str
    encoding: str
    label_col: str
    rows: int
    changes: dict  # row index -> new label
    log: list  # change-log rows
    report: MergeReport
    label_sep: str | None = None  # CSV/TSV multi-label cells


def read_split(split_file, columns: Columns, fmt: str | None, encoding: str):
    """The file to merge into, read as the other commands read it (errors before any network)."""
    if columns.label is None:
        raise ConfigError("merging needs the file's label column; pass --label-col")
    dataset = read_dataset(split_file, fmt=fmt, columns=columns, encoding=encoding)
    return dataset, dataset.meta["columns"].id is not None


def plan_merge(pulled: list[dict], split_file, dataset, has_ids: bool, merged: Path, changes_path: Path,
               columns: Columns, fmt: str | None, encoding: str, allow_new_labels: bool = False) -> MergePlan:
    """Which rows of ``dataset`` (read from ``split_file``) get which pulled label."""
    source = Path(split_file)
    fmt = detect_format(source, fmt)
    resolved = [row for row in pulled if row.get("label") is not None]
    if any(key_kind(r["key"]) == "id" for r in resolved) and not has_ids:
        raise AnnotationError(f"{source.name} has no id column, but the project's tasks are keyed by source id; "
                              f"pass --id-col with the column holding the ids")
    by_id: dict[str, list[int]] = {}
    by_text: dict[str, list[int]] = {}
    for i, source_id in enumerate(dataset.ids):
        if has_ids:
            by_id.setdefault(source_id, []).append(i)
        by_text.setdefault(text_key(dataset.texts[i]), []).append(i)

    proposals: dict[int, list[dict]] = {}
    not_in_file = 0
    for row in resolved:
        kind, value = key_kind(row["key"]), key_value(row["key"])
        hits = by_id.get(value, []) if kind == "id" else by_text.get(row["key"], []) if kind == "text" else []
        if not hits:
            not_in_file += 1
        for i in hits:
            proposals.setdefault(i, []).append(row)

    multilabel_file = dataset.is_multilabel
    known = set()
    for label in dataset.labels:
        known.update(_flat(label))
    changes: dict[int, object] = {}
    log, confirmed, conflicting, new_labels = [], 0, 0, set()
    for i in sorted(proposals):
        rows = proposals[i]
        labels = {_norm(r["label"]) for r in rows}
        if len(labels) > 1:
            conflicting += 1
            continue
        new = labels.pop()
        if isinstance(new, tuple) and not multilabel_file and fmt in ("csv", "tsv") and not columns.label_sep:
            raise AnnotationError(f"row {i + 1} of {source.name} (id {dataset.ids[i]}) was given several labels "
                                  f"({', '.join(new)}) but the file holds one label per row; pass --label-sep "
                                  f"to join them in one cell, or merge multi-label projects into JSONL or Parquet")
        new_labels.update(set(_flat(new)) - known)
        old = _norm(dataset.labels[i])
        if new == old:
            confirmed += 1
            continue
        changes[i] = new
        row = rows[0]
        log.append({"key": row["key"], "id": dataset.ids[i], "row": i + 1, "text": dataset.texts[i],
                    "old_label": old, "new_label": new, "votes": row.get("votes"),
                    "agreement": row.get("agreement"), "n_annotators": row.get("n_annotators"),
                    "annotators": row.get("annotators")})
    if new_labels and not allow_new_labels:
        shown = ", ".join(repr(x) for x in sorted(new_labels)[:10])
        raise AnnotationError(f"the annotations use label(s) {shown} that {source.name} does not know; check the "
                              f"project's labels, or pass --allow-new-labels to add them to the merged file")
    report = MergeReport(source=str(source), out=str(merged), changes_path=str(changes_path), rows=len(dataset),
                         matched=len(proposals), changed=len(changes), confirmed=confirmed,
                         not_in_file=not_in_file, conflicting=conflicting, new_labels=sorted(new_labels))
    return MergePlan(source=source, fmt=fmt, encoding=encoding, label_col=columns.label, rows=len(dataset),
                     changes=changes, log=log, report=report, label_sep=columns.label_sep)


def write_merge(plan: MergePlan, merged_tmp: Path, merged_final: Path, changes_tmp: Path) -> None:
    """Write the merged file and the change log to their temporary paths."""
    rewrite_labels(plan.source, merged_tmp, merged_final, plan.fmt, plan.encoding, plan.label_col, plan.rows,
                   plan.changes, label_sep=plan.label_sep)
    write_records(plan.log, CHANGE_FIELDS, plan.report.changes_path, "csv", tmp=changes_tmp)
