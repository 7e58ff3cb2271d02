"""What a practitioner sees in MLflow, read back from a real tracking server.

The test starts `mlflow server` on 127.0.0.1 (SQLite backend, local artifact root), runs a
compare and a registration against it, and reads everything back through MlflowClient.
"""

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from tests.conftest import run_textml

MODELS = "bow-svm,fasttext"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mlflow-server")
    port = _free_port()
    log = open(folder / "server.log", "w")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "mlflow"), "server", "--host", "127.0.0.1", "--port", str(port),
         "--backend-store-uri", f"sqlite:///{folder / 'mlflow.db'}",
         "--artifacts-destination", str(folder / "artifacts"), "--workers", "1"],
        stdout=log, stderr=subprocess.STDOUT, cwd=folder)
    uri = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{uri}/health", timeout=2) as answer:
                if answer.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
        if process.poll() is not None:
            pytest.fail(f"mlflow server exited: {(folder / 'server.log').read_text()[-2000:]}")
    else:
        process.kill()
        pytest.fail("mlflow server did not answer within 120 s")
    yield uri
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@pytest.fixture(scope="module")
def compared(server, products_split_dir):
    result = run_textml("compare", products_split_dir, "--models", MODELS, "--json", "--quiet",
                        "--tracking-uri", server, "--experiment", "server-compare")
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def test_experiment_is_a_model_development_one(server, compared):
    experiment = MlflowClient(server).get_experiment_by_name("server-compare")
    assert experiment.tags["mlflow.experimentKind"] == "custom_model_development"


def test_each_child_run_has_its_logged_model_datasets_and_readable_params(server, compared):
    client = MlflowClient(server)
    experiment = client.get_experiment_by_name("server-compare")
    logged = client.search_logged_models(experiment_ids=[experiment.experiment_id])
    by_run = {m.source_run_id: m for m in logged}
    for model in compared["models"]:
        run = client.get_run(model["run_id"])
        assert model["run_id"] in by_run, f"{model['name']} has no logged model"
        contexts = {d.tags[0].value for d in run.inputs.dataset_inputs if d.tags}
        assert {"train", "dev"} <= contexts, model["name"]
        digests = {d.dataset.digest for d in run.inputs.dataset_inputs}
        assert len(digests) == 2
        assert len(run.data.params) < 40, (model["name"], sorted(run.data.params))
        assert run.data.params["pipeline"] == model["name"]
        f1s = [k for k in run.data.metrics if k.startswith("f1.")]
        assert len(f1s) >= 10, model["name"]
        assert f"train_{compared['primary_metric']}" in run.data.metrics
    svm = client.get_run(next(m["run_id"] for m in compared["models"] if m["name"] == "bow-svm"))
    assert any(k.endswith("token_pattern") for k in svm.data.params)


def test_reported_size_is_the_saved_size_on_disk(server, compared, tmp_path):
    import mlflow

    mlflow.set_tracking_uri(server)
    for model in compared["models"]:
        if model["name"].startswith("dummy"):
            continue
        folder = Path(mlflow.artifacts.download_artifacts(run_id=model["run_id"], artifact_path="model",
                                                          dst_path=str(tmp_path / model["name"])))
        saved = sum(f.stat().st_size for f in (folder / "data").rglob("*") if f.is_file())
        assert abs(model["size_bytes"] - saved) <= 0.05 * saved, model["name"]


def test_registered_version_carries_its_dev_score(server, compared):
    svm = next(m for m in compared["models"] if m["name"] == "bow-svm")
    result = run_textml("models", "register", svm["run_id"], "--name", "server-products", "--json",
                        "--tracking-uri", server)
    assert result.returncode == 0, result.stderr
    version = MlflowClient(server).get_model_version("server-products", json.loads(result.stdout)["version"])
    metric = compared["primary_metric"]
    assert float(version.tags[f"textml.dev_{metric}"]) == pytest.approx(svm["dev"][metric], abs=1e-6)
    assert version.tags["textml.model"] == "bow-svm"
    listed = run_textml("models", "list", "--json", "--tracking-uri", server)
    assert listed.returncode == 0 and "server-products" in listed.stdout
