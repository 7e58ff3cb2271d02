"""The one place that talks to MLflow: where runs go, and what they hold.

Default store: a SQLite file ``mlflow.db`` in the working folder (artifacts in ``mlruns/``
beside it), unless ``MLFLOW_TRACKING_URI`` or ``--tracking-uri`` names another store or a
tracking server.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from textml.exceptions import TrackingError

DEFAULT_DB = "mlflow.db"
MAX_PARAM_CHARS = 6000  # MLflow's limit for one param value
# Options that carry secrets, by exact name (the last part of a dotted name): never logged.
# Exact names, not substrings: ``token_pattern`` is a hyperparameter, not a secret.
SECRET_NAMES = frozenset({"api_key", "apikey", "access_token", "auth_token", "token", "password", "secret",
                          "label_studio_api_key", "ls_api_key"})
EXPERIMENT_KIND_TAG = "mlflow.experimentKind"  # what MLflow 3's UI reads to show a training experiment
EXPERIMENT_KIND = "custom_model_development"
# MLflow retries an unreachable server for minutes by default; a user waits seconds, then reads why
# and it prints "View run ... at: URL" on stdout, which is textml's (--json) output channel
ENV_DEFAULTS = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2", "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
                "MLFLOW_HTTP_REQUEST_TIMEOUT": "30", "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "true"}


def resolve_uri(uri: str | None = None) -> str:
    """The tracking URI in force: ``uri``, else MLFLOW_TRACKING_URI, else the one the caller set
    with ``mlflow.set_tracking_uri()``, else a SQLite store ./mlflow.db."""
    uri = uri or os.environ.get("MLFLOW_TRACKING_URI")
    if uri:
        return uri
    import sys

    if "mlflow" in sys.modules:  # a caller that imported mlflow may have chosen a store already
        import mlflow
        from mlflow.tracking._tracking_service.utils import is_tracking_uri_set

        if is_tracking_uri_set():
            return mlflow.get_tracking_uri()
    return f"sqlite:///{Path.cwd() / DEFAULT_DB}"


def is_remote_uri(uri: str) -> bool:
    """Whether the store is a server (reached over the network), not a file on this machine."""
    return uri.split(":", 1)[0].lower() in {"http", "https", "databricks", "databricks-uc", "uc"}


def warm_up_logging() -> None:
    """Import what logging a model needs (MLflow's pyfunc flavour, skops, matplotlib's Agg
    backend) and build MLflow's map of installed packages: ~2 s that
    :meth:`RunContext.open_tracker_meanwhile` moves beside the fit."""
    import mlflow.pyfunc  # noqa: F401
    import skops.io  # noqa: F401

    from textml.evaluation.plots import pyplot

    pyplot()
    # MLflow maps installed modules to packages on the first model it logs (0.9 s: it reads every
    # installed distribution's file list) and caches the map; a private function, so a warm-up only
    with contextlib.suppress(Exception):
        from mlflow.utils.requirements_utils import _init_packages_to_modules_map

        _init_packages_to_modules_map()


def use_mlflow(uri: str | None = None):
    """The mlflow module, pointed at ``uri`` (see :func:`resolve_uri`), with quiet loggers and
    bounded HTTP retries."""
    for key, value in ENV_DEFAULTS.items():
        os.environ.setdefault(key, value)
    import mlflow

    # MLflow logs store migrations and experiment creation at INFO; keep the terminal for textml
    for name in ("mlflow", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)
    mlflow.set_tracking_uri(resolve_uri(uri))
    return mlflow




def is_secret(name: str) -> bool:
    return name.rsplit(".", 1)[-1].lower() in SECRET_NAMES


def _flatten(params: dict, prefix: str = "") -> dict[str, str]:
    out = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if is_secret(name):
            continue  # secrets never reach the store
        if isinstance(value, dict):
            out.update(_flatten(value, f"{name}."))
            continue
        text = value if isinstance(value, str) else repr(value)
        out[name] = text[:MAX_PARAM_CHARS]
    return out


def _is_estimator_value(value) -> bool:
    return hasattr(value, "get_params") or (isinstance(value, list) and bool(value) and isinstance(value[0], tuple))


def estimator_params(model, changed_only: bool = False) -> dict[str, str]:
    """An estimator's deep params (nested estimator objects left out), as MLflow params.

    ``changed_only``: only those that differ from their class's default, i.e. what the
    pipeline's author or the user set: the columns worth comparing in MLflow's runs table.
    """
    params = {}
    for key, value in model.get_params(deep=True).items():
        if _is_estimator_value(value):
            continue  # sub-estimators and Pipeline.steps: their own params are listed already
        if changed_only and _equal(value, _default_of(model, key)):
            continue
        params[key] = value
    return _flatten(params)


_NO_DEFAULT = object()


def _default_of(model, key: str):
    """The class default of parameter ``key`` (``step__sub__name``) of ``model``."""
    import inspect

    *path, name = key.split("__")
    owner = model
    for part in path:
        owner = owner.get_params(deep=False).get(part, None)
        if owner is None:
            return _NO_DEFAULT
    try:
        parameter = inspect.signature(type(owner).__init__).parameters.get(name)
    except (TypeError, ValueError):
        return _NO_DEFAULT
    return _NO_DEFAULT if parameter is None or parameter.default is inspect.Parameter.empty else parameter.default


def _equal(value, default) -> bool:
    if default is _NO_DEFAULT:
        return False
    try:
        return bool(value == default) and type(value) is type(default)
    except Exception:  # numpy arrays and the like: not a plain default  # noqa: BLE001 - MLflow raises many exception types for one failure
        return False


def metric_name(text: str) -> str:
    """``text`` as a valid MLflow metric name (letters, digits, _ - . / space and colon)."""
    import re

    return re.sub(r"[^\w\-. /:]", "_", str(text))


class Tracker:
    """Runs in one experiment. Use ``run()`` as a context manager; nesting makes child runs."""

    def __init__(self, experiment: str, tracking_uri: str | None = None):
        self.uri = resolve_uri(tracking_uri)
        try:
            self.mlflow = use_mlflow(self.uri)
            self.experiment = self.mlflow.set_experiment(experiment)
            if self.experiment.tags.get(EXPERIMENT_KIND_TAG) is None:
                self.mlflow.MlflowClient().set_experiment_tag(self.experiment.experiment_id, EXPERIMENT_KIND_TAG,
                                                              EXPERIMENT_KIND)
        except Exception as exc:  # MLflow raises many types for an unreachable store  # noqa: BLE001 - MLflow raises many exception types for one failure
            raise TrackingError(
                f"cannot use the MLflow store {self.uri} ({type(exc).__name__}: {str(exc).splitlines()[0][:200]}); "
                f"check --tracking-uri / MLFLOW_TRACKING_URI"
            ) from None

    @contextlib.contextmanager
    def run(self, name: str, tags: dict | None = None, nested: bool = False) -> Iterator[str]:
        """A run (a child run when ``nested``, or when the caller has a run active: textml's
        runs then nest under it). It ends FINISHED, FAILED, or KILLED on an interrupt."""
        nested = nested or self.mlflow.active_run() is not None
        active = self.mlflow.start_run(run_name=name, nested=nested, tags=_flatten(tags or {}))
        try:
            yield active.info.run_id
        except KeyboardInterrupt:
            self.mlflow.end_run("KILLED")
            raise
        except BaseException:
            self.mlflow.end_run("FAILED")
            raise
        self.mlflow.end_run("FINISHED")

    def log_datasets(self, files: dict[str, tuple[str, str, str]]) -> None:
        """Record data files as the run's dataset inputs: ``{context: (path, sha256, name)}``
        (context is train/dev/test), so MLflow's Datasets column and lineage show them."""
        import warnings

        from mlflow.data.dataset_source_registry import resolve_dataset_source
        from mlflow.data.meta_dataset import MetaDataset

        for context, (path, digest, name) in files.items():
            with warnings.catch_warnings():  # "can be interpreted in multiple ways": two local kinds, same thing
                warnings.simplefilter("ignore", UserWarning)
                source = resolve_dataset_source(str(Path(path).resolve()))
            self.mlflow.log_input(MetaDataset(source, name=name, digest=digest[:36]), context=context)

    def log_table(self, rows: list[dict], name: str) -> None:
        """Rows as an MLflow table artifact (shown in the UI's artifact view and evaluation tab)."""
        if rows:
            columns = list(rows[0])
            self.mlflow.log_table({c: [row.get(c) for row in rows] for c in columns}, artifact_file=name)

    def log_params(self, params: dict) -> None:
        flat = _flatten(params)
        items = list(flat.items())
        for start in range(0, len(items), 100):  # MLflow takes at most 100 params per batch
            self.mlflow.log_params(dict(items[start:start + 100]))

    def log_metrics(self, metrics: dict[str, float], prefix: str = "") -> None:
        clean = {f"{prefix}{k}": float(v) for k, v in metrics.items() if v is not None and v == v}
        self.mlflow.log_metrics(clean)

    def set_tags(self, tags: dict) -> None:
        self.mlflow.set_tags(_flatten(tags))

    def log_file(self, path: str | os.PathLike, folder: str | None = None) -> None:
        self.mlflow.log_artifact(str(path), artifact_path=folder)

    def log_folder(self, path: str | os.PathLike, folder: str | None = None) -> None:
        self.mlflow.log_artifacts(str(path), artifact_path=folder)

    def log_dict(self, data: Any, name: str) -> None:
        self.mlflow.log_text(json.dumps(data, indent=2, ensure_ascii=False, default=str), name)

    def log_text(self, text: str, name: str) -> None:
        self.mlflow.log_text(text, name)


@contextlib.contextmanager
def quiet_downloads():
    """No per-file progress bars on stderr while textml downloads artifacts."""
    key = "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"
    before = os.environ.get(key)
    os.environ[key] = "false"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = before


def download_run_folder(run_id: str, folder: str, tracking_uri: str | None = None) -> Path:
    """Download a run's artifact folder (e.g. its model) to a temporary local folder."""
    mlflow = use_mlflow(tracking_uri)
    target = tempfile.mkdtemp(prefix="textml-run-")
    try:
        with quiet_downloads():
            return Path(mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=folder, dst_path=target))
    except Exception as exc:  # noqa: BLE001 - MLflow raises many exception types for one failure
        raise TrackingError(
            f"cannot read {folder!r} of run {run_id} from {resolve_uri(tracking_uri)} "
            f"({type(exc).__name__}); check the run id and --tracking-uri"
        ) from None


def read_run_text(run_id: str, name: str, tracking_uri: str | None = None) -> str:
    """The text artifact ``name`` of run ``run_id`` (e.g. its ``run.toml``)."""
    mlflow = use_mlflow(tracking_uri)
    try:
        with quiet_downloads():
            return mlflow.artifacts.load_text(f"runs:/{run_id}/{name}")
    except Exception as exc:  # noqa: BLE001 - MLflow raises many exception types for one failure
        raise TrackingError(
            f"cannot read {name!r} of run {run_id} from {resolve_uri(tracking_uri)} ({type(exc).__name__}); "
            f"check the run id and --tracking-uri (runs made before textml logged {name} cannot be rerun)"
        ) from None


def log_to_existing_run(run_id: str, files: list[tuple[str, str | None]], metrics: dict[str, float],
                        tracking_uri: str | None = None) -> None:
    """Add artifacts and metrics to a finished run, whatever experiment it belongs to."""
    mlflow = use_mlflow(tracking_uri)
    client = mlflow.tracking.MlflowClient(tracking_uri=resolve_uri(tracking_uri))
    try:
        for path, folder in files:
            client.log_artifact(run_id, str(path), artifact_path=folder)
        for key, value in metrics.items():
            client.log_metric(run_id, key, float(value))
    except Exception as exc:  # noqa: BLE001 - MLflow raises many exception types for one failure
        raise TrackingError(
            f"cannot add to run {run_id} in {resolve_uri(tracking_uri)} ({type(exc).__name__}); "
            f"check the run id and --tracking-uri"
        ) from None
