"""`textml pipelines ...`: the registry of named pipelines."""

from __future__ import annotations

import click


@click.group()
def pipelines() -> None:
    """The named pipelines train, compare and tune can fit."""


@pipelines.command("list")
def list_pipelines() -> None:
    """One line per pipeline: its name and what it is (and the package of a plugin's).

    Other packages add pipelines through the `textml.pipelines` entry point group; see
    docs/api.md, "Plugins".
    """
    from textml.models.registry import list_specs, plugin_source

    specs = list_specs()
    width = max(len(spec.name) for spec in specs)
    for spec in specs:
        source = plugin_source(spec.name)
        click.echo(f"{spec.name:<{width}}  {spec.description}" + (f"  [plugin: {source}]" if source else ""))


@pipelines.command()
@click.argument("name")
def show(name: str) -> None:
    """A pipeline's description, default hyperparameters and search space."""
    from textml.models.registry import get_spec, make_model, plugin_source
    from textml.tracking import estimator_params

    spec = get_spec(name)
    click.echo(f"{spec.name}: {spec.description}")
    if plugin_source(name):
        click.echo(f"from the plugin {plugin_source(name)}")
    click.echo("\ndefault hyperparameters (set with --param NAME=VALUE):")
    for key, value in sorted(estimator_params(make_model(name)).items()):
        if "__" in key:
            click.echo(f"  {key} = {value}")
    if spec.search_space:
        click.echo("\nsearch space (textml tune):")
        for key, values in spec.search_space.items():
            shown = values if isinstance(values, list) else getattr(values, "dist", values)
            if hasattr(values, "args"):
                shown = f"{getattr(values.dist, 'name', values)}{tuple(values.args)}"
            click.echo(f"  {key}: {shown}")
