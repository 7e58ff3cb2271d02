"""`data check`: a report on a labelled file that a person reads at a glance.

Computed in one streaming pass, so it works on files larger than memory (texts are
remembered by a 64-bit hash to find duplicates and conflicts). Besides the rows and their
quality, the report describes the target the way the task needs: class counts with a bar
chart; for multi-label files the labels per row, the label frequencies and the distinct
label sets; for a numeric target its summary, a histogram and the cells that are not
numbers, by line.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from dataclasses import asdict, dataclass, field

import numpy as np

from textml.data.dataset import MULTILABEL, REGRESSION, TASKS, infer_task, numeric_value, task_ambiguity
from textml.data.formats import Columns, check_exists, detect_format, iter_rows
from textml.data.stratify import MIN_ROWS_PER_CLASS
from textml.exceptions import ConfigError

__all__ = ["MIN_ROWS_PER_CLASS", "CheckReport", "check_file", "format_report"]

MAX_EXAMPLES = 5  # malformed rows, missing labels and non-numeric targets listed in a report
HISTOGRAM_BINS = 12  # rows of the target histogram: fits a terminal beside the summary


@dataclass
class CheckReport:
    path: str
    format: str
    rows: int
    labelled_rows: int
    task: str
    classes: dict[str, int]  # rows per class (multi-label: per label); empty for a numeric target
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
    missing_label_examples: list[str] = field(default_factory=list)  # where: "line 7"
    missing_spelled: int = 0  # missing labels written NaN, NA, null, None ...
    task_given: bool = False
    task_note: str | None = None  # numbers read as classes: say so
    multilabel: dict | None = None  # labels per row, distinct label sets, rows without labels
    target: dict | None = None  # numeric target: summary, histogram, non-numeric cells
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


def _comparable(label):
    """A label to compare for conflicts: label sets as sorted tuples (order is not meaning)."""
    return tuple(sorted(label)) if isinstance(label, tuple) else label


def _shown(label) -> str:
    return "|".join(label) if isinstance(label, tuple) else str(label)


class _Pass:
    """What the one pass over the rows accumulates."""

    def __init__(self):
        self.rows = self.blank = self.missing = self.duplicates = self.malformed = self.spelled = 0
        self.malformed_examples: list[str] = []
        self.missing_examples: list[str] = []
        self.classes: Counter = Counter()
        self.first_label: dict[bytes, object] = {}
        self.first_text: dict[bytes, str] = {}
        self.conflicts: dict[bytes, set] = {}
        self.chars: list[np.ndarray] = []
        self.tokens: list[np.ndarray] = []
        self.labels: list = []  # every label present, for the task
        self.cardinality: list[int] = []  # labels per labelled row
        self.sets: set = set()
        self.empty_sets = 0
        self.values: list[float] = []  # the labels as numbers (NaN: not one)
        self.non_numeric = 0
        self.non_numeric_examples: list[str] = []

    def add(self, chunk) -> None:
        self.malformed += len(chunk.bad)
        self.malformed_examples.extend(str(b) for b in chunk.bad[:MAX_EXAMPLES - len(self.malformed_examples)])
        self.spelled += chunk.missing_spelled
        self.rows += len(chunk)
        self.chars.append(np.fromiter((len(t) for t in chunk.texts), dtype=np.int64, count=len(chunk)))
        self.tokens.append(np.fromiter((len(t.split()) for t in chunk.texts), dtype=np.int64, count=len(chunk)))
        for i, (text, label) in enumerate(zip(chunk.texts, chunk.labels)):
            self._label(label, chunk, i)
            if not text.strip():
                self.blank += 1  # blank texts are counted once as blank, not as duplicates of each other
                continue
            key = _text_key(text)
            label = _comparable(label)
            if key in self.first_label:
                self.duplicates += 1
                previous = self.first_label[key]
                if label is not None and previous is not None and label != previous:
                    self.conflicts.setdefault(key, {previous}).add(label)
                elif previous is None:
                    self.first_label[key] = label
            else:
                self.first_label[key] = label
                self.first_text[key] = text

    def _label(self, label, chunk, i: int) -> None:
        if label is None:
            self.missing += 1
            if len(self.missing_examples) < MAX_EXAMPLES:
                self.missing_examples.append(chunk.where(i))
            return
        self.labels.append(label)
        if isinstance(label, tuple):
            self.classes.update(label)
            self.cardinality.append(len(label))
            self.sets.add(_comparable(label))
            self.empty_sets += not label
            self.values.append(np.nan)
            self.non_numeric += 1
            return
        self.classes[label] += 1
        self.cardinality.append(1)
        self.sets.add((label,))
        value = numeric_value(label)
        if value is None:
            self.non_numeric += 1
            if len(self.non_numeric_examples) < MAX_EXAMPLES:
                self.non_numeric_examples.append(f"{chunk.where(i)}: {label[:40]!r}")
            value = np.nan
        self.values.append(value)


def check_file(
    path: str | os.PathLike,
    fmt: str | None = None,
    columns: Columns = Columns(),
    encoding: str = "utf-8",
    skip_bad: bool | None = None,
    task: str | None = None,
) -> CheckReport:
    """Read ``path`` once and report on its rows, its target and quality problems.

    ``task`` (one of :data:`~textml.data.dataset.TASKS`) overrides the task inferred from
    the labels, e.g. ``"regression"`` for numbers that look like class codes. A malformed
    row stops the check with a DataError naming its line; with ``skip_bad`` such rows are
    left out and counted (see :func:`textml.data.formats.iter_rows`).
    """
    if task is not None and task not in TASKS:
        raise ConfigError(f"unknown task {task!r}; choose one of: {', '.join(TASKS)}")
    check_exists(path)
    detected_format = detect_format(path, fmt)
    given = task is not None
    seen = _Pass()
    for chunk in iter_rows(path, fmt=fmt, columns=columns, encoding=encoding, skip_bad=skip_bad):
        seen.add(chunk)
    multilabel = any(isinstance(label, tuple) for label in seen.labels)
    note = None
    if task is None:
        inferred = infer_task(seen.labels)
        task = inferred if len(seen.classes) >= 2 or inferred == MULTILABEL else "unknown"
        note = task_ambiguity(seen.labels) if task != REGRESSION else None
    elif multilabel and task != REGRESSION:
        task = MULTILABEL  # several labels on a row: `data split` and the models read label sets
    regression = task == REGRESSION
    ordered = {} if regression else dict(sorted(seen.classes.items(), key=lambda kv: (-kv[1], kv[0])))
    counts = list(ordered.values())
    report = CheckReport(
        path=str(path),
        format=detected_format,
        rows=seen.rows,
        labelled_rows=seen.rows - seen.missing,
        task=task,
        classes=ordered,
        imbalance_ratio=round(counts[0] / counts[-1], 1) if len(counts) >= 2 else None,
        blank_texts=seen.blank,
        missing_labels=seen.missing,
        duplicate_rows=seen.duplicates,
        conflicting_texts=len(seen.conflicts),
        conflict_examples=[{"text": seen.first_text[key], "labels": sorted(_shown(label) for label in labels)}
                           for key, labels in list(seen.conflicts.items())[:5]],
        chars=_length_stats(np.concatenate(seen.chars) if seen.chars else np.array([])),
        tokens=_length_stats(np.concatenate(seen.tokens) if seen.tokens else np.array([])),
        rare_classes=[name for name, count in ordered.items() if count < MIN_ROWS_PER_CLASS],
        malformed_rows=seen.malformed,
        malformed_examples=seen.malformed_examples,
        missing_label_examples=seen.missing_examples,
        missing_spelled=seen.spelled,
        task_given=given,
        task_note=note,
    )
    if task == MULTILABEL:
        report.multilabel = _label_set_summary(seen)
    if regression:
        report.target = _target_summary(seen)
    _judge(report)
    return report


def _label_set_summary(seen: _Pass) -> dict:
    cardinality = np.array(seen.cardinality, dtype=np.int64)
    return {
        "labels_per_row": {
            "mean": round(float(cardinality.mean()), 2) if cardinality.size else 0.0,
            "median": float(np.median(cardinality)) if cardinality.size else 0.0,
            "max": int(cardinality.max()) if cardinality.size else 0,
        },
        "distinct_label_sets": len(seen.sets),
        "rows_without_labels": seen.empty_sets,
    }


def _target_summary(seen: _Pass) -> dict:
    values = np.array(seen.values, dtype=np.float64)
    values = values[~np.isnan(values)]
    summary: dict = {"numbers": int(values.size), "non_numeric": seen.non_numeric,
                     "non_numeric_examples": seen.non_numeric_examples}
    if not values.size:
        return summary
    counts, edges = np.histogram(values, bins=HISTOGRAM_BINS if values.min() < values.max() else 1)
    summary.update({
        "min": float(values.min()), "median": float(np.median(values)), "max": float(values.max()),
        "mean": round(float(values.mean()), 6), "std": round(float(values.std()), 6),
        "distinct_values": int(np.unique(values).size),
        "histogram": [{"from": float(lo), "to": float(hi), "rows": int(n)}
                      for lo, hi, n in zip(edges[:-1], edges[1:], counts)],
    })
    return summary


def _judge(report: CheckReport) -> None:
    """Fill in problems (data not usable) and warnings (usable, but look at this)."""
    if report.rows == 0:
        report.problems.append("the file has no rows")
        return
    if report.labelled_rows == 0:
        report.problems.append("no row has a label; check --label-col")
    elif report.task == REGRESSION:
        _judge_target(report)
    elif report.task == MULTILABEL:
        if not report.classes:
            report.problems.append("no row has a label: every label list is empty")
        elif len(report.classes) < 2 and not report.multilabel["rows_without_labels"]:
            report.problems.append(f"only one label ({next(iter(report.classes))!r}) and every row has it; "
                                   f"a classifier needs at least two")
    elif len(report.classes) < 2:
        only = next(iter(report.classes))
        report.problems.append(f"only one class ({only!r}); a classifier needs at least two")
    if report.blank_texts == report.rows:
        report.problems.append("every text is blank; check --text-col")
    if report.blank_texts and report.blank_texts < report.rows:
        report.warnings.append(f"{report.blank_texts} blank texts (dropped by `data split`)")
    if report.missing_labels and report.labelled_rows:
        report.warnings.append(f"{report.missing_labels} rows without a label (dropped by `data split`; first: "
                               f"{', '.join(report.missing_label_examples[:3])})")
    if report.missing_spelled:
        report.warnings.append(f"{report.missing_spelled} labels written as NaN, NA, N/A, null or None were read "
                               f"as missing")
    if report.multilabel and report.multilabel["rows_without_labels"]:
        report.warnings.append(f"{report.multilabel['rows_without_labels']} rows have an empty label list (kept by "
                               f"`data split` as rows with none of the labels)")
    if report.malformed_rows:
        report.warnings.append(f"{report.malformed_rows} malformed rows left out (first: "
                               f"{report.malformed_examples[0]})")
    if report.duplicate_rows:
        report.warnings.append(
            f"{report.duplicate_rows} repeated texts; split with --dedupe so no text is in two splits"
        )
    if report.conflicting_texts:
        report.warnings.append(f"{report.conflicting_texts} texts carry conflicting labels (label noise)")
    if report.task_note:
        report.warnings.append(report.task_note)
    if report.task == REGRESSION:
        return
    kind = "labels" if report.task == MULTILABEL else "classes"
    if report.rare_classes:
        report.warnings.append(
            f"{len(report.rare_classes)} {kind} have fewer than {MIN_ROWS_PER_CLASS} rows "
            f"(kept in train only by `data split`)"
        )
    if report.imbalance_ratio and report.imbalance_ratio >= 20:
        report.warnings.append(
            f"{kind} are imbalanced ({report.imbalance_ratio}:1); judge models by macro F1, not accuracy"
        )


def _judge_target(report: CheckReport) -> None:
    target = report.target
    if not target["numbers"]:
        report.problems.append("no label is a number; check --label-col, or drop --task regression")
        return
    if target["non_numeric"]:
        report.problems.append(f"{target['non_numeric']} labels are not numbers (first: "
                               f"{target['non_numeric_examples'][0]}); `data split` refuses them: fix those rows, "
                               f"or drop --task regression")
    if target["min"] == target["max"]:
        report.problems.append(f"every target is {target['min']:g}; a numeric target needs at least two values")


def _bars(rows: list[tuple[str, int]], scale: int, total: int, bar_width: int) -> list[str]:
    """One line per (name, count): the name, the count, its share of ``total`` and a bar."""
    width = min(max((len(name) for name, _ in rows), default=1), 28)
    lines = []
    for name, count in rows:
        bar = "#" * max(1, round(bar_width * count / scale)) if count else ""
        lines.append(f"  {name[:width]:<{width}}  {count:>8,}  {100 * count / max(total, 1):5.1f}%  {bar}")
    return lines


def _number(value: float) -> str:
    return f"{value:.4g}"


def format_report(report: CheckReport, bar_width: int = 30, max_classes: int = 40) -> str:
    """The report as plain text: a bar chart of the classes (or labels), or the target's histogram."""
    regression = report.task == REGRESSION
    task_line = f"  task            {report.task}"
    if report.task == MULTILABEL:
        task_line += " (rows may carry several labels)"
    elif regression:
        task_line += " (numeric target)"
    if report.task_given:
        task_line += ", as given"
    lines = [f"{report.path} ({report.format})", f"  rows            {report.rows:,}", task_line]
    if regression and report.target and report.target["numbers"]:
        t = report.target
        lines.append(f"  target          min {_number(t['min'])}, median {_number(t['median'])}, "
                     f"max {_number(t['max'])}, mean {_number(t['mean'])}, std {_number(t['std'])} "
                     f"({t['numbers']:,} numbers, {t['distinct_values']:,} distinct)")
    if regression and report.target:
        lines.append(f"  not numbers     {report.target['non_numeric']:,}"
                     + (f" (first: {', '.join(report.target['non_numeric_examples'][:3])})"
                        if report.target["non_numeric"] else ""))
    if not regression:
        noun = "labels" if report.task == MULTILABEL else "classes"
        lines.append(f"  {noun:<16}{len(report.classes)}"
                     + (f", imbalance {report.imbalance_ratio}:1 (largest / smallest)" if report.imbalance_ratio else ""))
    if report.multilabel:
        m = report.multilabel
        per = m["labels_per_row"]
        lines.append(f"  labels per row  mean {per['mean']}, median {per['median']:g}, max {per['max']}")
        lines.append(f"  label sets      {m['distinct_label_sets']:,} distinct")
        lines.append(f"  no labels       {m['rows_without_labels']:,} rows with an empty label list")
    lines += [
        f"  blank texts     {report.blank_texts:,}",
        f"  missing labels  {report.missing_labels:,}"
        + (f" ({report.missing_spelled:,} written NaN, NA, null ...)" if report.missing_spelled else ""),
        f"  repeated texts  {report.duplicate_rows:,} (same words and order, whitespace ignored)",
        f"  conflicting     {report.conflicting_texts:,} texts with more than one "
        + ("value" if regression else "label set" if report.task == MULTILABEL else "label"),
    ]
    if report.malformed_rows:
        lines.append(f"  malformed rows  {report.malformed_rows:,} left out")
    lines += [
        "  length          chars: mean {mean}, median {median:g}, p95 {p95:g}, max {max:g}".format(**report.chars),
        "                  tokens: mean {mean}, median {median:g}, p95 {p95:g}, max {max:g}".format(**report.tokens),
    ]
    if regression and report.target and report.target.get("histogram"):
        histogram = report.target["histogram"]
        lines += ["", "  target histogram"]
        rows = [(f"{_number(b['from'])} to {_number(b['to'])}", b["rows"]) for b in histogram]
        lines += _bars(rows, max(b["rows"] for b in histogram), report.target["numbers"], bar_width)
    if report.classes:
        multilabel = report.task == MULTILABEL
        shown = list(report.classes.items())
        lines += ["", "  label counts (rows per label, % of labelled rows)" if multilabel else "  class counts"]
        total = report.labelled_rows if multilabel else sum(report.classes.values())
        lines += _bars([(str(name), count) for name, count in shown[:max_classes]], shown[0][1], total, bar_width)
        if len(shown) > max_classes:
            rest = sum(count for _, count in shown[max_classes:])
            lines.append(f"  ... {len(shown) - max_classes} more {'labels' if multilabel else 'classes'} with "
                         f"{rest:,} {'label uses' if multilabel else 'rows'}")
    for example in report.conflict_examples[:3]:
        labels = example["labels"]
        more = f" ... ({len(labels)} in all)" if len(labels) > 6 else ""
        lines.append(f"  conflict: {example['text'][:60]!r} -> {', '.join(labels[:6])}{more}")
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
