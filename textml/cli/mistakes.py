"""`textml errors`: the eyeball set of worst mistakes, or likely label errors."""

from __future__ import annotations

import click

from textml.cli.options import model_options, progress_sink, run_options
from textml.models.loading import TRUST_PICKLE_HELP


@click.command()
@model_options(required=False)
@click.option("--run", "run", default=None, help="MLflow run id whose logged model to examine (no refit).")
@click.option("--model-dir", default=None, type=click.Path(file_okay=False), help="Model folder from `train --out`.")
@click.option("--size", default=100, show_default=True, type=click.IntRange(1, 100),
              help="At most this many rows (a person reads them).")
@click.option("--label-issues", is_flag=True,
              help="Rank likely mislabelled TRAINING rows instead (cleanlab, out-of-fold probabilities).")
@click.option("--out", default=None, type=click.Path(dir_okay=False), help="Write the rows to FILE (.csv or .jsonl).")
@click.option("--force", is_flag=True, help="Replace --out if it exists.")
@click.option("--n-jobs", default=1, show_default=True, type=int, help="Parallel folds for --label-issues.")
@click.option("--trust-pickle", is_flag=True, help=TRUST_PICKLE_HELP)
@run_options("errors")
def errors(spec, out, force, quiet):
    """The dev rows the model gets most confidently wrong: read them, sort them into causes.

    The model: --model NAME (fitted on train), --run RUN_ID or --model-dir DIR. Each row: id
    from the source file, text, true label, predicted label, and the probability of each.
    Multi-label: the rows with the most wrong labels, missed and spurious labels apart, with
    the model's scores for them. Regression: the largest absolute errors.
    Logged as an MLflow artifact next to the model's run. With --label-issues, training rows
    whose label is most likely wrong instead.
    """
    from textml.experiments.mistakes import find_errors

    report = find_errors(spec, progress_sink(quiet), out=out, force=force)
    regression = bool(report.rows) and "abs_error" in report.rows[0]
    what = ("likely label errors in train" if report.kind == "label-issues"
            else "dev rows ranked by absolute error" if regression else "dev mistakes")
    click.echo(f"{report.total_errors:,} {what}" + ("" if regression else f" among {report.evaluated:,} rows")
               + f"; showing the worst {len(report.rows)} "
               f"(confidence: {report.confidence_source})")
    for row in report.rows[:10]:
        click.echo("  " + _summary(row) + f": {row['text'][:70]!r}")
    if report.out:
        click.echo(f"written to {report.out}")
    click.echo(f"logged to MLflow run {report.run_id}")


def _summary(row: dict) -> str:
    """One eyeball row in a line: what was wrong, and how sure the model was."""
    if "abs_error" in row:  # regression
        return f"{row['error']:+.3g}: predicted {row['predicted']:.4g}, true {row['label']:.4g}"
    if "missed" in row:  # multi-label
        return (f"{row['wrong_labels']} wrong: missed [{'|'.join(row['missed']) or '-'}], "
                f"spurious [{'|'.join(row['spurious']) or '-'}]")
    return f"{row['prob_predicted']:.2f} {row['predicted']!r:>16} <- labelled {row['label']!r}"
