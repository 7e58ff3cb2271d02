"""Prediction files are the data layer's CSV/TSV/JSONL: `\\n` line endings, and labels with
commas, quotes, tabs or accents read back unchanged by every textml command."""

from __future__ import annotations

import pytest

from textml.data import Columns, read_dataset
from textml.encoding import predict_file

AWKWARD = ["Home & Garden", "x, y", 'say "cheese"', "Café", "100%"]


@pytest.fixture(scope="module")
def awkward_model(tmp_path_factory):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    from textml.models.saving import save_model

    texts = [f"{word} item {i}" for word in ("sofa", "axis", "smile", "latte", "cotton") for i in range(6)]
    labels = [label for label in AWKWARD for _ in range(6)]
    model = Pipeline([("tfidf", TfidfVectorizer()), ("clf", LogisticRegression(max_iter=200))]).fit(texts, labels)
    return save_model(model, tmp_path_factory.mktemp("awkward") / "model", {"model": "bow-logreg"})


@pytest.mark.parametrize("ext", [".csv", ".tsv", ".jsonl"])
def test_predictions_have_newline_endings_and_labels_read_back(tmp_path, awkward_model, ext):
    source = tmp_path / "in.csv"
    source.write_text("id,text\n" + "".join(f"r{i},{w} thing\n" for i, w in
                                            enumerate(["sofa", "axis", "smile", "latte", "cotton"])), encoding="utf-8")
    out = tmp_path / f"p{ext}"
    predict_file(awkward_model, source, out, n_jobs=1, progress=False)
    assert b"\r" not in out.read_bytes()
    back = read_dataset(out, columns=Columns(text="prob", label="label", id="id"))
    assert back.ids == [f"r{i}" for i in range(5)] and back.labels == AWKWARD
