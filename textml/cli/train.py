"""`textml train`: fit one pipeline from the registry."""

from __future__ import annotations

import json

import click

from textml.cli.options import model_options, progress_sink, run_options


@click.command()
@model_options()
@click.option("--final", is_flag=True, default=False, help="Also score the test split (recorded in the run).")
@click.option("--out", type=click.Path(file_okay=False), default=None, help="Also save the model to this folder.")
@click.option("--force", is_flag=True, help="Replace --out if it exists.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@run_options("train")
def train(spec, out, force, as_json, quiet):
    """Fit one pipeline on SPLIT_DIR's train file and report its dev metrics.

    The run (params, metrics, confusion matrix, per-class report, model, and the run spec
    as run.toml) is logged to MLflow; with --out the model folder is written there too.

    \b
      textml train split --model bow-svm --param clf__C=0.5 --out model
      textml train split --model bow-svm --print-config > run.toml
      textml train --config run.toml --set model.params.clf__C=2
    """
    from textml.experiments.train import train as train_model

    outcome = train_model(spec, progress_sink(quiet or as_json), out=out, force=force)
    r = outcome.result
    if as_json:
        click.echo(json.dumps({"model": spec.model.name, "primary_metric": outcome.choice.name, "dev": r.dev,
                               "test": r.test, "fit_seconds": r.fit_seconds, "latency_ms_per_1k": r.latency_ms_per_1k,
                               "size_bytes": r.size_bytes, "run_id": outcome.run_id,
                               "out": str(outcome.out) if outcome.out else None}, indent=2))
        return
    from textml.experiments.compare import SECONDARY_METRICS

    primary = outcome.choice.name
    beside = ", ".join(f"{m} {r.dev[m]:.4f}" for m in SECONDARY_METRICS.get(outcome.choice.task, ())
                       if m != primary and m in r.dev)
    click.echo(f"{spec.model.name}: dev {primary} {r.dev[primary]:.4f}" + (f"  ({beside})" if beside else ""))
    if r.test is not None:
        click.echo(f"  test {primary} {r.test[primary]:.4f}  (test split read: recorded in the run)")
    click.echo(f"  fit {r.fit_seconds:.1f}s, {r.latency_ms_per_1k:.1f} ms per 1,000 texts, {r.size_bytes / 1e6:.2f} MB")
    click.echo(f"  run {outcome.run_id}" + (f"; model saved to {outcome.out}" if outcome.out else ""))
