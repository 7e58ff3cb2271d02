"""Budgeted tuning for compare (``--tune-top K --budget MINUTES``): tune's random-then-grid
search, stopped on the wall clock.

The searches are tune's (the same random candidates ``RandomizedSearchCV`` draws for the
seed, the grid :func:`textml.experiments.tune.narrow_space` narrows around the best, trials
read back by ``tune.search_trials``), run by :class:`textml.experiments.search.DeadlineSearchCV`,
which starts no trial once the deadline has passed: a ``RandomizedSearchCV`` cannot be
stopped once started, and its ``n_iter`` is a guess.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from textml.exceptions import ConfigError
from textml.experiments.runner import ModelResult
from textml.experiments.tune import MAX_TRIALS, Trial, jsonable, narrow_space, search_trials
from textml.experiments.tune import SETTINGS as TUNE_SETTINGS

RANDOM_SHARE = 0.6  # of a pipeline's budget: the random phase; the grid gets what is left
# a trial fits on train and predicts dev: ~1.1-1.3x compare's fit time (Debian, bow-svm and bow-logreg)
TRIAL_OVERHEAD = 1.2


@dataclass
class Tuning:
    """One pipeline's budgeted search: its trials (the default first) and the best params."""

    name: str
    default: ModelResult
    trials: list[Trial]
    best_params: dict
    seconds: float
    improved: bool
    tuned: ModelResult | None = None  # the best params refitted on train (None: the defaults won)
    notes: list[str] = field(default_factory=list)

    def to_json(self, metric: str) -> dict:
        return {
            "pipeline": self.name, "default_dev": self.default.dev[metric],
            "tuned_dev": (self.tuned or self.default).dev[metric], "improved": self.improved,
            "best_params": {k: jsonable(v) for k, v in self.best_params.items()},
            "trials": len(self.trials) - 1, "seconds": round(self.seconds, 1),
            "default_run_id": self.default.run_id, "tuned_run_id": self.tuned.run_id if self.tuned else None,
            "notes": self.notes,
        }


def check_tuning(tune_top, budget, pipelines: int) -> tuple[int, float | None]:
    """``(K, seconds)`` for ``--tune-top K --budget MINUTES``, or ``(0, None)`` without them.
    ``pipelines``: the non-baseline pipelines in the comparison."""
    if tune_top is None:
        if budget is not None:
            raise ConfigError("--budget is the time for tuning: give --tune-top K with it")
        return 0, None
    if isinstance(tune_top, bool) or not isinstance(tune_top, int) or not 1 <= tune_top <= max(pipelines, 1):
        raise ConfigError(f"--tune-top must be a whole number from 1 to {pipelines} (the pipelines compared, "
                          f"baselines aside), got {tune_top!r}")
    if budget is None:
        budget = DEFAULT_BUDGET_MINUTES
    try:
        minutes = float(budget)
    except (TypeError, ValueError):
        minutes = math.nan
    if isinstance(budget, bool) or not math.isfinite(minutes) or minutes <= 0:
        raise ConfigError(f"--budget must be a positive number of minutes, got {budget!r}")
    return tune_top, minutes * 60.0


DEFAULT_BUDGET_MINUTES = 10.0  # the yardstick: 10 minutes on 2 cores


def tunable(name: str, task: str) -> bool:
    """Whether compare can tune pipeline ``name``: a search space for the task, and the
    ``search`` strategy (fastText's autotune has its own clock and is left to `textml tune`)."""
    from textml.models.registry import get_spec

    spec = get_spec(name)
    return not spec.baseline and "search" in spec.strategies and bool(spec.search_space_for(task))


def search_within(context, default: ModelResult, seconds: float, n_jobs: int, say) -> Tuning:
    """Tune's random-then-grid search of ``default``'s pipeline, trials started only within
    ``seconds`` of now; the best params (the defaults compete) are returned, not refitted."""
    from sklearn.model_selection import ParameterGrid, ParameterSampler

    from textml.evaluation.metrics import make_scorer_for
    from textml.experiments.search import DeadlineSearchCV
    from textml.models.registry import get_spec

    name, choice, seed = default.name, context.choice, context.spec.seed
    start = time.monotonic()
    trial = max(default.fit_seconds * TRIAL_OVERHEAD, 0.05)
    # the refit of the best params comes out of the budget too
    search_until = start + max(seconds - trial, 0.0)
    random_until = start + RANDOM_SHARE * max(seconds - trial, 0.0)
    n_iter = int(min(MAX_TRIALS, max(1, RANDOM_SHARE * (seconds - trial) * n_jobs // trial)))
    space = get_spec(name).search_space_for(choice.task)
    texts, labels, cv = context.train_dev_folds()
    scorer = make_scorer_for(choice)
    notes: list[str] = []

    def run(candidates, until, phase):
        if time.monotonic() >= until:
            notes.append(f"{phase}: no trial, the budget was spent")
            return []
        search = DeadlineSearchCV(context.make_model(name, params={}), candidates, until, scoring=scorer,
                                  n_jobs=n_jobs, cv=cv)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            search.fit(texts, labels)
        found = search_trials(search, phase, choice.sign)
        if len(found) < len(candidates):
            notes.append(f"{phase}: {len(found)} of {len(candidates)} trials within the budget")
        return found

    say(f"tuning {name}: up to {n_iter} random trials (default fit {default.fit_seconds:.1f}s), "
        f"then a narrowed grid, {seconds:.0f}s budget ...")
    trials = run(list(ParameterSampler(space, n_iter, random_state=seed)), random_until, "random")
    if any(not math.isnan(t.score) for t in trials):
        grid = narrow_space(space, trials, top_k=int(TUNE_SETTINGS["top_k"]),
                            greater_is_better=choice.greater_is_better)
        trials += run(list(ParameterGrid(grid)), search_until, "grid")
    elif trials:
        notes.append("every random trial failed; the defaults stand")
    defaults = context.make_model(name, params={}).get_params()
    names = sorted({k for t in trials for k in t.params} | set(space))
    trials.insert(0, Trial("default", {k: defaults[k] for k in names if k in defaults},
                           default.dev[choice.name], default.fit_seconds))
    best = max((t for t in trials if not math.isnan(t.score)), key=lambda t: choice.sign * t.score)
    best_params = {k: jsonable(v) if isinstance(v, (np.integer, np.floating)) else v for k, v in best.params.items()}
    return Tuning(name, default, trials, best_params, time.monotonic() - start, improved=best.phase != "default",
                  notes=notes)
