"""The one reader: line numbers, skip-bad mode, quoting, encodings and compression alike for
every command (data check/split here; encode/predict in tests/encoding/test_failures.py)."""

import gzip
import json

import pytest

from tests.conftest import run_textml
from textml.data import read_dataset
from textml.data.check import check_file
from textml.data.formats import Columns, column_names, iter_rows
from textml.exceptions import DataError

# line 3 starts a quoted field that spans two lines, so the stray comma is on line 6, data row 4
CSV = 'id,text,label\nr1,plain,a\nr2,"two\nlines",b\nr3,fine,a\nr4,stray, comma,b\n\nr5,last,b\n'


def test_line_numbers_are_physical_lines_and_ids_survive_skipping(write):
    chunks = list(iter_rows(write("d.csv", CSV), skip_bad=True))
    assert [str(b) for c in chunks for b in c.bad] == ["line 6: malformed (it has 4 fields, the header has 3)"]
    rows = [(c.where(i), c.ids[i], c.texts[i]) for c in chunks for i in range(len(c))]
    assert rows == [("line 2", "r1", "plain"), ("line 3", "r2", "two\nlines"), ("line 5", "r3", "fine"),
                    ("line 8", "r5", "last")]


def test_without_an_id_column_rows_are_numbered_counting_malformed_ones(write):
    path = write("d.csv", "text,label\na,x\nb,x,extra\nc,y\n")
    chunk, = iter_rows(path, skip_bad=True)
    assert chunk.ids == ["1", "3"] and chunk.columns.id is None


def test_stopping_at_a_malformed_row_offers_skip_bad_only_where_the_command_has_it(write):
    path = write("d.csv", CSV)
    with pytest.raises(DataError, match=r"line 6 has 4 fields, the header has 3; quote fields that contain commas$"):
        read_dataset(path)
    with pytest.raises(DataError, match="line 6 .*--skip-bad"):
        list(iter_rows(path, skip_bad=False))
    result = run_textml("data", "check", path)
    assert result.returncode == 2 and "line 6 has 4 fields" in result.stderr and "--skip-bad" in result.stderr


def test_chunks_count_every_row_read_so_memory_stays_bounded(write):
    path = write("d.jsonl", "".join(f'{{"text": "t{i}", "label": "a"}}\n' if i % 3 else "not json\n" for i in range(10)))
    chunks = list(iter_rows(path, chunk_size=4, skip_bad=True))
    assert [len(c) + len(c.bad) for c in chunks] == [4, 4, 2]
    assert [b.where for c in chunks for b in c.bad] == ["line 1", "line 4", "line 7", "line 10"]


def test_jsonl_lines_that_miss_a_field_or_are_not_objects_are_bad_rows(write):
    path = write("d.jsonl", '{"text": "a", "label": "x"}\n[1, 2]\n{"body": "b", "label": "x"}\n\n{"text": "c"}\n')
    chunk, = iter_rows(path, skip_bad=True)
    assert chunk.texts == ["a"] and chunk.lines == [1]
    assert [str(b) for b in chunk.bad] == [
        "line 2: malformed (it is not a JSON object)",
        "line 3: malformed (it has no 'text' field (fields: body, label))",
        "line 5: malformed (it has no 'label' field (fields: text))"]


def test_an_id_field_in_the_first_object_gives_the_ids(write):
    path = write("d.jsonl", '{"id": "k1", "text": "a", "label": "x"}\n{"id": 7, "text": "b", "label": "y"}\n')
    data = read_dataset(path)
    assert data.ids == ["k1", "7"] and data.meta["columns"].id == "id"


def test_an_unclosed_quote_is_an_error_even_when_skipping(write):
    path = write("q.csv", 'text,label\nok,a\n"never closed,a\nmore,b\n')
    with pytest.raises(DataError, match=r"quoted field in the row starting at line 3 is never closed"):
        list(iter_rows(path, skip_bad=True))


def test_a_byte_the_encoding_cannot_read_is_named_by_line_and_column(write):
    path = write("l.jsonl", b'{"text": "ok", "label": "a"}\n' + '{"text": "caf\xe9", "label": "a"}\n'.encode("latin-1"))
    with pytest.raises(DataError, match=r"line 2 is not valid utf-8 text \(byte 0xE9 at column 14\).*--encoding"):
        read_dataset(path)
    assert read_dataset(path, encoding="latin-1").texts == ["ok", "café"]


@pytest.mark.parametrize("name, content", [
    ("b.csv", "text,label\nhello,a\n"),
    ("b.tsv", "text\tlabel\nhello\ta\n"),
    ("b.jsonl", '{"text": "hello", "label": "a"}\n'),
    ("b.txt", "__label__a hello\n"),
])
def test_a_byte_order_mark_is_dropped_in_every_text_format(write, name, content):
    data = read_dataset(write(name, "\ufeff".encode() + content.encode()))
    assert data.texts == ["hello"] and data.labels == ["a"]


def test_gzipped_jsonl_and_fasttext_and_a_broken_gzip(write, tmp_path):
    (tmp_path / "a.jsonl.gz").write_bytes(gzip.compress(b'{"text": "zipped", "label": "z"}\n'))
    (tmp_path / "a.txt.gz").write_bytes(gzip.compress(b"__label__z zipped\n"))
    assert read_dataset(tmp_path / "a.jsonl.gz").texts == read_dataset(tmp_path / "a.txt.gz").texts == ["zipped"]
    with pytest.raises(DataError, match="not a readable gzip file"):
        read_dataset(write("broken.csv.gz", b"not gzip at all"))


def test_short_rows_are_padded_and_crlf_files_read_like_lf_files(write):
    data = read_dataset(write("s.csv", b"text,label\r\nno label here\r\nfull,a\r\n"))
    assert data.texts == ["no label here", "full"] and data.labels == [None, "a"]


def test_tsv_quotes_are_plain_characters(write):
    assert read_dataset(write("q.tsv", 'text\tlabel\nshe said "hi\ta\n')).texts == ['she said "hi']


def test_column_names_of_every_format(write, tmp_path):
    assert column_names(write("a.csv", "\ufeffsku,title\n1,x\n")) == ["sku", "title"]
    assert column_names(write("a.jsonl", '\n{"title": "x", "n": 1}\n')) == ["title", "n"]
    assert column_names(write("a.txt", "__label__a x\n")) == []
    with pytest.raises(DataError, match="is empty"):
        column_names(write("e.csv", ""))


def test_data_check_and_split_can_skip_malformed_rows(write, tmp_path):
    rows = "".join(f"r{i},text number {i},{'ab'[i % 2]}\n" for i in range(40))
    path = write("d.csv", "id,text,label\n" + rows + "r99,stray, comma,a\n")
    report = check_file(path, skip_bad=True)
    assert report.rows == 40 and report.malformed_rows == 1 and report.malformed_examples == [
        "line 42: malformed (it has 4 fields, the header has 3)"]
    assert any("1 malformed rows left out" in w for w in report.warnings) and report.usable
    result = run_textml("data", "split", path, "--out", tmp_path / "out", "--skip-bad")
    assert result.returncode == 0, result.stderr
    assert "left out 1 malformed rows (first: line 42" in result.stdout
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["dropped"]["malformed"] == 1 and manifest["source"]["rows"] == 40


def test_unlabelled_reading_ignores_fasttext_labels(write):
    chunk, = iter_rows(write("a.txt", "__label__a hello\n\n__label__b world\n"), columns=Columns(label=None))
    assert chunk.texts == ["hello", "world"] and chunk.labels == [None, None] and chunk.lines == [1, 3]
