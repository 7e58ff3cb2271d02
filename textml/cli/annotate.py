"""`textml annotate push|pull`: round trips with a Label Studio server."""

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


@click.group()
def annotate() -> None:
    """Round trips with Label Studio: push rows for (re-)annotation, pull curated labels back."""


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
@data_options
@connection_options
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON document.")
@quiet_option
def push(file, project, model_version, key, pred_col, score_col, multilabel, labels_from, batch_size, read, url,
         api_key, as_json, quiet) -> None:
    """Import the rows of FILE as tasks of a Label Studio project.

    Typically FILE is the eyeball set of `textml errors` (its predicted/prob_predicted
    columns become the pre-annotation, with --model-version as its model version).
    Each task holds the text, the source id, the current label and a stable row key:
    rows the project already holds are skipped, so pushing again (for instance after
    an interruption) never duplicates tasks.
    """
    from textml.annotation.push import push_file

    report = push_file(file, project, url=url, api_key=api_key, model_version=model_version, key=key,
                       pred_col=pred_col or None, score_col=score_col or None, multilabel=multilabel,
                       labels_from=labels_from, batch_size=batch_size, progress=not (quiet or as_json), **read)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
        return
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
