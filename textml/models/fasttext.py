"""fastText as scikit-learn estimators: supervised classification (single- and multi-label)
and unsupervised sentence vectors.

:class:`FastTextClassifier` is fastText's supervised classifier; :class:`FastTextSentenceVectorizer`
trains fastText's unsupervised word vectors on the training texts and turns each text into
fastText's own sentence vector, the features of the ``fasttext-ridge`` regression pipeline
(fastText's supervised mode has no regression loss). fastText itself is imported only
inside methods, so importing this module is cheap.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_consistent_length, check_is_fitted, column_or_1d

from textml.data.formats import FASTTEXT_PREFIX, decode_label, encode_label, fasttext_lines, fasttext_text
from textml.exceptions import ConfigError, DataError
from textml.models.loading import load_native
from textml.text.tokenize import UNSPACED_SCRIPTS
from textml.text.validation import check_texts

LABEL_PREFIX = FASTTEXT_PREFIX
# Multi-label rows without labels train on this one label: fastText skips a line with no
# label, and with loss="ova" such a row is a negative for every real label.
NO_LABEL = "__no_label__"
LOSSES = ("softmax", "ova", "hs", "ns")
# Labels go into the model as encode_label tokens (textml.data.formats, the encoding every
# fastText file in textml uses) and come out through decode_label.
__all__ = ["FastTextClassifier", "FastTextSentenceVectorizer", "clean_text", "decode_label", "encode_label"]
UNSUPERVISED_MODELS = ("cbow", "skipgram")

# normalize=True: runs of word characters, or runs of other non-space characters.
# Words (one per character in unspaced scripts, as in textml.text.tokenize) or punctuation runs.
_WORD_OR_PUNCT = re.compile(rf"[{UNSPACED_SCRIPTS}]|[^\W{UNSPACED_SCRIPTS}]+|[^\w\s]+")
_NORMALIZED_WORD = re.compile(r"\w+|[^\w\s]+|</s>")


def clean_text(text: str, normalize: bool = True) -> str:
    """One line of fastText input, exactly as :class:`FastTextClassifier` feeds it to fastText.

    Parameters
    ----------
    text : str
        Raw text.
    normalize : bool, default=True
        Lowercase and split punctuation from words ("Game, 2D!" -> "game , 2d !"), as
        ``FastTextClassifier(normalize=True)`` does. Otherwise only whitespace changes.

    Returns
    -------
    line : str
        No newlines or tabs (whitespace runs become one space); words starting with
        ``__label__`` are prefixed with ``_`` so fastText does not read them as labels.
    """
    if normalize:
        text = " ".join(_WORD_OR_PUNCT.findall(text.lower()))
    return fasttext_text(text)


class FastTextClassifier(ClassifierMixin, BaseEstimator):
    """fastText supervised text classifier (Joulin et al., 2017) with the scikit-learn API.

    fastText reads one example per line, splits words on whitespace only and is
    case-sensitive, so by default texts are lowercased and punctuation is split from words
    before fastText sees them (``normalize=True``, see :func:`clean_text`); newlines, tabs and
    other whitespace runs always become single spaces. Labels may be any strings (or numbers); inside the model they are
    ``__label__<label>`` tokens with whitespace and ``%`` percent-encoded (the encoding of
    every fastText file in textml, :func:`textml.data.formats.encode_label`), so a saved
    ``.bin`` is an ordinary fastText model whose labels decode back exactly.

    Defaults follow the recipe used for short-text classification with fastText (lr 0.5,
    50 dimensions, word bigrams, no subwords) on normalised text, with 50 epochs instead of
    25 (+0.5 macro-F1 on the hardest corpus, equal elsewhere) and a bounded hash table. Measured on three short-text corpora (SMS, package descriptions, product
    names), normalising gained 0.8-2.5 macro-F1 points everywhere, while subwords on top of it
    helped product names (+1.5) but cost package descriptions ~3 points; enable them with
    ``minn``/``maxn`` (e.g. 2 and 5), especially with ``normalize=False``.

    Parameters
    ----------
    normalize : bool, default=True
        Lowercase and split punctuation from words before training and prediction.
    lr : float, default=0.5
        Learning rate (the paper's recipe for short-text classification).
    epoch : int, default=50
        Passes over the training data.
    dim : int, default=50
        Size of word vectors.
    wordNgrams : int, default=2
        Maximum length of word n-grams (2 = unigrams and bigrams).
    minn : int, default=0
        Minimum length of character n-grams (subwords); ignored when ``maxn`` is 0.
    maxn : int, default=0
        Maximum length of character n-grams; 0 disables subwords. Subwords share evidence
        between "chocolate" and "chocolates" and give unseen words a representation.
    loss : {"softmax", "ova", "hs", "ns"}, default="softmax"
        Loss function. ``"ova"`` (one-vs-all) gives independent probabilities, which
        :meth:`predict_proba` renormalises to sum to 1 for single-label targets and keeps
        as they are for multi-label ones (use ``"ova"`` there).
    bucket : int, default=100_000
        Number of hash buckets shared by word n-grams and subwords. fastText's default of
        2,000,000 makes every model ``2e6 * dim * 4`` bytes (400 MB at ``dim=50``) however
        small the data; 100,000 buckets (20 MB at ``dim=50``) measured the same macro-F1
        as 200,000 and 1,000,000 on corpora of 5k-50k short texts.
    minCount : int, default=1
        Minimum number of occurrences of a word to be kept.
    thread : int, default=1
        Training threads. fastText's lock-free parallel SGD (Hogwild) makes results depend
        on thread scheduling, so only ``thread=1`` is reproducible for a given ``seed``.
        One thread is the default because runs must be repeatable (seeded comparisons,
        ``clone`` + refit in a search giving the same model); 50k short texts still train
        in ~15 s, and on a busy 2-core machine ``thread=2`` was measured no faster. Use ``thread=os.cpu_count()`` when speed matters more than
        bit-for-bit reproducibility.
    seed : int, default=0
        Seed of fastText's random generator.
    multilabel : bool, default=False
        Multi-label targets: ``y`` is label tuples or an ``(n, n_labels)`` 0/1 indicator
        matrix, every training line carries all its row's ``__label__`` tokens (a row
        without labels carries one reserved label, so with ``loss="ova"`` it still teaches
        every label a negative), :meth:`predict_proba` gives each label's own probability
        and :meth:`predict` the indicator matrix ``proba >= 0.5``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, sorted; the column order of :meth:`predict_proba`. Multi-label:
        the sorted labels of the tuples, or ``arange(n_labels)`` for an indicator matrix.
    multilabel_ : bool
        Whether it was fitted on multi-label targets.
    model_ : fasttext.FastText._FastText
        The trained native model.

    Examples
    --------
    >>> clf = FastTextClassifier(epoch=5).fit(["good film", "bad film"], ["pos", "neg"])
    >>> clf.predict(["good"]).shape
    (1,)
    """

    def __init__(
        self,
        *,
        normalize=True,
        lr=0.5,
        epoch=50,
        dim=50,
        wordNgrams=2,
        minn=0,
        maxn=0,
        loss="softmax",
        bucket=100_000,
        minCount=1,
        thread=1,
        seed=0,
        multilabel=False,
    ):
        self.normalize = normalize
        self.lr = lr
        self.epoch = epoch
        self.dim = dim
        self.wordNgrams = wordNgrams
        self.minn = minn
        self.maxn = maxn
        self.loss = loss
        self.bucket = bucket
        self.minCount = minCount
        self.thread = thread
        self.seed = seed
        self.multilabel = multilabel

    # ------------------------------------------------------------------ fitting
    def fit(self, X, y):
        """Train a fastText model on texts ``X`` with labels ``y``.

        Parameters
        ----------
        X : iterable of str
            Training texts.
        y : array-like of shape (n_samples,)
            Class labels; with ``multilabel=True``, label tuples or a 0/1 indicator matrix.

        Returns
        -------
        self : FastTextClassifier
        """
        import fasttext

        texts = check_texts(X, who=type(self).__name__)
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None"
            )
        if not isinstance(self.multilabel, (bool, np.bool_)):
            raise ConfigError(f"multilabel must be True or False, got {self.multilabel!r}")
        if self.multilabel:
            classes, row_labels = self._multilabel_rows(y, len(texts))
        else:
            y = column_or_1d(y, warn=True)
            check_consistent_length(texts, y)
            check_classification_targets(y)
            classes, y_index = np.unique(y, return_inverse=True)
            row_labels = classes[y_index].tolist()  # Python values: label_tokens compares with ()
        args = self._fasttext_args()
        normalize = bool(self.normalize)
        tokens = [encode_label(c) for c in classes]
        if len(set(tokens)) != len(tokens):
            raise DataError(
                "two different labels have the same text form (e.g. 1 and '1'); "
                "make the labels all strings or all numbers"
            )

        fd, train_path = tempfile.mkstemp(prefix="textml-fasttext-", suffix=".txt")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", errors="replace", newline="\n") as out:
                out.writelines(fasttext_lines(texts, row_labels, lambda text: clean_text(text, normalize)))
            model = fasttext.train_supervised(input=train_path, verbose=0, **args)
        finally:
            os.unlink(train_path)

        self.classes_ = classes
        self.multilabel_ = bool(self.multilabel)
        self.model_ = model
        return self

    def _multilabel_rows(self, y, n_texts):
        """(classes, each row's label tuple) of multi-label targets; a row without labels
        gets the reserved label NO_LABEL (dropped again at prediction)."""
        from textml.models.multilabel import multilabel_targets

        indicator, classes = multilabel_targets(y, who=type(self).__name__)
        if len(indicator) != n_texts:
            raise ValueError(f"Found input variables with inconsistent numbers of samples: [{n_texts}, "
                             f"{len(indicator)}]")
        if str(NO_LABEL) in {str(c) for c in classes}:
            raise DataError(f"{NO_LABEL!r} is reserved by FastTextClassifier for rows without labels; rename it")
        names = classes.tolist()
        rows = [tuple(names[j] for j in np.flatnonzero(row)) or (NO_LABEL,) for row in indicator]
        return classes, rows

    def _fasttext_args(self) -> dict:
        """Validated hyperparameters in fastText's own names."""

        def integer(name, low):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ConfigError(f"{name} must be an integer >= {low}, got {value!r}")
            return int(value)

        if isinstance(self.lr, bool) or not isinstance(self.lr, (int, float)) or not self.lr > 0:
            raise ConfigError(f"lr must be a positive number, got {self.lr!r}")
        if self.loss not in LOSSES:
            raise ConfigError(f"loss must be one of {', '.join(LOSSES)}; got {self.loss!r}")
        args = {
            "lr": float(self.lr),
            "epoch": integer("epoch", 1),
            "dim": integer("dim", 1),
            "wordNgrams": integer("wordNgrams", 1),
            "minn": integer("minn", 0),
            "maxn": integer("maxn", 0),
            "loss": self.loss,
            "bucket": integer("bucket", 0),
            "minCount": integer("minCount", 1),
            "thread": integer("thread", 1),
            "seed": integer("seed", 0),
        }
        if args["maxn"] > 0 and not 1 <= args["minn"] <= args["maxn"]:
            raise ConfigError(
                f"character n-grams need 1 <= minn <= maxn, got minn={args['minn']}, "
                f"maxn={args['maxn']}; set maxn=0 to turn subwords off"
            )
        if (args["wordNgrams"] > 1 or args["maxn"] > 0) and args["bucket"] < 1:
            raise ConfigError(
                "bucket must be >= 1 when wordNgrams > 1 or maxn > 0 (n-grams are hashed "
                "into buckets); e.g. bucket=100000"
            )
        return args

    # --------------------------------------------------------------- prediction
    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : iterable of str
            Texts; empty or blank texts are allowed.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow :attr:`classes_`; each row sums to 1.
        """
        check_is_fitted(self, "model_")
        texts = check_texts(X, who=type(self).__name__, allow_empty=True)
        n_classes = len(self.classes_)
        proba = np.zeros((len(texts), n_classes), dtype=np.float64)
        if not texts:
            return proba
        by_text = {str(c): j for j, c in enumerate(self.classes_)}
        column = {token: by_text.get(decode_label(token), -1) for token in self.model_.get_labels()}
        lines = [clean_text(t, bool(self.normalize)) for t in texts]
        labels, probs = self.model_.predict(lines, k=-1, threshold=0.0)
        for i, (row_labels, row_probs) in enumerate(zip(labels, probs)):
            columns = np.fromiter((column[label] for label in row_labels), dtype=np.intp, count=len(row_labels))
            keep = columns >= 0  # the reserved label of rows without labels is no class
            proba[i, columns[keep]] = np.asarray(row_probs)[keep]
        if self._is_multilabel():
            return proba  # each label's own probability (ova: a sigmoid per label)
        totals = proba.sum(axis=1, keepdims=True)
        empty = totals[:, 0] <= 0
        if empty.any():  # fastText returned nothing for the text: fall back to uniform
            proba[empty] = 1.0
            totals[empty] = n_classes
        return proba / totals

    def predict(self, X):
        """Most probable class of each text (multi-label: every label with probability >= 0.5).

        Parameters
        ----------
        X : iterable of str
            Texts; empty or blank texts are allowed.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,), or (n_samples, n_labels) 0/1 for multi-label
            Labels from :attr:`classes_`.
        """
        proba = self.predict_proba(X)  # checks fitted first
        if self._is_multilabel():
            return (proba >= 0.5).astype(int)
        return self.classes_[np.argmax(proba, axis=1)]

    def _is_multilabel(self) -> bool:
        # the fitted state, not the hyperparameter: set_params after fit must not change outputs
        return bool(getattr(self, "multilabel_", False))

    # -------------------------------------------------------------- persistence
    def save(self, path) -> Path:
        """Write the model as fastText's own ``.bin`` (readable by any fastText tool).

        The file is written to a temporary name in the same folder and then moved into
        place, so an existing file at ``path`` is replaced only by a complete model.

        Parameters
        ----------
        path : str or os.PathLike
            Destination, conventionally ending in ``.bin``.

        Returns
        -------
        path : pathlib.Path
        """
        from textml.files import atomic_path

        check_is_fitted(self, "model_")
        path = Path(path)
        with atomic_path(path, suffix=".bin") as tmp:
            self.model_.save_model(str(tmp))
        return path

    @classmethod
    def load(cls, path, *, normalize=None) -> FastTextClassifier:
        """Read a supervised fastText ``.bin`` model.

        Hyperparameters stored in the file (epoch, dim, wordNgrams, minn, maxn, loss,
        bucket, minCount) are recovered; ``lr``, ``thread`` and ``seed`` are not stored by
        fastText and keep their defaults. ``classes_`` come from the model's labels
        (decoded, sorted). Labels come back as strings even when the model
        was trained on numbers: the ``.bin`` format stores only their text.

        Parameters
        ----------
        path : str or os.PathLike
            A ``.bin`` written by :meth:`save` or by fastText itself.
        normalize : bool or None, default=None
            Whether to normalise texts before prediction. None infers it from the model's
            vocabulary: True when every word is in normalised form (lowercase, words and
            punctuation apart), as in models trained with ``normalize=True``; False for
            models trained on raw text (e.g. by the fastText command line).

        Returns
        -------
        clf : FastTextClassifier
        """
        path = Path(path)
        if not path.is_file():
            raise DataError(f"fastText model not found: {path}; check the path")
        model = load_native(path)
        args = model.f.getArgs()
        labels = model.get_labels()
        if not labels or not all(label.startswith(LABEL_PREFIX) for label in labels):
            raise DataError(
                f"{path} is not a supervised fastText classifier with {LABEL_PREFIX!r} labels; "
                "load word vectors with textml.models.embeddings.PretrainedVectorizer instead"
            )
        if normalize is None:
            normalize = all(
                _NORMALIZED_WORD.fullmatch(word) and word == word.lower() for word in model.get_words()
            )
        loss = str(args.loss).rsplit(".", 1)[-1]
        # The .bin stores the model's shape but not lr, thread or seed: those keep defaults.
        clf = cls(
            normalize=bool(normalize),
            epoch=args.epoch,
            dim=args.dim,
            wordNgrams=args.wordNgrams,
            minn=args.minn,
            maxn=args.maxn,
            loss=loss,
            bucket=args.bucket,
            minCount=args.minCount,
        )
        clf.classes_ = np.array(sorted(decode_label(label) for label in labels))
        clf.multilabel_ = False
        clf.model_ = model
        return clf

    def __getstate__(self):
        state = super().__getstate__()
        if "model_" in state:
            state = dict(state)
            state["model_"] = _native_bytes(state["model_"])
        return state

    def __setstate__(self, state):
        if isinstance(state.get("model_"), bytes):
            state = dict(state)
            state["model_"] = _native_from_bytes(state["model_"])
        super().__setstate__(state)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.one_d_array = True
        tags.input_tags.string = True
        tags.non_deterministic = self.thread != 1
        if self.multilabel is True:
            tags.classifier_tags.multi_label = True
        return tags


class FastTextSentenceVectorizer(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """fastText unsupervised vectors trained on the texts; each text becomes its sentence vector.

    ``fit`` trains ``fasttext.train_unsupervised`` on the training texts (normalised as
    :class:`FastTextClassifier` does); ``transform`` gives fastText's ``get_sentence_vector``
    of each text: the mean of its words' vectors, each divided by its norm (subword vectors
    for unseen words). An empty text, or one of unknown words without subwords, gives zeros.

    Parameters
    ----------
    normalize : bool, default=True
        Lowercase and split punctuation from words (see :func:`clean_text`).
    model : {"cbow", "skipgram"}, default="cbow"
        fastText's training objective.
    dim : int, default=100
        Size of the vectors (and of the output).
    epoch : int, default=10
        Passes over the texts (fastText's default of 5 is for large corpora).
    lr : float, default=0.05
        Learning rate (fastText's default).
    minCount : int, default=2
        Words rarer than this get no vector of their own.
    minn, maxn : int, default=3, 0
        Lengths of the character n-grams (subwords); ``maxn=0`` (the default) turns them off.

    Defaults measured as the features of a ridge regression (Debian package sizes: 15.6k
    descriptions -> log10 installed size, dev RMSE; CPU seconds on a shared 2-core machine):
    CBOW without subwords 0.741 in 27 s; skip-gram with subwords (fastText's defaults, as
    ``skipgram, minn=3, maxn=6``) 0.752 in 131 s; CBOW with subwords 0.754 in 62 s;
    skip-gram without them 0.745 in 103 s; 5 epochs 0.748 in 15 s; 50 dimensions 0.761.
    ws : int, default=5
        Context window.
    bucket : int, default=100_000
        Hash buckets of the subwords (fastText's 2,000,000 makes every model ~800 MB at
        ``dim=100``; 100,000 keeps it ~40 MB).
    thread : int, default=1
        Training threads; only ``thread=1`` is reproducible for a given ``seed``.
    seed : int, default=0
        Seed of fastText's random generator.
    dtype : {"float32", "float64"}, default="float64"
        Type of the output vectors (float64: what a regressor after them predicts in).

    Attributes
    ----------
    model_ : fasttext.FastText._FastText
        The trained native model.
    """

    def __init__(self, *, normalize=True, model="cbow", dim=100, epoch=10, lr=0.05, minCount=2,
                 minn=3, maxn=0, ws=5, bucket=100_000, thread=1, seed=0, dtype="float64"):
        self.normalize = normalize
        self.model = model
        self.dim = dim
        self.epoch = epoch
        self.lr = lr
        self.minCount = minCount
        self.minn = minn
        self.maxn = maxn
        self.ws = ws
        self.bucket = bucket
        self.thread = thread
        self.seed = seed
        self.dtype = dtype

    def _fasttext_args(self) -> dict:
        def integer(name, low):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ConfigError(f"{name} must be an integer >= {low}, got {value!r}")
            return int(value)

        if self.dtype not in ("float32", "float64"):
            raise ConfigError(f"dtype must be float32 or float64; got {self.dtype!r}")
        if self.model not in UNSUPERVISED_MODELS:
            raise ConfigError(f"model must be one of {', '.join(UNSUPERVISED_MODELS)}; got {self.model!r}")
        if isinstance(self.lr, bool) or not isinstance(self.lr, (int, float)) or not self.lr > 0:
            raise ConfigError(f"lr must be a positive number, got {self.lr!r}")
        args = {"model": self.model, "lr": float(self.lr), "dim": integer("dim", 1), "epoch": integer("epoch", 1),
                "minCount": integer("minCount", 1), "minn": integer("minn", 0), "maxn": integer("maxn", 0),
                "ws": integer("ws", 1), "bucket": integer("bucket", 0), "thread": integer("thread", 1),
                "seed": integer("seed", 0)}
        if args["maxn"] > 0 and not 1 <= args["minn"] <= args["maxn"]:
            raise ConfigError(f"character n-grams need 1 <= minn <= maxn, got minn={args['minn']}, "
                              f"maxn={args['maxn']}; set maxn=0 to turn subwords off")
        if args["maxn"] > 0 and args["bucket"] < 1:
            raise ConfigError("bucket must be >= 1 when maxn > 0 (subwords are hashed into buckets)")
        return args

    def fit(self, X, y=None):
        """Train the vectors on texts ``X`` (``y`` is ignored)."""
        texts = check_texts(X, who=type(self).__name__)
        args = self._fasttext_args()
        lines = [clean_text(text, bool(self.normalize)) for text in texts]
        counts: dict[str, int] = {}
        for line in lines:
            for word in line.split():
                counts[word] = counts.get(word, 0) + 1
        if not any(c >= args["minCount"] for c in counts.values()):
            raise DataError(f"{type(self).__name__}: no word occurs at least minCount={args['minCount']} times "
                            f"in the training texts; give more or longer texts, or lower minCount")
        fd, train_path = tempfile.mkstemp(prefix="textml-fasttext-", suffix=".txt")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", errors="replace", newline="\n") as out:
                out.writelines(line + "\n" for line in lines)
            self.model_ = _train_unsupervised(train_path, **args)
        finally:
            os.unlink(train_path)
        return self

    def transform(self, X):
        """Sentence vectors, shape (n_texts, dim), float32."""
        check_is_fitted(self, "model_")
        texts = check_texts(X, who=type(self).__name__, allow_empty=True)
        out = np.zeros((len(texts), self.model_.get_dimension()), dtype=self.dtype)
        for i, text in enumerate(texts):
            line = clean_text(text, bool(self.normalize))
            if line:
                out[i] = self.model_.get_sentence_vector(line)
        return out

    @property
    def _n_features_out(self):
        return self.model_.get_dimension()

    def __getstate__(self):
        state = super().__getstate__()
        if "model_" in state:
            state = dict(state)
            state["model_"] = _native_bytes(state["model_"])
        return state

    def __setstate__(self, state):
        if isinstance(state.get("model_"), bytes):
            state = dict(state)
            state["model_"] = _native_from_bytes(state["model_"])
        super().__setstate__(state)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.one_d_array = True
        tags.input_tags.string = True
        tags.transformer_tags.preserves_dtype = []
        tags.non_deterministic = self.thread != 1
        return tags


def _train_unsupervised(path: str, **args):
    """``fasttext.train_unsupervised`` with ``seed``: fastText's trainer seeds every mode from
    ``args.seed``, but the Python wrapper accepts ``seed`` only for supervised training, so
    the arguments are built here the way it builds them."""
    import fasttext_pybind
    from fasttext import FastText as wrapper

    values = {**wrapper.unsupervised_default, **args, "input": path, "verbose": 0}
    built = wrapper._build_args(values, set(args) | {"input", "verbose"})
    model = wrapper._FastText(args=built)
    fasttext_pybind.train(model.f, built)
    model.set_args(model.f.getArgs())
    return model


def _native_bytes(model) -> bytes:
    fd, tmp = tempfile.mkstemp(prefix="textml-fasttext-", suffix=".bin")
    os.close(fd)
    try:
        model.save_model(tmp)
        return Path(tmp).read_bytes()
    finally:
        os.unlink(tmp)


def _native_from_bytes(data: bytes):
    fd, tmp = tempfile.mkstemp(prefix="textml-fasttext-", suffix=".bin")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        return load_native(Path(tmp))
    finally:
        os.unlink(tmp)
