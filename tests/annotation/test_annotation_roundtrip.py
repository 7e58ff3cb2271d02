"""The whole loop against a real Label Studio server: push, annotate as people would, pull, merge."""

from __future__ import annotations

import csv
import hashlib
import json

import pytest

from tests.annotation.conftest import bundled_rows, client_for, project_id, project_tasks, write_eyeball, write_plain
from textml.annotation import build_task, connect, krippendorff_alpha, labelling_config, parse_config, push_file
from textml.annotation.keys import id_key
from textml.data import read_dataset
from textml.data.split import load_split

pytestmark = pytest.mark.labelstudio

RUN_ID = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"  # an MLflow run id


def _csv(path):
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_pushing_500_rows_twice_leaves_500_tasks_with_predictions(cli, admin, tmp_path):
    rows = bundled_rows(500)
    eyeball = write_eyeball(tmp_path / "eyeball.csv", rows)
    first = cli("push", eyeball, "--project", "push twice", "--model-version", RUN_ID, "--batch-size", "200")
    assert first.returncode == 0, first.stderr
    assert "pushed 500 new tasks" in first.stdout and "(created" in first.stdout
    assert "push:" in first.stderr  # the progress bar
    second = cli("push", eyeball, "--project", "push twice", "--model-version", RUN_ID, "--quiet")
    assert second.returncode == 0, second.stderr
    assert "pushed 0 new tasks" in second.stdout and "500 already in the project" in second.stdout

    pid = project_id(admin, "push twice")
    tasks = project_tasks(admin, pid)
    assert len(tasks) == 500
    assert {t.data["textml_key"] for t in tasks} == {id_key(r["id"]) for r in rows}
    expected = {r["id"]: r for r in _csv(eyeball)}
    task = next(t for t in tasks if t.data["textml_id"] == rows[7]["id"])
    row = expected[rows[7]["id"]]
    assert task.data["text"] == row["text"] and task.data["textml_label"] == row["label"]
    (prediction,) = task.predictions
    assert prediction.model_version == RUN_ID
    assert prediction.score == pytest.approx(float(row["prob_predicted"]))
    assert prediction.result[0]["value"]["choices"] == [row["predicted"]]
    schema = parse_config(admin.projects.get(id=pid).label_config)
    assert not schema.multiple
    assert set(schema.labels) == {r["label"] for r in expected.values()} | {r["predicted"] for r in expected.values()}


def test_an_interrupted_push_is_finished_by_running_it_again(cli, admin, label_studio, tmp_path):
    eyeball = write_eyeball(tmp_path / "eyeball.csv", bundled_rows(300, offset=500))
    conn = connect(label_studio["url"], label_studio["token"])
    real_import, batches = conn.import_tasks, []

    def import_then_die(pid, tasks):
        if len(batches) == 2:
            raise KeyboardInterrupt  # Ctrl-C during the third batch
        batches.append(len(tasks))
        return real_import(pid, tasks)

    conn.import_tasks = import_then_die
    with pytest.raises(KeyboardInterrupt):
        push_file(eyeball, "interrupted push", connection=conn, model_version=RUN_ID, batch_size=100, progress=False)
    pid = project_id(admin, "interrupted push")
    assert len(project_tasks(admin, pid)) == 200

    again = cli("push", eyeball, "--project", "interrupted push", "--model-version", RUN_ID, "--batch-size", "100")
    assert again.returncode == 0, again.stderr
    assert "pushed 100 new tasks" in again.stdout and "200 already in the project" in again.stdout
    tasks = project_tasks(admin, pid)
    assert len(tasks) == 300 and len({t.data["textml_key"] for t in tasks}) == 300


def _choose(label):
    return [{"from_name": "label", "to_name": "text", "type": "choices", "value": {"choices": [label]}}]


def test_two_annotators_round_trip_with_agreement_ties_and_merge(cli, admin, annotators, label_studio, tmp_path):
    dev_rows = bundled_rows(60, offset=1000)
    dev = write_plain(tmp_path / "dev.csv", dev_rows)
    dev_hash = _sha(dev)
    pushed = dev_rows[10:22]  # a plain labelled file: text and current label, no predictions
    review = write_plain(tmp_path / "review.csv", pushed)
    push = cli("push", review, "--project", "round trip", "--labels-from", dev, "--quiet")
    assert push.returncode == 0, push.stderr
    pid = project_id(admin, "round trip")
    task_of = {t.data["textml_id"]: t.id for t in project_tasks(admin, pid)}
    assert len(task_of) == 12 and all(not t.predictions for t in project_tasks(admin, pid))

    labels = sorted({r["label"] for r in dev_rows})  # offered thanks to --labels-from
    assert set(parse_config(admin.projects.get(id=pid).label_config).labels) == set(labels)
    other = {r["id"]: next(x for x in labels if x != r["label"]) for r in pushed}
    third = {r["id"]: next(x for x in labels if x not in (r["label"], other[r["id"]])) for r in pushed}
    ann1, ann2 = (client_for(label_studio, a["token"]) for a in annotators)
    plan = []  # (row, annotator-1 label, annotator-2 label); None = skip, "-" = not annotated
    for n, row in enumerate(pushed):
        rid = row["id"]
        if n < 4:
            plan.append((row, row["label"], row["label"]))  # confirmed
        elif n < 6:
            plan.append((row, other[rid], other[rid]))  # corrected by both
        elif n == 6:
            plan.append((row, other[rid], third[rid]))  # a tie
        elif n == 7:
            plan.append((row, other[rid], None))  # one annotator, the other skipped
        elif n == 8:
            plan.append((row, None, None))  # skipped by both
        else:
            plan.append((row, "-", "-"))  # not annotated yet
    for row, first, second in plan:
        for client, label in ((ann1, first), (ann2, second)):
            if label == "-":
                continue
            if label is None:
                client.annotations.create(id=task_of[row["id"]], result=[], was_cancelled=True)
            else:
                client.annotations.create(id=task_of[row["id"]], result=_choose(label), lead_time=3.5)

    out = tmp_path / "curated.csv"
    pull = cli("pull", "--project", "round trip", "--out", out, "--merge-into", dev)
    assert pull.returncode == 0, pull.stderr
    assert "1 tie (left out" in pull.stdout and "1 only skipped" in pull.stdout
    assert "agreement on 7 tasks with 2+ annotators: 86% unanimous" in pull.stdout
    for person in annotators:
        assert person["email"] in pull.stdout

    written = {r["id"]: r for r in _csv(out)}
    assert list(written) == [r["id"] for r in pushed[:8] if r is not pushed[6]]
    fixed = written[pushed[4]["id"]]
    assert fixed["label"] == other[pushed[4]["id"]] and fixed["source_label"] == pushed[4]["label"]
    assert fixed["n_annotators"] == "2" and fixed["agreement"] == "1.0" and fixed["tie"] == "false"
    assert fixed["annotators"].split("|") == sorted(a["email"] for a in annotators)
    assert json.loads(fixed["votes"]) == {other[pushed[4]["id"]]: 2}
    assert fixed["first_annotated_at"] <= fixed["last_annotated_at"] and fixed["last_annotated_at"].endswith("Z")
    lone = written[pushed[7]["id"]]
    assert lone["n_annotators"] == "1" and lone["skipped"] == "1" and lone["annotators"] == annotators[0]["email"]

    # the merge changes exactly the corrected rows; the original is untouched
    assert _sha(dev) == dev_hash
    merged = _csv(tmp_path / "dev.merged.csv")
    original = _csv(dev)
    changed = {o["id"]: (o["label"], m["label"]) for o, m in zip(original, merged) if o != m}
    assert changed == {r["id"]: (r["label"], other[r["id"]]) for r in (pushed[4], pushed[5], pushed[7])}
    assert [m["id"] for m in merged] == [o["id"] for o in original]
    log = _csv(tmp_path / "dev.merged.changes.csv")
    assert {(c["id"], c["old_label"], c["new_label"]) for c in log} == {(k, *v) for k, v in changed.items()}
    assert "3 labels changed, 4 confirmed" in pull.stdout

    # the pulled file is a labelled file like any other: it can be the dev split of later commands
    curated = read_dataset(out)
    assert len(curated) == 7 and curated.ids == list(written) and None not in curated.labels
    split = load_split(train=tmp_path / "dev.merged.csv", dev=out)
    assert len(split.dev) == 7

    kept = cli("pull", "--project", "round trip", "--out", tmp_path / "with_ties.jsonl", "--keep-ties", "--json")
    assert kept.returncode == 0, kept.stderr
    report = json.loads(kept.stdout)
    assert report["written"] == 8 and report["ties"] == 1 and report["skipped_only"] == 1
    agreement = report["agreement"]
    assert agreement["pairwise_agreement"] == pytest.approx(6 / 7, abs=1e-4)
    assert agreement["mean_agreement"] == pytest.approx((6 + 0.5) / 7, abs=1e-4)
    tie = [json.loads(line) for line in (tmp_path / "with_ties.jsonl").read_text().splitlines()][6]
    assert tie["tie"] is True and tie["label"] is None and sorted(tie["votes"].values()) == [1, 1]


def test_500_bulk_annotated_rows_pull_with_agreement_and_merge_exactly(cli, admin, annotators, tmp_path):
    """Annotations of 500 rows by two people, imported in bulk (one request instead of 1,000)."""
    rows = bundled_rows(500, offset=2000)
    eyeball = write_eyeball(tmp_path / "eyeball.csv", rows, seed=1)
    train_rows = bundled_rows(1500, offset=1500)  # holds the 500 rows among others
    train = write_plain(tmp_path / "train.csv", train_rows)
    predicted = {r["id"]: r["predicted"] for r in _csv(eyeball)}
    labels = sorted({r["label"] for r in bundled_rows(2000)} | set(predicted.values()))
    schema = parse_config(labelling_config(labels))
    project = admin.projects.create(title="bulk annotated", label_config=labelling_config(labels))
    a1, a2 = (a["id"] for a in annotators)
    tasks, expected = [], {}
    for n, row in enumerate(rows):
        rid, label, guess = row["id"], row["label"], predicted[row["id"]]
        kind = n % 10
        votes = {0: (guess, guess), 1: (guess, label), 2: (label, None), 3: (None, None)}.get(kind, (label, label))
        task = build_task(schema, id_key(rid), rid, row["text"], label, guess, 0.9, RUN_ID)
        task["annotations"] = [{"result": [] if v is None else schema.result(v), "was_cancelled": v is None,
                                "completed_by": who} for who, v in zip((a1, a2), votes)]
        tasks.append(task)
        expected[rid] = kind
    admin.projects.import_tasks(id=project.id, request=tasks)

    # the project already holds every row: pushing the eyeball set adds nothing
    push = cli("push", eyeball, "--project", "bulk annotated", "--model-version", RUN_ID, "--quiet")
    assert push.returncode == 0, push.stderr
    assert "pushed 0 new tasks" in push.stdout and "500 already in the project" in push.stdout

    out = tmp_path / "curated.csv"
    pull = cli("pull", "--project", "bulk annotated", "--out", out, "--merge-into", train, "--json")
    assert pull.returncode == 0, pull.stderr
    report = json.loads(pull.stdout)
    assert report["tasks"] == 450 and report["written"] == 400  # 50 tasks were only skipped
    assert report["ties"] == 50 and report["skipped_only"] == 50 and report["skipped_annotations"] == 150
    agreement = report["agreement"]
    assert agreement["tasks_with_2plus_annotators"] == 400 and agreement["unanimous"] == 350
    assert agreement["pairwise_agreement"] == 0.875
    units = []
    for row in rows:
        kind = expected[row["id"]]
        if kind == 0:
            units.append((predicted[row["id"]],) * 2)
        elif kind == 1:
            units.append((predicted[row["id"]], row["label"]))
        elif kind != 3:
            units.append((row["label"],) * (1 if kind == 2 else 2))
    assert agreement["krippendorff_alpha"] == krippendorff_alpha(units)
    for person in annotators:
        stats = agreement["annotators"][person["email"]]
        assert stats["compared"] == 350 and stats["agreement_with_majority"] == 1.0

    merge = report["merge"]
    assert merge["changed"] == 50 and merge["confirmed"] == 350 and merge["not_in_file"] == 0
    merged = _csv(tmp_path / "train.merged.csv")
    changed = {o["id"]: m["label"] for o, m in zip(_csv(train), merged) if o["label"] != m["label"]}
    assert changed == {rid: predicted[rid] for rid, kind in expected.items() if kind == 0}
    assert len(_csv(tmp_path / "train.merged.changes.csv")) == 50

    strict = cli("pull", "--project", "bulk annotated", "--out", tmp_path / "strict.parquet", "--min-annotators", "2",
                 "--quiet")
    assert strict.returncode == 0, strict.stderr
    assert len(read_dataset(tmp_path / "strict.parquet")) == 350


def test_multi_label_rows_round_trip_as_lists(cli, admin, annotators, label_studio, tmp_path, write):
    records = [{"id": "m1", "text": "waterproof hiking boots with laces", "label": ["clothing", "outdoor"]},
               {"id": "m2", "text": "camping kettle", "label": ["kitchen"]},
               {"id": "m3", "text": "dog raincoat", "label": ["pets", "clothing"]}]
    source = write("multi.jsonl", "".join(json.dumps(r) + "\n" for r in records))
    push = cli("push", source, "--project", "multi label", "--quiet")
    assert push.returncode == 0, push.stderr
    pid = project_id(admin, "multi label")
    schema = parse_config(admin.projects.get(id=pid).label_config)
    assert schema.multiple and set(schema.labels) == {"clothing", "outdoor", "kitchen", "pets"}
    task_of = {t.data["textml_id"]: t.id for t in project_tasks(admin, pid)}
    for person in annotators:
        client = client_for(label_studio, person["token"])
        client.annotations.create(id=task_of["m2"], result=schema.result(("kitchen", "outdoor")))
        client.annotations.create(id=task_of["m1"], result=schema.result(("outdoor", "clothing")))

    refused = cli("pull", "--project", "multi label", "--out", tmp_path / "multi.csv")
    assert refused.returncode == 2 and "multi-label" in refused.stderr and refused.stderr.count("\n") == 1
    assert not (tmp_path / "multi.csv").exists()

    pull = cli("pull", "--project", "multi label", "--out", tmp_path / "curated.jsonl", "--merge-into", source)
    assert pull.returncode == 0, pull.stderr
    curated = read_dataset(tmp_path / "curated.jsonl")
    assert dict(zip(curated.ids, curated.labels)) == {"m1": ("clothing", "outdoor"), "m2": ("kitchen", "outdoor")}
    merged = read_dataset(tmp_path / "multi.merged.jsonl")
    assert merged.labels == [("clothing", "outdoor"), ("kitchen", "outdoor"), ("pets", "clothing")]
    assert "1 label changed, 1 confirmed" in pull.stdout


def test_files_without_ids_are_keyed_by_text_and_merged_by_text(cli, admin, annotators, label_studio, tmp_path,
                                                                 write):
    source = write("train.txt", "__label__kitchen steel  kettle\n__label__toys wooden train\n"
                                "__label__kitchen steel kettle\n__label__toys rubber duck\n")
    first = cli("push", source, "--project", "no ids", "--quiet")
    assert first.returncode == 0, first.stderr
    assert "pushed 3 new tasks" in first.stdout and "keyed by text" in first.stdout
    assert "1 repeated text" in first.stdout  # the same text twice is one task
    pid = project_id(admin, "no ids")
    again = cli("push", source, "--project", str(pid), "--quiet")  # by number this time
    assert again.returncode == 0 and "pushed 0 new tasks" in again.stdout
    tasks = {t.data["text"]: t.id for t in project_tasks(admin, pid)}
    assert all(t.data["textml_key"].startswith("text:") for t in project_tasks(admin, pid))
    client = client_for(label_studio, annotators[0]["token"])
    client.annotations.create(id=tasks["steel kettle"], result=_choose("toys"))
    client.annotations.create(id=tasks["rubber duck"], result=_choose("toys"))
    pull = cli("pull", "--project", str(pid), "--out", tmp_path / "curated.tsv", "--merge-into", source)
    assert pull.returncode == 0, pull.stderr
    assert read_dataset(tmp_path / "curated.tsv").labels == ["toys", "toys"]
    # both copies of the kettle change (fastText text is whitespace-normalised); other lines stay as they were
    assert (tmp_path / "train.merged.txt").read_text() == ("__label__toys steel kettle\n__label__toys wooden train\n"
                                                          "__label__toys steel kettle\n__label__toys rubber duck\n")
    assert "2 labels changed, 1 confirmed" in pull.stdout
