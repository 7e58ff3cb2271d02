"""`textml rerun`: make a logged run again from the run spec it logged."""

from __future__ import annotations

import json

import click

from textml.cli.options import progress_sink, quiet_option


@click.command()
@click.argument("run_id")
@click.option("--tracking-uri", envvar="MLFLOW_TRACKING_URI", default=None,
              help="MLflow tracking URI holding RUN_ID [env MLFLOW_TRACKING_URI; default: sqlite:///mlflow.db here].")
@click.option("--print-config", is_flag=True, help="Print the run's spec (run.toml) and exit without running it.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@quiet_option
def rerun(run_id, tracking_uri, print_config, as_json, quiet):
    """Run RUN_ID again, as a new run, from the run.toml it logged.

    Any train, compare, tune, diagnose, errors or evaluate run (and each compare child or
    tune trial) can be made again: same data files, pipeline, options, params, metric and
    seed, so the same dev scores. The new run is tagged textml.rerun_of=RUN_ID. To change
    something, save the spec with --print-config, edit it and pass it to the command's --config.
    """
    from textml.experiments.rerun import rerun as rerun_run
    from textml.experiments.spec import SPEC_FILE, RunSpec
    from textml.tracking import read_run_text

    if print_config:
        text = read_run_text(run_id, SPEC_FILE, tracking_uri)
        RunSpec.from_toml(text, f"{SPEC_FILE} of run {run_id}")  # says so if it is not a valid spec
        click.echo(text, nl=False)
        return
    done = rerun_run(run_id, tracking_uri, progress_sink(quiet or as_json))
    if as_json:
        click.echo(json.dumps({"rerun_of": run_id, "command": done.spec.command, "run_id": done.run_id}, indent=2))
        return
    click.echo(f"rerun of {run_id} ({done.spec.command}"
               + (f" {done.spec.model.name}" if done.spec.model.name else "") + f"): new run {done.run_id}")
