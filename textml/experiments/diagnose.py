"""Diagnose: is the error bias, variance, or the data?

Three pieces of evidence:
1. train vs dev primary metric (avoidable bias = target - train; variance = train - dev),
   next to the best dummy baseline on dev (a model that closes less than 10% of the gap
   between the dummy and a perfect score means the labels do not follow from the texts);
2. a learning curve (sklearn's learning_curve on the predefined train/dev split);
3. the overfitting check: a high-capacity model (a nearly unregularised linear model on
   word and character n-grams: far more features than rows) on a 10% sample must
   drive its own training error close to zero; rows it cannot fit are the evidence of
   duplicated texts with different labels, blank texts, or labels that are noise.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from textml.data.dataset import MULTILABEL, REGRESSION
from textml.data.split import Split
from textml.evaluation.metrics import MetricChoice, make_scorer_for
from textml.exceptions import ConfigError
from textml.experiments.context import Progress, RunContext
from textml.experiments.spec import RunSpec
from textml.files import atomic_path, check_outputs

BIAS_THRESHOLD = 0.05  # points of the primary metric below the target that count as high bias
VARIANCE_THRESHOLD = 0.05  # train-dev gap that counts as high variance
# a model must close this share of the gap between the best dummy and a perfect score
DUMMY_HEADROOM = 0.10
OVERFIT_MAX_ERROR = 0.05  # training error the big model must reach on its 10% sample
OUTPUT_FILES = ("learning_curve.png", "diagnosis.json")
SETTINGS = {"target": None, "n_jobs": 1}  # target None: a perfect score


@dataclass
class Diagnosis:
    choice: MetricChoice
    model_name: str
    train_score: float
    dev_score: float
    dummy_dev_score: float
    target_score: float
    verdict: str  # "high bias", "high variance", "high bias and high variance", "data problem", "ok"
    advice: list[str]
    curve: list[dict]
    overfit: dict
    evidence: list[dict] = field(default_factory=list)
    run_id: str | None = None

    def to_json(self) -> dict:
        return {
            "model": self.model_name, "primary_metric": self.choice.name, "train_score": self.train_score,
            "dev_score": self.dev_score, "dummy_dev_score": self.dummy_dev_score, "target_score": self.target_score,
            "avoidable_bias": self.choice.sign * (self.target_score - self.train_score),
            "variance": self.choice.sign * (self.train_score - self.dev_score),
            "verdict": self.verdict, "advice": self.advice, "learning_curve": self.curve,
            "overfit_check": self.overfit, "evidence": self.evidence, "run_id": self.run_id,
        }


def _big_model(task: str, seed: int):
    """Far more n-gram features than rows and almost no regularisation."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import Ridge
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline, make_union
    from sklearn.svm import LinearSVC

    features = make_union(TfidfVectorizer(ngram_range=(1, 2), lowercase=False, token_pattern=r"(?u)\b\w+\b"),
                          TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 5), lowercase=False))
    if task == REGRESSION:
        return make_pipeline(features, Ridge(alpha=1e-6, solver="sparse_cg", max_iter=20_000, tol=1e-8))
    svm = LinearSVC(C=1e4, max_iter=20_000, tol=1e-6, random_state=seed)
    return make_pipeline(features, OneVsRestClassifier(svm) if task == MULTILABEL else svm)


REGRESSION_MISS = 0.25  # a regression row is unfitted when off by more than this many target std devs


def overfit_check(split: Split, fraction: float = 0.1, seed: int = 0, max_rows: int = 5000,
                  task: str = "multiclass") -> dict:
    """Fit a high-capacity model on a (stratified) ``fraction`` of train; report its training error.

    With far more n-gram features than rows and almost no regularisation, any consistent
    labelling can be memorised; what stays unfitted points at the data (same text, other
    label; blank texts). An MLP would do too, but costs minutes where this costs seconds.
    Multi-label: a row is unfitted when its predicted label set is not its own; regression:
    when it is off by more than ``REGRESSION_MISS`` standard deviations of the target.
    """
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import MultiLabelBinarizer

    from textml.evaluation.targets import as_label_sets, label_text, targets

    train = split.train
    n = min(max(int(len(train) * fraction), min(len(train), 50)), max_rows)
    indices = np.arange(len(train))
    single = task not in (MULTILABEL, REGRESSION)
    labels = (np.asarray(train.labels, dtype=object) if single
              else as_label_sets(targets(train.labels, task)) if task == MULTILABEL
              else targets(train.labels, task))
    if n < len(train):
        try:
            indices, _ = train_test_split(indices, train_size=n, stratify=labels if single else None,
                                          random_state=seed)
        except ValueError:  # classes too rare to stratify
            indices, _ = train_test_split(indices, train_size=n, random_state=seed)
    texts = [train.texts[i] for i in indices]
    y = labels[indices]
    model = _big_model(task, seed)
    binarizer = MultiLabelBinarizer().fit(y) if task == MULTILABEL else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(texts, binarizer.transform(y) if binarizer else y)
    predicted = model.predict(texts)
    if binarizer is not None:
        predicted = as_label_sets([tuple(binarizer.classes_[np.flatnonzero(row)]) for row in predicted])
        wrong = np.flatnonzero([set(p) != set(t) for p, t in zip(predicted, y)])
    elif task == REGRESSION:
        wrong = np.flatnonzero(np.abs(predicted - y) > REGRESSION_MISS * max(float(np.std(y)), 1e-12))
    else:
        wrong = np.flatnonzero(predicted != y)
    error = len(wrong) / max(len(y), 1)
    y = [label_text(v) for v in y] if not single else y
    predicted = [label_text(v) for v in predicted] if not single else predicted
    # evidence: the same text seen with another label in the sample explains a miss
    by_text = defaultdict(set)
    for text, label in zip(texts, y):
        by_text[" ".join(text.split()).lower()].add(label)
    examples = []
    for i in wrong[:10]:
        key = " ".join(texts[i].split()).lower()
        reason = ("same text with labels " + ", ".join(sorted(map(str, by_text[key])))
                  if len(by_text[key]) > 1 else ("blank text" if not key else "cannot be fitted"))
        examples.append({"id": train.ids[indices[i]], "text": texts[i], "label": y[i],
                         "predicted": predicted[i], "why": reason})
    conflicting = sum(1 for labels_ in by_text.values() if len(labels_) > 1)
    return {"rows": int(len(y)), "fraction": fraction, "train_error": float(error),
            "passed": bool(error <= OVERFIT_MAX_ERROR), "conflicting_texts_in_sample": conflicting,
            "unfitted_examples": examples,
            "model": "word 1-2 + char 1-5 gram TF-IDF + " + {REGRESSION: "Ridge(alpha=1e-6)",
                                                              MULTILABEL: "one-vs-rest LinearSVC(C=1e4)"}.get(
                task, "LinearSVC(C=1e4)") + ", almost no regularisation"}


def learning_curve_table(model, context, sizes=(0.1, 0.25, 0.5, 0.75, 1.0), n_jobs: int = 1) -> list[dict]:
    """Train and dev score against training-set size, with sklearn's learning_curve."""
    from sklearn.model_selection import learning_curve

    texts, labels, cv = context.train_dev_folds()
    sign = context.choice.sign  # scorers maximise: an RMSE comes back negated
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        counts, train_scores, dev_scores = learning_curve(
            model, texts, labels, train_sizes=list(sizes), cv=cv, scoring=make_scorer_for(context.choice),
            shuffle=True, random_state=context.spec.seed, n_jobs=n_jobs, error_score=np.nan,
        )
    return [{"train_rows": int(c), "train_score": sign * float(t[0]), "dev_score": sign * float(d[0])}
            for c, t, d in zip(counts, train_scores, dev_scores)]


def _target(value, choice: MetricChoice) -> float:
    """The score to aim for: for a score in [0, 1], default 1 (perfect); for an error (RMSE,
    MAE: in the target's units, >= 0; Hamming loss in [0, 1]), default 0 (perfect)."""
    if value is None:
        return 1.0 if choice.greater_is_better else 0.0
    target = float(value)
    if choice.greater_is_better or choice.name == "hamming_loss":
        if not 0 <= target <= 1:  # NaN fails this too
            raise ConfigError(f"--target must be a score between 0 and 1, got {value!r}")
    elif not 0 <= target < float("inf"):
        raise ConfigError(f"--target for {choice.name} is the error to aim for, a number >= 0, got {value!r}")
    return target


def verdict_for(train_score: float, dev_score: float, dummy: float, target: float,
                overfit: dict) -> tuple[str, list[str]]:
    """The diagnosis in plain words, and what to try next (scores: higher is better)."""
    bias = target - train_score
    variance = train_score - dev_score
    if dev_score - dummy <= DUMMY_HEADROOM * max(1.0 - dummy, 1e-9):
        advice = [f"the model scores {dev_score:.3f} on dev, no better than a dummy baseline ({dummy:.3f}): "
                  "the labels do not follow from the texts",
                  "check that --text-col/--label-col point at the right columns and that rows were not shuffled "
                  "against their labels; look at a sample with `textml data check`"]
        if not overfit["passed"]:
            advice.append(f"even a big model cannot fit {overfit['train_error']:.0%} of a 10% sample; see the evidence rows")
        return "data problem", advice
    if not overfit["passed"]:
        return "data problem", [
            f"a big model leaves {overfit['train_error']:.0%} of a 10% training sample unfitted "
            f"({overfit['conflicting_texts_in_sample']} texts there carry several labels): labels are noisy "
            "or texts carry too little signal",
            "fix conflicting labels (`textml errors --label-issues`, or re-annotate), deduplicate, drop blank texts",
        ]
    high_bias = bias > BIAS_THRESHOLD
    high_variance = variance > VARIANCE_THRESHOLD
    if high_bias and high_variance:
        return "high bias and high variance", [
            "first reduce bias: a bigger model or richer features (word+char n-grams, fasttext with subwords), "
            "less regularisation (higher C), longer training",
            "then variance: more training data, more regularisation, fewer features",
        ]
    if high_bias:
        return "high bias", [
            f"the model does not even fit its own training data ({train_score:.3f} vs target {target:.3f})",
            "try a bigger model or richer features, less regularisation (a higher C or a lower alpha: "
            "`textml pipelines show NAME` lists the parameter names), more epochs",
        ]
    if high_variance:
        return "high variance", [
            f"it fits train ({train_score:.3f}) much better than dev ({dev_score:.3f}): it memorises",
            "try more training data (see the learning curve's slope), more regularisation (lower C), "
            "fewer or coarser features (min_df), or a simpler model",
        ]
    return "ok", ["train and dev are close and near the target: tune (`textml tune`) or look at the errors "
                  "(`textml errors`) for what is left"]


def diagnose(spec: RunSpec, progress: Progress | None = None, out_dir: str | os.PathLike | None = None,
             force: bool = False, tags: dict | None = None) -> Diagnosis:
    """Fit ``spec.model`` and the baselines; learning curve; overfit check; verdict. Logged to MLflow."""
    from textml.experiments.runner import predict_and_score
    from textml.experiments.tune import check_n_jobs
    from textml.models.registry import baseline_names

    settings = {**SETTINGS, **spec.settings}
    n_jobs = check_n_jobs(settings["n_jobs"])
    if out_dir is not None:
        check_outputs(out_dir, OUTPUT_FILES, force)
    context = RunContext(spec, progress)
    choice, train, dev, say = context.choice, context.split.train, context.split.dev, context.say
    target = _target(settings["target"], choice)
    model_name = spec.model.name
    model = context.make_model()
    say(f"{model_name}: fitting on {len(train):,} texts for train and dev scores ...")
    context.fit(model)
    train_score = predict_and_score(model, train, choice, probabilities=False)[1][choice.name]
    dev_score = predict_and_score(model, dev, choice)[1][choice.name]
    dummies = [predict_and_score(context.fit(context.make_model(name, params={}), name=name), dev,
                                 choice)[1][choice.name] for name in baseline_names(choice.task)]
    dummy_score = max(dummies, key=lambda v: choice.sign * v)
    say("learning curve ...")
    curve = learning_curve_table(context.make_model(), context, n_jobs=n_jobs)
    say("overfitting check: a big model on a 10% sample ...")
    overfit = overfit_check(context.split, seed=spec.seed, task=choice.task)
    if choice.greater_is_better:
        verdict, advice = verdict_for(train_score, dev_score, dummy_score, target, overfit)
    else:
        # an error in the target's units, read as skill: 1 - error / the best dummy's error
        # (0 = no better than the dummy, 1 = perfect), so the same thresholds apply
        def skill(value: float) -> float:
            return 1.0 - value / dummy_score if dummy_score > 0 else 0.0

        verdict, advice = verdict_for(skill(train_score), skill(dev_score), 0.0, skill(target), overfit)
        advice.append(f"scores in this advice are skill = 1 - {choice.name} / the best dummy's {dummy_score:.4g} "
                      f"(train {choice.name} {train_score:.4g}, dev {dev_score:.4g})")
    outcome = Diagnosis(choice, model_name, train_score, dev_score, dummy_score, target, verdict, advice,
                        curve, overfit, overfit["unfitted_examples"])
    with context.run(f"diagnose {model_name}", model=model_name,
                     tags={"textml.verdict": verdict, **(tags or {})}) as run_id:
        outcome.run_id = run_id
        context.tracker.log_metrics({f"train_{choice.name}": train_score, f"dev_{choice.name}": dev_score,
                                     f"dummy_dev_{choice.name}": dummy_score,
                                     "overfit_train_error": overfit["train_error"]})
        with tempfile.TemporaryDirectory() as tmp:
            plot = learning_curve_png(curve, choice.name, Path(tmp) / "learning_curve.png", model_name, target)
            report = Path(tmp) / "diagnosis.json"
            report.write_text(json.dumps(outcome.to_json(), indent=2, default=str), encoding="utf-8")
            context.tracker.log_file(plot, "plots")
            context.tracker.log_file(report)
            if out_dir is not None:
                Path(out_dir).mkdir(parents=True, exist_ok=True)
                for path in (plot, report):
                    with atomic_path(Path(out_dir) / path.name) as target_tmp:
                        shutil.copyfile(path, target_tmp)
    return outcome


def learning_curve_png(curve: list[dict], metric: str, path: Path, title: str, target: float) -> Path:
    from textml.evaluation.plots import pyplot

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    rows = [c["train_rows"] for c in curve]
    ax.plot(rows, [c["train_score"] for c in curve], "o-", label="train")
    ax.plot(rows, [c["dev_score"] for c in curve], "o-", label="dev")
    ax.axhline(target, linestyle=":", color="grey", label=f"target {target:g}")
    ax.set_xlabel("training rows")
    ax.set_ylabel(metric)
    ax.set_title(f"learning curve: {title}")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100, format="png")
    plt.close(fig)
    return path
