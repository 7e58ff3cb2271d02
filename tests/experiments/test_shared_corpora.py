"""Issue acceptance on the real corpora in ../shared: every default pipeline, honest numbers.

On each corpus (split with --dedupe): every trained model beats both dummies; the best dev
macro-F1 is at least the plain scikit-learn reference (TfidfVectorizer() + LinearSVC() with
library defaults) on the same split; fastText is within 2 points of that reference.
"""

import json

import pytest

from tests.conftest import run_textml, shared_corpus
from textml.data.split import load_split


def _reference_macro_f1(split_dir) -> float:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics import f1_score
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    split = load_split(split_dir)
    model = make_pipeline(TfidfVectorizer(), LinearSVC()).fit(split.train.texts, split.train.labels)
    return f1_score(split.dev.labels, model.predict(split.dev.texts), average="macro")


@pytest.mark.slow
@pytest.mark.parametrize("name", ["sms", "instacart", "debian"])
def test_default_compare_on_shared_corpus(name, tmp_path, tracking_uri):
    source = shared_corpus(name)
    split_dir = tmp_path / "split"
    assert run_textml("data", "split", source, "--out", split_dir, "--dedupe").returncode == 0
    result = run_textml("compare", split_dir, "--json", "--tracking-uri", tracking_uri, "--experiment", f"shared-{name}")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    models = {m["name"]: m for m in doc["models"]}
    assert not doc["failures"], doc["failures"]
    dummies = max(models[d]["dev"]["macro_f1"] for d in ("dummy-prior", "dummy-stratified"))
    for model in doc["models"]:
        if not model["name"].startswith("dummy"):
            assert model["dev"]["macro_f1"] > dummies, model["name"]
    reference = _reference_macro_f1(split_dir)
    best = max(m["dev"]["macro_f1"] for m in doc["models"])
    print(f"{name}: best {best:.4f}, fasttext {models['fasttext']['dev']['macro_f1']:.4f}, reference {reference:.4f}")
    assert best >= reference
    fasttext = models["fasttext"]["dev"]["macro_f1"]
    assert fasttext >= reference - 0.02


def _split(name: str, source, tmp_path):
    split_dir = tmp_path / "split"
    done = run_textml("data", "split", source, "--out", split_dir, "--dedupe",
                      *(["--label-col", "labels"] if name == "debtags" else []))
    assert done.returncode == 0, done.stderr
    return split_dir


def _bare_tag_references(split_dir, tmp_path) -> tuple[float, float]:
    """Dev micro-F1 of the issue's two plain pipelines on textml's split of the debtags file:
    TF-IDF 1-2 grams (sublinear) + one-vs-rest LinearSVC, and fastText ova at threshold 0.5."""
    import fasttext
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics import f1_score
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MultiLabelBinarizer
    from sklearn.svm import LinearSVC

    from textml.data.dataset import label_sets
    from textml.data.formats import Columns

    split = load_split(split_dir, columns=Columns(label="labels"))
    train, dev = label_sets(split.train.labels), label_sets(split.dev.labels)
    binarizer = MultiLabelBinarizer().fit(train)
    truth = binarizer.transform(dev)
    svm = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), OneVsRestClassifier(LinearSVC()))
    svm.fit(split.train.texts, binarizer.transform(train))
    lines = tmp_path / "train.ft"
    lines.write_text("".join(" ".join(f"__label__{t}" for t in tags) + " " + " ".join(text.split()) + "\n"
                             for tags, text in zip(train, split.train.texts)), encoding="utf-8")
    model = fasttext.train_supervised(str(lines), loss="ova", wordNgrams=2, epoch=50, lr=0.5, thread=1, seed=0,
                                      verbose=0)
    guesses = [[label.removeprefix("__label__") for label in model.predict(" ".join(t.split()), k=-1,
                                                                          threshold=0.5)[0]]
               for t in split.dev.texts]
    known = set(binarizer.classes_)
    fasttext_truth = binarizer.transform([[g for g in row if g in known] for row in guesses])
    return (f1_score(truth, svm.predict(split.dev.texts), average="micro"),
            f1_score(truth, fasttext_truth, average="micro"))


@pytest.mark.slow
def test_multilabel_compare_on_debtags(tmp_path, tracking_uri):
    """Tags: the baselines and the two pipelines the issue names a bare reference for."""
    from tests.conftest import SHARED

    source = SHARED / "corpora" / "debtags" / "debtags_short.jsonl"
    if not source.exists():
        pytest.skip(f"../shared corpora not found at {source} (set TEXTML_SHARED to its folder)")
    split_dir = _split("debtags", source, tmp_path)
    result = run_textml("compare", split_dir, "--label-col", "labels", "--models", "bow-svm,fasttext", "--json",
                        "--tracking-uri", tracking_uri, "--experiment", "shared-debtags")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["task"] == "multilabel" and doc["primary_metric"] == "micro_f1" and not doc["failures"]
    models = {m["name"]: m["dev"]["micro_f1"] for m in doc["models"]}
    dummies = max(v for k, v in models.items() if k.startswith("dummy"))
    svm_reference, fasttext_reference = _bare_tag_references(split_dir, tmp_path)
    print(f"debtags: {models}; bare svm {svm_reference:.4f}, bare fasttext {fasttext_reference:.4f}")
    assert all(v > dummies for k, v in models.items() if not k.startswith("dummy"))
    assert max(models.values()) >= svm_reference
    assert models["fasttext"] >= fasttext_reference


@pytest.mark.slow
def test_regression_compare_on_debian_sizes(tmp_path, tracking_uri):
    """Numbers: the baselines and the word and word+char Ridge pipelines against bare TF-IDF + Ridge."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import Ridge
    from sklearn.metrics import mean_squared_error
    from sklearn.pipeline import make_pipeline

    from tests.conftest import SHARED
    from textml.data.dataset import numeric_targets

    source = SHARED / "corpora" / "debian-sizes" / "debian_sizes.csv"
    if not source.exists():
        pytest.skip(f"../shared corpora not found at {source} (set TEXTML_SHARED to its folder)")
    split_dir = _split("debian-sizes", source, tmp_path)
    result = run_textml("compare", split_dir, "--models", "bow-ridge,bow-char-ridge", "--json",
                        "--tracking-uri", tracking_uri, "--experiment", "shared-debian-sizes")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["task"] == "regression" and doc["primary_metric"] == "rmse" and not doc["failures"]
    models = {m["name"]: m["dev"]["rmse"] for m in doc["models"]}
    split = load_split(split_dir)
    bare = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), Ridge())
    bare.fit(split.train.texts, numeric_targets(split.train.labels))
    reference = mean_squared_error(numeric_targets(split.dev.labels), bare.predict(split.dev.texts)) ** 0.5
    print(f"debian-sizes: {models}; bare TF-IDF + Ridge {reference:.4f}")
    assert all(v < models["dummy-mean"] for k, v in models.items() if not k.startswith("dummy"))
    assert min(models.values()) <= reference
    assert [m["name"] for m in doc["models"]][0] == min(models, key=models.get)  # ranked lowest RMSE first
