"""Pull curated labels from Label Studio into a labelled file (and optionally merge them).

One row per annotated task, with the standard columns ``id, text, label`` (so the file
reads with :func:`textml.data.read_dataset` and can be the dev or test file of later
commands) followed by provenance:

=====================  ==============================================================
``key``                the row key (``id:...`` / ``text:...``, see keys.py)
``task_id``            the task's number in Label Studio
``n_annotators``       annotators whose annotation counted
``agreement``          share of them behind the resolved label
``votes``              label -> number of annotators (JSON; ``a|b`` for label sets)
``tie``                true when no label has a majority (see votes.py)
``skipped``            skipped (cancelled) annotations, ignored
``annotators``         their emails (``|``-separated in CSV/TSV, a list in JSONL)
``first_annotated_at``  earliest creation time of the counted annotations (UTC, ISO)
``last_annotated_at``  latest update time of the counted annotations
``source_label``       the row's label when it was pushed
=====================  ==============================================================

Vote and tie rules are in :mod:`textml.annotation.votes`. Multi-label projects write
JSONL or Parquet (labels are lists). Nothing is written unless everything succeeds: the
pulled file, the merged file and its change log appear together or not at all.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from textml.annotation.client import Connection, connect
from textml.annotation.config import LabelSchema, choices_of, parse_config
from textml.annotation.keys import ID_FIELD, KEY_FIELD, LABEL_FIELD
from textml.annotation.votes import agreement_summary, resolve
from textml.data.formats import Columns, detect_format, record_format, write_records
from textml.exceptions import AnnotationError, ConfigError
from textml.files import atomic_path, check_can_write

PULL_FIELDS = ("id", "text", "label", "key", "task_id", "n_annotators", "agreement", "votes", "tie", "skipped",
               "annotators", "first_annotated_at", "last_annotated_at", "source_label")


@dataclass
class PullReport:
    project_id: int
    project_title: str
    out: str
    tasks: int  # tasks with at least one (non-skipped) annotation
    written: int  # rows in the output
    resolved: int  # tasks with a majority label
    ties: int
    ties_written: int
    skipped_only: int  # tasks whose every annotation was skipped
    too_few: int  # tasks with fewer than min_annotators annotators
    annotations: int  # annotations counted (one per annotator and task)
    skipped_annotations: int  # in the whole project
    empty_annotations: int
    agreement: dict = field(default_factory=dict)
    merge: dict | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


def _vote_label(choices: tuple, schema: LabelSchema):
    return choices if schema.multiple else (choices[0] if len(choices) == 1 else choices)


def _display(vote) -> str:
    return "|".join(vote) if isinstance(vote, tuple) else str(vote)


def _annotator(value, emails: dict) -> str:
    if isinstance(value, dict):
        return value.get("email") or str(value.get("id"))
    return emails.get(value, str(value))


def task_rows(tasks: list[dict], schema: LabelSchema, emails: dict, where: str) -> tuple[list[dict], dict]:
    """Resolve each exported task: one row per task that has at least one counted vote, plus counts."""
    rows, unknown = [], []
    counts = {"skipped_only": 0, "skipped_annotations": 0, "empty_annotations": 0, "no_votes": 0}
    offered = set(schema.labels)
    for task in sorted(tasks, key=lambda t: t.get("id", 0)):
        data = task.get("data") or {}
        latest: dict = {}
        skipped = 0
        for ann in task.get("annotations") or []:
            if ann.get("was_cancelled"):
                skipped += 1
                continue
            choices = choices_of(ann.get("result"), schema)
            if not choices:
                counts["empty_annotations"] += 1
                continue
            bad = [c for c in choices if c not in offered]
            if bad:
                unknown.append((task.get("id"), bad))
                continue
            who = _annotator(ann.get("completed_by"), emails)
            stamp = ann.get("updated_at") or ann.get("created_at") or ""
            if who not in latest or stamp >= latest[who][1]:
                latest[who] = (_vote_label(choices, schema), stamp, ann.get("created_at") or stamp)
        counts["skipped_annotations"] += skipped
        if not latest:
            counts["skipped_only" if skipped else "no_votes"] += 1
            continue
        annotators = sorted(latest)
        votes = [latest[w][0] for w in annotators]
        res = resolve(votes)
        source_label = data.get(LABEL_FIELD)
        rows.append({
            "id": str(data.get(ID_FIELD, task.get("id"))),
            "text": str(data.get(schema.text_field, "")),
            "label": res.label,
            "key": str(data.get(KEY_FIELD) or f"task:{task.get('id')}"),
            "task_id": task.get("id"),
            "n_annotators": res.n,
            "agreement": res.agreement,
            "votes": {_display(v): c for v, c in res.counts.items()},
            "tie": res.tie,
            "skipped": skipped,
            "annotators": annotators,
            "first_annotated_at": min(latest[w][2] for w in annotators),
            "last_annotated_at": max(latest[w][1] for w in annotators),
            "source_label": tuple(source_label) if isinstance(source_label, list) else source_label,
            "_votes": votes,
            "_resolution": res,
        })
    if unknown:
        task_id, bad = unknown[0]
        more = f" (and {len(unknown) - 1} more annotations)" if len(unknown) > 1 else ""
        raise AnnotationError(f"{where}: task {task_id} has an annotation with label(s) {', '.join(map(repr, bad))} "
                              f"that the project's labelling config does not offer{more}; fix the annotation or add "
                              f"the label to the config in Label Studio")
    return rows, counts


def resolved_rows(conn: Connection, project: str | int, min_annotators: int = 1) -> tuple[object, list[dict], dict]:
    """(project, rows, counts): every annotated task of ``project`` resolved by the vote rules,
    keeping the tasks with a majority label and at least ``min_annotators`` annotators (what
    ``pull`` writes without ``--keep-ties``). ``counts`` has ``tasks``, ``ties``, ``too_few``."""
    found = conn.require_project(project)
    where = f"project {found.title!r} (number {found.id})"
    schema = parse_config(found.label_config or "", where)
    tasks = conn.export_annotated(found.id)
    rows, counts = task_rows(tasks, schema, conn.user_emails(), where)
    kept = [r for r in rows if r["n_annotators"] >= min_annotators and not r["tie"] and r["label"] is not None]
    counts.update(tasks=len(tasks), ties=sum(1 for r in rows if r["tie"]),
                  too_few=sum(1 for r in rows if r["n_annotators"] < min_annotators))
    return found, kept, counts


def pull_project(
    project: str | int,
    out,
    *,
    url: str | None = None,
    api_key: str | None = None,
    connection: Connection | None = None,
    keep_ties: bool = False,
    min_annotators: int = 1,
    merge_into=None,
    merge_out=None,
    columns: Columns = Columns(),
    fmt: str | None = None,
    encoding: str = "utf-8",
    allow_new_labels: bool = False,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
) -> PullReport:
    """Export the annotated tasks of ``project`` and write one resolved row per task to ``out``.

    With ``merge_into`` (a training or dev file, read with ``columns``/``fmt``/``encoding``),
    also write ``merge_out`` (default ``<stem>.merged<ext>`` beside it) with the resolved
    labels applied by key, and its change log; the original file is untouched.
    """
    from textml.annotation.merge import default_merge_paths, plan_merge, read_split, write_merge

    started = time.monotonic()
    say = progress or (lambda message: None)
    if min_annotators < 1:
        raise ConfigError("--min-annotators must be at least 1")
    out = Path(out)
    out_fmt = record_format(out, "--out")
    check_can_write(out, force)
    split = None
    if merge_into is not None:
        merge_into = Path(merge_into)
        merged, changes_path = default_merge_paths(merge_into, merge_out)
        split_fmt = detect_format(merge_into, fmt)
        if merged.resolve() == merge_into.resolve():
            raise ConfigError(f"--merge-out would overwrite {merge_into}; the original stays untouched: choose "
                              f"another name")
        if detect_format(merged) != split_fmt:
            raise ConfigError(f"--merge-out {merged.name} must have the same format as {merge_into.name} ({split_fmt})")
        if out.resolve() == merge_into.resolve():
            raise ConfigError(f"--out would overwrite {merge_into}, the file to merge into (it stays untouched, "
                              f"even with --force); write the pulled labels to another file")
        if len({out.resolve(), merged.resolve(), changes_path.resolve()}) < 3:
            raise ConfigError("--out, the merged file and its change log must be different files")
        for path in (merged, changes_path):
            check_can_write(path, force)
        split = read_split(merge_into, columns, fmt, encoding)

    conn = connection or connect(url, api_key)
    found = conn.require_project(project)
    where = f"project {found.title!r} (number {found.id})"
    schema = parse_config(found.label_config or "", where)
    if schema.multiple and out_fmt in ("csv", "tsv"):
        raise ConfigError(f"{where} is multi-label: write --out as .jsonl or .parquet (labels are lists)")
    say(f"exporting the annotated tasks of {where} ...")
    tasks = conn.export_annotated(found.id)
    emails = conn.user_emails()
    rows, counts = task_rows(tasks, schema, emails, where)
    counts["skipped_only"] += conn.count_skipped_only(found.id)
    # the export leaves out tasks that were only skipped: the project's counter has them all
    counts["skipped_annotations"] = max(counts["skipped_annotations"],
                                        int(getattr(found, "skipped_annotations_number", None) or 0))

    too_few = [r for r in rows if r["n_annotators"] < min_annotators]
    enough = [r for r in rows if r["n_annotators"] >= min_annotators]
    ties = [r for r in enough if r["tie"]]
    written = [r for r in enough if keep_ties or not r["tie"]]
    summary = agreement_summary([(r["annotators"], r["_votes"], r["_resolution"]) for r in rows])

    plan = None
    if split is not None:
        dataset, has_ids = split
        plan = plan_merge(enough, merge_into, dataset, has_ids, merged, changes_path, columns, fmt, encoding,
                          allow_new_labels)

    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(atomic_path(out))
        write_records(written, PULL_FIELDS, out, out_fmt, tmp=tmp)
        if plan is not None:
            merged_tmp = stack.enter_context(atomic_path(merged))
            changes_tmp = stack.enter_context(atomic_path(changes_path))
            write_merge(plan, merged_tmp, merged, changes_tmp)
    return PullReport(
        project_id=found.id, project_title=found.title, out=str(out), tasks=len(tasks), written=len(written),
        resolved=sum(1 for r in enough if not r["tie"]), ties=len(ties),
        ties_written=len(ties) if keep_ties else 0, skipped_only=counts["skipped_only"], too_few=len(too_few),
        annotations=sum(r["n_annotators"] for r in rows), skipped_annotations=counts["skipped_annotations"],
        empty_annotations=counts["empty_annotations"], agreement=summary,
        merge=plan.report.to_dict() if plan else None, seconds=round(time.monotonic() - started, 2))
