"""`data check`: a report on a labelled file that a person reads at a glance.

Computed in one streaming pass, so it works on files larger than memory (texts are
remembered by a 64-bit hash to find duplicates and conflicts).
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from dataclasses import asdict, dataclass, field

import numpy as np

from textml.data.dataset import MULTILABEL, infer_task
from textml.data.formats import Columns, detect_format, iter_rows

MIN_ROWS_PER_CLASS = 3  # fewer cannot appear in train, dev and test alike
MAX_EXAMPLES = 5  # malformed rows listed in a report


@dataclass
class CheckReport:
    path: str
    format: str
    rows: int
    labelled_rows: int
    task: str
    classes: dict[str, int]
    imbalance_ratio: float | None
    blank_texts: int
    missing_labels: int
    duplicate_rows: int
    conflicting_texts: int
    conflict_examples: list[dict]
    chars: dict[str, float]
    tokens: dict[str, float]
    rare_classes: list[str]
    malformed_rows: int = 0  # left out with skip_bad
    malformed_examples: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict:
        out = asdict(self)
        out["usable"] = self.usable
        return out


def _text_key(text: str) -> bytes:
    return hashlib.blake2b(" ".join(text.split()).encode("utf-8"), digest_size=8).digest()


def _length_stats(values: np.ndarray) -> dict[str, float]:
    if values.size == 0:
        return {"mean": 0.0, "median": 0.0, "p95": 0.0, "max": 0.0}
    return {
        "mean": round(float(values.mean()), 1),
        "median": float(np.median(values)),
        "p95": float(np.percentile(values, 95)),
        "max": float(values.max()),
    }


def check_file(
    path: str | os.PathLike,
    fmt: str | None = None,
    columns: Columns = Columns(),
    encoding: str = "utf-8",
    skip_bad: bool | None = None,
) -> CheckReport:
    """Read ``path`` once and report on its rows, classes and quality problems.

    A malformed row stops the check with a DataError naming its line; with ``skip_bad``
    such rows are left out and counted (see :func:`textml.data.formats.iter_rows`).
    """
    rows = blank = missing = duplicates = 0
    malformed: list[str] = []
    malformed_count = 0
    classes: Counter = Counter()
    first_label: dict[bytes, object] = {}
    first_text: dict[bytes, str] = {}
    conflicts: dict[bytes, set] = {}
    chars: list[np.ndarray] = []
    tokens: list[np.ndarray] = []
    labels_seen: list = []
    detected_format = detect_format(path, fmt)
    for chunk in iter_rows(path, fmt=fmt, columns=columns, encoding=encoding, skip_bad=skip_bad):
        malformed_count += len(chunk.bad)
        malformed.extend(str(b) for b in chunk.bad[:MAX_EXAMPLES - len(malformed)])
        rows += len(chunk)
        chars.append(np.fromiter((len(t) for t in chunk.texts), dtype=np.int64, count=len(chunk)))
        tokens.append(np.fromiter((len(t.split()) for t in chunk.texts), dtype=np.int64, count=len(chunk)))
        for text, label in zip(chunk.texts, chunk.labels):
            if not text.strip():
                blank += 1
                # blank texts are counted once as blank, not as duplicates of each other
                if label is None:
                    missing += 1
                else:
                    classes.update(label if isinstance(label, tuple) else (label,))
                    labels_seen.append(label)
                continue
            if label is None:
                missing += 1
            else:
                classes.update(label if isinstance(label, tuple) else (label,))
                labels_seen.append(label)
            key = _text_key(text)
            if key in first_label:
                duplicates += 1
                previous = first_label[key]
                if label is not None and previous is not None and label != previous:
                    conflicts.setdefault(key, {previous}).add(label)
                elif previous is None:
                    first_label[key] = label
            else:
                first_label[key] = label
                first_text[key] = text
    task = infer_task(labels_seen) if len(classes) >= 2 else "unknown"
    ordered = dict(sorted(classes.items(), key=lambda kv: (-kv[1], kv[0])))
    counts = list(ordered.values())
    imbalance = round(counts[0] / counts[-1], 1) if len(counts) >= 2 else None
    rare = [name for name, count in ordered.items() if count < MIN_ROWS_PER_CLASS]
    examples = [
        {"text": first_text[key], "labels": sorted(str(l) for l in labels)}
        for key, labels in list(conflicts.items())[:5]
    ]
    report = CheckReport(
        path=str(path),
        format=detected_format,
        rows=rows,
        labelled_rows=rows - missing,
        task=task,
        classes=ordered,
        imbalance_ratio=imbalance,
        blank_texts=blank,
        missing_labels=missing,
        duplicate_rows=duplicates,
        conflicting_texts=len(conflicts),
        conflict_examples=examples,
        chars=_length_stats(np.concatenate(chars) if chars else np.array([])),
        tokens=_length_stats(np.concatenate(tokens) if tokens else np.array([])),
        rare_classes=rare,
        malformed_rows=malformed_count,
        malformed_examples=malformed,
    )
    _judge(report)
    return report


def _judge(report: CheckReport) -> None:
    """Fill in problems (data not usable) and warnings (usable, but look at this)."""
    if report.rows == 0:
        report.problems.append("the file has no rows")
        return
    if report.labelled_rows == 0:
        report.problems.append("no row has a label; check --label-col")
    elif len(report.classes) < 2:
        only = next(iter(report.classes))
        report.problems.append(f"only one class ({only!r}); a classifier needs at least two")
    if report.blank_texts == report.rows:
        report.problems.append("every text is blank; check --text-col")
    if report.blank_texts and report.blank_texts < report.rows:
        report.warnings.append(f"{report.blank_texts} blank texts (dropped by `data split`)")
    if report.missing_labels and report.labelled_rows:
        report.warnings.append(f"{report.missing_labels} rows without a label (dropped by `data split`)")
    if report.malformed_rows:
        report.warnings.append(f"{report.malformed_rows} malformed rows left out (first: "
                               f"{report.malformed_examples[0]})")
    if report.duplicate_rows:
        report.warnings.append(
            f"{report.duplicate_rows} repeated texts; split with --dedupe so no text is in two splits"
        )
    if report.conflicting_texts:
        report.warnings.append(f"{report.conflicting_texts} texts carry conflicting labels (label noise)")
    if report.rare_classes:
        report.warnings.append(
            f"{len(report.rare_classes)} classes have fewer than {MIN_ROWS_PER_CLASS} rows "
            f"(kept in train only by `data split`)"
        )
    if report.imbalance_ratio and report.imbalance_ratio >= 20:
        report.warnings.append(
            f"classes are imbalanced ({report.imbalance_ratio}:1); judge models by macro F1, not accuracy"
        )


def format_report(report: CheckReport, bar_width: int = 30, max_classes: int = 40) -> str:
    """The report as plain text with a small bar chart of the classes."""
    lines = [
        f"{report.path} ({report.format})",
        f"  rows            {report.rows:,}",
        f"  task            {report.task}" + (" (rows may carry several labels)" if report.task == MULTILABEL else ""),
        f"  classes         {len(report.classes)}"
        + (f", imbalance {report.imbalance_ratio}:1 (largest / smallest)" if report.imbalance_ratio else ""),
        f"  blank texts     {report.blank_texts:,}",
        f"  missing labels  {report.missing_labels:,}",
        f"  repeated texts  {report.duplicate_rows:,} (same words and order, whitespace ignored)",
        f"  conflicting     {report.conflicting_texts:,} texts with more than one label",
        "  length          chars: mean {mean}, median {median:g}, p95 {p95:g}, max {max:g}".format(**report.chars),
        "                  tokens: mean {mean}, median {median:g}, p95 {p95:g}, max {max:g}".format(**report.tokens),
    ]
    if report.malformed_rows:
        lines.insert(8, f"  malformed rows  {report.malformed_rows:,} left out")
    if report.classes:
        lines.append("")
        lines.append("  class counts")
        total = sum(report.classes.values())
        top = max(report.classes.values())
        width = min(max(len(str(name)) for name in report.classes), 28)
        shown = list(report.classes.items())
        for name, count in shown[:max_classes]:
            bar = "#" * max(1, round(bar_width * count / top))
            lines.append(f"  {str(name)[:width]:<{width}}  {count:>8,}  {100 * count / total:5.1f}%  {bar}")
        if len(shown) > max_classes:
            rest = sum(count for _, count in shown[max_classes:])
            lines.append(f"  ... {len(shown) - max_classes} more classes with {rest:,} rows")
    for example in report.conflict_examples[:3]:
        lines.append(f"  conflict: {example['text'][:60]!r} -> {', '.join(example['labels'])}")
    if report.warnings:
        lines.append("")
        lines.extend(f"  warning: {w}" for w in report.warnings)
    lines.append("")
    if report.usable:
        lines.append("  usable: yes")
    else:
        lines.extend(f"  problem: {p}" for p in report.problems)
        lines.append("  usable: no")
    return "\n".join(lines)
