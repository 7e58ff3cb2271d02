"""Train: fit one registry pipeline, report dev metrics, save it and log the run."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from textml.evaluation.metrics import MetricChoice
from textml.experiments.context import Progress, RunContext
from textml.experiments.runner import ModelResult, fit_and_evaluate, log_result, model_info
from textml.experiments.spec import RunSpec

SETTINGS = {"final": False}


@dataclass
class TrainResult:
    choice: MetricChoice
    result: ModelResult
    run_id: str
    out: Path | None
    spec: RunSpec


def train(spec: RunSpec, progress: Progress | None = None, out: str | os.PathLike | None = None,
          force: bool = False, tags: dict | None = None) -> TrainResult:
    """Fit ``spec.model`` on the training split, score it on dev (and test with ``final``),
    log the run, and save the model to ``out`` when given."""
    from textml.files import check_can_write
    from textml.models.saving import save_model

    context = RunContext(spec, progress)
    final = bool(spec.settings.get("final", SETTINGS["final"]))
    if out is not None:
        check_can_write(out, force)  # fail before training, not after
    name = spec.model.name
    model = context.make_model()  # a bad --param fails here, before any run is opened
    choice = context.choice
    context.say(f"{name}: fitting on {len(context.split.train):,} texts; primary metric {choice.name} ({choice.reason})")
    # the run opens once the model is fitted and scored (a fit that fails leaves no run behind),
    # so that opening a local store overlaps the fit
    context.open_tracker_meanwhile()
    result = fit_and_evaluate(context, name, model, final=final)
    with context.run(f"train {name}", model=name, tags=tags) as run_id:
        result.run_id = run_id
        log_result(context, result)
    saved = save_model(result.model, out, model_info(result, context), force=force) if out is not None else None
    return TrainResult(choice, result, run_id, saved, context.resolved_spec)
