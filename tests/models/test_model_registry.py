"""The model registry: every entry works end to end, names, options and tasks fail helpfully."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest
from sklearn.base import clone
from sklearn.metrics import f1_score
from sklearn.model_selection import ParameterSampler, train_test_split

from textml.exceptions import ConfigError
from textml.models.registry import (
    TASKS,
    baseline_names,
    get_spec,
    list_specs,
    make_model,
    model_names,
    register_model,
)

SINGLE_LABEL = [
    "dummy-prior", "dummy-stratified", "bow-logreg", "bow-svm", "bow-nb", "bow-tree",
    "bow-char-svm", "fasttext", "w2v-logreg", "ftvec-logreg", "spacy-textcat",
]
TAGS = ["dummy-label-prior", "dummy-top-k", *SINGLE_LABEL[2:]]
REGRESSION = ["dummy-mean", "dummy-median", "bow-ridge", "bow-char-ridge", "bow-svr", "w2v-ridge",
              "ftvec-ridge", "fasttext-ridge"]
EXPECTED = [*SINGLE_LABEL[:2], *TAGS[:2], *REGRESSION[:2], *SINGLE_LABEL[2:], *REGRESSION[2:]]
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


@pytest.mark.parametrize("name", SINGLE_LABEL)
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


@pytest.mark.parametrize("name, task", [(name, task) for name in EXPECTED for task in get_spec(name).tasks])
def test_search_space_names_real_parameters_of_the_model(name, task):
    spec = get_spec(name)
    model = spec.make(task=task)
    space = spec.search_space_for(task)
    for params in ParameterSampler(space, n_iter=5, random_state=0) if space else []:
        clone(model).set_params(**params)  # raises ValueError on an unknown parameter name
    if not spec.baseline:
        assert space, f"{name} has no search space for {task}"


def test_each_task_has_its_pipelines_and_baselines():
    assert model_names("multiclass") == SINGLE_LABEL and model_names("binary") == SINGLE_LABEL
    assert model_names("multilabel") == TAGS and model_names("regression") == REGRESSION
    assert baseline_names("multilabel") == ["dummy-label-prior", "dummy-top-k"]
    assert baseline_names("regression") == ["dummy-mean", "dummy-median"]
    assert model_names("regression", baselines=False) == REGRESSION[2:]
    assert TASKS == __import__("textml.data.dataset", fromlist=["TASKS"]).TASKS


def test_the_task_picks_the_estimator(split):
    from textml.models.multilabel import MultiLabelPipeline

    single, tags = make_model("bow-svm"), make_model("bow-svm", task="multilabel")
    assert type(single).__name__ == "CalibratedPipeline" and isinstance(tags, MultiLabelPipeline)
    assert make_model("bow-svm", task="multiclass").get_params().keys() == single.get_params().keys()
    assert get_spec("bow-svm").make(task="multilabel").get_params()["clf__estimator__C"] == 1.0
    assert "task" not in get_spec("bow-svm").options  # not a user option
    assert not hasattr(make_model("bow-ridge"), "predict_proba")


def test_a_task_the_pipeline_does_not_serve_names_those_that_do():
    with pytest.raises(ConfigError) as info:
        make_model("dummy-prior", task="regression")
    message = str(info.value)
    assert "'dummy-prior' serves binary, multiclass, not regression" in message
    assert "pipelines for regression: dummy-mean, dummy-median, bow-ridge" in message and "\n" not in message
    with pytest.raises(ConfigError, match="serves regression, not multilabel.*dummy-label-prior"):
        get_spec("bow-ridge").make(task="multilabel")
    with pytest.raises(ConfigError, match="unknown task 'tags'; tasks are: binary, multiclass, multilabel, regression"):
        make_model("bow-svm", task="tags")
    with pytest.raises(ConfigError, match="serves regression, not binary"):
        get_spec("bow-ridge").search_space_for("binary")
    with pytest.raises(ConfigError, match="unknown task 'numeric'"):
        register_model("bad-task-model", description="x", tasks=("numeric",))


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
    with pytest.raises(ConfigError, match="has no option 'C'; its options are: spacy_lang, stop_words\\."):
        make_model("bow-svm", task="multilabel", C=3)
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


def test_pipelines_list_and_show_say_which_tasks_each_serves():
    from tests.conftest import run_textml

    listed = run_textml("pipelines", "list", "--task", "regression")
    assert listed.returncode == 0, listed.stderr
    rows = [line.split() for line in listed.stdout.splitlines()]
    assert [row[0] for row in rows] == REGRESSION and all(row[1] == "regression" for row in rows)
    every = run_textml("pipelines", "list").stdout
    assert next(line for line in every.splitlines() if line.startswith("bow-svm ")).split()[1] == \
        "binary,multiclass,multilabel"
    shown = run_textml("pipelines", "show", "bow-svm", "--task", "multilabel")
    assert "tasks: binary, multiclass, multilabel (shown for multilabel)" in shown.stdout
    assert "clf__estimator__C = 1.0" in shown.stdout and "min_labels = 1" in shown.stdout
    assert "threshold: ['global', 'per-label']" in shown.stdout  # its search space for tags
    refused = run_textml("pipelines", "show", "dummy-mean", "--task", "multilabel")
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1
    assert "serves regression, not multilabel" in refused.stderr
