"""`textml train`: fit one pipeline from the registry."""

from __future__ import annotations

import json

import click

from textml.cli.options import quiet_option, split_options, tracking_options


@click.command()
@split_options
@click.option("--model", "model_name", required=True, help="Registry pipeline to fit, e.g. bow-svm (see `textml pipelines list`).")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="Set a hyperparameter, e.g. --param clf__C=0.5 (repeatable; names as in get_params()).")
@click.option("--metric", default=None, help="Primary metric (default: chosen from the task).")
@click.option("--out", type=click.Path(file_okay=False), default=None, help="Also save the model to this folder.")
@click.option("--force", is_flag=True, help="Replace --out if it exists.")
@click.option("--final", is_flag=True, help="Also score the test split (recorded in the run).")
@click.option("--seed", default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@tracking_options
@quiet_option
def train(split, model_name, params, metric, out, force, final, seed, as_json, tracking_uri, experiment, quiet):
    """Fit one pipeline on SPLIT_DIR's train file and report its dev metrics.

    The run (params, metrics, confusion matrix, per-class report, model) is logged to
    MLflow; with --out the model folder is written there too.
    """
    from textml.experiments.train import parse_params, train as train_model

    say = (lambda m: None) if quiet or as_json else (lambda m: click.echo(m, err=True))
    outcome = train_model(split, model_name, parse_params(list(params)), metric=metric, seed=seed, out=out,
                          force=force, final=final, tracking_uri=tracking_uri, experiment=experiment, progress=say)
    r = outcome.result
    if as_json:
        click.echo(json.dumps({"model": model_name, "primary_metric": outcome.choice.name, "dev": r.dev,
                               "test": r.test, "fit_seconds": r.fit_seconds, "latency_ms_per_1k": r.latency_ms_per_1k,
                               "size_bytes": r.size_bytes, "run_id": outcome.run_id,
                               "out": str(outcome.out) if outcome.out else None}, indent=2))
        return
    primary = outcome.choice.name
    click.echo(f"{model_name}: dev {primary} {r.dev[primary]:.4f}  (macro_f1 {r.dev['macro_f1']:.4f}, "
               f"accuracy {r.dev['accuracy']:.4f})")
    if r.test is not None:
        click.echo(f"  test {primary} {r.test[primary]:.4f}  (test split read: recorded in the run)")
    click.echo(f"  fit {r.fit_seconds:.1f}s, {r.latency_ms_per_1k:.1f} ms per 1,000 texts, {r.size_bytes / 1e6:.2f} MB")
    click.echo(f"  run {outcome.run_id}" + (f"; model saved to {outcome.out}" if outcome.out else ""))
