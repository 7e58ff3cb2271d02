"""Chinese and Japanese are written without spaces: the word models must still find their words."""

import random

import pytest

from textml.models.registry import make_model

# Filler characters, and one two-character word per class hidden at a random place in each text.
FILLER = "的一是了我在有他这为之大来以个中上们到说国和地也子时道出而要于就下得可你年生のにをはがでとも"
CLASS_WORDS = {"phone": "手机", "shoes": "鞋子", "tea": "绿茶", "toys": "玩具"}


def _texts(n, seed):
    rng = random.Random(seed)
    texts, labels = [], []
    for i in range(n):
        label = list(CLASS_WORDS)[i % len(CLASS_WORDS)]
        chars = [rng.choice(FILLER) for _ in range(rng.randint(4, 12))]
        chars.insert(rng.randint(0, len(chars)), CLASS_WORDS[label])
        texts.append("".join(chars))
        labels.append(label)
    return texts, labels


@pytest.mark.parametrize("name", ["bow-svm", "bow-logreg", "fasttext", "w2v-logreg", "spacy-textcat"])
def test_word_models_learn_from_text_without_spaces(name):
    train_texts, train_labels = _texts(400, seed=0)
    dev_texts, dev_labels = _texts(100, seed=1)
    model = make_model(name).fit(train_texts, train_labels)
    accuracy = sum(p == y for p, y in zip(model.predict(dev_texts), dev_labels)) / len(dev_labels)
    # One token per sentence (the old tokenisation) never repeats between texts: chance level, 0.25.
    assert accuracy >= 0.9, f"{name}: {accuracy:.2f}"
