"""tune, diagnose and errors: the iteration loop."""

import csv
import json
import random

import pytest
from mlflow.tracking import MlflowClient

from tests.conftest import logged_models, run_textml
from textml.data import Dataset, write_dataset
from textml.data.split import load_split
from textml.experiments.tune import Trial, narrow_space


def test_narrowed_grid_shrinks_numbers_and_keeps_only_winning_categories():
    from scipy.stats import loguniform

    space = {"clf__C": loguniform(1e-3, 1e3), "vec__ngram_range": [(1, 1), (1, 2), (1, 3)], "vec__min_df": [1, 2, 3, 5]}
    trials = [Trial("random", {"clf__C": c, "vec__ngram_range": ng, "vec__min_df": md}, s, 0.1)
              for c, ng, md, s in [(0.5, (1, 2), 1, 0.9), (2.0, (1, 2), 2, 0.91), (1.0, (1, 2), 3, 0.89),
                                   (500.0, (1, 1), 5, 0.5), (0.001, (1, 3), 1, 0.4)]]
    grid = narrow_space(space, trials, top_k=3)
    assert min(grid["clf__C"]) == pytest.approx(0.5) and max(grid["clf__C"]) == pytest.approx(2.0)
    assert grid["vec__ngram_range"] == [(1, 2)]
    assert set(grid["vec__min_df"]) <= {1, 2, 3}


def test_tune_improves_or_matches_defaults_and_tracks_trials(binary_split_dir, tracking_uri):
    result = run_textml("tune", binary_split_dir, "--model", "bow-logreg", "--n-iter", "4", "--n-jobs", "2",
                        "--json", "--tracking-uri", tracking_uri, "--experiment", "tune-test")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["best_dev_score"] >= doc["default_dev_score"] - 1e-9
    phases = {t["phase"] for t in doc["trials"]}
    assert {"random", "grid", "default"} <= phases
    client = MlflowClient(tracking_uri=tracking_uri)
    parent = client.get_run(doc["parent_run_id"])
    children = client.search_runs([parent.info.experiment_id], f"tags.mlflow.parentRunId = '{parent.info.run_id}'",
                                  max_results=500)
    assert len(children) == len(doc["trials"])
    assert all(f"dev_{doc['primary_metric']}" in c.data.metrics for c in children)
    artifacts = {a.path for a in client.list_artifacts(parent.info.run_id, "plots")}
    assert "plots/score_by_param.png" in artifacts
    assert logged_models(client, parent.info.run_id) == ["model"]


def test_diagnose_gives_a_verdict_curve_and_overfit_check(products_split_dir, tracking_uri, tmp_path):
    result = run_textml("diagnose", products_split_dir, "--model", "bow-svm", "--json", "--out", tmp_path,
                        "--tracking-uri", tracking_uri)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["verdict"] in ("high bias", "high variance", "high bias and high variance", "ok")
    assert len(doc["learning_curve"]) >= 3
    assert doc["overfit_check"]["passed"]
    assert (tmp_path / "learning_curve.png").stat().st_size > 0


def test_diagnose_reports_shuffled_labels_as_a_data_problem(products_split, tmp_path, tracking_uri):
    rng = random.Random(0)
    for name in ("train", "dev"):
        data = getattr(products_split, name)
        labels = list(data.labels)
        rng.shuffle(labels)
        write_dataset(Dataset(list(data.texts), labels, list(data.ids)), tmp_path / f"{name}.csv")
    result = run_textml("diagnose", tmp_path, "--model", "bow-svm", "--json", "--tracking-uri", tracking_uri)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["verdict"] == "data problem"
    assert "labels do not follow from the texts" in " ".join(doc["advice"])


def test_errors_eyeball_set_is_real_mistakes_most_confident_first(products_split_dir, tracking_uri, tmp_path):
    out = tmp_path / "eyeball.csv"
    result = run_textml("errors", products_split_dir, "--model", "bow-nb", "--size", "25", "--out", out,
                        "--tracking-uri", tracking_uri)
    assert result.returncode == 0, result.stderr
    with open(out, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert 0 < len(rows) <= 25
    assert all(r["label"] != r["predicted"] for r in rows)
    confidence = [float(r["prob_predicted"]) for r in rows]
    assert confidence == sorted(confidence, reverse=True)
    dev_ids = set(load_split(products_split_dir).dev.ids)
    assert {r["id"] for r in rows} <= dev_ids


def test_errors_from_a_logged_run_are_logged_beside_it(products_split_dir, tracking_uri, tmp_path):
    trained = run_textml("train", products_split_dir, "--model", "bow-nb", "--json", "--tracking-uri", tracking_uri)
    run_id = json.loads(trained.stdout)["run_id"]
    result = run_textml("errors", products_split_dir, "--run", run_id, "--out", tmp_path / "e.jsonl",
                        "--tracking-uri", tracking_uri)
    assert result.returncode == 0, result.stderr
    assert len((tmp_path / "e.jsonl").read_text().splitlines()) <= 100
    paths = {a.path for a in MlflowClient(tracking_uri=tracking_uri).list_artifacts(run_id, "errors")}
    assert "errors/eyeball.jsonl" in paths


def test_label_issues_find_planted_flips(products_split, tmp_path, tracking_uri):
    train = products_split.train
    rng = random.Random(1)
    classes = sorted(set(train.labels))
    flipped = set(rng.sample(range(len(train)), 40))
    labels = [rng.choice([c for c in classes if c != l]) if i in flipped else l for i, l in enumerate(train.labels)]
    ids = [f"r{i}" for i in range(len(train))]
    write_dataset(Dataset(list(train.texts), labels, ids), tmp_path / "train.csv")
    write_dataset(products_split.dev, tmp_path / "dev.csv")
    out = tmp_path / "issues.csv"
    result = run_textml("errors", tmp_path, "--model", "bow-logreg", "--label-issues", "--size", "100",
                        "--out", out, "--tracking-uri", tracking_uri)
    assert result.returncode == 0, result.stderr
    with open(out, encoding="utf-8") as handle:
        found = [row["id"] for row in csv.DictReader(handle)]
    planted = {f"r{i}" for i in flipped}
    assert len(planted & set(found[:100])) >= 0.7 * len(planted)


def test_errors_needs_exactly_one_model_source(products_split_dir):
    result = run_textml("errors", products_split_dir)
    assert result.returncode == 2 and "exactly one of --model" in result.stderr
