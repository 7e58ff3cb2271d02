"""Small synthetic corpora for the tasks beyond single labels: tags and numbers.

Each tag has its own words, and a text carries the words of its tags among shared filler,
so a bag-of-words model can learn them and a dummy cannot; a numeric target is a sum of
word weights plus noise, so a linear model on word counts beats predicting the mean.
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

TAG_WORDS = {
    "audio": ("sound", "mp3", "player", "music"),
    "graphics": ("image", "photo", "pixel", "draw"),
    "network": ("http", "socket", "server", "proxy"),
    "devel": ("compiler", "library", "debug", "header"),
    "games": ("arcade", "puzzle", "level", "score"),
    "docs": ("manual", "guide", "reference", "handbook"),
}
FILLER = ("tool", "package", "simple", "fast", "small", "the", "for", "and", "with", "data", "files", "common")
NUMBER_WORDS = {"tiny": -1.5, "small": -0.8, "lite": -0.5, "core": 0.3, "suite": 0.9, "full": 1.2, "huge": 2.0,
                "bundle": 1.5, "data": 0.6, "minimal": -1.1}


def tag_rows(n: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    tags = sorted(TAG_WORDS)
    rows = []
    for i in range(n):
        chosen = tuple(sorted(rng.sample(tags, rng.choice((1, 1, 2, 2, 3)))))
        words = [rng.choice(TAG_WORDS[t]) for t in chosen for _ in range(2)]
        words += rng.sample(FILLER, 4)
        rng.shuffle(words)
        rows.append({"id": f"r{i}", "text": " ".join(words) + f" v{i}", "labels": list(chosen)})
    return rows


def number_rows(n: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    names = sorted(NUMBER_WORDS)
    rows = []
    for i in range(n):
        words = rng.sample(names, 3) + rng.sample(FILLER, 3)
        rng.shuffle(words)
        value = 2.5 + sum(NUMBER_WORDS.get(w, 0.0) for w in words) + rng.gauss(0, 0.3)
        rows.append({"id": f"r{i}", "text": " ".join(words) + f" v{i}", "label": f"{value:.4f}"})
    return rows


def write_tag_split(folder: Path, n_train: int = 500, n_dev: int = 150, n_test: int = 150) -> Path:
    """train/dev/test.jsonl with a list of tags per row."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = tag_rows(n_train + n_dev + n_test)
    parts = {"train": rows[:n_train], "dev": rows[n_train:n_train + n_dev], "test": rows[n_train + n_dev:]}
    for name, part in parts.items():
        with open(folder / f"{name}.jsonl", "w", encoding="utf-8") as handle:
            handle.writelines(json.dumps(row) + "\n" for row in part)
    return folder


def write_number_split(folder: Path, n_train: int = 500, n_dev: int = 150, n_test: int = 150) -> Path:
    """train/dev/test.csv with a numeric ``label`` column."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = number_rows(n_train + n_dev + n_test)
    parts = {"train": rows[:n_train], "dev": rows[n_train:n_train + n_dev], "test": rows[n_train + n_dev:]}
    for name, part in parts.items():
        with open(folder / f"{name}.csv", "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=["id", "text", "label"])
            writer.writeheader()
            writer.writerows(part)
    return folder
