"""The MLflow model registry: register a run's model, move aliases, list, and resolve URIs.

Versions are moved between roles with *aliases* (``champion``, ``challenger``, or any other
name), never with stages, which MLflow deprecated. ``models:/NAME@champion`` always means
the version the alias points at *now*; :func:`resolve_model` records which version that was.

Model references accepted everywhere (:func:`resolve_model`, :func:`load_model_ref`):

- a local path: a textml model folder, an MLflow model folder logged by textml, or a model
  file (a supervised fastText ``.bin``; a ``.joblib`` pipeline only with ``trust_pickle``)
- ``RUN_ID`` (32 hex digits) or ``runs:/RUN_ID/model`` (any artifact path)
- ``models:/NAME@ALIAS``, ``models:/NAME/VERSION``, ``models:/NAME/latest`` (highest version)

This is the one resolver of model references: commands that load a model call
:func:`load_model_ref` (resolve, load with :func:`textml.models.loading.load_model_path`,
remove the download); commands that load it elsewhere (worker processes, Spark executors)
call :func:`resolve_model` once and ship the local path.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from textml.exceptions import ConfigError, TrackingError
from textml.tracking import quiet_downloads

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
        if self.downloaded:
            remove_download(self.path)

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

    from textml.tracking import resolve_uri, use_mlflow

    use_mlflow(tracking_uri)  # quiet loggers, set the URI
    return MlflowClient(tracking_uri=resolve_uri(tracking_uri))


def _message(exc: Exception) -> str:
    text = getattr(exc, "message", None) or str(exc)
    return text.splitlines()[0][:300].rstrip(".") if text else type(exc).__name__


def _not_found(exc: Exception) -> bool:
    code = getattr(exc, "error_code", "")
    return code in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND") or (
        code == "INVALID_PARAMETER_VALUE" and "not found" in _message(exc).lower())


def _temp_dir() -> str:
    return tempfile.mkdtemp(prefix=DOWNLOAD_PREFIX)


def remove_download(path: str | os.PathLike) -> None:
    """Remove the temporary ``textml-run-*`` folder holding ``path`` (anything else is left alone)."""
    import shutil

    path = Path(path).resolve()
    temp = Path(tempfile.gettempdir()).resolve()
    for parent in [path, *path.parents]:
        if parent.name.startswith(DOWNLOAD_PREFIX) and parent.parent == temp:
            shutil.rmtree(parent, ignore_errors=True)
            return


def is_tracked_ref(uri: str | os.PathLike) -> bool:
    """Whether ``uri`` names a run or registered version (and is not an existing local path)."""
    text = str(uri).strip()
    return bool(text) and not Path(os.path.expanduser(text)).exists() and bool(
        RUN_ID.match(text) or RUNS_URI.match(text) or text.startswith("models:/"))


# ----------------------------------------------------------------------------- resolving


def resolve_model(uri: str | os.PathLike, tracking_uri: str | None = None, *, what: str = "model") -> ResolvedModel:
    """Download (if needed) the model ``uri`` names and say which version/run it is.

    ``what`` names the model in messages (e.g. "fasttext model", "--idf model").
    """
    text = str(uri).strip()
    if not text:
        raise ConfigError(f"no {what} given; pass a model folder or file, a run id, runs:/RUN_ID/model "
                          f"or models:/NAME@ALIAS")
    local = Path(os.path.expanduser(text))
    if local.exists():
        return ResolvedModel(local, text)
    if RUN_ID.match(text):
        text = f"runs:/{text}/{MODEL_ARTIFACT}"
    match = RUNS_URI.match(text)
    if match:
        from textml.tracking import download_run_folder

        run_id, artifact = match.group(1), (match.group(2) or MODEL_ARTIFACT).strip("/")
        with quiet_downloads():
            path = download_run_folder(run_id, artifact, tracking_uri)
        return ResolvedModel(path, str(uri), run_id=run_id, downloaded=True)
    if text.startswith("models:/"):
        return _resolve_registered(text, tracking_uri)
    raise ConfigError(f"{what} {text!r} not found: not a local file or folder, nor a run id (32 hex digits), "
                      f"runs:/RUN_ID/model, models:/NAME@ALIAS or models:/NAME/VERSION")


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
    except Exception as exc:  # noqa: BLE001 - MLflow raises many exception types for one failure
        if _not_found(exc):
            raise ConfigError(f"{text}: {_message(exc)}; see `textml models list`") from None
        raise TrackingError(f"cannot resolve {text} in {_uri(tracking_uri)}: {_message(exc)}") from None
    pinned = f"models:/{version.name}/{version.version}"  # the version the alias meant now
    try:
        with quiet_downloads():
            path = mlflow.artifacts.download_artifacts(artifact_uri=pinned, dst_path=_temp_dir())
    except Exception as exc:  # noqa: BLE001 - MLflow raises many exception types for one failure
        raise TrackingError(f"cannot download {pinned} ({text}) from {_uri(tracking_uri)}: {_message(exc)}") from None
    return ResolvedModel(Path(path), text, version.name, str(version.version), alias, version.run_id, downloaded=True)


def download_model(uri: str | os.PathLike, tracking_uri: str | None = None) -> Path:
    """A local folder for ``uri`` (a path is returned as it is; runs and versions are downloaded
    to a new temporary folder whose name starts with ``textml-run-``)."""
    return resolve_model(uri, tracking_uri).path


def load_model_ref(ref: str | os.PathLike, tracking_uri: str | None = None, *, trust_pickle: bool = False,
                   trusted: Iterable[str] = ()) -> tuple[Any, dict, ResolvedModel]:
    """``(model, info, source)`` for any model reference: the one loader of every command.

    ``ref``: a model folder or file, a run id, ``runs:/RUN_ID/PATH`` or ``models:/NAME@ALIAS``
    (see the module docstring); ``info``: its textml.json (``{}`` for bare files); ``source``:
    the :class:`ResolvedModel` (``.label``, ``.describe()``; its download is already removed).
    Pickles (``.joblib``/``.pkl`` files, old ``model.joblib`` folders) are refused with a
    ConfigError unless ``trust_pickle``; ``trusted`` names extra skops types to accept.
    """
    from textml.models.loading import load_model_path

    resolved = resolve_model(ref, tracking_uri)
    try:
        model, info = load_model_path(resolved.path, trust_pickle=trust_pickle, trusted=trusted)
    finally:
        resolved.cleanup()
    return model, info, resolved


def load_model_uri(uri: str | os.PathLike, tracking_uri: str | None = None, *, trust_pickle: bool = False):
    """``(model, info)`` for any model reference: :func:`load_model_ref` without the source."""
    model, info, _ = load_model_ref(uri, tracking_uri, trust_pickle=trust_pickle)
    return model, info


def _uri(tracking_uri: str | None) -> str:
    from textml.tracking import resolve_uri

    return resolve_uri(tracking_uri)


def _quote(name: str) -> str:
    return name.replace("'", "\\'")


# --------------------------------------------------------------------------- registering


def register(run: str, name: str, tracking_uri: str | None = None, artifact_path: str = MODEL_ARTIFACT) -> dict:
    """Register the MLflow model a textml run logged (``RUN_ID`` or ``runs:/RUN_ID/model``)
    as a new version of ``name`` (created if needed). Returns the version's description."""
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
    except Exception as exc:  # noqa: BLE001 - MLflow raises many exception types for one failure
        raise ConfigError(f"run {run_id} not found in {_uri(tracking_uri)} ({_message(exc)}); "
                          f"check the run id and --tracking-uri") from None
    model_uri = _logged_model_uri(client, run_info, artifact_path)
    tags, description = _version_tags(run_info, client)
    source_uri = f"runs:/{run_id}/{artifact_path}"
    import mlflow

    try:
        try:
            client.create_registered_model(name, description="Registered with `textml models register`.")
        except Exception as exc:
            if getattr(exc, "error_code", "") not in ("RESOURCE_ALREADY_EXISTS", "ALREADY_EXISTS"):
                raise
        with contextlib.redirect_stderr(io.StringIO()):  # MLflow's "Created version ..." chatter: we say it ourselves
            registered = mlflow.register_model(model_uri, name, tags=tags)
        version = client.update_model_version(name, registered.version, description=description)
    except Exception as exc:  # noqa: BLE001 - MLflow raises many exception types for one failure
        raise TrackingError(f"cannot register {source_uri} as {name!r}: {_message(exc)}") from None
    return _describe_version(client.get_model_version(name, version.version)) | {"source_uri": source_uri}


def _logged_model_uri(client, run, artifact_path: str) -> str:
    """``models:/<model_id>`` of the MLflow 3 logged model ``artifact_path`` of ``run``, or the
    ``runs:/`` URI of a model logged as run artifacts (older textml runs)."""
    run_id = run.info.run_id
    try:
        logged = client.search_logged_models(experiment_ids=[run.info.experiment_id],
                                             filter_string=f"source_run_id = '{run_id}'")
    except Exception:  # noqa: BLE001 - MLflow raises many exception types for one failure
        logged = []
    for model in logged:
        if model.name == artifact_path:
            return f"models:/{model.model_id}"
    if f"{artifact_path}/MLmodel" in {a.path for a in client.list_artifacts(run_id, artifact_path)}:
        return f"runs:/{run_id}/{artifact_path}"
    raise ConfigError(f"run {run_id} has no MLflow model named {artifact_path!r} (compare, train and tune runs "
                      f"log one; a tune trial or a diagnose run does not): register a train or compare run")


def _version_tags(run, client) -> tuple[dict, str]:
    tags = run.data.tags
    metric = run.data.params.get("primary_metric")
    if not metric and tags.get("mlflow.parentRunId"):  # compare logs the choice on the parent run
        try:
            metric = client.get_run(tags["mlflow.parentRunId"]).data.params.get("primary_metric")
        except Exception:  # noqa: BLE001 - MLflow raises many exception types for one failure
            metric = None
    model = tags.get("textml.model") or run.info.run_name
    out = {"textml.model": model or ""}
    description = f"{model} from run {run.info.run_id}"
    if metric and f"dev_{metric}" in run.data.metrics:
        value = run.data.metrics[f"dev_{metric}"]
        out.update({"textml.primary_metric": metric, f"textml.dev_{metric}": f"{value:.10g}"})
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
    except Exception as exc:  # noqa: BLE001 - MLflow raises many exception types for one failure
        if _not_found(exc):
            raise ConfigError(f"no registered model {name!r} in {_uri(tracking_uri)}; register one with "
                              f"`textml models register RUN_ID --name {name}`") from None
        raise TrackingError(f"cannot read registered model {name!r}: {_message(exc)}") from None
    try:
        client.get_model_version(name, version)
    except Exception as exc:  # noqa: BLE001 - MLflow raises many exception types for one failure
        if _not_found(exc):
            raise ConfigError(f"registered model {name!r} has no version {version} "
                              f"({_message(exc)}); see `textml models list`") from None
        raise TrackingError(f"cannot read {name} v{version}: {_message(exc)}") from None
    previous = None
    try:
        previous = str(client.get_model_version_by_alias(name, alias).version)
    except Exception:  # noqa: BLE001 - MLflow raises many exception types for one failure
        pass
    try:
        client.set_registered_model_alias(name, alias, version)
    except Exception as exc:  # noqa: BLE001 - MLflow raises many exception types for one failure
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
    except Exception as exc:  # noqa: BLE001 - MLflow raises many exception types for one failure
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
