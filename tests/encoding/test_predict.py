"""`predict`: the same labels as the model's own predict, top-k with probabilities, ids kept."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from textml.encoding import predict_file
from textml.exceptions import ConfigError

FAST = dict(n_jobs=2, chunk_size=700, progress=False)


def test_top_k_labels_and_probabilities_match_the_model(tmp_path, inputs, titles, texts, lr_model):
    from textml.models.saving import load_model

    result = predict_file(lr_model, inputs["csv"], tmp_path / "p.csv", top_k=3, **FAST)
    got = pd.read_csv(tmp_path / "p.csv", dtype={"id": str})
    model = load_model(lr_model)[0]
    proba = model.predict_proba(texts)
    order = np.argsort(-proba, axis=1, kind="stable")
    assert list(got.columns) == ["id", "label", "prob", "label_2", "prob_2", "label_3", "prob_3"]
    assert got.id.tolist() == titles.id.tolist()
    assert got.label.tolist() == list(model.predict(texts))
    assert got.label_3.tolist() == list(model.classes_[order[:, 2]])
    np.testing.assert_allclose(got[["prob", "prob_2", "prob_3"]].to_numpy(),
                               np.take_along_axis(proba, order[:, :3], axis=1), rtol=1e-12)
    assert result.rows == len(texts) and result.score_name == "prob"


def test_a_model_without_probabilities_is_refused_saying_what_to_do(tmp_path, inputs, svm_model):
    with pytest.raises(ConfigError, match="no predict_proba.*CalibratedPipeline"):
        predict_file(svm_model, inputs["parquet"], tmp_path / "p.parquet", top_k=2, **FAST)
    assert not (tmp_path / "p.parquet").exists()


def test_the_registry_svm_gives_its_calibrated_probabilities(tmp_path, inputs, titles, texts):
    from textml.evaluation.metrics import class_probabilities
    from textml.models.registry import make_model
    from textml.models.saving import load_model, save_model

    folder = save_model(make_model("bow-svm").fit(titles.text, titles.label), tmp_path / "svm", {"model": "bow-svm"})
    result = predict_file(folder, inputs["parquet"], tmp_path / "p.parquet", top_k=2, **FAST)
    got = pd.read_parquet(tmp_path / "p.parquet")
    model = load_model(folder)[0]
    proba = class_probabilities(model, texts)
    assert list(got.columns) == ["id", "label", "prob", "label_2", "prob_2"] and result.score_name == "prob"
    assert got.label.tolist() == list(model.predict(texts))
    np.testing.assert_allclose(got[["prob", "prob_2"]].to_numpy(), -np.sort(-proba, axis=1)[:, :2], rtol=1e-12)


def test_a_native_fasttext_model_predicts_as_the_fasttext_classifier_does(tmp_path, inputs, texts, fasttext_bin):
    from textml.models.fasttext import FastTextClassifier

    predict_file(str(fasttext_bin), inputs["jsonl"], tmp_path / "p.jsonl", top_k=2, **FAST)
    rows = [json.loads(line) for line in (tmp_path / "p.jsonl").read_text(encoding="utf-8").splitlines()]
    model = FastTextClassifier.load(fasttext_bin)
    proba = model.predict_proba(texts)
    assert [r["label"] for r in rows] == list(model.predict(texts))
    np.testing.assert_array_equal([[r["prob"], r["prob_2"]] for r in rows], -np.sort(-proba, axis=1)[:, :2])


def test_top_k_beyond_the_classes_keeps_them_all(tmp_path, inputs, lr_model, titles):
    predict_file(lr_model, inputs["tsv"], tmp_path / "p.tsv", top_k=99, **FAST)
    got = pd.read_csv(tmp_path / "p.tsv", sep="\t")
    assert f"label_{titles.label.nunique()}" in got and f"label_{titles.label.nunique() + 1}" not in got


def test_an_unsupervised_fasttext_model_cannot_predict(tmp_path, inputs, fasttext_vectors_bin):
    with pytest.raises(ConfigError, match="unsupervised.*textml encode"):
        predict_file(str(fasttext_vectors_bin), inputs["csv"], tmp_path / "p.csv", progress=False)


def test_predict_writes_only_table_formats(tmp_path, inputs, lr_model):
    with pytest.raises(ConfigError, match="output format.*.csv"):
        predict_file(lr_model, inputs["csv"], tmp_path / "p.npy", progress=False)


def test_a_model_logged_to_mlflow_is_used_by_its_run_id(tmp_path, monkeypatch, inputs, texts, lr_model):
    from textml.models.saving import load_model
    from textml.tracking import Tracker

    monkeypatch.chdir(tmp_path)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    tracker = Tracker("encoding-test", uri)
    with tracker.run("bow-logreg") as run_id:
        tracker.log_folder(lr_model, "model")
    predict_file(run_id, inputs["csv"], tmp_path / "p.csv", tracking_uri=uri, **FAST)
    from textml.encoding import encode_file

    encode_file(inputs["csv"], f"model:runs:/{run_id}/model", tmp_path / "v.npz", tracking_uri=uri, **FAST)
    model = load_model(lr_model)[0]
    assert pd.read_csv(tmp_path / "p.csv").label.tolist() == list(model.predict(texts))
    import scipy.sparse as sp

    assert (sp.load_npz(tmp_path / "v.npz") != model[:-1].transform(texts)).nnz == 0
