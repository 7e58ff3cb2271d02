"""Fit compare's pipelines in worker processes, largest first, one BLAS thread each.

Workers only fit, score and time (``runner.fit_and_evaluate``) and send the
:class:`~textml.experiments.runner.ModelResult` back, model included (every registry model
pickles, native fastText and gensim parts too). The main process opens the child runs and
logs them (``runner.log_result``) as each result arrives, so the MLflow store is written
by one process and every child run is logged once, under the parent, exactly as the
sequential path logs it. Logging one result overlaps the fits still running.

A worker sends its :class:`Fitted` as pickled bytes, which the caller's thread unpickles:
loky unpickles what a worker sends in its manager thread, and unpickling a model imports its
modules (fastText's extension: a dlopen under the dynamic loader's lock, holding the GIL)
while the main thread may be in threadpoolctl's library scan (a callback into Python under
that lock: importing skops makes scikit-learn scan), and the two deadlock (a compare of
fasttext and bow-nb hung so in CI, once in 14 runs with scikit-learn 1.6).

joblib's loky workers, not ``multiprocessing``: they start without re-importing the
caller's ``__main__`` (a script or notebook calling ``textml.compare`` needs no
``if __name__ == "__main__"`` guard), a worker killed by the kernel (out of memory) is an
error instead of a hang, and an interrupt terminates them at once.
"""

from __future__ import annotations

import re
import statistics
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from textml.experiments.context import BLAS_THREADS, blas_threads  # noqa: F401 - compare imports them from here
from textml.experiments.runner import ModelResult

UNKNOWN_COST = None  # a pipeline whose registry entry states no fit time: the median of the others


def expected_seconds(name: str) -> float | None:
    """The fit time a registry entry states in its ``cost`` note ("25-45 s fit": 35; "instant":
    0), or None when it states none (a plugin, a regression pipeline)."""
    from textml.models.registry import get_spec

    cost = get_spec(name).cost.lower()
    if cost.startswith("instant"):
        return 0.0
    found = re.search(r"(\d+(?:\.\d+)?)(?:\s*-\s*(\d+(?:\.\d+)?))?\s*s\b", cost)
    if not found:
        return UNKNOWN_COST
    low, high = float(found.group(1)), float(found.group(2) or found.group(1))
    return (low + high) / 2


def by_expected_cost(names: Sequence[str]) -> list[str]:
    """``names``, the longest expected fit first (longest-processing-time scheduling): with the
    largest fits started first, the last worker to finish ends with a short one, not with
    bow-char-svm's 36 s alone on one core (Debian, 2 cores) while the other core idles."""
    costs = {name: expected_seconds(name) for name in names}
    known = [c for c in costs.values() if c is not None]
    fallback = statistics.median(known) if known else 0.0
    return sorted(names, key=lambda n: -(costs[n] if costs[n] is not None else fallback))


@dataclass
class Fitted:
    """One worker's answer: the result, or the exception its fit raised (re-raised by the
    main process inside the child run, so the run ends FAILED and the failure reads as in
    the sequential path)."""

    name: str
    result: ModelResult | None = None
    error: BaseException | None = None

    def unwrap(self) -> ModelResult:
        if self.error is not None:
            raise self.error
        return self.result


_CONTEXT: dict = {}  # the worker's RunContext of the spec it last served: the split is read once per worker


def _context(spec):
    from textml.experiments.context import RunContext

    key = spec.to_toml()
    if key not in _CONTEXT:
        _CONTEXT.clear()  # loky reuses its workers across calls: hold one split, not one per call
        _CONTEXT[key] = RunContext(spec)
    return _CONTEXT[key]


def _portable(exc: Exception) -> Exception:
    """``exc`` if it survives pickling (textml's errors and the builtins do), else a
    RuntimeError with its text, so a failure never becomes a broken worker pool."""
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001 - any exception can fail to pickle in its own way
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def fit_pipeline(spec, name: str, final: bool) -> Fitted:
    """In a worker: fit registry pipeline ``name`` with the spec's seed and options (no
    params: the defaults, as compare fits them), score it on dev (and test when ``final``)."""
    import signal

    from textml.experiments.runner import fit_and_evaluate

    try:  # Ctrl-C reaches the whole process group: the main process stops the workers
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread of the worker (another joblib backend)
        pass
    context = _context(spec)
    try:
        return Fitted(name, fit_and_evaluate(context, name, context.make_model(name, params={}), final=final))
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - reported by the main process as the sequential path reports it
        return Fitted(name, error=_portable(exc))


def _pickled(job: Callable, *args) -> bytes:
    """In a worker: ``job(*args)`` pickled, for the caller's thread to unpickle (see the module doc)."""
    import pickle

    return pickle.dumps(job(*args), protocol=pickle.HIGHEST_PROTOCOL)


def fit_in_workers(spec, names: Sequence[str], n_jobs: int, final: bool = False,
                   job: Callable = fit_pipeline) -> Iterator[Fitted]:
    """Fit ``names`` in ``n_jobs`` worker processes, submitted largest expected fit first,
    yielding each :class:`Fitted` as it completes, with :data:`BLAS_THREADS` BLAS and OpenMP
    threads per worker. A worker that dies
    makes every pipeline not yet reported a failure; an interrupt (or closing the iterator)
    terminates the workers before it propagates."""
    import pickle

    from joblib import Parallel, delayed, parallel_config
    from joblib.externals.loky.process_executor import TerminatedWorkerError

    order = by_expected_cost(names)
    done: set[str] = set()
    with parallel_config(backend="loky", inner_max_num_threads=BLAS_THREADS):
        # batch_size=1: one pipeline per task, dispatched in ``order`` as workers free up
        tasks = Parallel(n_jobs=n_jobs, return_as="generator_unordered", batch_size=1, pre_dispatch="n_jobs")(
            delayed(_pickled)(job, spec, name, final) for name in order)
        try:
            for sent in tasks:
                fitted = pickle.loads(sent)
                done.add(fitted.name)
                yield fitted
        except TerminatedWorkerError as exc:
            first = str(exc).splitlines()[0][:200]
            for name in order:
                if name not in done:
                    yield Fitted(name, error=RuntimeError(f"its worker process died ({first}); out of memory?"))
        finally:
            # closed early (an interrupt, or an error while the caller logs a result): joblib
            # kills the running workers now, not when the traceback is freed at exit
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # joblib's "generator not fully consumed"
                tasks.close()
