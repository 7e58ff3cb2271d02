"""Fixtures for the encoding tests: a few thousand product titles in every input format, and
small trained models of every kind (built once per session, in seconds)."""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest

from tests.conftest import BUNDLED

N_TITLES = 3000


@pytest.fixture(scope="session")
def store(tmp_path_factory):
    return tmp_path_factory.mktemp("encoding")


@pytest.fixture(scope="session")
def titles(store) -> pd.DataFrame:
    """3,000 product titles with their ids and labels, some with commas and quotes."""
    frame = pd.read_csv(BUNDLED, dtype=str, keep_default_na=False).head(N_TITLES).reset_index(drop=True)
    frame.loc[5, "text"] = 'Kettle, 1.7 L "quiet boil"'  # quoting survives every format
    return frame


@pytest.fixture(scope="session")
def inputs(store, titles) -> dict:
    """The titles as CSV, TSV, JSONL, Parquet and plain lines (lines have no id column)."""
    paths = {fmt: store / f"titles.{ext}" for fmt, ext in
             [("csv", "csv"), ("tsv", "tsv"), ("jsonl", "jsonl"), ("parquet", "parquet")]}
    titles.to_csv(paths["csv"], index=False)
    titles.to_csv(paths["tsv"], index=False, sep="\t", quoting=csv.QUOTE_NONE, escapechar=None)
    with open(paths["jsonl"], "w", encoding="utf-8") as handle:
        for row in titles.to_dict("records"):
            handle.write(json.dumps(row) + "\n")
    titles.to_parquet(paths["parquet"], index=False)
    paths["lines"] = store / "titles.lines"
    paths["lines"].write_text("".join(t + "\n" for t in titles.text), encoding="utf-8")
    return paths


@pytest.fixture(scope="session")
def texts(titles) -> list[str]:
    return titles.text.tolist()


@pytest.fixture(scope="session")
def lr_model(store, titles):
    """A model folder as `textml train --out` writes it: TF-IDF + logistic regression."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    from textml.models.saving import save_model

    model = Pipeline([("tfidf", TfidfVectorizer(ngram_range=(1, 2), min_df=2)),
                      ("clf", LogisticRegression(max_iter=300))]).fit(titles.text, titles.label)
    return save_model(model, store / "lr_model", {"model": "bow-logreg"})


@pytest.fixture(scope="session")
def svm_model(store, titles):
    """A model without probabilities: TF-IDF + LinearSVC."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import Pipeline
    from sklearn.svm import LinearSVC

    from textml.models.saving import save_model

    model = Pipeline([("tfidf", TfidfVectorizer()), ("clf", LinearSVC())]).fit(titles.text, titles.label)
    return save_model(model, store / "svm_model", {"model": "bow-svm"})


@pytest.fixture(scope="session")
def fasttext_bin(store, titles):
    """A small supervised fastText model with subwords, in fastText's native .bin format."""
    import fasttext

    train = store / "ft_train.txt"
    with open(train, "w", encoding="utf-8") as handle:
        for text, label in zip(titles.text, titles.label):
            handle.write(f"__label__{label} {' '.join(text.split())}\n")
    model = fasttext.train_supervised(str(train), dim=24, epoch=3, minn=2, maxn=4, wordNgrams=1,
                                      thread=1, seed=0, verbose=0)
    path = store / "ft_model.bin"
    model.save_model(str(path))
    return path


@pytest.fixture(scope="session")
def fasttext_vectors_bin(store, texts):
    """A small unsupervised (skipgram) fastText model: word vectors with subwords, native .bin."""
    import fasttext

    train = store / "ft_unsup.txt"
    train.write_text("".join(" ".join(t.split()) + "\n" for t in texts), encoding="utf-8")
    model = fasttext.train_unsupervised(str(train), model="skipgram", dim=16, epoch=1, minCount=2,
                                        minn=2, maxn=4, bucket=20_000, thread=1, verbose=0)
    path = store / "ft_vectors.bin"
    model.save_model(str(path))
    return path


@pytest.fixture(scope="session")
def word2vec_kv(store, texts):
    """gensim word2vec vectors saved with KeyedVectors.save (.kv)."""
    from gensim.models import Word2Vec

    from textml.text.tokenize import tokenize

    model = Word2Vec([tokenize(t) for t in texts], vector_size=16, min_count=2, epochs=2, seed=0, workers=1)
    path = store / "w2v.kv"
    model.wv.save(str(path))
    return path


@pytest.fixture(scope="session")
def gensim_fasttext(store, texts):
    """A gensim FastText model (subword vectors) saved with FastText.save."""
    from gensim.models import FastText

    from textml.text.tokenize import tokenize

    model = FastText([tokenize(t) for t in texts], vector_size=16, min_count=2, epochs=2, seed=0, workers=1,
                     min_n=2, max_n=4, bucket=20_000)
    path = store / "ftvec.model"
    model.save(str(path))
    return path


@pytest.fixture
def textml(monkeypatch, capsys):
    """Run `textml ARGS` in-process through the real entry point; return (exit code, stdout, stderr)."""
    from textml.cli import main

    def run(*args):
        capsys.readouterr()
        try:
            main(list(map(str, args)))
            code = 0
        except SystemExit as exit:
            code = exit.code
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
