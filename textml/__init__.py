"""textml: practical text classification on the CPU.

Cheap strong models first (bag-of-words, fastText, gensim embeddings) next to dummy
baselines, one honest primary metric, every run tracked in MLflow.

The Python API mirrors the command line, with plain paths and arguments (docs/api.md)::

    import textml

    textml.split(textml.bundled_corpus(), "split", dedupe=True)
    outcome = textml.compare("split", models=["bow-svm", "fasttext"])
    trained = textml.train("split", model="bow-svm", params={"clf__C": 0.5}, out="model")
    model = textml.load_model("model")            # or a run id, runs:/..., models:/NAME@ALIAS
    textml.predict("model", "new.csv", "predictions.csv")

Everything is imported on first use (PEP 562), so ``import textml`` loads no pandas,
scikit-learn or MLflow.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from pathlib import Path

    from textml.annotation.pull import PullReport
    from textml.annotation.push import PushReport
    from textml.data.check import CheckReport
    from textml.data.split import Split
    from textml.encoding.jobs import JobResult
    from textml.experiments.compare import CompareResult
    from textml.experiments.spec import RunSpec
    from textml.experiments.train import TrainResult
    from textml.experiments.tune import TuneResult

__version__ = "0.1.0"  # the one place the version is written (pyproject.toml reads it)

Progress = Callable[[str], None]
BUNDLED_CORPORA = ("products", "products_binary")

# name -> module it lives in: imported on first access (PEP 562 __getattr__)
_LAZY = {
    "RunSpec": "textml.experiments.spec",
    "register_model": "textml.models.registry",
    "make_model": "textml.models.registry",
    "model_names": "textml.models.registry",
    "get_spec": "textml.models.registry",
    "register": "textml.tracking.registry",  # a run's model -> a version in MLflow's registry
    "promote": "textml.tracking.registry",  # point an alias (champion, ...) at a version
    "TextmlError": "textml.exceptions",
    "DataError": "textml.exceptions",
    "ConfigError": "textml.exceptions",
    "TrainingError": "textml.exceptions",
    "TrackingError": "textml.exceptions",
    "AnnotationError": "textml.exceptions",
}

__all__ = [
    "__version__",
    "bundled_corpus",
    "check",
    "split",
    "load_split",
    "compare",
    "train",
    "tune",
    "run",
    "predict",
    "encode",
    "load_model",
    "push",
    "pull",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'textml' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # next access skips __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


# ----------------------------------------------------------------------------------- data


def bundled_corpus(name: str = "products") -> Path:
    """The path of a corpus that ships inside the package.

    ``"products"``: 24,150 synthetic product titles in 16 imbalanced categories;
    ``"products_binary"``: 5,000 titles labelled ``electronics`` / ``other``. Both are CSV
    files with the columns ``id,text,label`` (see ``textml/data/bundled/README.md``).
    """
    from importlib.resources import as_file, files
    from pathlib import Path

    if name not in BUNDLED_CORPORA:
        from textml.exceptions import ConfigError

        raise ConfigError(f"no bundled corpus {name!r}; the bundled corpora are: {', '.join(BUNDLED_CORPORA)}")
    resource = files("textml").joinpath("data", "bundled", f"{name}.csv")
    if isinstance(resource, Path):  # installed as files (wheel, editable, source tree)
        return resource
    import shutil
    import tempfile

    target = Path(tempfile.gettempdir()) / f"textml-{__version__}-{name}.csv"
    if not target.exists():  # zipped install: copy it out once
        with as_file(resource) as extracted:
            shutil.copyfile(extracted, target)
    return target


def _columns(text_col: str, label_col: str | None, id_col: str | None, label_sep: str | None = None):
    from textml.data.formats import Columns

    return Columns(text=text_col, label=label_col, id=id_col, label_sep=label_sep)


def check(path: str | os.PathLike, *, text_col: str = "text", label_col: str = "label", id_col: str | None = None,
          format: str | None = None, encoding: str = "utf-8", skip_bad: bool | None = None,
          label_sep: str | None = None, task: str | None = None) -> CheckReport:
    """Read a labelled file once and report on it (``textml data check``).

    Returns a :class:`~textml.data.check.CheckReport`: ``rows``, ``classes``, ``task``,
    ``duplicates``, ``conflicts``, ``usable`` and ``to_dict()``.
    """
    from textml.data.check import check_file

    return check_file(path, fmt=format, columns=_columns(text_col, label_col, id_col, label_sep),
                      encoding=encoding, skip_bad=skip_bad, task=task)


def split(path: str | os.PathLike, out: str | os.PathLike, *, dev: float = 0.1, test: float = 0.1, seed: int = 0,
          dedupe: bool = False, text_col: str = "text", label_col: str = "label", id_col: str | None = None,
          format: str | None = None, out_format: str | None = None, encoding: str = "utf-8", force: bool = False,
          skip_bad: bool | None = None, label_sep: str | None = None, task: str | None = None) -> dict:
    """Stratified train/dev/test split of a labelled file into the folder ``out`` (``textml data split``).

    Returns the manifest written beside the files (counts, hashes, seed).
    """
    from textml.data.split import split_file

    return split_file(path, out, dev=dev, test=test, seed=seed, dedupe=dedupe, fmt=format, out_format=out_format,
                      columns=_columns(text_col, label_col, id_col, label_sep), encoding=encoding, force=force,
                      skip_bad=skip_bad, task=task)


def load_split(split: str | os.PathLike | None = None, *, train: str | os.PathLike | None = None,
               dev: str | os.PathLike | None = None, test: str | os.PathLike | None = None, text_col: str = "text",
               label_col: str = "label", id_col: str | None = None, format: str | None = None,
               encoding: str = "utf-8", label_sep: str | None = None) -> Split:
    """A split folder (or explicit train/dev/test files) as a :class:`~textml.data.split.Split`.

    ``.train`` and ``.dev`` are datasets (``.texts``, ``.labels``); the test set is read only
    through ``.read_test()``.
    """
    from textml.data.split import load_split as _load_split

    return _load_split(split, train=train, dev=dev, test=test,
                       columns=_columns(text_col, label_col, id_col, label_sep), fmt=format, encoding=encoding)


# ---------------------------------------------------------------------------- experiments


def _spec(command: str, split, *, train, dev, test, text_col, label_col, id_col, format, encoding, model=None,
          params=None, options=None, task, metric, seed, tracking_uri, experiment, **settings) -> RunSpec:
    from textml.experiments.spec import RunSpec

    return RunSpec.create(command, split, train=train, dev=dev, test=test, text_col=text_col, label_col=label_col,
                          id_col=id_col, format=format, encoding=encoding, model=model, params=params,
                          options=options, task=task, metric=metric, seed=seed, tracking_uri=tracking_uri,
                          experiment=experiment, **settings)


def compare(split: str | os.PathLike | None = None, *, models: Sequence[str] | None = None, baselines: bool = True,
            tolerance: float = 1.0, final: bool = False, options: Mapping[str, Any] | None = None,
            out: str | os.PathLike | None = None, force: bool = False,
            train: str | os.PathLike | None = None, dev: str | os.PathLike | None = None,
            test: str | os.PathLike | None = None, text_col: str = "text", label_col: str = "label",
            id_col: str | None = None, format: str | None = None, encoding: str = "utf-8", task: str | None = None,
            metric: str | None = None, seed: int = 0, tracking_uri: str | None = None,
            experiment: str | None = None, progress: Progress | None = None, n_jobs: int = -1,
            tune_top: int | None = None, budget: float | None = None, label_sep: str | None = None) -> CompareResult:
    """Fit pipelines on train, score them on dev beside the dummy baselines (``textml compare``).

    ``models``: registry names (default: every registered pipeline serving the task, plugins
    included). ``n_jobs``: pipelines fitted at once (-1: every core). ``tune_top``/``budget``:
    then tune the K best within ``budget`` minutes, the tuned ones ranked beside the defaults.
    ``out``: a folder for comparison.csv/.md/.json/.png. Returns a
    :class:`~textml.experiments.compare.CompareResult` (``results`` best first,
    ``recommended``, ``choice.name`` the primary metric, ``parent_run_id``).
    """
    from textml.experiments.compare import compare as _compare

    spec = _spec("compare", split, train=train, dev=dev, test=test, text_col=text_col, label_col=label_col,
                 id_col=id_col, format=format, encoding=encoding, options=options, task=task, metric=metric,
                 seed=seed, tracking_uri=tracking_uri, experiment=experiment,
                 models=list(models) if models is not None else None, baselines=baselines, tolerance=tolerance,
                 final=final, n_jobs=n_jobs, tune_top=tune_top, budget=budget, label_sep=label_sep)
    return _compare(spec, progress, out_dir=out, force=force)


def train(split: str | os.PathLike | None = None, *, model: str, params: Mapping[str, Any] | None = None,
          options: Mapping[str, Any] | None = None, out: str | os.PathLike | None = None, force: bool = False,
          final: bool = False, train: str | os.PathLike | None = None, dev: str | os.PathLike | None = None,
          test: str | os.PathLike | None = None, text_col: str = "text", label_col: str = "label",
          id_col: str | None = None, format: str | None = None, encoding: str = "utf-8", task: str | None = None,
          metric: str | None = None, seed: int = 0, tracking_uri: str | None = None,
          experiment: str | None = None, progress: Progress | None = None) -> TrainResult:
    """Fit one registry pipeline, score it on dev, log the run, save it to ``out`` (``textml train``).

    ``params``: hyperparameters by ``set_params`` name (``{"clf__C": 0.5}``); ``options``:
    factory options (``{"spacy_lang": "de"}``). Returns a
    :class:`~textml.experiments.train.TrainResult` (``result.model``, ``result.dev``,
    ``run_id``, ``out``).
    """
    from textml.experiments.train import train as _train

    spec = _spec("train", split, train=train, dev=dev, test=test, text_col=text_col, label_col=label_col,
                 id_col=id_col, format=format, encoding=encoding, model=model, params=params, options=options,
                 task=task, metric=metric, seed=seed, tracking_uri=tracking_uri, experiment=experiment, final=final)
    return _train(spec, progress, out=out, force=force)


def tune(split: str | os.PathLike | None = None, *, model: str, params: Mapping[str, Any] | None = None,
         options: Mapping[str, Any] | None = None, n_iter: int = 30, top_k: int = 5, strategy: str = "search",
         n_jobs: int = -1, autotune_seconds: int = 120, autotune_model_size: str | None = None,
         train: str | os.PathLike | None = None, dev: str | os.PathLike | None = None,
         test: str | os.PathLike | None = None, text_col: str = "text", label_col: str = "label",
         id_col: str | None = None, format: str | None = None, encoding: str = "utf-8", task: str | None = None,
         metric: str | None = None, seed: int = 0, tracking_uri: str | None = None,
         experiment: str | None = None, progress: Progress | None = None) -> TuneResult:
    """Random then grid search over the pipeline's search space, scored on dev (``textml tune``).

    ``strategy="fasttext-autotune"`` runs fastText's own autotune for ``autotune_seconds``.
    Returns a :class:`~textml.experiments.tune.TuneResult` (``best_params``, ``trials``,
    ``default_score``, ``best``).
    """
    from textml.experiments.tune import tune as _tune

    spec = _spec("tune", split, train=train, dev=dev, test=test, text_col=text_col, label_col=label_col,
                 id_col=id_col, format=format, encoding=encoding, model=model, params=params, options=options,
                 task=task, metric=metric, seed=seed, tracking_uri=tracking_uri, experiment=experiment,
                 n_iter=n_iter, top_k=top_k, strategy=strategy, n_jobs=n_jobs, autotune_seconds=autotune_seconds,
                 autotune_model_size=autotune_model_size)
    return _tune(spec, progress)


def run(spec: RunSpec | str | os.PathLike, *, progress: Progress | None = None, **outputs) -> Any:
    """Run a :class:`~textml.experiments.spec.RunSpec`, or a ``run.toml`` file, whatever its command.

    ``outputs`` are the command's output options, which are not part of a spec: ``out`` (train,
    errors), ``out_dir`` (compare, diagnose), ``force``. This is how diagnose, errors and
    evaluate are run from Python; every MLflow run logs the spec it ran as ``run.toml``.
    """
    from textml.experiments.rerun import run_spec
    from textml.experiments.spec import RunSpec

    if not isinstance(spec, RunSpec):
        spec = RunSpec.read(spec)
    return run_spec(spec, progress, **outputs)


# ------------------------------------------------------------------------- models, batch


def load_model(ref: str | os.PathLike, *, tracking_uri: str | None = None, trust_pickle: bool = False) -> Any:
    """A fitted model from a folder (``textml train --out``), a run id, ``runs:/RUN_ID/model``,
    ``models:/NAME@ALIAS`` or ``models:/NAME/VERSION``: a scikit-learn estimator taking raw texts.

    Pickles (.joblib/.pkl) are refused unless ``trust_pickle``: loading one can run any code.
    """
    from textml.tracking.registry import load_model_uri

    model, _info = load_model_uri(ref, tracking_uri, trust_pickle=trust_pickle)
    return model


def predict(model: str | os.PathLike, input: str | os.PathLike, out: str | os.PathLike, *, top_k: int = 1,
            text_col: str = "text", id_col: str | None = None, format: str | None = None, encoding: str = "utf-8",
            engine: str = "local", n_jobs: int | None = None, chunk_size: int | None = None, resume: bool = False,
            skip_bad: bool = False, force: bool = False, tracking_uri: str | None = None,
            trust_pickle: bool = False, progress: bool = False, label_sep: str | None = None) -> JobResult:
    """Top-k labels with probabilities for every text of ``input``, written to ``out`` (``textml predict``).

    A multi-label model writes ``label`` (its list of labels; in CSV/TSV joined with
    ``label_sep``, default ``|``) and ``prob_<label>`` per label; a regression model ``value``.

    ``model``: any reference :func:`load_model` takes. ``out`` ends in .csv, .tsv, .jsonl or
    .parquet. Returns a :class:`~textml.encoding.jobs.JobResult` (``rows``, ``outputs``).
    """
    from textml.encoding.jobs import predict_file

    extra = {} if chunk_size is None else {"chunk_size": chunk_size}
    return predict_file(model, input, out, top_k=top_k, label_sep=label_sep, engine=engine, fmt=format,
                        columns=_columns(text_col, None, id_col), encoding=encoding, n_jobs=n_jobs, resume=resume,
                        skip_bad=skip_bad, force=force, tracking_uri=tracking_uri, trust_pickle=trust_pickle,
                        progress=progress, **extra)


def encode(input: str | os.PathLike, encoder: str, out: str | os.PathLike, *, pooling: str | None = None,
           idf: str | None = None, text_col: str = "text", id_col: str | None = None, format: str | None = None,
           encoding: str = "utf-8", engine: str = "local", n_jobs: int | None = None, chunk_size: int | None = None,
           resume: bool = False, skip_bad: bool = False, force: bool = False, tracking_uri: str | None = None,
           trust_pickle: bool = False, progress: bool = False) -> JobResult:
    """Vectors for every text of ``input`` (``textml encode``): ``encoder`` is ``NAME[:PATH]``, e.g.
    ``"tfidf:model"`` or ``"fasttext:model"``; ``out`` ends in .npy, .npz or .parquet."""
    from textml.encoding.jobs import encode_file

    extra = {} if chunk_size is None else {"chunk_size": chunk_size}
    return encode_file(input, encoder, out, engine=engine, fmt=format, columns=_columns(text_col, None, id_col),
                       encoding=encoding, n_jobs=n_jobs, resume=resume, skip_bad=skip_bad, force=force,
                       pooling=pooling, idf=idf, tracking_uri=tracking_uri, trust_pickle=trust_pickle,
                       progress=progress, **extra)


# ------------------------------------------------------------------------------ annotation


def push(path: str | os.PathLike, project: str | int, *, url: str | None = None, api_key: str | None = None,
         model_version: str | None = None, key: str = "auto", text_col: str = "text", label_col: str = "label",
         id_col: str | None = None, format: str | None = None, encoding: str = "utf-8",
         pred_col: str | None = "predicted", score_col: str | None = "prob_predicted", multilabel: bool = False,
         labels_from: str | os.PathLike | None = None, batch_size: int = 1000, description: str | None = None,
         progress: bool = False) -> PushReport:
    """Push the rows of ``path`` as tasks of a Label Studio project (``textml annotate push``).

    Needs the ``labelstudio`` extra. ``url``/``api_key`` default to ``LABEL_STUDIO_URL`` /
    ``LABEL_STUDIO_API_KEY``. Pushing again skips rows the project already holds.
    """
    from textml.extras import check as check_extra

    check_extra("labelstudio", "textml.push")
    from textml.annotation.push import push_file

    return push_file(path, project, url=url, api_key=api_key, columns=_columns(text_col, label_col, id_col),
                     fmt=format, encoding=encoding, model_version=model_version, key=key, pred_col=pred_col,
                     score_col=score_col, multilabel=multilabel, labels_from=labels_from, batch_size=batch_size,
                     description=description, progress=progress)


def pull(project: str | int, out: str | os.PathLike, *, url: str | None = None, api_key: str | None = None,
         keep_ties: bool = False, min_annotators: int = 1, merge_into: str | os.PathLike | None = None,
         merge_out: str | os.PathLike | None = None, text_col: str = "text", label_col: str = "label",
         id_col: str | None = None, format: str | None = None, encoding: str = "utf-8",
         allow_new_labels: bool = False, force: bool = False, progress: Progress | None = None) -> PullReport:
    """Export a Label Studio project's curated labels to ``out`` (``textml annotate pull``).

    With ``merge_into`` (a training or dev file) also writes ``merge_out`` (default
    ``<stem>.merged<ext>``) with the labels applied and a change log. Needs the
    ``labelstudio`` extra.
    """
    from textml.extras import check as check_extra

    check_extra("labelstudio", "textml.pull")
    from textml.annotation.pull import pull_project

    return pull_project(project, out, url=url, api_key=api_key, keep_ties=keep_ties, min_annotators=min_annotators,
                        merge_into=merge_into, merge_out=merge_out, columns=_columns(text_col, label_col, id_col),
                        fmt=format, encoding=encoding, allow_new_labels=allow_new_labels, force=force,
                        progress=progress)
