"""A trained model on disk: a folder with the fitted pipeline and what it was trained for.

``model.joblib`` is a pickle: load only models you trust (pickles can run code).
``textml.json`` says which registry model it is, its classes, task and metric, and scores.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from textml.errors import ConfigError, DataError
from textml.files import atomic_dir

MODEL_FILE = "model.joblib"
INFO_FILE = "textml.json"


def save_model(model, folder: str | os.PathLike, info: dict, force: bool = False) -> Path:
    """Write ``model`` and ``info`` into ``folder`` atomically (refusing to overwrite without force)."""
    import joblib

    with atomic_dir(folder, force=force) as tmp:
        joblib.dump(model, tmp / MODEL_FILE)
        (tmp / INFO_FILE).write_text(json.dumps(info, indent=2, ensure_ascii=False, default=str) + "\n",
                                     encoding="utf-8")
    return Path(folder)


def load_model(folder: str | os.PathLike):
    """Return ``(model, info)`` from a folder written by :func:`save_model`."""
    import joblib

    folder = Path(folder)
    if not folder.exists():
        raise DataError(f"model folder not found: {folder}")
    if not (folder / MODEL_FILE).exists():
        raise ConfigError(f"{folder} is not a textml model folder (no {MODEL_FILE}); "
                          f"write one with `textml train ... --out DIR`")
    info = {}
    if (folder / INFO_FILE).exists():
        info = json.loads((folder / INFO_FILE).read_text(encoding="utf-8"))
    return joblib.load(folder / MODEL_FILE), info
