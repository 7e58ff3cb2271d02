"""`mlflow models serve` answers over HTTP what `textml predict` answers for the champion."""

from __future__ import annotations

import urllib.error

import pandas as pd
import pytest

from tests.shipping.conftest import REGISTERED, mlflow_serve, ok, post, textml


@pytest.fixture
def served_champion(registered, ship_store, tmp_path):
    """`mlflow models serve -m models:/NAME@champion --env-manager local` on 127.0.0.1."""
    with mlflow_serve(f"models:/{REGISTERED}@champion", ship_store, tmp_path / "serve.log") as base:
        yield base


@pytest.mark.slow
def test_served_champion_answers_like_textml_predict(served_champion, registered, ship_store, dev_texts, tmp_path):
    texts = dev_texts[:40]
    records = post(f"{served_champion}/invocations", {"dataframe_records": [{"text": t} for t in texts]})
    inputs = post(f"{served_champion}/invocations", {"inputs": {"text": texts}})
    served = records["predictions"]
    assert inputs["predictions"] == served
    assert len(served) == len(texts) and all(set(r) > {"label"} for r in served)
    assert all(abs(sum(v for k, v in r.items() if k.startswith("prob_")) - 1) < 1e-6 for r in served)

    (tmp_path / "in.csv").write_text(pd.DataFrame({"id": range(len(texts)), "text": texts}).to_csv(index=False))
    run_id = [v for v in _versions(ship_store) if "champion" in v["aliases"]][0]["run_id"]
    ok(textml("predict", f"runs:/{run_id}/model", tmp_path / "in.csv", "--out", tmp_path / "out.csv",
                  "--tracking-uri", ship_store, "--quiet", "--n-jobs", "1"))
    predicted = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert predicted["label"].tolist() == [r["label"] for r in served]


@pytest.mark.slow
def test_bad_requests_get_an_error_not_a_crash(served_champion):
    with pytest.raises(urllib.error.HTTPError) as caught:
        post(f"{served_champion}/invocations", {"dataframe_records": [{"title": "no text column"}]})
    assert caught.value.code == 400
    assert post(f"{served_champion}/invocations", {"dataframe_records": [{"text": "still up"}]})["predictions"]


def _versions(store):
    from textml.tracking.registry import list_models

    return list_models(REGISTERED, tracking_uri=store)[0]["versions"]
