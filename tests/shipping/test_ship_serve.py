"""`mlflow models serve` answers over HTTP what `textml predict` answers for the champion."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from tests.shipping.conftest import REGISTERED, ok, textml

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


@pytest.fixture
def served_champion(registered, ship_store, tmp_path):
    """`mlflow models serve -m models:/NAME@champion --env-manager local` on 127.0.0.1."""
    port = free_port()
    bin_dir = str(Path(sys.executable).parent)  # uvicorn lives beside the interpreter
    env = dict(os.environ, MLFLOW_TRACKING_URI=ship_store, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""),
               MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR="false")
    log = open(tmp_path / "serve.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "models", "serve", "-m", f"models:/{REGISTERED}@champion",
         "--env-manager", "local", "-h", "127.0.0.1", "-p", str(port)],
        stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            if server.poll() is not None:
                pytest.fail(f"mlflow models serve exited {server.returncode}:\n{(tmp_path / 'serve.log').read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{base}/ping", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"server not ready after {READY_TIMEOUT}s:\n{(tmp_path / 'serve.log').read_text()[-3000:]}")
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


@pytest.mark.slow
def test_served_champion_answers_like_textml_predict(served_champion, registered, ship_store, dev_texts, tmp_path):
    texts = dev_texts[:40]
    records = post(f"{served_champion}/invocations", {"dataframe_records": [{"text": t} for t in texts]})
    inputs = post(f"{served_champion}/invocations", {"inputs": {"text": texts}})
    served = records["predictions"]
    assert inputs["predictions"] == served
    assert len(served) == len(texts) and all(set(r) > {"label"} for r in served)
    assert all(abs(sum(v for k, v in r.items() if k.startswith("prob_")) - 1) < 1e-6 for r in served)

    (tmp_path / "in.csv").write_text(pd.DataFrame({"id": range(len(texts)), "text": texts}).to_csv(index=False))
    run_id = [v for v in _versions(ship_store) if "champion" in v["aliases"]][0]["run_id"]
    ok(textml("predict", f"runs:/{run_id}/model", tmp_path / "in.csv", "--out", tmp_path / "out.csv",
                  "--tracking-uri", ship_store, "--quiet", "--n-jobs", "1"))
    predicted = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert predicted["label"].tolist() == [r["label"] for r in served]


@pytest.mark.slow
def test_bad_requests_get_an_error_not_a_crash(served_champion):
    with pytest.raises(urllib.error.HTTPError) as caught:
        post(f"{served_champion}/invocations", {"dataframe_records": [{"title": "no text column"}]})
    assert caught.value.code == 400
    assert post(f"{served_champion}/invocations", {"dataframe_records": [{"text": "still up"}]})["predictions"]


def _versions(store):
    from textml.tracking.registry import list_models

    return list_models(REGISTERED, tracking_uri=store)[0]["versions"]
