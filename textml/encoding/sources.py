"""Where a model comes from: a local file or folder, or an MLflow run.

``PATH`` in ``--encoder NAME:PATH`` and ``MODEL`` in ``textml predict`` may be a local
file (fastText ``.bin``, gensim vectors, a joblib pickle), a folder written by
``textml train --out``, an MLflow run id (its ``model`` artifact folder) or a
``runs:/RUN_ID/ARTIFACT_PATH`` URI. Runs are downloaded once, by the calling process,
to a temporary folder; workers then load the local copy.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from textml.exceptions import ConfigError

RUN_ID = re.compile(r"^[0-9a-f]{32}$")
RUNS_URI = re.compile(r"^runs:/([^/]+)(?:/(.*))?$")


def resolve_source(text: str, tracking_uri: str | None = None, what: str = "model") -> Path:
    """A local path for ``text``: the path itself, or an MLflow run's artifacts downloaded."""
    text = str(text).strip()
    if not text:
        raise ConfigError(f"no {what} given; pass a file, a model folder or an MLflow run id")
    local = Path(os.path.expanduser(text))
    if local.exists():
        return local
    match = RUNS_URI.match(text)
    if match:
        from textml.tracking import download_run_folder

        return download_run_folder(match.group(1), (match.group(2) or "model").strip("/"), tracking_uri)
    if RUN_ID.match(text):
        from textml.tracking import download_run_folder

        return download_run_folder(text, "model", tracking_uri)
    if text.startswith("models:/"):
        from textml.tracking.registry import download_model

        return download_model(text, tracking_uri)
    raise ConfigError(
        f"{what} {text!r} not found: not a local file or folder, nor an MLflow run id "
        f"(32 hex digits) or runs:/RUN_ID/PATH URI"
    )


def is_run(text: str) -> bool:
    """Whether ``text`` names an MLflow run (not an existing local path)."""
    text = str(text).strip()
    return not Path(os.path.expanduser(text)).exists() and bool(
        RUNS_URI.match(text) or RUN_ID.match(text) or text.startswith("models:/"))


def describe_source(origin: str, path: str | os.PathLike) -> dict:
    """What identifies a model for --resume: a run by its id (runs do not change), a path by its files."""
    if origin and is_run(origin):
        return {"run": origin}
    return describe(Path(path))


def cleanup_download(origin: str, path: str | os.PathLike) -> None:
    """Remove the temporary folder a run's artifacts were downloaded to."""
    import shutil
    import tempfile

    if not origin or not is_run(origin):
        return
    path = Path(path).resolve()
    temp = Path(tempfile.gettempdir()).resolve()
    for parent in [path, *path.parents]:
        if parent.name.startswith("textml-run-") and parent.parent == temp:
            shutil.rmtree(parent, ignore_errors=True)
            return


def describe(path: Path) -> dict:
    """What identifies a model's files on disk (for resume checks): path, size and mtime."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
    else:
        files = [path] + sorted(p for p in path.parent.glob(path.name + ".*") if p.is_file())
    return {
        "path": str(path.resolve()),
        "files": [[str(p.relative_to(path if path.is_dir() else path.parent)), p.stat().st_size,
                   p.stat().st_mtime_ns] for p in files],
    }
