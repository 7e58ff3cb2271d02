"""`textml demo`: the main job end to end on the bundled product-title corpus."""

from __future__ import annotations

from pathlib import Path

import click

from textml.cli.options import quiet_option


@click.command()
@click.option("--workdir", default="textml-demo", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the split and the comparison table.")
@click.option("--corpus", default=None, type=click.Path(dir_okay=False),
              help="Labelled file to use instead of the bundled product titles.")
@click.option("--models", default=None, metavar="A,B,...", help="Registry names (default: all).")
@click.option("--tracking-uri", envvar="MLFLOW_TRACKING_URI", default=None,
              help="MLflow tracking URI [env MLFLOW_TRACKING_URI; default: sqlite:///mlflow.db here].")
@quiet_option
def demo(workdir, corpus, models, tracking_uri, quiet) -> None:
    """Check, split (deduplicated) and compare every pipeline on the bundled corpus.

    Then shows where to look: the table, the plots, and `mlflow ui` on the same store.
    """
    from textml import bundled_corpus
    from textml.data.check import check_file
    from textml.data.split import split_file
    from textml.exceptions import DataError
    from textml.experiments.compare import compare, format_table
    from textml.experiments.spec import DataSpec, RunSpec, TrackingSpec
    from textml.tracking import resolve_uri

    say = (lambda m: None) if quiet else (lambda m: click.echo(m, err=True))
    source = Path(corpus) if corpus else bundled_corpus("products")
    if not source.exists():
        raise DataError(f"corpus not found: {source}; pass --corpus FILE")
    workdir = Path(workdir)
    split_dir = workdir / "split"
    report = check_file(source)
    say(f"{source.name}: {report.rows:,} rows, {len(report.classes)} classes, task {report.task}")
    if not split_dir.exists():
        split_file(source, split_dir, dedupe=True)
        say(f"split written to {split_dir}")
    names = [m.strip() for m in models.split(",")] if models else None
    spec = RunSpec("compare", DataSpec(split=str(split_dir)), tracking=TrackingSpec(tracking_uri, f"demo-{source.stem}"),
                   settings={"models": names})
    outcome = compare(spec, say, out_dir=workdir / "comparison", force=True)
    click.echo(format_table(outcome))
    click.echo("")
    click.echo(f"primary metric: {outcome.choice.name} ({outcome.choice.reason})")
    click.echo(f"recommended: {outcome.recommended}")
    click.echo(f"table and plot: {workdir / 'comparison'}")
    uri = resolve_uri(tracking_uri)
    click.echo(f"all runs, plots and models: mlflow ui --backend-store-uri {uri}")
