"""Shared test helpers: the real CLI as a subprocess, and the ../shared corpora."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TEXTML_SHARED", REPO.parent / "shared"))
SHARED_CORPORA = {
    "sms": SHARED / "corpora" / "sms-spam" / "sms_spam.csv",
    "debian": SHARED / "corpora" / "debian-packages" / "debian_packages.csv",
    "instacart": SHARED / "corpora" / "instacart-products" / "instacart_products.csv",
}
BUNDLED_DIR = REPO / "textml" / "data" / "bundled"  # package data: ships inside the wheel
BUNDLED = BUNDLED_DIR / "products.csv"
BUNDLED_BINARY = BUNDLED_DIR / "products_binary.csv"


def shared_corpus(name: str) -> Path:
    path = SHARED_CORPORA[name]
    if not path.exists():
        pytest.skip(f"../shared corpora not found at {path} (set TEXTML_SHARED to its folder)")
    return path


def run_textml(*args: str, cwd: str | os.PathLike | None = None, env: dict | None = None,
               timeout: float = 900) -> subprocess.CompletedProcess:
    """Run the real command line in a subprocess, as a user would."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "textml", *map(str, args)],
        capture_output=True, text=True, cwd=cwd, env=full_env, timeout=timeout,
    )


@pytest.fixture
def write(tmp_path):
    """Write text (or bytes) to a file under tmp_path and return its path."""

    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return _write


def logged_models(client, run_id: str) -> list[str]:
    """Names of the MLflow 3 logged models of a run (what its Models tab lists)."""
    run = client.get_run(run_id)
    found = client.search_logged_models(experiment_ids=[run.info.experiment_id],
                                        filter_string=f"source_run_id = '{run_id}'")
    return [model.name for model in found]


@pytest.fixture(scope="session")
def spark_session():
    """One local[2] Spark session for every Spark test (starting one takes ~20 s); skipped
    when pyspark is not installed. A session another test started is shared, not stopped."""
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install 'textml[spark]')")
    from textml.encoding.spark import get_session

    session, created = get_session("local[2]")
    session.sparkContext.setLogLevel("ERROR")
    session.conf.set("spark.sql.shuffle.partitions", "2")  # Spark's 200 are 200 tasks for a few rows
    yield session
    if created:
        session.stop()
