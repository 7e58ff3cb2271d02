"""Every model compare trains is an MLflow pyfunc model: loadable in a fresh process, with a
signature, an input example, labels and per-class probabilities."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from tests.conftest import run_textml
from tests.shipping.conftest import fresh_predict, ok


@pytest.mark.parametrize("name", ["bow-svm", "fasttext", "dummy-prior"])
def test_a_compared_model_loads_in_a_fresh_process_and_gives_labels_and_probabilities(
        compared, ship_store, dev_texts, name):
    from textml.evaluation.metrics import class_probabilities
    from textml.tracking.registry import load_model_uri

    uri = f"runs:/{compared[name]['run_id']}/model"
    got = fresh_predict(ship_store, uri, dev_texts[:50])
    pipeline, info = load_model_uri(uri, ship_store)
    classes = [str(c) for c in pipeline.classes_]
    assert got["columns"] == ["label"] + [f"prob_{c}" for c in classes]
    assert [r["label"] for r in got["rows"]] == [str(p) for p in pipeline.predict(dev_texts[:50])]
    probs = np.array([[r[f"prob_{c}"] for c in classes] for r in got["rows"]])
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(probs, class_probabilities(pipeline, dev_texts[:50]), rtol=0, atol=1e-6)
    assert info["model"] == name


def test_the_logged_model_has_signature_example_and_no_pickle(compared, ship_store, request):
    from mlflow.models import Model

    from textml.tracking import download_run_folder

    folder = download_run_folder(compared["fasttext"]["run_id"], "model", ship_store)
    request.addfinalizer(lambda: shutil.rmtree(folder.parent, ignore_errors=True))
    files = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
    assert {"MLmodel", "requirements.txt", "input_example.json", "serving_input_example.json",
            "data/textml_model/pipeline.skops", "data/textml_model/native/0.bin"} <= files
    assert not any(f.endswith((".pkl", ".pickle", ".joblib")) for f in files)
    meta = Model.load(str(folder / "MLmodel"))
    assert meta.flavors["python_function"]["loader_module"] == "textml.tracking.pyfunc"
    assert meta.signature.inputs.input_names() == ["text"]
    assert meta.signature.outputs.input_names()[0] == "label"
    assert meta.metadata["textml"]["model"] == "fasttext"
    assert meta.metadata["textml"]["probabilities"] == "predict_proba"
    requirements = (folder / "requirements.txt").read_text().split()
    assert any(r.startswith("skops==") for r in requirements) and any(r.startswith("fasttext") for r in requirements)
    assert not any(r.startswith("textml") for r in requirements)


def test_runs_keep_a_model_artifact_that_errors_can_read(compared, ship_store, ship_split_dir):
    client = MlflowClient(tracking_uri=ship_store)
    run = client.get_run(compared["bow-svm"]["run_id"])
    logged = client.search_logged_models(experiment_ids=[run.info.experiment_id],
                                         filter_string=f"source_run_id = '{run.info.run_id}'")
    assert [m.name for m in logged] == ["model"]
    result = ok(run_textml("errors", ship_split_dir, "--run", compared["bow-svm"]["run_id"], "--size", "5",
                           "--tracking-uri", ship_store, "--experiment", "shipping", "--quiet"))
    assert "dev mistakes" in result.stdout


def test_a_logged_model_is_an_mlflow_logged_model_of_its_run(ship_split_dir, ship_store):
    """Logged with mlflow.pyfunc.log_model: it shows in the run's Models tab, its size is the
    textml folder's bytes, and runs:/RUN_ID/model still finds it."""
    import mlflow
    import pandas as pd
    from mlflow.tracking import MlflowClient

    from textml.data.split import load_split
    from textml.models.registry import make_model
    from textml.tracking import Tracker
    from textml.tracking.pyfunc import log_pyfunc

    split = load_split(ship_split_dir)
    model = make_model("bow-nb").fit(split.train.texts, split.train.labels)
    tracker = Tracker("shipping-logged", ship_store)
    with tracker.run("logged") as run_id:
        logged = log_pyfunc(model, {"model": "bow-nb"}, split.dev.texts[:3])
    found = MlflowClient(ship_store).get_logged_model(logged.model_id)
    assert found.source_run_id == run_id and found.name == "model"
    assert logged.size_bytes > 1000
    loaded = mlflow.pyfunc.load_model(f"runs:/{run_id}/model")
    texts = list(split.dev.texts[:2])
    assert list(loaded.predict(pd.DataFrame({"text": texts}))["label"]) == list(model.predict(texts))


def test_pyfunc_reads_texts_in_every_documented_shape(compared, ship_store, dev_texts, request):
    import mlflow.pyfunc

    from textml.tracking import download_run_folder, use_mlflow
    from textml.tracking.pyfunc import _load_pyfunc

    use_mlflow(ship_store)
    uri = f"runs:/{compared['bow-svm']['run_id']}/model"
    model = mlflow.pyfunc.load_model(uri)
    expected = model.predict(pd.DataFrame({"text": dev_texts[:4]}))["label"].tolist()
    assert model.predict({"text": dev_texts[:4]})["label"].tolist() == expected
    assert model.predict(pd.DataFrame({"text": []}, dtype=object)).shape[0] == 0
    # the unwrapped model (what MLflow calls after checking the signature) also takes a list
    folder = download_run_folder(compared["bow-svm"]["run_id"], "model", ship_store)
    request.addfinalizer(lambda: shutil.rmtree(folder.parent, ignore_errors=True))
    inner = _load_pyfunc(str(folder / "data" / "textml_model"))
    assert inner.predict(dev_texts[:4])["label"].tolist() == expected
    assert inner.predict(pd.Series(dev_texts[:4]))["label"].tolist() == expected


@pytest.mark.spark
def test_spark_udf_gives_the_same_labels(compared, ship_store, dev_texts, spark_session):
    import mlflow.pyfunc

    from textml.tracking import use_mlflow

    use_mlflow(ship_store)
    uri = f"runs:/{compared['bow-svm']['run_id']}/model"
    udf = mlflow.pyfunc.spark_udf(spark_session, uri, env_manager="local", result_type="string")
    frame = spark_session.createDataFrame(pd.DataFrame({"text": dev_texts[:40]}))
    labels = [row.label for row in frame.withColumn("label", udf("text")).select("label").collect()]
    expected = mlflow.pyfunc.load_model(uri).predict(pd.DataFrame({"text": dev_texts[:40]}))
    assert labels == expected["label"].tolist()
