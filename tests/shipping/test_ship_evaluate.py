"""`textml evaluate`: one model, or champion vs challenger with a paired bootstrap interval."""

from __future__ import annotations

import json

import numpy as np
import pytest
from mlflow.tracking import MlflowClient

from tests.shipping.conftest import REGISTERED, ok, textml


def evaluate(*args, store):
    return json.loads(ok(textml("evaluate", *args, "--json", "--tracking-uri", store)).stdout)


def test_one_model_scores_as_compare_did_with_an_interval_and_latency(compared, ship_split_dir, ship_store):
    doc = evaluate(compared["bow-svm"]["run_id"], ship_split_dir, store=ship_store)
    (model,) = doc["models"]
    assert doc["primary_metric"] == "macro_f1" and doc["data"] == "dev" and doc["difference"] is None
    assert model["metrics"]["macro_f1"] == pytest.approx(compared["bow-svm"]["dev"]["macro_f1"], abs=1e-9)
    low, high = model["ci"]
    assert low < model["metrics"]["macro_f1"] < high and high - low < 0.3
    assert model["latency_ms_per_1k"] > 0 and model["model"] == "bow-svm"


def test_the_same_model_against_itself_differs_by_exactly_zero(registered, ship_split_dir, ship_store):
    # champion and v3 are two registrations of the same run: identical models
    doc = evaluate(f"models:/{REGISTERED}@champion", ship_split_dir, "--against", f"models:/{REGISTERED}/3",
                   store=ship_store)
    diff = doc["difference"]
    assert diff["value"] == 0.0 and diff["ci"][0] <= 0.0 <= diff["ci"][1] and diff["contains_zero"]
    assert diff["agreement"] == 1.0 and diff["p_value"] == 1.0
    assert doc["models"][0]["source"]["version"] == registered["bow-svm"]  # the alias, resolved
    assert doc["models"][0]["source"]["alias"] == "champion"


def test_champion_vs_challenger_reports_difference_interval_and_logs_it(
        registered, compared, ship_split_dir, ship_store):
    result = ok(textml("evaluate", f"models:/{REGISTERED}@challenger", ship_split_dir,
                       "--against", f"models:/{REGISTERED}@champion", "--tracking-uri", ship_store))
    assert "difference (" in result.stdout and "95% CI" in result.stdout
    run_id = result.stdout.strip().splitlines()[-1].split()[-1]
    doc = evaluate(f"models:/{REGISTERED}@challenger", ship_split_dir, "--against",
                   f"models:/{REGISTERED}@champion", store=ship_store)
    a, b = doc["models"]
    diff = doc["difference"]
    assert diff["value"] == pytest.approx(a["metrics"]["macro_f1"] - b["metrics"]["macro_f1"])
    assert diff["ci"][0] <= diff["value"] <= diff["ci"][1]
    assert a["metrics"]["macro_f1"] == pytest.approx(compared["fasttext"]["dev"]["macro_f1"], abs=1e-9)
    run = MlflowClient(tracking_uri=ship_store).get_run(run_id)
    assert run.data.tags["textml.command"] == "evaluate" and run.data.tags["textml.test_read"] == "False"
    assert run.data.tags["textml.model.version"] == registered["fasttext"]
    assert run.data.tags["textml.against.version"] == registered["bow-svm"]
    assert {"diff_ci_low", "diff_ci_high", "model_latency_ms_per_1k", "against_latency_ms_per_1k"} <= set(run.data.metrics)
    files = [f.path for f in MlflowClient(tracking_uri=ship_store).list_artifacts(run_id, "evaluation")]
    assert files == ["evaluation/evaluation.json"]


def test_a_real_gap_gives_an_interval_away_from_zero(compared, ship_split_dir, ship_store):
    doc = evaluate(compared["bow-svm"]["run_id"], ship_split_dir, "--against", compared["dummy-prior"]["run_id"],
                   store=ship_store)
    assert doc["difference"]["ci"][0] > 0.2 and doc["difference"]["p_model_better"] == 1.0


def test_final_reads_test_and_records_it(compared, ship_split_dir, ship_store):
    doc = evaluate(compared["bow-svm"]["run_id"], ship_split_dir, "--final", store=ship_store)
    assert doc["data"] == "test"
    run = MlflowClient(tracking_uri=ship_store).get_run(doc["run_id"])
    assert run.data.tags["textml.test_read"] == "True"


def test_bootstrap_metrics_match_sklearn_on_weighted_rows():
    from sklearn.metrics import balanced_accuracy_score, f1_score

    from textml.evaluation.metrics import MetricChoice
    from textml.experiments.evaluate import bootstrap_metric, metric_from_confusion

    rng = np.random.default_rng(0)
    labels = np.array(list("abcde"), dtype=object)
    y = labels[rng.integers(0, 5, 400)]
    p = np.where(rng.random(400) < 0.7, y, labels[rng.integers(0, 4, 400)])
    w = rng.multinomial(400, np.full(400, 1 / 400)).astype(float)
    index = {label: i for i, label in enumerate(labels)}
    confusion = np.zeros((1, 5, 5))
    np.add.at(confusion[0], ([index[t] for t in y], [index[q] for q in p]), w)
    keep = w > 0
    assert metric_from_confusion(confusion, "macro_f1")[0] == pytest.approx(
        f1_score(y[keep], p[keep], average="macro", sample_weight=w[keep]))
    assert metric_from_confusion(confusion, "balanced_accuracy")[0] == pytest.approx(
        balanced_accuracy_score(y[keep], p[keep], sample_weight=w[keep]))
    first, second = bootstrap_metric(y, [p, p.copy()], MetricChoice("macro_f1", "multiclass"), resamples=200, seed=3)
    assert np.array_equal(first, second)  # paired: same resamples for both
    again, _ = bootstrap_metric(y, [p, p], MetricChoice("macro_f1", "multiclass"), resamples=200, seed=3)
    assert np.array_equal(first, again)  # seeded
