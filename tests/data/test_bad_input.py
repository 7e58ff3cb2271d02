"""Bad input gets one clear line, the same in every format and command: paths that are not
files, missing-label spellings, NUL characters, byte-order marks, files too small to split."""

import contextlib
import gzip
import json
import os
import signal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import run_textml
from textml.data import read_dataset
from textml.data.check import check_file
from textml.data.formats import column_names, iter_rows, rewrite_labels
from textml.data.split import load_split, split_file
from textml.exceptions import DataError


@contextlib.contextmanager
def no_hang(seconds=10):
    """Fail instead of blocking forever (opening a FIFO without a writer never returns)."""
    def expired(*_):
        raise AssertionError(f"still blocked after {seconds}s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


READERS = {
    "read_dataset": lambda p, tmp: read_dataset(p),
    "iter_rows": lambda p, tmp: list(iter_rows(p)),
    "column_names": lambda p, tmp: column_names(p),
    "check_file": lambda p, tmp: check_file(p),
    "split_file": lambda p, tmp: split_file(p, tmp / "out"),
    "load_split": lambda p, tmp: load_split(train=p, dev=p),
    "rewrite_labels": lambda p, tmp: rewrite_labels(p, tmp / "o.csv", tmp / "o.csv", "csv", "utf-8", "label", 1, {}),
}


@pytest.mark.parametrize("reader", list(READERS))
def test_a_named_pipe_is_refused_before_it_is_opened(tmp_path, reader):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with no_hang(), pytest.raises(DataError, match=r"pipe.csv is a named pipe \(FIFO\), not a regular file"):
        READERS[reader](fifo, tmp_path)


@pytest.mark.parametrize("reader", ["read_dataset", "check_file", "split_file", "column_names"])
def test_folders_and_devices_are_refused(tmp_path, reader):
    (tmp_path / "folder.csv").mkdir()
    with pytest.raises(DataError, match="is a folder, expected a data file"):
        READERS[reader](tmp_path / "folder.csv", tmp_path)
    with no_hang(), pytest.raises(DataError, match="/dev/null is a device, not a regular file"):
        READERS[reader]("/dev/null", tmp_path)


def test_cli_refuses_a_named_pipe_in_one_line(tmp_path):
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    result = run_textml("data", "check", fifo, timeout=60)
    assert result.returncode == 2 and "named pipe" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


MISSING = ["NaN", "nan", "NA", "N/A", "null", "None", "", "   "]
KEPT = ["none", "ok"]  # case matters, as in pandas: "none" is a class name


def _labels_file(tmp_path, fmt):
    labels = MISSING + KEPT
    path = tmp_path / f"d.{fmt}"
    if fmt in ("csv", "tsv"):
        sep = "," if fmt == "csv" else "\t"
        path.write_text(f"text{sep}label\n" + "".join(f"t{i}{sep}{label}\n" for i, label in enumerate(labels)))
    elif fmt == "jsonl":
        rows = [{"text": f"t{i}", "label": label} for i, label in enumerate(labels)]
        rows.append({"text": "json null", "label": None})
        path.write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"text": "json NaN", "label": NaN}\n')
        labels = labels + [None, None]
    elif fmt == "parquet":
        pq.write_table(pa.table({"text": [f"t{i}" for i in range(len(labels) + 1)], "label": labels + [None]}), path)
        labels = labels + [None]
    else:
        path = tmp_path / "d.txt"
        labels = [label for label in labels if label.strip()]
        path.write_text("".join(f"__label__{label} t{i}\n" for i, label in enumerate(labels)))
    return path, labels


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl", "parquet", "fasttext"])
def test_missing_label_spellings_are_missing_in_every_format(tmp_path, fmt):
    path, labels = _labels_file(tmp_path, fmt)
    expected = [label if label in KEPT else None for label in labels]
    assert read_dataset(path).labels == expected
    report = check_file(path)
    assert report.missing_labels == expected.count(None)
    spelled = sum(1 for label in labels if label and label.strip())  - len(KEPT)
    assert report.missing_spelled == spelled
    assert any(f"{spelled} labels written as NaN" in w for w in report.warnings)


def test_a_float_nan_in_parquet_is_missing_too(tmp_path):
    pq.write_table(pa.table({"text": ["a", "b", "c"], "label": [1.0, float("nan"), 2.5]}), tmp_path / "f.parquet")
    assert read_dataset(tmp_path / "f.parquet").labels == ["1", None, "2.5"]


@pytest.mark.parametrize("name, content, where", [
    ("n.csv", b"text,label\nfine,a\nbro\x00ken,b\n", "line 3 has a NUL character in its text"),
    ("n.tsv", b"text\tlabel\nfine\ta\nok\tb\x00\n", "line 3 has a NUL character in its label"),
    ("n.jsonl", b'{"text": "fine", "label": "a"}\n{"text": "bro\\u0000ken", "label": "b"}\n',
     "line 2 has a NUL character in its text"),
    ("n.txt", b"__label__a fine\n__label__b bro\x00ken\n", "line 2 has a NUL character in its text"),
])
def test_nul_characters_are_refused_by_line(write, name, content, where):
    path = write(name, content)
    with pytest.raises(DataError, match=rf"{name}: {where}; NUL is not text"):
        read_dataset(path)
    data = read_dataset(path, skip_bad=True)
    assert data.texts == ["fine"] and [str(b) for b in data.meta["bad_rows"]][0].startswith(where.split(" has")[0])


def test_nul_in_plain_lines_and_parquet(write, tmp_path):
    with pytest.raises(DataError, match="line 2 has a NUL character"):
        read_dataset(write("n.lines", b"one\ntw\x00o\n"), fmt="lines")
    pq.write_table(pa.table({"text": ["ok", "b\x00ad"], "label": ["a", "b"]}), tmp_path / "n.parquet")
    with pytest.raises(DataError, match="row 2 has a NUL character"):
        read_dataset(tmp_path / "n.parquet")


@pytest.mark.parametrize("name, content, fmt", [
    ("b.csv", "text,label\nhello,a\n", None),
    ("b.tsv", "text\tlabel\nhello\ta\n", None),
    ("b.jsonl", '{"text": "hello", "label": "a"}\n', None),
    ("b.txt", "__label__a hello\n", None),
    ("b.lines", "hello\n", "lines"),
])
@pytest.mark.parametrize("encoding", ["utf-8", "latin-1"])
@pytest.mark.parametrize("zipped", [False, True])
def test_a_utf8_bom_is_dropped_in_every_text_format(tmp_path, name, content, fmt, encoding, zipped):
    raw = b"\xef\xbb\xbf" + content.encode()
    path = tmp_path / (name + (".gz" if zipped else ""))
    path.write_bytes(gzip.compress(raw) if zipped else raw)
    data = read_dataset(path, fmt=fmt, encoding=encoding)
    assert data.texts == ["hello"] and data.labels == ([None] if fmt == "lines" else ["a"])


def test_split_of_a_file_too_small_states_the_minimum(write, tmp_path):
    with pytest.raises(DataError, match=r"too small to split: 2 usable rows .*need at least 3, one each"):
        split_file(write("two.csv", "text,label\na,x\nb,y\n"), tmp_path / "out")
    with pytest.raises(DataError, match=r"too small to split: 4 usable rows leave the dev and test split empty; "
                                        r".*some class needs at least 3 rows \(the largest has 2\)"):
        split_file(write("four.csv", "text,label\na,x\nb,x\nc,y\nd,y\n"), tmp_path / "out")
    assert not (tmp_path / "out").exists()
    manifest = split_file(write("ok.csv", "text,label\na,x\nb,x\nc,x\nd,y\n"), tmp_path / "out")
    assert [manifest["splits"][n]["rows"] for n in ("train", "dev", "test")] == [2, 1, 1]
    result = run_textml("data", "split", tmp_path / "two.csv", "--out", tmp_path / "cli")
    assert result.returncode == 2 and "too small to split" in result.stderr
