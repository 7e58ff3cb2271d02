"""`textml models register / promote / list`, and loading a model by alias."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.shipping.conftest import REGISTERED, fresh_predict, ok, textml


def test_list_shows_versions_models_scores_and_aliases(registered, compared, ship_store):
    listed = json.loads(ok(textml("models", "list", "--json", "--tracking-uri", ship_store)).stdout)
    (model,) = [m for m in listed if m["name"] == REGISTERED]
    assert model["aliases"] == {"champion": registered["bow-svm"], "challenger": registered["fasttext"]}
    by_version = {v["version"]: v for v in model["versions"]}
    champion = by_version[registered["bow-svm"]]
    assert champion["model"] == "bow-svm" and champion["aliases"] == ["champion"]
    assert champion["run_id"] == compared["bow-svm"]["run_id"]
    assert champion["dev_score"] == pytest.approx(compared["bow-svm"]["dev"]["macro_f1"], abs=1e-5)
    text = ok(textml("models", "list", "--tracking-uri", ship_store)).stdout
    assert REGISTERED in text and "@champion" in text and "@challenger" in text


def test_promote_moves_an_alias_and_says_from_where(registered, ship_store):
    env = {"MLFLOW_TRACKING_URI": ship_store}
    moved = ok(textml("models", "promote", REGISTERED, "--alias", "staging-check", "3", env=env)).stdout
    assert "no version -> version 3" in moved
    moved = ok(textml("models", "promote", REGISTERED, "--alias", "staging-check", "1", env=env)).stdout
    assert "version 3 -> version 1" in moved


@pytest.mark.parametrize("args, message", [
    (["models", "promote", REGISTERED, "--alias", "champion", "99"], "has no version 99"),
    (["models", "promote", "no-such-model", "--alias", "champion", "1"], "no registered model"),
    (["models", "promote", REGISTERED, "--alias", "latest", "1"], "reserved"),
    (["models", "register", "0" * 32, "--name", REGISTERED], "not found"),
    (["models", "register", "not-a-run", "--name", REGISTERED], "not a run id"),
])
def test_mistakes_are_one_line_errors(registered, ship_store, args, message):
    result = textml(*args, "--tracking-uri", ship_store)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_a_run_without_an_mlflow_model_cannot_be_registered(ship_store):
    from textml.tracking import Tracker

    tracker = Tracker("shipping-empty", ship_store)
    with tracker.run("no-model") as run_id:
        tracker.log_metrics({"x": 1.0})
    result = textml("models", "register", run_id, "--name", REGISTERED, "--tracking-uri", ship_store)
    assert result.returncode == 2 and "has no MLflow model" in result.stderr


def test_champion_loads_by_alias_in_a_new_process_and_matches_textml_predict(
        registered, ship_store, dev_texts, tmp_path):
    texts = dev_texts[:60]
    got = fresh_predict(ship_store, f"models:/{REGISTERED}@champion", texts)
    (tmp_path / "in.csv").write_text(pd.DataFrame({"id": range(len(texts)), "text": texts}).to_csv(index=False))
    # textml predict on the run the champion version came from ...
    listed = json.loads(ok(textml("models", "list", REGISTERED, "--json", "--tracking-uri", ship_store)).stdout)
    run_id = next(v["run_id"] for v in listed[0]["versions"] if "champion" in v["aliases"])
    ok(textml("predict", f"runs:/{run_id}/model", tmp_path / "in.csv", "--out", tmp_path / "run.csv",
                  "--tracking-uri", ship_store, "--quiet", "--n-jobs", "1"))
    predicted = pd.read_csv(tmp_path / "run.csv", dtype=str, keep_default_na=False)
    assert predicted["label"].tolist() == [r["label"] for r in got["rows"]]


def test_textml_predict_accepts_models_alias_uri(registered, ship_store, dev_texts, tmp_path):
    texts = dev_texts[:60]
    got = fresh_predict(ship_store, f"models:/{REGISTERED}@champion", texts)
    (tmp_path / "in.csv").write_text(pd.DataFrame({"id": range(len(texts)), "text": texts}).to_csv(index=False))
    result = textml("predict", f"models:/{REGISTERED}@champion", tmp_path / "in.csv", "--out",
                        tmp_path / "alias.csv", "--tracking-uri", ship_store, "--quiet", "--n-jobs", "1")
    ok(result)
    predicted = pd.read_csv(tmp_path / "alias.csv", dtype=str, keep_default_na=False)
    assert predicted["label"].tolist() == [r["label"] for r in got["rows"]]
