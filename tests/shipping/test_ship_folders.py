"""Model folders: native parts in native formats, the rest in skops, nothing untrusted loaded."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier

from tests.conftest import BUNDLED
from textml.exceptions import ConfigError, DataError
from textml.models.saving import load_model, save_model


@pytest.fixture(scope="module")
def titles():
    frame = pd.read_csv(BUNDLED, dtype=str, keep_default_na=False).sample(1500, random_state=0)
    return frame.text.tolist(), frame.label.tolist()


def _files(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def _rehash(folder):
    """Record the folder's current files in its manifest, as someone who edits textml.json too would."""
    from textml.models.saving import file_records

    info = json.loads((folder / "textml.json").read_text())
    info["storage"]["files"] = file_records(folder)
    (folder / "textml.json").write_text(json.dumps(info))


@pytest.mark.parametrize("clf", [LogisticRegression(max_iter=300), LinearSVC(), DecisionTreeClassifier(max_depth=8)],
                         ids=["logreg", "svm", "tree"])
def test_sklearn_pipeline_round_trips_without_a_pickle(tmp_path, titles, clf):
    texts, labels = titles
    model = Pipeline([("tfidf", TfidfVectorizer(ngram_range=(1, 2))), ("clf", clf)]).fit(texts, labels)
    save_model(model, tmp_path / "m", {"model": "custom"})
    # the vocabulary is a JSON list of terms (skops encoded the dict entry by entry: 40x slower)
    assert _files(tmp_path / "m") == ["native/0.vocab.json", "pipeline.skops", "textml.json"]
    loaded, info = load_model(tmp_path / "m")
    assert info == {"model": "custom"}
    assert loaded.named_steps["tfidf"].vocabulary_ == model.named_steps["tfidf"].vocabulary_
    assert list(loaded.predict(texts)) == list(model.predict(texts))


def test_fasttext_is_stored_as_a_native_bin_and_comes_back(tmp_path, titles):
    import fasttext

    from textml.models.fasttext import FastTextClassifier

    texts, labels = titles
    model = Pipeline([("clf", FastTextClassifier(epoch=5, dim=16, bucket=20_000))]).fit(texts, labels)
    save_model(model, tmp_path / "m", {"model": "fasttext"})
    assert "native/0.bin" in _files(tmp_path / "m")
    assert hasattr(model.named_steps["clf"], "model_"), "saving must not strip the caller's model"
    native = fasttext.load_model(str(tmp_path / "m" / "native" / "0.bin"))  # any fastText tool reads it
    assert len(native.get_labels()) == len(set(labels))
    loaded, _ = load_model(tmp_path / "m")
    np.testing.assert_allclose(loaded.predict_proba(texts), model.predict_proba(texts))
    assert (tmp_path / "m" / "pipeline.skops").stat().st_size < 100_000  # the vectors are not in there


@pytest.mark.parametrize("vectorizer", ["Word2VecVectorizer", "FastTextVectorizer"])
def test_gensim_vectors_are_stored_natively_and_come_back(tmp_path, titles, vectorizer):
    from textml.models import embeddings

    texts, labels = titles
    vec = getattr(embeddings, vectorizer)(vector_size=16, epochs=2, **({"bucket": 5000} if "FastText" in vectorizer else {}))
    model = Pipeline([("vec", vec), ("clf", LogisticRegression(max_iter=300))]).fit(texts, labels)
    save_model(model, tmp_path / "m", {})
    assert "native/0.gensim" in _files(tmp_path / "m")
    loaded, _ = load_model(tmp_path / "m")
    assert type(loaded.named_steps["vec"].wv_) is type(model.named_steps["vec"].wv_)
    np.testing.assert_allclose(loaded.predict_proba(texts), model.predict_proba(texts), rtol=1e-6)


class Unvetted(TransformerMixin, BaseEstimator):
    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X


def test_types_textml_does_not_trust_are_refused_on_save_and_on_load(tmp_path, titles):
    texts, labels = titles
    model = Pipeline([("odd", Unvetted()), ("tfidf", TfidfVectorizer()), ("clf", LinearSVC())]).fit(texts, labels)
    with pytest.raises(ConfigError, match="Unvetted"):
        save_model(model, tmp_path / "refused", {})
    assert not (tmp_path / "refused").exists()
    name = f"{Unvetted.__module__}.Unvetted"
    save_model(model, tmp_path / "m", {}, trusted=[name])  # someone else's folder, say
    with pytest.raises(DataError, match="does not trust.*Unvetted"):
        load_model(tmp_path / "m")
    assert list(load_model(tmp_path / "m", trusted=[name])[0].predict(texts[:5])) == list(model.predict(texts[:5]))


class _Payload:
    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


def test_a_gensim_file_that_would_run_code_is_refused(tmp_path, titles):
    from textml.models.embeddings import Word2VecVectorizer

    texts, labels = titles
    model = Pipeline([("vec", Word2VecVectorizer(vector_size=8, epochs=1)),
                      ("clf", LogisticRegression(max_iter=100))]).fit(texts, labels)
    save_model(model, tmp_path / "m", {})
    payload = _Payload()
    payload.marker = tmp_path / "pwned"
    (tmp_path / "m" / "native" / "0.gensim").write_bytes(pickle.dumps(payload))
    with pytest.raises(DataError, match="0.gensim is damaged or truncated"):  # the checksum notices first
        load_model(tmp_path / "m")
    _rehash(tmp_path / "m")
    with pytest.raises(DataError, match="os.system|posix.system"):  # and the unpickler refuses it anyway
        load_model(tmp_path / "m")
    assert not payload.marker.exists()


def test_a_manifest_pointing_outside_the_folder_is_refused(tmp_path, titles):
    from textml.models.fasttext import FastTextClassifier

    texts, labels = titles
    save_model(FastTextClassifier(epoch=1, dim=8, bucket=1000).fit(texts, labels), tmp_path / "m", {})
    info_file = tmp_path / "m" / "textml.json"
    info = json.loads(info_file.read_text())
    info["storage"]["native"][0]["file"] = "../../elsewhere.bin"
    info_file.write_text(json.dumps(info))
    with pytest.raises(DataError, match="outside the model folder"):
        load_model(tmp_path / "m")


def test_old_joblib_folders_load_only_when_pickles_are_trusted(tmp_path, titles):
    import joblib

    texts, labels = titles
    model = Pipeline([("tfidf", TfidfVectorizer()), ("clf", LinearSVC())]).fit(texts, labels)
    (tmp_path / "old").mkdir()
    joblib.dump(model, tmp_path / "old" / "model.joblib")
    (tmp_path / "old" / "textml.json").write_text('{"model": "bow-svm"}')
    with pytest.raises(ConfigError, match="model.joblib.*--trust-pickle"):
        load_model(tmp_path / "old")
    loaded, info = load_model(tmp_path / "old", trust_pickle=True)
    assert info["model"] == "bow-svm" and list(loaded.predict(texts[:20])) == list(model.predict(texts[:20]))


def test_not_a_model_folder_says_what_to_do(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="textml train"):
        load_model(tmp_path / "empty")
    with pytest.raises(DataError, match="not found"):
        load_model(tmp_path / "missing")


def _registry_names():
    from textml.models.registry import model_names

    return model_names()


@pytest.mark.parametrize("name", _registry_names())
def test_every_registry_pipeline_saves_and_loads_with_the_same_answers(tmp_path, titles, name):
    """A pipeline holding a type textml does not trust fails here, not in a user's compare."""
    import numpy as np

    from textml.models.registry import get_spec, make_model

    texts, labels = titles
    task = get_spec(name).tasks[0]
    if task == "multilabel":  # each title's class, and a second tag for the short ones
        labels = [(label, "short") if len(text) < 40 else (label,) for text, label in zip(texts, labels)]
    elif task == "regression":
        labels = np.array([float(len(text.split())) for text in texts])
    model = make_model(name, seed=0).fit(texts, labels)
    save_model(model, tmp_path / "m", {"model": name})
    assert not any(f.endswith((".joblib", ".pkl")) for f in _files(tmp_path / "m"))
    loaded, info = load_model(tmp_path / "m")
    assert info["model"] == name
    assert np.array_equal(np.asarray(loaded.predict(texts[:300])), np.asarray(model.predict(texts[:300])))
