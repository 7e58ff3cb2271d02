"""`textml tune`: random then grid search on dev, every trial tracked."""

from __future__ import annotations

import json

import click

from textml.cli.options import quiet_option, split_options, tracking_options


@click.command()
@split_options
@click.option("--model", "model_name", required=True, help="Registry pipeline to tune (see `textml pipelines list`).")
@click.option("--n-iter", default=30, show_default=True, type=click.IntRange(1), help="Random-search trials.")
@click.option("--top-k", default=5, show_default=True, type=click.IntRange(1),
              help="Best random trials the grid is narrowed around.")
@click.option("--strategy", type=click.Choice(["search", "fasttext-autotune"]), default="search", show_default=True,
              help="search: sklearn random+grid search; fasttext-autotune: fastText's own autotune on dev.")
@click.option("--autotune-seconds", default=120, show_default=True, type=click.IntRange(5),
              help="Time budget of fastText's autotune.")
@click.option("--autotune-model-size", default=None, metavar="SIZE",
              help="Quantise to at most this size with fastText's autotune, e.g. 2M.")
@click.option("--metric", default=None, help="Primary metric (default: from the task).")
@click.option("--n-jobs", default=-1, show_default=True, help="Parallel trials (-1: all cores).")
@click.option("--seed", default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@tracking_options
@quiet_option
def tune(split, model_name, n_iter, top_k, strategy, autotune_seconds, autotune_model_size, metric, n_jobs, seed,
         as_json, tracking_uri, experiment, quiet):
    """Tune a pipeline on SPLIT_DIR: random search, then a grid narrowed around the best.

    Every trial fits on train and is scored on dev (never test). Each trial is an MLflow
    child run (compare them in MLflow's parallel-coordinates view); the parent run holds
    the best params, a score-per-hyperparameter plot and the refitted best model.
    """
    from textml.experiments.tune import tune as run_tune

    say = (lambda m: None) if quiet or as_json else (lambda m: click.echo(m, err=True))
    outcome = run_tune(split, model_name, n_iter=n_iter, n_jobs=n_jobs, seed=seed, top_k=top_k, metric=metric,
                       strategy=strategy, autotune_seconds=autotune_seconds,
                       autotune_model_size=autotune_model_size, tracking_uri=tracking_uri,
                       experiment=experiment, progress=say)
    if as_json:
        click.echo(json.dumps(outcome.to_json(), indent=2))
        return
    metric_name = outcome.choice.name
    best = outcome.best.dev[metric_name]
    click.echo(f"{model_name}: dev {metric_name} {outcome.default_score:.4f} (defaults) -> {best:.4f} (tuned), "
               f"{len(outcome.trials)} trials")
    click.echo("best params:")
    for key, value in sorted(outcome.best_params.items()):
        click.echo(f"  --param {key}={value!r}")
    click.echo(f"MLflow parent run {outcome.parent_run_id}")
