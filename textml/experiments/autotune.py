"""fastText's own autotune as a tuning strategy for the fasttext pipeline.

fastText searches its hyperparameters against a validation file within a time budget
(optionally under a model-size limit, by quantising). We hand it our train and dev splits
in its format, ask it to optimise the primary metric where it can (``autotuneMetric``: the
positive class's F1 for a binary F1 task; its own overall F1 otherwise, since fastText
has no macro-F1 or average precision), score the model it returns on dev with our primary
metric, and return its hyperparameters so the estimator can be refitted reproducibly.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from pathlib import Path

import numpy as np

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


@contextlib.contextmanager
def _captured_stderr(path: Path):
    """fastText's C++ autotune prints its progress (and its own "Best score", which is not our
    metric) straight to file descriptor 2 whatever ``verbose`` says: send it to ``path``."""
    import sys

    sys.stderr.flush()
    saved = os.dup(2)
    with open(path, "wb") as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield path
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _trial_count(log: str) -> int:
    counts = re.findall(r"Trials:\s*(\d+)", log)
    return int(counts[-1]) if counts else 0


def autotune_metric(choice) -> tuple[str, str]:
    """fastText's ``autotuneMetric`` for our primary metric, and what it means."""
    if choice.name == "f1" and choice.positive is not None:
        return f"f1:{encode_label(choice.positive)}", f"F1 of {choice.positive!r} (the primary metric)"
    return "f1", f"fastText's overall F1 (it cannot optimise {choice.name}; the result is scored with {choice.name})"


def _write(path: Path, texts, labels, normalize: bool) -> None:
    from textml.data.formats import write_fasttext

    write_fasttext(path, texts, labels, clean=lambda text: clean_text(text, normalize))


SIZE_FACTOR = 4  # default size limit: 4x the default model (unbounded autotune picked a 2.6 GB model for +0.005)


def default_size_limit(default_model) -> str:
    """fastText's ``autotuneModelSize`` when none is given: 4x the fitted default model."""
    estimator, _ = _find_fasttext(default_model)
    with tempfile.TemporaryDirectory(prefix="textml-autotune-") as tmp:
        path = Path(tmp) / "default.bin"
        estimator.model_.save_model(str(path))
        return f"{max(1, round(SIZE_FACTOR * path.stat().st_size / 1e6))}M"


def fasttext_autotune(context, model, seconds: int, model_size: str | None, default_model=None):
    """Run fastText's autotune on the context's train/dev; return (best params for ``model``, [Trial]).

    Without ``model_size`` the search is limited to 4x the size of ``default_model`` (fastText
    quantises to stay under it)."""
    import fasttext

    from textml.experiments.runner import predict_and_score
    from textml.experiments.tune import Trial

    estimator, prefix = _find_fasttext(model)
    choice, split = context.choice, context.split
    if not model_size and default_model is not None:
        model_size = default_size_limit(default_model)
    metric, meaning = autotune_metric(choice)
    with tempfile.TemporaryDirectory(prefix="textml-autotune-") as tmp:
        train_file, dev_file = Path(tmp) / "train.txt", Path(tmp) / "dev.txt"
        _write(train_file, split.train.texts, split.train.labels, estimator.normalize)
        _write(dev_file, split.dev.texts, split.dev.labels, estimator.normalize)
        context.say(f"fastText autotune: {seconds}s budget, optimising {meaning}"
                    + (f", model size <= {model_size}" if model_size else ""))
        options = {"autotuneValidationFile": str(dev_file), "autotuneDuration": int(seconds),
                   "autotuneMetric": metric, "thread": os.cpu_count() or 1, "verbose": 0}
        if model_size:
            options["autotuneModelSize"] = model_size
        start = time.perf_counter()
        with _captured_stderr(Path(tmp) / "autotune.log") as log:
            native = fasttext.train_supervised(input=str(train_file), **options)
        elapsed = time.perf_counter() - start
        trials = _trial_count(log.read_text(encoding="utf-8", errors="replace"))
        args = native.f.getArgs()
        found = {name: getattr(args, name) for name in TUNED_ARGS}
        found["loss"] = str(found["loss"]).rsplit(".", 1)[-1]
        # score fastText's own result (quantised, if asked) with our primary metric
        shell = FastTextClassifier(**estimator.get_params())
        shell.classes_ = np.unique(np.asarray(split.train.labels, dtype=object))
        shell.model_ = native
        dev_score = predict_and_score(shell, split.dev, choice)[1][choice.name]
        size = Path(tmp) / "autotuned.bin"
        native.save_model(str(size))
        found_params = {f"{prefix}{k}": (int(v) if isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                                         else float(v) if isinstance(v, float) else v) for k, v in found.items()}
        trial = Trial("autotune", found_params, float(dev_score), elapsed)
        trial.extra = {"autotuned_size_bytes": size.stat().st_size, "autotune_trials": trials}
    context.tracker.set_tags({"textml.autotune_metric": metric, "textml.autotune_model_size": model_size or ""})
    context.say(f"fastText autotune: {trials} trials; dev {choice.name} {dev_score:.4f}, "
                f"model {trial.extra['autotuned_size_bytes'] / 1e6:.1f} MB"
                + (f" (limit {model_size})" if model_size else "") + f", with {found}")
    return found_params, [trial]
