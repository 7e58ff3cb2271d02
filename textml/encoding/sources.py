"""What identifies a model an encode/predict job reads, and removing its download afterwards.

``PATH`` in ``--encoder NAME:PATH`` and ``MODEL`` in ``textml predict`` are resolved by
:func:`textml.tracking.registry.resolve_model` (a local file or folder, a run id,
``runs:/RUN_ID/PATH`` or ``models:/NAME@ALIAS``). Runs are downloaded once, by the calling
process, to a temporary folder; workers then load the local copy.
"""

from __future__ import annotations

import os
from pathlib import Path


def is_run(text: str) -> bool:
    """Whether ``text`` names an MLflow run or registered version (not an existing local path)."""
    from textml.tracking.registry import is_tracked_ref

    return is_tracked_ref(text)


def describe_source(origin: str, path: str | os.PathLike) -> dict:
    """What identifies a model for --resume: a run by its id (runs do not change), a path by its files."""
    if origin and is_run(origin):
        return {"run": origin}
    return describe(Path(path))


def cleanup_download(origin: str, path: str | os.PathLike) -> None:
    """Remove the temporary folder a run's artifacts were downloaded to (local paths stay)."""
    from textml.tracking.registry import remove_download

    if origin and is_run(origin):
        remove_download(path)


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
