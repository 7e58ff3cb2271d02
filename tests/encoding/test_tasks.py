"""`predict` and `encode --encoder model:` for multi-label and regression models: the labels a
multi-label model sets (a list; joined in CSV/TSV) with a probability per label, a regression
model's values, on both the saved `task` and, for folders without one, what `predict` gives."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from textml.encoding import encode_file, predict_file
from textml.exceptions import ConfigError

FAST = dict(n_jobs=2, chunk_size=40, progress=False)
NAMES = ["red", "blue", "big"]
WORDS = {"red": "cherry", "blue": "sky", "big": "huge"}


def corpus(n=120):
    """Texts whose words say their labels: row i has label j when bit j of i is set."""
    texts, indicator = [], np.zeros((n, len(NAMES)), dtype=int)
    for i in range(n):
        words = ["item", f"n{i % 7}"]
        for j, name in enumerate(NAMES):
            if i >> j & 1:
                indicator[i, j] = 1
                words.append(WORDS[name])
        texts.append(" ".join(words))
    return texts, indicator


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    texts, indicator = corpus()
    path = tmp_path_factory.mktemp("tasks") / "in.csv"
    pd.DataFrame({"id": [f"r{i}" for i in range(len(texts))], "text": texts}).to_csv(path, index=False)
    return path, texts, indicator


def save(model, folder, task):
    from textml.models.saving import save_model

    return save_model(model, folder, {"model": "stand-in", **({"task": task} if task else {})})


@pytest.fixture(scope="module", params=["multilabel", None], ids=["task-saved", "task-from-predict"])
def multilabel_model(request, tmp_path_factory, data):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import Pipeline

    _, texts, indicator = data
    model = Pipeline([("tfidf", TfidfVectorizer()), ("clf", OneVsRestClassifier(LogisticRegression(C=10)))])
    model.fit(texts, indicator)
    model[-1].classes_ = np.array(NAMES)  # the multi-label contract: classes_ are the label names
    return save(model, tmp_path_factory.mktemp("ml") / "model", request.param), model


@pytest.fixture(scope="module", params=["regression", None], ids=["task-saved", "task-from-predict"])
def regression_model(request, tmp_path_factory, data):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import Pipeline

    _, texts, indicator = data
    model = Pipeline([("tfidf", TfidfVectorizer()), ("reg", Ridge())]).fit(texts, indicator @ [1.0, 2.0, 4.0])
    return save(model, tmp_path_factory.mktemp("reg") / "model", request.param), model


def expected_labels(model, texts):
    return [[NAMES[j] for j in np.flatnonzero(row)] for row in model.predict(texts)]


def test_multilabel_jsonl_lists_the_labels_predict_sets_and_every_probability(tmp_path, data, multilabel_model):
    path, texts, _ = data
    folder, model = multilabel_model
    result = predict_file(folder, path, tmp_path / "p.jsonl", **FAST)
    rows = [json.loads(line) for line in (tmp_path / "p.jsonl").read_text(encoding="utf-8").splitlines()]
    assert list(rows[0]) == ["id", "label", "prob_red", "prob_blue", "prob_big"]
    assert [r["id"] for r in rows] == [f"r{i}" for i in range(len(texts))]
    assert [r["label"] for r in rows] == expected_labels(model, texts)
    assert rows[7]["label"] == ["red", "blue", "big"] and rows[0]["label"] == []
    np.testing.assert_allclose([[r[f"prob_{n}"] for n in NAMES] for r in rows], model.predict_proba(texts),
                               rtol=1e-12)
    assert result.task == "multilabel" and result.rows == len(texts)


def test_multilabel_csv_joins_labels_with_the_separator_and_parquet_keeps_a_list(tmp_path, data, multilabel_model):
    path, texts, _ = data
    folder, model = multilabel_model
    predict_file(folder, path, tmp_path / "p.csv", **FAST)
    predict_file(folder, path, tmp_path / "s.tsv", label_sep=";", **FAST)
    predict_file(folder, path, tmp_path / "p.parquet", **FAST)
    want = expected_labels(model, texts)
    csv = pd.read_csv(tmp_path / "p.csv", keep_default_na=False)
    assert csv.label.tolist() == ["|".join(x) for x in want]
    assert pd.read_csv(tmp_path / "s.tsv", sep="\t", keep_default_na=False).label.tolist() == [";".join(x) for x in want]
    table = pd.read_parquet(tmp_path / "p.parquet")
    assert [list(x) for x in table.label] == want
    np.testing.assert_allclose(table[[f"prob_{n}" for n in NAMES]].to_numpy(), csv[[f"prob_{n}" for n in NAMES]])


def test_multilabel_jsonl_reads_back_as_label_sets(tmp_path, data, multilabel_model):
    from textml.data import Columns, read_dataset

    path, texts, _ = data
    folder, model = multilabel_model
    predict_file(folder, path, tmp_path / "p.jsonl", **FAST)
    back = read_dataset(tmp_path / "p.jsonl", columns=Columns(text="prob_red", label="label", id="id"))
    assert back.labels[7] == ("red", "blue", "big") and back.labels[1] in ("red", ("red",)) and not back.labels[0]


def test_regression_writes_the_predicted_values(tmp_path, data, regression_model):
    path, texts, _ = data
    folder, model = regression_model
    result = predict_file(folder, path, tmp_path / "p.csv", **FAST)
    got = pd.read_csv(tmp_path / "p.csv")
    assert list(got.columns) == ["id", "value"] and result.task == "regression"
    np.testing.assert_allclose(got.value.to_numpy(), model.predict(texts), rtol=1e-12)
    predict_file(folder, path, tmp_path / "p.parquet", **FAST)
    assert pd.read_parquet(tmp_path / "p.parquet").value.dtype == np.float64


def check_model_features(tmp_path, data, model_and_folder):
    import scipy.sparse as sp

    path, texts, _ = data
    folder, model = model_and_folder
    encode_file(path, f"model:{folder}", tmp_path / "v.npz", **FAST)
    assert (sp.load_npz(tmp_path / "v.npz") != model[:-1].transform(texts)).nnz == 0


def test_model_encoder_gives_the_features_of_a_multilabel_model(tmp_path, data, multilabel_model):
    check_model_features(tmp_path, data, multilabel_model)


def test_model_encoder_gives_the_features_of_a_regression_model(tmp_path, data, regression_model):
    check_model_features(tmp_path, data, regression_model)


def test_options_that_mean_nothing_for_the_task_are_refused(tmp_path, data, multilabel_model, regression_model):
    path, _, _ = data
    with pytest.raises(ConfigError, match="--top-k 2 applies to single-label models.*multi-label"):
        predict_file(multilabel_model[0], path, tmp_path / "p.csv", top_k=2, **FAST)
    with pytest.raises(ConfigError, match="--top-k 3 applies to single-label models.*regression"):
        predict_file(regression_model[0], path, tmp_path / "p.csv", top_k=3, **FAST)
    with pytest.raises(ConfigError, match="--label-sep applies to multi-label models"):
        predict_file(regression_model[0], path, tmp_path / "p.csv", label_sep=";", **FAST)
    with pytest.raises(ConfigError, match="--label-sep applies to CSV/TSV output"):
        predict_file(multilabel_model[0], path, tmp_path / "p.jsonl", label_sep=";", **FAST)
    with pytest.raises(ConfigError, match="cannot separate labels"):
        predict_file(multilabel_model[0], path, tmp_path / "p.tsv", label_sep="\t", **FAST)
    with pytest.raises(ConfigError, match="the label 'red' .* contains the label separator 'e'"):
        predict_file(multilabel_model[0], path, tmp_path / "p.csv", label_sep="e", **FAST)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_the_cli_summary_names_the_task(tmp_path, textml, data, multilabel_model, regression_model):
    path, texts, _ = data
    code, out, _ = textml("predict", multilabel_model[0], path, "--out", tmp_path / "p.csv", "--label-sep", ";", "-q")
    assert code == 0 and f"{len(texts)} texts labelled (label sets" in out
    assert ";" in (tmp_path / "p.csv").read_text(encoding="utf-8")
    code, out, _ = textml("predict", regression_model[0], path, "--out", tmp_path / "r.csv", "-q")
    assert code == 0 and "texts scored (values)" in out


def same_on_spark(tmp_path, spark_session, path, folder):
    predict_file(folder, path, tmp_path / "s.parquet", engine="spark", spark=spark_session, progress=False)
    predict_file(folder, path, tmp_path / "l.parquet", **FAST)
    spark_table, local_table = pd.read_parquet(tmp_path / "s.parquet"), pd.read_parquet(tmp_path / "l.parquet")
    assert list(spark_table.columns) == list(local_table.columns)
    for column in spark_table.columns:
        left, right = spark_table[column].tolist(), local_table[column].tolist()
        assert [list(x) if isinstance(x, np.ndarray) else x for x in left] == \
            [list(x) if isinstance(x, np.ndarray) else x for x in right]


@pytest.mark.spark
def test_spark_writes_the_same_label_sets_as_the_local_engine(tmp_path, spark_session, data, multilabel_model):
    same_on_spark(tmp_path, spark_session, data[0], multilabel_model[0])


@pytest.mark.spark
def test_spark_writes_the_same_values_as_the_local_engine(tmp_path, spark_session, data, regression_model):
    same_on_spark(tmp_path, spark_session, data[0], regression_model[0])
