"""`textml data ...`: look at a file, split it, fetch a public corpus."""

from __future__ import annotations

import functools
import json

import click

from textml.cli.options import FORMAT_CHOICES, TASK_CHOICES, data_options

EXIT_NOT_USABLE = 1


def skip_bad_option(func):
    return click.option("--skip-bad", is_flag=True,
                        help="Leave malformed rows out (counted and listed) instead of stopping at the first.")(func)


def task_option(func):
    @click.option("--task", type=click.Choice(TASK_CHOICES), default=None,
                  help="The task (default: inferred from the labels); e.g. regression for numbers that look "
                       "like class codes.")
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)

    return wrapper


@click.group()
def data() -> None:
    """Check, split and fetch labelled text files."""


@data.command()
@click.argument("file", type=click.Path(dir_okay=False))
@data_options
@task_option
@skip_bad_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON document.")
def check(file: str, read: dict, task: str | None, skip_bad: bool, as_json: bool) -> int:
    """Report on FILE: rows, classes (with a bar chart), imbalance, blank texts, missing
    labels, duplicates, conflicting labels, lengths and the task type. Multi-label files
    also get labels per row and distinct label sets; a numeric target gets its summary,
    a histogram and the cells that are not numbers.

    Exits 0 when the data is usable for training, 1 when it is not (no labels, one class,
    ...), 2 on an unreadable file.
    """
    from textml.data.check import check_file, format_report

    report = check_file(file, skip_bad=skip_bad, task=task, **read)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(format_report(report))
    if not report.usable:
        click.echo(f"error: {file} is not usable: {'; '.join(report.problems)}", err=True)
        return EXIT_NOT_USABLE
    return 0


@data.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder to write train/dev/test files and manifest.json into.")
@click.option("--dev", default=0.1, show_default=True, type=click.FloatRange(0, 1, max_open=True),
              help="Fraction of rows for the dev split.")
@click.option("--test", default=0.1, show_default=True, type=click.FloatRange(0, 1, max_open=True),
              help="Fraction of rows for the test split.")
@click.option("--seed", default=0, show_default=True, help="Random seed; the same seed gives the same split.")
@click.option("--dedupe", is_flag=True,
              help="Drop repeated texts before splitting (majority label wins) so no text is in two splits.")
@click.option("--out-format", type=click.Choice([f for f in FORMAT_CHOICES if f != "lines"]), default=None,
              help="Format of the split files; default: the input's.")
@click.option("--force", is_flag=True, help="Replace OUT if it exists.")
@data_options
@task_option
@skip_bad_option
def split(file, out_dir, dev, test, seed, dedupe, out_format, force, read, task, skip_bad) -> None:
    """Split FILE into stratified train/dev/test files (default 80/10/10).

    Classes are stratified one by one, multi-label rows by iterative stratification (every
    label with 3 rows or more reaches dev and test), numeric targets by their quantile
    bins. Rows without text or label are dropped, classes too rare to stratify (fewer than
    3 rows) stay in train, and everything is recorded in OUT/manifest.json (source and
    output sha256, rows and class counts or target summary per split, seed and options).
    OUT appears only once it is complete.
    """
    from textml.data.split import split_file

    manifest = split_file(file, out_dir, dev=dev, test=test, seed=seed, dedupe=dedupe, out_format=out_format,
                          force=force, skip_bad=skip_bad, task=task, **read)
    splits = manifest["splits"]
    if manifest["task"] == "regression":
        what = f"numeric target stratified on {manifest['stratified_on']}"
    elif manifest["task"] == "multilabel":
        what = f"{manifest['classes']} labels"
    else:
        what = f"{manifest['classes']} classes"
    click.echo(
        f"wrote {out_dir}: train {splits['train']['rows']:,}, dev {splits['dev']['rows']:,}, "
        f"test {splits['test']['rows']:,} rows, {what}"
    )
    if manifest["task"] == "regression":
        click.echo("  target mean (std): " + ", ".join(
            f"{name} {info['target']['mean']:.4g} ({info['target']['std']:.3g})" for name, info in splits.items()
            if info["rows"]))
    missing = manifest.get("labels_not_in_every_split")
    if missing:
        click.echo(f"  warning: {len(missing)} labels could not be placed in every split: "
                   + ", ".join(f"{label} (not in {'/'.join(where)})" for label, where in list(missing.items())[:5]))
    dropped = manifest["dropped"]
    if dropped["blank_text"] or dropped["missing_label"]:
        click.echo(f"  dropped {dropped['blank_text']} blank texts and {dropped['missing_label']} unlabelled rows")
    if dropped["malformed"]:
        click.echo(f"  left out {dropped['malformed']} malformed rows (first: {dropped['malformed_examples'][0]})")
    if manifest["dedupe"]:
        d = manifest["dedupe"]
        kept = "their median kept" if manifest["task"] == "regression" else f"{d['conflict_ties']} ties, first label kept"
        click.echo(f"  dedupe: dropped {d['duplicates_dropped']:,} repeated texts; "
                   f"{d['conflicting_texts']} had conflicting labels ({kept})")
    elif manifest["texts_in_several_splits"]:
        click.echo(f"  warning: {manifest['texts_in_several_splits']} texts appear in more than one split; "
                   f"use --dedupe to prevent that")
    if manifest["rare_classes_in_train_only"]:
        rare = manifest["rare_classes_in_train_only"]
        kind = "labels" if manifest["task"] == "multilabel" else "classes"
        click.echo(f"  {len(rare)} {kind} too rare to stratify, kept in train only: {', '.join(rare[:10])}"
                   + (" ..." if len(rare) > 10 else ""))


@data.command()
@click.argument("name", required=False)
@click.option("--list", "list_only", is_flag=True, help="List the known corpora and exit.")
@click.option("--cache-dir", type=click.Path(file_okay=False), envvar="TEXTML_CACHE", default=None,
              help="Where corpora are kept [env TEXTML_CACHE; default ~/.cache/textml].")
@click.option("--url", default=None, help="Download from this URL (a mirror) instead of the publisher's.")
@click.option("--force", is_flag=True, help="Download again even if the corpus is cached.")
def fetch(name, list_only, cache_dir, url, force) -> None:
    """Download a known public corpus NAME, verify it, and write it as CSV (text,label).

    Prints where it was written, its licence and how to cite it.
    """
    from textml.data.corpora import CORPORA, fetch_corpus

    if list_only or not name:
        for corpus in CORPORA.values():
            click.echo(f"{corpus.name:<12} {corpus.description}")
        if not list_only:
            click.echo("\nname a corpus to fetch it: textml data fetch NAME")
        return
    result = fetch_corpus(name, cache_dir=cache_dir, url=url, force=force)
    click.echo(f"{name}: {', '.join(str(p) for p in result.files)}")
    click.echo(f"  rows {result.rows:,}, classes {result.classes}")
    click.echo(f"  licence: {result.corpus.licence}")
    click.echo(f"  cite: {result.corpus.citation}")
