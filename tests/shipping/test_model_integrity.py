"""Damaged models are refused when loaded: sizes and sha256 recorded at save time, fastText files
checked against their header, gensim files read without gensim's own (unrestricted) unpickle."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from tests.conftest import BUNDLED
from textml.exceptions import DataError
from textml.models.loading import check_fasttext_file, load_gensim_file
from textml.models.saving import load_model, save_model


@pytest.fixture(scope="module")
def titles():
    frame = pd.read_csv(BUNDLED, dtype=str, keep_default_na=False).sample(800, random_state=1)
    return frame.text.tolist(), frame.label.tolist()


@pytest.fixture(scope="module")
def folders(tmp_path_factory, titles):
    """A TF-IDF, a fastText and a word2vec model folder, saved once."""
    from textml.models.embeddings import Word2VecVectorizer
    from textml.models.fasttext import FastTextClassifier

    texts, labels = titles
    root = tmp_path_factory.mktemp("integrity")
    models = {
        "tfidf": Pipeline([("tfidf", TfidfVectorizer()), ("clf", LogisticRegression(max_iter=200))]),
        "fasttext": Pipeline([("clf", FastTextClassifier(epoch=2, dim=8, bucket=2000))]),
        "w2v": Pipeline([("vec", Word2VecVectorizer(vector_size=8, epochs=1)),
                         ("clf", LogisticRegression(max_iter=200))]),
    }
    return {name: (save_model(model.fit(texts, labels), root / name, {"model": name}), model)
            for name, model in models.items()}


def _copy(folder, tmp_path):
    import shutil

    return shutil.copytree(folder, tmp_path / folder.name)


def _storage(folder):
    return json.loads((folder / "textml.json").read_text())["storage"]


def test_every_file_of_the_folder_is_recorded_with_its_size_and_sha256(folders):
    from textml.files import sha256_file

    for folder, _ in folders.values():
        files = _storage(folder)["files"]
        on_disk = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
        assert sorted(files) == [name for name in on_disk if name != "textml.json"]
        for name, record in files.items():
            assert record == {"size": (folder / name).stat().st_size, "sha256": sha256_file(folder / name)}


def test_a_corrupted_pipeline_is_refused_in_one_line(tmp_path, folders):
    folder = _copy(folders["tfidf"][0], tmp_path)
    data = bytearray((folder / "pipeline.skops").read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, one byte flipped
    (folder / "pipeline.skops").write_bytes(bytes(data))
    with pytest.raises(DataError) as caught:
        load_model(folder)
    message = str(caught.value)
    assert "pipeline.skops is damaged or truncated (size/checksum mismatch); re-save or re-download it" in message
    assert "\n" not in message


@pytest.mark.parametrize("name, file", [("fasttext", "native/0.bin"), ("w2v", "native/0.gensim")])
def test_a_truncated_native_part_is_refused(tmp_path, folders, name, file):
    folder = _copy(folders[name][0], tmp_path)
    data = (folder / file).read_bytes()
    (folder / file).write_bytes(data[: len(data) // 3])
    with pytest.raises(DataError, match=f"{file} is damaged or truncated"):
        load_model(folder)


def test_folders_saved_before_checksums_still_load(tmp_path, folders, titles):
    texts, _ = titles
    folder = _copy(folders["fasttext"][0], tmp_path)
    info = json.loads((folder / "textml.json").read_text())
    del info["storage"]["files"]
    (folder / "textml.json").write_text(json.dumps(info))
    loaded, info = load_model(folder)
    assert info == {"model": "fasttext"}
    np.testing.assert_allclose(loaded.predict_proba(texts), folders["fasttext"][1].predict_proba(texts))


def _ban_gensim_unpickle(monkeypatch):
    import gensim.utils

    def banned(*args, **kwargs):
        raise AssertionError("gensim.utils.unpickle was called")

    monkeypatch.setattr(gensim.utils, "unpickle", banned)


def test_gensim_parts_load_without_gensim_unpickle(monkeypatch, folders, titles):
    texts, _ = titles
    _ban_gensim_unpickle(monkeypatch)
    loaded, _ = load_model(folders["w2v"][0])
    np.testing.assert_allclose(loaded.predict_proba(texts), folders["w2v"][1].predict_proba(texts), rtol=1e-6)


def test_gensim_files_with_separately_stored_arrays_load_without_gensim_unpickle(tmp_path, monkeypatch, titles):
    from gensim.models import FastText

    from textml.text.tokenize import tokenize

    texts, _ = titles
    model = FastText([tokenize(t) for t in texts], vector_size=8, min_count=1, epochs=1, bucket=5000, workers=1)
    model.save(str(tmp_path / "ft.model"), sep_limit=0)  # every array in its own .npy
    assert list(tmp_path.glob("ft.model.*.npy"))
    _ban_gensim_unpickle(monkeypatch)
    loaded = load_gensim_file(tmp_path / "ft.model")
    assert type(loaded) is FastText
    np.testing.assert_allclose(loaded.wv["kettle"], model.wv["kettle"])
    np.testing.assert_allclose(loaded.wv["zzzunseen"], model.wv["zzzunseen"])  # subword buckets came back


def test_gensim_files_needing_an_unrestricted_unpickle_are_refused(tmp_path, titles):
    from gensim.models import KeyedVectors

    vectors = KeyedVectors(4)
    vectors.add_vectors(["a", "b"], np.eye(2, 4, dtype=np.float32))
    vectors.save(str(tmp_path / "v.kv"))
    obj = pickle.loads((tmp_path / "v.kv").read_bytes())
    setattr(obj, "__scipys", ["vectors"])  # gensim would gensim.utils.unpickle v.kv.vectors.npy
    (tmp_path / "v.kv").write_bytes(pickle.dumps(obj))
    with pytest.raises(DataError, match="scipy matrices.*--trust-pickle"):
        load_gensim_file(tmp_path / "v.kv")


@pytest.mark.parametrize("keep", [1 / 3, 0.99, 0.01], ids=["third", "last-bytes", "inside-dictionary"])
def test_a_truncated_fasttext_file_is_refused_before_fasttext_reads_it(tmp_path, folders, keep):
    data = (folders["fasttext"][0] / "native" / "0.bin").read_bytes()
    check_fasttext_file(folders["fasttext"][0] / "native" / "0.bin")
    cut = tmp_path / "cut.bin"
    cut.write_bytes(data[: int(len(data) * keep)])  # cut inside the dictionary, fastText never returns
    with pytest.raises(DataError) as caught:
        check_fasttext_file(cut)
    assert "is damaged or truncated" in str(caught.value) and "its header implies" in str(caught.value)
