"""The experiment context: what every command needs from its run spec, in one place.

``RunContext(spec)`` loads and validates the split, chooses the primary metric (honouring
the spec), opens the MLflow experiment, builds registry pipelines with the spec's options,
seed and parameter overrides, fits them turning library errors into textml's one-line
errors, and opens runs that log the spec (``run.toml``), the metric choice and the data's
hashes, and record whether the test split was read. A command (train, compare, tune,
diagnose, errors, evaluate) adds only its own job::

    context = RunContext(spec, progress=print)
    model = context.make_model()
    with context.run(spec.model.name):
        context.fit(model)
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from textml.data.dataset import REGRESSION
from textml.exceptions import ConfigError, DataError, TextmlError
from textml.experiments.spec import SPEC_FILE, PipelineSpec, RunSpec, coerce_params

Progress = Callable[[str], None]


def silent(message: str) -> None:
    """The progress sink of the Python API: says nothing."""


class RunContext:
    """A run spec made concrete. Everything is built lazily, once, on first use."""

    def __init__(self, spec: RunSpec, progress: Progress | None = None):
        self.spec = spec
        self.say: Progress = progress or silent

    # ---------------------------------------------------------------------- data

    @functools.cached_property
    def split(self):
        """The validated split: train and dev are read (and checked) now, test only on request."""
        split = self.spec.data.load()
        _ = split.train, split.dev  # reading them validates them, before any work
        return split

    def read_test(self):
        """The test split, read only when the command was asked to (and recorded in the run)."""
        data = self.split.read_test()
        with contextlib.suppress(Exception):
            import mlflow

            if mlflow.active_run() is not None:
                mlflow.set_tag("textml.test_read", "True")
        return data

    @property
    def test_requested(self) -> bool:
        return bool(self.spec.settings.get("final", False))

    def train_dev_folds(self):
        """``(texts, targets, cv)``: train then dev rows (targets shaped for the task), with a
        scikit-learn PredefinedSplit that fits on train and scores on dev, for sklearn's
        searches and learning curves."""
        import numpy as np
        from sklearn.model_selection import PredefinedSplit

        train, dev = self.split.train, self.split.dev
        folds = np.r_[np.full(len(train), -1), np.zeros(len(dev), dtype=int)]
        y = self.targets(train)
        y = list(y) + list(self.targets(dev))
        if self.choice.task == REGRESSION:
            y = np.asarray(y, dtype=np.float64)
        return list(train.texts) + list(dev.texts), y, PredefinedSplit(folds)

    def targets(self, data):
        """``data``'s labels shaped as the task's models take them (tuples, floats or strings)."""
        from textml.evaluation.targets import targets

        return targets(data.labels, self.choice.task, data.source or "the data")

    def datasets(self) -> dict[str, tuple[str, str, str]]:
        """``{context: (path, sha256, name)}`` of the files this run reads (test only when asked)."""
        hashes = {key.removeprefix("data.").removesuffix("_sha256"): value for key, value in self.data_tags().items()}
        names = ("train", "dev", "test") if self.test_requested else ("train", "dev")
        return {name: (str(self.split.paths[name]), hashes[name], f"{self.split.name}/{name}")
                for name in names if name in self.split.paths and name in hashes}

    @functools.cached_property
    def _data_tags(self) -> dict[str, str]:
        split = self.split
        overridden = any(getattr(self.spec.data, name) for name in ("train", "dev", "test"))
        if split.manifest and not overridden:  # a file given beside the folder is not the manifest's
            hashes = {name: info["sha256"] for name, info in split.manifest["splits"].items()}
            hashes["source"] = split.manifest["source"]["sha256"]
        else:
            hashes = split.hashes()
        return {f"data.{name}_sha256": value for name, value in hashes.items()}

    def data_tags(self) -> dict[str, str]:
        """sha256 of each data file (from the split's manifest when it has one), hashed once."""
        return dict(self._data_tags)

    # -------------------------------------------------------------------- metric

    @functools.cached_property
    def choice(self):
        """The primary metric: the spec's, else chosen from the task of the training labels."""
        from textml.evaluation.metrics import choose_metric

        choice = choose_metric(self.split.train.labels, self.spec.metric, self.spec.task)
        self._check_labels(choice.task)
        return choice

    def _check_labels(self, task: str) -> None:
        """Training labels a model can learn from, and dev labels it can be scored on: a one-line
        DataError before any fit, or a warning for dev labels that training never shows."""
        from textml.data.dataset import MULTILABEL, label_sets
        from textml.evaluation.targets import targets

        train, dev = self.split.train, self.split.dev
        if task == REGRESSION:
            values = targets(train.labels, task, f"{train.source} (train)")
            targets(dev.labels, task, f"{dev.source} (dev)")
            if len(set(values.tolist())) < 2:
                raise DataError(f"{train.source}: every training row has the same target ({values[0]:g}); "
                                f"a regression needs at least two different values")
            return
        seen = ({x for row in label_sets(train.labels) for x in row} if task == MULTILABEL
                else {label for label in train.labels if label is not None})
        if task != MULTILABEL and len(seen) < 2:
            only = next(iter(seen), None)
            raise DataError(f"{train.source}: every training row has the label {only!r}; a classifier needs at "
                            f"least two classes (check --label-col, and the file with `textml data check`)")
        if task == MULTILABEL and not seen:
            raise DataError(f"{train.source}: no training row has a label; check --label-col (and --label-sep)")
        dev_labels = label_sets(dev.labels) if task == MULTILABEL else [(label,) for label in dev.labels]
        unseen = sorted({x for row in dev_labels for x in row if x is not None} - seen)
        if unseen:
            rows = sum(1 for row in dev_labels if any(x in unseen for x in row))
            shown = ", ".join(map(repr, unseen[:5])) + (f" and {len(unseen) - 5} more" if len(unseen) > 5 else "")
            self.say(f"warning: {rows:,} dev rows carry labels the training split never shows ({shown}); no "
                     f"model can predict them, so they count as errors (`textml data split` keeps classes "
                     f"with 3+ rows in every split)")

    # ------------------------------------------------------------------ tracking

    @functools.cached_property
    def experiment_name(self) -> str:
        """The spec's experiment, else MLFLOW_EXPERIMENT_NAME, else one experiment per dataset."""
        import os

        return self.spec.tracking.experiment or os.environ.get("MLFLOW_EXPERIMENT_NAME") or self.split.name

    @functools.cached_property
    def tracker(self):
        from textml.tracking import Tracker

        if self._opening is not None:  # opened by open_tracker_meanwhile(): its errors surface here
            return self._opening.result()
        return Tracker(self.experiment_name, self.spec.tracking.uri)

    _opening = None  # a Future of the Tracker being opened in a thread (open_tracker_meanwhile)
    _open_at_fit = None  # the function that starts that thread, called by the next fit

    def open_tracker_meanwhile(self) -> None:
        """Open the MLflow store in a thread, with the modules logging will need, while the next
        :meth:`fit` runs: importing MLflow, skops and matplotlib and opening a SQLite store take
        ~3.5 s of a `train` (bow-svm on Debian: 8.2 s of overhead around a 5.4 s fit), and the
        fit's solvers release the GIL, so the two share the second core.

        The thread starts inside the fit's BLAS limit, after threadpoolctl's scan of the loaded
        libraries: that scan calls back into Python while it holds the dynamic loader's lock, and
        an import in another thread loads an extension (dlopen: the loader's lock) while it holds
        the GIL, so the two deadlock (a `train` hung so in CI). For the same reason the scan
        scikit-learn makes once per process, when the thread's import of skops first needs it,
        is made here first (:func:`scan_libraries_for_sklearn`): in the thread it would overlap
        a fit that imports an extension (fastText's, spaCy's).

        Only for a store on this machine: a tracking server that is down must fail before a
        long fit, not after. Timings (:meth:`settle`) wait for the thread."""
        from textml.tracking import is_remote_uri, resolve_uri

        if self._opening is not None or "tracker" in self.__dict__ or is_remote_uri(
                resolve_uri(self.spec.tracking.uri)):
            return
        experiment = self.experiment_name  # reads the split here, not in the thread

        def open_tracker():
            from textml.tracking import Tracker, warm_up_logging

            tracker = Tracker(experiment, self.spec.tracking.uri)
            warm_up_logging()
            return tracker

        def start() -> None:
            import concurrent.futures

            self._open_at_fit = None
            scan_libraries_for_sklearn()
            executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="textml-tracker")
            self._opening = executor.submit(open_tracker)
            executor.shutdown(wait=False)

        self._open_at_fit = start

    def settle(self) -> None:
        """Wait for background work (:meth:`open_tracker_meanwhile`) so that it does not share the
        CPU with what is timed next (latency); its errors are raised when the tracker is used."""
        if self._opening is not None:
            import concurrent.futures

            concurrent.futures.wait([self._opening])

    @functools.cached_property
    def resolved_spec(self) -> RunSpec:
        """The spec as it ran: absolute data paths, the tracking URI and experiment in force."""
        from textml.experiments.spec import TrackingSpec

        return self.spec.replace(data=self.spec.data.resolved(),
                                 tracking=TrackingSpec(self.tracker.uri, self.experiment_name))

    def spec_for(self, model: str, params: Mapping[str, Any] | None = None, command: str = "train",
                 settings: Mapping[str, Any] | None = None) -> RunSpec:
        """The spec of one pipeline's run within this command (a compare child, a tune trial):
        a ``train`` of that pipeline on the same data, seed and metric, so it can be rerun alone."""
        options = self._options_for(model)
        return self.resolved_spec.replace(
            command=command, model=PipelineSpec(model, options, dict(params or {})),
            settings=dict(settings if settings is not None else {"final": self.test_requested}))

    @contextlib.contextmanager
    def run(self, name: str, *, model: str | None = None, spec: RunSpec | None = None, nested: bool = False,
            tags: Mapping[str, Any] | None = None, log_choice: bool = True) -> Iterator[str]:
        """An MLflow run holding the spec (``run.toml``), the data hashes and the metric choice."""
        spec = spec or self.resolved_spec
        standard = {"textml.command": spec.command if not nested else self.spec.command,
                    "textml.test_read": self.test_requested, **self.data_tags()}
        if model:
            standard["textml.model"] = model
        with self.tracker.run(name, nested=nested, tags={**standard, **(tags or {})}) as run_id:
            self.tracker.log_text(spec.to_toml(), SPEC_FILE)
            self.tracker.log_datasets(self.datasets())
            if log_choice:
                self.tracker.log_params(self.choice.to_dict())
            yield run_id

    # -------------------------------------------------------------------- models

    def _options_for(self, name: str) -> dict:
        """The spec's factory options that pipeline ``name`` takes (compare fits several)."""
        from textml.models.registry import get_spec

        options = dict(self.spec.model.options)
        if self.spec.model.name == name:
            return options  # the spec's own pipeline: an option it lacks is an error worth seeing
        return {k: v for k, v in options.items() if k in get_spec(name).options}

    def make_model(self, name: str | None = None, params: Mapping[str, Any] | None = None):
        """A fresh registry pipeline with the spec's seed and options, and ``params`` (default:
        the spec's overrides) set on it. Unknown names say which exist."""
        from textml.models.registry import get_spec

        name = name or self.spec.model.name
        if not name:
            raise ConfigError("no model given; pass --model NAME (see `textml pipelines list`)")
        params = dict(self.spec.model.params if params is None else params)
        model = get_spec(name).make(seed=self.spec.seed, task=self.choice.task, **self._options_for(name))
        if params:
            valid = model.get_params(deep=True)
            unknown = sorted(set(params) - set(valid))
            if unknown:
                shown = ", ".join(k for k in sorted(valid) if "__" in k and not k.endswith("steps"))[:600]
                raise ConfigError(f"{name} has no parameter {', '.join(unknown)}; it has: {shown}")
            model.set_params(**coerce_params(params, valid))
        return model

    def fit(self, model, texts=None, labels=None, name: str | None = None):
        """``model.fit`` on ``texts``/``labels`` (default: the training split), with library
        errors about the input turned into one-line textml errors."""
        if texts is None:
            texts, labels = self.split.train.texts, self.targets(self.split.train)
        return fit_model(model, texts, labels, name or self.spec.model.name or type(model).__name__,
                         when_limited=self._open_at_fit)


# BLAS/OpenMP threads per fit, everywhere (train, compare's workers and its sequential path,
# diagnose): lbfgs on the embedding pipelines' dense features sums in another order with 2
# threads than with 1 (3,000 bundled titles, w2v-logreg: probabilities up to 0.059 apart; a
# Debian sample: dev macro-F1 0.0085 apart), so one count keeps scores independent of
# --n-jobs, of the core count and of which command fitted the model (a compare child reruns
# as a train with the same scores); and two 2-thread BLAS pools on 2 cores ran lbfgs ~5x
# slower (tag embedding pipelines on a busy machine: 118 s and 165 s, against 15 s and 21 s).
BLAS_THREADS = 1


def blas_threads():
    """Cap BLAS and OpenMP pools at :data:`BLAS_THREADS` (a context manager)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=BLAS_THREADS)


def scan_libraries_for_sklearn() -> None:
    """Make now, on this thread, the threadpoolctl scan of loaded libraries that scikit-learn
    makes once per process and caches (importing skops, or ``sklearn.utils._testing``,
    triggers it), so that it never runs in a thread beside imports (see
    :meth:`RunContext.open_tracker_meanwhile`)."""
    try:
        from sklearn.utils.parallel import _get_threadpool_controller
    except ImportError:  # a scikit-learn that does not cache it: nothing to make early
        return
    _get_threadpool_controller()


def fit_model(model, texts, labels, name: str, when_limited: Callable[[], None] | None = None):
    """Fit (with :data:`BLAS_THREADS`), translating scikit-learn's and fastText's complaints
    about the input. ``when_limited`` is called once the BLAS limit is set, before the fit."""
    from sklearn.utils._param_validation import InvalidParameterError

    try:
        with blas_threads():
            if when_limited is not None:
                when_limited()
            return model.fit(texts, labels)
    except TextmlError:
        raise
    except InvalidParameterError as exc:  # scikit-learn validates parameter values in fit
        raise ConfigError(f"{name}: {str(exc).rstrip('.')}; pass a valid value with --param NAME=VALUE") from None
    except ValueError as exc:
        message = str(exc)
        # sklearn's vectorizers say this when no text holds a single token of their pattern
        # (symbols only, single characters): a plain ValueError with no type of its own
        if "empty vocabulary" in message:
            raise DataError(
                f"{name}: no training text has a word its vectorizer can use (empty vocabulary: symbols or "
                f"one-character tokens only?); try fasttext, or a token_pattern that matches them (--param)"
            ) from None
        if "class" in message and ("only one" in message or "at least 2" in message or "1 class" in message):
            raise DataError(f"{name}: the training data has a single class; a classifier needs at least two "
                            f"(check --label-col and `textml data check`)") from None
        raise _training_error(name, exc) from exc


def _training_error(name: str, exc: Exception):
    from textml.exceptions import TrainingError

    first = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
    return TrainingError(f"{name} could not be trained: {first}")
