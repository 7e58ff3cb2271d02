"""`textml evaluate`: one model, or two side by side (champion vs challenger), on the same rows."""

from __future__ import annotations

import json

import click

from textml.cli.options import progress_sink, run_options
from textml.models.loading import TRUST_PICKLE_HELP


@click.command()
@click.argument("model")
@click.option("--against", default=None, metavar="MODEL",
              help="A second model scored on the same rows; the difference is MODEL minus this one.")
@click.option("--final", is_flag=True, help="Evaluate on the test split instead of dev (recorded in the run).")
@click.option("--resamples", default=1000, show_default=True, type=click.IntRange(10, 100_000),
              help="Paired bootstrap resamples for the confidence intervals.")
@click.option("--confidence", default=0.95, show_default=True, type=click.FloatRange(0.5, 0.999),
              help="Confidence level of the intervals.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option("--trust-pickle", is_flag=True, help=TRUST_PICKLE_HELP)
@run_options("evaluate")
def evaluate(spec, as_json, quiet):
    """Score MODEL on SPLIT_DIR's dev rows (test with --final), or compare it --against another.

    MODEL and --against: a model folder, a run id, runs:/RUN_ID/model, models:/NAME@ALIAS or
    models:/NAME/VERSION. Reports the primary metric with a bootstrap interval and latency per
    model, and with --against the difference MODEL - AGAINST with a paired bootstrap interval:
    an interval containing 0 means the rows cannot tell the two apart. Logged to MLflow.
    The metric defaults to the one MODEL was trained for.

    \b
      textml evaluate models:/products@challenger split --against models:/products@champion
    """
    from textml.experiments.evaluate import evaluate as evaluate_models
    from textml.experiments.evaluate import format_result

    result = evaluate_models(spec, progress_sink(quiet or as_json))
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2, default=str))
        return
    click.echo(format_result(result))
    click.echo(f"logged to MLflow run {result.run_id}")
