"""Tag and number models ship like class models: compare -> register -> `textml predict
models:/NAME@alias` -> the pyfunc in a new process -> `mlflow models serve` over HTTP, with the
same label sets, probabilities and values everywhere."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.shipping.conftest import fresh_predict, mlflow_serve, ok, post, textml
from tests.task_corpora import write_number_split, write_tag_split

CASES = {
    "tags": dict(write=write_tag_split, models="dummy-top-k,bow-logreg", best="bow-logreg",
                 read=["--label-col", "labels"]),
    "numbers": dict(write=write_number_split, models="dummy-mean,bow-ridge", best="bow-ridge", read=[]),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def shipped(request, ship_store, tmp_path_factory):
    """A case's split, its compare, and its best model registered as NAME@champion."""
    case = CASES[request.param]
    folder = tmp_path_factory.mktemp(f"ship-{request.param}")
    split = case["write"](folder / "split")
    env = {"MLFLOW_TRACKING_URI": ship_store}
    doc = json.loads(ok(textml("compare", split, *case["read"], "--models", case["models"], "--json", "--quiet",
                               "--experiment", f"ship-{request.param}", env=env)).stdout)
    best = next(m for m in doc["models"] if m["name"] == case["best"])
    name = f"{request.param}-model"
    version = json.loads(ok(textml("models", "register", best["run_id"], "--name", name, "--json", env=env)).stdout)
    ok(textml("models", "promote", name, "--alias", "champion", version["version"], env=env))
    texts = [json.loads(line)["text"] for line in (split / "dev.jsonl").read_text().splitlines()][:25] \
        if (split / "dev.jsonl").exists() else pd.read_csv(split / "dev.csv")["text"].tolist()[:25]
    return dict(case=request.param, uri=f"models:/{name}@champion", texts=texts, folder=folder, env=env,
                task=doc["task"])


def _same(a, b):
    """Rows equal: label sets exactly, numbers to 1e-9."""
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert set(x) == set(y)
        for key in x:
            if isinstance(x[key], float):
                assert x[key] == pytest.approx(y[key], abs=1e-9), key
            elif isinstance(x[key], list):
                assert sorted(x[key]) == sorted(y[key]), key
            else:
                assert x[key] == y[key], key


@pytest.mark.slow
def test_predict_pyfunc_and_serving_agree(shipped, ship_store):
    texts, folder = shipped["texts"], shipped["folder"]
    pd.DataFrame({"id": range(len(texts)), "text": texts}).to_json(folder / "in.jsonl", orient="records", lines=True)
    ok(textml("predict", shipped["uri"], folder / "in.jsonl", "--out", folder / "out.jsonl", "--quiet",
              "--n-jobs", "1", env=shipped["env"]))
    predicted = [json.loads(line) for line in (folder / "out.jsonl").read_text().splitlines()]
    fresh = fresh_predict(ship_store, shipped["uri"], texts)["rows"]
    if shipped["task"] == "multilabel":
        assert fresh[0]["label"] and all(isinstance(r["label"], list) for r in fresh)
        assert any(len(r["label"]) > 1 for r in fresh)  # several tags, not one class per row
        assert [sorted(r["label"]) for r in predicted] == [sorted(r["label"]) for r in fresh]
        probs = [k for k in fresh[0] if k.startswith("prob_")]
        assert len(probs) == 6
        for row, other in zip(predicted, fresh):
            assert [row[k] for k in probs] == pytest.approx([other[k] for k in probs], abs=1e-9)
    else:
        assert list(fresh[0]) == ["value"]
        assert [r["value"] for r in predicted] == pytest.approx([r["value"] for r in fresh], abs=1e-9)
    with mlflow_serve(shipped["uri"], ship_store, folder / "serve.log") as base:
        served = post(f"{base}/invocations", {"dataframe_records": [{"text": t} for t in texts]})["predictions"]
    _same(served, fresh)
