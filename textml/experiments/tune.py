"""Tune: random search over a pipeline's search space, then a grid on the narrowed space.

Both searches are sklearn's (RandomizedSearchCV, GridSearchCV) scored on the dev split
through a PredefinedSplit, so every trial fits on train and scores on dev exactly like
compare does. The best params are refitted on train only: dev stays a fair judge.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from textml.evaluation.metrics import MetricChoice, make_scorer_for
from textml.exceptions import ConfigError
from textml.experiments.context import Progress, RunContext
from textml.experiments.runner import ModelResult, fit_and_evaluate, log_result
from textml.experiments.spec import RunSpec, format_param
from textml.models.registry import STRATEGIES

MAX_TRIALS = 10_000  # random-search trials: beyond this a search is a mistyped number, not a plan
SETTINGS = {"n_iter": 30, "top_k": 5, "strategy": "search", "autotune_seconds": 120, "autotune_model_size": None,
            "n_jobs": -1}


@dataclass
class Trial:
    phase: str
    params: dict
    score: float
    fit_seconds: float
    run_id: str | None = None
    extra: dict = field(default_factory=dict)


@dataclass
class TuneResult:
    choice: MetricChoice
    model_name: str
    default_score: float | None
    trials: list[Trial]
    best_params: dict
    best: ModelResult
    grid: dict = field(default_factory=dict)
    parent_run_id: str | None = None

    def to_json(self) -> dict:
        return {
            "model": self.model_name, "primary_metric": self.choice.name,
            "default_dev_score": self.default_score, "best_dev_score": self.best.dev[self.choice.name],
            "best_params": {k: jsonable(v) for k, v in self.best_params.items()},
            "narrowed_grid": {k: [jsonable(v) for v in vs] for k, vs in self.grid.items()},
            "trials": [{"phase": t.phase, "score": t.score, "params": {k: jsonable(v) for k, v in t.params.items()},
                        "run_id": t.run_id} for t in self.trials],
            "parent_run_id": self.parent_run_id,
        }


def jsonable(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, tuple):
        return list(value)
    return value if isinstance(value, (int, float, str, bool, type(None), list)) else repr(value)


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def _is_log_scale(distribution, lo: float, hi: float) -> bool:
    name = getattr(getattr(distribution, "dist", None), "name", "")
    return name in ("loguniform", "reciprocal") or (lo > 0 and hi / lo >= 10)


def narrow_space(space: dict, trials: list[Trial], top_k: int = 5, points: int = 3, max_grid: int = 36,
                 greater_is_better: bool = True) -> dict:
    """A grid around the ``top_k`` best trials.

    Numeric ranges shrink to [min, max] of the top trials, sampled at ``points`` values (log
    spaced when the range spans a decade or the prior was log-uniform; whole numbers stay
    whole; a list prior keeps only its own values in range). Categorical values are kept only
    if they appear among the top trials. The grid is capped at ``max_grid`` combinations.
    """
    top = sorted((t for t in trials if not math.isnan(t.score)), key=lambda t: t.score,
                 reverse=greater_is_better)[:top_k]
    if not top:
        raise ConfigError("every random-search trial failed; run with --debug to see why")

    def build(n_points: int) -> dict:
        grid = {}
        for name, prior in space.items():
            seen = [t.params[name] for t in top if name in t.params]
            unique = list(dict.fromkeys(seen))
            if unique and all(_is_number(v) for v in unique) and len(unique) > 1:
                lo, hi = min(unique), max(unique)
                if isinstance(prior, list):
                    values = [v for v in prior if _is_number(v) and lo <= v <= hi]
                    if len(values) > n_points:
                        idx = np.linspace(0, len(values) - 1, n_points).round().astype(int)
                        values = [values[i] for i in sorted(set(idx))]
                else:
                    values = (np.geomspace(lo, hi, n_points) if _is_log_scale(prior, lo, hi)
                              else np.linspace(lo, hi, n_points)).tolist()
                    if all(isinstance(v, (int, np.integer)) for v in unique):
                        values = sorted({int(round(v)) for v in values})
                    else:
                        values = [float(f"{v:.4g}") for v in values]
                grid[name] = values
            else:
                grid[name] = unique
        return grid

    grid = build(points)
    while math.prod(len(v) for v in grid.values()) > max_grid and points > 2:
        points -= 1
        grid = build(points)
    return grid


def search_trials(search, phase: str, sign: int = 1) -> list[Trial]:
    """The search's trials with their dev score in the metric's own sign (scorers maximise,
    so an RMSE comes back negated: ``sign`` -1 reads it back)."""
    results = search.cv_results_
    return [
        Trial(phase, dict(params), sign * float(results["split0_test_score"][i]), float(results["mean_fit_time"][i]))
        for i, params in enumerate(results["params"])
    ]


def check_n_jobs(n_jobs) -> int:
    """-1 (every core) or 1..cores: more workers than cores only fight over them."""
    cores = os.cpu_count() or 1
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or (n_jobs < 1 and n_jobs != -1):
        raise ConfigError(f"--n-jobs must be -1 (every core) or a whole number from 1 to {cores}, got {n_jobs!r}")
    return cores if n_jobs == -1 else min(n_jobs, cores)


def tune(spec: RunSpec, progress: Progress | None = None, tags: dict | None = None) -> TuneResult:
    """Random then grid search (or fastText's autotune), every trial an MLflow child run."""
    from sklearn.model_selection import GridSearchCV, RandomizedSearchCV

    from textml.models.registry import get_spec

    settings = {**SETTINGS, **spec.settings}
    model_name, strategy = spec.model.name, settings["strategy"]
    if not model_name:
        raise ConfigError("no model given; pass --model NAME (see `textml pipelines list`)")
    entry = get_spec(model_name)
    if strategy not in STRATEGIES:
        raise ConfigError(f"unknown strategy {strategy!r}; choose one of: {', '.join(STRATEGIES)}")
    if strategy not in entry.strategies:
        supported = ", ".join(entry.strategies) or "none (it has no hyperparameters to tune)"
        raise ConfigError(f"{model_name} cannot be tuned with --strategy {strategy}; it supports: {supported}")
    n_iter, top_k = int(settings["n_iter"]), int(settings["top_k"])
    if not 1 <= n_iter <= MAX_TRIALS:
        raise ConfigError(f"--n-iter must be between 1 and {MAX_TRIALS:,}, got {n_iter:,}")
    n_jobs = check_n_jobs(settings["n_jobs"])
    size = settings["autotune_model_size"]
    if size is not None and not re.fullmatch(r"[1-9][0-9]*[KMG]?", str(size)):
        raise ConfigError(f"--autotune-model-size {size!r} is not a size like 500K, 2M or 1G")
    context = RunContext(spec, progress)
    choice, split, say = context.choice, context.split, context.say
    if strategy == "fasttext-autotune" and choice.task not in ("binary", "multiclass"):
        raise ConfigError(f"--strategy fasttext-autotune tunes single-label models; this is a {choice.task} task: "
                          f"use --strategy search")
    space = entry.search_space_for(choice.task)  # one-vs-rest for tags renames the classifier's params
    base = context.make_model()  # a bad --param fails before any run is opened
    with context.run(f"tune {model_name}", model=model_name, tags=tags) as parent_id:
        say(f"default {model_name}: fitting for the baseline score ...")
        default = fit_and_evaluate(context, model_name, base)
        context.tracker.log_metrics({f"default_dev_{choice.name}": default.dev[choice.name]})
        say(f"default {model_name}: dev {choice.name} {default.dev[choice.name]:.4f}")
        grid: dict = {}
        if strategy == "fasttext-autotune":
            from textml.experiments.autotune import fasttext_autotune

            _, trials = fasttext_autotune(context, context.make_model(), int(settings["autotune_seconds"]),
                                          settings["autotune_model_size"], default_model=default.model)
        else:
            texts, labels, cv = context.train_dev_folds()
            scorer = make_scorer_for(choice)
            say(f"random search: {n_iter} trials on {len(split.train):,} train texts, scored on dev ...")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                random_search = RandomizedSearchCV(
                    context.make_model(), space, n_iter=n_iter, scoring=scorer, cv=cv,
                    refit=False, n_jobs=n_jobs, random_state=spec.seed, error_score=np.nan,
                ).fit(texts, labels)
            trials = search_trials(random_search, "random", choice.sign)
            grid = narrow_space(space, trials, top_k=top_k, greater_is_better=choice.greater_is_better)
            n_grid = math.prod(len(v) for v in grid.values())
            say(f"grid search: {n_grid} combinations around the top {top_k} ...")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                grid_search = GridSearchCV(context.make_model(), grid, scoring=scorer, cv=cv,
                                           refit=False, n_jobs=n_jobs, error_score=np.nan).fit(texts, labels)
            trials += search_trials(grid_search, "grid", choice.sign)
        # the defaults compete too, so tuning never hands back something worse than them
        defaults = base.get_params()
        tuned_names = {k for t in trials for k in t.params} | set(space)
        trials.insert(0, Trial("default", {k: defaults[k] for k in sorted(tuned_names) if k in defaults},
                               default.dev[choice.name], default.fit_seconds))
        best_params = max((t for t in trials if not math.isnan(t.score)), key=lambda t: choice.sign * t.score).params
        best_params = {k: jsonable(v) if isinstance(v, (np.integer, np.floating)) else v
                       for k, v in best_params.items()}
        for index, trial in enumerate(trials):
            params = {**spec.model.params, **{k: jsonable(v) for k, v in trial.params.items()}}
            with context.run(f"{model_name} {trial.phase} trial {index}", model=model_name, nested=True,
                             spec=context.spec_for(model_name, params), tags={"textml.phase": trial.phase},
                             log_choice=False) as run_id:
                context.tracker.log_params(trial.params)
                context.tracker.log_metrics({f"dev_{choice.name}": trial.score, "fit_seconds": trial.fit_seconds,
                                             **trial.extra})
                trial.run_id = run_id
        say("refitting the best params on train: " + " ".join(format_param(k, v) for k, v in best_params.items()))
        best = fit_and_evaluate(context, model_name, context.make_model(params={**spec.model.params, **best_params}))
        best.run_id = parent_id
        context.tracker.log_params({f"best.{k}": v for k, v in best_params.items()})
        log_result(context, best)
        outcome = TuneResult(choice, model_name, default.dev[choice.name], trials, best_params, best, grid, parent_id)
        with tempfile.TemporaryDirectory() as tmp:
            plot = score_by_param_png(trials, choice.name, Path(tmp) / "score_by_param.png", model_name)
            context.tracker.log_file(plot, "plots")
            context.tracker.log_dict(outcome.to_json(), "tune.json")
    return outcome


def score_by_param_png(trials: list[Trial], metric: str, path: Path, title: str) -> Path:
    """One panel per hyperparameter: dev score of each trial against its value."""
    from textml.evaluation.plots import pyplot

    plt = pyplot()
    names = sorted({k for t in trials for k in t.params})
    cols = min(3, max(1, len(names)))
    rows = max(1, math.ceil(len(names) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 3.6 * rows), squeeze=False)
    for ax, name in zip(axes.flat, names):
        for phase, colour in (("default", "#c44e52"), ("random", "#4c72b0"), ("grid", "#dd8452"),
                              ("autotune", "#55a868")):
            points = [(t.params.get(name), t.score) for t in trials if t.phase == phase and name in t.params]
            if not points:
                continue
            xs, ys = zip(*points)
            if all(_is_number(x) for x in xs):
                ax.scatter(xs, ys, s=18, alpha=0.75, color=colour, label=phase)
                if min(xs) > 0 and max(xs) / max(min(xs), 1e-12) >= 100:
                    ax.set_xscale("log")
            else:
                labels = [str(x) for x in xs]
                ax.scatter(labels, ys, s=18, alpha=0.75, color=colour, label=phase)
                ax.tick_params(axis="x", labelrotation=30, labelsize=7)
        ax.set_title(name.split("__")[-1] + f"  ({name})" if "__" in name else name, fontsize=8)
        ax.set_ylabel(f"dev {metric}")
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    fig.suptitle(f"tune {title}: dev {metric} per trial")
    fig.tight_layout()
    fig.savefig(path, dpi=100, format="png")
    plt.close(fig)
    return path
