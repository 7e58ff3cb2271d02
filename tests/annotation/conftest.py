"""A real Label Studio server for the session, its annotators, and the CLI pointed at it.

The server is installed into its own virtual environment (first time: a few minutes) and
started on 127.0.0.1 with a throwaway SQLite data folder by ``scripts/label_studio_server.py``.
If it cannot start, every Label Studio test FAILS with the reason (CI must run them; they
are never skipped). ``TEXTML_LS_VENV`` / ``TEXTML_LS_TEMPLATE`` point at a ready venv and a
migrated data-folder template to skip the install and the migrations.
"""

from __future__ import annotations

import csv
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BUNDLED, REPO

START_TIMEOUT = float(os.environ.get("TEXTML_LS_START_TIMEOUT") or 600)

# Runs the real `textml` entry point with the `annotate` group registered (a no-op once
# textml/cli/__init__.py registers it), so errors go through the same one-line handler.
_CLI = ("import sys; from textml.cli import cli, main; from textml.cli.annotate import annotate; "
        "'annotate' in cli.commands or cli.add_command(annotate); main(sys.argv[1:])")


def _server_module():
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        import label_studio_server
    finally:
        sys.path.remove(str(REPO / "scripts"))
    return label_studio_server


@pytest.fixture(scope="session")
def lss():
    """The server script as a module (start_server, stop_server, create_user)."""
    return _server_module()


@pytest.fixture(scope="session")
def label_studio(lss, tmp_path_factory):
    """One Label Studio server for the whole session: {"url", "token", "user_id", ...}."""
    state = tmp_path_factory.mktemp("label-studio") / "server.json"
    # the server passes the environment on: let it call an ML backend on 127.0.0.1 (textml
    # annotate serve, started by the tests) and the webhook it creates for it; Label Studio
    # refuses local addresses by default (ML_BLOCK_LOCAL_IP, and SSRF_PROTECTION_ENABLED for webhooks)
    local = {"ML_BLOCK_LOCAL_IP": "false", "SSRF_PROTECTION_ENABLED": "false"}
    before = {name: os.environ.get(name) for name in local}
    os.environ.update(local)
    try:
        info = lss.start_server(state_file=state, timeout=START_TIMEOUT)
    except Exception as exc:  # noqa: BLE001 - any failure to start is a test failure, with the reason
        pytest.fail(f"could not start the Label Studio test server: {exc}", pytrace=False)
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    yield info
    lss.stop_server(info)


@pytest.fixture(scope="session")
def annotators(lss, label_studio) -> list[dict]:
    """Two people who signed up through the web form, each with their own token."""
    return [lss.create_user(label_studio, f"annotator{i}@example.com", f"annotator{i}-password") for i in (1, 2)]


@pytest.fixture(scope="session")
def admin(label_studio):
    """The SDK client of the admin (to look at what the CLI did, as a person would in the UI)."""
    from label_studio_sdk import LabelStudio

    return LabelStudio(base_url=label_studio["url"], api_key=label_studio["token"])


def client_for(label_studio, token):
    from label_studio_sdk import LabelStudio

    return LabelStudio(base_url=label_studio["url"], api_key=token)


def run_annotate(*args, url=None, api_key=None, cwd=None, timeout=600) -> subprocess.CompletedProcess:
    """`textml annotate ARGS` in a subprocess, with LABEL_STUDIO_URL/API_KEY set (or unset)."""
    env = {k: v for k, v in os.environ.items() if k not in ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY")}
    if url is not None:
        env["LABEL_STUDIO_URL"] = url
    if api_key is not None:
        env["LABEL_STUDIO_API_KEY"] = api_key
    return subprocess.run([sys.executable, "-c", _CLI, "annotate", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=timeout)


@pytest.fixture
def cli(label_studio):
    """run_annotate with the admin's URL and token in the environment."""

    def _run(*args, **kwargs):
        kwargs.setdefault("url", label_studio["url"])
        kwargs.setdefault("api_key", label_studio["token"])
        return run_annotate(*args, **kwargs)

    return _run


def bundled_rows(n: int, offset: int = 0) -> list[dict]:
    with open(BUNDLED, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return rows[offset:offset + n]


def write_eyeball(path: Path, rows: list[dict], seed: int = 0) -> Path:
    """An eyeball set as `textml errors` writes it (same columns, same writer), with made-up guesses."""
    from textml.experiments.mistakes import write_rows

    labels = sorted({r["label"] for r in bundled_rows(2000)})
    rng = random.Random(seed)
    out = []
    for row in rows:
        guess = rng.choice([x for x in labels if x != row["label"]])
        p_pred = round(rng.uniform(0.5, 0.99), 4)
        p_label = round(rng.uniform(0.0, 1 - p_pred), 4)
        out.append({"id": row["id"], "text": row["text"], "label": row["label"], "predicted": guess,
                    "prob_label": p_label, "prob_predicted": p_pred, "margin": round(p_pred - p_label, 4)})
    return write_rows(out, path)


def write_plain(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "text", "label"], lineterminator="\n")
        writer.writeheader()
        writer.writerows({"id": r["id"], "text": r["text"], "label": r["label"]} for r in rows)
    return path


def project_tasks(admin, project_id: int) -> list:
    return list(admin.tasks.list(project=project_id, page_size=1000))


def project_id(admin, title: str) -> int:
    found = [p for p in admin.projects.list(title=title) if p.title == title]
    assert len(found) == 1, f"expected one project titled {title!r}, found {len(found)}"
    return found[0].id


# --- active learning: one small trained model for the whole session --------------------------

def write_pool(path: Path, rows: list[dict]) -> Path:
    """An unlabelled pool: id and text only."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "text"], lineterminator="\n")
        writer.writeheader()
        writer.writerows({"id": r["id"], "text": r["text"]} for r in rows)
    return path


@pytest.fixture(scope="session")
def small_model(tmp_path_factory) -> Path:
    """bow-logreg fitted on 400 bundled rows, saved as a textml model folder (~2 s)."""
    from textml.models.registry import make_model
    from textml.models.saving import save_model

    rows = bundled_rows(400)
    model = make_model("bow-logreg", seed=0)
    model.fit([r["text"] for r in rows], [r["label"] for r in rows])
    folder = tmp_path_factory.mktemp("active") / "model"
    info = {"model": "bow-logreg", "classes": [str(c) for c in model.classes_], "run_id": "f" * 32}
    return save_model(model, folder, info)
