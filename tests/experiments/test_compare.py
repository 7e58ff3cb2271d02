"""`textml compare` and `textml train`: honest numbers, a recommendation, and MLflow runs."""

import json

import pytest
from mlflow.tracking import MlflowClient

from tests.conftest import logged_models, run_textml
from textml.evaluation.metrics import choose_metric
from textml.models.saving import load_model

FAST_MODELS = "dummy-prior,dummy-stratified,bow-svm,bow-nb,bow-logreg,fasttext"


@pytest.fixture(scope="module")
def compared(products_split_dir, tracking_uri, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    result = run_textml("compare", products_split_dir, "--models", FAST_MODELS, "--json", "--out", out,
                        "--tracking-uri", tracking_uri, "--experiment", "compare-test")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), out


def test_json_document_has_what_scripts_read(compared):
    doc, _ = compared
    assert doc["primary_metric"] == "macro_f1"
    assert [m["name"] for m in doc["models"]] and len(doc["models"]) == 6
    for model in doc["models"]:
        assert {"macro_f1", "balanced_accuracy", "accuracy"} <= set(model["dev"])
        assert model["fit_seconds"] >= 0 and model["latency_ms_per_1k"] > 0 and model["size_bytes"] > 0
        assert model["run_id"]
    scores = [m["dev"]["macro_f1"] for m in doc["models"]]
    assert scores == sorted(scores, reverse=True)


def test_every_trained_model_beats_both_dummies(compared):
    doc, _ = compared
    dummies = max(m["dev"]["macro_f1"] for m in doc["models"] if m["name"].startswith("dummy"))
    for model in doc["models"]:
        if not model["name"].startswith("dummy"):
            assert model["dev"]["macro_f1"] > dummies + 0.2, model["name"]


def test_recommendation_is_within_tolerance_of_the_best(compared):
    doc, _ = compared
    best = doc["models"][0]["dev"]["macro_f1"]
    chosen = next(m for m in doc["models"] if m["name"] == doc["recommended"])
    assert not chosen["name"].startswith("dummy")
    assert chosen["dev"]["macro_f1"] >= best - 0.01


def test_out_folder_has_table_and_plot(compared):
    _, out = compared
    for name in ("comparison.csv", "comparison.md", "comparison.png", "comparison.json"):
        assert (out / name).stat().st_size > 0
    assert "bow-svm" in (out / "comparison.md").read_text()


def test_mlflow_holds_parent_and_child_runs_with_artifacts(compared, tracking_uri):
    doc, _ = compared
    client = MlflowClient(tracking_uri=tracking_uri)
    parent = client.get_run(doc["parent_run_id"])
    assert parent.data.tags["textml.recommended"] == doc["recommended"]
    assert parent.data.tags["textml.test_read"] == "False"
    children = client.search_runs([parent.info.experiment_id],
                                  f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
    assert len(children) == 6
    child = client.get_run(next(m["run_id"] for m in doc["models"] if m["name"] == "bow-svm"))
    assert child.data.metrics["dev_macro_f1"] > 0.5
    assert "latency_ms_per_1k" in child.data.metrics and "size_bytes" in child.data.metrics
    assert any(k.startswith("clf__") or "__" in k for k in child.data.params)
    assert any(k.startswith("data.train_sha256") for k in child.data.tags)
    artifacts = {a.path for a in client.list_artifacts(child.info.run_id)}
    assert {"plots", "per_class_report.json", "run.toml", "params.json"} <= artifacts
    assert logged_models(client, child.info.run_id) == ["model"]
    assert [a.path for a in client.list_artifacts(child.info.run_id, "plots")] == ["plots/confusion_matrix.png"]
    parent_artifacts = {a.path for a in client.list_artifacts(parent.info.run_id, "comparison")}
    assert "comparison/comparison.csv" in parent_artifacts


def test_final_scores_test_and_records_it(products_split_dir, tracking_uri):
    result = run_textml("compare", products_split_dir, "--models", "dummy-prior,bow-nb", "--final", "--json",
                        "--tracking-uri", tracking_uri, "--experiment", "final-test")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert all(m["test"] and "macro_f1" in m["test"] for m in doc["models"])
    run = MlflowClient(tracking_uri=tracking_uri).get_run(doc["parent_run_id"])
    assert run.data.tags["textml.test_read"] == "True"


def test_unknown_model_is_a_clear_error(products_split_dir, tracking_uri):
    result = run_textml("compare", products_split_dir, "--models", "bow-svm,bert", "--tracking-uri", tracking_uri)
    assert result.returncode == 2
    assert "bert" in result.stderr and "bow-svm" in result.stderr and result.stderr.count("\n") == 1


def test_train_saves_a_model_that_predicts(products_split, products_split_dir, tracking_uri, tmp_path):
    result = run_textml("train", products_split_dir, "--model", "bow-svm", "--out", tmp_path / "model",
                        "--param", "clf__C=0.5", "--json", "--tracking-uri", tracking_uri)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    model, info = load_model(tmp_path / "model")
    assert info["model"] == "bow-svm" and info["run_id"] == doc["run_id"]
    assert model.get_params()["clf__C"] == 0.5
    predictions = model.predict(products_split.dev.texts[:50])
    assert set(predictions) <= set(info["classes"])
    again = run_textml("train", products_split_dir, "--model", "bow-svm", "--out", tmp_path / "model",
                       "--tracking-uri", tracking_uri)
    assert again.returncode == 2 and "--force" in again.stderr


def test_train_rejects_unknown_param(products_split_dir, tracking_uri):
    result = run_textml("train", products_split_dir, "--model", "bow-svm", "--param", "clf__gamma=3",
                        "--tracking-uri", tracking_uri)
    assert result.returncode == 2 and "no parameter clf__gamma" in result.stderr


def test_train_names_an_invalid_param_value(products_split_dir, tracking_uri):
    result = run_textml("train", products_split_dir, "--model", "bow-svm", "--param", "clf__C=-1",
                        "--tracking-uri", tracking_uri)
    assert result.returncode == 2
    assert "bow-svm" in result.stderr and "'C' parameter" in result.stderr and "unexpected" not in result.stderr


def test_binary_task_uses_minority_f1_and_accuracy_is_refused(binary_split, tracking_uri):
    choice = choose_metric(binary_split.train.labels)
    assert choice.name == "f1" and choice.positive == "electronics"
    result = run_textml("compare", binary_split.paths["train"].parent, "--models", "bow-nb", "--metric", "accuracy",
                        "--tracking-uri", tracking_uri)
    assert result.returncode == 2 and "majority" in result.stderr


@pytest.fixture
def binary_split(binary_split_dir):
    from textml.data.split import load_split

    return load_split(binary_split_dir)


def test_rare_positive_class_uses_average_precision():
    labels = ["ham"] * 95 + ["spam"] * 5
    choice = choose_metric(labels)
    assert choice.name == "average_precision" and choice.positive == "spam"


def test_texts_without_words_give_a_one_line_data_error(tmp_path, tracking_uri):
    rows = ["text,label"] + [f"{'! ? +' if i % 2 else '# $ %'},{'a' if i % 2 else 'b'}" for i in range(60)]
    (tmp_path / "train.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "dev.csv").write_text("\n".join(rows[:21]) + "\n", encoding="utf-8")
    result = run_textml("train", tmp_path, "--model", "bow-svm", "--tracking-uri", tracking_uri)
    assert result.returncode == 2
    assert "empty vocabulary" in result.stderr and "unexpected" not in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.startswith("error:")]) == 1
