"""`textml diagnose`: bias, variance, or the data?"""

from __future__ import annotations

import json

import click

from textml.cli.options import model_options, progress_sink, run_options


@click.command()
@model_options()
@click.option("--target", default=None, type=float,
              help="Score you could hope for (e.g. human agreement), in [0, 1]; for an error metric (RMSE) the "
                   "error to aim for, in the target's units. Bias is measured against it.  [default: perfect]")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Also write learning_curve.png and diagnosis.json here.")
@click.option("--force", is_flag=True, help="Replace those files in --out if they exist.")
@click.option("--n-jobs", default=1, show_default=True, type=int, help="Parallel fits for the learning curve.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@run_options("diagnose")
def diagnose(spec, out_dir, force, as_json, quiet):
    """Train vs dev score, a learning curve and an overfitting check, with a verdict.

    High bias: the model cannot fit its own training data. High variance: it fits train far
    better than dev. Data problem: it does no better than a dummy, or a big model cannot
    memorise a 10% sample (conflicting or noisy labels); the evidence rows are shown.
    """
    from textml.experiments.diagnose import diagnose as run_diagnose

    d = run_diagnose(spec, progress_sink(quiet or as_json), out_dir=out_dir, force=force)
    if as_json:
        click.echo(json.dumps(d.to_json(), indent=2, default=str))
        return
    m = d.choice.name
    click.echo(f"{d.model_name}: train {m} {d.train_score:.4f}, dev {d.dev_score:.4f}, "
               f"best dummy on dev {d.dummy_dev_score:.4f}, target {d.target_score:g}")
    sign = d.choice.sign  # for an error (RMSE) the gaps run the other way
    click.echo(f"  avoidable bias {sign * (d.target_score - d.train_score):+.4f}, variance (train - dev) "
               f"{sign * (d.train_score - d.dev_score):+.4f}")
    click.echo(f"verdict: {d.verdict}")
    for line in d.advice:
        click.echo(f"  - {line}")
    click.echo("learning curve (train rows: train / dev):")
    for point in d.curve:
        click.echo(f"  {point['train_rows']:>8,}: {point['train_score']:.4f} / {point['dev_score']:.4f}")
    o = d.overfit
    click.echo(f"overfit check: {o['model']} on {o['rows']:,} rows -> training error {o['train_error']:.1%} "
               f"({'passed' if o['passed'] else 'FAILED: it should be close to 0'})")
    for row in o["unfitted_examples"][:5]:
        click.echo(f"  row {row['id']}: {row['text'][:60]!r} labelled {row['label']!r}, fitted as "
                   f"{row['predicted']!r} ({row['why']})")
    click.echo(f"MLflow run {d.run_id}")
