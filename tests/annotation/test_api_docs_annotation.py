"""docs/api.md's Label Studio examples (textml.push, textml.pull) against the session's real server."""

from __future__ import annotations

import csv

from tests.annotation.conftest import project_id, project_tasks
from tests.test_api_docs import doc_blocks, run_examples

# the sections whose examples make what the Label Studio ones use: the split, the model, the eyeball set
NEEDED = ("Data", "Train", "Run specs")


def test_the_push_and_pull_examples_run(label_studio, admin, tmp_path):
    blocks = doc_blocks()
    setup = [b for b in blocks if b.runnable and b.needs is None and b.section.startswith(NEEDED)]
    push, pull = [b for b in blocks if b.needs == "labelstudio"]
    assert "textml.push(" in push.code and "textml.pull(" in pull.code
    env = {"LABEL_STUDIO_URL": label_studio["url"], "LABEL_STUDIO_API_KEY": label_studio["token"]}

    pushed = run_examples(setup + [push], tmp_path, env)
    assert pushed.returncode == 0, f"{pushed.stdout[-3000:]}\n{pushed.stderr[-5000:]}"
    with open(tmp_path / "eyeball.csv", encoding="utf-8", newline="") as handle:
        eyeball = list(csv.DictReader(handle))
    assert f"{len(eyeball)} tasks in project products review" in pushed.stdout

    # an annotator settles every task on the model's guess (as a person would in the UI)
    tasks = project_tasks(admin, project_id(admin, "products review"))
    assert len(tasks) == len(eyeball) and all(t.predictions for t in tasks)
    guess = {row["id"]: row["predicted"] for row in eyeball}
    for task in tasks:
        admin.annotations.create(id=task.id, result=[{"from_name": "label", "to_name": "text", "type": "choices",
                                                      "value": {"choices": [guess[task.data["textml_id"]]]}}])

    pulled = run_examples([pull], tmp_path, env)
    assert pulled.returncode == 0, f"{pulled.stdout[-3000:]}\n{pulled.stderr[-5000:]}"
    assert f"{len(eyeball)} curated rows in" in pulled.stdout
    assert (tmp_path / "curated.csv").exists() and (tmp_path / "split" / "dev.merged.csv").exists()
