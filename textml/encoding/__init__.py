"""Batch encoding and prediction: streaming, all cores, bounded memory, and Spark.

* :func:`encode_file` - texts -> vectors (``.npy``, ``.npz`` or Parquet) with an encoder
  named ``NAME[:PATH]`` (see :mod:`textml.encoding.encoders`).
* :func:`predict_file` - texts -> top-k labels with probabilities, a multi-label model's label
  sets with every label's probability, or a regression model's values (CSV, TSV, JSONL, Parquet).

Both run on local worker processes (:mod:`textml.encoding.local`, each worker reading its own
pieces of the input, :mod:`textml.encoding.pieces`) or on Apache Spark
(:mod:`textml.encoding.spark`), keep the input's order and ids, and write their output only
when it is complete. Heavy libraries load inside the functions.
"""

from textml.encoding.jobs import JobResult, encode_file, predict_file

__all__ = ["JobResult", "encode_file", "predict_file"]
