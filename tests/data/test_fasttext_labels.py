"""fastText labels come back unchanged everywhere: one encoding for data files and the estimator."""

import json

import pytest

from tests.conftest import run_textml
from textml.data import Dataset, read_dataset, write_dataset
from textml.data.formats import decode_label, encode_label, write_fasttext
from textml.data.split import load_split
from textml.models.fasttext import FastTextClassifier

AWKWARD = ["Home & Garden", "a/b", "x, y", "Café", "100%"]
WORDS = {
    "Home & Garden": "sofa lamp rug shelf cushion",
    "a/b": "alpha beta gamma delta epsilon",
    "x, y": "axis vector matrix tensor scalar",
    "Café": "espresso latte croissant mocha barista",
    "100%": "cotton wool linen silk denim",
}


@pytest.mark.parametrize("label", AWKWARD + ["tab\there", "new\nline", "50%25", "nbsp\u00a0x", "__label__x", "ü ✓"])
def test_every_label_round_trips_as_one_token(label):
    token = encode_label(label)
    assert len(token.split()) == 1 and "\n" not in token
    assert decode_label(token) == label


def test_tokens_stay_readable_and_foreign_tokens_are_kept():
    assert encode_label("Home & Garden") == "__label__Home%20&%20Garden"
    assert encode_label("Café") == "__label__Café" and encode_label("a/b") == "__label__a/b"
    assert encode_label("100%") == "__label__100%25"
    assert decode_label("__label__100%") == "100%"  # written by another tool: not an escape
    assert decode_label("__label__Caf%C3%A9") == "Café"  # models saved before the labels stayed readable


def _corpus(write, per_class=12):
    rows = []
    for label, words in WORDS.items():
        vocab = words.split()
        rows += [(f"{vocab[i % 5]} {vocab[(i + 1) % 5]} {vocab[(i + 2) % 5]} item{i}", label) for i in range(per_class)]
    return write("awkward.csv", "text,label\n" + "".join(f'{t},"{l}"\n' for t, l in rows))


def test_awkward_labels_survive_split_check_and_the_fasttext_classifier(write, tmp_path):
    out = tmp_path / "split"
    result = run_textml("data", "split", _corpus(write), "--out", out, "--out-format", "fasttext")
    assert result.returncode == 0, result.stderr
    assert "__label__Home%20&%20Garden " in (out / "train.txt").read_text(encoding="utf-8")

    split = load_split(out)
    assert set(split.train.labels) == set(AWKWARD) and set(split.dev.labels) == set(AWKWARD)

    check = run_textml("data", "check", out / "train.txt", "--json")
    assert check.returncode == 0, check.stderr
    classes = json.loads(check.stdout)["classes"]
    assert set(classes) == set(AWKWARD)
    assert sum(classes.values()) == json.loads((out / "manifest.json").read_text())["splits"]["train"]["rows"]

    clf = FastTextClassifier(epoch=30, dim=16, wordNgrams=1, bucket=0).fit(split.train.texts, split.train.labels)
    assert set(clf.classes_) == set(AWKWARD)
    assert list(clf.predict(split.dev.texts)) == split.dev.labels


def test_multi_label_rows_and_label_like_words_round_trip(tmp_path):
    data = Dataset(texts=["__label__x is a word here", "plain"], labels=[("a b", "Café"), "100%"], ids=["1", "2"])
    back = read_dataset(write_dataset(data, tmp_path / "d.txt"))
    assert back.labels == [("a b", "Café"), "100%"]
    assert back.texts == ["___label__x is a word here", "plain"]  # stays a word, not one more label


def test_write_fasttext_streams_with_a_cleaning_function(tmp_path):
    def pairs():
        yield from [("Red  Shirt\n", "Home & Garden"), ("Blue\tHat", "x, y")]

    texts, labels = zip(*pairs())
    path = write_fasttext(tmp_path / "t.txt", iter(texts), iter(labels), clean=str.lower)
    assert path.read_bytes() == b"__label__Home%20&%20Garden red shirt\n__label__x,%20y blue hat\n"
    assert read_dataset(path).labels == ["Home & Garden", "x, y"]


def test_awkward_labels_survive_compare_and_predict(write, tmp_path):
    """split --out-format fasttext -> compare -> train --out -> predict: labels come back as written."""
    out, store = tmp_path / "split", f"sqlite:///{tmp_path / 'mlflow.db'}"
    assert run_textml("data", "split", _corpus(write), "--out", out, "--out-format", "fasttext").returncode == 0
    compared = run_textml("compare", out, "--models", "fasttext,bow-nb", "--json", "-q", "--tracking-uri", store)
    assert compared.returncode == 0, compared.stderr
    assert json.loads(compared.stdout)["primary_metric"] == "macro_f1"
    trained = run_textml("train", out, "--model", "fasttext", "--param", "clf__dim=16", "--out", tmp_path / "model",
                         "-q", "--tracking-uri", store)
    assert trained.returncode == 0, trained.stderr
    predicted = run_textml("predict", tmp_path / "model", out / "dev.txt", "--out", tmp_path / "labels.jsonl",
                           "--json")
    assert predicted.returncode == 0, predicted.stderr
    rows = [json.loads(line) for line in (tmp_path / "labels.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {row["label"] for row in rows} == set(AWKWARD)
    assert [row["label"] for row in rows] == load_split(out).dev.labels
