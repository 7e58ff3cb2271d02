"""The MLflow model registry: register a run's model, move aliases, list, and resolve URIs.

Versions are moved between roles with *aliases* (``champion``, ``challenger``, or any other
name), never with stages, which MLflow deprecated. ``models:/NAME@champion`` always means
the version the alias points at *now*; :func:`resolve_model` records which version that was.

Model references accepted everywhere (:func:`resolve_model`, :func:`download_model`,
:func:`load_model_uri`):

- a local folder: a textml model folder, or an MLflow model folder logged by textml
- ``RUN_ID`` (32 hex digits) or ``runs:/RUN_ID/model`` (any artifact path)
- ``models:/NAME@ALIAS``, ``models:/NAME/VERSION``, ``models:/NAME/latest`` (highest version)
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from textml.exceptions import ConfigError, TrackingError

RUN_ID = re.compile(r"^[0-9a-f]{32}$")
RUNS_URI = re.compile(r"^runs:/([^/]+)(?:/(.*))?$")
MODELS_ALIAS = re.compile(r"^models:/([^/@]+)@([^/]+)$")
MODELS_VERSION = re.compile(r"^models:/([^/@]+)/([^/]+)$")
ALIAS = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,254}$")
RESERVED_ALIAS = re.compile(r"^(latest|v\d+)$", re.IGNORECASE)
DOWNLOAD_PREFIX = "textml-run-"  # the prefix textml.encoding cleans up after use
MODEL_ARTIFACT = "model"


@dataclass
class ResolvedModel:
    """A model reference made concrete: where it is locally, and what it was."""

    path: Path
    uri: str
    name: str | None = None
    version: str | None = None
    alias: str | None = None
    run_id: str | None = None
    downloaded: bool = False  # path is a temporary copy (remove it with cleanup())

    def describe(self) -> dict:
        """What identifies the model (the temporary download folder is left out)."""
        out = asdict(self)
        out.pop("downloaded")
        out["path"] = str(self.path)
        if self.downloaded:
            out.pop("path")
        return {k: v for k, v in out.items() if v is not None}

    def cleanup(self) -> None:
        """Remove the temporary folder a run or version was downloaded to (local paths stay)."""
        import shutil

        if not self.downloaded:
            return
        temp = Path(tempfile.gettempdir()).resolve()
        for parent in [Path(self.path).resolve(), *Path(self.path).resolve().parents]:
            if parent.name.startswith(DOWNLOAD_PREFIX) and parent.parent == temp:
                shutil.rmtree(parent, ignore_errors=True)
                return

    @property
    def label(self) -> str:
        """Short human name: NAME@alias (vN), NAME vN, the run id, or the path."""
        if self.name and self.alias:
            return f"{self.name}@{self.alias} (v{self.version})"
        if self.name:
            return f"{self.name} v{self.version}"
        if self.run_id:
            return f"run {self.run_id[:8]}"
        return str(self.uri)


def _client(tracking_uri: str | None):
    from mlflow.tracking import MlflowClient

    from textml.tracking import _mlflow, resolve_uri

    _mlflow(tracking_uri)  # quiet loggers, set the URI
    return MlflowClient(tracking_uri=resolve_uri(tracking_uri))


def _message(exc: Exception) -> str:
    text = getattr(exc, "message", None) or str(exc)
    return text.splitlines()[0][:300].rstrip(".") if text else type(exc).__name__


def _not_found(exc: Exception) -> bool:
    code = getattr(exc, "error_code", "")
    return code in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND") or (
        code == "INVALID_PARAMETER_VALUE" and "not found" in _message(exc).lower())


@contextlib.contextmanager
def _quiet_downloads():
    """No per-file progress bars on stderr while textml downloads a model."""
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


def _temp_dir() -> str:
    return tempfile.mkdtemp(prefix=DOWNLOAD_PREFIX)


# ----------------------------------------------------------------------------- resolving


def resolve_model(uri: str | os.PathLike, tracking_uri: str | None = None) -> ResolvedModel:
    """Download (if needed) the model ``uri`` names and say which version/run it is."""
    text = str(uri).strip()
    if not text:
        raise ConfigError("no model given; pass a model folder, a run id, runs:/RUN_ID/model or models:/NAME@ALIAS")
    local = Path(os.path.expanduser(text))
    if local.exists():
        return ResolvedModel(local, text)
    if RUN_ID.match(text):
        text = f"runs:/{text}/{MODEL_ARTIFACT}"
    match = RUNS_URI.match(text)
    if match:
        from textml.tracking import download_run_folder

        run_id, artifact = match.group(1), (match.group(2) or MODEL_ARTIFACT).strip("/")
        with _quiet_downloads():
            path = download_run_folder(run_id, artifact, tracking_uri)
        return ResolvedModel(path, str(uri), run_id=run_id, downloaded=True)
    if text.startswith("models:/"):
        return _resolve_registered(text, tracking_uri)
    raise ConfigError(f"model {text!r} not found: not a local folder, nor a run id, runs:/RUN_ID/model, "
                      f"models:/NAME@ALIAS or models:/NAME/VERSION")


def _resolve_registered(text: str, tracking_uri: str | None) -> ResolvedModel:
    import mlflow

    client = _client(tracking_uri)
    alias = None
    try:
        if match := MODELS_ALIAS.match(text):
            name, alias = match.groups()
            version = client.get_model_version_by_alias(name, alias)
        elif match := MODELS_VERSION.match(text):
            name, number = match.groups()
            if number.lower() == "latest":
                versions = client.search_model_versions(f"name = '{_quote(name)}'")
                if not versions:
                    raise ConfigError(f"registered model {name!r} has no versions")
                version = max(versions, key=lambda v: int(v.version))
            else:
                version = client.get_model_version(name, number)
        else:
            raise ConfigError(f"{text!r} is not models:/NAME@ALIAS or models:/NAME/VERSION")
    except ConfigError:
        raise
    except Exception as exc:
        if _not_found(exc):
            raise ConfigError(f"{text}: {_message(exc)}; see `textml models list`") from None
        raise TrackingError(f"cannot resolve {text} in {_uri(tracking_uri)}: {_message(exc)}") from None
    pinned = f"models:/{version.name}/{version.version}"  # the version the alias meant now
    try:
        with _quiet_downloads():
            path = mlflow.artifacts.download_artifacts(artifact_uri=pinned, dst_path=_temp_dir())
    except Exception as exc:
        raise TrackingError(f"cannot download {pinned} ({text}) from {_uri(tracking_uri)}: {_message(exc)}") from None
    return ResolvedModel(Path(path), text, version.name, str(version.version), alias, version.run_id, downloaded=True)


def download_model(uri: str | os.PathLike, tracking_uri: str | None = None) -> Path:
    """A local folder for ``uri`` (a path is returned as it is; runs and versions are downloaded
    to a new temporary folder whose name starts with ``textml-run-``)."""
    return resolve_model(uri, tracking_uri).path


def load_model_uri(uri: str | os.PathLike, tracking_uri: str | None = None):
    """``(model, info)`` for any model reference (a downloaded copy is removed after loading)."""
    from textml.models.saving import load_model

    resolved = resolve_model(uri, tracking_uri)
    try:
        return load_model(resolved.path)
    finally:
        resolved.cleanup()


def _uri(tracking_uri: str | None) -> str:
    from textml.tracking import resolve_uri

    return resolve_uri(tracking_uri)


def _quote(name: str) -> str:
    return name.replace("'", "\\'")


# --------------------------------------------------------------------------- registering


def register(run: str, name: str, tracking_uri: str | None = None, artifact_path: str = MODEL_ARTIFACT) -> dict:
    """Register the MLflow model a textml run logged (``RUN_ID`` or ``runs:/RUN_ID/model``)
    as a new version of ``name`` (created if needed). Returns the version's description."""
    from mlflow.store.artifact.runs_artifact_repo import RunsArtifactRepository

    text = str(run).strip()
    if match := RUNS_URI.match(text):
        run_id, artifact_path = match.group(1), (match.group(2) or artifact_path).strip("/")
    elif RUN_ID.match(text):
        run_id = text
    else:
        raise ConfigError(f"{text!r} is not a run id (32 hex digits) or runs:/RUN_ID/model")
    if not name or "/" in name or "@" in name or ":" in name:
        raise ConfigError(f"model name {name!r} may not be empty or contain '/', '@' or ':'")
    client = _client(tracking_uri)
    try:
        run_info = client.get_run(run_id)
    except Exception as exc:
        raise ConfigError(f"run {run_id} not found in {_uri(tracking_uri)} ({_message(exc)}); "
                          f"check the run id and --tracking-uri") from None
    files = {a.path for a in client.list_artifacts(run_id, artifact_path)}
    if f"{artifact_path}/MLmodel" not in files:
        raise ConfigError(f"run {run_id} has no MLflow model at {artifact_path!r} (runs logged by textml "
                          f"before models were logged as MLflow models have none: train it again)")
    tags, description = _version_tags(run_info, client)
    source_uri = f"runs:/{run_id}/{artifact_path}"
    try:
        try:
            client.create_registered_model(name, description="Registered with `textml models register`.")
        except Exception as exc:
            if getattr(exc, "error_code", "") not in ("RESOURCE_ALREADY_EXISTS", "ALREADY_EXISTS"):
                raise
        version = client.create_model_version(
            name=name, source=RunsArtifactRepository.get_underlying_uri(source_uri, _uri(tracking_uri)),
            run_id=run_id, tags=tags, description=description)
    except Exception as exc:
        raise TrackingError(f"cannot register {source_uri} as {name!r}: {_message(exc)}") from None
    return _describe_version(version) | {"source_uri": source_uri}


def _version_tags(run, client) -> tuple[dict, str]:
    tags = run.data.tags
    metric = run.data.params.get("primary_metric")
    if not metric and tags.get("mlflow.parentRunId"):  # compare logs the choice on the parent run
        try:
            metric = client.get_run(tags["mlflow.parentRunId"]).data.params.get("primary_metric")
        except Exception:
            metric = None
    model = tags.get("textml.model") or run.info.run_name
    out = {"textml.model": model or ""}
    description = f"{model} from run {run.info.run_id}"
    if metric and f"dev_{metric}" in run.data.metrics:
        value = run.data.metrics[f"dev_{metric}"]
        out.update({"textml.primary_metric": metric, f"textml.dev_{metric}": f"{value:.6g}"})
        description += f": dev {metric} {value:.4f}"
    for key, value in tags.items():
        if key.startswith("data.") or key == "textml.test_read":
            out[key] = value
    return out, description


def promote(name: str, alias: str, version: str | int, tracking_uri: str | None = None) -> dict:
    """Point ``alias`` (e.g. champion, challenger) of registered model ``name`` at ``version``.

    Returns ``{"name", "alias", "version", "previous"}``; ``previous`` is the version the alias
    pointed at before (None if it was new)."""
    alias = str(alias).strip()
    if not ALIAS.match(alias) or RESERVED_ALIAS.match(alias):
        raise ConfigError(f"alias {alias!r}: use letters, digits, '_' or '-' (e.g. champion, challenger); "
                          f"'latest' and 'v<number>' are reserved by MLflow")
    version = str(version).strip().lstrip("vV")
    if not version.isdigit():
        raise ConfigError(f"version {version!r} is not a number (see `textml models list`)")
    client = _client(tracking_uri)
    try:
        client.get_registered_model(name)
    except Exception as exc:
        if _not_found(exc):
            raise ConfigError(f"no registered model {name!r} in {_uri(tracking_uri)}; register one with "
                              f"`textml models register RUN_ID --name {name}`") from None
        raise TrackingError(f"cannot read registered model {name!r}: {_message(exc)}") from None
    try:
        client.get_model_version(name, version)
    except Exception as exc:
        if _not_found(exc):
            raise ConfigError(f"registered model {name!r} has no version {version} "
                              f"({_message(exc)}); see `textml models list`") from None
        raise TrackingError(f"cannot read {name} v{version}: {_message(exc)}") from None
    previous = None
    try:
        previous = str(client.get_model_version_by_alias(name, alias).version)
    except Exception:
        pass
    try:
        client.set_registered_model_alias(name, alias, version)
    except Exception as exc:
        raise TrackingError(f"cannot set alias {alias!r} of {name!r} to version {version}: {_message(exc)}") from None
    return {"name": name, "alias": alias, "version": version, "previous": previous,
            "uri": f"models:/{name}@{alias}"}


def list_models(name: str | None = None, tracking_uri: str | None = None) -> list[dict]:
    """Every registered model (or only ``name``) with its versions, newest first."""
    client = _client(tracking_uri)
    try:
        if name:
            models = [client.get_registered_model(name)]
        else:
            models = list(client.search_registered_models(max_results=1000))
    except Exception as exc:
        if _not_found(exc):
            raise ConfigError(f"no registered model {name!r} in {_uri(tracking_uri)}") from None
        raise TrackingError(f"cannot list registered models in {_uri(tracking_uri)}: {_message(exc)}") from None
    out = []
    for model in sorted(models, key=lambda m: m.name):
        versions = client.search_model_versions(f"name = '{_quote(model.name)}'", max_results=1000)
        aliases = {a: str(v) for a, v in (model.aliases or {}).items()}
        described = []
        for v in sorted(versions, key=lambda v: -int(v.version)):
            row = _describe_version(v)
            # search results do not carry aliases in every store: take them from the model
            row["aliases"] = sorted(a for a, number in aliases.items() if number == row["version"])
            described.append(row)
        out.append({"name": model.name, "aliases": aliases, "versions": described})
    return out


def _describe_version(version) -> dict:
    tags = version.tags or {}
    metric = tags.get("textml.primary_metric")
    return {
        "name": version.name,
        "version": str(version.version),
        "aliases": list(getattr(version, "aliases", []) or []),
        "run_id": version.run_id,
        "model": tags.get("textml.model"),
        "primary_metric": metric,
        "dev_score": float(tags[f"textml.dev_{metric}"]) if metric and f"textml.dev_{metric}" in tags else None,
        "created": version.creation_timestamp,
        "status": version.status,
        "uri": f"models:/{version.name}/{version.version}",
    }
