"""Multi-label data: read alike from every format, written back losslessly, checked and
split so that every label reaches dev and test."""

import json
from collections import Counter

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import SHARED, run_textml
from textml.data import Columns, Dataset, read_dataset, write_dataset
from textml.data.check import check_file, format_report
from textml.data.split import load_split, split_file
from textml.data.stratify import multilabel_indices
from textml.exceptions import ConfigError, DataError

DEBTAGS = SHARED / "corpora" / "debtags" / "debtags_short.jsonl"
SEP = Columns(label_sep="|")


def test_csv_cells_split_on_the_label_separator(write):
    path = write("m.csv", "text,label\nred shirt, a | b |c\nmug,a||\nlamp,\nsofa,b|b\n"
                 .replace("red shirt, a | b |c", '"red shirt"," a | b |c"'))
    assert read_dataset(path, columns=SEP).labels == [("a", "b", "c"), "a", None, "b"]
    # without the separator the cell is one label, as before
    assert read_dataset(path).labels[0] == "a | b |c"


def test_tsv_and_jsonl_strings_split_too_and_fasttext_ignores_the_separator(write):
    assert read_dataset(write("m.tsv", "text\tlabel\nx\ta|b\n"), columns=SEP).labels == [("a", "b")]
    assert read_dataset(write("m.jsonl", '{"text": "x", "label": "a|b"}\n'), columns=SEP).labels == [("a", "b")]
    assert read_dataset(write("m.txt", "__label__a|b x\n"), columns=SEP).labels == ["a|b"]


def test_parquet_list_columns_are_label_sets(tmp_path):
    path = tmp_path / "m.parquet"
    pq.write_table(pa.table({"text": ["a", "b", "c", "d"],
                             "label": pa.array([["x", "y"], ["x"], [], None], type=pa.list_(pa.string()))}), path)
    assert read_dataset(path).labels == [("x", "y"), "x", (), None]


def test_jsonl_lists_numbers_and_empty_lists(write):
    path = write("m.jsonl", "".join(json.dumps(r) + "\n" for r in (
        {"text": "a", "label": ["x", " y ", "x", ""]}, {"text": "b", "label": [1, 2.0, True]},
        {"text": "c", "label": []}, {"text": "d", "label": 3}, {"text": "e", "label": ["z"]})))
    # repeats and blanks dropped; numbers by their text (as single labels are); a list of one is one label
    assert read_dataset(path).labels == [("x", "y"), ("1", "2", "true"), (), "3", "z"]


@pytest.mark.parametrize("label, problem", [
    (["a", None], "has null in its label list"),
    (["a", {"b": 1}], "has a label that is an object"),
    ({"b": 1}, "has a label that is an object"),
    (["a", ["b"]], "has a list inside its label list"),
])
def test_jsonl_labels_that_are_not_strings_name_their_line(write, label, problem):
    path = write("m.jsonl", '{"text": "ok", "label": "a"}\n' + json.dumps({"text": "t", "label": label}) + "\n")
    with pytest.raises(DataError, match=rf"m.jsonl: line 2 {problem}"):
        read_dataset(path)
    assert read_dataset(path, skip_bad=True).labels == ["a"]


@pytest.mark.parametrize("cell", ['"[""a"", ""b""]"', "\"['a', 'b']\"", "[]"])
def test_a_csv_cell_that_looks_like_a_list_asks_for_label_sep(write, cell):
    path = write("l.csv", f"text,label\nfine,a\nx,{cell}\n")
    with pytest.raises(DataError, match=r"l.csv: line 3 has the label .* a list written as one text; .*--label-sep"):
        read_dataset(path)
    result = run_textml("data", "check", path)
    assert result.returncode == 2 and "--label-sep" in result.stderr and "Traceback" not in result.stderr


def test_bracketed_class_names_are_not_lists(write):
    assert read_dataset(write("b.csv", "text,label\nx,[draft]\ny,[1]\n")).labels == ["[draft]", "[1]"]


def test_csv_round_trip_joins_with_the_separator_and_refuses_without_one(tmp_path):
    data = Dataset(["a", "b", "c"], [("x", "y"), "x", None], ["1", "2", "3"])
    with pytest.raises(ConfigError, match="--label-sep"):
        write_dataset(data, tmp_path / "no.csv")
    assert not (tmp_path / "no.csv").exists()
    for ext in (".csv", ".tsv"):
        back = read_dataset(write_dataset(data, tmp_path / f"m{ext}", label_sep="|"), columns=SEP)
        assert back.labels == data.labels
    with pytest.raises(ConfigError, match="contains the label separator"):
        write_dataset(Dataset(["a"], [("x|1", "y")], ["1"]), tmp_path / "clash.csv", label_sep="|")


def test_empty_label_lists_round_trip_where_the_format_can_hold_them(tmp_path):
    data = Dataset(["a", "b"], [("x", "y"), ()], ["1", "2"])
    for ext in (".jsonl", ".parquet"):
        assert read_dataset(write_dataset(data, tmp_path / f"m{ext}")).labels == [("x", "y"), ()]
    with pytest.raises(ConfigError, match="empty label list"):
        write_dataset(data, tmp_path / "m.csv", label_sep="|")
    with pytest.raises(DataError, match="empty label list"):
        write_dataset(data, tmp_path / "m.txt")


def _multilabel_rows(n=60):
    """Rows with a common label, a mid label, one with exactly 3 rows, and one too rare to stratify."""
    rows = []
    for i in range(n):
        labels = ["common"] + (["mid"] if i % 4 == 0 else [])
        rows.append({"text": f"row {i} words", "label": labels})
    for i, extra in enumerate(["three", "three", "three", "rare"]):
        rows.append({"text": f"special {i}", "label": ["common", extra]})
    rows.append({"text": "nothing applies", "label": []})
    return rows


def test_check_reports_labels_per_row_sets_rare_labels_and_empty_lists(write):
    path = write("m.jsonl", "".join(json.dumps(r) + "\n" for r in _multilabel_rows()))
    report = check_file(path)
    assert report.task == "multilabel"
    assert report.multilabel == {"labels_per_row": {"mean": round(83 / 65, 2), "median": 1.0, "max": 2},
                                 "distinct_label_sets": 5, "rows_without_labels": 1}
    assert report.classes == {"common": 64, "mid": 15, "three": 3, "rare": 1}
    assert report.rare_classes == ["rare"]
    assert any("1 rows have an empty label list" in w for w in report.warnings)
    assert report.usable and report.to_dict()["multilabel"]["distinct_label_sets"] == 5


def test_check_bar_chart_stays_readable_with_many_labels(write):
    rows = [{"text": f"t{i}", "label": [f"label-{i % 150:03d}", f"label-{(i + 7) % 150:03d}"]} for i in range(900)]
    text = format_report(check_file(write("many.jsonl", "".join(json.dumps(r) + "\n" for r in rows))))
    bars = [line for line in text.splitlines() if line.strip().startswith("label-")]
    assert len(bars) == 40 and "... 110 more labels" in text
    assert "labels per row  mean 2.0" in text and "% of labelled rows" in text


def test_split_puts_every_label_with_three_rows_in_dev_and_test(write, tmp_path):
    path = write("m.jsonl", "".join(json.dumps(r) + "\n" for r in _multilabel_rows()))
    for seed in range(5):
        manifest = split_file(path, tmp_path / f"out{seed}", seed=seed)
        counts = {name: info["class_counts"] for name, info in manifest["splits"].items()}
        assert manifest["task"] == "multilabel"
        for label in ("common", "mid", "three"):
            assert all(counts[name].get(label) for name in ("train", "dev", "test")), (seed, label, counts)
        assert "rare" not in counts["dev"] and "rare" not in counts["test"]
        assert manifest["rare_classes_in_train_only"] == ["rare"]
        assert manifest["labels_not_in_every_split"] == {}
        assert sum(info["rows"] for info in manifest["splits"].values()) == 65


def test_iterative_stratification_keeps_label_shares_and_split_sizes():
    labels = []
    for i in range(3000):  # label k on about 1 row in k+1, several labels a row
        row = tuple(f"l{k}" for k in range(12) if i % (k + 2) == 0)
        labels.append(row if len(row) > 1 else row[0] if row else ())
    out, rare = multilabel_indices(labels, 0.1, 0.1, seed=0)
    assert sorted(i for part in out.values() for i in part) == list(range(3000)) and rare == []
    assert abs(len(out["dev"]) - 300) <= 15 and abs(len(out["test"]) - 300) <= 15
    total = Counter(label for row in labels for label in (row if isinstance(row, tuple) else (row,)))
    for name in ("dev", "test"):
        part = Counter(label for i in out[name] for label in
                       (labels[i] if isinstance(labels[i], tuple) else (labels[i],)))
        for label, n in total.items():
            assert abs(part[label] / n - 0.1) < 0.02, (name, label)


def test_multilabel_csv_split_reads_back_through_the_manifest(write, tmp_path):
    rows = "".join(f"t{i},{'a|b' if i % 2 else 'a'}\n" for i in range(30))
    src = write("m.csv", "text,label\n" + rows)
    with pytest.raises(ConfigError, match="--label-sep"):
        split_file(write("m.jsonl", "".join(json.dumps({"text": f"t{i}", "label": ["a", "b"]}) + "\n"
                                            for i in range(30))), tmp_path / "nosep", out_format="csv")
    manifest = split_file(src, tmp_path / "out", columns=SEP)
    assert manifest["output_columns"]["label_sep"] == "|"
    assert "a|b" in (tmp_path / "out" / "train.csv").read_text()
    split = load_split(tmp_path / "out")
    assert ("a", "b") in split.train.labels and "a" in split.train.labels


def test_cli_check_and_split_take_label_sep(write, tmp_path):
    path = write("m.csv", "text,label\n" + "".join(f"t{i},{'x|y' if i % 3 else 'y'}\n" for i in range(30)))
    result = run_textml("data", "check", path, "--label-sep", "|", "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["task"] == "multilabel" and doc["classes"] == {"y": 30, "x": 20}
    result = run_textml("data", "split", path, "--label-sep", "|", "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "2 labels" in result.stdout


def test_debtags_split_puts_every_label_in_dev_and_test(tmp_path):
    if not DEBTAGS.exists():
        pytest.skip(f"../shared debtags corpus not found at {DEBTAGS} (set TEXTML_SHARED to its folder)")
    result = run_textml("data", "split", DEBTAGS, "--label-col", "labels", "--out", tmp_path / "out", "--dedupe")
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    counts = {name: info["class_counts"] for name, info in manifest["splits"].items()}
    total = Counter()
    for part in counts.values():
        total.update(part)
    assert manifest["task"] == "multilabel" and len(total) == 131
    for label, n in total.items():
        if n >= 3:
            assert counts["dev"].get(label) and counts["test"].get(label), label
            # each split's share of a label stays near its share of rows (iterative stratification)
            assert abs(counts["dev"][label] / n - 0.1) < 0.03, label
    assert manifest["labels_not_in_every_split"] == {}
    assert read_dataset(tmp_path / "out" / "dev.jsonl").is_multilabel


def test_a_label_whose_rows_were_placed_by_rarer_labels_still_reaches_every_split():
    # T's four rows all come with P or Q, which have fewer rows and are placed first: without
    # the last pass, T missed a split for about 1 seed in 4
    labels = [("P", "T"), ("P", "T"), "P", ("Q", "T"), ("Q", "T"), "Q"] + [f"filler{i % 2}" for i in range(40)]
    for seed in range(30):
        out, _ = multilabel_indices(labels, 0.1, 0.1, seed)
        for name, rows in out.items():
            present = {label for i in rows for label in (labels[i] if isinstance(labels[i], tuple) else (labels[i],))}
            assert {"P", "Q", "T"} <= present, (seed, name)
