"""`data check`: the report's numbers and its usable/not-usable verdict."""

import json

import pytest

from tests.conftest import run_textml, shared_corpus
from textml.data.check import check_file


def test_report_counts_quality_problems(write):
    path = write("d.csv", "text,label\n"
                 "usb cable,tech\nusb cable,tech\nusb  cable,home\n"  # repeated, conflicting
                 "   ,tech\n"                                         # blank
                 "mug,\n"                                             # no label
                 "lamp,home\nkettle,home\nsofa,home\n")
    report = check_file(path)
    assert report.rows == 8
    assert report.blank_texts == 1
    assert report.missing_labels == 1
    assert report.duplicate_rows == 2
    assert report.conflicting_texts == 1
    assert report.classes == {"home": 4, "tech": 3}
    assert report.task == "binary"
    assert report.usable


def test_one_class_is_not_usable_and_exits_1(write):
    path = write("one.csv", "text,label\na,x\nb,x\n")
    result = run_textml("data", "check", path)
    assert result.returncode == 1
    assert "only one class" in result.stderr


def test_no_labels_is_not_usable(write):
    report = check_file(write("nolab.csv", "text,label\na,\nb,\n"))
    assert not report.usable
    assert any("no row has a label" in p for p in report.problems)


def test_json_output_for_machines(write):
    path = write("d.csv", "text,label\na,x\nb,y\nc,z\n")
    result = run_textml("data", "check", path, "--json")
    assert result.returncode == 0
    doc = json.loads(result.stdout)
    assert doc["task"] == "multiclass" and doc["usable"] is True and doc["rows"] == 3


def test_multilabel_task_is_inferred(write):
    report = check_file(write("m.txt", "__label__a __label__b x\n__label__a y\n__label__c z\n"))
    assert report.task == "multilabel"


@pytest.mark.parametrize("name", ["sms", "debian", "instacart"])
def test_shared_corpora_are_checked(name):
    path = shared_corpus(name)
    result = run_textml("data", "check", path)
    assert result.returncode == 0, result.stderr
    assert "usable: yes" in result.stdout
    assert "class counts" in result.stdout
