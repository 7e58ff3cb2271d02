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

Integrity: the storage manifest records the size and sha256 of every file of the folder
(key ``files``); loading checks them before reading a byte of the model, so a truncated
download or a damaged copy is refused with one line instead of half-loading.

This module writes folders; :mod:`textml.models.loading` reads them (and every other file
textml accepts as a model). That makes loading a textml folder *much* harder to abuse than
loading a pickle, but it is not a guarantee: skops, fastText and gensim parse untrusted
bytes, and a crafted file may still crash the process or exhaust memory. Load models from
sources you trust. Folders written by older textml versions (``model.joblib``) are pickles:
they load only with ``trust_pickle=True`` (``--trust-pickle``).

A folder may also be an MLflow model (``MLmodel`` + ``data/textml_model/``), as textml logs
runs; the loader reads the textml folder inside it without importing MLflow (and never
unpickles MLflow's own files). URIs (``runs:/``, ``models:/NAME@alias``) are resolved to
local folders by :func:`textml.tracking.registry.resolve_model`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from textml.exceptions import ConfigError
from textml.files import atomic_dir, sha256_file

FORMAT = "textml-model/2"
PIPELINE_FILE = "pipeline.skops"
NATIVE_DIR = "native"
INFO_FILE = "textml.json"
LEGACY_FILE = "model.joblib"  # textml-model/1: one joblib pickle
MLMODEL_FILE = "MLmodel"
MLFLOW_DATA_DIR = "textml_model"  # name of the textml folder inside an MLflow model's data/
STORAGE_KEY = "storage"
FILES_KEY = "files"  # in the storage manifest: {relative path: {"size", "sha256"}} of every file

# Types that skops does not trust by default but textml's own pipelines contain. Only
# these (and skops' defaults: scikit-learn estimators, numpy, scipy) are loaded.
TRUSTED_TYPES: tuple[str, ...] = (
    "sklearn.tree._tree.Tree",
    "sklearn.feature_selection._univariate_selection.chi2",  # SelectKBest(chi2): a function reference
    "textml.models.fasttext.FastTextClassifier",
    "textml.models.calibration.CalibratedPipeline",  # the SVM pipelines: steps + a fitted temperature
    "textml.models.textcat.SpacyTextClassifier",  # its state: plain data and nlp.to_bytes()
    "textml.models.multilabel.MultiLabelPipeline",  # tags: steps + label names, thresholds, a sigmoid
    "textml.models.multilabel.LabelFrequencyClassifier",  # tag baselines: label names and frequencies
    "textml.models.fasttext.FastTextSentenceVectorizer",  # its fastText model is a native part
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
# A vectorizer's vocabulary (term -> column) as a JSON list of terms: skops encodes a dict
# entry by entry, which took 5 s to save and 4.5 s to check on load for 107k terms
# (Debian bow-svm) and made pipeline.skops 2x the pickle; the JSON list takes ~0.1 s.
VOCABULARY = "vocabulary"
_SUFFIX = {FASTTEXT: ".bin", GENSIM: ".gensim", VOCABULARY: ".vocab.json"}


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
            elif kind == VOCABULARY:
                terms = [""] * len(obj)
                for term, column in obj.items():
                    terms[column] = term
                (tmp / name).write_text(json.dumps(terms, ensure_ascii=False), encoding="utf-8")
            else:
                obj.save(str(tmp / name))
            manifest.append({"path": path, "kind": kind, "file": name,
                             "class": f"{type(obj).__module__}.{type(obj).__qualname__}"})
        full = dict(info)
        full[STORAGE_KEY] = {"format": FORMAT, "pipeline": PIPELINE_FILE, "native": manifest,
                             FILES_KEY: file_records(tmp)}
        (tmp / INFO_FILE).write_text(json.dumps(full, indent=2, ensure_ascii=False, default=str) + "\n",
                                     encoding="utf-8")
    return Path(folder)


def _is_vocabulary(value) -> bool:
    """A term -> column dict whose columns are 0..n-1 (what scikit-learn's vectorizers learn)."""
    if not isinstance(value, dict) or not value:
        return False
    columns = value.values()
    return (all(isinstance(k, str) for k in value) and all(type(c) is int for c in columns)
            and min(columns) == 0 and max(columns) == len(value) - 1 and len(set(columns)) == len(value))


def _native_kind(value, name: str | None = None) -> str | None:
    if name == "vocabulary_" and _is_vocabulary(value):
        return VOCABULARY
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
            kind = _native_kind(value, name)
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


def file_records(folder: Path) -> dict[str, dict]:
    """Size and sha256 of every file under ``folder`` but textml.json (which holds them)."""
    out = {}
    for file in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        name = file.relative_to(folder).as_posix()
        if name != INFO_FILE:
            out[name] = {"size": file.stat().st_size, "sha256": sha256_file(file)}
    return out


def load_model(folder: str | os.PathLike, *, trusted: Iterable[str] = (), trust_pickle: bool = False):
    """``(model, info)`` from a folder :func:`save_model` wrote (see :func:`textml.models.loading.load_model`)."""
    from textml.models.loading import load_model as load

    return load(folder, trusted=trusted, trust_pickle=trust_pickle)
