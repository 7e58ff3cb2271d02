"""Annotation logic that needs no server: configs, votes and ties, agreement, keys, merging,
and the errors raised before any network call."""

from __future__ import annotations

import json

import pytest

from tests.annotation.conftest import run_annotate
from textml.annotation import krippendorff_alpha, labelling_config, parse_config, resolve
from textml.annotation.client import connect, scrub
from textml.annotation.config import choices_of
from textml.annotation.keys import text_key
from textml.annotation.merge import default_merge_paths, plan_merge, read_split
from textml.annotation.pull import task_rows
from textml.data import Columns, read_dataset
from textml.data.formats import rewrite_labels
from textml.exceptions import AnnotationError


def test_generated_config_reads_back_with_awkward_labels():
    labels = ['a "quoted" one', "R&D", "<b>", "plain"]
    schema = parse_config(labelling_config(labels))
    assert schema.labels == tuple(labels) and not schema.multiple
    assert (schema.from_name, schema.to_name, schema.text_field) == ("label", "text", "text")
    assert parse_config(labelling_config(labels, multilabel=True)).multiple


def test_configs_people_write_are_understood():
    xml = """<View><Header value="Is it spam?"/><Text name="msg" value="$sentence"/>
      <Choices name="verdict" toName="msg" choice="multiple">
        <Choice value="Spam" alias="spam"/><Choice value="ham"/></Choices>
      <TextArea name="why" toName="msg"/></View>"""
    schema = parse_config(xml)
    assert schema.labels == ("spam", "ham") and schema.multiple
    assert schema.text_field == "sentence" and schema.from_name == "verdict"
    result = schema.result(("spam", "ham"))
    assert choices_of(result + [{"from_name": "why", "value": {"text": ["x"]}}], schema) == ("ham", "spam")


@pytest.mark.parametrize("xml, says", [
    ('<View><Text name="t" value="$t"/><TextArea name="x" toName="t"/></View>', "no <Choices>"),
    ('<View><Image name="i" value="$img"/><Choices name="c" toName="i"><Choice value="a"/></Choices></View>',
     "classifies texts only"),
    ("<View><Text", "not valid XML"),
])
def test_configs_that_do_not_fit_are_refused_with_a_reason(xml, says):
    with pytest.raises(AnnotationError, match=says):
        parse_config(xml, "project 'x'")


def test_majority_wins_and_ties_are_not_broken():
    won = resolve(["a", "a", "b"])
    assert won.label == "a" and not won.tie and won.agreement == pytest.approx(2 / 3, abs=1e-4) and won.n == 3
    tie = resolve(["a", "b"])
    assert tie.label is None and tie.tie and tie.agreement == 0.5 and tie.counts == {"a": 1, "b": 1}
    assert resolve(["a"]).agreement == 1.0
    assert resolve([("a", "b"), ("a", "b"), ("a",)]).label == ("a", "b")


def test_krippendorff_alpha_known_values():
    assert krippendorff_alpha([("a", "a"), ("b", "b"), ("a", "a")]) == 1.0
    assert krippendorff_alpha([("a", "b"), ("b", "a")]) == -0.5  # systematic disagreement
    assert krippendorff_alpha([("a", "a"), ("a", "a")]) is None  # one value only: undefined
    # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": 4 coders, 12 units,
    # missing values; the nominal alpha is 0.743
    units = [(1, 1, 1), (2, 2, 3, 2), (3, 3, 3, 3), (3, 3, 3, 3), (2, 2, 2, 2), (1, 2, 3, 4), (4, 4, 4, 4),
             (1, 1, 2, 1), (2, 2, 2, 2), (5, 5, 5), (1, 1), (3,)]
    assert krippendorff_alpha(units) == pytest.approx(0.743, abs=5e-4)


def test_text_key_ignores_whitespace_differences():
    assert text_key("Kettle,  1.7 L\n") == text_key("Kettle, 1.7 L") != text_key("Kettle 1.7 L")


def test_key_is_scrubbed_from_messages():
    key = "0123456789abcdef0123456789abcdef01234567"
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCJ9.c2lnbmF0dXJlc2lnbmF0dXJl"
    text = scrub(f"failed with {key}; header Authorization: Bearer {jwt}; Token {key}", (key,))
    assert key not in text and jwt not in text
    assert scrub("Token is invalid") == "Token is invalid"


def test_merged_names_keep_the_format_and_sit_beside_the_original(tmp_path):
    merged, changes = default_merge_paths(tmp_path / "train.csv")
    assert merged == tmp_path / "train.merged.csv" and changes == tmp_path / "train.merged.changes.csv"
    merged, changes = default_merge_paths(tmp_path / "dev.jsonl.gz")
    assert merged.name == "dev.merged.jsonl.gz" and changes.name == "dev.merged.changes.csv"


def _export(tasks):
    """Tasks in Label Studio's JSON export shape: (key, [(annotator id, label or None=skip), ...])."""
    out = []
    for n, (key, votes) in enumerate(tasks, start=1):
        anns = [{"completed_by": who, "was_cancelled": label is None, "created_at": f"2026-01-0{n}T00:00:0{i}Z",
                 "updated_at": f"2026-01-0{n}T00:00:0{i}Z",
                 "result": [] if label is None else parse_config(labelling_config(["a", "b", "c"])).result(label)}
                for i, (who, label) in enumerate(votes)]
        out.append({"id": 100 + n, "data": {"text": f"text {key}", "textml_key": f"id:{key}", "textml_id": key},
                    "annotations": anns})
    return out


def test_task_rows_count_votes_skip_cancelled_and_name_annotators():
    schema = parse_config(labelling_config(["a", "b", "c"]))
    rows, counts = task_rows(_export([("r1", [(1, "a"), (2, "a")]), ("r2", [(1, "a"), (2, "b")]),
                                      ("r3", [(1, None), (2, None)]), ("r4", [(1, "c"), (2, None)])]),
                             schema, {1: "ann1@x", 2: "ann2@x"}, "project")
    by_id = {r["id"]: r for r in rows}
    assert set(by_id) == {"r1", "r2", "r4"} and counts["skipped_only"] == 1
    assert by_id["r1"]["label"] == "a" and by_id["r1"]["annotators"] == ["ann1@x", "ann2@x"]
    assert by_id["r2"]["tie"] and by_id["r2"]["label"] is None
    assert by_id["r4"]["n_annotators"] == 1 and by_id["r4"]["skipped"] == 1


def test_annotation_with_a_label_outside_the_config_is_an_error():
    schema = parse_config(labelling_config(["a", "b"]))
    tasks = [{"id": 7, "data": {"text": "t"}, "annotations": [
        {"completed_by": 1, "result": [{"from_name": "label", "value": {"choices": ["zzz"]}}]}]}]
    with pytest.raises(AnnotationError, match="task 7 .* 'zzz'"):
        task_rows(tasks, schema, {}, "project 'p'")


def test_merge_changes_exactly_the_corrected_rows_and_keeps_the_rest(tmp_path, write):
    source = write("train.jsonl", "".join(json.dumps(r) + "\n" for r in [
        {"id": "1", "text": "red apple", "label": "fruit", "extra": 1},
        {"id": "2", "text": "blue car", "label": "fruit", "extra": 2},
        {"id": "3", "text": "green pear", "label": "fruit", "extra": 3}]))
    data, has_ids = read_split(source, Columns(), None, "utf-8")
    pulled = [{"key": "id:2", "label": "vehicle", "votes": {"vehicle": 2}},
              {"key": "id:3", "label": "fruit"}, {"key": "id:9", "label": "fruit"},
              {"key": "id:1", "label": None, "tie": True}]
    plan = plan_merge(pulled, source, data, has_ids, tmp_path / "m.jsonl", tmp_path / "c.csv", Columns(), None,
                      "utf-8", allow_new_labels=True)
    assert plan.changes == {1: "vehicle"} and plan.report.confirmed == 1 and plan.report.not_in_file == 1
    assert plan.report.new_labels == ["vehicle"]
    rewrite_labels(source, tmp_path / "m.jsonl", tmp_path / "m.jsonl", "jsonl", "utf-8", "label", 3, plan.changes)
    lines = (tmp_path / "m.jsonl").read_text().splitlines()
    assert json.loads(lines[1]) == {"id": "2", "text": "blue car", "label": "vehicle", "extra": 2}
    assert lines[0] == source.read_text().splitlines()[0] and lines[2] == source.read_text().splitlines()[2]
    with pytest.raises(AnnotationError, match="--allow-new-labels"):
        plan_merge(pulled, source, data, has_ids, tmp_path / "m.jsonl", tmp_path / "c.csv", Columns(), None, "utf-8")


def test_merge_by_text_key_into_a_fasttext_file(tmp_path, write):
    source = write("train.txt", "__label__a red  apple\n__label__a blue car\n__label__b green bus\n")
    data, has_ids = read_split(source, Columns(), None, "utf-8")
    plan = plan_merge([{"key": text_key("blue car"), "label": "b"}], source, data, has_ids, tmp_path / "m.txt",
                      tmp_path / "c.csv", Columns(), None, "utf-8")
    rewrite_labels(source, tmp_path / "m.txt", tmp_path / "m.txt", "fasttext", "utf-8", "label", 3, plan.changes)
    assert (tmp_path / "m.txt").read_text() == "__label__a red  apple\n__label__b blue car\n__label__b green bus\n"
    assert read_dataset(tmp_path / "m.txt").labels == ["a", "b", "b"]


def test_connection_settings_are_checked_before_any_call(monkeypatch):
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    with pytest.raises(AnnotationError, match="LABEL_STUDIO_URL"):
        connect()
    with pytest.raises(AnnotationError, match="LABEL_STUDIO_API_KEY"):
        connect("http://localhost:8080")
    with pytest.raises(AnnotationError, match="http"):
        connect("localhost:8080", "k" * 40)


def test_push_refuses_predictions_without_a_model_version_before_connecting(write):
    path = write("eyeball.csv", "id,text,label,predicted,prob_predicted\n1,red apple,fruit,veg,0.9\n")
    result = run_annotate("push", path, "--project", "x y z", url="http://127.0.0.1:9", api_key="k" * 40)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "--model-version" in result.stderr


def test_push_refuses_repeated_ids(write):
    path = write("rows.csv", "id,text,label\n1,red apple,fruit\n1,blue car,vehicle\n")
    result = run_annotate("push", path, "--project", "x y z", url="http://127.0.0.1:9", api_key="k" * 40)
    assert result.returncode == 2 and "unique" in result.stderr and "--key text" in result.stderr


def test_help_lists_push_and_pull_quickly():
    result = run_annotate("--help")
    assert result.returncode == 0 and "push" in result.stdout and "pull" in result.stdout
