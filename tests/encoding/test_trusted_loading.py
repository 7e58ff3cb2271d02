"""`textml predict` and `textml encode` run no code from a file the user did not mark as trusted,
and refuse damaged models in one line."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest


class Planted:
    """What a planted pickle holds: unpickling it creates ``marker`` (any code could run instead)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture
def planted(tmp_path):
    """A marker path and planted pickles: a .pkl, a .joblib and a model folder holding model.joblib."""
    import joblib

    marker = tmp_path / "code-ran"
    files = {"pkl": tmp_path / "model.pkl", "joblib": tmp_path / "model.joblib", "folder": tmp_path / "old_model"}
    files["pkl"].write_bytes(__import__("pickle").dumps(Planted(marker)))
    joblib.dump(Planted(marker), files["joblib"])
    files["folder"].mkdir()
    joblib.dump(Planted(marker), files["folder"] / "model.joblib")
    (files["folder"] / "textml.json").write_text('{"model": "bow-svm"}', encoding="utf-8")
    return marker, files


def _one_line(err: str) -> str:
    assert err.startswith("error: ") and "\n" not in err.strip(), err
    return err


@pytest.mark.parametrize("kind", ["pkl", "joblib", "folder"])
def test_predict_refuses_a_planted_pickle_before_it_runs(tmp_path, textml, inputs, planted, kind):
    marker, files = planted
    code, _, err = textml("predict", files[kind], inputs["csv"], "--out", tmp_path / "p.csv", "-j", "1", "-q")
    assert code == 2
    assert "--trust-pickle" in _one_line(err) and str(files[kind] if kind != "folder" else files[kind] / "model.joblib") in err
    assert not marker.exists(), "the pickle ran"
    assert not (tmp_path / "p.csv").exists()
    textml("predict", files[kind], inputs["csv"], "--out", tmp_path / "p.csv", "-j", "1", "-q", "--trust-pickle")
    assert marker.exists(), "with --trust-pickle the file is unpickled (this one is no model, so predict fails)"


@pytest.mark.parametrize("encoder", ["model", "tfidf", "word2vec"])
@pytest.mark.parametrize("kind", ["joblib", "folder"])
def test_encode_refuses_a_planted_pickle_before_it_runs(tmp_path, textml, inputs, planted, encoder, kind):
    marker, files = planted
    code, _, err = textml("encode", inputs["csv"], "--encoder", f"{encoder}:{files[kind]}", "--out",
                          tmp_path / "v.npz", "-j", "1", "-q")
    assert code == 2 and "--trust-pickle" in _one_line(err)
    assert not marker.exists(), "the pickle ran"


def test_idf_weights_from_a_planted_pickle_are_refused(tmp_path, textml, inputs, planted, word2vec_kv):
    marker, files = planted
    code, _, err = textml("encode", inputs["csv"], "--encoder", f"word2vec:{word2vec_kv}", "--pooling", "tfidf",
                          "--idf", files["joblib"], "--out", tmp_path / "v.npy", "-j", "1", "-q")
    assert code == 2 and "--trust-pickle" in _one_line(err)
    assert not marker.exists()


def test_with_trust_pickle_a_joblib_pipeline_predicts_and_encodes(tmp_path, textml, inputs, texts, lr_model):
    import joblib
    import scipy.sparse as sp

    from textml.models.saving import load_model

    model = load_model(lr_model)[0]
    joblib.dump(model, tmp_path / "pipeline.joblib")
    code, _, err = textml("predict", tmp_path / "pipeline.joblib", inputs["csv"], "--out", tmp_path / "p.csv",
                          "--trust-pickle", "-j", "2", "-q")
    assert code == 0, err
    assert pd.read_csv(tmp_path / "p.csv").label.tolist() == list(model.predict(texts))
    code, _, err = textml("encode", inputs["csv"], "--encoder", f"model:{tmp_path / 'pipeline.joblib'}",
                          "--out", tmp_path / "v.npz", "--trust-pickle", "-j", "1", "-q")
    assert code == 0, err
    assert (sp.load_npz(tmp_path / "v.npz") != model[:-1].transform(texts)).nnz == 0


def test_trust_pickle_help_names_the_risk(textml):
    for command in ("predict", "encode"):
        code, out, _ = textml(command, "--help")
        assert code == 0 and "--trust-pickle" in out
        assert "A pickle can run any code when loaded" in " ".join(out.split())


@pytest.fixture
def truncated_bin(tmp_path, fasttext_bin):
    data = fasttext_bin.read_bytes()
    path = tmp_path / "truncated.bin"
    path.write_bytes(data[: len(data) // 3])
    return path


@pytest.mark.parametrize("command", ["encode", "predict"])
def test_a_truncated_fasttext_bin_is_refused_in_one_line(tmp_path, textml, inputs, truncated_bin, command):
    if command == "encode":
        args = ("encode", inputs["csv"], "--encoder", f"fasttext:{truncated_bin}", "--out", tmp_path / "v.npy")
    else:
        args = ("predict", truncated_bin, inputs["csv"], "--out", tmp_path / "p.csv")
    code, _, err = textml(*args, "-j", "1", "-q")
    assert code == 2 and "truncated.bin is damaged or truncated" in _one_line(err)
    assert not (tmp_path / "v.npy").exists() and not (tmp_path / "p.csv").exists()


def test_a_truncated_fasttext_bin_is_refused_as_word_vectors_too(tmp_path, textml, inputs, fasttext_vectors_bin):
    data = fasttext_vectors_bin.read_bytes()
    (tmp_path / "vectors.bin").write_bytes(data[: len(data) // 3])
    code, _, err = textml("encode", inputs["csv"], "--encoder", f"ftvec:{tmp_path / 'vectors.bin'}", "--out",
                          tmp_path / "v.npy", "-j", "1", "-q")
    assert code == 2 and "damaged or truncated" in _one_line(err)


def test_a_model_folder_with_a_corrupted_pipeline_is_refused_in_one_line(tmp_path, textml, inputs, lr_model):
    folder = shutil.copytree(lr_model, tmp_path / "model")
    data = bytearray((folder / "pipeline.skops").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (folder / "pipeline.skops").write_bytes(bytes(data))
    for args in (("predict", folder, inputs["csv"], "--out", tmp_path / "p.csv"),
                 ("encode", inputs["csv"], "--encoder", f"tfidf:{folder}", "--out", tmp_path / "v.npz")):
        code, _, err = textml(*args, "-j", "1", "-q")
        assert code == 2 and "pipeline.skops is damaged or truncated" in _one_line(err)


def test_predict_on_a_missing_input_is_one_line(tmp_path, textml, lr_model):
    code, _, err = textml("predict", lr_model, tmp_path / "missing.csv", "--out", tmp_path / "p.csv")
    assert code == 2 and "input file not found" in _one_line(err) and "missing.csv" in err
    code, _, err = textml("predict", tmp_path / "no_model", tmp_path / "missing.csv", "--out", tmp_path / "p.csv")
    assert code == 2 and "not found" in _one_line(err)


def test_gensim_vectors_load_without_gensim_unpickle(monkeypatch, texts, word2vec_kv, gensim_fasttext):
    import gensim.utils

    from textml.encoding.encoders import resolve_encoder

    def banned(*args, **kwargs):
        raise AssertionError("gensim.utils.unpickle was called")

    monkeypatch.setattr(gensim.utils, "unpickle", banned)
    for spec in (f"word2vec:{word2vec_kv}", f"ftvec:{gensim_fasttext}"):
        vectors = resolve_encoder(spec).load().transform(texts[:50])
        assert vectors.shape[0] == 50 and np.isfinite(vectors).all()


def test_a_gensim_file_that_would_run_code_is_refused(tmp_path, textml, inputs):
    marker = tmp_path / "code-ran"
    (tmp_path / "vectors.kv").write_bytes(__import__("pickle").dumps(Planted(marker)))
    code, _, err = textml("encode", inputs["csv"], "--encoder", f"word2vec:{tmp_path / 'vectors.kv'}",
                          "--out", tmp_path / "v.npy", "-j", "1", "-q")
    assert code == 2 and "vectors.kv names io.open" in _one_line(err)
    assert not marker.exists()


def test_the_resume_fingerprint_does_not_depend_on_trust_pickle(fasttext_bin):
    from textml.encoding.encoders import resolve_encoder

    plain = resolve_encoder(f"fasttext:{fasttext_bin}")
    trusting = resolve_encoder(f"fasttext:{fasttext_bin}", trust_pickle=True)
    assert json.dumps(plain.describe()) == json.dumps(trusting.describe())
