"""Fixtures for shipping tests: a small real split, a session MLflow store, and models trained
by the real `textml compare`, logged as MLflow models and registered."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import BUNDLED, run_textml

N_ROWS = 2000
COMPARED = "dummy-prior,bow-svm,fasttext"
REGISTERED = "products-clf"


def textml(*args, env: dict | None = None, timeout: float = 900, cwd=None) -> subprocess.CompletedProcess:
    """Run the textml command line in a subprocess, as a user would."""
    return run_textml(*args, env=env, timeout=timeout, cwd=cwd)


def ok(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, f"exit {result.returncode}\nstdout: {result.stdout[-2000:]}\nstderr: {result.stderr[-3000:]}"
    return result


FRESH_PROCESS = """
import json, sys
import mlflow.pyfunc, pandas as pd
mlflow.set_tracking_uri(sys.argv[1])
model = mlflow.pyfunc.load_model(sys.argv[2])
texts = json.loads(sys.stdin.read())
out = model.predict(pd.DataFrame({"text": texts}))
print(json.dumps({"columns": list(out.columns), "rows": out.to_dict("records")}))
"""


def fresh_predict(store: str, uri: str, texts: list[str]) -> dict:
    """mlflow.pyfunc.load_model(uri).predict(texts) in a new Python process."""
    done = subprocess.run([sys.executable, "-c", FRESH_PROCESS, store, uri], input=json.dumps(texts),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def ship_store(tmp_path_factory):
    """A real MLflow SQLite store (tracking + registry) for the shipping session."""
    folder = tmp_path_factory.mktemp("ship-mlflow")
    return f"sqlite:///{folder / 'mlflow.db'}"


@pytest.fixture(scope="session")
def ship_split_dir(tmp_path_factory):
    """2,000 bundled product titles (16 classes), split 80/10/10 with dedupe."""
    from textml.data.split import split_file

    folder = tmp_path_factory.mktemp("ship-data")
    with open(BUNDLED, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    random.Random(1).shuffle(rows)
    source = folder / "products_small.csv"
    with open(source, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "text", "label"])
        writer.writeheader()
        writer.writerows({k: r[k] for k in ("id", "text", "label")} for r in rows[:N_ROWS])
    split_file(source, folder / "split", dedupe=True)
    return folder / "split"


@pytest.fixture(scope="session")
def compared(ship_split_dir, ship_store):
    """`textml compare` on the small split: one child run (and MLflow model) per pipeline."""
    result = ok(run_textml("compare", ship_split_dir, "--models", COMPARED, "--json", "--quiet",
                           "--tracking-uri", ship_store, "--experiment", "shipping"))
    doc = json.loads(result.stdout)
    return {m["name"]: m for m in doc["models"]} | {"_doc": doc}


@pytest.fixture(scope="session")
def registered(compared, ship_store):
    """bow-svm registered as v1 (champion), fasttext as v2 (challenger), bow-svm again as v3."""
    env = {"MLFLOW_TRACKING_URI": ship_store}
    versions = {}
    for name in ("bow-svm", "fasttext", "bow-svm"):
        out = json.loads(ok(textml("models", "register", compared[name]["run_id"], "--name", REGISTERED,
                                   "--json", env=env)).stdout)
        versions.setdefault(name, out["version"])
        versions[f"v{out['version']}"] = name
    ok(textml("models", "promote", REGISTERED, "--alias", "champion", versions["bow-svm"], env=env))
    ok(textml("models", "promote", REGISTERED, "--alias", "challenger", versions["fasttext"], env=env))
    return versions


@pytest.fixture(scope="session")
def dev_texts(ship_split_dir):
    from textml.data.split import load_split

    return list(load_split(ship_split_dir).dev.texts)


READY_TIMEOUT = 180  # seconds; ~10-20 s seen on 2 cores
REQUEST_TIMEOUT = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def post(url: str, payload: dict) -> dict:
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:
        return json.loads(response.read())


@contextlib.contextmanager
def mlflow_serve(model_uri: str, store: str, log_path: Path):
    """`mlflow models serve -m MODEL_URI --env-manager local` on 127.0.0.1; yields its base URL."""
    port = free_port()
    bin_dir = str(Path(sys.executable).parent)  # uvicorn lives beside the interpreter
    env = dict(os.environ, MLFLOW_TRACKING_URI=store, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""),
               MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR="false")
    log = open(log_path, "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "models", "serve", "-m", model_uri,
         "--env-manager", "local", "-h", "127.0.0.1", "-p", str(port)],
        stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            if server.poll() is not None:
                pytest.fail(f"mlflow models serve exited {server.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{base}/ping", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"server not ready after {READY_TIMEOUT}s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        yield base
    finally:
        try:
            os.killpg(server.pid, signal.SIGTERM)  # the CLI execs uvicorn in the same process group
            server.wait(timeout=30)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
        log.close()
