"""Numeric targets: `data check` describes them, `data split` keeps their distribution alike
in train, dev and test."""

import json

import numpy as np
import pytest

from tests.conftest import run_textml
from textml.data import read_dataset
from textml.data.check import check_file, format_report
from textml.data.split import split_file
from textml.exceptions import DataError


def _sizes(write, n=400, name="sizes.csv"):
    rng = np.random.default_rng(1)
    values = np.round(rng.lognormal(1.0, 0.6, n), 3)
    return write(name, "text,label\n" + "".join(f"package {i},{v}\n" for i, v in enumerate(values))), values


def test_check_summarises_a_numeric_target_with_a_histogram(write):
    path, values = _sizes(write)
    report = check_file(path)
    assert report.task == "regression" and report.classes == {} and report.usable
    target = report.target
    assert target["numbers"] == 400 and target["non_numeric"] == 0
    assert target["min"] == values.min() and target["max"] == values.max()
    assert target["median"] == pytest.approx(np.median(values)) and target["std"] == pytest.approx(values.std(), abs=1e-5)
    assert sum(b["rows"] for b in target["histogram"]) == 400
    text = format_report(report)
    assert "target histogram" in text and "class counts" not in text and "numeric target" in text
    assert json.loads(json.dumps(report.to_dict()))["target"]["histogram"][0]["rows"] >= 1


def test_given_task_regression_reports_missing_and_non_numeric_cells_by_line(write):
    path = write("r.csv", "text,label\na,1\nb,2\nc,NaN\nd,big\ne,3\nf,\ng,4\n")
    report = check_file(path)
    assert report.task == "multiclass" and report.target is None
    report = check_file(path, task="regression")
    assert report.task == "regression" and report.task_given
    assert report.missing_labels == 2 and report.missing_label_examples == ["line 4", "line 7"]
    assert report.target["non_numeric"] == 1 and report.target["non_numeric_examples"] == ["line 5: 'big'"]
    assert not report.usable and "not numbers (first: line 5: 'big')" in report.problems[0]
    result = run_textml("data", "check", path, "--task", "regression")
    assert result.returncode == 1 and "line 5: 'big'" in result.stdout


def test_numbers_that_may_be_classes_are_flagged(write):
    path = write("stars.csv", "text,label\n" + "".join(f"review {i},{1 + i % 5}\n" for i in range(50)))
    report = check_file(path)
    assert report.task == "multiclass"
    assert report.task_note and "--task regression" in report.task_note
    assert any("--task regression" in w for w in report.warnings)
    assert check_file(path, task="regression").task_note is None


def test_split_stratifies_on_quantile_bins_and_records_the_target(write, tmp_path):
    path, values = _sizes(write, n=2000)
    manifest = split_file(path, tmp_path / "out", seed=3)
    assert manifest["task"] == "regression" and manifest["classes"] is None
    assert manifest["stratified_on"] == "50 quantile bins of the target"
    assert manifest["target"]["rows"] == 2000
    for name in ("train", "dev", "test"):
        info = manifest["splits"][name]
        assert "class_counts" not in info and info["target"]["rows"] == info["rows"]
        part = np.array([float(v) for v in read_dataset(tmp_path / "out" / info["file"]).labels])
        assert info["target"]["mean"] == pytest.approx(part.mean(), abs=1e-6)
        # each split's deciles stay where the whole file's are
        assert np.abs(np.quantile(part, [0.1, 0.5, 0.9]) - np.quantile(values, [0.1, 0.5, 0.9])).max() < 0.15


def test_split_refuses_a_non_numeric_target_by_line(write, tmp_path):
    path = write("r.csv", "text,label\n" + "".join(f"t{i},{i * 0.5}\n" for i in range(30)) + "bad,n/a?\n")
    with pytest.raises(DataError, match=r"line 32 has the label 'n/a\?', not a number \(1 such rows\)"):
        split_file(path, tmp_path / "out", task="regression")
    assert not (tmp_path / "out").exists()


def test_regression_dedupe_keeps_the_median_of_repeated_texts(write, tmp_path):
    rows = "".join(f"t{i},{i + 0.5}\n" for i in range(40)) + "t1,10.5\nt1,2.5\n"
    manifest = split_file(write("r.csv", "text,label\n" + rows), tmp_path / "out", dedupe=True)
    assert manifest["dedupe"]["conflict_examples"][0]["kept"] == "2.5"
    assert manifest["target"]["rows"] == 40
