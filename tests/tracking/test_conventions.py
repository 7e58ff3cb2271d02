"""MLflow conventions a Python user relies on: their store, their experiment, their run."""

import mlflow
from mlflow.tracking import MlflowClient

from textml.experiments.spec import RunSpec
from textml.experiments.train import train


def test_a_callers_store_and_active_run_are_respected(products_split_dir, tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", "callers-experiment")
    store = f"sqlite:///{tmp_path / 'callers.db'}"
    mlflow.set_tracking_uri(store)
    mlflow.set_experiment("my notebook")
    try:
        with mlflow.start_run(run_name="my notebook run") as outer:
            result = train(RunSpec.create("train", products_split_dir, model="dummy-prior"))
            assert mlflow.active_run().info.run_id == outer.info.run_id  # still the caller's run
    finally:
        mlflow.set_tracking_uri(None)
    client = MlflowClient(store)
    run = client.get_run(result.run_id)
    assert run.data.tags["mlflow.parentRunId"] == outer.info.run_id
    assert client.get_experiment(run.info.experiment_id).name == "callers-experiment"
    assert result.spec.tracking.uri == store
