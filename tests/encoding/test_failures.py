"""Bad rows, interruptions and resuming: clear messages naming the line, nothing that looks
finished left behind, and --resume picking up after the last complete chunk."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from textml.encoding import encode_file, predict_file
from textml.exceptions import ConfigError, DataError

FAST = dict(n_jobs=2, chunk_size=500, progress=False)


def visible(folder) -> list[str]:
    """What a user sees in the folder: names that do not start with a dot."""
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


@pytest.fixture
def with_bad_rows(tmp_path, titles):
    """The titles as CSV with an empty text at data row 1800 (line 1801) and a blank one later."""
    frame = titles.copy()
    frame.loc[1799, "text"] = ""
    frame.loc[2500, "text"] = "   "
    path = tmp_path / "in" / "bad.csv"
    path.parent.mkdir()
    frame.to_csv(path, index=False)
    return path, frame


def test_an_empty_text_stops_the_job_naming_its_line_and_leaves_no_output(tmp_path, with_bad_rows, fasttext_bin):
    path, frame = with_bad_rows
    out = tmp_path / "out" / "v.npy"
    with pytest.raises(DataError) as error:
        encode_file(path, f"fasttext:{fasttext_bin}", out, **FAST)
    message = str(error.value)
    assert "line 1801" in message and f"id {frame.id[1799]}" in message and "--skip-bad" in message
    assert "--resume" in message  # the chunks before it are kept
    assert visible(out.parent) == []


def test_skip_bad_counts_and_skips_bad_rows_keeping_the_others_ids(tmp_path, with_bad_rows, fasttext_bin):
    import fasttext

    path, frame = with_bad_rows
    result = encode_file(path, f"fasttext:{fasttext_bin}", tmp_path / "v.npy", skip_bad=True, **FAST)
    assert result.skipped == 2 and result.rows == len(frame) - 2
    assert result.bad_examples[0].startswith("line 1801: an empty text")
    assert result.bad_examples[1].startswith("line 2502: a blank text")
    ids = (tmp_path / "v.npy.ids.txt").read_text(encoding="utf-8").splitlines()
    keep = frame.drop(index=[1799, 2500])
    assert ids == keep.id.tolist()
    model = fasttext.load_model(str(fasttext_bin))
    assert np.array_equal(np.load(tmp_path / "v.npy"), np.vstack([model.get_sentence_vector(t) for t in keep.text]))


def test_a_malformed_csv_row_is_named_or_skipped(tmp_path, lr_model):
    lines = ["id,text"] + [f"r{i},title number {i}" for i in range(1, 1200)]
    lines[700] = "r700,a title, with an unquoted comma"
    path = tmp_path / "m.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="line 701 has 3 fields, the header has 2.*--skip-bad"):
        predict_file(lr_model, path, tmp_path / "p.csv", **FAST)
    assert visible(tmp_path) == ["m.csv"]
    result = predict_file(lr_model, path, tmp_path / "p.csv", skip_bad=True, resume=True, **FAST)
    assert result.resumed_chunks == 1 and result.skipped == 1 and result.bad_examples == ["line 701: malformed (it has 3 fields, the header has 2)"]
    got = pd.read_csv(tmp_path / "p.csv")
    assert len(got) == 1198 and "r700" not in set(got.id) and got.id.iloc[699] == "r701"


def test_a_broken_jsonl_line_is_named_or_skipped(tmp_path, lr_model):
    lines = [f'{{"id": "j{i}", "text": "title {i}"}}' for i in range(1, 900)]
    lines[449] = '{"id": "j450", "text": "unterminated'
    path = tmp_path / "b.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="line 450 is not valid JSON"):
        predict_file(lr_model, path, tmp_path / "p.parquet", **FAST)
    result = predict_file(lr_model, path, tmp_path / "p.parquet", skip_bad=True, force=True, **FAST)
    assert result.skipped == 1 and result.bad_examples[0].startswith("line 450: malformed")
    assert len(pd.read_parquet(tmp_path / "p.parquet")) == 898


def test_after_a_bad_row_skip_bad_and_resume_finish_the_job(tmp_path, with_bad_rows, fasttext_bin):
    path, frame = with_bad_rows
    out = tmp_path / "v.npy"
    with pytest.raises(DataError):
        encode_file(path, f"fasttext:{fasttext_bin}", out, **FAST)
    with pytest.raises(ConfigError, match="interrupted run; pass --resume"):  # nothing is thrown away silently
        encode_file(path, f"fasttext:{fasttext_bin}", out, **FAST)
    resumed = encode_file(path, f"fasttext:{fasttext_bin}", out, skip_bad=True, resume=True, **FAST)
    assert resumed.resumed_chunks == 3  # rows 1-1500 were done before the bad row at 1800
    clean = encode_file(path, f"fasttext:{fasttext_bin}", tmp_path / "clean.npy", skip_bad=True, **FAST)
    assert out.read_bytes() == (tmp_path / "clean.npy").read_bytes()
    assert (tmp_path / "v.npy.ids.txt").read_text() == (tmp_path / "clean.npy.ids.txt").read_text()
    assert resumed.skipped == clean.skipped == 2
    assert visible(tmp_path) == ["clean.npy", "clean.npy.ids.txt", "in", "v.npy", "v.npy.ids.txt"]


def test_resume_refuses_a_changed_input(tmp_path, with_bad_rows, fasttext_bin):
    path, frame = with_bad_rows
    with pytest.raises(DataError):
        encode_file(path, f"fasttext:{fasttext_bin}", tmp_path / "v.npy", **FAST)
    frame.loc[[1799, 2500], "text"] = "fixed title"
    frame.to_csv(path, index=False)
    with pytest.raises(ConfigError, match="cannot resume: the input changed"):
        encode_file(path, f"fasttext:{fasttext_bin}", tmp_path / "v.npy", resume=True, **FAST)
    result = encode_file(path, f"fasttext:{fasttext_bin}", tmp_path / "v.npy", force=True, **FAST)
    assert result.rows == len(frame) and result.resumed_chunks == 0


CLI = "import sys; from textml.cli.encode import encode; encode(sys.argv[1:])"


def test_a_killed_job_leaves_no_finished_file_and_resumes_to_the_same_result(tmp_path, titles, fasttext_bin):
    big = tmp_path / "big.csv"
    pd.concat([titles] * 10, ignore_index=True).assign(id=lambda f: [f"r{i}" for i in range(len(f))]).to_csv(big, index=False)
    out = tmp_path / "v.npy"
    args = [sys.executable, "-c", CLI, str(big), "--encoder", f"fasttext:{fasttext_bin}", "--out", str(out),
            "--chunk-size", "1000", "-j", "2", "--quiet"]
    job = subprocess.Popen(args, start_new_session=True, stderr=subprocess.PIPE)
    state = tmp_path / ".v.npy.parts" / "state.json"
    deadline = time.time() + 120
    while time.time() < deadline and job.poll() is None:
        if state.exists() and json.loads(state.read_text()).get("done", 0) >= 3:  # written atomically
            break
        time.sleep(0.05)
    assert job.poll() is None, "the job ended before it could be killed"
    os.killpg(job.pid, signal.SIGKILL)  # the job and its workers, with no chance to tidy up
    job.wait()
    assert visible(tmp_path) == ["big.csv"]  # nothing that looks finished
    resumed = subprocess.run(args + ["--resume", "--json"], capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert '"resumed_chunks": ' in resumed.stdout and '"resumed_chunks": 0' not in resumed.stdout
    clean = subprocess.run([*args[:7], str(tmp_path / "clean.npy"), *args[8:]], capture_output=True, text=True,
                           timeout=300)
    assert clean.returncode == 0, clean.stderr
    assert out.read_bytes() == (tmp_path / "clean.npy").read_bytes()
    assert not (tmp_path / ".v.npy.parts").exists()
