"""Reading every supported format, and clear errors for malformed files."""

import gzip
import json

import pytest

from textml.data import Columns, Dataset, iter_chunks, read_dataset, write_dataset
from textml.exceptions import ConfigError, DataError


def test_csv_with_chosen_columns_and_ids(write):
    path = write("a.csv", 'sku,title,cat\n7,"red, cotton shirt",clothing\n8,usb cable,electronics\n')
    data = read_dataset(path, columns=Columns(text="title", label="cat", id="sku"))
    assert data.texts == ["red, cotton shirt", "usb cable"]
    assert data.labels == ["clothing", "electronics"]
    assert data.ids == ["7", "8"]


def test_id_column_is_used_when_present_and_row_numbers_otherwise(write):
    with_id = read_dataset(write("a.csv", "id,text,label\nx1,a,p\nx2,b,q\n"))
    without = read_dataset(write("b.csv", "text,label\na,p\nb,q\n"))
    assert with_id.ids == ["x1", "x2"]
    assert without.ids == ["1", "2"]


def test_tsv_and_gzipped_csv(write, tmp_path):
    tsv = read_dataset(write("a.tsv", "text\tlabel\nhello world\tgreet\n"))
    assert tsv.texts == ["hello world"] and tsv.labels == ["greet"]
    gz = tmp_path / "b.csv.gz"
    gz.write_bytes(gzip.compress(b"text,label\nzipped text,z\n"))
    assert read_dataset(gz).texts == ["zipped text"]
    disguised = tmp_path / "c.csv"  # compressed, but saved without the .gz
    disguised.write_bytes(gzip.compress(b"text,label\nzipped text,z\n"))
    assert read_dataset(disguised).texts == ["zipped text"]


def test_jsonl_with_list_labels_is_multilabel(write):
    path = write("a.jsonl", json.dumps({"text": "t1", "label": ["a", "b"]}) + "\n\n"
                 + json.dumps({"text": "t2", "label": "a"}) + "\n")
    data = read_dataset(path)
    assert data.labels == [("a", "b"), "a"]
    assert data.is_multilabel


def test_fasttext_lines_with_several_labels(write):
    path = write("a.txt", "__label__pos __label__promo great deal\n__label__neg bad\nno label here\n")
    data = read_dataset(path)
    assert data.texts == ["great deal", "bad", "no label here"]
    assert data.labels == [("pos", "promo"), "neg", None]


def test_parquet_round_trip(tmp_path):
    original = Dataset(texts=["a b", "c"], labels=["x", "y"], ids=["1", "2"])
    path = write_dataset(original, tmp_path / "d.parquet")
    back = read_dataset(path)
    assert (back.texts, back.labels, back.ids) == (original.texts, original.labels, original.ids)


@pytest.mark.parametrize("ext", [".csv", ".tsv", ".jsonl", ".parquet", ".txt"])
def test_every_writer_round_trips_texts_and_labels(tmp_path, ext):
    original = Dataset(texts=["red shirt, size M", "café crème"], labels=["clothing", "food"], ids=["a", "b"])
    back = read_dataset(write_dataset(original, tmp_path / f"out{ext}"))
    assert back.texts == original.texts
    assert back.labels == original.labels


def test_streaming_reader_yields_bounded_chunks(write):
    path = write("big.csv", "text,label\n" + "".join(f"text {i},c{i % 3}\n" for i in range(25)))
    chunks = list(iter_chunks(path, chunk_size=10))
    assert [len(c) for c in chunks] == [10, 10, 5]
    assert chunks[2].ids[0] == "21"


def test_unlabelled_reading_needs_no_label_column(write):
    data = read_dataset(write("u.csv", "text\nonly text\n"), columns=Columns(label=None))
    assert data.labels == [None]


# --- malformed input: one clear message naming the problem ---------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        read_dataset(tmp_path / "nope.csv")


def test_unknown_extension_asks_for_format(write):
    with pytest.raises(ConfigError, match="--format"):
        read_dataset(write("data.xyz", "text,label\n"))


def test_missing_text_column_lists_the_columns(write):
    with pytest.raises(DataError, match=r"no text column 'text'.*title, cat.*--text-col"):
        read_dataset(write("a.csv", "title,cat\nx,y\n"))


def test_missing_label_column(write):
    with pytest.raises(DataError, match=r"no label column 'category'.*--label-col"):
        read_dataset(write("a.csv", "text,label\nx,y\n"), columns=Columns(label="category"))


def test_malformed_csv_row_names_its_line(write):
    path = write("bad.csv", "text,label\nfine,a\nalso fine,b\ntoo,many,fields\n")
    with pytest.raises(DataError, match=r"line 4 has 3 fields, the header has 2; quote fields that contain commas$"):
        read_dataset(path)


def test_unterminated_quote(write):
    with pytest.raises(DataError, match="quote"):
        read_dataset(write("q.csv", 'text,label\n"never closed,a\n'))


def test_invalid_json_line_names_its_line(write):
    path = write("bad.jsonl", '{"text": "ok", "label": "a"}\n{"text": "broken", \n')
    with pytest.raises(DataError, match=r"line 2 is not valid JSON"):
        read_dataset(path)


def test_jsonl_missing_field(write):
    with pytest.raises(DataError, match=r"line 1 has no 'text' field.*--text-col"):
        read_dataset(write("a.jsonl", '{"body": "x", "label": "a"}\n'))


def test_wrong_encoding_is_reported(write):
    path = write("latin.csv", "text,label\ncaf\xe9,a\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"not valid utf-8.*--encoding"):
        read_dataset(path)
    assert read_dataset(path, encoding="latin-1").texts == ["café"]


def test_empty_file(write):
    with pytest.raises(DataError, match="is empty"):
        read_dataset(write("empty.csv", ""))


def test_broken_parquet(write):
    with pytest.raises(DataError, match="not a readable Parquet file"):
        read_dataset(write("bad.parquet", b"not parquet at all"))
