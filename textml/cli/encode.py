"""`textml encode`: texts -> vectors, streamed over all cores (or on Spark)."""

from __future__ import annotations

import functools
import json

import click

from textml.cli.options import FORMAT_CHOICES, quiet_option
from textml.models.loading import TRUST_PICKLE_HELP


def batch_options(func):
    """Input columns and the engine: shared by `textml encode` and `textml predict`."""

    @click.option("--text-col", default="text", show_default=True, help="Column (or JSON field) holding the text.")
    @click.option("--id-col", default=None,
                  help="Column holding a row id (default: an 'id' column if present, else the row number).")
    @click.option("--format", "fmt", type=click.Choice(FORMAT_CHOICES), default=None,
                  help="Input format; default: from the extension.")
    @click.option("--encoding", default="utf-8", show_default=True, help="Text encoding of the input.")
    @click.option("--engine", type=click.Choice(["local", "spark"]), default="local", show_default=True,
                  help="local: worker processes on this machine; spark: Apache Spark (pip install 'textml[spark]').")
    @click.option("--master", default=None,
                  help="With --engine spark: the master URL, e.g. local[4] or spark://host:7077 (default: SPARK_REMOTE "
                       "or Spark's config).")
    @click.option("--n-jobs", "-j", type=int, default=None,
                  help="Local engine: worker processes, 1 to the number of cores, or -1 for all (the default).")
    @click.option("--chunk-size", type=click.IntRange(min=1), default=50_000, show_default=True,
                  help="Rows per chunk: the unit of work, of memory and of --resume.")
    @click.option("--resume", is_flag=True, help="Continue an interrupted run after its last complete chunk (not with --force).")
    @click.option("--skip-bad", is_flag=True,
                  help="Skip malformed rows and empty texts (counted and listed) instead of stopping at the first.")
    @click.option("--force", is_flag=True, help="Replace --out if it exists (or discard an interrupted run).")
    @click.option("--tracking-uri", envvar="MLFLOW_TRACKING_URI", default=None,
                  help="MLflow tracking URI, for models given as run ids [env MLFLOW_TRACKING_URI].")
    @click.option("--trust-pickle", is_flag=True, help=TRUST_PICKLE_HELP)
    @click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON document.")
    @quiet_option
    @functools.wraps(func)
    def wrapper(*args, text_col, id_col, fmt, encoding, engine, master, n_jobs, chunk_size, resume, skip_bad,
                force, tracking_uri, trust_pickle, as_json, quiet, **kwargs):
        from textml.data.formats import Columns

        kwargs["run"] = dict(columns=Columns(text=text_col, label=None, id=id_col), fmt=fmt, encoding=encoding,
                             engine=engine, master=master, n_jobs=n_jobs, chunk_size=chunk_size, resume=resume,
                             skip_bad=skip_bad, force=force, tracking_uri=tracking_uri,
                             trust_pickle=trust_pickle, progress=not (quiet or as_json))
        kwargs["as_json"] = as_json
        return func(*args, **kwargs)

    return wrapper


def report(result, as_json: bool, what: str) -> None:
    """Print a job's summary: what was written, rows, rate, and skipped rows."""
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, default=str))
        return
    outputs = " and ".join(str(p) for p in result.outputs)
    workers = f"{result.workers} workers" if result.engine == "local" else "Spark"
    click.echo(f"wrote {outputs}: {result.rows:,} {what} in {result.seconds:.1f}s "
               f"({result.rows_per_second:,.0f} rows/s, {workers})")
    if result.resumed_chunks:
        click.echo(f"  resumed after {result.resumed_chunks} chunks done earlier")
    if result.skipped:
        click.echo(f"  skipped {result.skipped:,} bad rows, e.g.: {'; '.join(result.bad_examples[:5])}", err=True)


@click.command()
@click.argument("input", type=click.Path(dir_okay=False))
@click.option("--encoder", "-e", required=True, metavar="NAME[:PATH]",
              help="tfidf:PATH, hashing[:N_FEATURES], fasttext:PATH, word2vec:PATH, ftvec:PATH or "
                   "model:RUN_ID_OR_PATH. PATH: a model file, a folder from `textml train --out`, "
                   "an MLflow run id, runs:/RUN_ID/PATH or models:/NAME@ALIAS (.joblib/.pkl files "
                   "only with --trust-pickle).")
@click.option("--out", "-o", required=True, type=click.Path(),
              help="Output: .npy (dense), .npz (sparse) or .parquet (id + vector); Spark writes a Parquet folder.")
@click.option("--pooling", type=click.Choice(["mean", "tfidf"]), default=None,
              help="word2vec/ftvec: average word vectors plainly or TF-IDF-weighted (default mean).")
@click.option("--idf", default=None, metavar="MODEL",
              help="word2vec/ftvec with --pooling tfidf: a model (folder, run, or joblib with --trust-pickle) "
                   "with a fitted TF-IDF step.")
@batch_options
def encode(input, encoder, out, pooling, idf, run, as_json):
    """Turn every text of INPUT (CSV, TSV, JSONL, Parquet, plain lines) into a vector.

    Rows keep the input's order; .npy/.npz outputs get their ids in OUT.ids.txt.
    An empty text or malformed row stops the job naming its line (or, with --skip-bad, is
    counted and skipped); OUT appears only when complete, and --resume continues an
    interrupted run.

    \b
      textml encode titles.csv --encoder fasttext:cc.en.300.bin --out vectors.npy
      textml encode titles.parquet --encoder model:model_dir --out features.npz
      textml encode titles.parquet --encoder hashing --out vecs --engine spark --master local[4]
    """
    from textml.encoding import encode_file

    result = encode_file(input, encoder, out, pooling=pooling, idf=idf, **run)
    dims = f"{result.dim:,}-dimensional {'sparse' if result.sparse else 'dense'} vectors"
    report(result, as_json, dims)
