"""Encoders: ``NAME[:PATH]`` resolved to an object whose ``transform(texts)`` returns vectors.

- ``tfidf:PATH`` (sparse): a fitted TF-IDF vectorizer - a model folder (``textml train
  --out``) or MLflow run whose pipeline has one, or a joblib file holding one.
- ``hashing[:N|:PATH]`` (sparse): a stateless ``HashingVectorizer`` (N features, default
  2**20), or the hashing step of a model / joblib file.
- (PATH may be anything :func:`textml.tracking.registry.resolve_model` accepts: a file, a
  folder, a run id, ``runs:/RUN_ID/PATH`` or ``models:/NAME@ALIAS``.)
- ``fasttext:PATH`` (dense): fastText sentence vectors from a ``.bin``/``.ftz`` model
  (supervised or not, trained or pretrained) or from a model folder / run holding a
  fastText classifier.
- ``word2vec:PATH`` (dense): gensim word vectors (``.kv`` or gensim model, word2vec
  ``.bin``/``.txt``, or a model folder with an embedding step) pooled over a text's words
  (``--pooling mean|tfidf``) exactly as ``textml.models.embeddings`` pools them; unknown
  words are left out.
- ``ftvec:PATH`` (dense): gensim fastText vectors (a gensim FastText model, an
  unsupervised fastText ``.bin`` read through gensim, or a model folder): like word2vec,
  but unknown words get a vector from their character n-grams.
- ``model:PATH|RUN_ID|runs:/RUN_ID/model`` (sparse or dense): the features a trained textml
  pipeline's classifier sees (every step but the last; for a lone fastText classifier,
  its sentence vectors).

TF-IDF pooling weights come from the model folder's embedding step when it learned them,
else from ``--idf MODEL`` (a fitted TF-IDF vectorizer's ``idf_``; words it never saw get
its largest IDF). Without ``--pooling``, a model folder's embedding step pools as it was
trained to; bare vectors are averaged.

An :class:`EncoderSpec` is small and picklable: it is what travels to worker processes
and Spark executors, each of which calls :meth:`EncoderSpec.load` once. Loaded
encoders give exactly what calling the underlying model on the same texts gives (for
fastText: ``get_sentence_vector`` of the text with its line breaks turned into spaces,
since fastText reads one line at a time; a textml ``FastTextClassifier``'s texts are
cleaned as it cleans them for training and prediction).

Everything is read through :mod:`textml.models.loading`: model folders and fastText files
are checked for damage and truncation, gensim files are read without running code, and
joblib/pickle files (which can run any code when loaded) are refused unless the spec says
``trust_pickle`` (``--trust-pickle``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from textml.exceptions import ConfigError, DataError
from textml.models.loading import TRUST_PICKLE_FLAG, is_pickle_file

ENCODERS = ("tfidf", "hashing", "fasttext", "word2vec", "ftvec", "model")
POOLINGS = ("mean", "tfidf")
DEFAULT_HASHING_FEATURES = 2**20


@dataclass(frozen=True)
class EncoderSpec:
    """What to load: the encoder's name, its local path and options (picklable, no model inside)."""

    name: str
    path: str | None = None
    n_features: int | None = None  # hashing without a path
    pooling: str | None = None  # word2vec / ftvec: mean or tfidf (default: the model's own, else mean)
    idf_path: str | None = None  # word2vec / ftvec with tfidf pooling and raw vectors
    source: str = ""  # what the user wrote, for messages
    origin: str = ""  # PATH as the user wrote it (a path, run id or runs:/ URI)
    idf_origin: str = ""
    trust_pickle: bool = False  # load .joblib/.pkl files and old model.joblib folders (they run code)

    def load(self) -> Encoder:
        """Load the model(s) and return a ready encoder."""
        loader = {
            "tfidf": _load_tfidf,
            "hashing": _load_hashing,
            "fasttext": _load_fasttext,
            "word2vec": _load_gensim,
            "ftvec": _load_gensim,
            "model": _load_model_features,
        }[self.name]
        encoder = loader(self)
        encoder.spec = self
        return encoder

    def paths(self) -> list[Path]:
        """The local files and folders the encoder reads (to ship to Spark executors)."""
        return [Path(p) for p in (self.path, self.idf_path) if p]

    def relocated(self, mapping: dict[str, str]) -> EncoderSpec:
        """The same spec with its paths replaced (after shipping them elsewhere)."""
        return replace(self, path=mapping.get(self.path, self.path) if self.path else None,
                       idf_path=mapping.get(self.idf_path, self.idf_path) if self.idf_path else None)

    def describe(self) -> dict:
        """A JSON-able identity of the encoder and its files (for --resume checks)."""
        from textml.encoding.sources import describe_source

        out = {k: v for k, v in asdict(self).items()
               if k not in ("path", "idf_path", "source", "origin", "idf_origin", "trust_pickle")}
        out["path"] = describe_source(self.origin, self.path) if self.path else None
        out["idf_path"] = describe_source(self.idf_origin, self.idf_path) if self.idf_path else None
        return out

    def cleanup(self) -> None:
        """Remove temporary downloads of MLflow runs."""
        from textml.encoding.sources import cleanup_download

        if self.path:
            cleanup_download(self.origin, self.path)
        if self.idf_path:
            cleanup_download(self.idf_origin, self.idf_path)


def resolve_encoder(
    text: str,
    pooling: str | None = None,
    idf: str | None = None,
    tracking_uri: str | None = None,
    *,
    trust_pickle: bool = False,
) -> EncoderSpec:
    """Parse ``NAME[:PATH]`` into a spec, fetching an MLflow run's model when PATH names one.

    ``pooling`` (mean or tfidf) applies to word2vec/ftvec; ``idf`` names where TF-IDF
    pooling weights come from when PATH holds bare word vectors (a model folder, run or
    joblib file with a fitted TF-IDF vectorizer). ``trust_pickle`` lets the encoder load
    pickles (see :func:`textml.models.loading.load_model_path`).
    """
    from textml.tracking.registry import resolve_model

    name, sep, rest = str(text).partition(":")
    name = name.strip().lower()
    if name not in ENCODERS:
        raise ConfigError(f"unknown encoder {name!r} in {text!r}; choose one of: {', '.join(ENCODERS)} "
                          f"(written NAME or NAME:PATH)")
    rest = rest.strip()
    if pooling is not None and pooling not in POOLINGS:
        raise ConfigError(f"unknown pooling {pooling!r}; choose mean or tfidf")
    if (pooling not in (None, "mean") or idf) and name not in ("word2vec", "ftvec"):
        raise ConfigError(f"--pooling and --idf apply to the word2vec and ftvec encoders, not {name}")
    spec = EncoderSpec(name=name, pooling=pooling, source=str(text), trust_pickle=trust_pickle)
    if name == "hashing":
        if not rest:
            return replace(spec, n_features=DEFAULT_HASHING_FEATURES)
        if re.fullmatch(r"\d+|2\*\*\d+", rest) and not Path(rest).exists():
            n = eval(rest, {"__builtins__": {}}) if "**" in rest else int(rest)  # digits only
            if not 1 <= n <= 2**31 - 1:
                raise ConfigError(f"hashing:{rest}: the feature count must be between 1 and 2**31-1")
            return replace(spec, n_features=n)
    if not rest:
        example = {"tfidf": "tfidf:model_dir", "fasttext": "fasttext:cc.en.300.bin",
                   "word2vec": "word2vec:vectors.kv", "ftvec": "ftvec:cc.en.300.bin",
                   "model": "model:RUN_ID"}[name]
        raise ConfigError(f"the {name} encoder needs a model: write {name}:PATH (e.g. {example}); "
                          f"PATH is a file, a folder from `textml train --out`, or an MLflow run")
    path = resolve_model(rest, tracking_uri, what=f"{name} model").path
    idf_path = None
    if pooling == "tfidf" and idf:
        idf_path = str(resolve_model(idf, tracking_uri, what="--idf model").path)
    return replace(spec, path=str(path), idf_path=idf_path, origin=rest, idf_origin=idf or "")


# --- loaded encoders ---------------------------------------------------------------------


class Encoder:
    """Turns a list of texts into a matrix: one row per text, ``dim`` columns."""

    spec: EncoderSpec | None = None
    sparse: bool = False
    dim: int = 0
    dtype = np.float32

    def transform(self, texts: Sequence[str]):
        raise NotImplementedError

    def empty(self):
        """The result for zero texts (a chunk whose rows were all skipped, an empty file)."""
        if self.sparse:
            import scipy.sparse as sp

            return sp.csr_matrix((0, self.dim), dtype=self.dtype)
        return np.empty((0, self.dim), dtype=self.dtype)

    @property
    def label(self) -> str:
        return self.spec.source if self.spec else type(self).__name__


class SklearnEncoder(Encoder):
    """A fitted scikit-learn transformer (or the feature steps of a pipeline)."""

    def __init__(self, transformer, what: str):
        self.transformer = transformer
        try:
            probe = transformer.transform(["probe text"])
        except Exception as exc:  # noqa: BLE001 - NotFittedError and friends: say what to do
            raise ConfigError(f"{what} cannot transform texts ({type(exc).__name__}: {exc}); "
                              f"pass a fitted model") from None
        import scipy.sparse as sp

        self.sparse = sp.issparse(probe)
        self.dim = int(probe.shape[1])
        self.dtype = np.dtype(probe.dtype)

    def transform(self, texts):
        import scipy.sparse as sp

        out = self.transformer.transform(list(texts))
        if self.sparse:
            out = sp.csr_matrix(out)
            out.sort_indices()
            return out
        return np.asarray(out)


class FastTextEncoder(Encoder):
    """fastText sentence vectors (``get_sentence_vector``), one text at a time."""

    def __init__(self, model, clean=None):
        self.model = model
        self.clean = clean  # how the texts were prepared for this model in training, if known
        self.dim = int(model.get_dimension())
        self.dtype = np.dtype(np.float32)

    def _line(self, text: str) -> str:
        if self.clean is not None:
            return self.clean(text)
        return text.replace("\n", " ")  # fastText reads one line at a time

    def transform(self, texts):
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        native = getattr(self.model, "f", None)
        try:
            from fasttext_pybind import Vector
        except ImportError:
            native = None
        if native is None or not hasattr(native, "getSentenceVector"):
            for i, text in enumerate(texts):
                out[i] = self.model.get_sentence_vector(self._line(text))
            return out
        # exactly what get_sentence_vector does, without a fresh Vector and array per text
        buffer = Vector(self.dim)
        view = np.asarray(buffer)
        get = native.getSentenceVector
        if self.clean is None:  # the loop of _line inlined: this loop is the cost of a cheap model
            for i, text in enumerate(texts):
                get(buffer, text.replace("\n", " ") + "\n")
                out[i] = view
            return out
        line = self._line
        for i, text in enumerate(texts):
            get(buffer, line(text) + "\n")
            out[i] = view
        return out


def pooled_vectors(vectors, pooling: str = "mean", idf: dict[str, float] | None = None,
                   unseen_idf: float | None = None):
    """A fitted textml embedding vectorizer over ready ``vectors``: the mean or IDF-weighted
    mean of a text's word vectors, exactly as ``textml.models.embeddings`` pools them."""
    from textml.models.embeddings import PretrainedVectorizer

    vectorizer = PretrainedVectorizer(pooling=pooling)
    vectorizer.wv_ = vectors
    vectorizer.idf_ = idf if pooling == "tfidf" else None
    vectorizer.unseen_idf_ = unseen_idf if pooling == "tfidf" else None
    vectorizer.format_ = "gensim"
    return vectorizer


# --- loaders -----------------------------------------------------------------------------


def _load_object(path: Path, what: str, spec: EncoderSpec):
    """A fitted pipeline: a textml model folder, or a joblib/pickle file (only if the spec trusts pickles)."""
    from textml.models.loading import load_model_path

    if path.is_dir() or is_pickle_file(path):
        return load_model_path(path, trust_pickle=spec.trust_pickle)[0]
    raise ConfigError(f"{what}: {path} is neither a model folder (from `textml train --out`) nor a "
                      f".joblib/.pkl file (loaded with {TRUST_PICKLE_FLAG})")


def _steps(model) -> list:
    return list(getattr(model, "steps", [("model", model)]))


def _prefix_through(model, test, what: str, path: Path):
    """The pipeline prefix ending with the first step that passes ``test`` (or the object itself)."""
    from sklearn.pipeline import Pipeline

    if test(model):
        return model
    steps = _steps(model)
    for i, (_, step) in enumerate(steps):
        if test(step):
            return step if i == 0 else Pipeline(steps[: i + 1])
    names = ", ".join(f"{n} ({type(s).__name__})" for n, s in steps)
    raise ConfigError(f"{path} has no {what} step (its steps: {names}); pick another encoder, "
                      f"e.g. model:{path} for its whole feature representation")


def _load_tfidf(spec: EncoderSpec) -> Encoder:
    from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer

    path = Path(spec.path)
    model = _load_object(path, "tfidf", spec)
    prefix = _prefix_through(model, lambda s: isinstance(s, (TfidfVectorizer, TfidfTransformer)),
                             "TF-IDF", path)
    return SklearnEncoder(prefix, f"the TF-IDF step of {path}")


def _load_hashing(spec: EncoderSpec) -> Encoder:
    from sklearn.feature_extraction.text import HashingVectorizer

    if spec.path is None:
        return SklearnEncoder(HashingVectorizer(n_features=spec.n_features or DEFAULT_HASHING_FEATURES),
                              "HashingVectorizer")
    path = Path(spec.path)
    model = _load_object(path, "hashing", spec)
    prefix = _prefix_through(model, lambda s: isinstance(s, HashingVectorizer), "HashingVectorizer", path)
    return SklearnEncoder(prefix, f"the hashing step of {path}")


def _fasttext_model(obj):
    """(native fastText model, text cleaner) inside a textml estimator or pipeline, or (None, None).

    A textml FastTextClassifier cleans texts before fastText sees them (whitespace runs to one
    space, label-like words defused); its sentence vectors are taken of the cleaned texts too.
    """
    for _, step in _steps(obj):
        native = getattr(step, "model_", None)
        if native is not None and hasattr(native, "get_sentence_vector"):
            clean = None
            if type(step).__module__ == "textml.models.fasttext":
                from textml.models.fasttext import clean_text as clean
            return native, clean
    if hasattr(obj, "get_sentence_vector"):
        return obj, None
    return None, None


def _load_fasttext(spec: EncoderSpec) -> Encoder:
    from textml.models.loading import load_fasttext_file

    path = Path(spec.path)
    if path.is_file() and not is_pickle_file(path):
        return FastTextEncoder(load_fasttext_file(path))
    native, clean = _fasttext_model(_load_object(path, "fasttext", spec))
    if native is None:
        raise ConfigError(f"{path} holds no fastText model; pass a fastText .bin file or a model "
                          f"trained with --model fasttext")
    return FastTextEncoder(native, clean)


def _vectors_from(obj):
    """gensim KeyedVectors from a gensim model or vectors object (or None)."""
    from gensim.models import KeyedVectors

    if isinstance(obj, KeyedVectors):
        return obj
    wv = getattr(obj, "wv", None)
    if isinstance(wv, KeyedVectors):
        return wv
    return None


def _load_vectors(path: Path, subwords: bool, trust_pickle: bool):
    """gensim vectors from a gensim save file, a word2vec file, or a fastText .bin."""
    from textml.models.loading import check_fasttext_file, load_gensim_file

    suffix = path.suffix.lower()
    if suffix == ".bin" and subwords:
        check_fasttext_file(path)
    try:
        if suffix == ".bin" and subwords:
            from gensim.models.fasttext import load_facebook_vectors

            return load_facebook_vectors(str(path))
        if suffix in (".bin", ".txt", ".vec") or path.name.endswith((".txt.gz", ".vec.gz", ".bin.gz")):
            from gensim.models import KeyedVectors

            return KeyedVectors.load_word2vec_format(str(path), binary=".bin" in path.name.lower())
        vectors = _vectors_from(load_gensim_file(path, trust_pickle=trust_pickle))
    except DataError:
        raise
    except NotImplementedError as exc:  # gensim: "Supervised fastText models are not supported"
        raise DataError(f"cannot read {path} as word vectors: {exc}; gensim reads unsupervised fastText "
                        f"models only - for a supervised model's sentence vectors use fasttext:PATH") from None
    except (OSError, ValueError, EOFError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read {path} as word vectors ({type(exc).__name__}: {exc})") from None
    except Exception as exc:  # noqa: BLE001 - unpickling errors come in many types
        raise DataError(f"cannot read {path} as gensim vectors ({type(exc).__name__}: {exc})") from None
    if vectors is None:
        raise ConfigError(f"{path} holds no gensim word vectors")
    return vectors


def _idf_weights(path: Path, spec: EncoderSpec) -> tuple[dict[str, float], float]:
    """Word -> IDF from the first fitted TF-IDF step found in a model file or folder."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    model = _load_object(path, "--idf", spec)
    for _, step in _steps(model):
        if isinstance(step, TfidfVectorizer) and hasattr(step, "idf_"):
            idf = step.idf_
            weights = {word: float(idf[j]) for word, j in step.vocabulary_.items()}
            return weights, float(idf.max())
    raise ConfigError(f"--idf {path} holds no fitted TfidfVectorizer; pass a model trained with a "
                      f"TF-IDF step (e.g. bow-logreg)")


def _embedding_step(model):
    """(pipeline prefix through its fitted embedding vectorizer, that vectorizer), or (None, None)."""
    from sklearn.pipeline import Pipeline

    steps = _steps(model)
    for i, (_, step) in enumerate(steps):
        if _vectors_from(getattr(step, "wv_", None)) is not None:
            return (step if i == 0 else Pipeline(steps[: i + 1])), step
    return None, None


def _without_subwords(vectors):
    """Plain KeyedVectors of a gensim FastText model's known words (word2vec leaves unknown words out)."""
    from gensim.models import KeyedVectors

    if getattr(vectors, "bucket", 0) <= 0 or not hasattr(vectors, "vectors_ngrams"):
        return vectors
    plain = KeyedVectors(vectors.vector_size, count=len(vectors.index_to_key), dtype=vectors.vectors.dtype)
    plain.add_vectors(vectors.index_to_key, vectors.vectors)
    return plain


def _load_gensim(spec: EncoderSpec) -> Encoder:
    """word2vec / ftvec: gensim vectors pooled as textml.models.embeddings pools them."""
    path = Path(spec.path)
    pooling = spec.pooling
    idf, unseen = None, None
    if path.is_dir() or is_pickle_file(path):
        model = _load_object(path, spec.name, spec)
        prefix, step = _embedding_step(model)
        if prefix is None:
            raise ConfigError(f"{path} holds no gensim word vectors; pass a vectors file or a model "
                              f"trained with an embedding pipeline (e.g. w2v-logreg)")
        if pooling in (None, getattr(step, "pooling", None)) and not spec.idf_path:
            return SklearnEncoder(prefix, f"the embedding step of {path}")  # the pipeline's own pooling
        vectors = _vectors_from(step.wv_)
        idf, unseen = getattr(step, "idf_", None), getattr(step, "unseen_idf_", None)
    else:
        vectors = _load_vectors(path, spec.name == "ftvec", spec.trust_pickle)
    pooling = pooling or "mean"
    if spec.name == "word2vec":
        vectors = _without_subwords(vectors)
    if pooling == "tfidf" and (spec.idf_path or idf is None):
        if not spec.idf_path:
            raise ConfigError("TF-IDF pooling needs IDF weights: pass --idf MODEL (a model folder, run or "
                              "joblib file with a fitted TF-IDF vectorizer)")
        idf, unseen = _idf_weights(Path(spec.idf_path), spec)
    return SklearnEncoder(pooled_vectors(vectors, pooling, idf, unseen), f"{spec.name} vectors from {path}")


def _load_model_features(spec: EncoderSpec) -> Encoder:
    path = Path(spec.path)
    model = _load_object(path, "model", spec)
    steps = _steps(model)
    if len(steps) > 1:
        return SklearnEncoder(model[:-1], f"the feature steps of {path}")
    native, clean = _fasttext_model(model)
    if native is not None:  # fastText learns its own features: its sentence vectors
        return FastTextEncoder(native, clean)
    if hasattr(steps[0][1], "transform"):
        return SklearnEncoder(steps[0][1], str(path))
    raise ConfigError(f"{path} is a bare classifier ({type(steps[0][1]).__name__}) with no feature steps "
                      f"to encode with")
