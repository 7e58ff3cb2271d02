"""`textml compare`: every pipeline side by side with dummy baselines."""

from __future__ import annotations

import json

import click

from textml.cli.options import progress_sink, run_options


def _names(ctx, param, value):
    return None if value is None else [m.strip() for m in value.split(",")]


@click.command()
@click.option("--models", default=None, metavar="A,B,...", callback=_names,
              help="Comma-separated registry names (default: all; see `textml pipelines list`). "
                   "The baselines are fitted beside them.")
@click.option("--baselines/--no-baselines", default=True, show_default=True,
              help="Fit the dummy baselines beside the models.")
@click.option("--option", "options", multiple=True, metavar="NAME=VALUE",
              help="A factory option for every pipeline that takes it, e.g. --option spacy_lang=de.")
@click.option("--tolerance", default=1.0, show_default=True, type=click.FloatRange(0, 100),
              help="Points of the primary metric a cheaper model may trail the best and still be recommended "
                   "(for an error in the target's units, RMSE or MAE: percent of the best error).")
@click.option("--n-jobs", default=-1, show_default=True, type=int,
              help="Pipelines fitted at once, in worker processes (-1: every core; 1: one after another, "
                   "in this process).")
@click.option("--tune-top", default=None, type=int, metavar="K",
              help="After the default round, tune the K best tunable pipelines (random then grid search "
                   "on dev) within --budget; the tuned ones are rows `NAME tuned` and can be recommended.")
@click.option("--budget", default=None, type=float, metavar="MINUTES",
              help="Wall-clock minutes for --tune-top, split across the K pipelines [default: 10].")
@click.option("--final", is_flag=True, help="Also score the test split (recorded in the runs). Do this once, at the end.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Write comparison.csv/.md/.json and comparison.png into this folder.")
@click.option("--force", is_flag=True, help="Replace the comparison files in --out if they exist.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of the table.")
@run_options("compare")
def compare(spec, out_dir, force, as_json, quiet):
    """Fit every pipeline on SPLIT_DIR's train file, score on dev, and recommend one.

    Prints a table sorted by the primary metric with accuracy, fit time, latency and size,
    and names the cheapest model within --tolerance points of the best. Every model is a
    child run of one MLflow parent run; each child's run.toml reruns it alone
    (`textml rerun RUN_ID`).
    """
    from textml.experiments.compare import compare as run_compare
    from textml.experiments.compare import format_table

    outcome = run_compare(spec, progress_sink(quiet or as_json), out_dir=out_dir, force=force)
    if as_json:
        click.echo(json.dumps(outcome.to_json(), indent=2))
        return
    click.echo(format_table(outcome))
    click.echo("")
    click.echo(f"primary metric: {outcome.choice.name} ({outcome.choice.reason})")
    for tuning in outcome.tunings:
        after = (tuning.tuned or tuning.default).dev[outcome.choice.name]
        click.echo(f"tuned {tuning.name}: {tuning.default.dev[outcome.choice.name]:.4f} -> {after:.4f} "
                   f"({len(tuning.trials) - 1} trials in {tuning.seconds:.0f}s"
                   f"{'' if tuning.improved else '; the defaults stay best'})")
    for name, error in outcome.failures.items():
        click.echo(f"failed: {name}: {error}")
    if outcome.recommended:
        tolerance = spec.settings.get("tolerance", 1.0)
        unit = "% of the best error" if outcome.choice.name in ("rmse", "mae") else " points of the best"
        click.echo(f"recommended: {outcome.recommended} (cheapest within {tolerance:g}{unit})")
    click.echo(f"MLflow: experiment {outcome.experiment!r}, parent run {outcome.parent_run_id} in {outcome.tracking_uri}")
    if out_dir:
        click.echo(f"table and plot written to {out_dir}")
