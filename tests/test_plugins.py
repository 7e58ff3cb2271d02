"""Third-party pipelines: a package declaring a `textml.pipelines` entry point is listed, compared and tuned.

The plugin is the one docs/api.md shows, built and installed with pip into a folder of its
own (``pip install --target``) that only the textml subprocesses of these tests see on
their path: the shared virtual environment is never changed.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BUNDLED_BINARY, run_textml
from tests.test_api_docs import doc_blocks

PLUGIN = "char-logreg"


def _pip_target(source: Path, target: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--disable-pip-version-check",
                             "--target", str(target), str(source)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory) -> Path:
    """The docs' example plugin, pip-installed into its own folder."""
    source = tmp_path_factory.mktemp("plugin-src")
    for block in doc_blocks():
        if block.file:
            (source / block.file).write_text(block.code, encoding="utf-8")
    site = tmp_path_factory.mktemp("plugin-site")
    _pip_target(source, site)
    assert list(site.glob("textml_char_logreg-1.0.0.dist-info/entry_points.txt"))
    return site


def _env(*sites: Path) -> dict:
    return {"PYTHONPATH": os.pathsep.join([*map(str, sites), *filter(None, [os.environ.get("PYTHONPATH")])])}


@pytest.fixture(scope="module")
def small_split(tmp_path_factory) -> Path:
    """A stratified split of 1,200 rows of the bundled binary corpus."""
    folder = tmp_path_factory.mktemp("plugin-data")
    with open(BUNDLED_BINARY, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    electronics = [r for r in rows if r["label"] == "electronics"][:300]
    other = [r for r in rows if r["label"] != "electronics"][:900]
    sample = folder / "sample.csv"
    with open(sample, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "text", "label"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(electronics + other)
    result = run_textml("data", "split", sample, "--out", folder / "split")
    assert result.returncode == 0, result.stderr
    return folder / "split"


def test_the_plugin_pipeline_is_listed_with_its_package(plugin_site):
    listed = run_textml("pipelines", "list", env=_env(plugin_site))
    assert listed.returncode == 0, listed.stderr
    line = next(line for line in listed.stdout.splitlines() if line.startswith(PLUGIN + " "))
    assert "character 2-4 grams" in line and "[plugin: textml-char-logreg 1.0.0]" in line
    assert "bow-svm" in listed.stdout and "plugin" not in listed.stderr
    shown = run_textml("pipelines", "show", PLUGIN, env=_env(plugin_site))
    assert shown.returncode == 0 and "from the plugin textml-char-logreg 1.0.0" in shown.stdout
    assert "clf__C" in shown.stdout  # its search space
    # without the package on the path, it is not there
    assert PLUGIN not in run_textml("pipelines", "list").stdout


def test_the_plugin_pipeline_is_compared_and_tuned(plugin_site, small_split, tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    compared = run_textml("compare", small_split, "--models", PLUGIN, "--json", "--tracking-uri", uri, "-q",
                          env=_env(plugin_site))
    assert compared.returncode == 0, compared.stderr
    outcome = json.loads(compared.stdout)
    scores = {m["name"]: m["dev"][outcome["primary_metric"]] for m in outcome["models"]}
    assert set(scores) >= {PLUGIN, "dummy-prior"} and outcome["failures"] == {}
    assert scores[PLUGIN] > scores["dummy-prior"] + 0.3
    assert outcome["recommended"] == PLUGIN

    tuned = run_textml("tune", small_split, "--model", PLUGIN, "--n-iter", "2", "--top-k", "1", "--n-jobs", "1",
                       "--json", "--tracking-uri", uri, "-q", env=_env(plugin_site))
    assert tuned.returncode == 0, tuned.stderr
    assert "clf__C" in json.loads(tuned.stdout)["best_params"]


def _fake_dist(site: Path, name: str, entry_points: str) -> None:
    """A minimal installed distribution (what pip leaves behind) declaring ``entry_points``."""
    info = site / f"{name.replace('-', '_')}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[textml.pipelines]\n{entry_points}\n", encoding="utf-8")


def test_a_broken_plugin_is_one_warning_line_and_textml_keeps_working(plugin_site, tmp_path):
    broken = tmp_path / "broken-site"
    _fake_dist(broken, "textml-missing", "missing = textml_no_such_module")
    _fake_dist(broken, "textml-clash", "clash = textml_clash")
    (broken / "textml_clash.py").write_text(
        "from textml.models.registry import register_model\n"
        "@register_model('bow-svm', description='an impostor')\n"
        "def bow_svm(seed=0):\n    return None\n", encoding="utf-8")
    listed = run_textml("pipelines", "list", env=_env(broken, plugin_site))
    assert listed.returncode == 0, listed.stderr
    warnings = [line for line in listed.stderr.splitlines() if "pipeline plugin" in line]
    assert len(warnings) == 2 and all(w.startswith("textml: skipping pipeline plugin") for w in warnings), listed.stderr
    assert "Traceback" not in listed.stderr
    missing = next(w for w in warnings if "'missing'" in w)
    assert "textml-missing 0.1" in missing and "ModuleNotFoundError" in missing and "textml_no_such_module" in missing
    clash = next(w for w in warnings if "'clash'" in w)
    assert "textml-clash 0.1" in clash and "'bow-svm'" in clash and "already registered" in clash
    # the built-in survives, the good plugin still loads
    assert "linear SVM" in next(line for line in listed.stdout.splitlines() if line.startswith("bow-svm "))
    assert any(line.startswith(PLUGIN + " ") for line in listed.stdout.splitlines())


def test_a_plugin_hook_function_is_called_once():
    code = """
import sys, types
from importlib import metadata

module = types.ModuleType("textml_hook_plugin")
calls = []

def register():
    from textml.models.registry import register_model

    calls.append(1)

    @register_model("hooked-dummy", description="registered from a hook")
    def hooked(seed=0):
        from sklearn.dummy import DummyClassifier
        return DummyClassifier()

module.register = register
sys.modules["textml_hook_plugin"] = module
point = metadata.EntryPoint(name="hook", value="textml_hook_plugin:register", group="textml.pipelines")
metadata.entry_points = lambda **kw: [point] if kw.get("group") == "textml.pipelines" else []

from textml.models.registry import model_names, plugin_source
assert "hooked-dummy" in model_names() and "hooked-dummy" in model_names()
assert calls == [1], calls
assert plugin_source("hooked-dummy") == "textml_hook_plugin:register"
assert plugin_source("bow-svm") is None
print("ok")
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr
