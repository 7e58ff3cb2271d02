"""docs/api.md is true: its examples run, top to bottom, in one empty folder; `import textml` stays light.

The examples marked ``<!-- needs: labelstudio -->`` run against the session's Label Studio
server in tests/annotation/test_api_docs_annotation.py.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import REPO

API_DOC = REPO / "docs" / "api.md"
_FENCE = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```", re.S | re.M)


@dataclass
class Block:
    lang: str
    attrs: str
    code: str
    line: int
    needs: str | None
    section: str  # the "## " heading it is under

    @property
    def file(self) -> str | None:
        match = re.search(r"file=(\S+)", self.attrs)
        return match.group(1) if match else None

    @property
    def runnable(self) -> bool:
        return self.lang == "python" and self.file is None


def doc_blocks(path: Path = API_DOC) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    blocks = []
    for match in _FENCE.finditer(text):
        before = text[:match.start()].rstrip().splitlines()
        needs = re.fullmatch(r"<!-- needs: (\w+) -->", before[-1].strip()) if before else None
        headings = [line[3:].strip() for line in before if line.startswith("## ")]
        blocks.append(Block(match.group(1), match.group(2).strip(), match.group(3), text.count("\n", 0, match.start()) + 1,
                            needs.group(1) if needs else None, headings[-1] if headings else ""))
    return blocks


def script_of(blocks: list[Block]) -> str:
    """One script running ``blocks`` in order, each headed by where it is in docs/api.md."""
    parts = ["import textml  # as every example on the page assumes\n"]
    for block in blocks:
        parts.append(f"# ---- docs/api.md line {block.line}\nprint('---- docs/api.md line {block.line}', flush=True)\n"
                     f"{block.code}")
    return "\n".join(parts)


def run_examples(blocks: list[Block], cwd: Path, env: dict | None = None, timeout: float = 900):
    script = cwd / "api_examples.py"
    script.write_text(script_of(blocks), encoding="utf-8")
    full_env = {k: v for k, v in os.environ.items()
                if k not in ("MLFLOW_TRACKING_URI", "LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY")}
    full_env.update(env or {})
    full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), full_env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, str(script)], cwd=cwd, env=full_env, capture_output=True, text=True,
                          timeout=timeout)


def test_the_api_examples_run_top_to_bottom(tmp_path):
    blocks = [b for b in doc_blocks() if b.runnable and b.needs is None]
    assert len(blocks) >= 8
    result = run_examples(blocks, tmp_path)
    assert result.returncode == 0, f"{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
    # what the page promises was made, in the folder it ran in
    for made in ("split/manifest.json", "report/comparison.csv", "model", "predictions.csv", "vectors.npz",
                 "eyeball.csv", "mlflow.db"):
        assert (tmp_path / made).exists(), made
    assert "recommended:" in result.stdout and "- failed: none" in result.stdout
    predictions = (tmp_path / "predictions.csv").read_text(encoding="utf-8").splitlines()
    assert predictions[0].startswith("id,label,") and len(predictions) == 4


def test_every_public_name_is_documented():
    import textml

    text = API_DOC.read_text(encoding="utf-8")
    exceptions = {"TextmlError", "DataError", "ConfigError", "TrainingError", "TrackingError", "AnnotationError"}
    missing = [name for name in textml.__all__
               if name not in exceptions | {"__version__", "get_spec"} and f"textml.{name}" not in text]
    assert missing == []
    assert all(name in text for name in exceptions)


def test_the_documented_plugin_is_complete():
    files = {b.file: b for b in doc_blocks() if b.file}
    assert set(files) == {"pyproject.toml", "textml_char_logreg.py"}
    assert '[project.entry-points."textml.pipelines"]' in files["pyproject.toml"].code
    compile(files["textml_char_logreg.py"].code, "textml_char_logreg.py", "exec")


def test_import_textml_is_light_and_exports_lazily():
    code = ("import sys, textml; heavy = [m for m in ('pandas', 'sklearn', 'mlflow', 'numpy', 'scipy', 'fasttext', "
            "'gensim', 'spacy', 'label_studio_sdk', 'textml.experiments') if m in sys.modules]; "
            "assert heavy == [], heavy; "
            "assert callable(textml.compare) and textml.RunSpec.__name__ == 'RunSpec'; "
            "assert 'textml.experiments.spec' in sys.modules and 'make_model' in dir(textml); "
            "print(textml.__version__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    from importlib.metadata import version

    assert out.stdout.strip() == version("textml")  # one source: pyproject reads textml.__version__


def test_unknown_attributes_and_corpora_fail_clearly():
    import pytest

    import textml

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        textml.nope  # noqa: B018
    with pytest.raises(textml.ConfigError, match="products_binary"):
        textml.bundled_corpus("nope")
    assert textml.bundled_corpus().name == "products.csv" and textml.bundled_corpus().is_file()
