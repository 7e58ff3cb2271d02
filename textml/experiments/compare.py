"""Compare: every registry pipeline on one split, next to dummy baselines, on dev.

The recommendation is the cheapest model (relative latency + relative size) whose primary
metric is within ``tolerance`` points of the best: a slightly weaker model that is cheap
to run and retrain usually wins in production.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from textml.evaluation.metrics import MetricChoice
from textml.exceptions import ConfigError, TrainingError
from textml.experiments.context import Progress, RunContext
from textml.experiments.runner import ModelResult, fit_and_evaluate, log_result
from textml.experiments.spec import RunSpec
from textml.files import atomic_path, check_outputs

OUTPUT_FILES = ("comparison.csv", "comparison.md", "comparison.json", "comparison.png")
SETTINGS = {"models": None, "baselines": True, "tolerance": 1.0, "final": False}


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
                {"name": r.name, "dev": r.dev, "test": r.test, "fit_seconds": r.fit_seconds,
                 "latency_ms_per_1k": r.latency_ms_per_1k, "size_bytes": r.size_bytes, "run_id": r.run_id}
                for r in self.results
            ],
        }


def recommend(results: Sequence[ModelResult], metric: str, tolerance_points: float,
              baselines: Sequence[str] = ()) -> str | None:
    """The cheapest non-baseline model within ``tolerance_points`` (0-100 scale) of the best."""
    trained = [r for r in results if r.name not in set(baselines)]
    if not trained:
        return None
    best = max(r.dev[metric] for r in trained)
    near = [r for r in trained if r.dev[metric] >= best - tolerance_points / 100.0]
    min_latency = max(min(r.latency_ms_per_1k for r in near), 1e-6)
    min_size = max(min(r.size_bytes for r in near), 1)
    return min(near, key=lambda r: (r.latency_ms_per_1k / min_latency + r.size_bytes / min_size,
                                    -r.dev[metric])).name


def pipelines_to_compare(models: Sequence[str] | None, baselines: bool = True) -> list[str]:
    """The registry names a compare fits: ``models`` (default: every pipeline) with the
    baselines beside them unless ``baselines`` is off. Unknown names fail before any work."""
    from textml.models.registry import baseline_names, get_spec, model_names

    if models is not None:
        names = [m.strip() for m in models if str(m).strip()]
        if not names:
            raise ConfigError("--models names no pipeline; give registry names such as bow-svm,fasttext "
                              "(see `textml pipelines list`)")
        for name in names:
            get_spec(name)
        chosen = (baseline_names() if baselines else []) + names
    else:
        chosen = model_names(baselines=baselines)
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
    names = pipelines_to_compare(settings["models"], bool(settings["baselines"]))
    taken = {option for name in names for option in get_spec(name).options}
    unused = sorted(set(spec.model.options) - taken)
    if unused:
        raise ConfigError(f"no pipeline in this comparison takes the option {', '.join(unused)}; "
                          f"see `textml pipelines show NAME` for each pipeline's options")
    if out_dir is not None:
        check_outputs(out_dir, OUTPUT_FILES, force)  # before any fit, not after
    context = RunContext(spec, progress)
    choice, train = context.choice, context.split.train
    baselines = tuple(n for n in names if get_spec(n).baseline)
    context.say(f"primary metric: {choice.name} ({choice.reason}); tracking {context.tracker.uri}, "
                f"experiment {context.experiment_name!r}")
    results: list[ModelResult] = []
    failures: dict[str, str] = {}
    with context.run("compare", tags=tags) as parent_id:
        context.tracker.log_params({"models": ",".join(names), "seed": spec.seed, "tolerance_points": tolerance})
        if context.split.manifest:
            context.tracker.log_dict(context.split.manifest, "data/manifest.json")
        for index, name in enumerate(names, start=1):
            context.say(f"[{index}/{len(names)}] {name}: fitting on {len(train):,} texts ...")
            try:
                with context.run(f"compare {name}", model=name, spec=context.spec_for(name), nested=True) as run_id:
                    result = fit_and_evaluate(context, name, context.make_model(name, params={}), final=final)
                    result.run_id = run_id
                    log_result(context, result)
            except (MemoryError, KeyboardInterrupt):
                raise
            except Exception as exc:  # one broken pipeline must not cost the whole comparison  # noqa: BLE001 - one broken pipeline must not cost the whole comparison
                failures[name] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}"
                context.say(f"[{index}/{len(names)}] {name}: FAILED ({failures[name]}); continuing")
                continue
            results.append(result)
            context.say(f"[{index}/{len(names)}] {name}: {choice.name} {result.dev[choice.name]:.4f}, "
                        f"fit {result.fit_seconds:.1f}s, {result.latency_ms_per_1k:.0f} ms/1k, "
                        f"{result.size_bytes / 1e6:.1f} MB")
        if not results:
            raise TrainingError("every pipeline failed: " + "; ".join(f"{n}: {e}" for n, e in failures.items()))
        results.sort(key=lambda r: r.dev[choice.name], reverse=True)
        recommended = recommend(results, choice.name, tolerance, baselines)
        outcome = CompareResult(choice, results, recommended, parent_id, context.experiment_name,
                                context.tracker.uri, failures, baselines)
        if failures:
            context.tracker.log_dict(failures, "comparison/failures.json")
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


SECONDARY_METRICS = ("macro_f1", "balanced_accuracy", "accuracy")


def table_rows(outcome: CompareResult) -> tuple[list[str], list[list[str]]]:
    """The comparison table as header + formatted rows (primary metric first)."""
    primary = outcome.choice.name
    extra = [c for c in SECONDARY_METRICS if c != primary]
    test = [f"test_{primary}"] if any(r.test for r in outcome.results) else []
    header = ["model", primary, *extra, *test, "fit s", "ms/1k", "MB", ""]
    rows = []
    for r in outcome.results:
        mark = "<- recommended" if r.name == outcome.recommended else ""
        rows.append([
            r.name, f"{r.dev[primary]:.4f}", *[f"{r.dev[c]:.4f}" for c in extra],
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
                       baselines=outcome.baselines)
    written.append(folder / "comparison.png")
    return written
