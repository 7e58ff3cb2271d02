"""`textml pipelines ...`: the registry of named pipelines."""

from __future__ import annotations

import click

# The registry's task names (textml.models.registry.TASKS), spelled out so `--help` stays instant.
_TASKS = ("binary", "multiclass", "multilabel", "regression")
_PIPELINE_OWN = {"memory", "verbose", "transform_input"}  # scikit-learn Pipeline's plumbing


@click.group()
def pipelines() -> None:
    """The named pipelines train, compare and tune can fit."""


@pipelines.command("list")
@click.option("--task", type=click.Choice(_TASKS), default=None,
              help="Only the pipelines serving this task (baselines included).")
def list_pipelines(task: str | None) -> None:
    """One line per pipeline: its name, the tasks it serves and what it is (and the package
    of a plugin's).

    Other packages add pipelines through the `textml.pipelines` entry point group; see
    docs/api.md, "Plugins".
    """
    from textml.models.registry import list_specs, plugin_source

    specs = [spec for spec in list_specs() if task is None or spec.serves(task)]
    if not specs:
        click.echo(f"no pipeline serves {task}")
        return
    width = max(len(spec.name) for spec in specs)
    served = {spec.name: ",".join(spec.tasks) for spec in specs}
    task_width = max(len(text) for text in served.values())
    for spec in specs:
        source = plugin_source(spec.name)
        click.echo(f"{spec.name:<{width}}  {served[spec.name]:<{task_width}}  {spec.description}"
                   + (f"  [plugin: {source}]" if source else ""))


@pipelines.command()
@click.argument("name")
@click.option("--task", type=click.Choice(_TASKS), default=None,
              help="Show the pipeline as built for this task (default: the first it serves).")
def show(name: str, task: str | None) -> None:
    """A pipeline's description, the tasks it serves, its default hyperparameters and search space."""
    from textml.models.registry import get_spec, plugin_source
    from textml.tracking import estimator_params

    spec = get_spec(name)
    task = spec.task_for(task)  # a task it does not serve: one line naming those that do
    click.echo(f"{spec.name}: {spec.description}")
    if plugin_source(name):
        click.echo(f"from the plugin {plugin_source(name)}")
    click.echo(f"tasks: {', '.join(spec.tasks)}" + (f" (shown for {task})" if len(spec.tasks) > 1 else ""))
    click.echo("\ndefault hyperparameters (set with --param NAME=VALUE):")
    for key, value in sorted(estimator_params(spec.make(task=task)).items()):
        if "__" in key or key not in _PIPELINE_OWN:  # a pipeline's own settings (e.g. threshold) too
            click.echo(f"  {key} = {value}")
    space = spec.search_space_for(task)
    if space:
        click.echo("\nsearch space (textml tune):")
        for key, values in space.items():
            shown = values if isinstance(values, list) else getattr(values, "dist", values)
            if hasattr(values, "args"):
                shown = f"{getattr(values.dist, 'name', values)}{tuple(values.args)}"
            click.echo(f"  {key}: {shown}")
