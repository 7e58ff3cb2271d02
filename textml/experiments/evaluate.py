"""Evaluate: score a saved model, or two side by side, on the same dev (or test) rows.

The offline half of an A/B decision. ``evaluate(split, MODEL, against=OTHER)`` predicts the
same rows with both models and reports each one's primary metric and latency, and the
difference ``metric(MODEL) - metric(OTHER)`` with a paired bootstrap confidence interval:
rows are resampled with replacement (the same resample for both models, so their errors on
the same hard rows cancel), the metric is recomputed on each resample, and the interval is
the percentile range of the differences. An interval that contains 0 means the data cannot
tell the two apart at that confidence; two identical models give exactly [0, 0].

Models are anything :func:`textml.tracking.registry.resolve_model` accepts: a folder,
a run id, ``runs:/RUN_ID/model``, ``models:/NAME@champion``, ``models:/NAME/3``. Aliases
are resolved once, and the version that was evaluated is recorded in the run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from textml.data.dataset import MULTILABEL, REGRESSION
from textml.evaluation.metrics import MetricChoice, class_probabilities, positive_scores, score
from textml.evaluation.targets import indicator, model_task, predict_labels, targets
from textml.exceptions import ConfigError
from textml.experiments.context import Progress, RunContext
from textml.experiments.spec import RunSpec

DEFAULT_RESAMPLES = 1000
CHUNK = 100  # resamples computed at once (memory: CHUNK x rows counts)
SETTINGS = {"model": None, "against": None, "final": False, "resamples": DEFAULT_RESAMPLES, "confidence": 0.95,
            "trust_pickle": False}


@dataclass
class ModelEvaluation:
    """One model on the evaluation rows."""

    label: str  # how to call it: products@champion (v3), run 1a2b3c4d, a path
    model: str | None  # textml registry name (bow-svm, fasttext, ...)
    source: dict  # what was evaluated: uri, path, registered name/version/alias, run id
    metrics: dict[str, float]
    ci: tuple[float, float]  # bootstrap interval of the primary metric
    latency_ms_per_1k: float
    predictions: np.ndarray = field(repr=False, default=None)

    def to_json(self) -> dict:
        out = asdict(self)
        out.pop("predictions")
        out["ci"] = list(self.ci)
        return out


@dataclass
class Difference:
    """metric(model) - metric(against): the point estimate and its paired bootstrap interval."""

    metric: str
    value: float
    ci: tuple[float, float]
    confidence: float
    resamples: int
    p_model_better: float  # share of resamples where model scored better
    p_value: float  # two-sided bootstrap p-value of "no difference"
    agreement: float  # share of rows where both models predict the same label (set); NaN for numbers
    greater_is_better: bool = True  # False for an error (RMSE): a negative difference favours model

    @property
    def contains_zero(self) -> bool:
        return self.ci[0] <= 0.0 <= self.ci[1]

    @property
    def model_better(self) -> bool:
        """MODEL beats AGAINST beyond the interval (the whole interval on MODEL's side of 0)."""
        return self.ci[0] > 0 if self.greater_is_better else self.ci[1] < 0

    def to_json(self) -> dict:
        out = asdict(self)
        out["ci"] = list(self.ci)
        out["contains_zero"] = self.contains_zero
        out["model_better"] = self.model_better
        return out


@dataclass
class EvaluationResult:
    choice: MetricChoice
    data: str  # "dev" or "test"
    rows: int
    models: list[ModelEvaluation]  # [model] or [model, against]
    difference: Difference | None
    confidence: float
    resamples: int
    seed: int
    run_id: str | None = None
    experiment: str | None = None
    tracking_uri: str | None = None

    def to_json(self) -> dict:
        return {
            "primary_metric": self.choice.name,
            "task": self.choice.task,
            "positive_class": self.choice.positive,
            "data": self.data,
            "rows": self.rows,
            "confidence": self.confidence,
            "resamples": self.resamples,
            "seed": self.seed,
            "models": [m.to_json() for m in self.models],
            "difference": self.difference.to_json() if self.difference else None,
            "run_id": self.run_id,
            "experiment": self.experiment,
            "tracking_uri": self.tracking_uri,
        }


def evaluate(spec: RunSpec, progress: Progress | None = None, tags: dict | None = None) -> EvaluationResult:
    """Score ``settings["model"]`` (and ``settings["against"]``) on dev, or on test when
    ``final``; log to MLflow. The metric is the spec's, else the one MODEL was trained for."""
    from textml.evaluation.cost import latency_ms_per_1k
    from textml.tracking.registry import load_model_ref

    settings = {**SETTINGS, **spec.settings}
    model, against, final = settings["model"], settings["against"], bool(settings["final"])
    resamples, confidence = settings["resamples"], float(settings["confidence"])
    if not model:
        raise ConfigError("no model to evaluate; pass MODEL (a folder, run id or models:/NAME@ALIAS)")
    if isinstance(resamples, bool) or not isinstance(resamples, int) or not 10 <= resamples <= 100_000:
        raise ConfigError(f"--resamples must be a whole number between 10 and 100000, got {resamples!r}")
    if not 0.5 <= confidence < 1:  # NaN fails this too
        raise ConfigError(f"--confidence must be in [0.5, 1), got {settings['confidence']!r}")
    loaded = []
    for ref in [model] + ([against] if against else []):
        pipeline, info, resolved = load_model_ref(ref, spec.tracking.uri, trust_pickle=bool(settings["trust_pickle"]))
        loaded.append((resolved, pipeline, info))
    trained_for = loaded[0][2].get("primary_metric")
    from_model = spec.metric is None and bool(trained_for)
    if from_model:
        spec = spec.replace(metric=trained_for)
    served = model_task(loaded[0][1], loaded[0][2])
    if spec.task is None and served in (MULTILABEL, REGRESSION):
        spec = spec.replace(task=served)  # tags where each row has one, numbers that look like classes
    context = RunContext(spec, progress)
    say, split = context.say, context.split
    data_name = "test" if final else "dev"
    data = context.read_test() if final else split.dev
    if not len(data):
        raise ConfigError(f"the {data_name} split is empty: nothing to evaluate on")
    try:
        choice = context.choice
    except ConfigError as exc:
        raise ConfigError(f"{loaded[0][0].label} is a {served} model, and the data does not fit it: {exc}") from None
    texts, y_true = list(data.texts), targets(data.labels, choice.task, data_name)
    if choice.task == MULTILABEL:
        from textml.evaluation.targets import as_label_sets

        y_true = as_label_sets(y_true)
    elif choice.task != REGRESSION:
        y_true = np.asarray([str(y) for y in y_true], dtype=object)
    if from_model:
        choice = MetricChoice(choice.name, choice.task, choice.positive, "the metric MODEL was trained for")
    say(f"{data_name}: {len(texts):,} rows; primary metric {choice.name} ({choice.reason})")

    from textml.experiments.mistakes import check_overlap

    evaluations, scores_of = [], []
    for resolved, pipeline, info in loaded:
        served = model_task(pipeline, info)
        if (served == REGRESSION) != (choice.task == REGRESSION) or (served == MULTILABEL) != (choice.task == MULTILABEL):
            raise ConfigError(f"{resolved.label} is a {served} model, and this data is {choice.task}; evaluate it "
                              f"on data of its own kind (or pass --task)")
        check_overlap(pipeline, data, choice.task)
        say(f"{resolved.label}: predicting {len(texts):,} texts ...")
        y_pred = predict_labels(pipeline, texts, choice.task)
        classes = [str(c) for c in getattr(pipeline, "classes_", [])]
        probabilities = class_probabilities(pipeline, texts) if choice.task != REGRESSION else None
        metrics = score(y_true, y_pred, choice, probabilities, classes or None)
        pos = None
        if choice.name in ("average_precision", "roc_auc"):
            pos = (positive_scores(probabilities, classes, choice.positive) if choice.positive in classes
                   else (y_pred == choice.positive).astype(float))
        scores_of.append(pos)
        evaluations.append(ModelEvaluation(
            label=resolved.label, model=info.get("model"), source=resolved.describe(), metrics=metrics,
            ci=(float("nan"), float("nan")), latency_ms_per_1k=latency_ms_per_1k(pipeline, texts),
            predictions=y_pred))

    say(f"bootstrap: {resamples:,} paired resamples of {len(texts):,} rows ...")
    boot = bootstrap_metric(y_true, [e.predictions for e in evaluations], choice, scores_of, resamples, spec.seed)
    alpha = (1 - confidence) / 2
    for evaluation, values in zip(evaluations, boot):
        evaluation.ci = _interval(values, alpha)
    difference = None
    if against:
        diffs = boot[0] - boot[1]
        a, b = evaluations
        agreement = (float("nan") if choice.task == REGRESSION
                     else float(np.mean([x == y for x, y in zip(a.predictions, b.predictions)])))
        difference = Difference(
            metric=choice.name, value=a.metrics[choice.name] - b.metrics[choice.name], ci=_interval(diffs, alpha),
            confidence=confidence, resamples=resamples, p_model_better=float(np.mean(choice.sign * diffs > 0)),
            p_value=float(min(1.0, 2 * min(np.mean(diffs <= 0), np.mean(diffs >= 0)))),
            agreement=agreement, greater_is_better=choice.greater_is_better)

    result = EvaluationResult(choice, data_name, len(texts), evaluations, difference, confidence, resamples, spec.seed)
    _log(result, context, model, against, tags)
    return result


def _interval(values: np.ndarray, alpha: float) -> tuple[float, float]:
    low, high = np.quantile(values, [alpha, 1 - alpha])
    return float(low), float(high)


def _log(result: EvaluationResult, context, model: str, against: str | None, tags: dict | None) -> None:
    primary = result.choice.name
    run_tags = dict(tags or {})
    for role, evaluation in zip(("model", "against"), result.models):
        for key, value in evaluation.source.items():
            if key != "path":
                run_tags[f"textml.{role}.{key}"] = value
    tracker = context.tracker
    with context.run("evaluate", tags=run_tags) as run_id:
        tracker.log_params({"model": model, "against": against or "", "data": result.data, "rows": result.rows,
                            "resamples": result.resamples, "confidence": result.confidence, "seed": result.seed})
        for role, evaluation in zip(("model", "against"), result.models):
            tracker.log_metrics(evaluation.metrics, prefix=f"{role}_{result.data}_")
            tracker.log_metrics({f"{role}_{result.data}_{primary}_ci_low": evaluation.ci[0],
                                 f"{role}_{result.data}_{primary}_ci_high": evaluation.ci[1],
                                 f"{role}_latency_ms_per_1k": evaluation.latency_ms_per_1k})
        if result.difference:
            d = result.difference
            tracker.log_metrics({f"diff_{result.data}_{primary}": d.value, "diff_ci_low": d.ci[0],
                                 "diff_ci_high": d.ci[1], "p_model_better": d.p_model_better,
                                 "p_value": d.p_value, "agreement": d.agreement})
        result.run_id = run_id
        result.experiment = context.experiment_name
        result.tracking_uri = tracker.uri
        tracker.log_dict(result.to_json(), "evaluation/evaluation.json")


# ------------------------------------------------------------------------------ bootstrap


def bootstrap_metric(y_true: Sequence, predictions: Sequence[np.ndarray], choice: MetricChoice,
                     positive_scores_of: Sequence[np.ndarray | None] | None = None,
                     resamples: int = DEFAULT_RESAMPLES, seed: int = 0) -> list[np.ndarray]:
    """The primary metric of each model on the same ``resamples`` bootstrap resamples.

    Each resample draws ``n`` rows with replacement (as multiplicities: a multinomial count
    per row); all models see the same resamples. Confusion-matrix metrics (macro/weighted
    F1, F1, balanced accuracy, accuracy) are computed for all resamples at once from
    weighted confusion matrices; average precision with sklearn and sample weights.
    Returns one array of ``resamples`` values per model.
    """
    from scipy import sparse

    if choice.task in (MULTILABEL, REGRESSION):
        return _row_bootstrap(y_true, predictions, choice, resamples, seed)
    y_true = np.asarray(y_true, dtype=object)
    n = len(y_true)
    rng = np.random.default_rng(seed)
    labels = sorted(set(y_true) | {p for pred in predictions for p in pred})
    index = {label: i for i, label in enumerate(labels)}
    k = len(labels)
    true_codes = np.fromiter((index[y] for y in y_true), dtype=np.int64, count=n)
    onehots = []
    for pred in predictions:
        codes = true_codes * k + np.fromiter((index[p] for p in pred), dtype=np.int64, count=n)
        onehots.append(sparse.csr_matrix((np.ones(n), (np.arange(n), codes)), shape=(n, k * k)))
    pos = index.get(choice.positive) if choice.positive is not None else None
    out = [np.empty(resamples) for _ in predictions]
    done = 0
    while done < resamples:
        size = min(CHUNK, resamples - done)
        weights = rng.multinomial(n, np.full(n, 1.0 / n), size=size).astype(float)  # size x n
        for m, onehot in enumerate(onehots):
            if choice.name in ("average_precision", "roc_auc"):
                out[m][done:done + size] = _ranking_metric(choice.name, y_true == choice.positive,
                                                           positive_scores_of[m], weights)
            else:
                confusion = np.asarray((onehot.T @ weights.T).T).reshape(size, k, k)
                out[m][done:done + size] = metric_from_confusion(confusion, choice.name, pos)
        done += size
    return out


def _ranking_metric(name: str, is_pos: np.ndarray, pos_scores: np.ndarray, weights: np.ndarray) -> np.ndarray:
    from sklearn.metrics import average_precision_score, roc_auc_score

    values = np.empty(len(weights))
    for i, w in enumerate(weights):
        positives, negatives = (w * is_pos).sum(), (w * ~is_pos).sum()
        if name == "roc_auc":
            values[i] = roc_auc_score(is_pos, pos_scores, sample_weight=w) if positives and negatives else np.nan
        else:
            values[i] = average_precision_score(is_pos, pos_scores, sample_weight=w) if positives > 0 else 0.0
    return values


def _row_bootstrap(y_true: Sequence, predictions: Sequence[np.ndarray], choice: MetricChoice,
                   resamples: int, seed: int) -> list[np.ndarray]:
    """Multi-label and regression metrics are sums over rows (label counts, squared errors), so
    each resample is a weighted sum: ``weights @ per-row statistics``, all resamples at once."""
    n = len(y_true)
    rng = np.random.default_rng(seed)
    if choice.task == MULTILABEL:
        from textml.evaluation.metrics import multilabel_label_space

        labels = multilabel_label_space(y_true, [row for pred in predictions for row in pred])
        truth = indicator(y_true, labels).astype(np.float64)
        stats = []
        for pred in predictions:
            guess = indicator(pred, labels).astype(np.float64)
            stats.append((truth * guess, (1 - truth) * guess, truth * (1 - guess)))  # tp, fp, fn per row x label
    else:
        truth = np.asarray(y_true, dtype=np.float64)
        stats = [np.asarray(pred, dtype=np.float64) - truth for pred in predictions]
    out = [np.empty(resamples) for _ in predictions]
    done = 0
    while done < resamples:
        size = min(CHUNK, resamples - done)
        weights = rng.multinomial(n, np.full(n, 1.0 / n), size=size).astype(float)  # size x n
        for m, stat in enumerate(stats):
            out[m][done:done + size] = (_multilabel_metric(choice.name, weights, truth, *stat)
                                        if choice.task == MULTILABEL else _regression_metric(choice.name, weights,
                                                                                             truth, stat))
        done += size
    return out


def _multilabel_metric(name: str, w: np.ndarray, truth: np.ndarray, tp, fp, fn) -> np.ndarray:
    """As scikit-learn's f1_score(average=...)/hamming_loss with zero_division=0, per resample."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if name == "micro_f1":
            t, f, m = (w @ tp.sum(axis=1)), (w @ fp.sum(axis=1)), (w @ fn.sum(axis=1))
            return np.where(2 * t + f + m > 0, 2 * t / (2 * t + f + m), 0.0)
        if name == "hamming_loss":
            return (w @ (fp + fn).sum(axis=1)) / (w.sum(axis=1) * truth.shape[1])
        if name in ("macro_f1", "weighted_f1"):
            t, f, m = w @ tp, w @ fp, w @ fn  # size x labels
            f1 = np.where(2 * t + f + m > 0, 2 * t / (2 * t + f + m), 0.0)
            if name == "macro_f1":
                return f1.mean(axis=1)
            support = w @ truth
            return np.where(support.sum(axis=1) > 0, (f1 * support).sum(axis=1) / support.sum(axis=1), 0.0)
        if name == "samples_f1":
            t, f, m = tp.sum(axis=1), fp.sum(axis=1), fn.sum(axis=1)
            row_f1 = np.where(2 * t + f + m > 0, 2 * t / (2 * t + f + m), 0.0)
            return (w @ row_f1) / w.sum(axis=1)
    raise ConfigError(f"no bootstrap for metric {name!r}")


def _regression_metric(name: str, w: np.ndarray, truth: np.ndarray, errors: np.ndarray) -> np.ndarray:
    total = w.sum(axis=1)
    if name == "rmse":
        return np.sqrt((w @ errors ** 2) / total)
    if name == "mae":
        return (w @ np.abs(errors)) / total
    if name == "r2":
        mean = (w @ truth) / total
        spread = w @ truth ** 2 - total * mean ** 2
        with np.errstate(divide="ignore", invalid="ignore"):
            return 1 - (w @ errors ** 2) / spread
    raise ConfigError(f"no bootstrap for metric {name!r}")


def metric_from_confusion(confusion: np.ndarray, name: str, positive: int | None = None) -> np.ndarray:
    """A metric for each confusion matrix in ``confusion`` (R x K x K, rows = true labels),
    computed as sklearn does (macro averages over the labels present in truth or predictions;
    balanced accuracy over the labels present in truth; no-division cases count as 0)."""
    tp = np.einsum("rkk->rk", confusion)
    true_count = confusion.sum(axis=2)
    pred_count = confusion.sum(axis=1)
    total = true_count.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(true_count + pred_count > 0, 2 * tp / (true_count + pred_count), 0.0)
        if name == "accuracy":
            return tp.sum(axis=1) / total
        if name == "macro_f1":
            present = (true_count + pred_count) > 0
            return (f1 * present).sum(axis=1) / present.sum(axis=1)
        if name == "weighted_f1":
            return np.where(total > 0, (f1 * true_count).sum(axis=1) / total, 0.0)
        if name == "balanced_accuracy":
            present = true_count > 0
            recall = np.where(present, tp / np.where(present, true_count, 1), 0.0)
            return recall.sum(axis=1) / np.maximum(present.sum(axis=1), 1)
        if name == "f1":
            if positive is None:
                raise ConfigError("f1 needs a positive class")
            return f1[:, positive]
    raise ConfigError(f"no bootstrap for metric {name!r}")


def format_result(result: EvaluationResult) -> str:
    """The side-by-side table a person reads."""
    primary = result.choice.name
    pct = f"{result.confidence:.0%}"
    rows = [["model", primary, f"{pct} CI", "ms/1k"]]
    for e in result.models:
        rows.append([e.label, f"{e.metrics[primary]:.4f}", f"[{e.ci[0]:.4f}, {e.ci[1]:.4f}]",
                     f"{e.latency_ms_per_1k:.1f}"])
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [f"{result.data}: {result.rows:,} rows, primary metric {primary}"
             + (" (test split read: recorded in the run)" if result.data == "test" else "")]
    lines += ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip()
              for r in rows]
    d = result.difference
    if d:
        a, b = result.models
        verdict = ("no detectable difference" if d.contains_zero
                   else f"{a.label if d.model_better else b.label} is better")
        lines.append(f"difference ({a.label} - {b.label}): {d.value:+.4f} {primary}, {pct} CI "
                     f"[{d.ci[0]:+.4f}, {d.ci[1]:+.4f}] ({d.resamples:,} paired bootstrap resamples; "
                     f"p = {d.p_value:.3f}"
                     + (f"; same label on {d.agreement:.1%} of rows" if d.agreement == d.agreement else "")
                     + f"): {verdict}")
    return "\n".join(lines)
