"""Every writer: `\\n` line endings, output that reads back unchanged, atomic files, and a
split manifest that says which columns it read."""

import gzip
import json

import pandas as pd
import pytest

from tests.conftest import run_textml
from textml.data import Columns, Dataset, read_dataset, write_dataset
from textml.data.formats import rewrite_labels, write_records
from textml.data.split import load_split, split_file
from textml.exceptions import ConfigError

ROWS = [{"model": "bow, logreg", "f1": 0.81, "tags": ("a", "b"), "note": 'says "hi"\nthen leaves', "ok": True},
        {"model": "fasttext", "f1": 0.79, "tags": None, "note": "tab\there", "ok": False}]
FIELDS = ["model", "f1", "tags", "note", "ok"]


@pytest.mark.parametrize("ext", [".csv", ".tsv", ".jsonl"])
def test_text_outputs_end_lines_with_newline_only(tmp_path, ext):
    data = Dataset(texts=["a, b", 'quote " and\nbreak'], labels=["x", "y"], ids=["1", "2"])
    for path in (write_dataset(data, tmp_path / f"d{ext}"), write_records(ROWS, FIELDS, tmp_path / f"r{ext}")):
        assert b"\r" not in path.read_bytes()


def test_records_read_back_as_written(tmp_path):
    csv_back = pd.read_csv(write_records(ROWS, FIELDS, tmp_path / "r.csv"), keep_default_na=False)
    assert csv_back.model.tolist() == ["bow, logreg", "fasttext"] and csv_back.tags.tolist() == ["a|b", ""]
    assert csv_back.note[0] == 'says "hi"\nthen leaves' and csv_back.ok.tolist() == [True, False]
    tsv = (tmp_path / "r.tsv")
    write_records(ROWS, FIELDS, tsv)
    assert tsv.read_text().splitlines()[2] == "fasttext\t0.79\t\ttab here\tfalse"
    lines = write_records(ROWS, FIELDS, tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0])["tags"] == ["a", "b"] and json.loads(lines[1])["tags"] is None
    assert pd.read_parquet(write_records(ROWS, FIELDS, tmp_path / "r.parquet")).tags[0].tolist() == ["a", "b"]
    with gzip.open(write_records(ROWS, ["model"], tmp_path / "r.csv.gz"), "rt") as handle:
        assert handle.read() == 'model\n"bow, logreg"\nfasttext\n'


def test_records_refuse_formats_without_columns_and_leave_nothing(tmp_path):
    with pytest.raises(ConfigError, match="write .csv, .tsv, .jsonl or .parquet"):
        write_records(ROWS, FIELDS, tmp_path / "r.txt")

    def failing():
        yield ROWS[0]
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        write_records(failing(), FIELDS, tmp_path / "r.csv")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("ext", [".tsv", ".csv.gz", ".jsonl.gz"])
def test_datasets_with_quotes_tabs_and_compression_round_trip(tmp_path, ext):
    data = Dataset(texts=['he said "hi"', "a\ttab"], labels=["x", "y"], ids=["1", "2"])
    back = read_dataset(write_dataset(data, tmp_path / f"d{ext}"))
    assert back.texts == ['he said "hi"', "a\ttab" if ext != ".tsv" else "a tab"] and back.labels == ["x", "y"]
    if ext.endswith(".gz"):
        assert (tmp_path / f"d{ext}").read_bytes()[:2] == b"\x1f\x8b"


def _source(write):
    rows = "".join(f"s{i},title {i},{'ab'[i % 2]},extra\n" for i in range(30))
    return write("src.csv", "sku,title,cat,other\n" + rows)


def test_manifest_records_the_columns_and_format_it_read(write, tmp_path):
    manifest = split_file(_source(write), tmp_path / "out", columns=Columns(text="title", label="cat", id="sku"))
    assert manifest["columns"] == {"text": "title", "label": "cat", "id": "sku"}
    assert manifest["source"]["format"] == "csv" and manifest["output_columns"] == {
        "text": "text", "label": "label", "id": "id"}
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["columns"]["id"] == "sku"
    split = load_split(tmp_path / "out")
    assert split.train.ids[0].startswith("s") and split.train.meta["columns"].id == "id"


def test_manifest_names_a_default_id_column_and_row_numbers(write, tmp_path):
    with_id = write("a.csv", "id,text,label\n" + "".join(f"k{i},t{i},{'ab'[i % 2]}\n" for i in range(20)))
    without = write("b.csv", "text,label\n" + "".join(f"t{i},{'ab'[i % 2]}\n" for i in range(20)))
    assert split_file(with_id, tmp_path / "a")["columns"]["id"] == "id"
    assert split_file(without, tmp_path / "b")["columns"] == {"text": "text", "label": "label", "id": None}
    fasttext = split_file(without, tmp_path / "c", out_format="fasttext")
    assert fasttext["output_columns"]["id"] is None
    assert load_split(tmp_path / "c").train.meta["columns"].id is None


def test_split_files_have_no_carriage_returns(write, tmp_path):
    src = write("crlf.csv", "text,label\r\n" + "".join(f'"multi\r\nline {i}",{"ab"[i % 2]}\r\n' for i in range(20)))
    result = run_textml("data", "split", src, "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    for name in ("train.csv", "dev.csv", "test.csv", "manifest.json"):
        content = (tmp_path / "out" / name).read_bytes()
        assert content.count(b"\r") == content.count(b"\r\nline")  # only inside the quoted texts


def test_rewriting_csv_labels_keeps_other_columns_and_multiline_fields(write, tmp_path):
    source = write("t.csv", 'id,text,label,extra\n1,"two\nlines",a,x\n\n2,plain,a,y\n')
    rewrite_labels(source, tmp_path / "m.csv", tmp_path / "m.csv", "csv", "utf-8", "label", 2, {1: "b, c"})
    assert (tmp_path / "m.csv").read_text() == 'id,text,label,extra\n1,"two\nlines",a,x\n2,plain,"b, c",y\n'
