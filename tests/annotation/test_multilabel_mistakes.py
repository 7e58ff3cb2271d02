"""A tag model's mistakes go to Label Studio with several pre-annotated choices, and the
labels people give come back as lists."""

from __future__ import annotations

import json

from tests.annotation.conftest import client_for, project_id, project_tasks
from tests.conftest import run_textml
from tests.task_corpora import write_tag_split
from textml.annotation.config import parse_config
from textml.data.formats import read_dataset


def test_multilabel_mistakes_push_annotate_pull_as_lists(cli, admin, annotators, label_studio, tmp_path):
    split = write_tag_split(tmp_path / "split", n_train=300, n_dev=120, n_test=20)
    store = f"sqlite:///{tmp_path / 'mlflow.db'}"
    found = run_textml("errors", split, "--label-col", "labels", "--model", "bow-nb", "--out",
                       tmp_path / "mistakes.jsonl", "--tracking-uri", store, "--quiet")
    assert found.returncode == 0, found.stderr
    run_id = found.stdout.strip().split()[-1]  # "logged to MLflow run RUN_ID"
    mistakes = [json.loads(line) for line in (tmp_path / "mistakes.jsonl").read_text().splitlines()]
    assert mistakes and all(isinstance(m["predicted"], list) and isinstance(m["label"], list) for m in mistakes)

    push = cli("push", tmp_path / "mistakes.jsonl", "--project", "tag mistakes", "--pred-col", "predicted",
               "--score-col", "", "--model-version", run_id, "--quiet")
    assert push.returncode == 0, push.stderr
    pid = project_id(admin, "tag mistakes")
    schema = parse_config(admin.projects.get(id=pid).label_config)
    assert schema.multiple
    tasks = project_tasks(admin, pid)
    several = [t for t in tasks if t.predictions and len(t.predictions[0].result[0]["value"]["choices"]) > 1]
    assert several, "a multi-label prediction is pre-annotated with several choices"

    first, second = (t.data["textml_id"] for t in tasks[:2])
    task_of = {t.data["textml_id"]: t.id for t in tasks}
    for person in annotators:
        client = client_for(label_studio, person["token"])
        client.annotations.create(id=task_of[first], result=schema.result(("audio", "games")))
        client.annotations.create(id=task_of[second], result=schema.result(("docs", "network", "devel")))
    pull = cli("pull", "--project", "tag mistakes", "--out", tmp_path / "curated.jsonl")
    assert pull.returncode == 0, pull.stderr
    curated = read_dataset(tmp_path / "curated.jsonl")
    assert dict(zip(curated.ids, curated.labels)) == {first: ("audio", "games"),
                                                       second: ("devel", "docs", "network")}
