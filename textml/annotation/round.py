"""``textml annotate round``: one retraining round from one command.

1. **Champion**: the version the alias (``champion``) of registered model NAME points at, and
   the run spec (``run.toml``) of the run that trained it: its exact recipe.
2. **Pull** the project's annotations with the usual vote rules (:mod:`~textml.annotation.votes`:
   majority label, ties left out, ``min_annotators``).
3. **Merge** them into a NEW version of the training file,
   ``rounds/<stem>.<model>.<project>.round<N><ext>`` beside it: rows of the training file the
   annotators relabelled get the new label (the merge rules of :mod:`~textml.annotation.merge`),
   annotated texts it lacks are appended. Texts that are in
   dev or test are never added (they are the evaluation data, which stay fixed). The file is
   written with the columns the recipe reads, in the training file's format.
4. **Retrain** the champion's recipe with only the training file swapped (same pipeline,
   params, seed, dev and metric): a ``train`` run, registered as a new version of NAME.
5. **Evaluate** challenger vs champion on the same dev rows with the paired bootstrap
   (:func:`textml.experiments.evaluate.evaluate`).
6. **Decide**: the challenger becomes the champion only if it is better beyond the interval
   (the whole interval of the difference is on the better side); otherwise it gets the alias
   ``challenger`` and the report says why.
7. **Log** the round as an MLflow run of the champion's experiment: project, round number, the
   training file before and after (paths, sha256), dev's sha256, both versions, the runs of
   the retraining and the evaluation, the scores, the interval and the decision.

**Nothing half-done**: the new training file is the only file written; if anything fails
before the aliases move (a bad annotation, a failed fit, Ctrl-C), it is removed again and no
alias has changed. The alias moves last, inside the round's run. ``dry_run`` does steps 1-3
without writing anything and says what the round would do.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from textml.annotation.keys import key_kind, key_value, text_key
from textml.exceptions import ConfigError

CHAMPION, CHALLENGER = "champion", "challenger"
ROUNDS_DIR = "rounds"  # beside the training file: a `train.*` next to it would be a second train file
ROUND_TAG = "textml.round"
PROMOTED, KEPT, NOTHING, DRY_RUN = "promoted", "kept champion", "nothing to learn", "dry run"


@dataclass
class RoundReport:
    project: str
    model_name: str
    round: int
    decision: str
    reason: str
    champion_version: str
    champion_run_id: str
    pulled: int = 0  # resolved annotated tasks
    added: int = 0  # new training rows
    relabelled: int = 0  # training rows whose label changed
    confirmed: int = 0  # training rows the annotators confirmed
    in_eval: int = 0  # annotated texts that are dev/test rows: not added
    conflicting: int = 0
    ties: int = 0
    train_before: str = ""
    train_after: str | None = None
    train_before_sha256: str = ""
    train_after_sha256: str | None = None
    train_rows_before: int = 0
    train_rows_after: int = 0
    dev: str = ""
    dev_sha256: str = ""
    challenger_version: str | None = None
    challenger_run_id: str | None = None
    metric: str | None = None
    champion_score: float | None = None
    challenger_score: float | None = None
    difference: float | None = None
    ci: list = field(default_factory=list)
    confidence: float = 0.95
    evaluate_run_id: str | None = None
    round_run_id: str | None = None
    aliases: dict = field(default_factory=dict)  # alias -> version after the round
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class _Plan:
    """What a round would write: the rows of the new training file and the counts."""

    rows: list  # dicts with the recipe's columns
    fields: list
    fmt: str
    added: int
    relabelled: int
    confirmed: int
    in_eval: int
    conflicting: int


def _index(dataset, has_ids: bool) -> tuple[dict, dict]:
    by_id: dict = {}
    by_text: dict = {}
    for i, (source_id, text) in enumerate(zip(dataset.ids, dataset.texts)):
        if has_ids:
            by_id.setdefault(str(source_id), []).append(i)
        by_text.setdefault(text_key(text), []).append(i)
    return by_id, by_text


def _hits(row: dict, by_id: dict, by_text: dict, text_field: str = "text") -> list[int]:
    key = row["key"]
    found = by_id.get(key_value(key), []) if key_kind(key) == "id" else []
    return found or by_text.get(text_key(row[text_field]), [])


def _round_number(name: str, project: str, tracking_uri: str | None) -> int:
    """1 + the highest round of this model and project that finished (failed rounds do not count)."""
    from textml.tracking import use_mlflow

    mlflow = use_mlflow(tracking_uri)
    runs = mlflow.search_runs(search_all_experiments=True, output_format="list",
                              filter_string=f"tags.`{ROUND_TAG}.model` = '{_quote(name)}' and "
                                            f"tags.`{ROUND_TAG}.project` = '{_quote(project)}' and "
                                            f"attributes.status = 'FINISHED'")
    numbers = [int(r.data.tags.get(f"{ROUND_TAG}.number", 0)) for r in runs]
    return max(numbers, default=0) + 1


def _quote(text: str) -> str:
    return str(text).replace("'", "\\'")


def _champion(name: str, alias: str, tracking_uri: str | None) -> tuple[str, str]:
    """(version, run id) the alias points at."""
    from textml.tracking.registry import list_models

    (model,) = list_models(name, tracking_uri)
    version = model["aliases"].get(alias)
    if version is None:
        raise ConfigError(f"registered model {name!r} has no alias {alias!r}; point it at a version first: "
                          f"`textml models promote {name} {alias} VERSION`")
    run_id = next(v["run_id"] for v in model["versions"] if v["version"] == version)
    return version, run_id


def _recipe(run_id: str, tracking_uri: str | None):
    from textml.experiments.spec import SPEC_FILE, RunSpec
    from textml.tracking import read_run_text

    spec = RunSpec.from_toml(read_run_text(run_id, SPEC_FILE, tracking_uri), f"{SPEC_FILE} of run {run_id}")
    if spec.command != "train":
        raise ConfigError(f"the champion's run {run_id} is a {spec.command!r} run; a round retrains a `train` "
                          f"recipe (register the model of a train or compare run)")
    return spec


def _plan(split, pulled: list[dict], allow_new_labels: bool) -> _Plan:
    from textml.annotation.merge import plan_merge
    from textml.data.formats import detect_format

    train = split.train
    columns = split.columns
    has_ids = train.meta["columns"].id is not None
    path = split.paths["train"]
    fmt = detect_format(path, split.fmt)
    eval_index = []
    for name in ("dev", "test"):
        if name in split.paths:
            data = split.dev if name == "dev" else split.read_test()
            eval_index.append(_index(data, data.meta["columns"].id is not None))
    train_index = _index(train, has_ids)
    in_eval, matched, new = 0, [], []
    for row in pulled:
        if any(_hits(row, *index) for index in eval_index):
            in_eval += 1
        elif _hits(row, *train_index):
            matched.append(row)
        else:
            new.append(row)
    unused = Path(path).with_name(".textml-round-unused")
    plan = plan_merge(matched + new, path, train, has_ids, unused, unused, columns, split.fmt, split.encoding,
                      allow_new_labels)
    id_col = columns.id or "id"
    fields = [id_col, columns.text, columns.label] if fmt != "fasttext" else ["text", "label"]
    rows = []
    for i, (source_id, text, label) in enumerate(zip(train.ids, train.texts, train.labels)):
        rows.append({id_col: source_id, columns.text: text, columns.label: plan.changes.get(i, label)})
    known = {label for value in train.labels for label in (value if isinstance(value, tuple) else (value,))}
    unknown = sorted({label for row in new for label in (row["label"] if isinstance(row["label"], tuple)
                                                        else (row["label"],))} - known)
    if unknown and not allow_new_labels:
        shown = ", ".join(repr(x) for x in unknown[:10])
        raise ConfigError(f"the annotations use label(s) {shown} that {Path(path).name} does not know; check the "
                          f"project's labels, or pass --allow-new-labels to add them to the training data")
    seen = set()
    for row in new:
        key = text_key(row["text"])
        if key in seen:  # two tasks with the same text: one training row
            continue
        seen.add(key)
        source_id = key_value(row["key"]) if key_kind(row["key"]) == "id" else f"task-{row['task_id']}"
        rows.append({id_col: source_id, columns.text: row["text"], columns.label: row["label"]})
    return _Plan(rows, fields, fmt, added=len(seen), relabelled=plan.report.changed, confirmed=plan.report.confirmed,
                 in_eval=in_eval, conflicting=plan.report.conflicting)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")[:40] or "x"


def _version_path(train_path: Path, name: str, project: str, number: int) -> Path:
    """``rounds/<stem>.<model>.<project>.round<N><ext>``: rounds of several models or projects
    on the same training file never collide."""
    file = train_path.name
    gz = ".gz" if file.lower().endswith(".gz") else ""
    base = Path(file[: -len(gz)] if gz else file)
    return train_path.parent / ROUNDS_DIR / f"{base.stem}.{_slug(name)}.{_slug(project)}.round{number}{base.suffix}{gz}"


def _write(plan: _Plan, path: Path) -> None:
    from textml.data.formats import write_fasttext, write_records
    from textml.files import atomic_path

    if plan.fmt == "fasttext":
        write_fasttext(path, [r["text"] for r in plan.rows], [r["label"] for r in plan.rows])
        return
    with atomic_path(path) as tmp:
        write_records(plan.rows, plan.fields, path, plan.fmt, tmp=tmp)


def _retrain(spec, progress, tags: dict):
    """The champion's recipe on the new training file: a train run (the unit a test can stop)."""
    from textml.experiments.rerun import run_spec

    return run_spec(spec, progress, tags=tags)


def run_round(
    project: str | int,
    name: str,
    *,
    alias: str = CHAMPION,
    url: str | None = None,
    api_key: str | None = None,
    connection=None,
    tracking_uri: str | None = None,
    min_annotators: int = 1,
    allow_new_labels: bool = False,
    confidence: float = 0.95,
    resamples: int = 1000,
    dry_run: bool = False,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
) -> RoundReport:
    """One round for registered model ``name`` and Label Studio ``project`` (see the module doc)."""
    from textml.annotation.client import connect
    from textml.annotation.pull import resolved_rows
    from textml.experiments.spec import TrackingSpec
    from textml.files import sha256_file
    from textml.tracking import resolve_uri

    started = time.monotonic()
    say = progress or (lambda message: None)
    uri = resolve_uri(tracking_uri)
    champion_version, champion_run = _champion(name, alias, uri)
    spec = _recipe(champion_run, uri)
    split = spec.data.load()
    train_path = Path(split.paths["train"]).resolve()
    dev_path = Path(split.paths["dev"]).resolve()
    conn = connection or connect(url, api_key)
    found, pulled, counts = resolved_rows(conn, project, min_annotators)
    project_title = found.title
    number = _round_number(name, project_title, uri)
    report = RoundReport(project=project_title, model_name=name, round=number, decision=DRY_RUN, reason="",
                         champion_version=champion_version, champion_run_id=champion_run, pulled=len(pulled),
                         ties=counts["ties"], train_before=str(train_path), train_before_sha256=sha256_file(train_path),
                         train_rows_before=len(split.train), dev=str(dev_path), dev_sha256=sha256_file(dev_path),
                         confidence=confidence, aliases={alias: champion_version})
    say(f"round {number}: {name}@{alias} is v{champion_version} (run {champion_run[:8]}); {len(pulled):,} resolved "
        f"annotated tasks in project {project_title!r}")
    plan = _plan(split, pulled, allow_new_labels)
    report.added, report.relabelled, report.confirmed = plan.added, plan.relabelled, plan.confirmed
    report.in_eval, report.conflicting, report.train_rows_after = plan.in_eval, plan.conflicting, len(plan.rows)
    new_path = _version_path(train_path, name, project_title, number)
    report.train_after = str(new_path)
    if not plan.added and not plan.relabelled:
        report.decision, report.train_after = NOTHING, None
        report.reason = (f"the {len(pulled):,} annotated tasks add no training row and change no label "
                         f"(annotate more, then run the round again)")
        report.seconds = round(time.monotonic() - started, 2)
        return report
    if dry_run:
        report.reason = (f"would write {new_path} ({len(plan.rows):,} rows), retrain {spec.model.name} with the "
                         f"champion's recipe, and compare it with v{champion_version} on {dev_path.name}")
        report.seconds = round(time.monotonic() - started, 2)
        return report
    if new_path.exists() and not force:
        raise ConfigError(f"{new_path} already exists (left by an earlier round {number}?); pass --force to "
                          f"replace it")

    lineage = {f"{ROUND_TAG}.project": project_title, f"{ROUND_TAG}.number": number, f"{ROUND_TAG}.model": name,
               f"{ROUND_TAG}.champion_version": champion_version}
    existed = new_path.exists()
    try:
        _write(plan, new_path)
        report.train_after_sha256 = sha256_file(new_path)
        data = dataclasses.replace(spec.data.resolved(), split=None, train=str(new_path), dev=str(dev_path),
                                   test=str(split.paths["test"]) if "test" in split.paths else None,
                                   text_col=split.columns.text, label_col=split.columns.label,
                                   id_col=split.columns.id)
        recipe = spec.replace(data=data, tracking=TrackingSpec(uri, spec.tracking.experiment),
                              settings={**spec.settings, "final": False})
        say(f"round {number}: wrote {new_path} ({plan.added:,} rows added, {plan.relabelled:,} relabelled); "
            f"retraining {spec.model.name} ...")
        trained = _retrain(recipe, progress, {**lineage, f"{ROUND_TAG}.role": "challenger"})
        report.challenger_run_id = trained.run_id
        _decide(report, recipe, name, alias, uri, confidence, resamples, progress, lineage)
    except BaseException:
        if not existed:
            new_path.unlink(missing_ok=True)
        raise
    report.seconds = round(time.monotonic() - started, 2)
    return report


def _decide(report: RoundReport, recipe, name: str, alias: str, uri: str, confidence: float, resamples: int,
            progress, lineage: dict) -> None:
    """Register the challenger, compare it with the champion, log the round, move the alias (last)."""
    from textml.experiments.evaluate import evaluate
    from textml.tracking import Tracker
    from textml.tracking.registry import promote, register

    say = progress or (lambda message: None)
    registered = register(report.challenger_run_id, name, uri)
    report.challenger_version = registered["version"]
    challenger_ref = f"models:/{name}/{report.challenger_version}"
    champion_ref = f"models:/{name}/{report.champion_version}"  # pinned: the alias could move meanwhile
    judged = evaluate(recipe.replace(command="evaluate", settings={
        "model": challenger_ref, "against": champion_ref, "resamples": resamples, "confidence": confidence}),
        progress, tags={**lineage, f"{ROUND_TAG}.role": "evaluation"})
    diff = judged.difference
    metric = judged.choice.name
    report.metric, report.evaluate_run_id = metric, judged.run_id
    report.challenger_score = judged.models[0].metrics[metric]
    report.champion_score = judged.models[1].metrics[metric]
    report.difference, report.ci = diff.value, [diff.ci[0], diff.ci[1]]
    better = diff.ci[0] > 0 if judged.choice.greater_is_better else diff.ci[1] < 0
    interval = f"[{diff.ci[0]:+.4f}, {diff.ci[1]:+.4f}]"
    if better:
        report.decision, target = PROMOTED, alias
        report.reason = (f"dev {metric} {report.champion_score:.4f} -> {report.challenger_score:.4f} "
                         f"({diff.value:+.4f}, {confidence:.0%} interval {interval} above 0)")
    else:
        report.decision, target = KEPT, CHALLENGER
        side = "includes 0" if diff.contains_zero else "is on the worse side"
        report.reason = (f"dev {metric} {report.champion_score:.4f} -> {report.challenger_score:.4f} "
                         f"({diff.value:+.4f}); the {confidence:.0%} interval {interval} {side}: not better "
                         f"beyond the interval, so v{report.challenger_version} is `{CHALLENGER}`")
    report.aliases = {alias: report.challenger_version if better else report.champion_version}
    if not better:
        report.aliases[CHALLENGER] = report.challenger_version

    tracker = Tracker(recipe.tracking.experiment or Path(report.train_before).parent.name, uri)
    tags = {**lineage, f"{ROUND_TAG}.decision": report.decision,
            f"{ROUND_TAG}.challenger_version": report.challenger_version,
            f"{ROUND_TAG}.challenger_run_id": report.challenger_run_id,
            f"{ROUND_TAG}.champion_run_id": report.champion_run_id,
            f"{ROUND_TAG}.evaluate_run_id": report.evaluate_run_id,
            "data.train_before_sha256": report.train_before_sha256, "data.train_sha256": report.train_after_sha256,
            "data.dev_sha256": report.dev_sha256, "textml.command": "annotate round"}
    with tracker.run(f"annotate round {report.round} ({report.project})", tags=tags) as run_id:
        report.round_run_id = run_id
        tracker.log_params({"project": report.project, "model_name": name, "alias": alias, "round": report.round,
                            "train_before": report.train_before, "train_after": report.train_after,
                            "dev": report.dev, "confidence": confidence, "resamples": resamples})
        tracker.log_metrics({"pulled": report.pulled, "added": report.added, "relabelled": report.relabelled,
                             "in_eval": report.in_eval, "train_rows_before": report.train_rows_before,
                             "train_rows_after": report.train_rows_after, f"champion_dev_{metric}":
                             report.champion_score, f"challenger_dev_{metric}": report.challenger_score,
                             "diff_ci_low": diff.ci[0], "diff_ci_high": diff.ci[1], "difference": diff.value})
        tracker.log_dict(report.to_dict(), "round/round.json")
        say(f"round {report.round}: {report.decision}: {report.reason}")
        promote(name, target, report.challenger_version, uri)  # last: everything before it can fail safely
