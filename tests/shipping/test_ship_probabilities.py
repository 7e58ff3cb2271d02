"""One way to score: a model logged by `textml train` gives the same class probabilities, to 1e-6,
in `textml predict`'s output, from the MLflow pyfunc model, from MLflow's Spark UDF and from
textml's own Spark engine (bow-svm: calibrated margins; fasttext; w2v-logreg)."""

from __future__ import annotations

import csv
import json
import random

import numpy as np
import pandas as pd
import pytest

from tests.shipping.conftest import ok, textml

MODELS = ["bow-svm", "fasttext", "w2v-logreg"]
CLASSES = ["alpha", "beta", "gamma"]
TOP_K = len(CLASSES)  # every class: the whole probability row
WORDS = {
    "alpha": "river boat fish lake water sail shore net".split(),
    "beta": "code bug test build merge branch commit deploy".split(),
    "gamma": "bread oven flour yeast crust bake dough salt".split(),
}
SHARED = "the a new old big small good quick daily fresh".split()


def _text(rng: random.Random, label: str) -> str:
    own = WORDS[label]
    other = WORDS[rng.choice([c for c in CLASSES if c != label])]
    words = [rng.choice(own if rng.random() < 0.6 else SHARED + other) for _ in range(rng.randint(3, 7))]
    return " ".join(words)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """A small synthetic 3-class corpus, split, and a prediction input with ids (incl. unseen words)."""
    from textml.data.split import split_file

    folder = tmp_path_factory.mktemp("one-way-to-score")
    rng = random.Random(7)
    rows = []
    for i in range(600):
        label = CLASSES[i % 3]
        given = label if rng.random() > 0.08 else rng.choice(CLASSES)  # some label noise
        rows.append({"id": f"r{i}", "text": _text(rng, label), "label": given})
    source = folder / "synthetic.csv"
    with open(source, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "text", "label"])
        writer.writeheader()
        writer.writerows(rows)
    split_file(source, folder / "split", dedupe=True)
    texts = [_text(rng, CLASSES[i % 3]) for i in range(60)] + ["zzz qqq", "water code bread", "!!"]
    inputs = pd.DataFrame({"id": [f"q{i}" for i in range(len(texts))], "text": texts})
    inputs.to_csv(folder / "input.csv", index=False)
    inputs.to_parquet(folder / "input.parquet", index=False)
    return {"split": folder / "split", "input": folder / "input.csv", "parquet": folder / "input.parquet",
            "texts": texts, "ids": inputs.id.tolist()}


@pytest.fixture(scope="module")
def trained(synthetic, ship_store):
    """One `textml train` run (and logged MLflow model) per model: name -> runs:/ URI."""
    uris = {}
    for name in MODELS:
        doc = json.loads(ok(textml("train", synthetic["split"], "--model", name, "--json", "--quiet",
                                   "--tracking-uri", ship_store, "--experiment", "one-way-to-score")).stdout)
        uris[name] = f"runs:/{doc['run_id']}/model"
    return uris


def _full_rows(table: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    """Labels and the (rows x classes) probabilities, in CLASSES order, from top-k columns."""
    probs = np.full((len(table), len(CLASSES)), np.nan)
    for j in range(1, TOP_K + 1):
        suffix = "" if j == 1 else f"_{j}"
        for i, (label, p) in enumerate(zip(table[f"label{suffix}"], table[f"prob{suffix}"])):
            probs[i, CLASSES.index(label)] = p
    assert not np.isnan(probs).any()
    return table["label"].tolist(), probs


def _pyfunc(uri: str, store: str, texts: list[str]) -> tuple[list[str], np.ndarray]:
    import mlflow.pyfunc

    from textml.tracking import use_mlflow

    use_mlflow(store)
    out = mlflow.pyfunc.load_model(uri).predict(pd.DataFrame({"text": texts}))
    assert list(out.columns) == ["label"] + [f"prob_{c}" for c in CLASSES]
    return out["label"].tolist(), out[[f"prob_{c}" for c in CLASSES]].to_numpy(dtype=float)


@pytest.mark.parametrize("name", MODELS)
def test_textml_predict_gives_the_pyfunc_models_probabilities(synthetic, trained, ship_store, tmp_path, name):
    out = tmp_path / "predicted.csv"
    ok(textml("predict", trained[name], synthetic["input"], "--out", out, "--top-k", str(TOP_K),
              "--tracking-uri", ship_store, "--quiet"))
    table = pd.read_csv(out, dtype={"id": str, "label": str, "label_2": str, "label_3": str})
    assert list(table.columns) == ["id", "label", "prob", "label_2", "prob_2", "label_3", "prob_3"]
    assert table.id.tolist() == synthetic["ids"]
    labels, probs = _full_rows(table)
    expected_labels, expected = _pyfunc(trained[name], ship_store, synthetic["texts"])
    assert labels == expected_labels
    np.testing.assert_allclose(probs, expected, rtol=0, atol=1e-6)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-6)
    assert len({tuple(np.round(row, 3)) for row in probs}) > 3  # real probabilities, not one-hot


@pytest.mark.spark
@pytest.mark.parametrize("name", MODELS)
def test_the_spark_udf_and_the_spark_engine_give_the_same_probabilities(synthetic, trained, ship_store,
                                                                          spark_session, tmp_path, name):
    import mlflow.pyfunc

    from textml.encoding import predict_file
    from textml.tracking import use_mlflow

    expected_labels, expected = _pyfunc(trained[name], ship_store, synthetic["texts"])
    use_mlflow(ship_store)
    struct = ", ".join(["label string"] + [f"`prob_{c}` double" for c in CLASSES])
    udf = mlflow.pyfunc.spark_udf(spark_session, trained[name], env_manager="local", result_type=struct)
    frame = spark_session.createDataFrame(pd.DataFrame({"id": synthetic["ids"], "text": synthetic["texts"]}))
    rows = frame.withColumn("out", udf("text")).select("id", "out.*").toPandas().set_index("id")
    rows = rows.loc[synthetic["ids"]]
    assert rows["label"].tolist() == expected_labels
    np.testing.assert_allclose(rows[[f"prob_{c}" for c in CLASSES]].to_numpy(dtype=float), expected,
                               rtol=0, atol=1e-6)

    out = tmp_path / "spark.parquet"
    predict_file(trained[name], synthetic["parquet"], out, top_k=TOP_K, engine="spark", spark=spark_session,
                 tracking_uri=ship_store, progress=False)
    table = pd.read_parquet(out).set_index("id").loc[synthetic["ids"]].reset_index()
    labels, probs = _full_rows(table)
    assert labels == expected_labels
    np.testing.assert_allclose(probs, expected, rtol=0, atol=1e-6)


def test_compare_and_train_log_the_calibration_error(compared, trained, ship_store):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=ship_store)
    for run_id in [compared[name]["run_id"] for name in ("bow-svm", "fasttext", "dummy-prior")] + \
            [uri.split("/")[1] for uri in trained.values()]:
        metrics = client.get_run(run_id).data.metrics
        assert 0.0 <= metrics["dev_calibration_error"] <= 1.0, run_id
    assert client.get_run(compared["bow-svm"]["run_id"]).data.metrics["dev_calibration_error"] < 0.15
