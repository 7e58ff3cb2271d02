"""The model registry: every entry works end to end, names and options fail helpfully."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest
from sklearn.base import clone
from sklearn.metrics import f1_score
from sklearn.model_selection import ParameterSampler, train_test_split

from textml.exceptions import ConfigError
from textml.models.registry import get_spec, list_specs, make_model, model_names, register_model

EXPECTED = [
    "dummy-prior", "dummy-stratified", "bow-logreg", "bow-svm", "bow-nb", "bow-tree",
    "bow-char-svm", "fasttext", "w2v-logreg", "ftvec-logreg", "spacy-textcat",
]
TOPICS = {
    "sport": "football match goal team coach league score player stadium referee",
    "food": "recipe pasta garlic oven bake sauce flour dinner tomato cheese",
    "money": "bank loan interest budget invest stock price market credit savings",
}
SHARED = "the a today new great really my this big".split()


def tiny_corpus(per_class=40, seed=0):
    """3 classes x ``per_class`` short texts: 3 topic words + 2 shared words each."""
    rng = random.Random(seed)
    texts, labels = [], []
    for label, words in TOPICS.items():
        for _ in range(per_class):
            tokens = rng.sample(words.split(), 3) + rng.sample(SHARED, 2)
            rng.shuffle(tokens)
            texts.append(" ".join(tokens))
            labels.append(label)
    return train_test_split(texts, labels, test_size=0.3, stratify=labels, random_state=seed)


@pytest.fixture(scope="module")
def split():
    return tiny_corpus()


@pytest.fixture(scope="module")
def prior_f1(split):
    X_train, X_test, y_train, y_test = split
    return f1_score(y_test, make_model("dummy-prior").fit(X_train, y_train).predict(X_test), average="macro")


def test_registry_lists_every_documented_model():
    assert model_names() == EXPECTED
    assert [spec.name for spec in list_specs()] == EXPECTED
    for spec in list_specs():
        assert spec.description and "\n" not in spec.description
        assert spec.cost


@pytest.mark.parametrize("name", EXPECTED)
def test_every_model_fits_predicts_and_scores_on_raw_texts(name, split, prior_f1):
    X_train, X_test, y_train, y_test = split
    model = make_model(name, seed=0).fit(X_train, y_train)
    pred = model.predict(X_test)
    assert len(pred) == len(X_test) and set(pred) <= set(y_train)
    assert hasattr(model, "predict_proba") or hasattr(model, "decision_function")
    scores = model.predict_proba(X_test) if hasattr(model, "predict_proba") else model.decision_function(X_test)
    assert scores.shape == (len(X_test), 3)
    assert list(model.classes_) == sorted(TOPICS)
    if not name.startswith("dummy-"):
        assert f1_score(y_test, pred, average="macro") > prior_f1 + 0.3


@pytest.mark.parametrize("name", EXPECTED)
def test_search_space_names_real_parameters_of_the_model(name):
    spec = get_spec(name)
    model = spec.make()
    space = spec.search_space
    for params in ParameterSampler(space, n_iter=5, random_state=0) if space else []:
        clone(model).set_params(**params)  # raises ValueError on an unknown parameter name


def test_seed_reaches_the_random_steps(split):
    X_train, X_test, y_train, _ = split
    a = make_model("dummy-stratified", seed=1).fit(X_train, y_train).predict(X_test)
    b = make_model("dummy-stratified", seed=1).fit(X_train, y_train).predict(X_test)
    c = make_model("dummy-stratified", seed=2).fit(X_train, y_train).predict(X_test)
    assert list(a) == list(b) and list(a) != list(c)
    assert make_model("fasttext", seed=7).get_params()["clf__seed"] == 7


def test_unknown_model_name_lists_the_known_ones():
    with pytest.raises(ConfigError) as info:
        make_model("bow-svn")
    message = str(info.value)
    assert "unknown model 'bow-svn'" in message and "Did you mean 'bow-svm'?" in message
    for name in EXPECTED:
        assert name in message


def test_unknown_option_lists_the_accepted_ones():
    with pytest.raises(ConfigError, match="has no option 'C'.*spacy_lang"):
        make_model("bow-svm", C=3)
    with pytest.raises(ConfigError, match="seed"):
        make_model("bow-svm", seed=-1)


def test_spacy_preprocessing_is_an_option_of_the_bag_of_words_models(split):
    X_train, X_test, y_train, y_test = split
    model = make_model("bow-svm", spacy_lang="en", stop_words=True)
    assert list(model.named_steps) == ["spacy", "tfidf", "clf"]
    model.fit(X_train, y_train)
    assert f1_score(y_test, model.predict(X_test), average="macro") > 0.8
    with pytest.raises(ConfigError, match="spacy_lang"):
        make_model("bow-svm", stop_words=True)


def test_registering_a_model_needs_a_proper_name_and_seed():
    with pytest.raises(ConfigError, match="lowercase"):
        register_model("Bad Name", description="x")
    with pytest.raises(ConfigError, match="seed"):
        register_model("no-seed-model", description="x")(lambda: None)


def test_importing_the_registry_is_cheap():
    code = (
        "import sys, textml.models.registry as r; r.model_names(); r.get_spec('fasttext').search_space;"
        "print(sorted(m for m in ('sklearn', 'fasttext', 'gensim', 'spacy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # Listing names needs nothing heavy; a search space needs only scipy.stats.
    assert out.stdout.strip() == "[]"
