"""textml pipelines as MLflow models (the ``python_function`` flavour), without pickles.

An MLflow model logged by textml is a folder::

    model/
      MLmodel                 flavour python_function, loader_module textml.tracking.pyfunc,
                              signature, textml metadata (registry name, classes, metric)
      data/textml_model/      the textml model folder (skops + native fastText/gensim parts,
                              see textml.models.saving)
      input_example.json, serving_input_example.json, requirements.txt, python_env.yaml, ...

MLflow loads it by importing :mod:`textml.tracking.pyfunc` and calling
:func:`_load_pyfunc` on ``data/textml_model``: there is no ``python_model.pkl`` (cloudpickle)
and no copied code, so the loading process needs textml installed (``--env-manager local``
when serving; textml is not pinned in ``requirements.txt`` because it is not published on a
public index, and naming it there would let an unrelated package of that name be installed).

Input: a DataFrame with a ``text`` column (also: a list of strings, a Series, or
``{"text": [...]}``). Output: a DataFrame, one row per text, with ``label`` (what the
pipeline's ``predict`` gives; for a multi-label model the list of its labels) and one
``prob_<class>`` column per class in the order of ``classes_`` (a regression model gives
one ``value`` column instead): :func:`textml.evaluation.metrics.class_probabilities`, the same numbers
``textml predict`` writes (the linear SVMs' are temperature-calibrated; how they are made is
recorded in the MLmodel metadata as ``probabilities``).
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata as importlib_metadata
from pathlib import Path

import numpy as np

from textml.exceptions import ConfigError

LOADER_MODULE = "textml.tracking.pyfunc"
TEXT_COLUMN = "text"
LABEL_COLUMN = "label"
VALUE_COLUMN = "value"  # a regression model's prediction
PROB_PREFIX = "prob_"
DEFAULT_EXAMPLE = ("an example text",)
EXAMPLE_ROWS = 3

# distributions a textml model needs at prediction time (first installed name wins)
_BASE_REQUIREMENTS = (("mlflow",), ("scikit-learn",), ("skops",), ("numpy",), ("scipy",), ("pandas",))
_FASTTEXT_DISTS = ("fasttext-community", "fasttext", "fasttext-wheel")
_GENSIM_DISTS = ("gensim",)


# ----------------------------------------------------------------------- predictions


def texts_from_input(model_input) -> list[str]:
    """The texts of a pyfunc input: a DataFrame's ``text`` column (or its only column), a
    Series, a list/array of strings, ``{"text": [...]}`` or one string."""
    import pandas as pd

    if isinstance(model_input, pd.DataFrame):
        if TEXT_COLUMN in model_input.columns:
            values = model_input[TEXT_COLUMN]
        elif model_input.shape[1] == 1:
            values = model_input.iloc[:, 0]
        else:
            raise ConfigError(f"input has columns {list(model_input.columns)}; give the texts in a "
                              f"{TEXT_COLUMN!r} column")
        values = values.tolist()
    elif isinstance(model_input, dict):
        if TEXT_COLUMN not in model_input:
            raise ConfigError(f"input has keys {sorted(model_input)}; give the texts under {TEXT_COLUMN!r}")
        values = model_input[TEXT_COLUMN]
        values = [values] if isinstance(values, str) else list(values)
    elif isinstance(model_input, str):
        values = [model_input]
    elif isinstance(model_input, (pd.Series, np.ndarray, list, tuple)):
        values = list(np.asarray(model_input, dtype=object).ravel())
    else:
        raise ConfigError(f"cannot read texts from {type(model_input).__name__}; pass a DataFrame with a "
                          f"{TEXT_COLUMN!r} column or a list of strings")
    if values and all(isinstance(v, (list, tuple, np.ndarray)) for v in values):
        # {"text": [...]} arrives from MLflow's schema enforcement as list-valued cells
        values = [t for v in values for t in v]
    texts = []
    for i, value in enumerate(values):
        if not isinstance(value, str):
            raise ConfigError(f"input row {i}: expected a text, got {value!r}")
        texts.append(value)
    return texts


def predict_frame(model, texts: Sequence[str], task: str | None = None):
    """The pyfunc's output for ``texts``, one row per text (``task``: the model's, by default
    read from the model itself; see :func:`textml.evaluation.targets.model_task`).

    Single-label: ``label`` and one ``prob_<class>`` column per class. Multi-label: ``label``
    is the list of predicted labels, then one ``prob_<label>`` per label (each in [0, 1], not
    summing to 1). Regression: ``value``. Columns are built at once, so 10,000 classes make
    one frame, not 10,000 inserts.
    """
    import pandas as pd

    from textml.data.dataset import MULTILABEL, REGRESSION
    from textml.evaluation.metrics import class_probabilities
    from textml.evaluation.targets import model_task, predict_labels

    task = task or model_task(model)
    texts = list(texts)
    if task == REGRESSION:
        values = predict_labels(model, texts, task) if texts else np.zeros(0)
        return pd.DataFrame({VALUE_COLUMN: pd.Series(values, dtype=float)})
    classes = [str(c) for c in getattr(model, "classes_", [])]
    if texts:
        predicted = predict_labels(model, texts, task)
        labels = [list(p) for p in predicted] if task == MULTILABEL else [str(p) for p in predicted]
        probs = class_probabilities(model, texts)
    else:
        labels, probs = [], np.zeros((0, len(classes)))
    columns = {LABEL_COLUMN: pd.Series(labels, dtype=object)}
    columns.update({PROB_PREFIX + c: pd.Series(probs[:, j], dtype=float) for j, c in enumerate(classes)})
    return pd.DataFrame(columns)


class TextmlPyfunc:
    """What ``mlflow.pyfunc.load_model`` wraps: a textml pipeline and its textml.json."""

    def __init__(self, model, info: dict):
        self.model = model
        self.info = info

    def predict(self, model_input, params=None):
        from textml.evaluation.targets import model_task

        return predict_frame(self.model, texts_from_input(model_input), model_task(self.model, self.info))

    def get_raw_model(self):
        return self.model


def _load_pyfunc(data_path: str) -> TextmlPyfunc:
    """MLflow's entry point (``loader_module``): load ``data/textml_model``."""
    from textml.models.saving import load_model

    model, info = load_model(data_path)
    return TextmlPyfunc(model, info)


# ---------------------------------------------------------------------------- saving


def _installed(names: Sequence[str]) -> str | None:
    for name in names:
        try:
            return f"{name}=={importlib_metadata.version(name)}"
        except importlib_metadata.PackageNotFoundError:
            continue
    return None


def requirements(natives: Sequence[str] = ()) -> list[str]:
    """Pinned pip requirements of a textml model (no slow inference: read from metadata)."""
    reqs = [_installed(names) for names in _BASE_REQUIREMENTS]
    if "fasttext" in natives:
        reqs.append(_installed(_FASTTEXT_DISTS))
    if "gensim" in natives:
        reqs.append(_installed(_GENSIM_DISTS))
    return [r for r in reqs if r]


@contextlib.contextmanager
def _pyfunc_arguments(model, info: dict, example_texts: Sequence[str] | None):
    """The textml model folder saved once in a temporary place, and the arguments with which
    ``mlflow.pyfunc.save_model``/``log_model`` turn it into an MLflow model. Yields
    ``(arguments, data_folder)``; the folder is removed afterwards."""
    import json
    import logging

    import pandas as pd
    from mlflow.models import infer_signature

    from textml.data.dataset import MULTILABEL, REGRESSION
    from textml.evaluation.metrics import probability_source, require_probabilities
    from textml.evaluation.targets import model_task
    from textml.models.saving import INFO_FILE, MLFLOW_DATA_DIR, STORAGE_KEY, save_model

    task = model_task(model, info)
    if task != REGRESSION:
        require_probabilities(model)  # before anything is written: the pyfunc's output needs them
    logging.getLogger("mlflow").setLevel(logging.WARNING)  # "Validating input example ..." is noise here
    texts = [str(t) for t in (example_texts or DEFAULT_EXAMPLE)][:EXAMPLE_ROWS] or list(DEFAULT_EXAMPLE)
    example = pd.DataFrame({TEXT_COLUMN: pd.Series(texts, dtype=object)})
    signature = infer_signature(example, predict_frame(model, texts, task))
    output = {REGRESSION: f"{VALUE_COLUMN} (the predicted number)",
              MULTILABEL: f"{LABEL_COLUMN} (a list of labels), then {PROB_PREFIX}<label> per label"}.get(
        task, f"{LABEL_COLUMN}, then {PROB_PREFIX}<class> per class")
    with tempfile.TemporaryDirectory(prefix="textml-pyfunc-") as tmp:
        data = save_model(model, Path(tmp) / MLFLOW_DATA_DIR, info)
        storage = json.loads((data / INFO_FILE).read_text(encoding="utf-8"))[STORAGE_KEY]
        natives = sorted({part["kind"] for part in storage["native"]})
        yield dict(
            loader_module=LOADER_MODULE,
            data_path=str(data),
            signature=signature,
            input_example=example,
            pip_requirements=requirements(natives),
            metadata={
                "textml": {
                    "model": info.get("model"),
                    "classes": [str(c) for c in getattr(model, "classes_", [])],
                    "primary_metric": info.get("primary_metric"),
                    "positive_class": info.get("positive_class"),
                    "task": task,
                    "probabilities": probability_source(model) if task != REGRESSION else None,
                    "format": storage["format"],
                    "output": output,
                }
            },
        ), data


def save_pyfunc(model, path, info: dict, example_texts: Sequence[str] | None = None) -> Path:
    """Write ``model`` as an MLflow pyfunc model folder at ``path`` (which must not exist).

    ``example_texts`` (a few real inputs) become the input example; the signature is
    inferred from them and the model's answers on them.
    """
    import mlflow.pyfunc

    with _pyfunc_arguments(model, info, example_texts) as (arguments, _):
        mlflow.pyfunc.save_model(path=str(path), **arguments)
    return Path(path)


@dataclass
class LoggedModel:
    uri: str  # models:/<model_id>, the MLflow 3 logged model
    model_id: str
    size_bytes: int  # bytes on disk of the textml model folder inside it (what is deployed)


def log_pyfunc(model, info: dict, example_texts: Sequence[str] | None = None, name: str = "model",
               params: dict | None = None) -> LoggedModel:
    """Log ``model`` as an MLflow 3 logged model of the active run (its Models tab; metrics
    logged afterwards in the run are linked to it). ``runs:/<run_id>/model`` still resolves to it,
    so it can be registered, served, loaded with ``mlflow.pyfunc.load_model`` and downloaded."""
    import mlflow.pyfunc

    from textml.evaluation.cost import folder_bytes

    with _pyfunc_arguments(model, info, example_texts) as (arguments, data):
        size = folder_bytes(data)
        logged = mlflow.pyfunc.log_model(name=name, params=params, **arguments)
    return LoggedModel(logged.model_uri, logged.model_id, size)
