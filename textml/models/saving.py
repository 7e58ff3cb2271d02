"""A trained model on disk: a folder with the fitted pipeline and what it was trained for.

Layout (format ``textml-model/2``)::

    model/
      textml.json        what the model is: registry name, classes, task, metric, scores,
                         and where its native parts are (key "storage")
      pipeline.skops     the scikit-learn pipeline, native parts detached (skops format)
      native/0.bin       a fastText model (FastTextClassifier.model_), fastText's own format
      native/1.gensim    gensim vectors/models (gensim's own ``save``), plus their .npy files

Why not one pickle: a pickle runs whatever code it names when it is loaded. ``skops`` stores
objects as data and refuses, on load, every type not explicitly trusted; textml trusts
only :data:`TRUSTED_TYPES` (the types its own pipelines contain) on top of skops' defaults,
and refuses anything else. fastText's ``.bin`` is read by fastText's C++ loader (no Python
code). gensim's native format is a pickle plus ``.npy`` arrays; textml reads it with an
unpickler that admits only the gensim and numpy classes those files hold
(:data:`GENSIM_GLOBALS`) and loads arrays with ``allow_pickle=False``.

That makes loading a textml folder *much* harder to abuse than loading a pickle, but it is
not a guarantee: skops, fastText and gensim parse untrusted bytes, and a crafted file may
still crash the process or exhaust memory. Load models from sources you trust. Folders
written by older textml versions (``model.joblib``) are pickles and are still read; only
do that for your own models.

A folder may also be an MLflow model (``MLmodel`` + ``data/textml_model/``), as textml logs
runs; :func:`load_model` reads the textml folder inside it without importing MLflow (and
never unpickles MLflow's own files). URIs (``runs:/``, ``models:/NAME@alias``) are
resolved to local folders by :func:`textml.tracking.registry.download_model`.
"""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path
from typing import Iterable

from textml.exceptions import ConfigError, DataError
from textml.files import atomic_dir

FORMAT = "textml-model/2"
PIPELINE_FILE = "pipeline.skops"
NATIVE_DIR = "native"
INFO_FILE = "textml.json"
LEGACY_FILE = "model.joblib"  # textml-model/1: one joblib pickle
MLMODEL_FILE = "MLmodel"
MLFLOW_DATA_DIR = "textml_model"  # name of the textml folder inside an MLflow model's data/
STORAGE_KEY = "storage"

# Types that skops does not trust by default but textml's own pipelines contain. Only
# these (and skops' defaults: scikit-learn estimators, numpy, scipy) are loaded.
TRUSTED_TYPES: tuple[str, ...] = (
    "sklearn.tree._tree.Tree",
    "sklearn.feature_selection._univariate_selection.chi2",  # SelectKBest(chi2): a function reference
    "textml.models.fasttext.FastTextClassifier",
    "textml.models.embeddings.Word2VecVectorizer",
    "textml.models.embeddings.FastTextVectorizer",
    "textml.models.embeddings.PretrainedVectorizer",
    "textml.text.spacy.SpacyNormalizer",
    "pathlib.PosixPath",  # PretrainedVectorizer(path=Path(...)): rebuilt from its string parts
    "pathlib._local.PosixPath",
)

# The globals a gensim native file may name (KeyedVectors, FastTextKeyedVectors, Word2Vec,
# FastText models and the numpy arrays/random state inside them). Anything else is refused.
GENSIM_GLOBALS: frozenset[tuple[str, str]] = frozenset({
    ("gensim.models.keyedvectors", "KeyedVectors"),
    ("gensim.models.fasttext", "FastTextKeyedVectors"),
    ("gensim.models.word2vec", "Word2Vec"),
    ("gensim.models.fasttext", "FastText"),
    ("gensim.utils", "call_on_class_only"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy.random._pickle", "__randomstate_ctor"),
    ("numpy.random._pickle", "__bit_generator_ctor"),
    ("numpy.random._pickle", "__generator_ctor"),
    ("numpy.random._mt19937", "MT19937"),
    ("numpy.random._pcg64", "PCG64"),
    ("collections", "defaultdict"),
    ("builtins", "int"),
    ("builtins", "float"),
    ("builtins", "hash"),
})
GENSIM_CLASSES = {f"{m}.{n}" for m, n in GENSIM_GLOBALS if m.startswith("gensim.models")}

FASTTEXT = "fasttext"
GENSIM = "gensim"
_SUFFIX = {FASTTEXT: ".bin", GENSIM: ".gensim"}


# ---------------------------------------------------------------------------- saving


def save_model(model, folder: str | os.PathLike, info: dict, force: bool = False, *,
               trusted: Iterable[str] = ()) -> Path:
    """Write ``model`` and ``info`` into ``folder`` atomically (refusing to overwrite without force).

    Native parts (fastText models, gensim vectors) are written in their own formats under
    ``native/``; the rest of the pipeline with ``skops``. ``model`` itself is not changed.
    Raises ConfigError, before writing anything, if the pipeline holds a type textml would
    refuse to load (see :data:`TRUSTED_TYPES`); ``trusted`` names extra types to allow, which
    must then be passed to :func:`load_model` too.
    """
    import skops.io as sio

    detached, natives = _detach(model)
    data = sio.dumps(detached)
    foreign = sorted(set(sio.get_untrusted_types(data=data)) - set(TRUSTED_TYPES) - set(trusted))
    if foreign:
        raise ConfigError(
            f"cannot save this model safely: it holds {', '.join(foreign)}, which textml does not "
            f"trust when loading (textml.models.saving.TRUSTED_TYPES); use textml's own estimators "
            f"or add the type there after checking it is plain data")
    with atomic_dir(folder, force=force) as tmp:
        (tmp / PIPELINE_FILE).write_bytes(data)
        manifest = []
        if natives:
            (tmp / NATIVE_DIR).mkdir()
        for index, (path, kind, obj) in enumerate(natives):
            name = f"{NATIVE_DIR}/{index}{_SUFFIX[kind]}"
            if kind == FASTTEXT:
                obj.save_model(str(tmp / name))
            else:
                obj.save(str(tmp / name))
            manifest.append({"path": path, "kind": kind, "file": name,
                             "class": f"{type(obj).__module__}.{type(obj).__qualname__}"})
        full = dict(info)
        full[STORAGE_KEY] = {"format": FORMAT, "pipeline": PIPELINE_FILE, "native": manifest}
        (tmp / INFO_FILE).write_text(json.dumps(full, indent=2, ensure_ascii=False, default=str) + "\n",
                                     encoding="utf-8")
    return Path(folder)


def _native_kind(value) -> str | None:
    module = type(value).__module__ or ""
    if module.startswith("fasttext") and hasattr(value, "save_model"):
        return FASTTEXT
    if module.startswith("gensim.") and hasattr(value, "save") and hasattr(value, "_load_specials"):
        return GENSIM
    return None


def _is_container_of_interest(value) -> bool:
    return hasattr(value, "get_params") or isinstance(value, (list, tuple, dict))


def _detach(obj, path: tuple = (), depth: int = 0):
    """A copy of ``obj`` without native parts (copied only where needed), and the parts.

    Walks estimators (anything with ``get_params``: Pipeline steps, FeatureUnion parts,
    wrapped estimators) through their attributes, lists, tuples and dicts. Returns
    ``(copy, [(path, kind, native_object), ...])``; a path is a list of
    ``["attr", name]`` / ``["item", index_or_key]`` steps from the top object.
    """
    if depth > 50:
        return obj, []
    if hasattr(obj, "get_params") and hasattr(obj, "__dict__"):
        found, changes = [], {}
        removed = []
        for name, value in vars(obj).items():
            step = path + (("attr", name),)
            kind = _native_kind(value)
            if kind:
                found.append((list(map(list, step)), kind, value))
                removed.append(name)
            elif _is_container_of_interest(value):
                new, parts = _detach(value, step, depth + 1)
                if parts:
                    found.extend(parts)
                    changes[name] = new
        if not found:
            return obj, []
        copy = obj.__class__.__new__(obj.__class__)
        copy.__dict__.update(obj.__dict__)
        copy.__dict__.update(changes)
        for name in removed:
            del copy.__dict__[name]
        return copy, found
    if isinstance(obj, (list, tuple)):
        found, items = [], list(obj)
        for i, value in enumerate(obj):
            step = path + (("item", i),)
            kind = _native_kind(value)
            if kind and not isinstance(obj, list):
                raise ConfigError(f"cannot save a {type(value).__name__} held directly in a tuple "
                                  f"({'.'.join(str(k) for _, k in step)}); hold it in an estimator attribute")
            if kind:
                found.append((list(map(list, step)), kind, value))
                items[i] = None
            elif _is_container_of_interest(value):
                new, parts = _detach(value, step, depth + 1)
                if parts:
                    found.extend(parts)
                    items[i] = new
        if not found:
            return obj, []
        return (items if isinstance(obj, list) else tuple(items)), found
    if isinstance(obj, dict):
        found, items = [], dict(obj)
        for key, value in obj.items():
            if not isinstance(key, (str, int)):
                continue
            step = path + (("item", key),)
            kind = _native_kind(value)
            if kind:
                found.append((list(map(list, step)), kind, value))
                items[key] = None
            elif _is_container_of_interest(value):
                new, parts = _detach(value, step, depth + 1)
                if parts:
                    found.extend(parts)
                    items[key] = new
        return (items, found) if found else (obj, [])
    return obj, []


# --------------------------------------------------------------------------- loading


def load_model(folder: str | os.PathLike, *, trusted: Iterable[str] = ()):
    """Return ``(model, info)`` from a folder written by :func:`save_model`.

    ``folder`` may also be an MLflow model folder logged by textml (``MLmodel`` +
    ``data/textml_model``), e.g. ``download_run_folder(run_id, "model")``, or a folder in
    the old ``model.joblib`` format (a pickle: only for models you trust). ``trusted``
    names extra types to accept in ``pipeline.skops`` beyond :data:`TRUSTED_TYPES`.
    For ``runs:/`` or ``models:/`` URIs use ``textml.tracking.registry.load_model_uri``.
    """
    folder = find_model_folder(folder)
    info = json.loads((folder / INFO_FILE).read_text(encoding="utf-8")) if (folder / INFO_FILE).exists() else {}
    storage = info.pop(STORAGE_KEY, None)
    if storage is None:
        return _load_legacy(folder), info
    if storage.get("format") != FORMAT:
        raise ConfigError(f"{folder} holds a model in format {storage.get('format')!r}; this textml reads "
                          f"{FORMAT!r}: upgrade textml")
    model = _load_skops(folder / storage.get("pipeline", PIPELINE_FILE), set(TRUSTED_TYPES) | set(trusted))
    for part in storage.get("native", []):
        file = _inside(folder, part["file"])
        if part["kind"] == FASTTEXT:
            from textml.models.fasttext import _load_native

            native = _load_native(file)
        elif part["kind"] == GENSIM:
            native = _load_gensim(file, part.get("class", ""))
        else:
            raise ConfigError(f"{folder}: unknown native part kind {part['kind']!r}; upgrade textml")
        model = _attach(model, part["path"], native, folder)
    return model, info


def find_model_folder(path: str | os.PathLike) -> Path:
    """The textml model folder at ``path``, or inside the MLflow model folder at ``path``."""
    folder = Path(path)
    if not folder.exists():
        raise DataError(f"model folder not found: {folder}")
    if not folder.is_dir():
        raise ConfigError(f"{folder} is a file, not a textml model folder; "
                          f"write one with `textml train ... --out DIR`")
    if (folder / PIPELINE_FILE).exists() or (folder / LEGACY_FILE).exists():
        return folder
    if (folder / MLMODEL_FILE).exists():
        inner = folder / "data" / MLFLOW_DATA_DIR
        if (inner / INFO_FILE).exists():
            return inner
        raise ConfigError(f"{folder} is an MLflow model but not one textml logged (no data/{MLFLOW_DATA_DIR}); "
                          f"load it with mlflow.pyfunc.load_model instead")
    raise ConfigError(f"{folder} is not a textml model folder (no {PIPELINE_FILE}); "
                      f"write one with `textml train ... --out DIR`")


def _inside(folder: Path, name: str) -> Path:
    """``folder / name``, refusing names that escape the folder (``../``, absolute paths)."""
    file = (folder / name).resolve()
    if folder.resolve() not in file.parents:
        raise DataError(f"{folder}/{INFO_FILE} names a file outside the model folder ({name!r}); refusing it")
    if not file.is_file():
        raise DataError(f"{folder} is incomplete: {name} is missing")
    return file


def _load_skops(file: Path, trusted: set[str]):
    import skops.io as sio

    if not file.is_file():
        raise DataError(f"{file.parent} is incomplete: {file.name} is missing")
    try:
        untrusted = set(sio.get_untrusted_types(file=file))
    except Exception as exc:
        raise DataError(f"{file} is not a readable skops file ({type(exc).__name__}: {exc})") from None
    refused = sorted(untrusted - trusted)
    if refused:
        raise DataError(f"{file} holds types textml does not trust: {', '.join(refused)}; refusing to load it "
                        f"(if you made this file yourself, pass them as load_model(..., trusted=[...]))")
    return sio.load(file, trusted=sorted(untrusted))


def _attach(model, path: list, native, folder: Path):
    """Put ``native`` back at ``path`` (as recorded by save) in the loaded model."""
    if not path:
        return native
    target = model
    try:
        for kind, key in path[:-1]:
            target = getattr(target, key) if kind == "attr" else target[key if not isinstance(target, (list, tuple)) else int(key)]
        kind, key = path[-1]
        if kind == "attr":
            setattr(target, key, native)
        else:
            target[key if not isinstance(target, list) else int(key)] = native
    except (AttributeError, KeyError, IndexError, TypeError) as exc:
        raise DataError(f"{folder}: cannot put a native part back at {path} ({type(exc).__name__}: {exc}); "
                        f"the folder is damaged or from another textml version") from None
    return model


class _GensimUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) in GENSIM_GLOBALS or (module == "numpy.dtypes" and name.endswith("DType")):
            return super().find_class(module, name)
        raise DataError(f"gensim file names {module}.{name}, which textml does not load (not one of the "
                        f"gensim/numpy types its models hold); refusing it")


def _restricted_unpickle(fname):
    with open(fname, "rb") as handle:
        return _GensimUnpickler(handle, encoding="latin1").load()


def _load_gensim(file: Path, class_name: str):
    """A gensim object saved with ``.save()``, unpickled with :class:`_GensimUnpickler`."""
    if class_name not in GENSIM_CLASSES:
        raise DataError(f"{file}: gensim class {class_name!r} is not one textml loads "
                        f"({', '.join(sorted(GENSIM_CLASSES))})")
    import importlib
    from unittest import mock

    import gensim.utils

    module, _, name = class_name.rpartition(".")
    cls = getattr(importlib.import_module(module), name)
    # SaveLoad.load reads the main file (and any separately stored sparse matrices) with
    # gensim.utils.unpickle: swap in the restricted unpickler for the duration of the load.
    with mock.patch.object(gensim.utils, "unpickle", _restricted_unpickle):
        try:
            obj = cls.load(str(file))
        except DataError:
            raise
        except Exception as exc:
            raise DataError(f"cannot read gensim file {file} ({type(exc).__name__}: {exc})") from None
    if not isinstance(obj, cls):
        raise DataError(f"{file} holds {type(obj).__name__}, expected {name}")
    return obj


def _load_legacy(folder: Path):
    """A ``model.joblib`` folder (textml < 0.2): a pickle, so only for models you trust."""
    import joblib

    return joblib.load(folder / LEGACY_FILE)
