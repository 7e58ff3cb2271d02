"""`textml diagnose`: bias, variance, or the data?"""

from __future__ import annotations

import json

import click

from textml.cli.options import quiet_option, split_options, tracking_options


@click.command()
@split_options
@click.option("--model", "model_name", required=True, help="Registry pipeline to diagnose.")
@click.option("--target", default=1.0, show_default=True, type=click.FloatRange(0, 1),
              help="Score you could hope for (e.g. human agreement); bias is measured against it.")
@click.option("--metric", default=None, help="Primary metric (default: from the task).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Also write learning_curve.png and diagnosis.json here.")
@click.option("--n-jobs", default=1, show_default=True, help="Parallel fits for the learning curve.")
@click.option("--seed", default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@tracking_options
@quiet_option
def diagnose(split, model_name, target, metric, out_dir, n_jobs, seed, as_json, tracking_uri, experiment, quiet):
    """Train vs dev score, a learning curve and an overfitting check, with a verdict.

    High bias: the model cannot fit its own training data. High variance: it fits train far
    better than dev. Data problem: it does no better than a dummy, or a big model cannot
    memorise a 10% sample (conflicting or noisy labels); the evidence rows are shown.
    """
    from textml.experiments.diagnose import diagnose as run_diagnose

    say = (lambda m: None) if quiet or as_json else (lambda m: click.echo(m, err=True))
    d = run_diagnose(split, model_name, target=target, metric=metric, seed=seed, n_jobs=n_jobs,
                     tracking_uri=tracking_uri, experiment=experiment, out_dir=out_dir, progress=say)
    if as_json:
        click.echo(json.dumps(d.to_json(), indent=2, default=str))
        return
    m = d.choice.name
    click.echo(f"{model_name}: train {m} {d.train_score:.4f}, dev {d.dev_score:.4f}, "
               f"best dummy on dev {d.dummy_dev_score:.4f}, target {d.target_score:g}")
    click.echo(f"  avoidable bias {d.target_score - d.train_score:+.4f}, variance (train - dev) "
               f"{d.train_score - d.dev_score:+.4f}")
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
