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


def confusion_matrix_png(y_true: Sequence, y_pred: Sequence, labels: Sequence[str],
                         path: str | os.PathLike, title: str) -> Path:
    """Row-normalised confusion matrix (each row: where that true class's rows went).

    Scales with the number of classes: the figure grows, fonts shrink, and cell values are
    printed only when they stay readable, so 50+ classes remain legible.
    """
    from sklearn.metrics import confusion_matrix

    plt = pyplot()
    labels = list(labels)
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
                   baselines: Sequence[str] = ()) -> Path:
    """Horizontal bars of the primary metric per model (baselines in grey), annotated with
    latency and size."""
    plt = pyplot()
    rows = sorted(rows, key=lambda r: r[metric])
    names = [r["model"] for r in rows]
    values = [r[metric] for r in rows]
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(rows) + 1.8))
    bars = ax.barh(names, values, color=["#bbbbbb" if n in set(baselines) else "#4c72b0" for n in names])
    for bar, row in zip(bars, rows):
        ax.text(bar.get_width() + 0.005, bar.get_y() + bar.get_height() / 2,
                f"{row[metric]:.3f}  ({row['latency_ms_per_1k']:.0f} ms/1k, {row['size_bytes'] / 1e6:.1f} MB)",
                va="center", fontsize=8)
    ax.set_xlim(0, 1.25)
    ax.set_xlabel(f"dev {metric}")
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
