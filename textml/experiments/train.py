"""Train: fit one registry pipeline, report dev metrics, save it and log the run."""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from textml.data.split import Split
from textml.exceptions import ConfigError
from textml.evaluation.metrics import MetricChoice, choose_metric
from textml.experiments.runner import ModelResult, fit_and_evaluate, log_result, model_info
from textml.models.saving import save_model


@dataclass
class TrainResult:
    choice: MetricChoice
    result: ModelResult
    run_id: str
    out: Path | None


def parse_params(pairs: list[str]) -> dict:
    """``["clf__C=0.5", "vec__ngram_range=(1, 3)"]`` -> params, values read as Python literals."""
    params = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise ConfigError(f"--param {pair!r} is not NAME=VALUE (e.g. --param clf__C=0.5)")
        try:
            params[name.strip()] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            params[name.strip()] = value
    return params


def build_model(name: str, seed: int = 0, params: dict | None = None):
    """A registry pipeline with ``params`` set on it (names as in ``get_params()``)."""
    from textml.models.registry import make_model

    model = make_model(name, seed=seed)
    if params:
        valid = model.get_params(deep=True)
        unknown = sorted(set(params) - set(valid))
        if unknown:
            shown = ", ".join(k for k in sorted(valid) if "__" in k and not k.endswith("steps"))[:600]
            raise ConfigError(f"{name} has no parameter {', '.join(unknown)}; it has: {shown}")
        model.set_params(**params)
    return model


def train(
    split: Split,
    model_name: str,
    params: dict | None = None,
    metric: str | None = None,
    seed: int = 0,
    out: str | os.PathLike | None = None,
    force: bool = False,
    final: bool = False,
    tracking_uri: str | None = None,
    experiment: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> TrainResult:
    from textml.experiments.compare import _data_tags
    from textml.files import check_can_write
    from textml.tracking import Tracker

    say = progress or (lambda message: None)
    if out is not None:
        check_can_write(out, force)  # fail before training, not after
    model = build_model(model_name, seed, params)
    choice = choose_metric(split.train.labels, metric)
    split.dev
    tracker = Tracker(experiment or split.name, tracking_uri)
    say(f"{model_name}: fitting on {len(split.train):,} texts; primary metric {choice.name} ({choice.reason})")
    tags = {"textml.command": "train", "textml.model": model_name, "textml.test_read": final, **_data_tags(split)}
    with tracker.run(model_name, tags=tags) as run_id:
        tracker.log_params(choice.to_dict())
        result = fit_and_evaluate(model_name, model, split, choice, final=final)
        result.run_id = run_id
        log_result(tracker, result, split, choice)
    saved = None
    if out is not None:
        info = model_info(result, split, choice)
        info["run_id"] = run_id
        saved = save_model(result.model, out, info, force=force)
    return TrainResult(choice, result, run_id, saved)
