"""`textml models ...`: the MLflow model registry (register a run's model, move aliases, list)."""

from __future__ import annotations

import json

import click


def _tracking_option(func):
    return click.option("--tracking-uri", envvar="MLFLOW_TRACKING_URI", default=None,
                        help="MLflow tracking URI [env MLFLOW_TRACKING_URI; default: sqlite:///mlflow.db here].")(func)


@click.group()
def models() -> None:
    """Registered models: versions of trained runs, and aliases (champion, challenger) that
    say which version plays which role. Use them as models:/NAME@champion anywhere a model
    is expected (textml predict, textml evaluate, mlflow models serve)."""


@models.command()
@click.argument("run")
@click.option("--name", required=True, help="Registered model name (created on first use), e.g. products.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@_tracking_option
def register(run, name, as_json, tracking_uri):
    """Register the model logged by RUN (a run id or runs:/RUN_ID/model) as a new version of NAME.

    \b
      textml models register 1a2b...ef --name products
    """
    from textml.tracking.registry import register as register_model

    version = register_model(run, name, tracking_uri=tracking_uri)
    if as_json:
        click.echo(json.dumps(version, indent=2))
        return
    score = f", dev {version['primary_metric']} {version['dev_score']:.4f}" if version["dev_score"] is not None else ""
    click.echo(f"registered {version['source_uri']} as {name} version {version['version']} "
               f"({version['model'] or 'model'}{score})")
    click.echo(f"  promote it: textml models promote {name} --alias challenger {version['version']}")


@models.command()
@click.argument("name")
@click.argument("version")
@click.option("--alias", required=True,
              help="Role to give VERSION: champion (serves production), challenger (candidate), or another name.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@_tracking_option
def promote(name, version, alias, as_json, tracking_uri):
    """Point NAME's --alias at VERSION (moving it from the version that had it).

    \b
      textml models promote products --alias champion 3
    """
    from textml.tracking.registry import promote as promote_version

    moved = promote_version(name, alias, version, tracking_uri=tracking_uri)
    if as_json:
        click.echo(json.dumps(moved, indent=2))
        return
    before = f"version {moved['previous']}" if moved["previous"] else "no version"
    click.echo(f"{name}@{alias}: {before} -> version {moved['version']}  ({moved['uri']})")


@models.command("list")
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@_tracking_option
def list_models(name, as_json, tracking_uri):
    """Registered models, their versions (newest first) and aliases."""
    from textml.tracking.registry import list_models as list_registered

    registered = list_registered(name, tracking_uri=tracking_uri)
    if as_json:
        click.echo(json.dumps(registered, indent=2))
        return
    if not registered:
        click.echo("no registered models; register one with `textml models register RUN_ID --name NAME`")
        return
    for model in registered:
        aliases = ", ".join(f"{a} -> v{v}" for a, v in sorted(model["aliases"].items())) or "no aliases"
        click.echo(f"{model['name']}  ({len(model['versions'])} versions; {aliases})")
        for v in model["versions"]:
            score = f"{v['primary_metric']} {v['dev_score']:.4f}" if v["dev_score"] is not None else ""
            tags = f"  @{', @'.join(v['aliases'])}" if v["aliases"] else ""
            click.echo(f"  v{v['version']:<4} {v['model'] or '':<16} {score:<20} run {v['run_id']}{tags}")
