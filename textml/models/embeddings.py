"""Word-embedding vectorizers (gensim) as scikit-learn transformers: text -> one dense vector.

Three sources of word vectors, one pooling step:

- :class:`Word2VecVectorizer` trains gensim Word2Vec on the training texts;
- :class:`FastTextVectorizer` trains gensim FastText (subword-aware: unseen words get a
  vector from their character n-grams);
- :class:`PretrainedVectorizer` loads vectors from a file (word2vec text or binary, fastText
  ``.vec`` or ``.bin``).

A text becomes the mean (``pooling="mean"``) or the TF-IDF-weighted mean
(``pooling="tfidf"``, IDF learned at ``fit``) of its tokens' vectors. Tokens without a
vector are skipped; a text with no known token (or no token at all) becomes the zero
vector, never an error. gensim is imported only inside methods.
"""

from __future__ import annotations

import gzip
import math
import struct
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from textml.data.textfiles import GZIP_MAGIC
from textml.exceptions import ConfigError, DataError
from textml.text.tokenize import TOKEN_PATTERN, compile_pattern
from textml.text.validation import check_texts

POOLINGS = ("mean", "tfidf")
DTYPES = ("float32", "float64")
VECTOR_FORMATS = ("auto", "word2vec", "word2vec-binary", "fasttext")
_FASTTEXT_MAGIC = struct.pack("<i", 793712314)


class _PooledEmbeddings(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Shared tokenisation and pooling; subclasses provide ``_word_vectors(docs)``."""

    # ---------------------------------------------------------------- fitting
    def fit(self, X, y=None):
        """Learn (or load) word vectors and, for TF-IDF pooling, the IDF weights.

        Parameters
        ----------
        X : iterable of str
            Training texts.
        y : None
            Ignored.

        Returns
        -------
        self
        """
        texts = check_texts(X, who=type(self).__name__)
        if self.pooling not in POOLINGS:
            raise ConfigError(f"pooling must be one of {', '.join(POOLINGS)}; got {self.pooling!r}")
        if self.dtype not in DTYPES:
            raise ConfigError(f"dtype must be one of {', '.join(DTYPES)}; got {self.dtype!r}")
        self._check_params()
        docs = self._tokenize(texts)
        self.wv_ = self._word_vectors(docs)
        if self.pooling == "tfidf":
            df = Counter(token for doc in docs for token in set(doc))
            n = len(docs)
            self.idf_ = {token: math.log((1 + n) / (1 + count)) + 1 for token, count in df.items()}
            self.unseen_idf_ = math.log(1 + n) + 1
        else:
            self.idf_ = None
            self.unseen_idf_ = None
        return self

    def _check_params(self):
        """Validate subclass hyperparameters; raise ConfigError."""

    def _word_vectors(self, docs):  # pragma: no cover - abstract
        raise NotImplementedError

    def _tokenize(self, texts):
        pattern = compile_pattern(self.token_pattern)
        if self.lowercase:
            return [pattern.findall(text.lower()) for text in texts]
        return [pattern.findall(text) for text in texts]

    # -------------------------------------------------------------- transform
    def transform(self, X):
        """Pool each text's word vectors into one vector.

        Parameters
        ----------
        X : iterable of str
            Texts; empty texts and texts of unknown words give zero vectors.

        Returns
        -------
        vectors : ndarray of shape (n_samples, vector_size), of ``dtype`` (default float32)
        """
        from scipy import sparse

        check_is_fitted(self, "wv_")
        texts = check_texts(X, who=type(self).__name__, allow_empty=True)
        docs = self._tokenize(texts)
        kv = self.wv_
        dim = kv.vector_size
        key_to_index = kv.key_to_index
        n_vocab = len(kv.index_to_key)
        # gensim FastText vectors can build a vector for any word from its character n-grams.
        subwords = getattr(kv, "bucket", 0) > 0 and hasattr(kv, "vectors_ngrams")
        idf, unseen_idf = self.idf_, self.unseen_idf_

        rows, cols, weights = [], [], []
        oov_rows, oov_cols, oov_weights = [], [], []
        oov_index: dict[str, int] = {}
        oov_vectors: list[np.ndarray] = []
        for i, doc in enumerate(docs):
            for token in doc:
                weight = 1.0 if idf is None else idf.get(token, unseen_idf)
                j = key_to_index.get(token)
                if j is not None:
                    rows.append(i)
                    cols.append(j)
                    weights.append(weight)
                elif subwords:
                    k = oov_index.get(token)
                    if k is None:
                        vector = kv.get_vector(token)
                        k = len(oov_vectors) if vector.any() else -1
                        oov_index[token] = k
                        if k >= 0:
                            oov_vectors.append(vector)
                    if k >= 0:
                        oov_rows.append(i)
                        oov_cols.append(k)
                        oov_weights.append(weight)

        n = len(docs)
        # Weighted sums as sparse (texts x words) @ dense (words x dim): no copy of the vectors.
        W = sparse.csr_matrix((weights, (rows, cols)), shape=(n, n_vocab), dtype=np.float32)
        pooled = np.asarray(W @ kv.vectors, dtype=np.float32)
        totals = np.asarray(W.sum(axis=1), dtype=np.float64).ravel()
        if oov_vectors:
            W_oov = sparse.csr_matrix(
                (oov_weights, (oov_rows, oov_cols)), shape=(n, len(oov_vectors)), dtype=np.float32
            )
            pooled += W_oov @ np.vstack(oov_vectors).astype(np.float32)
            totals += np.asarray(W_oov.sum(axis=1), dtype=np.float64).ravel()
        out = np.zeros((n, dim), dtype=np.float32)
        has_vectors = totals > 0
        out[has_vectors] = pooled[has_vectors] / totals[has_vectors, None]
        return out.astype(self.dtype, copy=False)

    @property
    def _n_features_out(self):
        return self.wv_.vector_size

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.one_d_array = True
        tags.input_tags.string = True
        tags.transformer_tags.preserves_dtype = []
        tags.non_deterministic = getattr(self, "workers", 1) != 1
        return tags


def _check_training_params(est, names_low):
    for name, low in names_low.items():
        value = getattr(est, name)
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ConfigError(f"{name} must be an integer >= {low}, got {value!r}")
    if isinstance(est.sample, bool) or not isinstance(est.sample, (int, float)) or est.sample < 0:
        raise ConfigError(f"sample must be a number >= 0, got {est.sample!r}")
    if est.sg not in (0, 1):
        raise ConfigError(f"sg must be 0 (CBOW) or 1 (skip-gram), got {est.sg!r}")


def _check_vocabulary(docs, min_count, who):
    counts = Counter(token for doc in docs for token in doc)
    if not any(c >= min_count for c in counts.values()):
        raise DataError(
            f"{who}: no word occurs at least min_count={min_count} times in the training texts "
            f"({sum(counts.values())} tokens in all); give more or longer texts, or lower min_count"
        )


def _gensim_training_args(est) -> dict:
    """The training parameters Word2VecVectorizer and FastTextVectorizer share, for gensim."""
    names = ("vector_size", "window", "min_count", "epochs", "sg", "negative", "sample", "workers", "seed")
    return {name: getattr(est, name) for name in names}


class Word2VecVectorizer(_PooledEmbeddings):
    """Train gensim Word2Vec on the training texts; pool word vectors per text.

    Words seen at ``transform`` but not during training are skipped.

    Parameters
    ----------
    vector_size : int, default=100
        Dimensionality of the word vectors (and of the output).
    window : int, default=5
        Context window; short texts mostly fit within it.
    min_count : int, default=2
        Ignore words rarer than this in the training texts (one-off words get noisy vectors).
    epochs : int, default=10
        Training passes. gensim's default of 5 is for large corpora; a few tens of
        thousands of short texts need more (20 gained another 1.5-2 macro-F1 points
        downstream, at twice the fit time).
    sg : {0, 1}, default=1
        1 = skip-gram (better for small corpora and rare words), 0 = CBOW.
    negative : int, default=5
        Negative samples per positive one.
    sample : float, default=1e-3
        Threshold for randomly down-sampling frequent words (0 = off).
    pooling : {"mean", "tfidf"}, default="mean"
        How word vectors are combined into a text vector.
    lowercase : bool, default=True
        Lowercase before tokenising.
    token_pattern : str, default=TOKEN_PATTERN
        Regular expression for tokens (runs of word characters).
    workers : int, default=1
        Training threads. Only ``workers=1`` is reproducible for a given ``seed``.
    seed : int, default=0
        Seed for vector initialisation and sampling.
    dtype : {"float32", "float64"}, default="float32"
        Type of the output vectors: float32 halves their memory; a linear regressor after
        them predicts in the type it is given, hence float64 in the regression pipelines.

    Attributes
    ----------
    wv_ : gensim.models.KeyedVectors
        The trained word vectors.
    idf_ : dict or None
        IDF weight of each training token (``pooling="tfidf"`` only).
    unseen_idf_ : float or None
        IDF weight given to tokens not seen at ``fit``.
    """

    def __init__(
        self,
        *,
        vector_size=100,
        window=5,
        min_count=2,
        epochs=10,
        sg=1,
        negative=5,
        sample=1e-3,
        pooling="mean",
        lowercase=True,
        token_pattern=TOKEN_PATTERN,
        workers=1,
        seed=0,
        dtype="float32",
    ):
        self.vector_size = vector_size
        self.window = window
        self.min_count = min_count
        self.epochs = epochs
        self.sg = sg
        self.negative = negative
        self.sample = sample
        self.pooling = pooling
        self.lowercase = lowercase
        self.token_pattern = token_pattern
        self.workers = workers
        self.seed = seed
        self.dtype = dtype

    def _check_params(self):
        _check_training_params(
            self,
            {"vector_size": 1, "window": 1, "min_count": 1, "epochs": 1, "negative": 0, "workers": 1, "seed": 0},
        )

    def _word_vectors(self, docs):
        from gensim.models import Word2Vec

        _check_vocabulary(docs, self.min_count, type(self).__name__)
        model = Word2Vec(sentences=docs, **_gensim_training_args(self))
        return model.wv


class FastTextVectorizer(_PooledEmbeddings):
    """Train gensim FastText (subword) vectors on the training texts; pool them per text.

    Unlike Word2Vec, a word never seen in training still gets a vector, built from its
    character n-grams, so misspellings and inflections are not lost.

    Parameters
    ----------
    vector_size : int, default=100
        Dimensionality of the word vectors (and of the output).
    window : int, default=5
        Context window.
    min_count : int, default=2
        Ignore words rarer than this as whole words (their n-grams still count).
    epochs : int, default=10
        Training passes (gensim's default of 5 is for large corpora; 20 gained another
        2 macro-F1 points downstream, at twice the fit time).
    sg : {0, 1}, default=1
        1 = skip-gram, 0 = CBOW.
    negative : int, default=5
        Negative samples per positive one.
    sample : float, default=1e-3
        Threshold for randomly down-sampling frequent words (0 = off).
    min_n : int, default=3
        Shortest character n-gram.
    max_n : int, default=5
        Longest character n-gram.
    bucket : int, default=100_000
        Hash buckets for n-gram vectors. gensim's default of 2,000,000 costs
        ``2e6 * vector_size * 4`` bytes (800 MB at 100 dimensions) whatever the data size.
    pooling : {"mean", "tfidf"}, default="mean"
        How word vectors are combined into a text vector.
    lowercase : bool, default=True
        Lowercase before tokenising.
    token_pattern : str, default=TOKEN_PATTERN
        Regular expression for tokens.
    workers : int, default=1
        Training threads. Only ``workers=1`` is reproducible for a given ``seed``.
    seed : int, default=0
        Seed for vector initialisation and sampling.
    dtype : {"float32", "float64"}, default="float32"
        Type of the output vectors: float32 halves their memory; a linear regressor after
        them predicts in the type it is given, hence float64 in the regression pipelines.

    Attributes
    ----------
    wv_ : gensim.models.fasttext.FastTextKeyedVectors
        The trained word and n-gram vectors.
    idf_ : dict or None
        IDF weight of each training token (``pooling="tfidf"`` only).
    unseen_idf_ : float or None
        IDF weight given to tokens not seen at ``fit``.
    """

    def __init__(
        self,
        *,
        vector_size=100,
        window=5,
        min_count=2,
        epochs=10,
        sg=1,
        negative=5,
        sample=1e-3,
        min_n=3,
        max_n=5,
        bucket=100_000,
        pooling="mean",
        lowercase=True,
        token_pattern=TOKEN_PATTERN,
        workers=1,
        seed=0,
        dtype="float32",
    ):
        self.vector_size = vector_size
        self.window = window
        self.min_count = min_count
        self.epochs = epochs
        self.sg = sg
        self.negative = negative
        self.sample = sample
        self.min_n = min_n
        self.max_n = max_n
        self.bucket = bucket
        self.pooling = pooling
        self.lowercase = lowercase
        self.token_pattern = token_pattern
        self.workers = workers
        self.seed = seed
        self.dtype = dtype

    def _check_params(self):
        _check_training_params(
            self,
            {
                "vector_size": 1, "window": 1, "min_count": 1, "epochs": 1, "negative": 0,
                "min_n": 1, "max_n": 1, "bucket": 1, "workers": 1, "seed": 0,
            },
        )
        if self.min_n > self.max_n:
            raise ConfigError(f"min_n ({self.min_n}) must not exceed max_n ({self.max_n})")

    def _word_vectors(self, docs):
        from gensim.models import FastText

        _check_vocabulary(docs, self.min_count, type(self).__name__)
        model = FastText(
            sentences=docs, min_n=self.min_n, max_n=self.max_n, bucket=self.bucket, **_gensim_training_args(self)
        )
        return model.wv


class PretrainedVectorizer(_PooledEmbeddings):
    """Pool pretrained word vectors read from a file.

    Parameters
    ----------
    path : str or os.PathLike
        Vectors file: word2vec text format (fastText ``.vec`` files are this format),
        word2vec binary, or a fastText ``.bin`` model (whose subword n-grams then give
        vectors to unseen words). ``.gz`` word2vec files are read directly.
    format : {"auto", "word2vec", "word2vec-binary", "fasttext"}, default="auto"
        File format; ``"auto"`` tells them apart from the file's first bytes.
    limit : int or None, default=None
        Read only the first ``limit`` vectors of a word2vec file (files are usually sorted
        by frequency); ignored for fastText ``.bin``.
    pooling : {"mean", "tfidf"}, default="mean"
        How word vectors are combined into a text vector (IDF learned at ``fit``).
    lowercase : bool, default=True
        Lowercase before tokenising; set False for cased vectors.
    token_pattern : str, default=TOKEN_PATTERN
        Regular expression for tokens.
    dtype : {"float32", "float64"}, default="float32"
        Type of the output vectors (see :class:`Word2VecVectorizer`).

    Attributes
    ----------
    wv_ : gensim.models.KeyedVectors
        The loaded vectors (kept in the fitted estimator, so it pickles with them).
    format_ : str
        The format the file was read as.
    idf_ : dict or None
        IDF weight of each training token (``pooling="tfidf"`` only).
    unseen_idf_ : float or None
        IDF weight given to tokens not seen at ``fit``.
    """

    def __init__(
        self,
        path=None,
        *,
        format="auto",
        limit=None,
        pooling="mean",
        lowercase=True,
        token_pattern=TOKEN_PATTERN,
        dtype="float32",
    ):
        self.path = path
        self.format = format
        self.limit = limit
        self.pooling = pooling
        self.lowercase = lowercase
        self.token_pattern = token_pattern
        self.dtype = dtype

    def _check_params(self):
        if self.path is None:
            raise ConfigError("PretrainedVectorizer needs path= pointing to a vectors file")
        if self.format not in VECTOR_FORMATS:
            raise ConfigError(f"format must be one of {', '.join(VECTOR_FORMATS)}; got {self.format!r}")
        if self.limit is not None and (not isinstance(self.limit, (int, np.integer)) or self.limit < 1):
            raise ConfigError(f"limit must be None or a positive integer, got {self.limit!r}")

    def _word_vectors(self, docs):
        from textml.data.textfiles import check_exists

        path = Path(self.path)
        if not path.exists():
            raise DataError(f"vectors file not found: {path}; check the path")
        check_exists(path)  # a folder, a named pipe or a device: refused without opening it
        fmt = sniff_vector_format(path) if self.format == "auto" else self.format
        self.format_ = fmt
        return load_vectors(path, fmt, limit=self.limit)


def sniff_vector_format(path) -> str:
    """Tell a vectors file's format from its first bytes.

    Returns
    -------
    format : {"word2vec", "word2vec-binary", "fasttext"}
    """
    path = Path(path)
    with path.open("rb") as handle:
        head = handle.read(4)
    if head == _FASTTEXT_MAGIC:
        return "fasttext"
    opener = gzip.open if head[:2] == GZIP_MAGIC else open
    with opener(path, "rb") as handle:
        head = handle.read(1 << 16)
    header, _, rest = head.partition(b"\n")
    fields = header.split()
    if len(fields) != 2 or not all(f.isdigit() for f in fields):
        raise DataError(
            f"{path}: not a word2vec/fastText vectors file (expected a first line "
            f"'<count> <dim>' or a fastText .bin); pass format= explicitly if it is one"
        )
    dim = int(fields[1])
    first = rest.split(b"\n", 1)[0].split()
    try:
        values = [float(v) for v in first[1:]]
        text_line = len(values) == dim
    except ValueError:
        text_line = False
    return "word2vec" if text_line else "word2vec-binary"


def load_vectors(path, fmt: str, *, limit=None):
    """Read word vectors as gensim KeyedVectors (FastTextKeyedVectors for ``"fasttext"``).

    Parameters
    ----------
    path : str or os.PathLike
        Vectors file.
    fmt : {"word2vec", "word2vec-binary", "fasttext"}
        Its format.
    limit : int or None, default=None
        Maximum number of word2vec vectors to read.
    """
    from gensim.models import KeyedVectors
    from gensim.models.fasttext import load_facebook_vectors

    try:
        if fmt == "fasttext":
            return load_facebook_vectors(str(path))
        return KeyedVectors.load_word2vec_format(str(path), binary=fmt == "word2vec-binary", limit=limit)
    except (ValueError, EOFError, UnicodeDecodeError, NotImplementedError, struct.error) as exc:
        raise DataError(
            f"{path}: cannot read as {fmt} vectors ({type(exc).__name__}: {exc}); "
            "check the file or pass the right format="
        ) from None
