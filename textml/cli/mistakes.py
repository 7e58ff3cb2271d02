"""`textml errors`: the eyeball set of worst mistakes, or likely label errors."""

from __future__ import annotations

import click

from textml.cli.options import quiet_option, split_options, tracking_options


@click.command()
@split_options
@click.option("--model", "model_name", default=None, help="Registry pipeline to fit on train and examine.")
@click.option("--run", "run_id", default=None, help="MLflow run id whose logged model to examine (no refit).")
@click.option("--model-dir", default=None, type=click.Path(file_okay=False), help="Model folder from `train --out`.")
@click.option("--size", default=100, show_default=True, type=click.IntRange(1, 100),
              help="At most this many rows (a person reads them).")
@click.option("--label-issues", is_flag=True,
              help="Rank likely mislabelled TRAINING rows instead (cleanlab, out-of-fold probabilities).")
@click.option("--out", default=None, type=click.Path(dir_okay=False), help="Write the rows to FILE (.csv or .jsonl).")
@click.option("--force", is_flag=True, help="Replace --out if it exists.")
@click.option("--n-jobs", default=1, show_default=True, help="Parallel folds for --label-issues.")
@click.option("--seed", default=0, show_default=True)
@tracking_options
@quiet_option
def errors(split, model_name, run_id, model_dir, size, label_issues, out, force, n_jobs, seed, tracking_uri,
           experiment, quiet):
    """The dev rows the model gets most confidently wrong: read them, sort them into causes.

    Each row: id from the source file, text, true label, predicted label, and the
    probability of each. Logged as an MLflow artifact next to the model's run. With
    --label-issues, training rows whose label is most likely wrong instead.
    """
    from textml.experiments.mistakes import find_errors

    say = (lambda m: None) if quiet else (lambda m: click.echo(m, err=True))
    report = find_errors(split, model_name=model_name, run_id=run_id, model_dir=model_dir, size=size,
                         label_issues=label_issues, out=out, force=force, seed=seed, n_jobs=n_jobs,
                         tracking_uri=tracking_uri, experiment=experiment, progress=say)
    what = "likely label errors in train" if report.kind == "label-issues" else "dev mistakes"
    click.echo(f"{report.total_errors:,} {what} among {report.evaluated:,} rows; showing the worst {len(report.rows)} "
               f"(confidence: {report.confidence_source})")
    for row in report.rows[:10]:
        click.echo(f"  {row['prob_predicted']:.2f} {row['predicted']!r:>16} <- labelled {row['label']!r}: {row['text'][:70]!r}")
    if report.out:
        click.echo(f"written to {report.out}")
    click.echo(f"logged to MLflow run {report.run_id}")
