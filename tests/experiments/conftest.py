"""Fixtures for experiment tests: small real splits and a real MLflow store per session."""

from __future__ import annotations

import csv
import random

import pytest

from tests.conftest import BUNDLED, BUNDLED_BINARY
from textml.data.split import load_split, split_file


def _sample(source, target, n, seed=0):
    with open(source, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    random.Random(seed).shuffle(rows)
    with open(target, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "text", "label"])
        writer.writeheader()
        writer.writerows(rows[:n])
    return target


@pytest.fixture(scope="session")
def tracking_uri(tmp_path_factory):
    """A real MLflow SQLite store for the whole session (the default kind of store)."""
    folder = tmp_path_factory.mktemp("mlflow")
    return f"sqlite:///{folder / 'mlflow.db'}"


@pytest.fixture(scope="session")
def products_split_dir(tmp_path_factory):
    """4,000 bundled product titles, 16 classes, split 80/10/10 with dedupe."""
    folder = tmp_path_factory.mktemp("products")
    source = _sample(BUNDLED, folder / "products_sample.csv", 4000)
    split_file(source, folder / "split", dedupe=True)
    return folder / "split"


@pytest.fixture(scope="session")
def binary_split_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("binary")
    split_file(BUNDLED_BINARY, folder / "split", dedupe=True)
    return folder / "split"


@pytest.fixture
def products_split(products_split_dir):
    return load_split(products_split_dir)
