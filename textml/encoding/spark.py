"""The Spark engine: the same encode/predict job on Apache Spark (``pip install 'textml[spark]'``).

Input: Parquet, CSV or TSV (a file or a folder of them, on any filesystem Spark reads).
Output: a Parquet folder (Spark's part files) with the same columns as the local engine's
Parquet output, written under a temporary name and renamed when complete (for local
paths; on other filesystems Spark's own commit protocol marks completion with _SUCCESS).

The session: the active one if there is one (e.g. in a notebook or a test), else a new
one on ``master`` (``--master``), or a Spark Connect session when ``SPARK_REMOTE`` is set,
or whatever Spark's own configuration says. The model (its files zipped) is shipped
to the executors with ``addFile`` and loaded once per executor Python worker, which Spark
reuses across tasks; the work is done in ``mapInPandas`` batches. Executors need textml
installed, as the driver has it.

Order and ids: rows keep the input's order (file splits in order, no shuffle), and rows
without an id column get their row number, as in the local engine: the rows of each
partition are counted first (one cheap pass), so every row knows its global number.
Empty texts and malformed CSV rows are found in the same pass: the first one stops the
job with its line (or row) number, or with ``skip_bad`` they are filtered out and counted.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import time
import uuid
import warnings
import zipfile
from pathlib import Path

from textml.encoding.jobs import Job, JobResult, check_output
from textml.encoding.reading import MAX_EXAMPLES, unit
from textml.exceptions import ConfigError, DataError

CORRUPT = "_textml_corrupt"
ROW = "_textml_row"
_EXECUTOR_CACHE: dict = {}  # bundle name -> loaded worker, per executor Python process



def spark_job_error(exc: BaseException) -> DataError | None:
    """A failure raised by Spark or Py4J as one textml line (the last line of its long report
    that names an Error), or None for any other exception."""
    if not type(exc).__module__.startswith(("pyspark", "py4j")):
        return None
    lines = str(exc).strip().splitlines()
    detail = next((line for line in reversed(lines) if "Error" in line), lines[0] if lines else "")
    return DataError(f"the Spark job failed: {detail[:500]}")

def quiet_pandas_warning() -> None:
    warnings.filterwarnings("ignore", message=".*PySpark does not yet fully support pandas.*")


@contextlib.contextmanager
def spark_job(spark=None, master: str | None = None, fmt: str | None = None, quiet: bool = True):
    """``(session, staging folder)`` for one job on Spark, and everything around it: the given
    or active session, else a new one on ``master`` (stopped at the end; its log quiet unless
    ``quiet`` is False); CSV column pruning off for a CSV/TSV input (Spark would parse only the
    selected columns and miss rows with too many fields) and put back afterwards; a temporary
    folder for the shipped model, removed afterwards; a failure raised by Spark or Py4J as one
    textml line (textml's own errors pass unchanged)."""
    session, created = (spark, False) if spark is not None else get_session(master)
    if created and quiet:
        try:
            session.sparkContext.setLogLevel("ERROR")
        except Exception:  # noqa: BLE001 - Spark Connect has no SparkContext
            pass
    pruning_key = "spark.sql.csv.parser.columnPruning.enabled"
    delimited = fmt in ("csv", "tsv")
    pruning = session.conf.get(pruning_key, None) if delimited else None
    staging = Path(tempfile.mkdtemp(prefix="textml-ship-"))
    try:
        if delimited:
            session.conf.set(pruning_key, "false")
        yield session, staging
    except (ConfigError, DataError):
        raise
    except Exception as exc:
        error = spark_job_error(exc)
        if error is None:
            raise
        raise error from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if created:
            session.stop()
        elif delimited:
            if pruning is None:
                session.conf.unset(pruning_key)
            else:
                session.conf.set(pruning_key, pruning)


def require_pyspark() -> None:
    """The one-line refusal of the Spark engine without pyspark (as ``encode --engine spark``)."""
    try:
        import pyspark.sql  # noqa: F401
    except ImportError:
        raise ConfigError("the Spark engine needs pyspark: pip install 'textml[spark]'") from None


def get_session(master: str | None = None):
    """The active Spark session, or a new one (``master``, SPARK_REMOTE or Spark's config)."""
    quiet_pandas_warning()
    require_pyspark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active, False
    remote = os.environ.get("SPARK_REMOTE")
    if master is None and not remote or (master or "").startswith("local"):
        # local executors run this interpreter (with textml), not whatever python3 is on PATH
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName("textml")
    if master:
        builder = builder.master(master)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # noqa: BLE001 - Py4J and Spark raise many types for one failed start
        raise ConfigError(f"cannot start a Spark session ({type(exc).__name__}: {str(exc).splitlines()[0][:300]}); "
                          f"check --master, SPARK_REMOTE and that Java 17+ is installed") from None
    return session, True


# --- shipping the model --------------------------------------------------------------------


def bundle_model(spec, folder: Path) -> tuple[Path, dict[str, str]]:
    """Zip the model's files into ``folder``; return the zip and original path -> name inside."""
    name = f"textml-model-{uuid.uuid4().hex[:12]}.zip"
    archive = folder / name
    mapping = {}
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for i, path in enumerate(spec.paths()):
            inner = f"p{i}/{path.name}"
            mapping[str(path)] = inner
            if path.is_dir():
                for file in sorted(p for p in path.rglob("*") if p.is_file()):
                    zf.write(file, f"{inner}/{file.relative_to(path)}")
            else:  # the file and its sidecars (gensim writes NAME.vectors.npy beside NAME)
                for file in [path, *sorted(path.parent.glob(path.name + ".*"))]:
                    if file.is_file():
                        zf.write(file, f"p{i}/{file.name}")
    return archive, mapping


def ship_archive(session, archive: Path) -> None:
    try:
        context = session.sparkContext
    except Exception:  # noqa: BLE001 - Spark Connect has no SparkContext
        context = None
    if context is not None:
        context.addFile(str(archive))
    else:
        session.addArtifacts(str(archive), file=True)


def executor_worker(spec, bundle: str | None, mapping: dict[str, str]):
    """Load the model once per executor Python worker (Spark reuses them across tasks)."""
    key = (bundle, spec)
    worker = _EXECUTOR_CACHE.get(key)
    if worker is not None:
        return worker
    if bundle is not None:
        from pyspark import SparkFiles

        # under Spark's own files folder, which Spark removes when the application ends
        target = Path(SparkFiles.getRootDirectory()) / f"{Path(bundle).stem}-{os.getpid()}"
        if not target.exists():
            tmp = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
            with zipfile.ZipFile(SparkFiles.get(bundle)) as zf:
                zf.extractall(tmp)
            os.replace(tmp, target)
        spec = spec.relocated({orig: str(target / inner) for orig, inner in mapping.items()})
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)  # Spark runs one worker per core
    except ImportError:
        pass
    worker = spec.load()
    _EXECUTOR_CACHE[key] = worker
    return worker


# --- the job ------------------------------------------------------------------------------


def read_input(session, job: Job):
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType

    path = str(job.input)
    if job.fmt == "parquet":
        df = session.read.parquet(path)
        corrupt = None
    elif job.fmt in ("csv", "tsv"):
        options = dict(header=True, sep="," if job.fmt == "csv" else "\t", encoding=job.encoding,
                       mode="PERMISSIVE", columnNameOfCorruptRecord=CORRUPT)
        if job.fmt == "csv":
            options.update(quote='"', escape='"')
        else:
            options.update(quote="")  # TSV: quotes are plain characters, as in the local reader
        header = session.read.options(**{k: v for k, v in options.items() if k != "columnNameOfCorruptRecord"}).csv(path)
        schema = StructType([StructField(c, StringType()) for c in header.columns] + [StructField(CORRUPT, StringType())])
        df = session.read.options(**options).schema(schema).csv(path)
        corrupt = CORRUPT
    else:
        raise ConfigError(f"the Spark engine reads Parquet, CSV or TSV, not {job.fmt}; convert the file "
                          f"(`textml data split` writes Parquet) or use --engine local")
    names = [c for c in df.columns if c != CORRUPT]
    columns = job.columns
    if columns.text not in names:
        raise DataError(f"{path}: no text column {columns.text!r}; the file has: {', '.join(names[:20])}; "
                        f"pass --text-col to choose one")
    if columns.id is not None and columns.id not in names:
        raise DataError(f"{path}: no id column {columns.id!r}; the file has: {', '.join(names[:20])}; pass --id-col")
    id_col = columns.id or ("id" if "id" in names and columns.text != "id" else None)
    selected = [F.col(columns.text).cast("string").alias("text")]
    if id_col:
        selected.append(F.col(id_col).cast("string").alias("id"))
    if corrupt:
        selected.append(F.col(corrupt))
    df = df.select(*selected)
    return df, id_col is not None, corrupt


def _number_rows(df):
    """Add each row's 1-based number in input order (partition order, then position)."""
    from pyspark.sql import functions as F

    df = df.withColumn("_pid", F.spark_partition_id()).withColumn("_mono", F.monotonically_increasing_id())
    counts = sorted((r["_pid"], r["count"]) for r in df.groupBy("_pid").count().collect())
    offsets, total = [], 0
    for pid, count in counts:
        offsets += [F.lit(pid), F.lit(total)]
        total += count
    if not counts:
        return df.withColumn(ROW, F.lit(0).cast("long")).drop("_pid", "_mono"), 0
    offset = F.create_map(*offsets)[F.col("_pid")]
    position = F.col("_mono") - F.shiftleft(F.col("_pid").cast("long"), 33)
    return df.withColumn(ROW, position + offset + F.lit(1)).drop("_pid", "_mono"), total


def _bad_rows(df, corrupt: str | None):
    from pyspark.sql import functions as F

    blank = F.col("text").isNull() | F.col("text").rlike(r"(?U)^\s*$")
    if corrupt:
        return blank | F.col(corrupt).isNotNull()
    return blank


def _describe_bad(row, job: Job, corrupt: str | None, has_id: bool) -> tuple[str, str | None, str]:
    """(where, id or None for a malformed row, what is wrong) of a bad row."""
    number = row[ROW] + (1 if job.fmt in ("csv", "tsv") else 0)  # CSV/TSV: line 1 is the header
    where = f"{unit(job.fmt)} {number}"
    if corrupt and row[corrupt] is not None:
        return where, None, "malformed (wrong number of fields)"
    id_ = row["id"] if has_id else str(row[ROW])
    return where, id_, "an empty text" if not row["text"] else "a blank text"


def _bad_example(where: str, id_: str | None, reason: str) -> str:
    return f"{where}: {reason}" if id_ is None else f"{where}: {reason} (id {id_})"


def _schema(job: Job, worker):
    if job.kind == "predict":  # a StructType: label names may hold any character, DDL text would not
        from pyspark.sql.types import ArrayType, DoubleType, StringType, StructField, StructType

        kinds = {"string": StringType(), "double": DoubleType(), "strings": ArrayType(StringType())}
        return StructType([StructField(name, kinds[kind]) for name, kind in worker.layout.fields()])
    value = "float" if worker.dtype.itemsize == 4 else "double"
    if worker.sparse:
        return f"id string, indices array<int>, `values` array<{value}>"
    return f"id string, vector array<{value}>"


def _batch_function(spec, bundle, mapping, kind: str, has_id: bool, layout):
    """The function mapInPandas runs on each partition's batches (pickled to the executors)."""

    def run(batches):
        import numpy as np
        import pandas as pd
        import scipy.sparse as sp

        worker = executor_worker(spec, bundle, mapping)
        for frame in batches:
            texts = frame["text"].tolist()
            ids = frame["id"].tolist() if has_id else [str(r) for r in frame[ROW].tolist()]
            result = worker.transform(texts)
            if kind == "predict":  # the same columns as the local engine's Parquet
                yield pd.DataFrame(layout.columns({"ids": ids, **result.arrays()}, "parquet"))
            elif sp.issparse(result):
                result = sp.csr_matrix(result)
                cuts = result.indptr[1:-1]
                yield pd.DataFrame({"id": ids, "indices": np.split(result.indices.astype(np.int32), cuts),
                                    "values": np.split(result.data, cuts)})
            else:
                yield pd.DataFrame({"id": ids, "vector": list(np.asarray(result))})

    return run


def _is_local(path: str) -> bool:
    return "://" not in path or path.startswith("file://")


def run_spark(job: Job, force: bool = False, progress: bool = True, master: str | None = None,
              spark=None) -> JobResult:
    """Run ``job`` on Spark: read, number rows, check, mapInPandas, write Parquet."""
    started = time.perf_counter()
    if job.out_format != "parquet":
        raise ConfigError(f"the Spark engine writes Parquet: end --out with .parquet (it becomes a folder of "
                          f"part files), or use --engine local for {job.out_format}")
    out = str(job.out)
    if _is_local(out):
        from textml.files import check_can_write

        check_can_write(out.removeprefix("file://"), force)
    worker = job.spec.load()  # fail fast on a bad model, and learn the output's shape
    check_output(job.kind, job.out, job.out_format, worker)
    with spark_job(spark, master, job.fmt, quiet=not progress) as (session, staging):
        df, has_id, corrupt = read_input(session, job)
        df, total = _number_rows(df)
        bad = _bad_rows(df, corrupt)
        bad_rows = df.filter(bad)
        n_bad = bad_rows.count()
        examples = []
        if n_bad:
            first = bad_rows.orderBy(ROW).limit(MAX_EXAMPLES).collect()
            if not job.skip_bad:
                where, id_, reason = _describe_bad(first[0], job, corrupt, has_id)
                if id_ is None:
                    problem = f"{where} is {reason}; fix it"
                else:
                    problem = f"{where} (id {id_}) has {reason}; fill in or remove that row"
                raise DataError(f"{job.input}: {problem}, or pass --skip-bad to skip such rows "
                                f"({n_bad:,} bad rows in all)")
            examples = [_bad_example(*_describe_bad(r, job, corrupt, has_id)) for r in first]
            df = df.filter(~bad)
        if corrupt:
            df = df.drop(corrupt)
        archive, mapping = bundle_model(job.spec, staging)
        ship_archive(session, archive)
        function = _batch_function(job.spec, archive.name, mapping, job.kind, has_id,
                                   worker.layout if job.kind == "predict" else None)
        result = df.mapInPandas(function, _schema(job, worker))
        if _is_local(out):
            local_out = Path(out.removeprefix("file://"))
            local_out.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".{local_out.name}.", suffix=".tmp", dir=local_out.parent))
            try:
                result.write.mode("overwrite").parquet(str(tmp))
                rows = session.read.parquet(str(tmp)).count()
                if local_out.exists():
                    shutil.rmtree(local_out) if local_out.is_dir() else local_out.unlink()
                os.replace(tmp, local_out)
            finally:
                if tmp.exists():
                    shutil.rmtree(tmp, ignore_errors=True)
        else:
            result.write.mode("overwrite" if force else "errorifexists").parquet(out)
            rows = session.read.parquet(out).count()
    return JobResult(
        outputs=[job.out], rows=rows, skipped=n_bad if job.skip_bad else 0, bad_examples=examples,
        chunks=0, seconds=time.perf_counter() - started, engine="spark", workers=0,
        dim=worker.dim if job.kind == "encode" else None,
        sparse=bool(worker.sparse) if job.kind == "encode" else None,
        score_name=getattr(worker, "score_name", None) if job.kind == "predict" else None,
        task=getattr(worker, "task", None) if job.kind == "predict" else None,
    )
