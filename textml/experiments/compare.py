"""Compare: every registry pipeline on one split, next to dummy baselines, on dev.

The recommendation is the cheapest model (relative latency + relative size) whose primary
metric is within ``tolerance`` points of the best: a slightly weaker model that is cheap
to run and retrain usually wins in production.

With ``n_jobs`` > 1 the pipelines are fitted in worker processes (``parallel.py``) and logged
here as they arrive; ``n_jobs=1`` fits them one after another in this process. With
``tune_top`` K, the K best tunable pipelines are then tuned within ``budget`` minutes
(``budget.py``) and their refitted best params compete as ``NAME tuned`` rows.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from textml.evaluation.metrics import MetricChoice
from textml.exceptions import ConfigError, TrainingError
from textml.experiments.budget import Tuning, check_tuning, search_within, tunable
from textml.experiments.context import Progress, RunContext, blas_threads
from textml.experiments.runner import ModelResult, fit_and_evaluate, log_result
from textml.experiments.spec import RunSpec
from textml.experiments.tune import check_n_jobs, jsonable
from textml.files import atomic_path, check_outputs

OUTPUT_FILES = ("comparison.csv", "comparison.md", "comparison.json", "comparison.png")
ERRORS_IN_UNITS = ("rmse", "mae")  # tolerance is a percentage of the best, not points
SETTINGS = {"models": None, "baselines": True, "tolerance": 1.0, "final": False, "n_jobs": -1,
            "tune_top": None, "budget": None}
TUNED = " tuned"  # suffix of a tuned pipeline's row: "bow-svm tuned"


@dataclass
class CompareResult:
    choice: MetricChoice
    results: list[ModelResult]  # sorted by the primary metric, best first
    recommended: str | None
    parent_run_id: str | None
    experiment: str
    tracking_uri: str
    failures: dict[str, str] = field(default_factory=dict)
    baselines: tuple[str, ...] = ()
    tunings: list[Tuning] = field(default_factory=list)

    @property
    def rows(self) -> list[dict]:
        return [r.row(self.choice.name) for r in self.results]

    def to_json(self) -> dict:
        return {
            "primary_metric": self.choice.name,
            "task": self.choice.task,
            "positive_class": self.choice.positive,
            "recommended": self.recommended,
            "parent_run_id": self.parent_run_id,
            "experiment": self.experiment,
            "tracking_uri": self.tracking_uri,
            "failures": self.failures,
            "baselines": list(self.baselines),
            "models": [
                {"name": r.name, "pipeline": r.name.removesuffix(TUNED), "tuned": r.name.endswith(TUNED),
                 "params": {k: jsonable(v) for k, v in r.params.items()}, "dev": r.dev, "test": r.test,
                 "fit_seconds": r.fit_seconds, "latency_ms_per_1k": r.latency_ms_per_1k,
                 "size_bytes": r.size_bytes, "run_id": r.run_id}
                for r in self.results
            ],
            "tuning": [t.to_json(self.choice.name) for t in self.tunings],
        }


def recommend(results: Sequence[ModelResult], metric: str, tolerance_points: float,
              baselines: Sequence[str] = (), greater_is_better: bool = True) -> str | None:
    """The cheapest non-baseline model within ``tolerance_points`` of the best.

    For a score in [0, 1] (F1, AUC) a point is 0.01; for an error in the target's units
    (RMSE, MAE: lower is better) the tolerance is that percentage of the best error, so
    ``1.0`` means "at most 1% worse than the best RMSE" whatever the units.
    """
    trained = [r for r in results if r.name not in set(baselines)]
    if not trained:
        return None
    sign = 1 if greater_is_better else -1
    best = max(sign * r.dev[metric] for r in trained)
    slack = tolerance_points / 100.0 * (abs(best) if metric in ERRORS_IN_UNITS else 1.0)
    near = [r for r in trained if sign * r.dev[metric] >= best - slack]
    min_latency = max(min(r.latency_ms_per_1k for r in near), 1e-6)
    min_size = max(min(r.size_bytes for r in near), 1)
    return min(near, key=lambda r: (r.latency_ms_per_1k / min_latency + r.size_bytes / min_size,
                                    -sign * r.dev[metric])).name


def pipelines_to_compare(models: Sequence[str] | None, baselines: bool = True, task: str | None = None) -> list[str]:
    """The registry names a compare fits: ``models`` (default: every pipeline serving ``task``)
    with the task's baselines beside them unless ``baselines`` is off. Unknown names, and
    names that do not serve the task, fail before any work."""
    from textml.models.registry import baseline_names, get_spec, model_names

    if models is not None:
        names = [m.strip() for m in models if str(m).strip()]
        if not names:
            raise ConfigError("--models names no pipeline; give registry names such as bow-svm,fasttext "
                              "(see `textml pipelines list`)")
        for name in names:
            spec = get_spec(name)
            if task is not None and not spec.serves(task):
                serving = ", ".join(model_names(task, baselines=False))
                raise ConfigError(f"{name} does not serve {task} data (it serves {', '.join(spec.tasks)}); "
                                  f"pipelines for {task}: {serving}")
        chosen = (baseline_names(task) if baselines else []) + names
    else:
        chosen = model_names(task, baselines=baselines)
    chosen = list(dict.fromkeys(chosen))
    if not baselines and not [n for n in chosen if not get_spec(n).baseline]:
        raise ConfigError("nothing to compare: --no-baselines left no pipeline")
    return chosen


def compare(spec: RunSpec, progress: Progress | None = None, out_dir: str | os.PathLike | None = None,
            force: bool = False, tags: dict | None = None) -> CompareResult:
    """Fit the spec's pipelines (default: every registry entry) on train, score on dev, log to MLflow."""
    from textml.models.registry import get_spec

    settings = {**SETTINGS, **spec.settings}
    tolerance, final = float(settings["tolerance"]), bool(settings["final"])
    if not 0 <= tolerance <= 100:
        raise ConfigError(f"--tolerance must be between 0 and 100 points, got {settings['tolerance']!r}")
    names = pipelines_to_compare(settings["models"], bool(settings["baselines"]))  # names checked before reading data
    n_jobs = check_n_jobs(settings["n_jobs"])
    check_tuning(settings["tune_top"], settings["budget"], sum(not get_spec(n).baseline for n in names))
    taken = {option for name in names for option in get_spec(name).options}
    unused = sorted(set(spec.model.options) - taken)
    if unused:
        raise ConfigError(f"no pipeline in this comparison takes the option {', '.join(unused)}; "
                          f"see `textml pipelines show NAME` for each pipeline's options")
    if out_dir is not None:
        check_outputs(out_dir, OUTPUT_FILES, force)  # before any fit, not after
    context = RunContext(spec, progress)
    names = pipelines_to_compare(settings["models"], bool(settings["baselines"]), context.choice.task)
    choice, train = context.choice, context.split.train
    baselines = tuple(n for n in names if get_spec(n).baseline)
    tune_top, budget = check_tuning(settings["tune_top"], settings["budget"], len(names) - len(baselines))
    can_tune = [n for n in names if tunable(n, choice.task)]
    if tune_top > len(can_tune):
        raise ConfigError(f"--tune-top {tune_top}: only {len(can_tune)} of the pipelines compared can be tuned "
                          f"({', '.join(can_tune) or 'none'}); give --tune-top {max(len(can_tune), 1)} or fewer")
    context.say(f"primary metric: {choice.name} ({choice.reason}); tracking {context.tracker.uri}, "
                f"experiment {context.experiment_name!r}")
    results: list[ModelResult] = []
    failures: dict[str, str] = {}
    with context.run("compare", tags=tags) as parent_id:
        context.tracker.log_params({"models": ",".join(names), "seed": spec.seed, "tolerance_points": tolerance})
        if context.split.manifest:
            context.tracker.log_dict(context.split.manifest, "data/manifest.json")
        jobs = min(n_jobs, len(names))
        if jobs > 1:
            context.say(f"fitting {len(names)} pipelines on {len(train):,} texts in {jobs} worker processes, "
                        f"largest first ...")
        with contextlib.closing(_fits(context, names, jobs, final)) as fits:
            for index, (name, fit) in enumerate(fits, start=1):
                if jobs == 1:
                    context.say(f"[{index}/{len(names)}] {name}: fitting on {len(train):,} texts ...")
                try:
                    with context.run(f"compare {name}", model=name, spec=context.spec_for(name),
                                     nested=True) as run_id:
                        result = fit()
                        result.run_id = run_id
                        log_result(context, result)
                except (MemoryError, KeyboardInterrupt):
                    raise
                except Exception as exc:  # noqa: BLE001 - one broken pipeline must not cost the whole comparison
                    failures[name] = failure_text(exc)
                    context.say(f"[{index}/{len(names)}] {name}: FAILED ({failures[name]}); continuing")
                    continue
                results.append(result)
                context.say(f"[{index}/{len(names)}] {name}: {choice.name} {result.dev[choice.name]:.4f}, "
                            f"fit {result.fit_seconds:.1f}s, {result.latency_ms_per_1k:.0f} ms/1k, "
                            f"{result.size_bytes / 1e6:.1f} MB")
        if not results:
            raise TrainingError("every pipeline failed: " + "; ".join(f"{n}: {e}" for n, e in failures.items()))
        tunings = _tune_best(context, results, tune_top, budget, n_jobs, final, failures) if tune_top else []
        results += [t.tuned for t in tunings if t.tuned is not None]
        # ties keep the order the pipelines were named in, not the order workers finished in
        position = {name: index for index, name in enumerate(names)}
        results.sort(key=lambda r: (choice.best_first(r.dev[choice.name]), position.get(r.name, len(names)),
                                    r.name))
        recommended = recommend(results, choice.name, tolerance, baselines, choice.greater_is_better)
        outcome = CompareResult(choice, results, recommended, parent_id, context.experiment_name,
                                context.tracker.uri, failures, baselines, tunings)
        if failures:
            context.tracker.log_dict(failures, "comparison/failures.json")
        if tunings:
            context.tracker.log_dict([t.to_json(choice.name) for t in tunings], "comparison/tuning.json")
        context.tracker.log_table(outcome.rows, "comparison/table.json")
        context.tracker.set_tags({"textml.recommended": recommended or ""})
        if recommended:
            best = next(r for r in results if r.name == recommended)
            context.tracker.log_metrics({f"recommended_dev_{choice.name}": best.dev[choice.name]})
        with tempfile.TemporaryDirectory() as tmp:
            for path in write_outputs(outcome, Path(tmp)):
                context.tracker.log_file(path, "comparison" if path.suffix != ".png" else "plots")
        if out_dir is not None:
            write_outputs(outcome, Path(out_dir))
    return outcome


def failure_text(exc: BaseException) -> str:
    """How a failed pipeline reads in ``failures``: the error's type and first line."""
    return f"{type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}"


def _fits(context: RunContext, names: Sequence[str], jobs: int, final: bool) -> Iterator[tuple[str, Callable]]:
    """``(name, fit)`` per pipeline, where ``fit()`` gives its ModelResult (or raises what
    its fit raised) and is called inside the pipeline's child run. One job: fitted here,
    in ``names`` order, when called. More: fitted in workers, yielded as they finish."""
    from textml.experiments.parallel import fit_in_workers

    if jobs == 1:
        def fit(name):
            with blas_threads():  # as in the workers, so --n-jobs does not change the scores
                return fit_and_evaluate(context, name, context.make_model(name, params={}), final=final)

        for name in names:
            yield name, lambda name=name: fit(name)
        return

    # the workers need only what defines the fits: data (absolute paths), task, metric, seed, options
    spec = context.spec.replace(data=context.spec.data.resolved())
    with contextlib.closing(fit_in_workers(spec, names, jobs, final)) as fitted:
        for one in fitted:
            yield one.name, one.unwrap


def _tune_best(context: RunContext, results: Sequence[ModelResult], tune_top: int, budget: float, n_jobs: int,
               final: bool, failures: dict[str, str]) -> list[Tuning]:
    """Tune the ``tune_top`` best tunable pipelines within ``budget`` seconds in all: each
    gets an equal share of what is left when its turn comes (time a quick one leaves goes to
    the next); the best params, when they beat the defaults, are refitted and logged as the
    child run ``compare NAME tuned``."""

    choice, say = context.choice, context.say
    ranked = sorted((r for r in results if tunable(r.name, choice.task)),
                    key=lambda r: choice.best_first(r.dev[choice.name]))[:tune_top]
    deadline = time.monotonic() + budget
    tunings = []
    for index, default in enumerate(ranked):
        name, left = default.name, deadline - time.monotonic()
        if left <= 0:
            say(f"tuning budget spent: {', '.join(r.name for r in ranked[index:])} not tuned")
            break
        try:
            tuning = search_within(context, default, left / (len(ranked) - index), n_jobs, say)
            if tuning.improved:
                params = tuning.best_params
                with context.run(f"compare {name}{TUNED}", model=name, spec=context.spec_for(name, params),
                                 nested=True, tags={"textml.phase": "tuned",
                                                    "textml.tuned_from": default.run_id or ""}) as run_id:
                    with blas_threads():  # as the search's trials fitted it
                        result = fit_and_evaluate(context, name, context.make_model(name, params=params),
                                                  final=final)
                    result.run_id, result.params = run_id, dict(params)
                    log_result(context, result)
                    context.tracker.log_params({f"best.{k}": v for k, v in params.items()})
                    context.tracker.log_dict(tuning.to_json(choice.name) | {"trials_detail": [
                        {"phase": t.phase, "score": t.score, "params": {k: jsonable(v) for k, v in t.params.items()}}
                        for t in tuning.trials]}, "tune.json")
                tuning.tuned = dataclasses.replace(result, name=name + TUNED)
        except (MemoryError, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 - a failed search must not cost the comparison
            failures[name + TUNED] = failure_text(exc)
            say(f"tuning {name}: FAILED ({failures[name + TUNED]}); continuing")
            continue
        tunings.append(tuning)
        after = (tuning.tuned or default).dev[choice.name]
        say(f"tuned {name}: {choice.name} {default.dev[choice.name]:.4f} -> {after:.4f} "
            f"({len(tuning.trials) - 1} trials, {tuning.seconds:.0f}s"
            f"{'' if tuning.improved else '; the defaults stay best'})")
    return tunings


SECONDARY_METRICS = {  # beside the primary one in the printed table (every metric is in the CSV)
    "binary": ("f1", "roc_auc", "macro_f1", "balanced_accuracy", "accuracy"),
    "multiclass": ("macro_f1", "balanced_accuracy", "accuracy"),
    "multilabel": ("micro_f1", "macro_f1", "samples_f1", "hamming_loss"),
    "regression": ("rmse", "mae", "r2"),
}


def table_rows(outcome: CompareResult) -> tuple[list[str], list[list[str]]]:
    """The comparison table as header + formatted rows (primary metric first)."""
    primary = outcome.choice.name
    shown = SECONDARY_METRICS.get(outcome.choice.task, SECONDARY_METRICS["multiclass"])
    extra = [c for c in shown if c != primary and any(c in r.dev for r in outcome.results)]
    test = [f"test_{primary}"] if any(r.test for r in outcome.results) else []
    header = ["model", primary, *extra, *test, "fit s", "ms/1k", "MB", ""]
    rows = []
    for r in outcome.results:
        mark = "<- recommended" if r.name == outcome.recommended else ""
        rows.append([
            r.name, f"{r.dev[primary]:.4f}", *[f"{r.dev.get(c, float('nan')):.4f}" for c in extra],
            *([f"{r.test[primary]:.4f}"] if test else []),
            f"{r.fit_seconds:.1f}", f"{r.latency_ms_per_1k:.1f}", f"{r.size_bytes / 1e6:.2f}", mark,
        ])
    return header, rows


def format_table(outcome: CompareResult) -> str:
    header, rows = table_rows(outcome)
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]
    def line(cells):
        return "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) if c else ""
                                       for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    return "\n".join([line(header), line(["-" * w for w in widths[:-1]] + [""])] + [line(r) for r in rows])


def write_outputs(outcome: CompareResult, folder: Path) -> list[Path]:
    """comparison.csv, comparison.md, comparison.json and comparison.png into ``folder``."""
    from textml.data.formats import write_records
    from textml.evaluation.plots import comparison_png

    folder.mkdir(parents=True, exist_ok=True)
    rows = outcome.rows
    fields = list(dict.fromkeys(key for row in rows for key in row)) or ["model"]
    written = [write_records(rows, fields, folder / "comparison.csv")]
    header, body = table_rows(outcome)
    markdown = "| " + " | ".join(header) + " |\n|" + "---|" * len(header) + "\n" + "".join(
        "| " + " | ".join(cells) + " |\n" for cells in body)
    outputs = {
        "comparison.md": markdown,
        "comparison.json": json.dumps(outcome.to_json(), indent=2),
    }
    for name, content in outputs.items():
        with atomic_path(folder / name) as tmp:
            tmp.write_text(content, encoding="utf-8")
        written.append(folder / name)
    with atomic_path(folder / "comparison.png") as tmp:
        comparison_png(rows, outcome.choice.name, tmp,
                       f"dev {outcome.choice.name} by model (recommended: {outcome.recommended})",
                       baselines=outcome.baselines, greater_is_better=outcome.choice.greater_is_better)
    written.append(folder / "comparison.png")
    return written
