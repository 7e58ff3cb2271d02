"""`textml encode` and `textml predict` as a user types them: summaries, one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd


def test_encode_prints_what_it_wrote_and_how_fast(tmp_path, textml, inputs, fasttext_bin):
    code, out, _ = textml("encode", inputs["csv"], "--encoder", f"fasttext:{fasttext_bin}", "--out",
                          tmp_path / "v.npy", "-j", "2", "--chunk-size", "1000", "-q")
    assert code == 0
    assert f"wrote {tmp_path / 'v.npy'} and {tmp_path / 'v.npy.ids.txt'}: 3,000 24-dimensional dense vectors" in out
    assert "rows/s, 2 workers" in out
    assert np.load(tmp_path / "v.npy").shape == (3000, 24)


def test_predict_json_summary_and_output(tmp_path, textml, inputs, lr_model):
    code, out, _ = textml("predict", lr_model, inputs["parquet"], "--out", tmp_path / "p.csv", "--top-k", "2", "--json")
    assert code == 0
    summary = json.loads(out)
    assert summary["rows"] == 3000 and summary["score_name"] == "prob" and summary["skipped"] == 0
    assert list(pd.read_csv(tmp_path / "p.csv").columns) == ["id", "label", "prob", "label_2", "prob_2"]


def test_errors_are_one_line_naming_the_problem(tmp_path, textml, inputs, lr_model):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,text\n1,a kettle\n2,\n3,a lamp\n", encoding="utf-8")
    code, _, err = textml("predict", lr_model, bad, "--out", tmp_path / "p.csv", "-q")
    assert code == 2
    assert err.startswith("error: ") and "line 3 (id 2) has an empty text" in err and "\n" not in err.strip()
    assert not (tmp_path / "p.csv").exists()
    code, _, err = textml("encode", inputs["csv"], "--encoder", "word2vec", "--out", tmp_path / "v.npy")
    assert code == 2 and "needs a model: write word2vec:PATH" in err


def test_skip_bad_reports_the_skipped_rows(tmp_path, textml, lr_model):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,text\n1,a kettle\n2,\n3,a lamp\n", encoding="utf-8")
    code, out, _ = textml("predict", lr_model, bad, "--out", tmp_path / "p.jsonl", "--skip-bad", "-q")
    assert code == 0 and "2 texts labelled" in out
    assert len((tmp_path / "p.jsonl").read_text().splitlines()) == 2


def test_help_lists_every_encoder(textml):
    from click.testing import CliRunner

    from textml.cli.encode import encode

    help_text = CliRunner().invoke(encode, ["--help"]).output
    for name in ("tfidf:PATH", "hashing", "fasttext:PATH", "word2vec:PATH", "ftvec:PATH", "model:RUN_ID_OR_PATH",
                 "--resume", "--skip-bad", "--engine", "--master", "--n-jobs", "--chunk-size"):
        assert name in help_text
