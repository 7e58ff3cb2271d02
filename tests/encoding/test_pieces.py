"""Workers parse their own pieces of the input: the pieces tile the file exactly, giving the same
rows, ids, lines and bad rows as one sequential read by the data layer, whatever the quoting."""

from __future__ import annotations

import json
import random

import pytest

from textml.data.formats import Columns
from textml.encoding.pieces import parse_piece, place, plan_pieces
from textml.encoding.reading import iter_input


def pieces_in_order(path, fmt, chunk_size, skip_bad=True):
    """What the workers produce together, placed one after another as the local engine places them."""
    plan = plan_pieces(path, fmt, Columns(label=None), "utf-8", chunk_size)
    before, texts, ids, bad, redone = plan.base(), [], [], [], 0
    for i in range(len(plan)):
        parsed = parse_piece(plan, i, plan.starts[i])
        if before["end"] != plan.starts[i]:
            redone += 1
            parsed = parse_piece(plan, i, before["end"])
        placed = place(plan, parsed, before, skip_bad)
        texts += placed.texts
        ids += placed.ids
        bad += placed.bad
        before = placed.report
    return texts, ids, bad, len(plan), redone


def sequential(path, fmt, skip_bad=True):
    texts, ids, bad = [], [], []
    for chunk in iter_input(path, fmt, Columns(label=None), 10**9, skip_bad=skip_bad):
        texts += chunk.texts
        ids += chunk.ids
        bad += [str(b) for b in chunk.bad]
    return texts, ids, bad


def awkward_csv(path, rows=600, seed=0, crlf=True):
    """Quoted fields spanning lines (and piece boundaries), quotes, CRLF, blank lines, a BOM, bad rows."""
    rng = random.Random(seed)
    out = ["\ufeffid,text\r\n" if crlf else "\ufeffid,text\n"]
    for i in range(rows):
        kind = rng.random()
        if kind < 0.15:
            text = '"line one\nline ""two""\n\nthree, with comma"'
        elif kind < 0.2:
            text = ""
        elif kind < 0.23:
            text = "a,b"  # one field too many: malformed
        elif kind < 0.26:
            out.append("\n")
            text = f"after a blank line {i}"
        else:
            text = f'12" pan number {i}' if kind < 0.3 else f"plain title {i}"
        out.append(f"r{i},{text}" + ("\r\n" if i % 2 and crlf else "\n"))
    path.write_text("".join(out), encoding="utf-8", newline="")
    return path


@pytest.mark.parametrize("crlf", [True, False], ids=["mixed-endings", "lf-only"])
@pytest.mark.parametrize("chunk_size", [7, 50, 10**6])
def test_csv_pieces_equal_one_sequential_read_whatever_the_quoting(tmp_path, chunk_size, crlf):
    path = awkward_csv(tmp_path / "a.csv", rows=3000, seed=2, crlf=crlf)
    texts, ids, bad, n, redone = pieces_in_order(path, "csv", chunk_size)
    assert (texts, ids, bad) == sequential(path, "csv")
    assert n > 1 or chunk_size == 10**6
    if chunk_size == 7:
        assert redone > 0  # some guessed starts fell inside a quoted field, and were corrected


@pytest.mark.parametrize("fmt", ["tsv", "jsonl", "fasttext", "lines", "parquet"])
def test_every_format_splits_into_the_same_rows(tmp_path, inputs, titles, fmt):
    if fmt == "fasttext":
        path = tmp_path / "t.txt"
        path.write_text("".join(f"__label__{l} {t}\n\n" for t, l in zip(titles.text, titles.label)), encoding="utf-8")
    elif fmt == "parquet":
        path = tmp_path / "t.parquet"
        titles.to_parquet(path, row_group_size=128)
    else:
        path = inputs[fmt]
    texts, ids, bad, n, _ = pieces_in_order(path, fmt, 100)
    assert (texts, ids, bad) == sequential(path, fmt) and n > 5


def test_broken_jsonl_lines_and_empty_texts_are_found_where_a_sequential_read_finds_them(tmp_path):
    lines = [json.dumps({"id": f"j{i}", "text": f"title {i}"}) for i in range(300)]
    lines[40], lines[120], lines[200] = "{not json", json.dumps({"id": "x"}), json.dumps({"id": "e", "text": " "})
    path = tmp_path / "b.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert pieces_in_order(path, "jsonl", 20)[:3] == sequential(path, "jsonl")
    from textml.exceptions import DataError

    with pytest.raises(DataError) as piece_error:
        pieces_in_order(path, "jsonl", 20, skip_bad=False)
    with pytest.raises(DataError) as sequential_error:
        sequential(path, "jsonl", skip_bad=False)
    assert str(piece_error.value) == str(sequential_error.value)


def test_an_unclosed_quote_is_reported_as_the_data_layer_reports_it(tmp_path):
    from textml.exceptions import DataError

    path = tmp_path / "u.csv"
    path.write_text("id,text\n" + "".join(f"r{i},title {i}\n" for i in range(200)) + 'r200,"never closed\nmore\n',
                    encoding="utf-8")
    with pytest.raises(DataError) as piece_error:
        pieces_in_order(path, "csv", 16)
    with pytest.raises(DataError) as sequential_error:
        sequential(path, "csv")
    assert str(piece_error.value) == str(sequential_error.value)


def test_the_engine_on_pieces_gives_what_a_sequential_read_gives(tmp_path):
    """End to end, two workers, pieces of a few rows: every quoted line break, bad row and id in place."""
    import numpy as np
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import HashingVectorizer

    from textml.encoding import encode_file

    path = awkward_csv(tmp_path / "a.csv", rows=8000, seed=1)
    result = encode_file(path, "hashing:256", tmp_path / "v.npz", n_jobs=2, chunk_size=9, skip_bad=True,
                         progress=False)
    texts, ids, bad = sequential(path, "csv")
    assert result.chunks > 20 and result.rows == len(texts) and result.bad_examples == bad[:20]
    assert (tmp_path / "v.npz.ids.txt").read_text(encoding="utf-8").splitlines() == ids
    want = HashingVectorizer(n_features=256).transform(texts)
    assert abs(sp.load_npz(tmp_path / "v.npz") - want).max() == 0
    assert np.isclose(result.skipped, len(bad))


def test_an_undecodable_byte_is_named_as_the_data_layer_names_it(tmp_path):
    from textml.exceptions import DataError

    path = tmp_path / "b.csv"
    path.write_bytes(b"id,text\n" + b"".join(f"r{i},title {i}\n".encode() for i in range(300))
                     + b"r300,caf\xe9 latte\n" + b"r301,last\n")
    with pytest.raises(DataError) as piece_error:
        pieces_in_order(path, "csv", 16)
    with pytest.raises(DataError) as sequential_error:
        sequential(path, "csv")
    assert str(piece_error.value) == str(sequential_error.value) and "line 302" in str(piece_error.value)


def test_latin1_and_a_header_after_blank_lines_split_like_a_sequential_read(tmp_path):
    path = tmp_path / "l.csv"
    path.write_bytes(b"\n\nid,text\r\n" + b"".join(f"r{i},caf\xe9 {i}\r\n".encode("latin-1") for i in range(2000)))
    plan = plan_pieces(path, "csv", Columns(label=None), "latin-1", 20)
    texts, ids = [], []
    before = plan.base()
    for i in range(len(plan)):
        placed = place(plan, parse_piece(plan, i, plan.starts[i]), before, False)
        texts, ids, before = texts + placed.texts, ids + placed.ids, placed.report
    want = [(t, i) for chunk in iter_input(path, "csv", Columns(label=None), 10**9, "latin-1")
            for t, i in zip(chunk.texts, chunk.ids)]
    assert list(zip(texts, ids)) == want and len(plan) > 5 and texts[0] == "café 0"


def test_a_piece_that_crashes_stops_the_job_promptly_instead_of_hanging(tmp_path, monkeypatch, inputs):
    """A worker failing before it reported must not leave the pieces after it waiting forever."""
    import time

    import textml.encoding.pieces as pieces
    from textml.encoding import encode_file
    from textml.exceptions import DataError

    real = pieces.parse_piece

    def crash_on_the_third(plan, index, start):
        if index == 2:
            raise RuntimeError("simulated crash")
        return real(plan, index, start)

    monkeypatch.setattr(pieces, "parse_piece", crash_on_the_third)  # forked workers inherit it
    started = time.monotonic()
    with pytest.raises(DataError, match="failed on chunk 3.*simulated crash"):
        encode_file(inputs["csv"], "hashing:64", tmp_path / "v.npz", n_jobs=2, chunk_size=100, progress=False)
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("name, encoding, compression", [
    ("t.csv.gz", "utf-8", "gzip"), ("t.csv", "utf-16", None), ("gzipped-but-named.csv", "utf-8", "gzip")])
def test_inputs_that_cannot_be_cut_are_read_by_the_main_process_with_the_same_result(tmp_path, titles, name,
                                                                                     encoding, compression):
    """gzip (named .gz or not) and UTF-16 cannot be cut at byte offsets: the engine reads them
    whole, same rows and ids."""
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import HashingVectorizer

    from textml.encoding import encode_file
    from textml.encoding.pieces import splittable

    path = tmp_path / name
    titles.head(1500).to_csv(path, index=False, encoding=encoding, compression=compression)
    assert not splittable(path, "csv", encoding)
    result = encode_file(path, "hashing:128", tmp_path / "v.npz", encoding=encoding, n_jobs=2, chunk_size=200,
                         progress=False)
    assert result.rows == 1500 and result.chunks == 8
    assert (tmp_path / "v.npz.ids.txt").read_text(encoding="utf-8").splitlines() == titles.id.head(1500).tolist()
    want = HashingVectorizer(n_features=128).transform(titles.text.head(1500))
    assert abs(sp.load_npz(tmp_path / "v.npz") - want).max() == 0
