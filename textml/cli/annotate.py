"""`textml annotate push|pull|suggest|round|serve`: round trips with a Label Studio server,
active selection, one-command retraining rounds, and textml as a Label Studio ML backend."""

from __future__ import annotations

import functools
import json

import click

from textml.cli.options import data_options, quiet_option


def _n(count: int, word: str, plural: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else (plural or word + 's')}"


def connection_options(func):
    """--url and --api-key, defaulting to LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY."""

    @click.option("--url", envvar="LABEL_STUDIO_URL", default=None, metavar="URL",
                  help="Label Studio server, e.g. http://localhost:8080 [env LABEL_STUDIO_URL].")
    @click.option("--api-key", envvar="LABEL_STUDIO_API_KEY", default=None, metavar="KEY",
                  help="Legacy token or personal access token [env LABEL_STUDIO_API_KEY; prefer the variable: "
                       "arguments are visible to other users of the machine].")
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)

    return wrapper


def engine_options(func):
    """--engine and --master, spelled as `textml encode|predict` spell them."""

    @click.option("--engine", type=click.Choice(["local", "spark"]), default="local", show_default=True,
                  help="Where the pool is scored: local (streamed on this machine) or spark (Apache Spark, for a "
                       "pool beyond one machine: Parquet, CSV or TSV; pip install 'textml[spark]'). Both pick the "
                       "same texts.")
    @click.option("--master", default=None,
                  help="With --engine spark: the master URL, e.g. local[4] or spark://host:7077 (default: "
                       "SPARK_REMOTE or Spark's config).")
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)

    return wrapper


@click.group()
def annotate() -> None:
    """Label Studio: push rows for (re-)annotation, pull curated labels back, pick what to label next
    (suggest), retrain in one round (round), and serve a model as an ML backend (serve)."""


@annotate.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--project", required=True, metavar="NAME|ID",
              help="Project title (created if no project has it) or number.")
@click.option("--model-version", default=None, metavar="RUN_ID",
              help="MLflow run id of the model whose predictions FILE holds (needed when it has a predicted column).")
@click.option("--key", type=click.Choice(["auto", "id", "text"]), default="auto", show_default=True,
              help="Row key that makes pushes idempotent: the source id, or a hash of the text; auto: id when the "
                   "file has an id column.")
@click.option("--pred-col", default="predicted", show_default=True,
              help="Column with the model's prediction, attached as a pre-annotation (ignored if absent).")
@click.option("--score-col", default="prob_predicted", show_default=True,
              help="Column with the prediction's probability (its score).")
@click.option("--multi-label", "multilabel", is_flag=True,
              help="Create a multiple-choice project even if no row has several labels.")
@click.option("--labels-from", type=click.Path(dir_okay=False, exists=True), default=None, metavar="FILE",
              help="Also offer the labels of FILE (e.g. the training file; read with the same column options) when "
                   "creating the project.")
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(min=1),
              help="Tasks per import request.")
@click.option("--select", "select", default=None,
              type=click.Choice(["least-confidence", "margin", "entropy", "diverse", "random"]),
              help="FILE is an unlabelled pool: push the --size texts this strategy picks (see `annotate suggest`), "
                   "with --model's guess and score as pre-annotations.")
@click.option("--size", default=None, type=click.IntRange(min=1), help="With --select: how many texts to push.")
@click.option("--model", "model_ref", default=None, metavar="MODEL", help="With --select: the model that ranks.")
@click.option("--exclude", multiple=True, type=click.Path(dir_okay=False, exists=True), metavar="FILE",
              help="With --select: labelled files whose texts are not picked again.")
@click.option("--tracking-uri", envvar="MLFLOW_TRACKING_URI", default=None,
              help="With --select: MLflow tracking URI for the model reference [env MLFLOW_TRACKING_URI].")
@engine_options
@data_options
@connection_options
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON document.")
@quiet_option
def push(file, project, model_version, key, pred_col, score_col, multilabel, labels_from, batch_size, select, size,
         model_ref, exclude, tracking_uri, engine, master, read, url, api_key, as_json, quiet) -> None:
    """Import the rows of FILE as tasks of a Label Studio project.

    Typically FILE is the eyeball set of `textml errors` (its predicted/prob_predicted
    columns become the pre-annotation, with --model-version as its model version).
    Each task holds the text, the source id, the current label and a stable row key:
    rows the project already holds are skipped, so pushing again (for instance after
    an interruption) never duplicates tasks.
    """
    from textml.annotation.push import push_file

    if select is not None:
        _push_selection(file, project, select, size, model_ref, exclude, tracking_uri, batch_size, engine, master,
                        read, url, api_key, as_json, quiet)
        return
    if size is not None or model_ref is not None:
        raise click.UsageError("--size and --model go with --select (push the texts a strategy picks from a pool)")
    if engine != "local" or master is not None:
        raise click.UsageError("--engine and --master go with --select (where the pool is scored); a plain push "
                               "imports FILE as it is")
    report = push_file(file, project, url=url, api_key=api_key, model_version=model_version, key=key,
                       pred_col=pred_col or None, score_col=score_col or None, multilabel=multilabel,
                       labels_from=labels_from, batch_size=batch_size, progress=not (quiet or as_json), **read)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
        return
    _say_push(report, file)


def _push_selection(pool, project, select, size, model_ref, exclude, tracking_uri, batch_size, engine, master, read,
                    url, api_key, as_json, quiet) -> None:
    from textml.annotation.suggest import push_selection

    if size is None or model_ref is None:
        raise click.UsageError("--select needs --size N and --model MODEL")
    say = (lambda m: None) if (quiet or as_json) else (lambda m: click.echo(m, err=True))
    picked, report = push_selection(pool, project, model_ref, size, select, url=url, api_key=api_key,
                                    exclude=exclude, tracking_uri=tracking_uri, batch_size=batch_size,
                                    engine=engine, master=master, progress=None if (quiet or as_json) else say, **_pool_read(read))
    if as_json:
        click.echo(json.dumps({"selection": picked.to_dict(), "push": report.to_dict()}, indent=2))
        return
    _say_suggest(picked)
    _say_push(report, pool)


def _say_push(report, file) -> None:
    state = "created" if report.created else "existing"
    click.echo(f"pushed {_n(report.imported, 'new task')} to project {report.project_title!r} ({state}, number "
               f"{report.project_id}) in {report.seconds:.1f}s: {report.project_url}")
    click.echo(f"  {report.rows:,} rows in {file}; {report.already_there:,} already in the project (skipped); "
               f"rows keyed by {report.keyed_by}")
    if report.predictions:
        click.echo(f"  {report.predictions:,} with the model's prediction (model version {report.model_version})")
    if report.blank or report.duplicates:
        click.echo(f"  not pushed: {_n(report.blank, 'blank text')}, {_n(report.duplicates, 'repeated text')}")
    if report.extra_project_labels:
        click.echo(f"  note: the project also offers {', '.join(map(repr, report.extra_project_labels[:10]))}, "
                   f"which {file} does not use")


@annotate.command()
@click.option("--project", required=True, metavar="NAME|ID", help="Project title or number.")
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="Labelled file to write (.csv, .tsv, .jsonl or .parquet; multi-label: .jsonl or .parquet).")
@click.option("--keep-ties", is_flag=True,
              help="Also write tied tasks (empty label, tie=true) instead of leaving them out.")
@click.option("--min-annotators", default=1, show_default=True, type=click.IntRange(min=1),
              help="Leave out tasks with fewer annotators than this.")
@click.option("--merge-into", type=click.Path(dir_okay=False, exists=True), default=None, metavar="SPLIT_FILE",
              help="Also write a new version of this training/dev file with the curated labels applied by key.")
@click.option("--merge-out", type=click.Path(dir_okay=False), default=None,
              help="Name of that new version [default: <stem>.merged<ext> beside SPLIT_FILE].")
@click.option("--allow-new-labels", is_flag=True, help="Accept curated labels SPLIT_FILE has never seen.")
@click.option("--force", is_flag=True, help="Replace outputs that exist.")
@data_options
@connection_options
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON document.")
@quiet_option
def pull(project, out, keep_ties, min_annotators, merge_into, merge_out, allow_new_labels, force, read, url,
         api_key, as_json, quiet) -> None:
    """Export the annotated tasks of a project as a labelled file: one row per task.

    Each row has id, text and the majority label (the file can be the dev or test file
    of later commands), then the number of annotators, their agreement, the votes,
    who annotated and when. Skipped annotations are ignored; ties get no label and are
    left out (reported) unless --keep-ties. With --merge-into, the column options
    (--text-col, --label-col, --id-col, --format) describe SPLIT_FILE.
    """
    from textml.annotation.pull import pull_project

    say = (lambda m: None) if (quiet or as_json) else (lambda m: click.echo(m, err=True))
    report = pull_project(project, out, url=url, api_key=api_key, keep_ties=keep_ties, min_annotators=min_annotators,
                          merge_into=merge_into, merge_out=merge_out, allow_new_labels=allow_new_labels, force=force,
                          progress=say, **read)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
        return
    click.echo(f"pulled {_n(report.tasks, 'annotated task')} of project {report.project_title!r} (number "
               f"{report.project_id}) in {report.seconds:.1f}s: wrote {_n(report.written, 'row')} to {report.out}")
    left_out = []
    if report.ties:
        left_out.append(f"{_n(report.ties, 'tie')} ({'kept with no label' if report.ties_written else 'left out; --keep-ties keeps them'})")
    if report.skipped_only:
        left_out.append(f"{report.skipped_only:,} only skipped")
    if report.too_few:
        left_out.append(f"{report.too_few:,} with fewer than {min_annotators} annotators")
    if left_out:
        click.echo("  tasks not labelled: " + ", ".join(left_out))
    click.echo(f"  {report.annotations:,} annotations counted, {report.skipped_annotations:,} skipped ones ignored")
    agreement = report.agreement
    if agreement.get("tasks_with_2plus_annotators"):
        alpha = agreement["krippendorff_alpha"]
        click.echo(f"  agreement on {agreement['tasks_with_2plus_annotators']:,} tasks with 2+ annotators: "
                   f"{agreement['unanimous_share']:.0%} unanimous, mean {agreement['mean_agreement']:.2f}, "
                   f"pairwise {agreement['pairwise_agreement']:.2f}, Krippendorff's alpha "
                   f"{'n/a' if alpha is None else f'{alpha:.2f}'}")
    for person, stats in agreement.get("annotators", {}).items():
        share = stats["agreement_with_majority"]
        with_majority = "" if share is None else f", with the majority on {share:.0%} of {stats['compared']:,} shared"
        click.echo(f"    {person}: {stats['annotations']:,} annotations{with_majority}")
    if report.merge:
        m = report.merge
        click.echo(f"merged into {m['out']}: {_n(m['changed'], 'label')} changed, {m['confirmed']:,} confirmed "
                   f"({m['matched']:,} of {m['rows']:,} rows matched; {m['not_in_file']:,} pulled rows not in "
                   f"{m['source']}); changes: {m['changes_path']}")
        if m["conflicting"]:
            click.echo(f"  {m['conflicting']:,} rows left unchanged: tasks disagree about them")


STRATEGY_HELP = ("How to rank the pool: least-confidence, margin, entropy, diverse (the most uncertain, spread "
                 "apart in TF-IDF space) or random (the control).")


@annotate.command()
@click.argument("pool", type=click.Path())
@click.option("--model", "model_ref", required=True, metavar="MODEL",
              help="Model folder, run id, runs:/RUN_ID/model or models:/NAME@champion.")
@click.option("--size", required=True, type=click.IntRange(min=1), help="How many texts to pick.")
@click.option("--strategy", default="entropy", show_default=True,
              type=click.Choice(["least-confidence", "margin", "entropy", "diverse", "random"]), help=STRATEGY_HELP)
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="Where to write the picks (.csv, .tsv, .jsonl or .parquet).")
@click.option("--exclude", multiple=True, type=click.Path(dir_okay=False, exists=True), metavar="FILE",
              help="Labelled file (train/dev/test) whose texts are not picked again; repeat for several.")
@click.option("--project", default=None, metavar="NAME|ID",
              help="Also leave out texts this Label Studio project already holds.")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0), help="Seed of random.")
@click.option("--tracking-uri", envvar="MLFLOW_TRACKING_URI", default=None,
              help="MLflow tracking URI for run ids and models:/ references [env MLFLOW_TRACKING_URI].")
@click.option("--trust-pickle", is_flag=True, help="Allow loading a pickled model (only models you made).")
@click.option("--force", is_flag=True, help="Replace --out if it exists.")
@engine_options
@data_options
@connection_options
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON document.")
@quiet_option
def suggest(pool, model_ref, size, strategy, out, exclude, project, seed, tracking_uri, trust_pickle, force, engine,
            master, read, url, api_key, as_json, quiet) -> None:
    """Rank the unlabelled texts of POOL and write the SIZE to label next.

    The pool is streamed (bounded memory, any size). Texts already labelled (--exclude
    files, the --project's tasks) and near-duplicates of each other are not picked.
    Each row has the model's guess (predicted, prob_predicted: what `annotate push`
    attaches as the pre-annotation), the uncertainty, the rank and why it was picked.

    With --engine spark, POOL (a Parquet, CSV or TSV file or folder, on any filesystem
    Spark reads) is scored on Spark in one pass; the picks, their order and the counts
    are the same as the local engine's, for every strategy.

    \b
      textml annotate suggest pool.csv --model model_dir --size 200 --out next.csv
      textml annotate suggest hdfs:///pool.parquet --model models:/shop@champion --size 500 \\
          --strategy diverse --out next.csv --engine spark --master yarn
    """
    from textml.annotation.suggest import suggest as run_suggest

    say = (lambda m: None) if (quiet or as_json) else (lambda m: click.echo(m, err=True))
    report = run_suggest(pool, model_ref, size, strategy, out, exclude=exclude, project=project, url=url,
                         api_key=api_key, seed=seed, tracking_uri=tracking_uri, trust_pickle=trust_pickle,
                         force=force, engine=engine, master=master, progress=say, **_pool_read(read))
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
        return
    _say_suggest(report)


def _pool_read(read: dict) -> dict:
    """The pool is unlabelled: its label column is not read."""
    from textml.data.formats import Columns

    columns = read["columns"]
    return {**read, "columns": Columns(text=columns.text, label=None, id=columns.id)}


def _say_suggest(report) -> None:
    where = f" to {report.out}" if report.out else ""
    click.echo(f"picked {_n(report.written, 'text')} of {report.pool_rows:,} with {report.strategy}{where} in "
               f"{report.seconds:.1f}s ({report.rows_per_second:,.0f} rows/s; model {report.model}"
               f"{', multi-label' if report.multilabel else ''}{', on Spark' if report.engine == 'spark' else ''})")
    left = []
    if report.excluded_labelled:
        left.append(f"{report.excluded_labelled:,} already labelled")
    if report.excluded_project:
        left.append(f"{report.excluded_project:,} already in the project")
    if report.duplicates:
        left.append(f"{_n(report.duplicates, 'near-duplicate')}")
    if report.blank:
        left.append(f"{_n(report.blank, 'blank text')}")
    if left:
        click.echo("  not picked: " + ", ".join(left))


@annotate.command()
@click.argument("model_ref", metavar="MODEL")
@click.option("--port", default=9090, show_default=True, type=click.IntRange(min=0, max=65535),
              help="Port to listen on (0: any free port, printed).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 to accept other machines: the backend has no authentication).")
@click.option("--tracking-uri", envvar="MLFLOW_TRACKING_URI", default=None,
              help="MLflow tracking URI for run ids and models:/ references [env MLFLOW_TRACKING_URI].")
@click.option("--trust-pickle", is_flag=True, help="Allow loading a pickled model (only models you made).")
@quiet_option
def serve(model_ref, port, host, tracking_uri, trust_pickle, quiet) -> None:
    """Serve MODEL as a Label Studio ML backend (health, setup, predict).

    In Label Studio: project Settings > Model > Connect Model, URL http://HOST:PORT (or
    the `ml` API). Annotators then see the model's label and score as a pre-annotation
    when they open a task; "Retrieve Predictions" fills whole projects. Single- and
    multi-label (choice="multiple") projects. Runs until Ctrl-C.
    """
    from textml.annotation.backend import serve as run_serve

    log = (lambda m: None) if quiet else (lambda m: click.echo(m, err=True))
    run_serve(model_ref, host, port, tracking_uri, trust_pickle, log=log,
              ready=lambda address: click.echo(f"serving {model_ref} as a Label Studio ML backend at {address}",
                                               err=True))


@annotate.command(name="round")
@click.option("--project", required=True, metavar="NAME|ID", help="The Label Studio project with the new annotations.")
@click.option("--model", "model_name", required=True, metavar="NAME",
              help="Registered model (MLflow model registry) whose champion is retrained.")
@click.option("--alias", default="champion", show_default=True, help="The alias of the version to beat.")
@click.option("--min-annotators", default=1, show_default=True, type=click.IntRange(min=1),
              help="Leave out tasks with fewer annotators than this.")
@click.option("--allow-new-labels", is_flag=True, help="Accept annotated labels the training file has never seen.")
@click.option("--confidence", default=0.95, show_default=True, type=click.FloatRange(0.5, 1, max_open=True),
              help="Confidence of the paired bootstrap interval the challenger must clear.")
@click.option("--resamples", default=1000, show_default=True, type=click.IntRange(10, 100_000),
              help="Bootstrap resamples.")
@click.option("--dry-run", is_flag=True, help="Pull and plan only: say what the round would do, write nothing.")
@click.option("--force", is_flag=True, help="Replace a round's training file left by an earlier, unfinished round.")
@click.option("--tracking-uri", envvar="MLFLOW_TRACKING_URI", default=None,
              help="MLflow tracking URI [env MLFLOW_TRACKING_URI; default: sqlite:///mlflow.db here].")
@connection_options
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON document.")
@quiet_option
def round_command(project, model_name, alias, min_annotators, allow_new_labels, confidence, resamples, dry_run, force,
                  tracking_uri, url, api_key, as_json, quiet) -> None:
    """One retraining round: pull -> merge -> retrain the champion's recipe -> compare -> promote.

    Pulls the project's annotations (majority votes, ties left out), writes a new version
    of the champion's training file (in rounds/ beside it: relabelled rows and the
    new annotated texts; dev and test stay fixed), retrains the champion's exact recipe on
    it, and compares challenger and champion on the same dev rows with a paired bootstrap.
    The challenger takes the alias only if it is better beyond the interval; otherwise it
    becomes `challenger`. The round is logged in MLflow with its lineage. If it fails, the
    aliases and data files are as they were.
    """
    from textml.annotation.round import run_round

    say = (lambda m: None) if (quiet or as_json) else (lambda m: click.echo(m, err=True))
    report = run_round(project, model_name, alias=alias, url=url, api_key=api_key, tracking_uri=tracking_uri,
                       min_annotators=min_annotators, allow_new_labels=allow_new_labels, confidence=confidence,
                       resamples=resamples, dry_run=dry_run, force=force, progress=say)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
        return
    click.echo(f"round {report.round} of {report.model_name} with project {report.project!r}: {report.decision} "
               f"({report.seconds:.1f}s)")
    click.echo(f"  {report.pulled:,} resolved annotated tasks: {report.added:,} rows added, {report.relabelled:,} "
               f"relabelled, {report.confirmed:,} confirmed, {report.in_eval:,} in dev/test (not added)")
    if report.train_after:
        click.echo(f"  training data: {report.train_before} ({report.train_rows_before:,} rows) -> "
                   f"{report.train_after} ({report.train_rows_after:,} rows)")
    click.echo(f"  {report.reason}")
    if report.aliases and report.challenger_version:
        moved = ", ".join(f"{a} -> v{v}" for a, v in report.aliases.items())
        click.echo(f"  aliases: {moved}; round logged as run {report.round_run_id}")
