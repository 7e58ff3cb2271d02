"""textml as a Label Studio ML backend: live pre-annotations from a textml model.

``textml annotate serve MODEL --port 9090`` answers Label Studio's ML backend protocol
(what the ``label-studio-ml`` package implements; that package pins label-studio-sdk < 1 and
does not install beside the SDK 2.x textml uses, so this is the standard library's
``http.server``, threaded):

=================  ==========================================================================
``GET /health``    ``{"status": "UP", "model_class": ..., "model_version": ...}``
``POST /setup``    the project's labelling config (``schema``): checked against the model's
                   classes; answers ``{"model_version": ...}``
``POST /predict``  ``{"tasks": [...], "label_config": ...}`` -> ``{"results": [{"result": [...],
                   "score": p, "model_version": ...}, ...]}``, one per task, in order
``POST /webhook``  accepted and acknowledged; training happens in ``textml annotate round``
                   (retraining inside the annotation server would move no alias safely)
``GET /versions``  ``{"versions": [model_version]}``
=================  ==========================================================================

Scores come from the one scoring call (:func:`textml.evaluation.metrics.class_probabilities`).
Single-label projects get the most probable class among those the project offers, scored with
its probability; multi-label projects (``choice="multiple"``) get every offered label whose
probability is at least 0.5 (the top one if none is), scored with the mean per-label
confidence. The model version is the model's MLflow run id when it has one (the same as
``annotate push`` uses), so Label Studio does not ask again for tasks that already hold it.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

from textml.annotation.config import LabelSchema, parse_config
from textml.exceptions import AnnotationError, TextmlError

DEFAULT_PORT = 9090  # label-studio-ml's default, so Label Studio's docs apply as they are
MAX_BODY = 64 << 20  # bytes: a predict call of thousands of long texts, not more
THRESHOLD = 0.5


class Backend:
    """The protocol's logic, without HTTP: a fitted model and what Label Studio asks of it."""

    def __init__(self, model, model_version: str, multilabel: bool = False, name: str = "textml"):
        from textml.evaluation.metrics import require_probabilities

        require_probabilities(model, name)
        self.model = model
        self.model_version = model_version
        self.multilabel = multilabel
        self.name = name
        self.classes = [str(c) for c in model.classes_]
        self._schemas: dict[str, LabelSchema] = {}
        self._lock = threading.Lock()  # predict_proba of some estimators is not thread-safe

    def schema(self, config: str | None) -> LabelSchema:
        if not config:
            raise AnnotationError("the request has no labelling config (label_config / schema)")
        if config not in self._schemas:
            schema = parse_config(config, "the project")
            if not set(schema.labels) & set(self.classes):
                raise AnnotationError(f"the project offers none of the model's classes ({', '.join(self.classes[:10])}"
                                      f"); connect this backend to a project labelled with them")
            self._schemas[config] = schema
        return self._schemas[config]

    def health(self) -> dict:
        return {"status": "UP", "model_class": f"textml {self.name}", "model_version": self.model_version}

    def setup(self, payload: dict) -> dict:
        schema = self.schema(payload.get("schema") or payload.get("label_config"))
        missing = sorted(set(self.classes) - set(schema.labels))
        out = {"model_version": self.model_version}
        if missing:
            out["warning"] = (f"the project does not offer {len(missing)} of the model's classes "
                              f"({', '.join(missing[:10])}); they are never predicted")
        return out

    def predict(self, payload: dict) -> dict:
        from textml.evaluation.metrics import class_probabilities

        tasks = payload.get("tasks") or []
        schema = self.schema(payload.get("label_config"))
        texts = [str((task.get("data") or {}).get(schema.text_field, "")) for task in tasks]
        if not texts:
            return {"results": [], "model_version": self.model_version}
        with self._lock:
            probabilities = class_probabilities(self.model, texts)
        offered = np.array([c in set(schema.labels) for c in self.classes])
        results = []
        for row in probabilities:
            labels, score = self._choose(row, offered, schema.multiple)
            results.append({"result": schema.result(labels if schema.multiple else labels[0]), "score": score,
                            "model_version": self.model_version})
        return {"results": results, "model_version": self.model_version}

    def _choose(self, row: np.ndarray, offered: np.ndarray, multiple: bool) -> tuple[tuple[str, ...], float]:
        masked = np.where(offered, row, -1.0)
        top = int(np.argmax(masked))
        if self.multilabel and multiple:
            chosen = tuple(c for c, p, ok in zip(self.classes, row, offered) if ok and p >= THRESHOLD)
            confidence = np.maximum(row[offered], 1.0 - row[offered]).mean()
            return chosen or (self.classes[top],), round(float(confidence), 6)
        return (self.classes[top],), round(float(row[top]), 6)


def _handler(backend: Backend, log: Callable[[str], None]):
    routes_get = {"/health": lambda _: backend.health(), "/": lambda _: backend.health(),
                  "/versions": lambda _: {"versions": [backend.model_version]}}
    routes_post = {"/setup": backend.setup, "/predict": backend.predict,
                   "/webhook": lambda _: {"status": "ok", "training": "not here: run `textml annotate round`"},
                   "/validate": lambda payload: {"status": "ok"} if backend.schema(payload.get("config")) else {}}

    class Handler(BaseHTTPRequestHandler):
        server_version = "textml-ml-backend"

        def _send(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _answer(self, route, payload) -> None:
            path = self.path.split("?", 1)[0]
            try:
                body = route(payload)
            except TextmlError as exc:  # the project or the request does not fit: say so to Label Studio
                log(f"{self.command} {path}: {exc}")
                self._send(400, {"error": str(exc)})
                return
            except Exception as exc:  # noqa: BLE001 - a failing request must not take the server down
                log(f"{self.command} {path}: {type(exc).__name__}: {exc}")
                self._send(500, {"error": f"{type(exc).__name__}: {exc}"})
                return
            if path == "/predict":
                log(f"predict: {len(body['results'])} tasks")
            self._send(200, body)

        def do_GET(self) -> None:
            route = routes_get.get(self.path.split("?", 1)[0].rstrip("/") or "/")
            if route is None:
                self._send(404, {"error": f"no route {self.path}"})
            else:
                self._answer(route, {})

        def do_POST(self) -> None:
            route = routes_post.get(self.path.split("?", 1)[0].rstrip("/"))
            if route is None:
                self._send(404, {"error": f"no route {self.path}"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._send(413, {"error": f"request body over {MAX_BODY >> 20} MB"})
                return
            try:
                payload = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                self._send(400, {"error": "the request body is not JSON"})
                return
            self._answer(route, payload if isinstance(payload, dict) else {})

        def log_message(self, format, *args) -> None:
            pass  # one line per predict call (above), not one per request

    return Handler


def load_backend(model_ref: str, tracking_uri: str | None = None, trust_pickle: bool = False) -> Backend:
    """A :class:`Backend` for any model reference (folder, run id, ``models:/NAME@champion``)."""
    from textml.annotation.suggest import is_multilabel
    from textml.tracking.registry import load_model_ref

    model, info, source = load_model_ref(model_ref, tracking_uri, trust_pickle=trust_pickle)
    version = info.get("run_id") or source.run_id or source.label
    return Backend(model, str(version), is_multilabel(model, info, ["a"]), name=source.label)


def make_server(backend: Backend, host: str = "127.0.0.1", port: int = DEFAULT_PORT,
                log: Callable[[str], None] | None = None) -> ThreadingHTTPServer:
    """The HTTP server (not started: call ``serve_forever``); ``port`` 0 picks a free one."""
    try:
        server = ThreadingHTTPServer((host, port), _handler(backend, log or (lambda message: None)))
    except OSError as exc:
        raise AnnotationError(f"cannot listen on {host}:{port} ({exc.strerror or exc}); choose another --port") from None
    server.daemon_threads = True
    return server


def serve(model_ref: str, host: str = "127.0.0.1", port: int = DEFAULT_PORT, tracking_uri: str | None = None,
          trust_pickle: bool = False, log: Callable[[str], None] | None = None,
          ready: Callable[[str], None] | None = None) -> None:
    """Serve ``model_ref`` until interrupted (Ctrl-C / SIGTERM)."""
    backend = load_backend(model_ref, tracking_uri, trust_pickle)
    server = make_server(backend, host, port, log)
    address = f"http://{host}:{server.server_address[1]}"
    (ready or (lambda url: print(f"serving {backend.name} at {url}", file=sys.stderr, flush=True)))(address)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
