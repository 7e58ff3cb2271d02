"""Compare: every registry pipeline on one split, next to dummy baselines, on dev.

The recommendation is the cheapest model (relative latency + relative size) whose primary
metric is within ``tolerance`` points of the best: a slightly weaker model that is cheap
to run and retrain usually wins in production.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from textml.data.split import Split
from textml.evaluation.metrics import MetricChoice, choose_metric
from textml.experiments.runner import ModelResult, fit_and_evaluate, log_result
from textml.exceptions import TrainingError
from textml.files import atomic_path

Progress = Callable[[str], None]


@dataclass
class CompareResult:
    choice: MetricChoice
    results: list[ModelResult]  # sorted by the primary metric, best first
    recommended: str | None
    parent_run_id: str | None
    experiment: str
    tracking_uri: str
    failures: dict[str, str] = field(default_factory=dict)

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
            "models": [
                {"name": r.name, "dev": r.dev, "test": r.test, "fit_seconds": r.fit_seconds,
                 "latency_ms_per_1k": r.latency_ms_per_1k, "size_bytes": r.size_bytes, "run_id": r.run_id}
                for r in self.results
            ],
        }


def recommend(results: Sequence[ModelResult], metric: str, tolerance_points: float) -> str | None:
    """The cheapest non-dummy model within ``tolerance_points`` (0-100 scale) of the best."""
    trained = [r for r in results if not r.name.startswith("dummy")]
    if not trained:
        return None
    best = max(r.dev[metric] for r in trained)
    near = [r for r in trained if r.dev[metric] >= best - tolerance_points / 100.0]
    min_latency = max(min(r.latency_ms_per_1k for r in near), 1e-6)
    min_size = max(min(r.size_bytes for r in near), 1)
    return min(near, key=lambda r: (r.latency_ms_per_1k / min_latency + r.size_bytes / min_size,
                                    -r.dev[metric])).name


def compare(
    split: Split,
    models: Sequence[str] | None = None,
    metric: str | None = None,
    tolerance: float = 1.0,
    final: bool = False,
    seed: int = 0,
    tracking_uri: str | None = None,
    experiment: str | None = None,
    out_dir: str | os.PathLike | None = None,
    progress: Progress | None = None,
) -> CompareResult:
    """Fit ``models`` (default: every registry entry) on ``split.train``, score on dev, log to MLflow."""
    from textml.models.registry import get_spec, make_model, model_names
    from textml.tracking import Tracker

    say = progress or (lambda message: None)
    names = list(models) if models else model_names()
    for name in names:
        get_spec(name)  # unknown names fail before any work
    train = split.train
    split.dev  # read (and validate) dev before the first fit
    choice = choose_metric(train.labels, metric)
    experiment = experiment or split.name
    tracker = Tracker(experiment, tracking_uri)
    say(f"primary metric: {choice.name} ({choice.reason}); tracking {tracker.uri}, experiment {experiment!r}")
    results: list[ModelResult] = []
    failures: dict[str, str] = {}
    with tracker.run("compare", tags={"textml.command": "compare", "textml.test_read": final}) as parent_id:
        tracker.log_params({"models": ",".join(names), "seed": seed, "tolerance_points": tolerance, **choice.to_dict()})
        tracker.set_tags(_data_tags(split))
        if split.manifest:
            tracker.log_dict(split.manifest, "data/manifest.json")
        for index, name in enumerate(names, start=1):
            say(f"[{index}/{len(names)}] {name}: fitting on {len(train):,} texts ...")
            try:
                with tracker.run(name, nested=True, tags={"textml.model": name, "textml.test_read": final,
                                                          **_data_tags(split)}) as run_id:
                    result = fit_and_evaluate(name, make_model(name, seed=seed), split, choice, final=final)
                    result.run_id = run_id
                    log_result(tracker, result, split, choice)
            except (MemoryError, KeyboardInterrupt):
                raise
            except Exception as exc:  # one broken pipeline must not cost the whole comparison
                failures[name] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}"
                say(f"[{index}/{len(names)}] {name}: FAILED ({failures[name]}); continuing")
                continue
            results.append(result)
            say(f"[{index}/{len(names)}] {name}: {choice.name} {result.dev[choice.name]:.4f}, "
                f"fit {result.fit_seconds:.1f}s, {result.latency_ms_per_1k:.0f} ms/1k, "
                f"{result.size_bytes / 1e6:.1f} MB")
        if not results:
            raise TrainingError("every pipeline failed: " + "; ".join(f"{n}: {e}" for n, e in failures.items()))
        results.sort(key=lambda r: r.dev[choice.name], reverse=True)
        recommended = recommend(results, choice.name, tolerance)
        outcome = CompareResult(choice, results, recommended, parent_id, experiment, tracker.uri, failures)
        if failures:
            tracker.log_dict(failures, "comparison/failures.json")
        tracker.set_tags({"textml.recommended": recommended or ""})
        if recommended:
            best = next(r for r in results if r.name == recommended)
            tracker.log_metrics({f"recommended_dev_{choice.name}": best.dev[choice.name]})
        with tempfile.TemporaryDirectory() as tmp:
            written = write_outputs(outcome, Path(tmp))
            for path in written:
                tracker.log_file(path, "comparison" if path.suffix != ".png" else "plots")
        if out_dir is not None:
            write_outputs(outcome, Path(out_dir))
    return outcome


def _data_tags(split: Split) -> dict:
    if split.manifest:
        hashes = {name: info["sha256"] for name, info in split.manifest["splits"].items()}
        hashes["source"] = split.manifest["source"]["sha256"]
    else:
        hashes = split.hashes()
    return {f"data.{name}_sha256": value for name, value in hashes.items()}


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
    line = lambda cells: "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) if c else ""
                                   for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    return "\n".join([line(header), line(["-" * w for w in widths[:-1]] + [""])] + [line(r) for r in rows])


def write_outputs(outcome: CompareResult, folder: Path) -> list[Path]:
    """comparison.csv, comparison.md, comparison.json and comparison.png into ``folder``."""
    from textml.evaluation.plots import comparison_png

    folder.mkdir(parents=True, exist_ok=True)
    rows = outcome.rows
    fields = list(rows[0].keys()) if rows else ["model"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    header, body = table_rows(outcome)
    markdown = "| " + " | ".join(header) + " |\n|" + "---|" * len(header) + "\n" + "".join(
        "| " + " | ".join(cells) + " |\n" for cells in body)
    outputs = {
        "comparison.csv": buffer.getvalue(),
        "comparison.md": markdown,
        "comparison.json": json.dumps(outcome.to_json(), indent=2),
    }
    written = []
    for name, content in outputs.items():
        with atomic_path(folder / name) as tmp:
            tmp.write_text(content, encoding="utf-8")
        written.append(folder / name)
    with atomic_path(folder / "comparison.png") as tmp:
        comparison_png(rows, outcome.choice.name, tmp,
                       f"dev {outcome.choice.name} by model (recommended: {outcome.recommended})")
    written.append(folder / "comparison.png")
    return written
