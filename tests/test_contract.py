"""docs/contract.md, checked through the real command line: one line, bounded waits, nothing
overwritten, no code from untrusted files, values checked first, data edge cases decided."""

from __future__ import annotations

import csv
import os
import pickle
import random
from pathlib import Path

import pytest

from tests.conftest import BUNDLED, run_textml

WAIT = 120  # seconds: far beyond any of these refusals, far below a hang


@pytest.fixture(scope="module")
def split(tmp_path_factory):
    folder = tmp_path_factory.mktemp("contract")
    with open(BUNDLED, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    random.Random(3).shuffle(rows)
    source = folder / "small.csv"
    with open(source, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "text", "label"])
        writer.writeheader()
        writer.writerows({k: r[k] for k in ("id", "text", "label")} for r in rows[:600])
    assert run_textml("data", "split", source, "--out", folder / "split").returncode == 0
    return folder / "split"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return f"sqlite:///{tmp_path_factory.mktemp('contract-mlflow') / 'mlflow.db'}"


def refused(*args, says: str, cwd=None):
    """The command fails with exit 2 and its last stderr line is one error naming ``says``."""
    done = run_textml(*map(str, args), cwd=cwd, timeout=WAIT)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, f"exit {done.returncode}: {done.stderr[-1500:]}"
    assert lines and lines[-1].startswith("error: "), done.stderr[-1500:]
    assert "Traceback" not in done.stderr
    assert says.lower() in lines[-1].lower(), lines[-1]
    return lines[-1]


# ------------------------------------------------------------------------- 2. waits end


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pipe.csv"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("command", [
    ("data", "check", "{fifo}"),
    ("data", "split", "{fifo}", "--out", "{tmp}/out"),
    ("train", "--train", "{fifo}", "--dev", "{fifo}", "--model", "bow-nb"),
    ("compare", "--train", "{fifo}", "--dev", "{fifo}"),
    ("train", "--config", "{fifo}"),
])
def test_a_named_pipe_is_refused_not_waited_on(command, fifo, tmp_path, store):
    args = [part.format(fifo=fifo, tmp=tmp_path) for part in command]
    refused(*args, "--tracking-uri", store, says="pipe") if command[0] != "data" else refused(*args, says="pipe")


def test_counts_are_capped_before_any_fit(split, store):
    refused("tune", split, "--model", "bow-nb", "--n-iter", "1000000000", "--tracking-uri", store, says="--n-iter")
    refused("tune", split, "--model", "bow-nb", "--n-jobs", "0", "--tracking-uri", store, says="--n-jobs")


# ------------------------------------------------------- 3. nothing overwritten, no contradictions


def test_existing_outputs_are_kept_without_force(split, store, tmp_path):
    out = tmp_path / "report"
    out.mkdir()
    (out / "comparison.csv").write_text("mine\n")
    refused("compare", split, "--models", "bow-nb", "--out", out, "--tracking-uri", store, says="--force")
    assert (out / "comparison.csv").read_text() == "mine\n"
    (tmp_path / "split2").mkdir()
    (tmp_path / "split2" / "train.csv").write_text("mine\n")
    refused("data", "split", BUNDLED, "--out", tmp_path / "split2", says="--force")
    assert (tmp_path / "split2" / "train.csv").read_text() == "mine\n"


def test_contradicting_options_are_refused(split, tmp_path):
    texts = tmp_path / "texts.csv"
    texts.write_text("text\nhello\n")
    refused("encode", texts, "--encoder", "hashing", "--out", tmp_path / "v.npy", "--resume", "--force", says="--resume")
    refused("encode", texts, "--encoder", "hashing", "--out", tmp_path / "w.npy", "--master", "local[2]",
            says="--master")
    refused("encode", texts, "--encoder", "hashing", "--out", tmp_path / "x.npy", "--n-jobs", "0", says="--n-jobs")


# ------------------------------------------------------------- 4. no code from untrusted files


class _Planted:
    """A pickle that would create a file when loaded."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_a_planted_pickle_runs_nothing(split, tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    marker = tmp_path / "ran"
    (folder / "model.joblib").write_bytes(pickle.dumps(_Planted(marker)))
    texts = tmp_path / "texts.csv"
    texts.write_text("text\nhello\n")
    refused("predict", folder, texts, "--out", tmp_path / "p.csv", says="trust")
    refused("evaluate", folder, split, says="trust")
    assert not marker.exists()


# ------------------------------------------------------------ 5. values checked before any work


@pytest.mark.parametrize("args, says", [
    (("compare", "--tolerance", "nan"), "--tolerance"),
    (("compare", "--models", ","), "--models"),
    (("diagnose", "--model", "bow-nb", "--target", "nan"), "--target"),
    (("train", "--model", "bow-nb", "--metric", "rmse"), "rmse"),
    (("train", "--model", "bow-nb", "--task", "regression"), "not a number"),
])
def test_bad_values_are_refused_before_work(split, store, args, says):
    refused(args[0], split, *args[1:], "--tracking-uri", store, says=says)


# -------------------------------------------------------------------- 6. data edge cases


def test_data_edge_cases_are_decided(tmp_path, store):
    one = tmp_path / "one.csv"
    one.write_text("text,label\nred shoe,a\nblue shoe,a\ngreen shoe,a\n")
    refused("train", "--train", one, "--dev", one, "--model", "bow-nb", "--tracking-uri", store, says="two classes")
    nul = tmp_path / "nul.csv"
    nul.write_bytes(b"text,label\nred shoe,a\nblue\x00 shoe,b\n")
    refused("data", "check", nul, says="line 3")
    tiny = tmp_path / "tiny.csv"
    tiny.write_text("text,label\nred shoe,a\nblue shoe,b\n")
    refused("data", "split", tiny, "--out", tmp_path / "tiny-split", says="rows")
    spelled = tmp_path / "spelled.csv"
    spelled.write_text("text,label\nred shoe,a\nblue shoe,NaN\ngreen shoe,null\ngrey shoe,b\nold shoe,None\n")
    report = run_textml("data", "check", spelled, "--json", timeout=WAIT)
    import json

    doc = json.loads(report.stdout)
    assert doc["missing_labels"] == 3 and set(doc["classes"]) == {"a", "b"}


def test_an_output_may_not_be_an_input_even_with_force(tmp_path):
    source = tmp_path / "train.csv"
    source.write_text("id,text,label\n1,red shoe,a\n2,blue shoe,b\n")
    before = source.read_bytes()
    env_free = ("annotate", "pull", "--project", "p", "--url", "http://127.0.0.1:9", "--api-key", "x")
    refused(*env_free, "--merge-into", source, "--out", source, "--force", says="--out would overwrite")
    assert source.read_bytes() == before
