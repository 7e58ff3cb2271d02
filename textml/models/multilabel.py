"""Multi-label (tag) classification: a pipeline that predicts a set of labels per text.

:class:`MultiLabelPipeline` is a scikit-learn ``Pipeline`` (same steps, same parameter
names) for targets that are label *sets*. It takes ``y`` as label tuples (``("a", "b")``,
``()`` for none) or a 0/1 indicator matrix, and follows scikit-learn's multi-label
convention: ``predict`` gives an ``(n, n_labels)`` 0/1 indicator matrix and
``predict_proba`` per-label probabilities (marginals, not normalised across labels), both
with columns as ``classes_``. Its last step must accept an indicator matrix: a
``OneVsRestClassifier``, a ``FastTextClassifier`` (``loss="ova"``), a
``SpacyTextClassifier(multilabel=True)`` or a multi-output tree.

Two things are learned beyond the steps, both **from training rows only** (dev labels are
never looked at), at a bounded cost:

* **Probabilities for margin-only classifiers** (the linear SVMs): ``sigmoid(a d + b)`` of
  each label's margin ``d``, with one ``(a, b)`` shared by all labels (Platt scaling on the
  pooled held-out margins).
* **Decision thresholds**: a label is predicted when its probability reaches its threshold,
  and at least ``min_labels`` labels (the most probable ones) are predicted per row, so a
  row never silently gets no label.

Both come from a held-out sample of the training rows, as in
:mod:`textml.models.calibration`: at most ``calibration_samples`` (5,000) rows, and at most
``holdout`` (20%) of them, are held out; a clone of the whole pipeline (features included)
is fitted on the other rows - at most ``max_fit_samples`` (8,000) of them - and its
held-out scores fit ``(a, b)`` and the thresholds. The model that predicts is fitted on
every training row; the extra cost is one fit on at most 8,000 rows.

Measured choices (debtags corpus: 23k training texts, 131 tags, 3.3 per text; dev labels
used only to measure, never to choose) are in :class:`MultiLabelPipeline`'s docstring.

:class:`LabelFrequencyClassifier` is the tag baselines' estimator: each label's training
frequency as its probability, and either the labels of over half the rows or the ``k``
most frequent labels as the prediction.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.pipeline import Pipeline
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from textml.exceptions import ConfigError, DataError
from textml.text.validation import check_texts

__all__ = ["LabelFrequencyClassifier", "MultiLabelPipeline", "THRESHOLDS", "multilabel_targets"]

THRESHOLDS = ("auto", "global", "per-label")
GRID = np.round(np.arange(0.02, 0.99, 0.01), 2)  # candidate thresholds (probabilities)
# per-label thresholds only for labels with at least this many held-out positives; the
# others keep the global threshold (fewer positives make a label's F1 curve too noisy).
MIN_LABEL_SUPPORT = 10
_SET_TYPES = (tuple, set, frozenset)


# ----------------------------------------------------------------------------- targets


def multilabel_targets(y, *, who: str = "this estimator") -> tuple[np.ndarray, np.ndarray]:
    """``(indicator, classes)`` of multi-label targets.

    Parameters
    ----------
    y : sequence of label tuples, or 2-D 0/1 array-like
        Label tuples (or sets; lists of strings also count as label sets), ``()`` for a row
        without labels; or an ``(n, n_labels)`` indicator matrix (dense or sparse).

    Returns
    -------
    indicator : ndarray of shape (n, n_labels), dtype int
    classes : ndarray of shape (n_labels,)
        The sorted labels of the tuples, or ``arange(n_labels)`` for an indicator matrix.
    """
    indicator, classes, _ = _targets(y, who)
    return indicator, classes


def _targets(y, who: str) -> tuple[np.ndarray, np.ndarray, bool]:
    """``(indicator, classes, whether y was an indicator matrix)``."""
    import scipy.sparse as sp

    if y is None:
        raise ValueError(f"{who} requires y to be passed, but the target y is None")
    if sp.issparse(y):
        y = y.toarray()
    if not isinstance(y, (list, tuple)) and hasattr(y, "__array__"):
        y = np.asarray(y)
    if isinstance(y, np.ndarray) or hasattr(y, "iloc"):
        array = np.asarray(y)
        if array.ndim == 2:
            return _indicator(array, who), np.arange(array.shape[1]), True
        rows = list(array)
    else:
        rows = list(y)
    if rows and all(isinstance(row, _SET_TYPES) for row in rows):
        return (*_binarize(rows, who), False)
    try:
        array = np.asarray(rows)
    except ValueError:
        array = None
    if array is not None and array.ndim == 2 and array.dtype.kind in "biuf":
        return _indicator(array, who), np.arange(array.shape[1]), True
    if rows and all(isinstance(row, (list, *_SET_TYPES)) for row in rows):
        return (*_binarize(rows, who), False)
    raise DataError(f"{who}: multi-label targets are label tuples per row (e.g. ('a', 'b'), () for none) or "
                    f"a 0/1 indicator matrix; got {type(rows[0]).__name__ if rows else 'no rows'}. For one "
                    f"label per row use a single-label task")


def indicator_for(y, classes: np.ndarray, *, who: str = "this estimator") -> np.ndarray:
    """``y`` as an indicator matrix whose columns are ``classes`` (a fitted model's).

    Label tuples are matched by label (labels not in ``classes`` are dropped); an indicator
    matrix is taken as it is and must have one column per class.
    """
    indicator, found, is_indicator = _targets(y, who)
    if is_indicator:
        if indicator.shape[1] != len(classes):
            raise ValueError(f"{who}: y has {indicator.shape[1]} label columns, the model {len(classes)}")
        return indicator
    column = {label: j for j, label in enumerate(np.asarray(classes).tolist())}
    out = np.zeros((len(indicator), len(classes)), dtype=int)
    for j, label in enumerate(found.tolist()):
        if label in column:
            out[:, column[label]] = indicator[:, j]
    return out


def _indicator(array: np.ndarray, who: str) -> np.ndarray:
    if array.size and not np.isin(array, (0, 1)).all():
        raise ValueError(f"{who}: a multi-label indicator matrix holds only 0 and 1")
    if array.shape[1] < 1:
        raise ValueError(f"{who}: the indicator matrix has no label column")
    return array.astype(int)


def _binarize(rows, who: str) -> tuple[np.ndarray, np.ndarray]:
    labels = {label for row in rows for label in row}
    if not labels:
        raise DataError(f"{who}: no row has a label; multi-label training needs some labels")
    try:
        classes = np.array(sorted(labels))
    except TypeError:
        raise DataError(f"{who}: labels must be all strings (or all numbers) to be sorted into columns") from None
    column = {label: j for j, label in enumerate(classes.tolist())}
    indicator = np.zeros((len(rows), len(classes)), dtype=int)
    for i, row in enumerate(rows):
        indicator[i, [column[label] for label in row]] = 1
    return indicator, classes


# ------------------------------------------------------------------------- decisions


def at_least(proba: np.ndarray, predicted: np.ndarray, min_labels: int) -> np.ndarray:
    """``predicted`` with the ``min_labels`` most probable labels added to rows that have fewer."""
    if min_labels <= 0 or proba.shape[1] == 0:
        return predicted
    k = min(int(min_labels), proba.shape[1])
    short = predicted.sum(axis=1) < k
    if short.any():
        top = np.argsort(-proba[short], axis=1, kind="stable")[:, :k]
        rows = np.flatnonzero(short)
        predicted[rows[:, None], top] = 1
    return predicted


def _f1_counts(truth: np.ndarray, predicted: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    tp = (truth & predicted).sum(axis=0)
    return tp, predicted.sum(axis=0) - tp, truth.sum(axis=0) - tp


def global_threshold(proba: np.ndarray, truth: np.ndarray, min_labels: int) -> float:
    """The grid threshold with the best micro-F1 of ``proba >= t`` (plus ``min_labels``) on ``truth``."""
    truth = truth.astype(bool)
    best, best_f1 = 0.5, -1.0
    for t in GRID:
        predicted = at_least(proba, (proba >= t).astype(np.int8), min_labels).astype(bool)
        tp, fp, fn = (int(x.sum()) for x in _f1_counts(truth, predicted))
        f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
        if f1 > best_f1 + 1e-12:
            best, best_f1 = float(t), f1
    return best


def label_thresholds(proba: np.ndarray, truth: np.ndarray, fallback: float) -> np.ndarray:
    """Per label, the grid threshold with the best F1 of that label on ``truth``; ``fallback``
    for labels with fewer than ``MIN_LABEL_SUPPORT`` positives."""
    truth = truth.astype(bool)
    out = np.full(proba.shape[1], fallback)
    support = truth.sum(axis=0)
    for j in np.flatnonzero(support >= MIN_LABEL_SUPPORT):
        predicted = proba[:, j][:, None] >= GRID[None, :]
        tp = (predicted & truth[:, j][:, None]).sum(axis=0)
        f1 = 2 * tp / (predicted.sum(axis=0) + support[j])
        out[j] = GRID[int(np.argmax(f1))]
    return out


def fit_sigmoid(margins: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """``(a, b)`` minimising the log-loss of ``sigmoid(a d + b)`` over every (row, label) pair,
    with Platt's smoothed targets (no infinite slope on separable data)."""
    from scipy.optimize import minimize
    from scipy.special import expit, log_expit

    d = margins.ravel().astype(np.float64)
    positive = truth.ravel().astype(bool)
    n_pos, n_neg = positive.sum(), (~positive).sum()
    target = np.where(positive, (n_pos + 1.0) / (n_pos + 2.0), 1.0 / (n_neg + 2.0))

    def loss(params):
        a, b = params
        z = a * d + b
        value = -(target * log_expit(z) + (1 - target) * log_expit(-z)).mean()
        residual = expit(z) - target
        return value, np.array([(residual * d).mean(), residual.mean()])

    result = minimize(loss, x0=np.array([2.0, 0.0]), jac=True, method="L-BFGS-B",
                      bounds=[(1e-3, 1e3), (-50.0, 50.0)])
    return float(result.x[0]), float(result.x[1])


def marginals(proba, n_labels: int, classes=None) -> np.ndarray:
    """(n, n_labels) probability of each label from a multi-label ``predict_proba``.

    scikit-learn's multi-output estimators (trees, ``DummyClassifier``) return a list of
    ``(n, n_values)`` arrays, one per label, whose columns are that label's ``classes_``.
    """
    if isinstance(proba, list):
        columns = []
        for k, p in enumerate(proba):
            values = list(classes[k]) if classes is not None else [0, 1][-p.shape[1]:]
            columns.append(p[:, values.index(1)] if 1 in values else np.zeros(len(p)))
        return np.column_stack(columns).astype(np.float64) if columns else np.zeros((0, n_labels))
    proba = np.asarray(proba, dtype=np.float64)
    if n_labels == 1 and proba.ndim == 2 and proba.shape[1] == 2:
        return proba[:, 1:]  # one label column is a binary problem to one-vs-rest: (absent, present)
    if proba.ndim != 2 or proba.shape[1] != n_labels:
        raise ValueError(f"expected per-label probabilities of shape (n, {n_labels}), got {proba.shape}")
    return proba


# -------------------------------------------------------------------------- pipeline


def _final_has(pipeline, name: str) -> bool:
    final = pipeline.steps[-1][1]
    return final not in (None, "passthrough") and hasattr(final, name)


class MultiLabelPipeline(Pipeline):
    """A scikit-learn ``Pipeline`` for multi-label targets, with per-label probabilities and
    decision thresholds learned from held-out *training* rows.

    Measured on debtags (23k training texts, 131 tags, 3.3 per text; dev 2.9k texts, used
    only to measure), with ``bow-svm`` (TF-IDF + one-vs-rest LinearSVC) unless named:

    * **Global threshold, not per-label** (the default, ``"auto"``): dev micro-F1/macro-F1
      0.661/0.491 with one threshold (chosen 0.23; the best on dev itself, 0.30, would give
      0.662), 0.646/0.514 with per-label thresholds: they win macro-F1 but lose the primary
      micro-F1, a label's F1 curve on a few hundred held-out rows being noisy. A fixed 0.5
      gives 0.644/0.424 (bow-svm), 0.634/0.436 (fastText), 0.600/0.380 (spaCy textcat).
    * **One sigmoid for all labels**: dev log-loss 0.0540, the same as a shared sigmoid
      fitted on dev itself (ECE 0.003); per-label sigmoids fitted on dev itself, which no
      held-out sample of 5,000 rows could match for rare labels, reach 0.0497;
      ``sigmoid(2 d)`` without fitting 0.128.
    * **min_labels=1**: without it 50 of the 2,873 dev rows got no label (micro-F1 0.660
      instead of 0.661).
    * **Cost**: the held-out pipeline on 8,000 rows instead of 20,000 scored the same
      micro-F1 (bow-svm 0.661 both; bow-char-svm 0.672 vs 0.674; fastText 0.636 vs
      0.637) and cut the whole fit by a quarter (bow-svm 12.8 -> 9.6 CPU s, bow-char-svm
      53 -> 40 s).

    Parameters
    ----------
    steps : list of (name, estimator)
        As for ``Pipeline``. The last step takes an ``(n, n_labels)`` indicator matrix and
        has ``predict_proba`` (per-label probabilities) or ``decision_function`` (per-label
        margins, turned into probabilities by a fitted sigmoid).
    threshold : {"auto", "global", "per-label"} or float, default="auto"
        How labels are decided from their probabilities. ``"global"``: one threshold for
        every label, the one with the best micro-F1 on the held-out training rows.
        ``"per-label"``: each label with at least 10 held-out positives gets the threshold
        best for its own F1 there; the others the global one. ``"auto"`` is ``"global"``.
        A number: that threshold, nothing chosen (and nothing held out, unless the
        probabilities need a sigmoid).
    min_labels : int, default=1
        Every row gets at least this many labels (its most probable ones), so no row
        silently gets none; 0 lets a row have no label when no probability reaches its
        threshold.
    max_fit_samples : int or None, default=8_000
        Most training rows the held-out pipeline is fitted on; None: all the others.
        8,000 rows chose the same thresholds as 20,000 within 0.2 micro-F1 points (see
        below), for a third of the extra fit.
    calibration_samples : int, default=5_000
        Most training rows held out.
    holdout : float, default=0.2
        Largest share of the training rows held out.
    refit_features : bool, default=True
        Refit the whole pipeline for the held-out scores (features included). True suits
        features that learn from the texts which rows they were fitted on (TF-IDF: rare
        n-grams of held-out rows would otherwise be in the vocabulary, as
        :mod:`textml.models.calibration` measured). False refits the last step only, on the
        features of the steps already fitted on every row: for unsupervised word vectors,
        whose training is most of the cost and sees no label.
    random_state : int, RandomState or None, default=0
        Seed of the held-out and fit samples.
    transform_input, memory, verbose : as for ``Pipeline``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_labels,)
        Label names (sorted), or ``arange(n_labels)`` when fitted on an indicator matrix:
        the columns of :meth:`predict` and :meth:`predict_proba`.
    thresholds_ : ndarray of shape (n_labels,)
        Decision threshold of each label.
    threshold_ : float
        The global threshold (the fallback of ``"per-label"``).
    sigmoid_ : tuple of (float, float) or None
        ``(a, b)`` of ``sigmoid(a d + b)`` for margin-only classifiers; None when the last
        step's own probabilities are used.
    n_calibration_rows_ : int
        Held-out rows the thresholds and sigmoid were fitted on (0: none; then the
        threshold is 0.5 and the sigmoid ``sigmoid(2 d)``, with a warning).
    """

    def __init__(self, steps, *, threshold="auto", min_labels=1, max_fit_samples=8_000,
                 calibration_samples=5_000, holdout=0.2, refit_features=True, random_state=0,
                 transform_input=None, memory=None, verbose=False):
        super().__init__(steps, transform_input=transform_input, memory=memory, verbose=verbose)
        self.threshold = threshold
        self.min_labels = min_labels
        self.max_fit_samples = max_fit_samples
        self.calibration_samples = calibration_samples
        self.holdout = holdout
        self.refit_features = refit_features
        self.random_state = random_state

    # Pipeline's classes_ is a read-only property (the last step's); ours are the label names.
    @property
    def classes_(self):
        try:
            return self.__dict__["classes_"]
        except KeyError:
            raise AttributeError("classes_: this MultiLabelPipeline is not fitted yet") from None

    @classes_.setter
    def classes_(self, value):
        self.__dict__["classes_"] = value

    def _check_settings(self) -> None:
        def positive_int(name, value, allow_none=False, low=1):
            if value is None and allow_none:
                return
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ConfigError(f"{name} must be an integer >= {low}{' or None' if allow_none else ''}, "
                                  f"got {value!r}")

        positive_int("max_fit_samples", self.max_fit_samples, allow_none=True)
        positive_int("calibration_samples", self.calibration_samples)
        positive_int("min_labels", self.min_labels, low=0)
        if not isinstance(self.refit_features, (bool, np.bool_)):
            raise ConfigError(f"refit_features must be True or False, got {self.refit_features!r}")
        if isinstance(self.holdout, bool) or not isinstance(self.holdout, (float, int)) or not 0 < self.holdout < 1:
            raise ConfigError(f"holdout must be a share between 0 and 1, got {self.holdout!r}")
        t = self.threshold
        if isinstance(t, str):
            if t not in THRESHOLDS:
                raise ConfigError(f"threshold must be one of {', '.join(THRESHOLDS)} or a number in [0, 1]; "
                                  f"got {t!r}")
        elif isinstance(t, bool) or not isinstance(t, (int, float, np.floating)) or not 0 <= t <= 1:
            raise ConfigError(f"threshold must be one of {', '.join(THRESHOLDS)} or a number in [0, 1]; got {t!r}")
        if not (_final_has(self, "predict_proba") or _final_has(self, "decision_function")):
            raise ConfigError(f"the last step of a {type(self).__name__} needs predict_proba or decision_function")

    def _needs_sigmoid(self) -> bool:
        return not _final_has(self, "predict_proba")

    def fit(self, X, y=None, **params):
        """Fit the steps on all of ``X, y``, then the thresholds (and sigmoid) on held-out rows.

        Parameters
        ----------
        X : iterable of str (or what the first step takes)
        y : sequence of label tuples, or (n, n_labels) 0/1 indicator matrix

        Returns
        -------
        self
        """
        if params:
            raise TypeError(f"{type(self).__name__}.fit takes no fit parameters, got {', '.join(sorted(params))}")
        self._check_settings()
        X, rows = _indexable(X)
        indicator, classes = multilabel_targets(y, who=type(self).__name__)
        if len(indicator) != _n_rows(X):
            raise ValueError(f"X has {_n_rows(X)} rows but y has {len(indicator)}")
        super().fit(X, indicator)
        self.classes_ = classes
        fixed = not isinstance(self.threshold, str)
        self.sigmoid_ = (2.0, 0.0) if self._needs_sigmoid() else None
        self.threshold_ = float(self.threshold) if fixed else 0.5
        self.thresholds_ = np.full(len(classes), self.threshold_)
        self.n_calibration_rows_ = 0
        if fixed and not self._needs_sigmoid():
            return self
        held = self._held_out_scores(rows, indicator)
        if held is None:
            warnings.warn(f"{type(self).__name__}: {len(indicator)} training rows are too few to hold some out; "
                          f"the decision threshold is {self.threshold_:g}"
                          + (" and probabilities are sigmoid(2 * margin)" if self._needs_sigmoid() else ""),
                          UserWarning, stacklevel=2)
            return self
        scores, truth = held
        self.n_calibration_rows_ = len(truth)
        if self._needs_sigmoid():
            self.sigmoid_ = fit_sigmoid(scores, truth)
            from scipy.special import expit

            scores = expit(self.sigmoid_[0] * scores + self.sigmoid_[1])
        if not fixed:
            self.threshold_ = global_threshold(scores, truth, self.min_labels)
            self.thresholds_ = np.full(len(classes), self.threshold_)
            if self.threshold == "per-label":
                self.thresholds_ = label_thresholds(scores, truth, self.threshold_)
        return self

    def _held_out_scores(self, X, indicator):
        """(scores, truth) of a clone fitted without the held-out rows, or None when too few rows."""
        rng = check_random_state(self.random_state)
        n = len(indicator)
        size = min(self.calibration_samples, int(self.holdout * n))
        if size < 1 or n - size < 2:
            return None
        order = rng.permutation(n)
        held, rest = np.sort(order[:size]), order[size:]
        if self.max_fit_samples is not None and len(rest) > self.max_fit_samples:
            rest = rest[:self.max_fit_samples]
        rest = np.sort(rest)
        if self.refit_features or len(self.steps) == 1:
            plain = clone(Pipeline(self.steps, transform_input=self.transform_input, memory=self.memory))
        else:  # the fitted feature steps, a fresh last step
            X = Pipeline(self.steps[:-1]).transform(X)
            plain = Pipeline([("features", "passthrough"), (self.steps[-1][0], clone(self.steps[-1][1]))])
        with warnings.catch_warnings():
            # a rare label missing from the sample is expected; one-vs-rest then predicts it constant
            warnings.filterwarnings("ignore", message=r"Label .* (not )?present in all training examples")
            plain.fit(_safe_indexing(X, rest), indicator[rest])
        scores = self._scores(plain, _safe_indexing(X, held), len(self.classes_))
        return scores, indicator[held]

    @staticmethod
    def _scores(pipeline: Pipeline, X, n_labels: int) -> np.ndarray:
        """Per-label probabilities of a fitted plain pipeline, or its margins without predict_proba."""
        final = pipeline.steps[-1][1]
        if hasattr(final, "predict_proba"):
            return marginals(Pipeline.predict_proba(pipeline, X), n_labels, getattr(final, "classes_", None)
                             if isinstance(getattr(final, "classes_", None), list) else None)
        margins = np.asarray(Pipeline.decision_function(pipeline, X), dtype=np.float64)
        return margins.reshape(-1, 1) if margins.ndim == 1 else margins

    def predict_proba(self, X):
        """Per-label probabilities, shape (n, n_labels), columns as :attr:`classes_` (rows need not sum to 1)."""
        from scipy.special import expit

        check_is_fitted(self, "thresholds_")
        scores = self._scores(self, X, len(self.classes_))
        if self.sigmoid_ is not None:
            scores = expit(self.sigmoid_[0] * scores + self.sigmoid_[1])
        return scores

    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`."""
        return np.log(np.clip(self.predict_proba(X), np.finfo(np.float64).tiny, None))

    # The last step's margins do not decide the labels (the thresholds and min_labels do),
    # so a decision_function whose sign disagreed with predict is not offered.
    @available_if(lambda self: False)
    def decision_function(self, X):  # pragma: no cover - never available
        raise AttributeError("decision_function")

    def predict(self, X):
        """0/1 indicator matrix, shape (n, n_labels): labels whose probability reaches their
        threshold, and at least ``min_labels`` per row."""
        proba = self.predict_proba(X)
        predicted = (proba >= self.thresholds_[None, :]).astype(int)
        return at_least(proba, predicted, int(self.min_labels))

    def score(self, X, y, sample_weight=None):
        """Subset accuracy (every label of a row right), as scikit-learn's multi-label classifiers."""
        from sklearn.metrics import accuracy_score

        check_is_fitted(self, "thresholds_")
        truth = indicator_for(y, self.classes_, who=type(self).__name__)
        return accuracy_score(truth, self.predict(X), sample_weight=sample_weight)

    def __getitem__(self, ind):
        """As Pipeline's; a slice (e.g. the feature steps ``[:-1]``) is a plain Pipeline."""
        if isinstance(ind, slice):
            if ind.step not in (1, None):
                raise ValueError("Pipeline slicing only supports a step of 1")
            return Pipeline(self.steps[ind], memory=self.memory, verbose=self.verbose)
        return super().__getitem__(ind)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if tags.classifier_tags is not None:
            tags.classifier_tags.multi_label = True
            tags.classifier_tags.multi_class = False  # every label is a yes/no decision
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = False
        return tags


def _indexable(X):
    """``(X, rows)``: ``X`` for fitting and the same data in a form ``_safe_indexing`` takes."""
    import scipy.sparse as sp

    if sp.issparse(X):
        return X, X.tocsr()
    if not (isinstance(X, (list, np.ndarray)) or hasattr(X, "iloc")):
        X = np.asarray(X) if hasattr(X, "__array__") else list(X)
    return X, X


def _n_rows(X) -> int:
    return X.shape[0] if hasattr(X, "shape") else len(X)


# -------------------------------------------------------------------------- baselines


class LabelFrequencyClassifier(ClassifierMixin, BaseEstimator):
    """Multi-label baseline that ignores the text: each label's probability is its training
    frequency.

    Parameters
    ----------
    k : None, "median" or int, default=None
        What is predicted for every row. None: the labels of over half the training rows,
        and at least the most frequent one (a label-wise majority vote that never predicts
        nothing). ``"median"``: the ``k`` most frequent labels, ``k`` the median number of
        labels per training row (at least 1). An int: that many most frequent labels.

    Attributes
    ----------
    classes_ : ndarray of shape (n_labels,)
    frequencies_ : ndarray of shape (n_labels,)
        Share of training rows with each label: every row's :meth:`predict_proba`.
    predicted_ : ndarray of shape (n_labels,)
        The 0/1 row :meth:`predict` gives every text.
    """

    def __init__(self, *, k=None):
        self.k = k

    def fit(self, X, y):
        texts = check_texts(X, who=type(self).__name__)
        indicator, classes = multilabel_targets(y, who=type(self).__name__)
        if len(indicator) != len(texts):
            raise ValueError(f"X has {len(texts)} rows but y has {len(indicator)}")
        k = self.k
        if k is None:
            pass
        elif k == "median":
            k = max(1, int(np.floor(np.median(indicator.sum(axis=1)) + 0.5)))
        elif isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ConfigError(f"k must be None, 'median' or a positive integer, got {self.k!r}")
        self.classes_ = classes
        self.frequencies_ = indicator.mean(axis=0).astype(np.float64)
        order = np.argsort(-self.frequencies_, kind="stable")
        predicted = np.zeros(len(classes), dtype=int)
        if k is None:
            predicted[self.frequencies_ > 0.5] = 1
            predicted[order[0]] = 1
        else:
            predicted[order[:k]] = 1
        self.predicted_ = predicted
        return self

    def predict_proba(self, X):
        check_is_fitted(self, "frequencies_")
        n = len(check_texts(X, who=type(self).__name__, allow_empty=True))
        return np.tile(self.frequencies_, (n, 1))

    def predict(self, X):
        check_is_fitted(self, "predicted_")
        n = len(check_texts(X, who=type(self).__name__, allow_empty=True))
        return np.tile(self.predicted_, (n, 1))

    def score(self, X, y, sample_weight=None):
        from sklearn.metrics import accuracy_score

        check_is_fitted(self, "predicted_")
        return accuracy_score(indicator_for(y, self.classes_), self.predict(X), sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.one_d_array = True
        tags.input_tags.string = True
        tags.classifier_tags.multi_label = True
        tags.classifier_tags.multi_class = False
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = False
        tags.no_validation = True
        return tags
