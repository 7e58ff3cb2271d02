"""Tags (multi-label) and numbers (regression) through the whole loop, and ranking metrics.

Each test runs the library's commands on a small synthetic corpus whose labels follow from
the words (tests/task_corpora.py), against a real MLflow store.
"""

from __future__ import annotations

import json

import mlflow
import numpy as np
import pytest

from tests.task_corpora import write_number_split, write_tag_split
from textml.evaluation.metrics import choose_metric, score
from textml.exceptions import ConfigError
from textml.experiments.compare import compare, recommend
from textml.experiments.diagnose import diagnose
from textml.experiments.evaluate import bootstrap_metric, evaluate
from textml.experiments.mistakes import find_errors
from textml.experiments.spec import RunSpec
from textml.experiments.train import train
from textml.experiments.tune import tune


@pytest.fixture(scope="module")
def tag_split(tmp_path_factory):
    return write_tag_split(tmp_path_factory.mktemp("tags") / "split")


@pytest.fixture(scope="module")
def number_split(tmp_path_factory):
    return write_number_split(tmp_path_factory.mktemp("numbers") / "split")


def spec(command, split, tracking_uri, settings=None, **kwargs):
    columns = {"label_col": "labels"} if (split / "train.jsonl").exists() else {}
    made = RunSpec.create(command, split, tracking_uri=tracking_uri, experiment=f"tasks-{split.parent.name}",
                          **columns, **kwargs)
    return made.replace(settings={**made.settings, **(settings or {})})


def artifacts(tracking_uri, run_id, folder):
    return {a.path.split("/")[-1] for a in mlflow.MlflowClient(tracking_uri).list_artifacts(run_id, folder)}


# ------------------------------------------------------------------------- metric choice


def test_the_task_chooses_the_primary_metric():
    assert choose_metric([("a", "b"), ("b",), ("c",)]).name == "micro_f1"
    numbers = [f"{i / 7:.3f}" for i in range(60)]
    assert choose_metric(numbers).name == "rmse" and not choose_metric(numbers).greater_is_better
    assert choose_metric(["spam", "ham", "ham"], "roc_auc").name == "roc_auc"
    # numbers that look like a rating scale stay classes unless asked
    assert choose_metric(["1", "2", "3", "4", "5"] * 10).task == "multiclass"
    assert choose_metric(["1", "2", "3", "4", "5"] * 10, task="regression").name == "rmse"


@pytest.mark.parametrize("labels, metric, task, message", [
    (["a", "b", "c"], "roc_auc", None, "roc_auc is a metric for binary"),
    ([("a", "b"), ("c",)], "rmse", None, "rmse is a metric for regression"),
    (["cat", "dog", "1.5"], None, "regression", "'cat' is not a number"),
    ([("a", "b"), ("c",)], None, "multiclass", "--task multiclass: the training labels are multilabel"),
])
def test_impossible_metric_or_task_is_one_clear_error(labels, metric, task, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        choose_metric(labels, metric, task)


def test_lower_is_better_picks_the_smallest_error():
    class Result:
        def __init__(self, name, rmse, latency, size):
            self.name, self.dev, self.latency_ms_per_1k, self.size_bytes = name, {"rmse": rmse}, latency, size

    results = [Result("slow-best", 0.600, 100, 1e8), Result("cheap-close", 0.605, 10, 1e6),
               Result("cheap-far", 0.700, 1, 1e5), Result("dummy-mean", 0.9, 0.1, 10)]
    # within 1% of the best RMSE (0.606): the cheap close one; the cheaper far one is not within
    assert recommend(results, "rmse", 1.0, ["dummy-mean"], greater_is_better=False) == "cheap-close"
    assert recommend(results, "rmse", 0.0, ["dummy-mean"], greater_is_better=False) == "slow-best"


# ----------------------------------------------------------------------------- multi-label


def test_multilabel_compare_beats_the_tag_baselines_and_logs_label_plots(tag_split, tracking_uri, tmp_path):
    outcome = compare(spec("compare", tag_split, tracking_uri, models=["bow-logreg", "fasttext"]),
                      out_dir=tmp_path / "out")
    assert outcome.choice.name == "micro_f1"
    names = [r.name for r in outcome.results]
    assert {"dummy-label-prior", "dummy-top-k", "bow-logreg", "fasttext"} == set(names)
    best_dummy = max(r.dev["micro_f1"] for r in outcome.results if r.name.startswith("dummy"))
    for result in outcome.results:
        assert {"macro_f1", "samples_f1", "hamming_loss", "subset_accuracy"} <= set(result.dev)
        if not result.name.startswith("dummy"):
            assert result.dev["micro_f1"] > best_dummy + 0.2, result.name
    assert outcome.recommended in ("bow-logreg", "fasttext")
    child = next(r for r in outcome.results if r.name == "bow-logreg")
    assert {"f1_by_support.png", "label_confusion.png"} <= artifacts(tracking_uri, child.run_id, "plots")
    metrics = mlflow.MlflowClient(tracking_uri).get_run(child.run_id).data.metrics
    assert "f1.audio" in metrics and "dev_samples_f1" in metrics
    table = (tmp_path / "out" / "comparison.md").read_text(encoding="utf-8")
    assert "micro_f1" in table.splitlines()[0] and "hamming_loss" in table.splitlines()[0]


def test_multilabel_train_errors_and_evaluate(tag_split, tracking_uri, tmp_path):
    trained = train(spec("train", tag_split, tracking_uri, model="bow-logreg"), out=tmp_path / "model")
    info = json.loads((tmp_path / "model" / "textml.json").read_text(encoding="utf-8"))
    assert info["task"] == "multilabel" and set(info["classes"]) == {"audio", "devel", "docs", "games",
                                                                     "graphics", "network"}
    assert all(isinstance(p, tuple) and p for p in trained.result.dev_pred)  # at least the top tag per row

    report = find_errors(spec("errors", tag_split, tracking_uri, model_dir=str(tmp_path / "model")))
    assert report.rows, "a model this small makes some mistakes"
    wrong = [r["wrong_labels"] for r in report.rows]
    assert wrong == sorted(wrong, reverse=True)  # most wrong labels first
    row = report.rows[0]
    assert row["wrong_labels"] == len(row["missed"]) + len(row["spurious"]) > 0
    assert set(row["missed"]) <= set(row["label"]) and not set(row["spurious"]) & set(row["label"])

    dummy = train(spec("train", tag_split, tracking_uri, model="dummy-top-k"), out=tmp_path / "dummy")
    assert dummy.result.dev["micro_f1"] < trained.result.dev["micro_f1"]
    result = evaluate(spec("evaluate", tag_split, tracking_uri, settings={"model": str(tmp_path / "model")},
                           against=str(tmp_path / "dummy"), resamples=200))
    assert result.choice.name == "micro_f1"
    assert result.models[0].metrics["micro_f1"] == pytest.approx(trained.result.dev["micro_f1"])
    assert result.difference.model_better and result.difference.ci[0] > 0


def test_multilabel_bootstrap_matches_the_score_and_is_zero_for_the_same_model():
    rng = np.random.default_rng(0)
    labels = ["a", "b", "c", "d"]
    truth = [tuple(x for x in labels if rng.random() < 0.4) for _ in range(300)]
    guess = [tuple(x for x in labels if (x in t) != (rng.random() < 0.2)) for t in truth]
    choice = choose_metric(truth)
    values, same = bootstrap_metric(truth, [guess, guess], choice, resamples=300, seed=1)
    exact = score(truth, guess, choice)["micro_f1"]
    assert abs(np.median(values) - exact) < 0.02
    assert np.array_equal(values, same)


# ----------------------------------------------------------------------------- regression


def test_regression_compare_ranks_by_rmse_lowest_first(number_split, tracking_uri):
    outcome = compare(spec("compare", number_split, tracking_uri, models=["bow-ridge", "bow-svr"]))
    assert outcome.choice.name == "rmse" and outcome.choice.task == "regression"
    rmses = [r.dev["rmse"] for r in outcome.results]
    assert rmses == sorted(rmses)
    mean = next(r for r in outcome.results if r.name == "dummy-mean").dev["rmse"]
    assert all(r.dev["rmse"] < mean for r in outcome.results if not r.name.startswith("dummy"))
    assert next(r for r in outcome.results if r.name == "bow-ridge").dev["rmse"] < 0.5 * mean
    assert outcome.recommended in ("bow-ridge", "bow-svr")
    child = outcome.results[0]
    assert {"mae", "r2"} <= set(child.dev)
    assert "truth_vs_prediction.png" in artifacts(tracking_uri, child.run_id, "plots")


def test_regression_tune_diagnose_errors_evaluate(number_split, tracking_uri, tmp_path):
    tuned = tune(spec("tune", number_split, tracking_uri, model="bow-ridge", n_iter=3, top_k=1))
    assert tuned.best.dev["rmse"] <= tuned.default_score + 1e-12  # the defaults compete: never worse
    assert min(t.score for t in tuned.trials) == pytest.approx(tuned.best.dev["rmse"], abs=1e-9)

    found = diagnose(spec("diagnose", number_split, tracking_uri, model="bow-ridge"))
    assert 0 < found.train_score <= found.dev_score < found.dummy_dev_score  # errors: lower is better
    assert all(point["dev_score"] > 0 for point in found.curve)  # RMSE, not a negated scorer value

    trained = train(spec("train", number_split, tracking_uri, model="bow-ridge"), out=tmp_path / "model")
    report = find_errors(spec("errors", number_split, tracking_uri, model_dir=str(tmp_path / "model"), size=20))
    errors = [r["abs_error"] for r in report.rows]
    assert len(errors) == 20 and errors == sorted(errors, reverse=True)
    train(spec("train", number_split, tracking_uri, model="dummy-mean"), out=tmp_path / "mean")
    result = evaluate(spec("evaluate", number_split, tracking_uri, settings={"model": str(tmp_path / "model")},
                           against=str(tmp_path / "mean"), resamples=200))
    assert result.models[0].metrics["rmse"] == pytest.approx(trained.result.dev["rmse"])
    assert result.difference.value < 0 and result.difference.model_better  # a lower RMSE is better


def test_a_regression_model_on_class_labels_is_refused(number_split, tag_split, tracking_uri, tmp_path):
    train(spec("train", number_split, tracking_uri, model="dummy-mean"), out=tmp_path / "mean")
    with pytest.raises(ConfigError, match="regression model"):
        evaluate(spec("evaluate", tag_split, tracking_uri, settings={"model": str(tmp_path / "mean")}))


# ------------------------------------------------------------------------------- ranking


def test_compare_by_roc_auc_ranks_and_recommends_by_it(binary_split_dir, tracking_uri):
    outcome = compare(RunSpec.create("compare", binary_split_dir, tracking_uri=tracking_uri, experiment="auc",
                                     metric="roc_auc", models=["bow-nb", "bow-svm"]))
    assert outcome.choice.name == "roc_auc"
    aucs = [r.dev["roc_auc"] for r in outcome.results]
    assert aucs == sorted(aucs, reverse=True)
    assert all({"f1", "average_precision", "roc_auc"} <= set(r.dev) for r in outcome.results)
    assert outcome.recommended == recommend(outcome.results, "roc_auc", 1.0, outcome.baselines)
    trained = next(r for r in outcome.results if r.name == "bow-svm")
    assert "roc_pr.png" in artifacts(tracking_uri, trained.run_id, "plots")


def test_multilabel_label_issues_find_planted_wrong_tags(tmp_path, tracking_uri):
    split = write_tag_split(tmp_path / "split", n_train=400, n_dev=100, n_test=20)
    rows = [json.loads(line) for line in (split / "train.jsonl").read_text().splitlines()]
    planted = set()
    for row in rows[:400:10]:  # 40 rows get tags that have nothing to do with their words
        row["labels"] = sorted({"audio", "graphics", "network", "devel", "games", "docs"} - set(row["labels"]))[:2]
        planted.add(row["id"])
    (split / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    report = find_errors(spec("errors", split, tracking_uri, model="bow-nb", label_issues=True, size=40))
    found = {row["id"] for row in report.rows}
    assert len(found & planted) >= 30, (len(found & planted), len(found))


def test_multilabel_diagnose_and_tune(tag_split, tracking_uri):
    found = diagnose(spec("diagnose", tag_split, tracking_uri, model="bow-nb"))
    assert found.choice.name == "micro_f1" and found.dev_score > found.dummy_dev_score
    assert found.overfit["passed"] and "one-vs-rest" in found.overfit["model"]
    tuned = tune(spec("tune", tag_split, tracking_uri, model="bow-nb", n_iter=2, top_k=1))
    assert tuned.best.dev["micro_f1"] >= tuned.default_score - 1e-12
    assert all(not name.startswith("clf__C") for t in tuned.trials for name in t.params)
