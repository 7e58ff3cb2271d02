"""Options shared by several commands, declared once so every command spells them alike."""

from __future__ import annotations

import functools

import click

FORMAT_CHOICES = ["csv", "tsv", "jsonl", "parquet", "fasttext", "lines"]


def data_options(func):
    """--text-col/--label-col/--id-col/--format/--encoding: how to read a data file."""

    @click.option("--text-col", default="text", show_default=True, help="Column (or JSON field) holding the text.")
    @click.option("--label-col", default="label", show_default=True, help="Column (or JSON field) holding the label.")
    @click.option("--id-col", default=None, help="Column holding a row id (default: an 'id' column if present, else the row number).")
    @click.option("--format", "fmt", type=click.Choice(FORMAT_CHOICES), default=None,
                  help="File format; default: from the extension.")
    @click.option("--encoding", default="utf-8", show_default=True, help="Text encoding of the input.")
    @functools.wraps(func)
    def wrapper(*args, text_col, label_col, id_col, fmt, encoding, **kwargs):
        from textml.data.formats import Columns

        kwargs["read"] = dict(columns=Columns(text=text_col, label=label_col, id=id_col), fmt=fmt, encoding=encoding)
        return func(*args, **kwargs)

    return wrapper


def split_options(func):
    """SPLIT_DIR (optional) and --train/--dev/--test: where the experiment's data is."""

    @click.argument("split_dir", required=False, type=click.Path(file_okay=False))
    @click.option("--train", "train_file", type=click.Path(dir_okay=False), help="Training file (overrides SPLIT_DIR's).")
    @click.option("--dev", "dev_file", type=click.Path(dir_okay=False), help="Dev file (overrides SPLIT_DIR's).")
    @click.option("--test", "test_file", type=click.Path(dir_okay=False), help="Test file (overrides SPLIT_DIR's).")
    @data_options
    @functools.wraps(func)
    def wrapper(*args, split_dir, train_file, dev_file, test_file, read, **kwargs):
        from textml.data.split import load_split

        if split_dir is None and not (train_file and dev_file):
            raise click.UsageError("give a SPLIT_DIR, or both --train and --dev files")
        kwargs["split"] = load_split(split_dir, train=train_file, dev=dev_file, test=test_file, **read)
        return func(*args, **kwargs)

    return wrapper


def tracking_options(func):
    """--tracking-uri and --experiment: where runs go."""

    @click.option("--tracking-uri", envvar="MLFLOW_TRACKING_URI", default=None,
                  help="MLflow tracking URI [env MLFLOW_TRACKING_URI; default: sqlite:///mlflow.db here].")
    @click.option("--experiment", default=None, help="MLflow experiment name (default: one per dataset).")
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)

    return wrapper


def quiet_option(func):
    return click.option("--quiet", "-q", is_flag=True, help="No progress output (for scripts).")(func)
