"""The built-in named pipelines, each declared once with its search space and cost note.

Every factory returns an unfitted scikit-learn ``Pipeline`` that takes raw texts and ends in
a step named ``"clf"`` with ``predict_proba`` (class probabilities, columns as ``classes_``:
what :func:`textml.evaluation.metrics.class_probabilities` reads). The linear SVMs, which
only have margins, are :class:`textml.models.calibration.CalibratedPipeline` (a Pipeline with
the same steps and parameter names, whose ``predict_proba`` is temperature-scaled margins).
Search-space keys are that pipeline's parameter names (``"tfidf__min_df"``, ``"clf__C"``, ...), for
``RandomizedSearchCV(make_model(name), spec.search_space)``.

Factory options: the bag-of-words models and ``fasttext`` take ``spacy_lang`` (e.g. "en": spaCy
tokens and lookup lemmas replace the built-in tokenisation) and ``stop_words`` (drop spaCy's
stop words; needs ``spacy_lang``); ``w2v-logreg`` and ``ftvec-logreg`` take ``pooling``
("mean" or "tfidf"). Anything else is tuned with ``set_params`` on the returned pipeline.

Defaults were chosen on three short-text corpora (SMS spam, Debian package descriptions,
Instacart product names; stratified 80/10/10, dev macro-F1), for being strong on all of
them and fast, not for winning on one. Cost notes: fit time and pickled size on the Debian
package corpus (48k short training texts, 58 classes) on a shared 2-core machine; the
time ranges span quiet to busy moments. Embedding models fit ~2x slower on a busy machine
unless BLAS is limited to one thread (OPENBLAS_NUM_THREADS=1 / threadpoolctl).

Heavy imports (scikit-learn estimators, scipy.stats, fastText, gensim, spaCy) happen inside
the factories and search-space functions, so importing this module is cheap.
"""

from __future__ import annotations

from textml.models.registry import register_model

# ----------------------------------------------------------------------------- helpers


def _pipeline(steps, spacy_lang=None, stop_words=False, calibrate_seed=None):
    """A Pipeline of ``steps``, preceded by spaCy normalisation when ``spacy_lang`` is set.

    With ``calibrate_seed`` (for classifiers with margins only: the linear SVMs) it is a
    :class:`~textml.models.calibration.CalibratedPipeline`: the same steps and parameters,
    plus ``predict_proba`` = softmax(margins / T), T fitted on held-out training rows.
    """
    from sklearn.pipeline import Pipeline

    if spacy_lang is not None:
        from textml.text.spacy import SpacyNormalizer

        steps = [("spacy", SpacyNormalizer(lang=spacy_lang, remove_stop_words=stop_words))] + steps
    elif stop_words:
        from textml.exceptions import ConfigError

        raise ConfigError("stop_words=True needs spacy_lang= (stop-word lists are per language)")
    if calibrate_seed is not None:
        from textml.models.calibration import CalibratedPipeline

        return CalibratedPipeline(steps, random_state=calibrate_seed)
    return Pipeline(steps)


def _word_tfidf(spacy_lang=None, **overrides):
    """TF-IDF on word 1-2 grams, sublinear TF (short texts: counts are mostly 1)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from textml.text.tokenize import WORD_PATTERN

    params = dict(ngram_range=(1, 2), sublinear_tf=True, min_df=1, token_pattern=WORD_PATTERN)
    if spacy_lang is not None:
        # spaCy already lowercased and split the text; keep its tokens (incl. punctuation).
        params.update(token_pattern=r"(?u)\S+", lowercase=False)
    params.update(overrides)
    return TfidfVectorizer(**params)


def _tfidf_space(prefix="tfidf"):
    return {
        f"{prefix}__ngram_range": [(1, 1), (1, 2), (1, 3)],
        f"{prefix}__min_df": [1, 2, 3],
        f"{prefix}__sublinear_tf": [True, False],
    }


# ------------------------------------------------------------------------------ dummies


@register_model(
    "dummy-prior",
    description="Baseline: always predicts the most frequent class (probabilities = class priors)",
    cost="instant; < 1 KB",
    baseline=True,
)
def dummy_prior(seed=0):
    from sklearn.dummy import DummyClassifier

    return _pipeline([("clf", DummyClassifier(strategy="prior"))])


@register_model(
    "dummy-stratified",
    description="Baseline: random labels drawn with the training class frequencies",
    cost="instant; < 1 KB",
    baseline=True,
)
def dummy_stratified(seed=0):
    from sklearn.dummy import DummyClassifier

    return _pipeline([("clf", DummyClassifier(strategy="stratified", random_state=seed))])


# --------------------------------------------------------------------- bag of words


def _logreg_space():
    from scipy.stats import loguniform

    return {
        **_tfidf_space(),
        "clf__estimator__C": loguniform(0.1, 100),
        "clf__estimator__class_weight": [None, "balanced"],
    }


@register_model(
    "bow-logreg",
    description="TF-IDF word 1-2 grams + one-vs-rest logistic regression (liblinear, C=4, balanced)",
    search_space=_logreg_space,
    cost="25-45 s fit, 62 MB",
)
def bow_logreg(seed=0, *, spacy_lang=None, stop_words=False):
    """One-vs-rest liblinear (dual): multinomial lbfgs took ~400 s on 50k texts x 58 classes,
    saga converged to a worse model in the same time.

    C=4 because short texts give unit-length TF-IDF rows with few non-zeros, so weak
    regularisation wins (C=10 scored the same within 0.4 points but fit ~30% slower);
    class_weight="balanced" lifted macro-F1 by 0.3-2 points on every corpus; tol=0.01
    fits ~1.5x faster than liblinear's 1e-4 with identical dev scores.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    clf = OneVsRestClassifier(
        LogisticRegression(
            solver="liblinear", dual=True, C=4.0, tol=1e-2, class_weight="balanced", random_state=seed
        )
    )
    return _pipeline([("tfidf", _word_tfidf(spacy_lang)), ("clf", clf)], spacy_lang, stop_words)


def _svm_space():
    from scipy.stats import loguniform

    return {
        **_tfidf_space(),
        "clf__C": loguniform(0.01, 10),
        "clf__class_weight": [None, "balanced"],
    }


@register_model(
    "bow-svm",
    description="TF-IDF word 1-2 grams (sublinear TF) + linear SVM (LinearSVC, C=1), temperature-calibrated",
    search_space=_svm_space,
    cost="10-17 s fit (calibration: +25%), 62 MB",
)
def bow_svm(seed=0, *, spacy_lang=None, stop_words=False):
    """The strong default for short texts.

    Probabilities are temperature-scaled margins (a
    :class:`~textml.models.calibration.CalibratedPipeline`; ``predict`` and
    ``decision_function`` are LinearSVC's own, so dev scores are unchanged). Measured on the
    Debian corpus (48k training texts, 58 classes; 2-core machine at load average ~4, so in
    CPU seconds): fit 6.5 s -> 8.1 s (x1.25); dev ECE 0.045, against 0.65 for a softmax of the
    raw margins and 0.044 for a temperature fitted on dev itself. Instacart (39k texts):
    x1.43, ECE 0.027; SMS spam (4k): +0.1 s, ECE 0.007. scikit-learn's
    ``CalibratedClassifierCV(method="temperature", cv=5, ensemble=False)`` reached ECE 0.044
    at x4.8 the fit time (cv=3: 0.045 at x2.9).
    """
    from sklearn.svm import LinearSVC

    clf = LinearSVC(C=1.0, random_state=seed)
    return _pipeline([("tfidf", _word_tfidf(spacy_lang)), ("clf", clf)], spacy_lang, stop_words, seed)


def _nb_space():
    from scipy.stats import loguniform

    return {**_tfidf_space(), "clf__alpha": loguniform(0.01, 3.0), "clf__norm": [False, True]}


@register_model(
    "bow-nb",
    description="TF-IDF word 1-2 grams + Complement Naive Bayes (alpha=0.3)",
    search_space=_nb_space,
    cost="2-3 s fit, 121 MB (per-class weights for every n-gram)",
)
def bow_nb(seed=0, *, spacy_lang=None, stop_words=False):
    """ComplementNB suits imbalanced text classes better than MultinomialNB."""
    from sklearn.naive_bayes import ComplementNB

    return _pipeline(
        [("tfidf", _word_tfidf(spacy_lang)), ("clf", ComplementNB(alpha=0.3))], spacy_lang, stop_words
    )


def _tree_space():
    return {
        "tfidf__ngram_range": [(1, 1), (1, 2)],
        "tfidf__max_features": [1000, 2000, 5000, 10000],
        "clf__max_depth": [None, 20, 50, 100],
        "clf__min_samples_leaf": [1, 2, 5],
        "clf__class_weight": [None, "balanced"],
    }


@register_model(
    "bow-tree",
    description="TF-IDF of the 5,000 most frequent word 1-2 grams + decision tree",
    search_space=_tree_space,
    cost="10-15 s fit, 13 MB",
)
def bow_tree(seed=0, *, spacy_lang=None, stop_words=False):
    """An interpretable baseline; trees are weak on sparse text, expect well below the SVM.
    The vocabulary is capped at 5,000 n-grams so the tree fits in seconds (the cap scored
    0-2.6 points above keeping the 2,000 best by chi2, at ~3x the fit time)."""
    from sklearn.tree import DecisionTreeClassifier

    steps = [
        ("tfidf", _word_tfidf(spacy_lang, max_features=5000)),
        ("clf", DecisionTreeClassifier(random_state=seed)),
    ]
    return _pipeline(steps, spacy_lang, stop_words)


def _char_svm_space():
    from scipy.stats import loguniform

    return {
        "features__char__ngram_range": [(2, 4), (2, 5), (3, 5), (3, 6)],
        "features__char__analyzer": ["char_wb", "char"],
        "features__word__ngram_range": [(1, 1), (1, 2)],
        "clf__C": loguniform(0.01, 10),
        "clf__class_weight": [None, "balanced"],
    }


@register_model(
    "bow-char-svm",
    description="TF-IDF character 3-5 grams (within words) + word 1-2 grams + linear SVM (C=0.5), temperature-calibrated",
    search_space=_char_svm_space,
    cost="30-48 s fit (calibration: +21%), 102 MB",
)
def bow_char_svm(seed=0, *, spacy_lang=None, stop_words=False):
    """Character n-grams catch inflections, compounds and typos that whole words miss;
    the word n-grams are kept alongside (the union beat characters alone by 1-4 points).
    3-5 grams and C=0.5 fit ~1.5x faster than 2-5 grams and C=1 within 0.3 points.

    Probabilities are temperature-scaled margins, as for ``bow-svm``. Debian corpus (CPU
    seconds, load ~4): fit 28.6 s -> 34.6 s (x1.21); dev ECE 0.042 (softmax of raw margins
    0.67, temperature fitted on dev 0.041). Instacart: x1.39, ECE 0.026. scikit-learn's
    ``CalibratedClassifierCV(method="temperature", cv=3, ensemble=False)``: ECE 0.042 at x2.7.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion
    from sklearn.svm import LinearSVC

    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2)
    features = FeatureUnion([("word", _word_tfidf(spacy_lang)), ("char", chars)])
    steps = [("features", features), ("clf", LinearSVC(C=0.5, random_state=seed))]
    return _pipeline(steps, spacy_lang, stop_words, seed)


# ------------------------------------------------------------------------------ fastText


def _fasttext_space():
    from scipy.stats import loguniform, randint

    return {
        "clf__lr": loguniform(0.05, 1.0),
        "clf__epoch": randint(5, 51),
        "clf__dim": [25, 50, 100],
        "clf__wordNgrams": [1, 2, 3],
        # maxn=0 turns subwords off (minn is then ignored); otherwise minn <= maxn always.
        "clf__minn": [2, 3],
        "clf__maxn": [0, 0, 5, 6],
    }


@register_model(
    "fasttext",
    description="fastText supervised on lowercased, punctuation-split text (lr 0.5, 50 epochs, dim 50, word bigrams)",
    search_space=_fasttext_space,
    cost="15-20 s fit (1 thread, reproducible), 24 MB",
    strategies=("search", "fasttext-autotune"),
)
def fasttext(seed=0, *, spacy_lang=None, stop_words=False):
    """The usual fastText recipe on normalised text: normalising gained 0.8-2.5 macro-F1
    points on every corpus; 50 epochs instead of 25 gained ~0.5 on package descriptions;
    character n-grams (``clf__minn``/``clf__maxn``) helped product names but cost ~3 points
    on package descriptions, so they are left to tuning. With ``spacy_lang``, spaCy's
    tokens/lemmas replace the built-in normalisation."""
    from textml.models.fasttext import FastTextClassifier

    clf = FastTextClassifier(normalize=spacy_lang is None, seed=seed)
    return _pipeline([("clf", clf)], spacy_lang, stop_words)


# ---------------------------------------------------------------------- embeddings


def _embedding_space():
    from scipy.stats import loguniform

    return {
        "vec__vector_size": [50, 100, 200],
        "vec__epochs": [10, 20, 40],
        "vec__min_count": [1, 2, 3],
        "vec__pooling": ["mean", "tfidf"],
        "clf__C": loguniform(0.01, 100),
        "clf__class_weight": [None, "balanced"],
    }


def _embedding_pipeline(vectorizer, seed):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    # Dense 100-d inputs: multinomial lbfgs is fast here (unlike on sparse TF-IDF), and
    # standardised features make it converge in tens of iterations.
    clf = LogisticRegression(C=1.0, tol=1e-3, max_iter=300, random_state=seed)
    return _pipeline([("vec", vectorizer), ("scale", StandardScaler()), ("clf", clf)])


@register_model(
    "w2v-logreg",
    description="Word2Vec (skip-gram, 100-d, 10 epochs) trained on the texts, mean-pooled + logistic regression",
    search_space=_embedding_space,
    cost="19-45 s fit, 5 MB",
)
def w2v_logreg(seed=0, *, pooling="mean"):
    """Trails bag-of-words on small corpora (vectors learned from few short texts)."""
    from textml.models.embeddings import Word2VecVectorizer

    return _embedding_pipeline(Word2VecVectorizer(pooling=pooling, seed=seed), seed)


def _ftvec_space():
    return {**_embedding_space(), "vec__min_n": [2, 3], "vec__max_n": [4, 5, 6]}


@register_model(
    "ftvec-logreg",
    description="gensim FastText subword vectors (skip-gram, 100-d) trained on the texts, mean-pooled + logistic regression",
    search_space=_ftvec_space,
    cost="31-75 s fit, 50 MB",
)
def ftvec_logreg(seed=0, *, pooling="mean"):
    """Like w2v-logreg, but unseen and misspelled words get vectors from character n-grams."""
    from textml.models.embeddings import FastTextVectorizer

    return _embedding_pipeline(FastTextVectorizer(pooling=pooling, seed=seed), seed)


# ------------------------------------------------------------------------ spaCy textcat


def _spacy_textcat_space():
    from scipy.stats import loguniform

    return {
        "clf__ngram_size": [1, 2, 3],
        "clf__learn_rate": loguniform(0.003, 0.03),
        "clf__epochs": [5, 10, 20],
        "clf__early_stopping": [True, False],
        "clf__lowercase": [True, False],
        "clf__length": [65536, 262144],
        "clf__use_averages": [False, True],
    }


@register_model(
    "spacy-textcat",
    description="spaCy's own textcat (TextCatBOW.v3: hashed word 1-2 grams) on a blank pipeline, "
                "early-stopped on held-out training texts",
    search_space=_spacy_textcat_space,
    cost="20-35 s fit, 15 MB",
)
def spacy_textcat(seed=0, *, spacy_lang=None, architecture="bow"):
    """spaCy's trainable text classifier beside the others: dev macro-F1 1.5 points below bow-svm
    on SMS and Instacart and 6.5 below on Debian (0.659 vs 0.724), at ~2.3x its fit time (below
    bow-logreg's), so it stays in the default compare. ``spacy_lang`` is the blank pipeline's
    language (default "xx"); ``architecture="ensemble"`` is spaCy's default TextCatEnsemble.v2,
    which scored lower and fit 5-13x slower on the three corpora."""
    from textml.models.textcat import SpacyTextClassifier

    clf = SpacyTextClassifier(lang=spacy_lang or "xx", architecture=architecture, seed=seed)
    return _pipeline([("clf", clf)])
