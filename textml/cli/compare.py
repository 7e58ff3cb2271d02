"""`textml compare`: every pipeline side by side with dummy baselines."""

from __future__ import annotations

import json

import click

from textml.cli.options import quiet_option, split_options, tracking_options


@click.command()
@split_options
@click.option("--models", default=None, metavar="A,B,...",
              help="Comma-separated registry names (default: all; see `textml pipelines list`).")
@click.option("--metric", default=None,
              help="Primary metric: macro_f1, balanced_accuracy, f1, average_precision (default: from the task).")
@click.option("--tolerance", default=1.0, show_default=True, type=click.FloatRange(0, 100),
              help="Points of the primary metric a cheaper model may trail the best and still be recommended.")
@click.option("--final", is_flag=True, help="Also score the test split (recorded in the runs). Do this once, at the end.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Write comparison.csv/.md/.json and comparison.png into this folder.")
@click.option("--seed", default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of the table.")
@tracking_options
@quiet_option
def compare(split, models, metric, tolerance, final, out_dir, seed, as_json, tracking_uri, experiment, quiet):
    """Fit every pipeline on SPLIT_DIR's train file, score on dev, and recommend one.

    Prints a table sorted by the primary metric with accuracy, fit time, latency and size,
    and names the cheapest model within --tolerance points of the best. Every model is a
    child run of one MLflow parent run.
    """
    from textml.experiments.compare import compare as run_compare, format_table

    names = [m.strip() for m in models.split(",") if m.strip()] if models else None
    say = (lambda m: None) if quiet or as_json else (lambda m: click.echo(m, err=True))
    outcome = run_compare(split, names, metric=metric, tolerance=tolerance, final=final, seed=seed,
                          tracking_uri=tracking_uri, experiment=experiment, out_dir=out_dir, progress=say)
    if as_json:
        click.echo(json.dumps(outcome.to_json(), indent=2))
        return
    click.echo(format_table(outcome))
    click.echo("")
    click.echo(f"primary metric: {outcome.choice.name} ({outcome.choice.reason})")
    for name, error in outcome.failures.items():
        click.echo(f"failed: {name}: {error}")
    if outcome.recommended:
        click.echo(f"recommended: {outcome.recommended} (cheapest within {tolerance:g} points of the best)")
    click.echo(f"MLflow: experiment {outcome.experiment!r}, parent run {outcome.parent_run_id} in {outcome.tracking_uri}")
    if out_dir:
        click.echo(f"table and plot written to {out_dir}")
