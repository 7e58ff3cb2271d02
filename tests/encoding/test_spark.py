"""The Spark engine (local[2], one session for all tests): the same output as the local
engine, row for row, for every encoder and for predictions; bad rows named or skipped."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from textml.encoding import encode_file, predict_file
from textml.exceptions import ConfigError, DataError

pytestmark = pytest.mark.spark
LOCAL = dict(n_jobs=2, chunk_size=700, progress=False)


def same_table(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    if list(a.columns) != list(b.columns) or len(a) != len(b):
        return False
    for column in a.columns:
        left, right = a[column].tolist(), b[column].tolist()
        if left and isinstance(left[0], np.ndarray):
            if not all(np.array_equal(x, y) for x, y in zip(left, right)):
                return False
        elif left != right:
            return False
    return True


@pytest.fixture(scope="module")
def encoders(lr_model, fasttext_bin, word2vec_kv, gensim_fasttext):
    return {
        "tfidf": f"tfidf:{lr_model}",
        "hashing": "hashing:2048",
        "fasttext": f"fasttext:{fasttext_bin}",
        "word2vec": f"word2vec:{word2vec_kv}",
        "ftvec": f"ftvec:{gensim_fasttext}",
        "model": f"model:{lr_model}",
    }


@pytest.mark.parametrize("name, fmt", [("tfidf", "csv"), ("hashing", "parquet"), ("fasttext", "csv"),
                                       ("word2vec", "parquet"), ("ftvec", "csv"), ("model", "parquet")])
def test_spark_encodes_row_for_row_like_the_local_engine(tmp_path, spark_session, inputs, encoders, name, fmt):
    spark_out, local_out = tmp_path / "spark.parquet", tmp_path / "local.parquet"
    result = encode_file(inputs[fmt], encoders[name], spark_out, engine="spark", spark=spark_session, progress=False)
    encode_file(inputs[fmt], encoders[name], local_out, **LOCAL)
    assert spark_out.is_dir() and (spark_out / "_SUCCESS").exists()
    spark_table, local_table = pd.read_parquet(spark_out), pd.read_parquet(local_out)
    assert spark_table.id.tolist() == local_table.id.tolist()
    assert same_table(spark_table, local_table)
    assert result.rows == 3000 and result.engine == "spark"


def test_spark_predicts_like_the_local_engine_and_like_the_model(tmp_path, spark_session, inputs, texts, lr_model):
    from textml.models.saving import load_model

    predict_file(lr_model, inputs["csv"], tmp_path / "s.parquet", top_k=2, engine="spark", spark=spark_session,
                 progress=False)
    predict_file(lr_model, inputs["csv"], tmp_path / "l.parquet", top_k=2, **LOCAL)
    spark_table = pd.read_parquet(tmp_path / "s.parquet")
    assert same_table(spark_table, pd.read_parquet(tmp_path / "l.parquet"))
    assert spark_table.label.tolist() == list(load_model(lr_model)[0].predict(texts))


def test_rows_without_an_id_column_are_numbered_in_order(tmp_path, spark_session, titles, lr_model):
    path = tmp_path / "noid.parquet"
    titles[["text"]].to_parquet(path, row_group_size=400)
    spark_session.conf.set("spark.sql.files.maxPartitionBytes", "16k")  # several partitions
    try:
        predict_file(lr_model, path, tmp_path / "s.parquet", engine="spark", spark=spark_session, progress=False)
    finally:
        spark_session.conf.unset("spark.sql.files.maxPartitionBytes")
    predict_file(lr_model, path, tmp_path / "l.parquet", **LOCAL)
    spark_table = pd.read_parquet(tmp_path / "s.parquet")
    assert spark_table.id.tolist() == [str(i) for i in range(1, 3001)]
    assert same_table(spark_table, pd.read_parquet(tmp_path / "l.parquet"))


def test_bad_rows_on_spark_are_named_or_skipped_like_locally(tmp_path, spark_session, titles, fasttext_bin):
    frame = titles.copy()
    frame.loc[1799, "text"] = ""
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("x1,a title, with, stray commas\n")  # line 3002: 4 fields where 3 belong
    out = tmp_path / "v.parquet"
    with pytest.raises(DataError, match=r"line 1801 \(id p001800\) has an empty text.*--skip-bad.*2 bad rows"):
        encode_file(path, f"fasttext:{fasttext_bin}", out, engine="spark", spark=spark_session, progress=False)
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    result = encode_file(path, f"fasttext:{fasttext_bin}", out, engine="spark", spark=spark_session,
                         skip_bad=True, progress=False)
    assert result.skipped == 2 and result.rows == 2999
    assert result.bad_examples == ["line 1801: an empty text (id p001800)", "line 3002: malformed (wrong number of fields)"]
    local = encode_file(path, f"fasttext:{fasttext_bin}", tmp_path / "l.parquet", skip_bad=True, **LOCAL)
    assert local.skipped == 2
    assert same_table(pd.read_parquet(out), pd.read_parquet(tmp_path / "l.parquet"))


def test_spark_writes_parquet_only_and_does_not_resume(tmp_path, spark_session, inputs):
    with pytest.raises(ConfigError, match="Spark engine writes Parquet"):
        encode_file(inputs["csv"], "hashing", tmp_path / "v.npz", engine="spark", spark=spark_session)
    with pytest.raises(ConfigError, match="--resume applies to the local engine"):
        encode_file(inputs["csv"], "hashing", tmp_path / "v.parquet", engine="spark", resume=True,
                    spark=spark_session)
    with pytest.raises(ConfigError, match="reads Parquet, CSV or TSV"):
        encode_file(inputs["jsonl"], "hashing", tmp_path / "v.parquet", engine="spark", spark=spark_session)


def test_the_encode_command_runs_on_spark(tmp_path, spark_session, inputs, fasttext_bin):
    from click.testing import CliRunner

    from textml.cli.encode import encode

    out = tmp_path / "v.parquet"
    result = CliRunner().invoke(encode, [str(inputs["parquet"]), "--encoder", f"fasttext:{fasttext_bin}",
                                         "--out", str(out), "--engine", "spark", "--master", "local[2]", "-q"])
    assert result.exit_code == 0, result.output
    assert "3,000 24-dimensional dense vectors" in result.output and "Spark" in result.output
    assert len(pd.read_parquet(out)) == 3000
