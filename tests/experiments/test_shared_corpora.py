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
