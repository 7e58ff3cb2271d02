"""The built-in named pipelines, each declared once with its search space and cost note.

Every factory returns an unfitted scikit-learn ``Pipeline`` that takes raw texts and ends in
a step named ``"clf"`` with ``predict_proba`` (class probabilities, columns as ``classes_``:
what :func:`textml.evaluation.metrics.class_probabilities` reads). The linear SVMs, which
only have margins, are :class:`textml.models.calibration.CalibratedPipeline` (a Pipeline with
the same steps and parameter names, whose ``predict_proba`` is temperature-scaled margins).
Search-space keys are that pipeline's parameter names (``"tfidf__min_df"``, ``"clf__C"``, ...), for
``RandomizedSearchCV(make_model(name, task=task), spec.search_space_for(task))``.

Tasks: the single-label entries also serve ``multilabel`` (factory keyword ``task``): they
are then a :class:`textml.models.multilabel.MultiLabelPipeline` (label tuples in, a 0/1
indicator matrix and per-label probabilities out, thresholds chosen on held-out training
rows), whose classifier is wrapped one-vs-rest where it is not multi-label itself (so the
SVMs' ``clf__C`` becomes ``clf__estimator__C``); fastText trains with ``loss="ova"``,
spaCy's ``textcat_multilabel``, the tree as one multi-output tree. The regression entries
(``tasks=("regression",)``) are plain Pipelines ending in a regressor step named ``"reg"``
whose ``predict`` gives float64 values. Measured scores and fit times for tags (debtags)
and numbers (Debian package sizes) are in the factories' docstrings and docs/models.md.

Factory options: the bag-of-words models and ``fasttext`` take ``spacy_lang`` (e.g. "en": spaCy
tokens and lookup lemmas replace the built-in tokenisation) and ``stop_words`` (drop spaCy's
stop words; needs ``spacy_lang``); ``w2v-logreg`` and ``ftvec-logreg`` take ``pooling``
("mean" or "tfidf"). Anything else is tuned with ``set_params`` on the returned pipeline.

Defaults were chosen on three short-text corpora (SMS spam, Debian package descriptions,
Instacart product names; stratified 80/10/10, dev macro-F1), for being strong on all of
them and fast, not for winning on one; ``bow-char-svm``'s (and the check of ``bow-svm``'s)
by the worst shortfall against plain scikit-learn pipelines over nine corpora
(``scripts/bench_defaults.py``, issue #17). Cost notes: fit time and pickled size on the Debian
package corpus (48k short training texts, 58 classes) on a shared 2-core machine; the
time ranges span quiet to busy moments. Embedding models fit ~2x slower on a busy machine
unless BLAS is limited to one thread (OPENBLAS_NUM_THREADS=1 / threadpoolctl); their tag
versions (131 one-vs-rest logistic regressions on dense vectors) 8-10x slower (debtags
w2v-logreg: 118 s instead of 15 s).

Heavy imports (scikit-learn estimators, scipy.stats, fastText, gensim, spaCy) happen inside
the factories and search-space functions, so importing this module is cheap.
"""

from __future__ import annotations

from textml.models.registry import SINGLE_LABEL_TASKS, register_model

BINARY, MULTILABEL, REGRESSION = "binary", "multilabel", "regression"  # textml.data.dataset's names
CLASSIFICATION = (*SINGLE_LABEL_TASKS, MULTILABEL)

# ----------------------------------------------------------------------------- helpers


def _pipeline(steps, spacy_lang=None, stop_words=False, calibrate_seed=None, multilabel_seed=None,
              refit_features=True):
    """A Pipeline of ``steps``, preceded by spaCy normalisation when ``spacy_lang`` is set.

    With ``calibrate_seed`` (for classifiers with margins only: the linear SVMs) it is a
    :class:`~textml.models.calibration.CalibratedPipeline`: the same steps and parameters,
    plus ``predict_proba`` = softmax(margins / T), T fitted on held-out training rows.
    With ``multilabel_seed`` it is a :class:`~textml.models.multilabel.MultiLabelPipeline`
    (label tuples in, indicator matrix out; thresholds from held-out training rows).
    """
    from sklearn.pipeline import Pipeline

    if spacy_lang is not None:
        from textml.text.spacy import SpacyNormalizer

        steps = [("spacy", SpacyNormalizer(lang=spacy_lang, remove_stop_words=stop_words))] + steps
    elif stop_words:
        from textml.exceptions import ConfigError

        raise ConfigError("stop_words=True needs spacy_lang= (stop-word lists are per language)")
    if multilabel_seed is not None:
        from textml.models.multilabel import MultiLabelPipeline

        return MultiLabelPipeline(steps, random_state=multilabel_seed, refit_features=refit_features)
    if calibrate_seed is not None:
        from textml.models.calibration import CalibratedPipeline

        return CalibratedPipeline(steps, random_state=calibrate_seed)
    return Pipeline(steps)


def _tags(task, seed):
    """The ``multilabel_seed`` of :func:`_pipeline`: ``seed`` for tags, else None."""
    return seed if task == MULTILABEL else None


def _one_vs_rest(clf, task):
    """``clf`` as it serves ``task``: wrapped one-vs-rest for tags (each label a yes/no problem)."""
    if task != MULTILABEL:
        return clf
    from sklearn.multiclass import OneVsRestClassifier

    return OneVsRestClassifier(clf)


def _space_for(space, task, wrapped=True):
    """A single-label search space for ``task``: for tags, the classifier's parameters move under
    ``clf__estimator__`` when the factory wrapped it one-vs-rest, and both thresholding rules
    are tried."""
    if task != MULTILABEL:
        return space
    out = {(f"clf__estimator__{k[5:]}" if wrapped and k.startswith("clf__") else k): v for k, v in space.items()}
    out["threshold"] = ["global", "per-label"]
    return out


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


@register_model(
    "dummy-label-prior",
    description="Tags baseline: each label's training frequency as its probability; predicts the labels "
                "of over half the rows (at least the most frequent one)",
    cost="instant; < 1 KB",
    baseline=True,
    tasks=(MULTILABEL,),
)
def dummy_label_prior(seed=0):
    from textml.models.multilabel import LabelFrequencyClassifier

    return _pipeline([("clf", LabelFrequencyClassifier())])


@register_model(
    "dummy-top-k",
    description="Tags baseline: always the k most frequent labels, k = the median number of labels per row",
    cost="instant; < 1 KB",
    baseline=True,
    tasks=(MULTILABEL,),
)
def dummy_top_k(seed=0):
    from textml.models.multilabel import LabelFrequencyClassifier

    return _pipeline([("clf", LabelFrequencyClassifier(k="median"))])


@register_model(
    "dummy-mean",
    description="Regression baseline: always predicts the mean training target",
    cost="instant; < 1 KB",
    baseline=True,
    tasks=(REGRESSION,),
)
def dummy_mean(seed=0):
    from sklearn.dummy import DummyRegressor

    return _pipeline([("reg", DummyRegressor(strategy="mean"))])


@register_model(
    "dummy-median",
    description="Regression baseline: always predicts the median training target",
    cost="instant; < 1 KB",
    baseline=True,
    tasks=(REGRESSION,),
)
def dummy_median(seed=0):
    from sklearn.dummy import DummyRegressor

    return _pipeline([("reg", DummyRegressor(strategy="median"))])


# --------------------------------------------------------------------- bag of words


def _logreg_space(task=BINARY):
    from scipy.stats import loguniform

    space = {
        **_tfidf_space(),
        "clf__estimator__C": loguniform(0.1, 100),
        "clf__estimator__class_weight": [None, "balanced"],
    }
    return _space_for(space, task, wrapped=False)  # one-vs-rest already, for every task


@register_model(
    "bow-logreg",
    description="TF-IDF word 1-2 grams + one-vs-rest logistic regression (liblinear; C=4, balanced; tags: C=10)",
    search_space=_logreg_space,
    cost="25-45 s fit, 62 MB; tags (debtags, 23k texts x 131 labels): 21-37 s",
    tasks=CLASSIFICATION,
)
def bow_logreg(seed=0, *, task=BINARY, spacy_lang=None, stop_words=False):
    """One-vs-rest liblinear (dual): multinomial lbfgs took ~400 s on 50k texts x 58 classes,
    saga converged to a worse model in the same time.

    C=4 because short texts give unit-length TF-IDF rows with few non-zeros, so weak
    regularisation wins (C=10 scored the same within 0.4 points but fit ~30% slower);
    class_weight="balanced" lifted macro-F1 by 0.3-2 points on every corpus; tol=0.01
    fits ~1.5x faster than liblinear's 1e-4 with identical dev scores.

    Tags: C=10 and no class weights (debtags, dev micro/macro-F1: 0.657/0.468, against
    0.642/0.508 for the single-label settings, which give every rare label's few positives
    so much weight that they are over-predicted, and 0.649/0.431 at C=4; fit 1.7x faster).
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    tags = task == MULTILABEL
    clf = OneVsRestClassifier(
        LogisticRegression(solver="liblinear", dual=True, C=10.0 if tags else 4.0, tol=1e-2,
                           class_weight=None if tags else "balanced", random_state=seed)
    )
    return _pipeline([("tfidf", _word_tfidf(spacy_lang)), ("clf", clf)], spacy_lang, stop_words,
                     multilabel_seed=_tags(task, seed))


def _svm_space(task=BINARY):
    from scipy.stats import loguniform

    space = {
        **_tfidf_space(),
        "clf__C": loguniform(0.01, 10),
        "clf__class_weight": [None, "balanced"],
    }
    return _space_for(space, task)


@register_model(
    "bow-svm",
    description="TF-IDF word 1-2 grams (sublinear TF) + linear SVM (LinearSVC, C=1), temperature-calibrated",
    search_space=_svm_space,
    cost="10-17 s fit (calibration: +25%), 62 MB; tags (debtags, 23k texts x 131 labels): 10-14 s",
    tasks=CLASSIFICATION,
)
def bow_svm(seed=0, *, task=BINARY, spacy_lang=None, stop_words=False):
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

    Kept after the worst-case study of issue #17 (``scripts/bench_defaults.py``, nine corpora;
    BENCHMARKS.md): C=0.5 or balanced class weights leave the worst case where it is, 28.5
    points below char_wb 2-5 grams on German-like compounds (whole words cannot see inside
    them: ``bow-char-svm``'s job). Balanced weights lowered the mean shortfall (7.2 -> 6.7:
    +4.3 on 150 small classes, +1.4 Instacart, -0.6 SMS), not enough to change the default.
    """
    from sklearn.svm import LinearSVC

    clf = _one_vs_rest(LinearSVC(C=1.0, random_state=seed), task)
    return _pipeline([("tfidf", _word_tfidf(spacy_lang)), ("clf", clf)], spacy_lang, stop_words,
                     seed, _tags(task, seed))


def _nb_space(task=BINARY):
    from scipy.stats import loguniform

    return _space_for({**_tfidf_space(), "clf__alpha": loguniform(0.01, 3.0), "clf__norm": [False, True]}, task)


@register_model(
    "bow-nb",
    description="TF-IDF word 1-2 grams + Complement Naive Bayes (alpha=0.3)",
    search_space=_nb_space,
    cost="2-3 s fit, 121 MB (per-class weights for every n-gram); tags (debtags, 23k texts x 131 labels): 4-5 s",
    tasks=CLASSIFICATION,
)
def bow_nb(seed=0, *, task=BINARY, spacy_lang=None, stop_words=False):
    """ComplementNB suits imbalanced text classes better than MultinomialNB."""
    from sklearn.naive_bayes import ComplementNB

    clf = _one_vs_rest(ComplementNB(alpha=0.3), task)
    return _pipeline([("tfidf", _word_tfidf(spacy_lang)), ("clf", clf)], spacy_lang, stop_words,
                     multilabel_seed=_tags(task, seed))


def _tree_space(task=BINARY):
    space = {
        "tfidf__ngram_range": [(1, 1), (1, 2)],
        "tfidf__max_features": [1000, 2000, 5000, 10000],
        "clf__max_depth": [None, 20, 50, 100],
        "clf__min_samples_leaf": [1, 2, 5],
        "clf__class_weight": [None, "balanced"],
    }
    return _space_for(space, task, wrapped=False)  # one multi-output tree for tags


@register_model(
    "bow-tree",
    description="TF-IDF of the 5,000 most frequent word 1-2 grams + decision tree",
    search_space=_tree_space,
    cost="10-15 s fit, 13 MB; tags (debtags, 23k texts x 131 labels): 31-41 s",
    tasks=CLASSIFICATION,
)
def bow_tree(seed=0, *, task=BINARY, spacy_lang=None, stop_words=False):
    """An interpretable baseline; trees are weak on sparse text, expect well below the SVM.
    The vocabulary is capped at 5,000 n-grams so the tree fits in seconds (the cap scored
    0-2.6 points above keeping the 2,000 best by chi2, at ~3x the fit time).

    Tags: one multi-output tree (every label at once), threshold 0.5: a fully grown tree's
    probabilities are its leaves' label shares, mostly 0 or 1, so a threshold chosen on
    held-out rows scored the same (debtags 0.535/0.332) for twice the fit time."""
    from sklearn.tree import DecisionTreeClassifier

    steps = [
        ("tfidf", _word_tfidf(spacy_lang, max_features=5000)),
        ("clf", DecisionTreeClassifier(random_state=seed)),
    ]
    model = _pipeline(steps, spacy_lang, stop_words, multilabel_seed=_tags(task, seed))
    return model.set_params(threshold=0.5) if task == MULTILABEL else model


def _char_svm_space(task=BINARY):
    from scipy.stats import loguniform

    return _space_for({
        "features__char__ngram_range": [(2, 4), (2, 5), (3, 5), (3, 6)],
        "features__char__analyzer": ["char_wb", "char"],
        "features__word__ngram_range": [(1, 1), (1, 2)],
        "clf__C": loguniform(0.01, 10),
        "clf__class_weight": [None, "balanced"],
    }, task)


@register_model(
    "bow-char-svm",
    description="TF-IDF character 2-5 grams (within words) + word 1-2 grams + linear SVM (C=0.5), "
                "temperature-calibrated (tags: 3-5 grams)",
    search_space=_char_svm_space,
    cost="35-60 s fit (calibration: ~+21%), 103 MB; tags (debtags, 23k texts x 131 labels): 40-64 s",
    tasks=CLASSIFICATION,
)
def bow_char_svm(seed=0, *, task=BINARY, spacy_lang=None, stop_words=False):
    """Character n-grams catch inflections, compounds and typos that whole words miss;
    the word n-grams are kept alongside (the union beat characters alone by 1-4 points).

    Defaults checked over nine corpora (issue #17, ``scripts/bench_defaults.py``, BENCHMARKS.md
    "Defaults across corpora"), by the largest dev-score shortfall against the best plain
    scikit-learn pipeline of each (TF-IDF + LinearSVC, char_wb 2-5 grams + LinearSVC, TF-IDF +
    ComplementNB). char_wb 2-5 grams (were 3-5) put it at or above every plain reference on the
    shared and bundled corpora (SMS 0.970 = char_wb 2-5 + LinearSVC, where 3-5 grams were 0.8
    below; Debian 0.736 vs 0.721; Instacart 0.786 vs 0.770) for x1.27 fit time. Balanced class
    weights had the best worst case over all nine (0.95 points) but cost the real, long-tailed
    Debian corpus 2.2 points (0.712) to gain 4.5 on one generated corpus of 150 classes of 8-70
    rows, where this default is 4.6 below plain TF-IDF + LinearSVC (0.794 vs 0.840):
    ``clf__class_weight`` is in the search space for such corpora. C=1 gained 2 points there
    and lost 1.3 on German-like compounds; 1-4 grams, analyzer ``char``, min_df=1 and a
    down-weighted word block did not improve the worst case.

    Tags keep the earlier settings (3-5 grams, not re-measured; debtags in docs/models.md).

    Probabilities are temperature-scaled margins, as for ``bow-svm``. Debian corpus (CPU
    seconds, load ~4, 3-5 grams): fit 28.6 s -> 34.6 s (x1.21); dev ECE 0.042 (softmax of raw
    margins 0.67, temperature fitted on dev 0.041). Instacart: x1.39, ECE 0.026. scikit-learn's
    ``CalibratedClassifierCV(method="temperature", cv=3, ensemble=False)``: ECE 0.042 at x2.7.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion
    from sklearn.svm import LinearSVC

    tags = task == MULTILABEL
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5) if tags else (2, 5), sublinear_tf=True, min_df=2)
    features = FeatureUnion([("word", _word_tfidf(spacy_lang)), ("char", chars)])
    steps = [("features", features), ("clf", _one_vs_rest(LinearSVC(C=0.5, random_state=seed), task))]
    return _pipeline(steps, spacy_lang, stop_words, seed, _tags(task, seed))


# ------------------------------------------------------------------------------ fastText


def _fasttext_space(task=BINARY):
    from scipy.stats import loguniform, randint

    return _space_for({
        "clf__lr": loguniform(0.05, 1.0),
        "clf__epoch": randint(5, 51),
        "clf__dim": [25, 50, 100],
        "clf__wordNgrams": [1, 2, 3],
        # maxn=0 turns subwords off (minn is then ignored); otherwise minn <= maxn always.
        "clf__minn": [2, 3],
        "clf__maxn": [0, 0, 5, 6],
    }, task, wrapped=False)


@register_model(
    "fasttext",
    description="fastText supervised on lowercased, punctuation-split text (lr 0.5, 50 epochs, dim 50, word bigrams)",
    search_space=_fasttext_space,
    cost="15-20 s fit (1 thread, reproducible), 24 MB; tags (debtags, 23k texts x 131 labels): 16-21 s",
    strategies=("search", "fasttext-autotune"),
    tasks=CLASSIFICATION,
)
def fasttext(seed=0, *, task=BINARY, spacy_lang=None, stop_words=False):
    """The usual fastText recipe on normalised text: normalising gained 0.8-2.5 macro-F1
    points on every corpus; 50 epochs instead of 25 gained ~0.5 on package descriptions;
    character n-grams (``clf__minn``/``clf__maxn``) helped product names but cost ~3 points
    on package descriptions, so they are left to tuning. With ``spacy_lang``, spaCy's
    tokens/lemmas replace the built-in normalisation."""
    from textml.models.fasttext import FastTextClassifier

    if task == MULTILABEL:  # one sigmoid per label, every label of a row on its training line
        clf = FastTextClassifier(normalize=spacy_lang is None, loss="ova", multilabel=True, seed=seed)
    else:
        clf = FastTextClassifier(normalize=spacy_lang is None, seed=seed)
    return _pipeline([("clf", clf)], spacy_lang, stop_words, multilabel_seed=_tags(task, seed))


# ---------------------------------------------------------------------- embeddings


def _embedding_space(task=BINARY):
    from scipy.stats import loguniform

    return _space_for({
        "vec__vector_size": [50, 100, 200],
        "vec__epochs": [10, 20, 40],
        "vec__min_count": [1, 2, 3],
        "vec__pooling": ["mean", "tfidf"],
        "clf__C": loguniform(0.01, 100),
        "clf__class_weight": [None, "balanced"],
    }, task)


def _embedding_pipeline(vectorizer, seed, task=BINARY):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    # Dense 100-d inputs: multinomial lbfgs is fast here (unlike on sparse TF-IDF), and
    # standardised features make it converge in tens of iterations.
    clf = _one_vs_rest(LogisticRegression(C=1.0, tol=1e-3, max_iter=300, random_state=seed), task)
    # Tags: the held-out pipeline refits only the classifier, on vectors trained on every
    # training text (training them again was the most of its cost, and they see no labels).
    return _pipeline([("vec", vectorizer), ("scale", StandardScaler()), ("clf", clf)],
                     multilabel_seed=_tags(task, seed), refit_features=False)


@register_model(
    "w2v-logreg",
    description="Word2Vec (skip-gram, 100-d, 10 epochs) trained on the texts, mean-pooled + logistic regression",
    search_space=_embedding_space,
    cost="19-45 s fit, 5 MB; tags (debtags, 23k texts x 131 labels): 15 s with BLAS on one thread, 118 s without",
    tasks=CLASSIFICATION,
)
def w2v_logreg(seed=0, *, task=BINARY, pooling="mean"):
    """Trails bag-of-words on small corpora (vectors learned from few short texts)."""
    from textml.models.embeddings import Word2VecVectorizer

    return _embedding_pipeline(Word2VecVectorizer(pooling=pooling, seed=seed), seed, task)


def _ftvec_space(task=BINARY):
    return {**_embedding_space(task), "vec__min_n": [2, 3], "vec__max_n": [4, 5, 6]}


@register_model(
    "ftvec-logreg",
    description="gensim FastText subword vectors (skip-gram, 100-d) trained on the texts, mean-pooled + logistic regression",
    search_space=_ftvec_space,
    cost="31-75 s fit, 50 MB; tags (debtags, 23k texts x 131 labels): 21 s with BLAS on one thread, 165 s without",
    tasks=CLASSIFICATION,
)
def ftvec_logreg(seed=0, *, task=BINARY, pooling="mean"):
    """Like w2v-logreg, but unseen and misspelled words get vectors from character n-grams."""
    from textml.models.embeddings import FastTextVectorizer

    return _embedding_pipeline(FastTextVectorizer(pooling=pooling, seed=seed), seed, task)


# ------------------------------------------------------------------------ spaCy textcat


def _spacy_textcat_space(task=BINARY):
    from scipy.stats import loguniform

    return _space_for({
        "clf__ngram_size": [1, 2, 3],
        "clf__learn_rate": loguniform(0.003, 0.03),
        "clf__epochs": [5, 10, 20],
        "clf__early_stopping": [True, False],
        "clf__lowercase": [True, False],
        "clf__length": [65536, 262144],
        "clf__use_averages": [False, True],
    }, task, wrapped=False)


@register_model(
    "spacy-textcat",
    description="spaCy's own textcat (TextCatBOW.v3: hashed word 1-2 grams) on a blank pipeline, "
                "early-stopped on held-out training texts",
    search_space=_spacy_textcat_space,
    cost="20-35 s fit, 15 MB; tags (debtags, 23k texts x 131 labels): 36-54 s",
    tasks=CLASSIFICATION,
)
def spacy_textcat(seed=0, *, task=BINARY, spacy_lang=None, architecture="bow"):
    """spaCy's trainable text classifier beside the others: dev macro-F1 1.5 points below bow-svm
    on SMS and Instacart and 6.5 below on Debian (0.659 vs 0.724), at ~2.3x its fit time (below
    bow-logreg's), so it stays in the default compare. ``spacy_lang`` is the blank pipeline's
    language (default "xx"); ``architecture="ensemble"`` is spaCy's default TextCatEnsemble.v2,
    which scored lower and fit 5-13x slower on the three corpora.

    Tags (``textcat_multilabel``): a 16,384-row hashed table instead of 65,536, because every
    update rewrites ``length x n_labels`` weights: on debtags (131 labels) dev micro-F1 0.612
    in 36 CPU s, against 0.620 in 73 s (32,768: 0.614 in 49 s)."""
    from textml.models.textcat import SpacyTextClassifier

    tags = task == MULTILABEL
    clf = SpacyTextClassifier(lang=spacy_lang or "xx", architecture=architecture, seed=seed,
                              multilabel=tags, **({"length": 16384} if tags else {}))
    return _pipeline([("clf", clf)], multilabel_seed=_tags(task, seed))


# -------------------------------------------------------------------------- regression
# Numeric targets: the regressor step is named "reg". Defaults measured on the Debian
# package sizes corpus (20k package descriptions -> log10 installed size; repeated texts
# dropped, random 80/10/10 split with seed 0; 15.6k training texts; dev RMSE, the mean
# predicting 0.876; CPU seconds on the shared 2-core machine, BLAS limited to one thread).


def _ridge_space():
    from scipy.stats import loguniform

    return {**_tfidf_space(), "reg__alpha": loguniform(0.1, 10)}


@register_model(
    "bow-ridge",
    description="TF-IDF word 1-3 grams seen in 2+ texts (sublinear TF) + ridge regression (alpha=1)",
    search_space=_ridge_space,
    cost="3-7 s fit, 8 MB (Debian sizes, 15.6k texts)",
    tasks=(REGRESSION,),
)
def bow_ridge(seed=0, *, spacy_lang=None, stop_words=False):
    """Dev RMSE 0.627, against 0.630 for word 1-2 grams (all of them: scikit-learn's
    ``TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)`` + ``Ridge()``), with 211k
    n-grams instead of 369k; alpha 1 beat 0.5 and 2 for both."""
    from sklearn.linear_model import Ridge

    tfidf = _word_tfidf(spacy_lang, ngram_range=(1, 3), min_df=2)
    return _pipeline([("tfidf", tfidf), ("reg", Ridge(alpha=1.0))], spacy_lang, stop_words)


def _char_ridge_space():
    from scipy.stats import loguniform

    return {
        "features__char__ngram_range": [(2, 4), (2, 5), (3, 5), (3, 6)],
        "features__char__analyzer": ["char_wb", "char"],
        "features__word__ngram_range": [(1, 2), (1, 3)],
        "features__transformer_weights": [{"char": 0.5}, {"char": 1.0}],
        "reg__alpha": loguniform(0.1, 10),
    }


@register_model(
    "bow-char-ridge",
    description="TF-IDF word 1-3 grams + character 3-5 grams (within words, weight 0.5) + ridge regression (alpha=1.5)",
    search_space=_char_ridge_space,
    cost="14-20 s fit, 12 MB (Debian sizes, 15.6k texts)",
    tasks=(REGRESSION,),
)
def bow_char_ridge(seed=0, *, spacy_lang=None, stop_words=False):
    """The best regression default: dev RMSE 0.624 (bow-ridge 0.627). The character block
    weighs half the words' (the union at equal weights scored 0.634, alpha 2; at 0.5,
    0.628 with word 1-2 grams and 0.624 with 1-3 grams); alpha 1.5 was best at that weight."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import FeatureUnion

    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2)
    words = _word_tfidf(spacy_lang, ngram_range=(1, 3), min_df=2)
    features = FeatureUnion([("word", words), ("char", chars)], transformer_weights={"char": 0.5})
    steps = [("features", features), ("reg", Ridge(alpha=1.5))]
    return _pipeline(steps, spacy_lang, stop_words)


def _svr_space():
    from scipy.stats import loguniform

    return {**_tfidf_space(), "reg__C": loguniform(0.03, 3), "reg__epsilon": [0.0, 0.05, 0.1, 0.2, 0.3],
            "reg__loss": ["epsilon_insensitive", "squared_epsilon_insensitive"]}


@register_model(
    "bow-svr",
    description="TF-IDF word 1-2 grams (sublinear TF) + linear support vector regression (LinearSVR, C=0.3, epsilon=0.1)",
    search_space=_svr_space,
    cost="3-5 s fit, 13 MB (Debian sizes, 15.6k texts)",
    tasks=(REGRESSION,),
)
def bow_svr(seed=0, *, spacy_lang=None, stop_words=False):
    """The absolute (epsilon-insensitive) loss, less pulled by outlying targets than ridge's
    squares: dev RMSE 0.636 at C=0.3, epsilon=0.1 (in the target's units); C=0.1 0.692,
    C=1 0.636 at 4x the fit time; the squared loss was best at 0.633 (C=0.3, epsilon=0),
    ridge's job already."""
    from sklearn.svm import LinearSVR

    reg = LinearSVR(C=0.3, epsilon=0.1, loss="epsilon_insensitive", dual=True, max_iter=5000, random_state=seed)
    return _pipeline([("tfidf", _word_tfidf(spacy_lang)), ("reg", reg)], spacy_lang, stop_words)


def _embedding_ridge_space():
    from scipy.stats import loguniform

    return {
        "vec__vector_size": [50, 100, 200],
        "vec__epochs": [10, 20, 40],
        "vec__min_count": [1, 2, 3],
        "vec__pooling": ["mean", "tfidf"],
        "reg__alpha": loguniform(0.1, 1000),
    }


def _vector_ridge(vectorizer):
    from sklearn.linear_model import Ridge
    from sklearn.preprocessing import StandardScaler

    return _pipeline([("vec", vectorizer), ("scale", StandardScaler()), ("reg", Ridge(alpha=10.0))])


@register_model(
    "w2v-ridge",
    description="Word2Vec (skip-gram, 100-d, 5 epochs) trained on the texts, mean-pooled + ridge regression",
    search_space=_embedding_ridge_space,
    cost="24-34 s fit, 10 MB (Debian sizes, 15.6k texts)",
    tasks=(REGRESSION,),
)
def w2v_ridge(seed=0, *, pooling="mean"):
    """Dev RMSE 0.752 (5 epochs; 10 epochs 0.749 at 1.7x the fit time, CBOW 0.759). Far
    behind bag-of-words: a mean of word vectors loses which words there are."""
    from textml.models.embeddings import Word2VecVectorizer

    return _vector_ridge(Word2VecVectorizer(pooling=pooling, epochs=5, seed=seed, dtype="float64"))


def _ftvec_ridge_space():
    return {**_embedding_ridge_space(), "vec__min_n": [2, 3], "vec__max_n": [4, 5, 6]}


@register_model(
    "ftvec-ridge",
    description="gensim FastText subword vectors (skip-gram, 100-d, 5 epochs) trained on the texts, mean-pooled + ridge regression",
    search_space=_ftvec_ridge_space,
    cost="44-70 s fit, 61 MB (Debian sizes, 15.6k texts)",
    tasks=(REGRESSION,),
)
def ftvec_ridge(seed=0, *, pooling="mean"):
    """Dev RMSE 0.761 (10 epochs: 0.757 at 1.7x the fit time; CBOW 0.762). The subwords make
    it the slowest regression pipeline, for no gain over w2v-ridge on package descriptions."""
    from textml.models.embeddings import FastTextVectorizer

    return _vector_ridge(FastTextVectorizer(pooling=pooling, epochs=5, seed=seed, dtype="float64"))


def _fasttext_ridge_space():
    from scipy.stats import loguniform

    return {
        "vec__model": ["cbow", "skipgram"],
        "vec__dim": [50, 100, 200],
        "vec__epoch": [5, 10, 20],
        "vec__maxn": [0, 0, 5, 6],
        "reg__alpha": loguniform(0.1, 1000),
    }


@register_model(
    "fasttext-ridge",
    description="fastText unsupervised vectors (CBOW, 100-d, no subwords) trained on the texts, as sentence vectors + ridge regression",
    search_space=_fasttext_ridge_space,
    cost="25-30 s fit, 18 MB (Debian sizes, 15.6k texts)",
    tasks=(REGRESSION,),
)
def fasttext_ridge(seed=0):
    """fastText's supervised mode has no regression loss; its unsupervised vectors, trained
    on the training texts, stand in (see :class:`~textml.models.fasttext.FastTextSentenceVectorizer`
    for the measured defaults: dev RMSE 0.741)."""
    from textml.models.fasttext import FastTextSentenceVectorizer

    return _vector_ridge(FastTextSentenceVectorizer(seed=seed))
