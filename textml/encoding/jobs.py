"""Batch encode and predict: one job description, two engines (local processes or Spark).

:func:`encode_file` turns every text of a file into a vector, :func:`predict_file` into
its top-k labels. Both read the input in chunks, keep the input's order and ids, and
write their output under a temporary name that is renamed only when complete.
"""

from __future__ import annotations

import numbers
import os
import re
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

from textml.data.formats import DEFAULT_CHUNK_SIZE, Columns, detect_format
from textml.exceptions import ConfigError, DataError

ENGINES = ("local", "spark")


@dataclass
class Job:
    """Everything an engine needs: what to read, what to run on each text, where to write."""

    kind: str  # "encode" or "predict"
    input: Path
    out: Path
    spec: object  # EncoderSpec or PredictorSpec
    fmt: str
    columns: Columns = Columns(label=None)
    encoding: str = "utf-8"
    chunk_size: int = DEFAULT_CHUNK_SIZE
    skip_bad: bool = False
    out_format: str = ""

    def fingerprint(self) -> dict:
        """What must not change between an interrupted run and its --resume."""
        stat = self.input.stat()
        return {
            "kind": self.kind,
            "input": {"path": str(self.input.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns},
            "format": self.fmt,
            "columns": asdict(self.columns),
            "encoding": self.encoding,
            "chunk_size": self.chunk_size,
            "model": self.spec.describe(),
            "out_format": self.out_format,
        }


@dataclass
class JobResult:
    """What a job did: where it wrote, how many rows it wrote and skipped, how fast."""

    outputs: list[Path]
    rows: int
    skipped: int
    bad_examples: list[str] = field(default_factory=list)
    chunks: int = 0
    resumed_chunks: int = 0
    seconds: float = 0.0
    engine: str = "local"
    workers: int = 1
    dim: int | None = None
    sparse: bool | None = None
    score_name: str | None = None
    task: str | None = None  # predict: "single", "multilabel" or "regression"

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict:
        out = asdict(self)
        out["outputs"] = [str(p) for p in self.outputs]
        out["rows_per_second"] = self.rows_per_second
        return out


def default_jobs() -> int:
    """All the cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def check_n_jobs(n_jobs) -> int:
    """The number of worker processes: -1 or None (every core) or 1..cores, else a one-line refusal.

    Like :func:`textml.experiments.tune.check_n_jobs`, but more workers than cores is refused
    rather than capped: a batch job started that way only makes its workers fight for the cores.
    """
    cores = default_jobs()
    if n_jobs is None or (not isinstance(n_jobs, bool) and n_jobs == -1):
        return cores
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral) or not 1 <= n_jobs <= cores:
        zero = " (0 is no workers at all)" if not isinstance(n_jobs, bool) and n_jobs == 0 else ""
        raise ConfigError(f"--n-jobs must be -1 for all cores, or a whole number from 1 to {cores} (the cores "
                          f"this process may use), got {n_jobs!r}{zero}")
    return int(n_jobs)


MASTER_URL = re.compile(r"local(\[(\*|\d+)(,\d+)?\])?|local-cluster\[[\d, ]+\]|yarn|[a-z][a-z0-9+.-]*://\S+")


def check_master(master: str | None) -> None:
    """Refuse a --master that is no Spark master URL in one line, before a JVM is started."""
    if master is not None and not MASTER_URL.fullmatch(master.strip()):
        raise ConfigError(f"--master {master!r} is not a Spark master URL; use local[N], spark://HOST:PORT, yarn, "
                          f"k8s://HOST:PORT or sc://HOST (Spark Connect)")


def check_options(engine: str, n_jobs, resume: bool, force: bool, master, chunk_size) -> None:
    """Refuse meaningless or contradictory options in one line, before any model or file is read."""
    if engine not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r}; choose local or spark")
    if resume and force:
        raise ConfigError("--resume and --force contradict each other: --resume continues the interrupted run "
                          "where it stopped, --force discards it and starts over; pass one of them")
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, numbers.Integral) or chunk_size < 1:
        raise ConfigError(f"--chunk-size must be a whole number of rows, at least 1, got {chunk_size!r}")
    if engine == "local":
        if master is not None:
            raise ConfigError(f"--master {master} applies to --engine spark only; the local engine runs worker "
                              f"processes on this machine (set how many with --n-jobs), or add --engine spark")
        check_n_jobs(n_jobs)
        return
    check_master(master)
    if resume:
        raise ConfigError("--resume applies to the local engine; Spark retries failed tasks itself "
                          "(run the job again to redo it)")
    if n_jobs is not None:
        raise ConfigError("--n-jobs applies to the local engine; with --engine spark the parallelism is "
                          "Spark's (e.g. --master local[4] for 4 cores)")


def check_output(kind: str, out: Path, out_format: str, worker) -> None:
    """Refuse outputs that cannot hold the worker's result (e.g. sparse TF-IDF as a dense .npy)."""
    if kind != "encode":
        if out_format in ("csv", "tsv") and hasattr(worker, "check_separator"):
            worker.check_separator()  # multi-label labels joined in one cell must split back
        return
    if worker.sparse and out_format == "npy":
        raise ConfigError(f"{worker.label} gives sparse vectors ({worker.dim:,} dimensions); a dense .npy "
                          f"would hold every zero: write .npz or .parquet")
    if not worker.sparse and out_format == "npz":
        raise ConfigError(f"{worker.label} gives dense vectors; .npz holds sparse matrices: write .npy or .parquet")


def _check_input(input, kind: str) -> Path:
    """The input file, refused in one line if it is missing, a folder or a pipe (before any
    model is fetched, and without opening it: a FIFO would block)."""
    from textml.data.formats import check_exists

    input = Path(input)
    if not input.exists():
        raise DataError(f"input file not found: {input}")
    if input.is_dir():
        raise DataError(f"{input} is a folder; pass the file to {kind}")
    check_exists(input)  # a pipe or a device
    return input


def _prepare(kind, input, out, spec, engine, fmt, columns, encoding, chunk_size, skip_bad) -> Job:
    from textml.encoding.outputs import output_format

    input, out = _check_input(input, kind), Path(out)
    if out.resolve() == input.resolve():
        raise ConfigError(f"--out {out} is the input file; choose another name")
    columns = Columns(text=columns.text, label=None, id=columns.id)
    fmt = detect_format(input, fmt)
    if engine == "spark" and out.suffix.lower() in ("", ".parquet", ".pq"):
        out_format = "parquet"  # Spark writes a folder of Parquet part files
    else:
        out_format = output_format(out, kind)
    return Job(kind=kind, input=input, out=out, spec=spec, fmt=fmt, columns=columns, encoding=encoding,
               chunk_size=chunk_size, skip_bad=skip_bad, out_format=out_format)


def _run(job: Job, engine: str, n_jobs, resume, force, progress, master, spark) -> JobResult:
    try:
        if engine == "spark":
            from textml.encoding.spark import run_spark

            return run_spark(job, force=force, progress=progress, master=master, spark=spark)
        from textml.encoding.local import run_local

        return run_local(job, n_jobs=n_jobs, resume=resume, force=force, progress=progress)
    finally:
        job.spec.cleanup()


def encode_file(
    input: str | os.PathLike,
    encoder,
    out: str | os.PathLike,
    *,
    engine: str = "local",
    fmt: str | None = None,
    columns: Columns = Columns(label=None),
    encoding: str = "utf-8",
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    n_jobs: int | None = None,
    resume: bool = False,
    skip_bad: bool = False,
    force: bool = False,
    pooling: str | None = None,
    idf: str | None = None,
    tracking_uri: str | None = None,
    trust_pickle: bool = False,
    master: str | None = None,
    spark=None,
    progress: bool = True,
) -> JobResult:
    """Encode every text of ``input`` with ``encoder`` (``NAME[:PATH]`` or an EncoderSpec) into ``out``.

    ``out`` ends in .npy (dense), .npz (sparse) or .parquet (id + vector). Rows keep the
    input's order; .npy/.npz outputs get their ids in ``OUT.ids.txt``. Empty texts
    and malformed rows stop the job with a message naming the line, unless ``skip_bad``.
    ``trust_pickle`` lets the encoder load .joblib/.pkl files and old model.joblib folders,
    which can run any code when loaded (without it they are refused before being read).
    """
    from textml.encoding.encoders import EncoderSpec, resolve_encoder

    check_options(engine, n_jobs, resume, force, master, chunk_size)
    _check_input(input, "encode")
    spec = encoder if isinstance(encoder, EncoderSpec) else resolve_encoder(
        encoder, pooling=pooling, idf=idf, tracking_uri=tracking_uri, trust_pickle=trust_pickle)
    job = _prepare("encode", input, out, spec, engine, fmt, columns, encoding, chunk_size, skip_bad)
    return _run(job, engine, n_jobs, resume, force, progress, master, spark)


def predict_file(
    model,
    input: str | os.PathLike,
    out: str | os.PathLike,
    *,
    top_k: int = 1,
    label_sep: str | None = None,
    engine: str = "local",
    fmt: str | None = None,
    columns: Columns = Columns(label=None),
    encoding: str = "utf-8",
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    n_jobs: int | None = None,
    resume: bool = False,
    skip_bad: bool = False,
    force: bool = False,
    tracking_uri: str | None = None,
    trust_pickle: bool = False,
    master: str | None = None,
    spark=None,
    progress: bool = True,
) -> JobResult:
    """Predict every text of ``input`` with ``model`` into ``out``: its top-k labels, its label set, or a value.

    ``out`` ends in .csv, .tsv, .jsonl or .parquet. Single-label models: columns ``id, label,
    prob`` and ``label_2, prob_2, ...`` up to ``top_k``. Multi-label models: ``id, label`` (the
    labels the model sets: a list, in CSV/TSV joined by ``label_sep``, default ``|``) and
    ``prob_NAME`` per label. Regression models: ``id, value``. ``trust_pickle``: as for
    :func:`encode_file`.
    """
    from textml.encoding.outputs import output_format
    from textml.encoding.predictors import PredictorSpec, check_label_sep, resolve_predictor

    check_options(engine, n_jobs, resume, force, master, chunk_size)
    if label_sep is not None:
        check_label_sep(label_sep, "parquet" if engine == "spark" else output_format(out, "predict"))
    _check_input(input, "predict")
    spec = model if isinstance(model, PredictorSpec) else resolve_predictor(
        model, top_k, tracking_uri, trust_pickle=trust_pickle, label_sep=label_sep)
    job = _prepare("predict", input, out, spec, engine, fmt, columns, encoding, chunk_size, skip_bad)
    return _run(job, engine, n_jobs, resume, force, progress, master, spark)


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
