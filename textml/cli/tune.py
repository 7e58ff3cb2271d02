"""`textml tune`: random then grid search on dev, every trial tracked."""

from __future__ import annotations

import json

import click

from textml.cli.options import model_options, progress_sink, run_options


@click.command()
@model_options()
@click.option("--n-iter", default=30, show_default=True, type=click.IntRange(1, 10_000), help="Random-search trials.")
@click.option("--top-k", default=5, show_default=True, type=click.IntRange(1),
              help="Best random trials the grid is narrowed around.")
@click.option("--strategy", type=click.Choice(["search", "fasttext-autotune"]), default="search", show_default=True,
              help="search: sklearn random+grid search; fasttext-autotune: fastText's own autotune on dev.")
@click.option("--autotune-seconds", default=120, show_default=True, type=click.IntRange(5, 24 * 3600),
              help="Time budget of fastText's autotune.")
@click.option("--autotune-model-size", default=None, metavar="SIZE",
              help="Largest model fastText's autotune may pick (it quantises to fit), e.g. 2M "
                   "[default: 4x the size of the default fastText model].")
@click.option("--n-jobs", default=-1, show_default=True, type=int, help="Parallel trials (-1: all cores).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@run_options("tune")
def tune(spec, as_json, quiet):
    """Tune a pipeline on SPLIT_DIR: random search, then a grid narrowed around the best.

    Every trial fits on train and is scored on dev (never test). Each trial is an MLflow
    child run (compare them in MLflow's parallel-coordinates view) whose run.toml reruns it;
    the parent run holds the best params, a score-per-hyperparameter plot and the refitted
    best model. The best params are printed as --param flags to paste into `textml train`.
    """
    from textml.experiments.spec import format_param
    from textml.experiments.tune import tune as run_tune

    outcome = run_tune(spec, progress_sink(quiet or as_json))
    if as_json:
        click.echo(json.dumps(outcome.to_json(), indent=2))
        return
    metric_name = outcome.choice.name
    best = outcome.best.dev[metric_name]
    searched = (f"fastText's autotune ({spec.settings.get('autotune_seconds', 120)} s budget)"
                if spec.settings.get("strategy") == "fasttext-autotune" else f"{len(outcome.trials)} trials")
    click.echo(f"{outcome.model_name}: dev {metric_name} {outcome.default_score:.4f} (defaults) -> {best:.4f} "
               f"(tuned), {searched}; best model {outcome.best.size_bytes / 1e6:.1f} MB")
    click.echo("best params:")
    for key, value in sorted(outcome.best_params.items()):
        click.echo(f"  {format_param(key, value)}")
    click.echo(f"MLflow parent run {outcome.parent_run_id}")
