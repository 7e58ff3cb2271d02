"""Options shared by several commands, declared once so every command spells them alike,
and the one place where a command's flags become its run spec."""

from __future__ import annotations

import functools
from pathlib import Path

import click

FORMAT_CHOICES = ["csv", "tsv", "jsonl", "parquet", "fasttext", "lines"]
TASK_CHOICES = ["binary", "multiclass", "multilabel", "regression"]

# flag name (as the callback receives it) -> where it goes in the run spec
DATA_FLAGS = {"split_dir": "split", "train_file": "train", "dev_file": "dev", "test_file": "test",
              "text_col": "text_col", "label_col": "label_col", "id_col": "id_col", "fmt": "format",
              "encoding": "encoding", "label_sep": "label_sep"}
TRACKING_FLAGS = {"tracking_uri": "uri", "experiment": "experiment"}
TOP_FLAGS = ("metric", "seed", "task")
MODEL_FLAGS = ("model_name", "params", "options")
# what a command writes or how it talks: not part of what the run is
OUTPUT_FLAGS = ("out", "out_dir", "force", "as_json", "quiet")
# settings naming local files or folders: made absolute, so the spec means the same anywhere
PATH_SETTINGS = ("model", "against", "model_dir")


def _data_flags(func):
    @click.option("--text-col", default="text", show_default=True, help="Column (or JSON field) holding the text.")
    @click.option("--label-col", default="label", show_default=True, help="Column (or JSON field) holding the label.")
    @click.option("--id-col", default=None, help="Column holding a row id (default: an 'id' column if present, else the row number).")
    @click.option("--format", "fmt", type=click.Choice(FORMAT_CHOICES), default=None,
                  help="File format; default: from the extension.")
    @click.option("--encoding", default="utf-8", show_default=True, help="Text encoding of the input.")
    @click.option("--label-sep", default=None, metavar="SEP",
                  help="CSV/TSV: the separator between the several labels of a multi-label cell, e.g. '|' "
                       "(JSONL lists, Parquet lists and fastText lines need none).")
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)

    return wrapper


def data_options(func):
    """--text-col/--label-col/--id-col/--format/--encoding: how to read a data file."""

    @_data_flags
    @functools.wraps(func)
    def wrapper(*args, text_col, label_col, id_col, fmt, encoding, label_sep, **kwargs):
        from textml.data.formats import Columns

        kwargs["read"] = dict(columns=Columns(text=text_col, label=label_col, id=id_col, label_sep=label_sep),
                              fmt=fmt, encoding=encoding)
        return func(*args, **kwargs)

    return wrapper


def split_options(func):
    """SPLIT_DIR (optional) and --train/--dev/--test, and how to read them."""

    @click.argument("split_dir", required=False, type=click.Path(file_okay=False))
    @click.option("--train", "train_file", type=click.Path(dir_okay=False), help="Training file (overrides SPLIT_DIR's).")
    @click.option("--dev", "dev_file", type=click.Path(dir_okay=False), help="Dev file (overrides SPLIT_DIR's).")
    @click.option("--test", "test_file", type=click.Path(dir_okay=False), help="Test file (overrides SPLIT_DIR's).")
    @_data_flags
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)

    return wrapper


def tracking_options(func):
    """--tracking-uri and --experiment: where runs go."""

    @click.option("--tracking-uri", envvar="MLFLOW_TRACKING_URI", default=None,
                  help="MLflow tracking URI [env MLFLOW_TRACKING_URI; default: sqlite:///mlflow.db here].")
    @click.option("--experiment", envvar="MLFLOW_EXPERIMENT_NAME", default=None,
                  help="MLflow experiment name [env MLFLOW_EXPERIMENT_NAME; default: one per dataset].")
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)

    return wrapper


def quiet_option(func):
    return click.option("--quiet", "-q", is_flag=True, help="No progress output (for scripts).")(func)


def model_options(required: bool = True):
    """--model, --param NAME=VALUE and --option NAME=VALUE."""

    def decorate(func):
        @click.option("--model", "model_name", required=False,
                      help="Registry pipeline, e.g. bow-svm (see `textml pipelines list`)"
                           + (" [required unless --config gives model.name]." if required else "."))
        @click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
                      help="Set a hyperparameter, e.g. --param clf__C=0.5 or --param tfidf__ngram_range=1,3 "
                           "(repeatable; names as in `textml pipelines show NAME`).")
        @click.option("--option", "options", multiple=True, metavar="NAME=VALUE",
                      help="Set a factory option, e.g. --option spacy_lang=de --option stop_words=true.")
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            return func(*args, **kwargs)

        return wrapper

    return decorate


def run_options(command: str):
    """The options every run command shares (data, metric, task, seed, tracking, --config,
    --set, --print-config, --quiet); the callback receives ``spec`` and its output options."""

    def decorate(func):
        @split_options
        @click.option("--metric", default=None,
                      help="Primary metric (default: chosen from the task). binary: f1, average_precision, "
                           "roc_auc; multiclass: macro_f1, balanced_accuracy, weighted_f1; multilabel: micro_f1, "
                           "macro_f1, samples_f1, hamming_loss; regression: rmse, mae, r2.")
        @click.option("--task", type=click.Choice(TASK_CHOICES), default=None,
                      help="The task (default: inferred from the training labels: several labels in a row "
                           "make it multilabel; many distinct numbers, regression).")
        @click.option("--seed", default=0, show_default=True, type=click.IntRange(0), help="Seed of every random step.")
        @tracking_options
        @click.option("--config", type=click.Path(dir_okay=False), default=None,
                      help="Run spec (TOML) to start from, e.g. one saved from --print-config; flags given "
                           "on the command line override it.")
        @click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
                      help="Override one value of the spec, e.g. --set model.params.clf__C=0.5 "
                           "or --set settings.tolerance=2 (repeatable).")
        @click.option("--print-config", is_flag=True,
                      help="Print the run spec this command would run (TOML) and exit without running it.")
        @quiet_option
        @functools.wraps(func)
        def wrapper(config, overrides, print_config, **values):
            spec = build_spec(command, values, click.get_current_context(), config, list(overrides))
            if print_config:
                click.echo(spec.to_toml(), nl=False)
                return 0
            outputs = {name: values[name] for name in OUTPUT_FLAGS if name in values}
            return func(spec, **outputs)

        return wrapper

    return decorate


def build_spec(command: str, values: dict, ctx: click.Context, config: str | None, overrides: list[str]):
    """The run spec from a command's flag values: the --config file's, with the flags typed on
    the command line on top, then the --set overrides. Without --config every flag (and the
    environment variables behind some) counts."""
    from click.core import ParameterSource

    from textml.experiments.spec import DataSpec, PipelineSpec, RunSpec, TrackingSpec, parse_assignments

    base = RunSpec.read(config) if config else RunSpec(command)
    if base.command != command:
        raise click.UsageError(f"{config} is a spec for `textml {base.command}`; run that command with it")
    if config:
        # only what was typed on the command line overrides the file: an environment variable
        # (MLFLOW_TRACKING_URI, which mlflow.set_tracking_uri() also exports) must not
        given = {name for name in values if ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE}
    else:
        given = set(values)
    data = {field: values[flag] for flag, field in DATA_FLAGS.items() if flag in given}
    tracking = {field: values[flag] for flag, field in TRACKING_FLAGS.items() if flag in given}
    top = {name: values[name] for name in TOP_FLAGS if name in given}
    model = {}
    if "model_name" in given and values["model_name"] is not None:
        model["name"] = values["model_name"]
    if values.get("params"):
        model["params"] = {**base.model.params, **parse_assignments(values["params"], "--param")}
    if values.get("options"):
        model["options"] = {**base.model.options, **parse_assignments(values["options"], "--option")}
    reserved = {*DATA_FLAGS, *TRACKING_FLAGS, *TOP_FLAGS, *MODEL_FLAGS, *OUTPUT_FLAGS}
    settings = {**base.settings, **{name: _absolute(name, values[name]) for name in values
                                    if name not in reserved and name in given}}
    spec = RunSpec(
        command=command,
        data=DataSpec(**{**base.data.__dict__, **data}).resolved(),
        model=PipelineSpec(**{**base.model.__dict__, **model}),
        tracking=TrackingSpec(**{**base.tracking.__dict__, **tracking}),
        settings=settings,
        **{**{name: getattr(base, name) for name in TOP_FLAGS}, **top},
    )
    return spec.with_overrides(overrides) if overrides else spec


def _absolute(name: str, value):
    if name in PATH_SETTINGS and isinstance(value, str) and value and Path(value).expanduser().exists():
        return str(Path(value).expanduser().resolve())
    return value


def progress_sink(silent: bool):
    """The progress callable commands print through: stderr, or nothing for scripts."""
    return (lambda message: None) if silent else (lambda message: click.echo(message, err=True))
