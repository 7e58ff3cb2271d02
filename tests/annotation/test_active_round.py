"""The active-learning loop against a real Label Studio server and a real MLflow store:
suggest -> push -> two annotators label -> round -> the challenger is promoted only when better."""

from __future__ import annotations

import csv
import hashlib
import json
import random

import pytest

from tests.annotation.conftest import bundled_rows, client_for, project_id, project_tasks, write_plain, write_pool
from textml.annotation import connect, parse_config

pytestmark = pytest.mark.labelstudio

SIZE = 60  # picks per round: enough for a clear gain over 150 training rows (measured: +0.05..0.14 macro F1)


def _choose(schema, label):
    return schema.result(label)


def _snapshot(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def loop(tmp_path_factory):
    """A weak champion (bow-logreg on 150 rows) registered as `products@champion`, its data, and
    an unlabelled pool whose true labels are the annotators' answers."""
    from textml.experiments.rerun import run_spec
    from textml.experiments.spec import RunSpec
    from textml.tracking.registry import promote, register

    root = tmp_path_factory.mktemp("loop")
    rows = bundled_rows(2400, offset=6000)
    random.Random(0).shuffle(rows)
    # one row of every class first, so the champion (and the project) knows every label
    firsts = list({r["label"]: r for r in reversed(rows)}.values())
    rows = firsts + [r for r in rows if r not in firsts]
    data = root / "data"
    data.mkdir()
    train = write_plain(data / "train.csv", rows[:150])
    dev = write_plain(data / "dev.csv", rows[150:750])
    pool = write_pool(root / "pool.csv", rows[750:])
    uri = f"sqlite:///{root / 'mlflow.db'}"
    trained = run_spec(RunSpec.create("train", train=train, dev=dev, model="bow-logreg", tracking_uri=uri,
                                      experiment="active rounds"))
    for name in ("products", "noisy"):
        register(trained.run_id, name, uri)
        promote(name, "champion", "1", uri)
    return {"root": root, "data": data, "train": train, "dev": dev, "pool": pool, "uri": uri,
            "truth": {r["id"]: r["label"] for r in rows}, "labels": sorted({r["label"] for r in rows})}


def _annotate(label_studio, annotators, admin, title, answer):
    """Annotator 1 labels the first 35 tasks, annotator 2 the last 35 (10 tasks get both)."""
    pid = project_id(admin, title)
    schema = parse_config(admin.projects.get(id=pid).label_config)
    tasks = sorted(project_tasks(admin, pid), key=lambda t: t.id)
    first, second = (client_for(label_studio, a["token"]) for a in annotators)
    for n, task in enumerate(tasks):
        label = answer(task.data["textml_id"])
        if n < 35:
            first.annotations.create(id=task.id, result=_choose(schema, label))
        if n >= len(tasks) - 35:
            second.annotations.create(id=task.id, result=_choose(schema, label))
    return tasks


def _aliases(name, uri):
    from textml.tracking.registry import list_models

    return list_models(name, uri)[0]["aliases"]


def test_suggest_push_annotate_round_promotes_a_better_challenger(loop, cli, admin, annotators, label_studio,
                                                                   monkeypatch):
    uri = loop["uri"]
    push = cli("push", loop["pool"], "--project", "round good", "--select", "entropy", "--size", SIZE, "--model",
               "models:/products@champion", "--tracking-uri", uri, "--exclude", loop["train"], "--exclude",
               loop["dev"])
    assert push.returncode == 0, push.stderr
    assert f"picked {SIZE} texts" in push.stdout and f"pushed {SIZE} new tasks" in push.stdout
    tasks = _annotate(label_studio, annotators, admin, "round good", lambda rid: loop["truth"][rid])
    assert len(tasks) == SIZE and all(t.predictions and t.predictions[0].score is not None for t in tasks)
    # pushing the selection again adds nothing: the project's texts are not picked twice
    again = cli("push", loop["pool"], "--project", "round good", "--select", "entropy", "--size", "5", "--model",
                "models:/products@champion", "--tracking-uri", uri, "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["selection"]["excluded_project"] >= SIZE - 5

    # a round killed after the merge (while retraining) leaves the aliases and the data as they were
    import textml.annotation.round as round_module

    before = _snapshot(loop["data"])

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(round_module, "_retrain", killed)
    conn = connect(label_studio["url"], label_studio["token"])
    with pytest.raises(KeyboardInterrupt):
        round_module.run_round("round good", "products", connection=conn, tracking_uri=uri)
    monkeypatch.undo()
    assert _snapshot(loop["data"]) == before and _aliases("products", uri) == {"champion": "1"}

    dry = cli("round", "--project", "round good", "--model", "products", "--tracking-uri", uri, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "dry run" in dry.stdout and f"{SIZE} rows added" in dry.stdout
    assert _snapshot(loop["data"]) == before

    done = cli("round", "--project", "round good", "--model", "products", "--tracking-uri", uri, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["decision"] == "promoted", report["reason"]
    assert report["added"] == SIZE and report["train_rows_after"] == 150 + SIZE and report["ci"][0] > 0
    assert _aliases("products", uri) == {"champion": "2"}
    # the original files are untouched; the new version sits in rounds/
    after = _snapshot(loop["data"])
    assert {k: v for k, v in after.items() if not k.startswith("rounds/")} == before
    assert list(after) == sorted([*before, "rounds/train.products.round-good.round1.csv"])
    with open(report["train_after"], encoding="utf-8", newline="") as handle:
        new_rows = list(csv.DictReader(handle))
    assert {r["id"]: r["label"] for r in new_rows[150:]} == {t.data["textml_id"]: loop["truth"][t.data["textml_id"]]
                                                             for t in tasks}

    # the round is one MLflow run with its lineage
    from mlflow.tracking import MlflowClient

    run = MlflowClient(uri).get_run(report["round_run_id"])
    tags = run.data.tags
    assert tags["textml.round.project"] == "round good" and tags["textml.round.number"] == "1"
    assert tags["textml.round.champion_version"] == "1" and tags["textml.round.challenger_version"] == "2"
    assert tags["textml.round.decision"] == "promoted" and tags["data.train_sha256"] == report["train_after_sha256"]
    assert tags["data.train_before_sha256"] == before["train.csv"]


def test_a_round_on_noise_keeps_the_champion(loop, admin, annotators, label_studio):
    from textml.annotation.round import run_round
    from textml.annotation.suggest import push_selection

    uri = loop["uri"]
    conn = connect(label_studio["url"], label_studio["token"])
    push_selection(loop["pool"], "round noise", "models:/noisy@champion", SIZE, "margin", connection=conn,
                   tracking_uri=uri, exclude=[loop["train"], loop["dev"]])
    rng = random.Random(1)
    wrong = lambda rid: rng.choice([x for x in loop["labels"] if x != loop["truth"][rid]])  # noqa: E731
    noise = {}
    _annotate(label_studio, annotators, admin, "round noise", lambda rid: noise.setdefault(rid, wrong(rid)))
    report = run_round("round noise", "noisy", connection=conn, tracking_uri=uri)
    assert report.decision == "kept champion" and "not better beyond the interval" in report.reason
    assert _aliases("noisy", uri) == {"champion": "1", "challenger": "2"}
    assert report.added == SIZE
