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
from pathlib import Path
from typing import Any, Iterator

from textml.exceptions import TrackingError

DEFAULT_DB = "mlflow.db"
MAX_PARAM_CHARS = 6000  # MLflow's limit for one param value
SECRET_WORDS = ("api_key", "apikey", "token", "password", "secret")


def resolve_uri(uri: str | None = None) -> str:
    """The tracking URI in force: ``uri``, else MLFLOW_TRACKING_URI, else ./mlflow.db."""
    uri = uri or os.environ.get("MLFLOW_TRACKING_URI")
    if uri:
        return uri
    return f"sqlite:///{Path.cwd() / DEFAULT_DB}"


def _mlflow(uri: str | None = None):
    import mlflow

    # MLflow logs store migrations and experiment creation at INFO; keep the terminal for textml
    for name in ("mlflow", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)
    mlflow.set_tracking_uri(resolve_uri(uri))
    return mlflow


def _flatten(params: dict, prefix: str = "") -> dict[str, str]:
    out = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if any(word in name.lower() for word in SECRET_WORDS):
            continue  # secrets never reach the store
        if isinstance(value, dict):
            out.update(_flatten(value, f"{name}."))
            continue
        text = value if isinstance(value, str) else repr(value)
        out[name] = text[:MAX_PARAM_CHARS]
    return out


def estimator_params(model) -> dict[str, str]:
    """An estimator's full (deep) params, the nested estimator objects themselves left out."""
    params = {}
    for key, value in model.get_params(deep=True).items():
        if hasattr(value, "get_params") or (isinstance(value, list) and value and isinstance(value[0], tuple)):
            continue  # sub-estimators and Pipeline.steps: their own params are listed already
        params[key] = value
    return _flatten(params)


class Tracker:
    """Runs in one experiment. Use ``run()`` as a context manager; nesting makes child runs."""

    def __init__(self, experiment: str, tracking_uri: str | None = None):
        self.uri = resolve_uri(tracking_uri)
        try:
            self.mlflow = _mlflow(self.uri)
            self.experiment = self.mlflow.set_experiment(experiment)
        except Exception as exc:  # MLflow raises many types for an unreachable store
            raise TrackingError(
                f"cannot use the MLflow store {self.uri} ({type(exc).__name__}: {str(exc).splitlines()[0][:200]}); "
                f"check --tracking-uri / MLFLOW_TRACKING_URI"
            ) from None

    @contextlib.contextmanager
    def run(self, name: str, tags: dict | None = None, nested: bool = False) -> Iterator[str]:
        with self.mlflow.start_run(run_name=name, nested=nested, tags=_flatten(tags or {})) as active:
            yield active.info.run_id

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


def download_run_folder(run_id: str, folder: str, tracking_uri: str | None = None) -> Path:
    """Download a run's artifact folder (e.g. its model) to a temporary local folder."""
    mlflow = _mlflow(tracking_uri)
    target = tempfile.mkdtemp(prefix="textml-run-")
    try:
        return Path(mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=folder, dst_path=target))
    except Exception as exc:
        raise TrackingError(
            f"cannot read {folder!r} of run {run_id} from {resolve_uri(tracking_uri)} "
            f"({type(exc).__name__}); check the run id and --tracking-uri"
        ) from None


def read_run_text(run_id: str, name: str, tracking_uri: str | None = None) -> str:
    """The text artifact ``name`` of run ``run_id`` (e.g. its ``run.toml``)."""
    mlflow = _mlflow(tracking_uri)
    try:
        return mlflow.artifacts.load_text(f"runs:/{run_id}/{name}")
    except Exception as exc:
        raise TrackingError(
            f"cannot read {name!r} of run {run_id} from {resolve_uri(tracking_uri)} ({type(exc).__name__}); "
            f"check the run id and --tracking-uri (runs made before textml logged {name} cannot be rerun)"
        ) from None


def log_to_existing_run(run_id: str, files: list[tuple[str, str | None]], metrics: dict[str, float],
                        tracking_uri: str | None = None) -> None:
    """Add artifacts and metrics to a finished run, whatever experiment it belongs to."""
    mlflow = _mlflow(tracking_uri)
    client = mlflow.tracking.MlflowClient(tracking_uri=resolve_uri(tracking_uri))
    try:
        for path, folder in files:
            client.log_artifact(run_id, str(path), artifact_path=folder)
        for key, value in metrics.items():
            client.log_metric(run_id, key, float(value))
    except Exception as exc:
        raise TrackingError(
            f"cannot add to run {run_id} in {resolve_uri(tracking_uri)} ({type(exc).__name__}); "
            f"check the run id and --tracking-uri"
        ) from None
