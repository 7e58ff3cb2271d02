"""fastText's own autotune as a tuning strategy for the fasttext pipeline.

fastText searches its hyperparameters against a validation file within a time budget
(optionally under a model-size limit, by quantising). We hand it our train and dev splits
in its format, score the model it returns on dev with our primary metric, and return its
hyperparameters so the estimator can be refitted reproducibly.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np

from textml.data.split import Split
from textml.exceptions import ConfigError
from textml.models.fasttext import FastTextClassifier, clean_text, encode_label

TUNED_ARGS = ("lr", "epoch", "dim", "wordNgrams", "minn", "maxn", "loss", "bucket", "minCount")


def _find_fasttext(model) -> tuple[FastTextClassifier, str]:
    """The FastTextClassifier inside ``model`` and the prefix of its params."""
    if isinstance(model, FastTextClassifier):
        return model, ""
    for name, step in getattr(model, "steps", []):
        if isinstance(step, FastTextClassifier):
            return step, f"{name}__"
    raise ConfigError("fasttext-autotune needs a pipeline ending in a FastTextClassifier")


def _write(path: Path, texts, labels) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        for text, label in zip(texts, labels):
            handle.write(f"{encode_label(label)} {clean_text(text)}\n")


def fasttext_autotune(split: Split, model, seconds: int, model_size: str | None,
                      say: Callable[[str], None]):
    """Run fastText's autotune on train/dev; return (best params for ``model``, [Trial])."""
    import fasttext

    from textml.evaluation.metrics import choose_metric, score
    from textml.experiments.tune import Trial

    estimator, prefix = _find_fasttext(model)
    choice = choose_metric(split.train.labels)
    with tempfile.TemporaryDirectory(prefix="textml-autotune-") as tmp:
        train_file, dev_file = Path(tmp) / "train.txt", Path(tmp) / "dev.txt"
        _write(train_file, split.train.texts, split.train.labels)
        _write(dev_file, split.dev.texts, split.dev.labels)
        say(f"fastText autotune: {seconds}s budget" + (f", model size <= {model_size}" if model_size else ""))
        options = {"autotuneValidationFile": str(dev_file), "autotuneDuration": int(seconds),
                   "thread": os.cpu_count() or 1, "verbose": 0}
        if model_size:
            options["autotuneModelSize"] = model_size
        start = time.perf_counter()
        native = fasttext.train_supervised(input=str(train_file), **options)
        elapsed = time.perf_counter() - start
        args = native.f.getArgs()
        found = {name: getattr(args, name) for name in TUNED_ARGS}
        found["loss"] = str(found["loss"]).rsplit(".", 1)[-1]
        # score fastText's own result (quantised, if asked) with our primary metric
        shell = FastTextClassifier(**{k: v for k, v in estimator.get_params().items()})
        shell.classes_ = np.unique(np.asarray(split.train.labels, dtype=object))
        shell.model_ = native
        predicted = shell.predict(split.dev.texts)
        dev_score = score(split.dev.labels, predicted, choice, shell.predict_proba(split.dev.texts),
                          shell.classes_)[choice.name]
        size = Path(tmp) / "autotuned.bin"
        native.save_model(str(size))
        found_params = {f"{prefix}{k}": (int(v) if isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                                         else float(v) if isinstance(v, float) else v) for k, v in found.items()}
        trial = Trial("autotune", found_params, float(dev_score), elapsed)
        trial.extra = {"autotuned_size_bytes": size.stat().st_size}
    say(f"fastText autotune: dev {choice.name} {dev_score:.4f} with {found}")
    return found_params, [trial]
