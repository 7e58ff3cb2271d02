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
              help="Points of the primary metric a cheaper model may trail the best and still be recommended.")
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
    for name, error in outcome.failures.items():
        click.echo(f"failed: {name}: {error}")
    if outcome.recommended:
        tolerance = spec.settings.get("tolerance", 1.0)
        click.echo(f"recommended: {outcome.recommended} (cheapest within {tolerance:g} points of the best)")
    click.echo(f"MLflow: experiment {outcome.experiment!r}, parent run {outcome.parent_run_id} in {outcome.tracking_uri}")
    if out_dir:
        click.echo(f"table and plot written to {out_dir}")
