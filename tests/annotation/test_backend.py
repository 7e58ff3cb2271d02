"""textml as a Label Studio ML backend: the real server asks it for predictions."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import numpy as np
import pytest

from tests.annotation.conftest import _CLI, bundled_rows, project_tasks
from textml.annotation import labelling_config, parse_config
from textml.annotation.backend import Backend, make_server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def _post(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


class _MultiLabel:
    """A stand-in multi-label model: per-label marginals, predict gives an indicator matrix."""

    classes_ = np.array(["clothing", "outdoor", "kitchen"])

    def predict_proba(self, texts):
        return np.array([[0.9 if "boot" in t else 0.1, 0.8 if "hiking" in t else 0.2, 0.7 if "kettle" in t else 0.05]
                         for t in texts])

    def predict(self, texts):
        return (self.predict_proba(texts) >= 0.5).astype(int)


@pytest.fixture
def multilabel_backend():
    backend = Backend(_MultiLabel(), "v-multi", multilabel=True)
    server = make_server(backend, port=0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_multi_label_projects_get_every_likely_label(multilabel_backend):
    url = multilabel_backend
    config = labelling_config(["clothing", "outdoor", "kitchen"], multilabel=True)
    assert _get(f"{url}/health")["status"] == "UP"
    status, setup = _post(f"{url}/setup", {"schema": config, "project": "1.0"})
    assert status == 200 and setup["model_version"] == "v-multi"
    status, answer = _post(f"{url}/predict", {"tasks": [{"id": 1, "data": {"text": "hiking boots"}},
                                                        {"id": 2, "data": {"text": "steel kettle"}},
                                                        {"id": 3, "data": {"text": "a book"}}],
                                              "label_config": config})
    assert status == 200
    choices = [r["result"][0]["value"]["choices"] for r in answer["results"]]
    assert choices == [["clothing", "outdoor"], ["kitchen"], ["outdoor"]]  # none likely: the top one
    assert all(0.5 <= r["score"] <= 1 and r["model_version"] == "v-multi" for r in answer["results"])
    # a project offering none of the model's labels is told so, in one line
    status, refused = _post(f"{url}/setup", {"schema": labelling_config(["spam", "ham"])})
    assert status == 400 and "none of the model's classes" in refused["error"]


@pytest.mark.labelstudio
def test_the_real_server_retrieves_textml_predictions(small_model, label_studio, admin, tmp_path):
    from textml.models.loading import load_model_path

    model, info = load_model_path(small_model)
    classes = [str(c) for c in model.classes_]
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY")}
    server = subprocess.Popen([sys.executable, "-c", _CLI, "annotate", "serve", str(small_model), "--port", str(port)],
                              stderr=subprocess.PIPE, text=True, env=env)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                assert _get(f"{url}/health")["model_version"] == info["run_id"]
                break
            except OSError:
                assert server.poll() is None, server.stderr.read()
                assert time.monotonic() < deadline, "the backend did not start in 60 s"
                time.sleep(0.3)

        rows = bundled_rows(12, offset=5000)
        project = admin.projects.create(title="ml backend", label_config=labelling_config(classes))
        admin.projects.import_tasks(id=project.id, request=[{"data": {"text": r["text"]}} for r in rows])
        backend = admin.ml.create(url=url, project=project.id, title="textml")
        assert backend.id
        admin.actions.create(id="retrieve_tasks_predictions", project=project.id,
                             selected_items={"all": True, "excluded": []})

        schema = parse_config(admin.projects.get(id=project.id).label_config)
        by_text = {t.data["text"]: t for t in project_tasks(admin, project.id)}
        texts = [r["text"] for r in rows]
        probabilities = model.predict_proba(texts)
        for text, p in zip(texts, probabilities):
            (prediction,) = by_text[text].predictions
            assert prediction.model_version == info["run_id"]
            assert prediction.result[0]["from_name"] == schema.from_name
            assert prediction.result[0]["value"]["choices"] == [classes[int(np.argmax(p))]]
            assert prediction.score == pytest.approx(float(p.max()), abs=1e-5)
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert "predict: 12 tasks" in server.stderr.read()
