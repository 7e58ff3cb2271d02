"""Plots people would rather look at than read (matplotlib, Agg backend, PNG)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np


def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


MAX_CONFUSION_CLASSES = 60


def confusion_matrix_png(y_true: Sequence, y_pred: Sequence, labels: Sequence[str],
                         path: str | os.PathLike, title: str) -> Path:
    """Row-normalised confusion matrix (each row: where that true class's rows went).

    Scales with the number of classes: the figure grows, fonts shrink, and cell values are
    printed only when they stay readable, so 50+ classes remain legible. Past
    ``MAX_CONFUSION_CLASSES`` only the most frequent true classes are drawn (10,000 classes
    took 6 minutes to draw and nobody can read them).
    """
    from collections import Counter

    from sklearn.metrics import confusion_matrix

    plt = pyplot()
    labels = list(labels)
    if len(labels) > MAX_CONFUSION_CLASSES:
        frequent = {label for label, _ in Counter(y_true).most_common(MAX_CONFUSION_CLASSES)}
        title = f"{title}\n(the {MAX_CONFUSION_CLASSES} most frequent of {len(labels):,} classes)"
        labels = [label for label in labels if label in frequent]
    n = len(labels)
    matrix = confusion_matrix(y_true, y_pred, labels=labels).astype(float)
    totals = matrix.sum(axis=1, keepdims=True)
    normalised = np.divide(matrix, totals, out=np.zeros_like(matrix), where=totals > 0)
    side = min(max(6.0, 0.32 * n + 3), 30.0)
    font = max(5.0, min(10.0, 220.0 / max(n, 1)))
    fig, ax = plt.subplots(figsize=(side + 1.5, side))
    image = ax.imshow(normalised, cmap="Blues", vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))
    ax.set_xticklabels([str(l)[:24] for l in labels], rotation=90, fontsize=font)
    ax.set_yticklabels([str(l)[:24] for l in labels], fontsize=font)
    ax.set_xlabel("predicted label")
    ax.set_ylabel("true label")
    ax.set_title(title)
    if n <= 25:
        for i in range(n):
            for j in range(n):
                if normalised[i, j] >= 0.005:
                    ax.text(j, i, f"{normalised[i, j]:.2f}", ha="center", va="center", fontsize=font * 0.8,
                            color="white" if normalised[i, j] > 0.5 else "black")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of the true class")
    fig.tight_layout()
    path = Path(path)
    # past 25 classes the figure grows with them: 72 dpi keeps 58 classes legible at half the render time
    fig.savefig(path, dpi=110 if n <= 25 else 72, format="png")
    plt.close(fig)
    return path


def comparison_png(rows: list[dict], metric: str, path: str | os.PathLike, title: str,
                   baselines: Sequence[str] = (), greater_is_better: bool = True) -> Path:
    """Horizontal bars of the primary metric per model, best at the top (baselines in grey),
    annotated with latency and size."""
    plt = pyplot()
    rows = sorted(rows, key=lambda r: r[metric] if greater_is_better else -r[metric])
    names = [r["model"] for r in rows]
    values = [r[metric] for r in rows]
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(rows) + 1.8))
    bars = ax.barh(names, values, color=["#bbbbbb" if n in set(baselines) else "#4c72b0" for n in names])
    for bar, row in zip(bars, rows):
        ax.text(bar.get_width() + 0.005 * max(1.0, bar.get_width()), bar.get_y() + bar.get_height() / 2,
                f"{row[metric]:.3f}  ({row['latency_ms_per_1k']:.0f} ms/1k, {row['size_bytes'] / 1e6:.1f} MB)",
                va="center", fontsize=8)
    top = max([v for v in values if np.isfinite(v)], default=1.0)
    ax.set_xlim(0, 1.25 if top <= 1 else top * 1.35)  # scores in [0, 1]; RMSE in the target's units
    ax.set_xlabel(f"dev {metric}" + ("" if greater_is_better else " (lower is better)"))
    ax.set_title(title)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)
    return path


def per_class_report(y_true: Sequence, y_pred: Sequence, labels: Sequence[str]) -> list[dict]:
    """Precision, recall, F1 and support per class, worst F1 first."""
    from sklearn.metrics import precision_recall_fscore_support

    labels = list(labels)
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0)
    rows = [
        {"class": label, "precision": round(float(p), 4), "recall": round(float(r), 4),
         "f1": round(float(f), 4), "support": int(s)}
        for label, p, r, f, s in zip(labels, precision, recall, f1, support)
    ]
    return sorted(rows, key=lambda row: (row["f1"], -row["support"]))


def per_label_report(y_true: Sequence, y_pred: Sequence, labels: Sequence[str]) -> list[dict]:
    """Multi-label: precision, recall, F1 and support (rows carrying it) per label, worst F1 first."""
    from sklearn.metrics import precision_recall_fscore_support

    from textml.evaluation.targets import indicator

    labels = list(labels)
    if not labels:
        return []
    precision, recall, f1, support = precision_recall_fscore_support(
        indicator(y_true, labels), indicator(y_pred, labels), zero_division=0)
    rows = [
        {"class": label, "precision": round(float(p), 4), "recall": round(float(r), 4),
         "f1": round(float(f), 4), "support": int(s)}
        for label, p, r, f, s in zip(labels, precision, recall, f1, support)
    ]
    return sorted(rows, key=lambda row: (row["f1"], -row["support"]))


def _save(fig, path, dpi: int = 110) -> Path:
    plt = pyplot()
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=dpi, format="png")
    plt.close(fig)
    return path


def f1_support_png(report: list[dict], path: str | os.PathLike, title: str, annotate: int = 12) -> Path:
    """Per-label F1 against support (log scale): readable with hundreds of labels, because each
    label is a dot, and the frequent labels the model gets wrong (what to fix first) are named."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(9, 6))
    support = np.array([max(r["support"], 0) for r in report], dtype=float)
    f1 = np.array([r["f1"] for r in report], dtype=float)
    ax.scatter(np.maximum(support, 0.8), f1, s=14, alpha=0.6, color="#4c72b0")
    # the worst labels among those with enough rows to matter
    frequent = [r for r in report if r["support"] >= max(5, np.median(support) if len(support) else 0)]
    for r in sorted(frequent, key=lambda r: r["f1"])[:annotate]:
        ax.annotate(str(r["class"])[:28], (max(r["support"], 0.8), r["f1"]), fontsize=7,
                    xytext=(4, 2), textcoords="offset points")
    ax.set_xscale("log")
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("support (dev rows with the label, log scale)")
    ax.set_ylabel("F1")
    ax.set_title(title)
    return _save(fig, path)


def label_confusion_png(y_true: Sequence, y_pred: Sequence, labels: Sequence[str], path: str | os.PathLike,
                        title: str, top: int = 30) -> Path:
    """Which tags get mixed up: for the ``top`` most frequent labels, how often a row that
    *misses* label i (true, not predicted) gets label j *spuriously* (predicted, not true),
    as a share of the rows missing i. A bright cell is a pair of tags the model swaps."""
    from textml.evaluation.targets import indicator

    plt = pyplot()
    truth, predicted = indicator(y_true, labels), indicator(y_pred, labels)
    order = np.argsort(-truth.sum(axis=0), kind="stable")[:top]
    names = [str(labels[i])[:28] for i in order]
    missed = ((truth == 1) & (predicted == 0))[:, order].astype(float)
    spurious = ((truth == 0) & (predicted == 1))[:, order].astype(float)
    counts = missed.T @ spurious
    totals = missed.sum(axis=0)[:, None]
    share = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    n = len(order)
    side = min(max(6.0, 0.3 * n + 3), 16.0)
    fig, ax = plt.subplots(figsize=(side + 1.5, side))
    image = ax.imshow(share, cmap="Reds", vmin=0, vmax=max(share.max(), 1e-9), interpolation="nearest")
    font = max(5.0, min(9.0, 200.0 / max(n, 1)))
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))
    ax.set_xticklabels(names, rotation=90, fontsize=font)
    ax.set_yticklabels(names, fontsize=font)
    ax.set_xlabel("predicted instead (spurious label)")
    ax.set_ylabel("missed label")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of the rows missing the label")
    return _save(fig, path, dpi=90)


def regression_png(y_true: Sequence, y_pred: Sequence, path: str | os.PathLike, title: str) -> Path:
    """Three panels: the distribution of the truth against that of the predictions (same bins,
    overlaid), predicted against true with the diagonal, and residuals against the prediction."""
    plt = pyplot()
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6))
    low = float(min(y_true.min(), y_pred.min())) if len(y_true) else 0.0
    high = float(max(y_true.max(), y_pred.max())) if len(y_true) else 1.0
    bins = np.linspace(low, high if high > low else low + 1, 40)
    axes[0].hist(y_true, bins=bins, alpha=0.55, label="truth", color="#4c72b0")
    axes[0].hist(y_pred, bins=bins, alpha=0.55, label="prediction", color="#dd8452")
    axes[0].set_xlabel("value")
    axes[0].set_ylabel("rows")
    axes[0].legend()
    axes[0].set_title("distribution: truth vs prediction")
    axes[1].scatter(y_true, y_pred, s=4, alpha=0.3)
    axes[1].plot([low, high], [low, high], color="black", linewidth=1)
    axes[1].set_xlabel("true value")
    axes[1].set_ylabel("predicted value")
    axes[1].set_title("predicted vs true")
    axes[2].scatter(y_pred, y_true - y_pred, s=4, alpha=0.3)
    axes[2].axhline(0, color="black", linewidth=1)
    axes[2].set_xlabel("predicted value")
    axes[2].set_ylabel("residual (true - predicted)")
    axes[2].set_title("residuals")
    fig.suptitle(title)
    return _save(fig, path)


def roc_pr_png(is_positive: Sequence, scores: Sequence, path: str | os.PathLike, title: str) -> Path:
    """ROC and precision-recall curves of the positive class's probability."""
    from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score, roc_curve

    plt = pyplot()
    is_positive = np.asarray(is_positive, dtype=bool)
    scores = np.asarray(scores, dtype=float)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.6))
    if 0 < is_positive.sum() < len(is_positive):
        fpr, tpr, _ = roc_curve(is_positive, scores)
        axes[0].plot(fpr, tpr, label=f"AUC {roc_auc_score(is_positive, scores):.3f}")
        precision, recall, _ = precision_recall_curve(is_positive, scores)
        axes[1].plot(recall, precision, label=f"AP {average_precision_score(is_positive, scores):.3f}")
        axes[1].axhline(is_positive.mean(), color="grey", linestyle=":", label="positive share")
    axes[0].plot([0, 1], [0, 1], color="grey", linestyle=":")
    axes[0].set_xlabel("false positive rate")
    axes[0].set_ylabel("true positive rate")
    axes[0].set_title("ROC")
    axes[1].set_xlabel("recall")
    axes[1].set_ylabel("precision")
    axes[1].set_title("precision-recall")
    for ax in axes:
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="lower right" if ax is axes[0] else "upper right", fontsize=8)
    fig.suptitle(title)
    return _save(fig, path)


def model_plots(choice, y_true: Sequence, y_pred: Sequence, labels: Sequence[str], folder: Path, title: str,
                probabilities: np.ndarray | None = None, classes: Sequence | None = None) -> list[Path]:
    """The plots of one model on one split for ``choice.task``, written into ``folder``."""
    from textml.data.dataset import BINARY, MULTILABEL, REGRESSION
    from textml.evaluation.metrics import positive_scores

    folder = Path(folder)
    if choice.task == REGRESSION:
        return [regression_png(y_true, y_pred, folder / "truth_vs_prediction.png", title)]
    if choice.task == MULTILABEL:
        report = per_label_report(y_true, y_pred, labels)
        return [f1_support_png(report, folder / "f1_by_support.png", title),
                label_confusion_png(y_true, y_pred, labels, folder / "label_confusion.png", title)]
    out = [confusion_matrix_png(y_true, y_pred, labels, folder / "confusion_matrix.png", title)]
    if choice.task == BINARY and choice.positive is not None and probabilities is not None:
        is_pos = np.asarray(y_true, dtype=object) == choice.positive
        out.append(roc_pr_png(is_pos, positive_scores(probabilities, classes, choice.positive),
                              folder / "roc_pr.png", title))
    return out
