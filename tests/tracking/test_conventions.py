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


def test_a_train_whose_fit_fails_leaves_no_run_behind(tmp_path):
    # the store opens in a thread while the model fits; the run itself opens only after the fit
    import pytest

    from textml.exceptions import DataError

    rows = ["text,label"] + [f"{'! ? +' if i % 2 else '# $ %'},{'a' if i % 2 else 'b'}" for i in range(40)]
    (tmp_path / "train.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "dev.csv").write_text("\n".join(rows[:11]) + "\n", encoding="utf-8")
    store = f"sqlite:///{tmp_path / 'mlflow.db'}"
    spec = RunSpec.create("train", tmp_path, model="bow-svm", tracking_uri=store, experiment="wordless")
    with pytest.raises(DataError, match="no training text has a word"):
        train(spec)
    experiment = MlflowClient(store).get_experiment_by_name("wordless")
    assert experiment is None or not MlflowClient(store).search_runs([experiment.experiment_id])
