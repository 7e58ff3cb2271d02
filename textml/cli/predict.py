"""`textml predict`: texts -> top-k labels, streamed over all cores (or on Spark)."""

from __future__ import annotations

import click

from textml.cli.encode import batch_options, report


@click.command()
@click.argument("model")
@click.argument("input", type=click.Path(dir_okay=False))
@click.option("--out", "-o", required=True, type=click.Path(),
              help="Output: .csv, .tsv, .jsonl or .parquet; Spark writes a Parquet folder.")
@click.option("--top-k", "-k", type=click.IntRange(min=1), default=1, show_default=True,
              help="Labels to keep per text, best first.")
@click.option("--label-sep", default=None, metavar="SEP",
              help="Multi-label models, CSV/TSV output: what joins a row's labels in its label cell "
                   "(default: |). JSONL and Parquet hold them as a list.")
@batch_options
def predict(model, input, out, top_k, label_sep, run, as_json):
    """Predict the labels (or values) of every text of INPUT with MODEL.

    MODEL: a folder from `textml train --out`, an MLflow run id, runs:/RUN_ID/model or
    models:/NAME@ALIAS, a supervised fastText .bin, or (with --trust-pickle) a joblib
    pipeline. Rows keep the input's order and ids. Columns:

    \b
      single-label  id, label, prob (its class probability), label_2, prob_2 ... up to --top-k
      multi-label   id, label (the labels it sets, joined by --label-sep in CSV/TSV),
                    prob_NAME for every label
      regression    id, value

    \b
      textml predict model_dir catalogue.csv --out labels.csv --top-k 3
    """
    from textml.encoding import predict_file

    result = predict_file(model, input, out, top_k=top_k, label_sep=label_sep, **run)
    what = {"multilabel": "texts labelled (label sets, per-label probs)",
            "regression": "texts scored (values)"}.get(result.task, f"texts labelled ({result.score_name}s)")
    report(result, as_json, what)
