"""Reading a model from a local path: the one place where textml turns files into models.

Every command that takes a model reads it here, after
:func:`textml.tracking.registry.resolve_model` has made the reference (folder, run id,
``runs:/``, ``models:/``) a local path. This module never talks to MLflow.

What is read, and how:

- a **model folder** (:mod:`textml.models.saving`; or the one inside an MLflow model textml
  logged): sizes and sha256 checked against the manifest, ``pipeline.skops`` with skops and
  an explicit trusted-type list, fastText parts natively, gensim parts with a restricted
  unpickler (:func:`load_gensim_file`);
- a supervised fastText ``.bin``/``.ftz``: its size checked against what its header implies
  (:func:`check_fasttext_file`), then read by fastText itself;
- **pickles** - ``.pkl``/``.joblib``/``.pickle`` files and old ``model.joblib`` folders -
  only with ``trust_pickle=True`` (``--trust-pickle``): a pickle can run any code when it is
  loaded, so without the flag textml refuses the file before reading a byte of it.
"""

from __future__ import annotations

import json
import mmap
import os
import pickle
import re
import struct
from collections.abc import Iterable
from pathlib import Path

from textml.exceptions import ConfigError, DataError
from textml.files import sha256_file
from textml.models.saving import (
    FASTTEXT,
    FILES_KEY,
    FORMAT,
    GENSIM,
    GENSIM_CLASSES,
    GENSIM_GLOBALS,
    INFO_FILE,
    LEGACY_FILE,
    MLFLOW_DATA_DIR,
    MLMODEL_FILE,
    PIPELINE_FILE,
    STORAGE_KEY,
    TRUSTED_TYPES,
    VOCABULARY,
)

PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle")
FASTTEXT_SUFFIXES = (".bin", ".ftz")
TRUST_PICKLE_FLAG = "--trust-pickle"
TRUST_PICKLE_HELP = ("Also load pickles (.pkl/.joblib files, model folders of old textml versions) and "
                     "gensim files the safe loader refuses. A pickle can run any code when loaded: "
                     "only for files you made yourself or trust.")


# ------------------------------------------------------------------------ any local path


def load_model_path(path: str | os.PathLike, *, trust_pickle: bool = False,
                    trusted: Iterable[str] = ()) -> tuple[object, dict]:
    """``(model, info)`` from a local model folder, supervised fastText file or (trusted) pickle.

    ``info`` is the folder's textml.json without its storage manifest (``{}`` for files).
    Raises ConfigError for a pickle when ``trust_pickle`` is False (before reading it) and
    for paths that are no model; DataError for damaged, truncated or unsafe files.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"model not found: {path}")
    if path.is_dir():
        return load_model(path, trusted=trusted, trust_pickle=trust_pickle)
    suffix = path.suffix.lower()
    if suffix in PICKLE_SUFFIXES:
        return load_pickle(path, trust_pickle=trust_pickle), {}
    if suffix in FASTTEXT_SUFFIXES:
        return load_fasttext_classifier(path), {}
    raise ConfigError(f"{path}: expected a model folder (from `textml train --out`), a supervised fastText "
                      f".bin/.ftz file or a .joblib/.pkl pipeline (with {TRUST_PICKLE_FLAG})")


def is_pickle_file(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a file textml would have to unpickle (by its name: .pkl, .joblib, ...)."""
    path = Path(path)
    return path.suffix.lower() in PICKLE_SUFFIXES and not path.is_dir()


def refuse_pickle(file: Path, what: str = "is a pickle") -> None:
    """The one refusal of an untrusted pickle: a one-line ConfigError naming the file and the flag."""
    raise ConfigError(f"{file} {what}, and a pickle can run any code when loaded: textml does not load it "
                      f"unless you pass {TRUST_PICKLE_FLAG} (trust_pickle=True), which you should do only "
                      f"for a file you made yourself or trust")


def load_pickle(file: Path, *, trust_pickle: bool = False):
    """A joblib/pickle file, only when ``trust_pickle`` (checked before the file is opened)."""
    if not trust_pickle:
        refuse_pickle(file)
    import joblib

    try:
        return joblib.load(file)
    except Exception as exc:  # noqa: BLE001 - any failure of a third-party parser means the file is damaged
        raise DataError(f"cannot read {file} as a joblib/pickle file ({type(exc).__name__}: {exc})") from None


# --------------------------------------------------------------------------- model folders


def load_model(folder: str | os.PathLike, *, trusted: Iterable[str] = (), trust_pickle: bool = False):
    """Return ``(model, info)`` from a folder written by :func:`textml.models.saving.save_model`.

    ``folder`` may also be an MLflow model folder logged by textml (``MLmodel`` +
    ``data/textml_model``), or a folder in the old ``model.joblib`` format (a pickle: read only
    with ``trust_pickle=True``). ``trusted`` names extra types to accept in ``pipeline.skops``
    beyond :data:`~textml.models.saving.TRUSTED_TYPES`. Every file is checked against the
    sizes and sha256 the folder was saved with (folders saved before textml recorded them
    are read without that check). For run ids and ``models:/`` URIs use
    :func:`textml.tracking.registry.load_model_ref`.
    """
    folder = find_model_folder(folder)
    info = _read_info(folder)
    storage = info.pop(STORAGE_KEY, None)
    if storage is None:
        if not (folder / LEGACY_FILE).is_file():
            raise DataError(f"{folder}/{INFO_FILE} has no storage manifest and there is no {LEGACY_FILE}; "
                            f"the folder is damaged: save the model again")
        if not trust_pickle:
            refuse_pickle(folder / LEGACY_FILE, "is a model folder of an old textml, saved as a pickle")
        return load_pickle(folder / LEGACY_FILE, trust_pickle=True), info
    if not isinstance(storage, dict) or storage.get("format") != FORMAT:
        format_ = storage.get("format") if isinstance(storage, dict) else storage
        raise ConfigError(f"{folder} holds a model in format {format_!r}; this textml reads "
                          f"{FORMAT!r}: upgrade textml")
    _verify_files(folder, storage.get(FILES_KEY))
    model = _load_skops(_inside(folder, storage.get("pipeline", PIPELINE_FILE)), set(TRUSTED_TYPES) | set(trusted))
    for part in storage.get("native", []):
        file = _inside(folder, part["file"])
        if part["kind"] == FASTTEXT:
            native = load_fasttext_file(file)
        elif part["kind"] == GENSIM:
            native = load_gensim_file(file, part.get("class", ""), trust_pickle=trust_pickle)
        elif part["kind"] == VOCABULARY:
            native = _load_vocabulary(file)
        else:
            raise ConfigError(f"{folder}: unknown native part kind {part['kind']!r}; upgrade textml")
        model = _attach(model, part["path"], native, folder)
    return model, info


def _load_vocabulary(file: Path) -> dict:
    """A vectorizer's vocabulary from its JSON list of terms (plain data: no code)."""
    try:
        terms = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{file} is not a readable vocabulary ({type(exc).__name__}); save the model again") from None
    if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms) or len(set(terms)) != len(terms):
        raise DataError(f"{file} is not a vocabulary (a JSON list of distinct terms); save the model again")
    return {term: column for column, term in enumerate(terms)}


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


def _read_info(folder: Path) -> dict:
    file = folder / INFO_FILE
    if not file.exists():
        return {}
    try:
        info = json.loads(file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"{file} is not valid JSON ({exc}); the model folder is damaged") from None
    if not isinstance(info, dict):
        raise DataError(f"{file} does not hold a JSON object; the model folder is damaged")
    return info


def _verify_files(folder: Path, records) -> None:
    """Every file the manifest lists has the size and sha256 it was saved with (None: not recorded)."""
    if records is None:
        return  # saved before textml recorded checksums
    if not isinstance(records, dict):
        raise DataError(f"{folder}/{INFO_FILE}: the storage manifest is damaged; re-save or re-download the model")
    for name, record in records.items():
        file = _inside(folder, name)
        try:
            same = file.stat().st_size == record["size"] and sha256_file(file) == record["sha256"]
        except (KeyError, TypeError):
            raise DataError(f"{folder}/{INFO_FILE}: the storage manifest is damaged; "
                            f"re-save or re-download the model") from None
        if not same:
            raise DataError(f"model file {file} is damaged or truncated (size/checksum mismatch); "
                            f"re-save or re-download it")


def _inside(folder: Path, name) -> Path:
    """``folder / name``, refusing names that escape the folder (``../``, absolute paths)."""
    if not isinstance(name, str) or not name:
        raise DataError(f"{folder}/{INFO_FILE} names a file as {name!r}; the model folder is damaged")
    file = (folder / name).resolve()
    if folder.resolve() not in file.parents:
        raise DataError(f"{folder}/{INFO_FILE} names a file outside the model folder ({name!r}); refusing it")
    if not file.is_file():
        raise DataError(f"{folder} is incomplete: {name} is missing")
    return file


def _load_skops(file: Path, trusted: set[str]):
    import skops.io as sio

    try:
        untrusted = set(sio.get_untrusted_types(file=file))
    except Exception as exc:  # noqa: BLE001 - any failure of a third-party parser means the file is damaged
        raise DataError(f"{file} is not a readable skops file ({type(exc).__name__}: {exc})") from None
    refused = sorted(untrusted - trusted)
    if refused:
        raise DataError(f"{file} holds types textml does not trust: {', '.join(refused)}; refusing to load it "
                        f"(if you made this file yourself, pass them as load_model(..., trusted=[...]))")
    try:
        return sio.load(file, trusted=sorted(untrusted))
    except Exception as exc:  # noqa: BLE001 - any failure of a third-party parser means the file is damaged
        raise DataError(f"{file} is damaged: skops cannot rebuild the pipeline "
                        f"({type(exc).__name__}: {exc})") from None


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
    except (AttributeError, KeyError, IndexError, TypeError, ValueError) as exc:
        raise DataError(f"{folder}: cannot put a native part back at {path} ({type(exc).__name__}: {exc}); "
                        f"the folder is damaged or from another textml version") from None
    return model


# ------------------------------------------------------------------------------- fastText

_FASTTEXT_MAGIC = 793712314
_FASTTEXT_ARGS = struct.Struct("<12id")  # dim ws epoch minCount neg wordNgrams loss model bucket minn maxn lrUpdateRate, t
_FASTTEXT_DICT = struct.Struct("<iiiqq")  # size nwords nlabels ntokens pruneidx_size
_PQ = struct.Struct("<iiii")  # dim nsubq dsub lastdsub
_KSUB = 256  # centroids per product quantizer (8 bits)


class _Short(Exception):
    """The file ends before a part its header describes: ``at`` bytes at least are needed."""

    def __init__(self, at: int):
        super().__init__(at)
        self.at = at


def fasttext_expected_size(file: Path) -> tuple[int, bool]:
    """``(size, exact)``: the bytes a fastText ``.bin``/``.ftz`` must have, from its header.

    Parses the file as fastText's ``saveModel`` writes it (args, dictionary, input and output
    matrices, dense or quantized) without reading the matrices. ``exact`` is False when the
    file ends before the parse does: ``size`` is then the least it must have. Raises
    DataError when the file is no fastText model.
    """
    with open(file, "rb") as handle:
        if os.fstat(handle.fileno()).st_size < 8:
            raise DataError(f"{file} is not a fastText model (too short); check the file")
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            magic, version = struct.unpack_from("<ii", data, 0)
            if magic != _FASTTEXT_MAGIC:
                raise DataError(f"{file} is not a fastText model (wrong file format); pass a .bin/.ftz "
                                f"file written by fastText")
            if version > 12:
                raise DataError(f"{file} is a fastText model of a newer format (version {version}); "
                                f"upgrade fasttext")
            try:
                return _fasttext_layout(data, 8 + _FASTTEXT_ARGS.size), True
            except _Short as short:
                return short.at, False


def _read(data, fmt: str, at: int) -> tuple:
    end = at + struct.calcsize(fmt)
    if end > len(data):
        raise _Short(end)
    return struct.unpack_from(fmt, data, at)


def _fasttext_layout(data, pos: int) -> int:
    n_entries, _, _, _, pruned = _read(data, _FASTTEXT_DICT.format, pos)
    pos += _FASTTEXT_DICT.size
    if n_entries < 0:
        raise DataError("a fastText file with a negative dictionary size; the file is damaged")
    for _ in range(n_entries):  # word, NUL, int64 count, int8 type
        end = data.find(b"\0", pos)
        if end < 0:
            raise _Short(len(data) + 1)
        pos = end + 10
    pos += 8 * max(pruned, 0)
    quant_input = _read(data, "<?", pos)[0]
    pos = _matrix_end(data, pos + 1, quant_input)
    quant_output = _read(data, "<?", pos)[0] and quant_input
    return _matrix_end(data, pos + 1, quant_output)


def _matrix_end(data, pos: int, quantized: bool) -> int:
    """Where a fastText matrix written at ``pos`` ends (its data need not all be there)."""
    if not quantized:
        rows, cols = _read(data, "<qq", pos)
        if rows < 0 or cols < 0:
            raise DataError("a fastText matrix with a negative size; the file is damaged")
        return pos + 16 + 4 * rows * cols
    qnorm, rows, _, codesize = _read(data, "<?qqi", pos)
    pos += struct.calcsize("<?qqi") + codesize
    dim = _read(data, "<i", pos)[0]
    pos += _PQ.size + 4 * dim * _KSUB
    if qnorm:
        pos += rows
        dim = _read(data, "<i", pos)[0]
        pos += _PQ.size + 4 * dim * _KSUB
    return pos


def check_fasttext_file(file: str | os.PathLike) -> None:
    """Refuse, with one line, a fastText file shorter than its header implies (truncated).

    fastText's own loader reads a truncated file without complaint (zeros for the missing
    vectors) or, cut inside its dictionary, never returns; this check reads only the header
    and the dictionary.
    """
    file = Path(file)
    if not file.is_file():
        raise DataError(f"fastText model not found: {file}; check the path")
    try:
        expected, exact = fasttext_expected_size(file)
    except DataError as exc:
        if str(exc).startswith("a fastText"):
            raise DataError(f"model file {file} is damaged ({exc}); re-save or re-download it") from None
        raise
    actual = file.stat().st_size
    if actual < expected:
        raise DataError(f"model file {file} is damaged or truncated ({actual:,} bytes; its header implies "
                        f"{'' if exact else 'at least '}{expected:,}); re-save or re-download it")


def load_native(path: Path):
    """fastText's own loader, and nothing else: loading a vectors file for ``encode`` must
    not import scikit-learn (1.7-1.9 s, ~45% of encoding 300k titles with a small model)."""
    import fasttext

    try:
        return fasttext.load_model(str(path))
    except ValueError as exc:
        raise DataError(f"{path} is not a fastText model ({exc}); check the file") from None


def load_fasttext_file(file: str | os.PathLike):
    """A native fastText model, checked for truncation first, read by fastText's own loader."""
    check_fasttext_file(file)
    return load_native(Path(file))


def load_fasttext_classifier(file: str | os.PathLike):
    """A supervised fastText file as textml's ``FastTextClassifier`` (labels decoded, texts cleaned)."""
    from textml.models.fasttext import FastTextClassifier

    check_fasttext_file(file)
    try:
        return FastTextClassifier.load(file)
    except DataError as exc:
        if "not a supervised" in str(exc):
            raise ConfigError(f"{file} is an unsupervised fastText model (word vectors only); it cannot "
                              f"predict. Use it with `textml encode --encoder fasttext:PATH`") from None
        raise


# --------------------------------------------------------------------------------- gensim

_ATTRIBUTE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class _GensimUnpickler(pickle.Unpickler):
    def __init__(self, handle, file: Path):
        super().__init__(handle, encoding="latin1")
        self.file = file

    def find_class(self, module: str, name: str):
        if (module, name) in GENSIM_GLOBALS or (module == "numpy.dtypes" and name.endswith("DType")):
            return super().find_class(module, name)
        raise DataError(f"gensim file {self.file} names {module}.{name}, which textml does not load (not one "
                        f"of the gensim/numpy types gensim files hold); refusing it")


def load_gensim_file(file: str | os.PathLike, class_name: str | None = None, *, trust_pickle: bool = False):
    """A gensim object saved with ``.save()`` (plus its ``.npy`` files), without running code.

    The main file is read with an unpickler that admits only :data:`GENSIM_GLOBALS`; arrays
    stored beside it are read with ``numpy.load(allow_pickle=False)``. This is what
    ``gensim.utils.SaveLoad.load`` does, without gensim's own ``unpickle`` (and without
    patching gensim, so other threads are not affected). Files whose separately stored parts
    would need an unrestricted unpickle (scipy matrices) are refused. ``class_name``: the
    class the file must hold (default: any of :data:`GENSIM_CLASSES`). With ``trust_pickle``
    the file is read by gensim itself.
    """
    file = Path(file)
    allowed = {class_name} if class_name else GENSIM_CLASSES
    if not allowed <= GENSIM_CLASSES:
        raise DataError(f"{file}: gensim class {class_name!r} is not one textml loads "
                        f"({', '.join(sorted(GENSIM_CLASSES))})")
    if not file.is_file():
        raise DataError(f"gensim file not found: {file}")
    if trust_pickle:
        obj = _gensim_load_trusted(file)
    else:
        obj = _gensim_load_restricted(file)
    name = f"{type(obj).__module__}.{type(obj).__qualname__}"
    if name not in allowed:
        raise DataError(f"{file} holds {name}, expected {' or '.join(sorted(allowed))}")
    return obj


def _gensim_load_trusted(file: Path):
    from gensim.utils import SaveLoad

    try:
        return SaveLoad.load(str(file))
    except Exception as exc:  # noqa: BLE001 - any failure of a third-party parser means the file is damaged
        raise DataError(f"cannot read gensim file {file} ({type(exc).__name__}: {exc})") from None


def _gensim_load_restricted(file: Path):
    from gensim.utils import SaveLoad

    try:
        with open(file, "rb") as handle:
            obj = _GensimUnpickler(handle, file).load()
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure of a third-party parser means the file is damaged
        raise DataError(f"cannot read gensim file {file} ({type(exc).__name__}: {exc})") from None
    if not isinstance(obj, SaveLoad):
        raise DataError(f"{file} holds {type(obj).__name__}, not a gensim model or vectors")
    _check_specials(obj, file)
    compress, subname = SaveLoad._adapt_by_suffix(str(file))
    try:  # the rest of SaveLoad.load: arrays stored beside the file, version fix-ups
        obj._load_specials(str(file), None, compress, subname)
        obj.add_lifecycle_event("loaded", fname=str(file))
    except Exception as exc:  # noqa: BLE001 - any failure of a third-party parser means the file is damaged
        raise DataError(f"cannot read gensim file {file} or the arrays stored beside it "
                        f"({type(exc).__name__}: {exc})") from None
    return obj


def _check_specials(obj, file: Path, depth: int = 0) -> None:
    """Refuse what ``_load_specials`` would unpickle without restriction (``__scipys``) or
    read from outside the file's own ``FILE.ATTR.npy`` names."""
    if depth > 10:
        raise DataError(f"{file}: gensim objects nested too deeply; refusing it")
    if getattr(obj, "__scipys", None):
        raise DataError(f"{file} stores scipy matrices as separate pickles, which textml does not load "
                        f"without {TRUST_PICKLE_FLAG}")
    for key in ("__numpys", "__ignoreds", "__recursive_saveloads"):
        names = getattr(obj, key, [])
        if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) and _ATTRIBUTE.match(n) for n in names):
            raise DataError(f"{file}: gensim attribute list {key} is not plain attribute names; refusing it")
    for name in getattr(obj, "__recursive_saveloads", []):
        _check_specials(getattr(obj, name, None), file, depth + 1)
