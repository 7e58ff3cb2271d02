"""Compare in worker processes and budgeted tuning: the same numbers as the sequential path,
failures and interrupts handled as before, and the tuning budget honoured."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from mlflow.tracking import MlflowClient

from tests.task_corpora import write_number_split
from textml.exceptions import ConfigError
from textml.experiments.compare import compare
from textml.experiments.parallel import Fitted, by_expected_cost, fit_in_workers
from textml.experiments.spec import RunSpec

# deterministic pipelines (fastText and gensim with one thread are seeded and repeatable;
# w2v-logreg's lbfgs also needs the same BLAS thread count in both paths)
MODELS = ["dummy-prior", "bow-svm", "bow-nb", "fasttext", "w2v-logreg"]


def make_spec(split, tracking_uri, experiment, **settings):
    return RunSpec.create("compare", split, tracking_uri=tracking_uri, experiment=experiment, **settings)


def children(tracking_uri, parent_id):
    client = MlflowClient(tracking_uri=tracking_uri)
    parent = client.get_run(parent_id)
    return client.search_runs([parent.info.experiment_id], f"tags.mlflow.parentRunId = '{parent_id}'")


@pytest.fixture(scope="module")
def both(products_split_dir, tracking_uri):
    return {jobs: compare(make_spec(products_split_dir, tracking_uri, f"fast-{jobs}", models=MODELS, n_jobs=jobs))
            for jobs in (1, 2)}


def test_parallel_scores_equal_the_sequential_ones(both):
    sequential, parallel = both[1], both[2]
    assert [r.name for r in parallel.results] == [r.name for r in sequential.results]
    for one, other in zip(sequential.results, parallel.results):
        assert one.dev.keys() == other.dev.keys()
        for metric, value in one.dev.items():
            assert math.isclose(value, other.dev[metric], rel_tol=0, abs_tol=1e-9) or (
                math.isnan(value) and math.isnan(other.dev[metric])), (one.name, metric)
        assert one.train_score == pytest.approx(other.train_score, abs=1e-9)
    assert parallel.recommended == sequential.recommended and not parallel.failures


def test_parallel_logs_every_child_once_under_the_parent(both, tracking_uri):
    outcome = both[2]
    runs = children(tracking_uri, outcome.parent_run_id)
    assert sorted(r.info.run_name for r in runs) == sorted(f"compare {r.name}" for r in both[1].results)
    assert set(MODELS) <= {r.name for r in outcome.results}
    assert {r.info.status for r in runs} == {"FINISHED"}
    assert {r.info.run_id for r in runs} == {r.run_id for r in outcome.results}
    bow = next(r for r in runs if r.info.run_name == "compare bow-svm")
    assert bow.data.metrics["dev_macro_f1"] == pytest.approx(
        next(r for r in outcome.results if r.name == "bow-svm").dev["macro_f1"])
    assert outcome.results[0].size_bytes > 0


def test_largest_expected_fit_goes_first():
    order = by_expected_cost(["dummy-prior", "bow-nb", "bow-svm", "bow-char-svm", "fasttext"])
    assert order[0] == "bow-char-svm" and order[-1] == "dummy-prior"
    assert order.index("bow-svm") < order.index("bow-nb")


class RecordsWhereItIsUnpickled:
    """Stands for a fitted model whose unpickling imports an extension (fastText's)."""

    def __init__(self):
        self.unpickled_in = None

    def __setstate__(self, state):
        import threading

        self.unpickled_in = threading.current_thread().name


def _send_a_model(spec, name, final):
    return Fitted(name, result=RecordsWhereItIsUnpickled())


def test_worker_results_are_unpickled_in_the_callers_thread(products_split_dir):
    """Not in loky's manager thread: there a fastText model's import deadlocked with the main
    thread's threadpoolctl scan (a compare hung in CI)."""
    spec = make_spec(products_split_dir, None, "unused")
    got = list(fit_in_workers(spec, ["bow-nb", "fasttext"], 2, job=_send_a_model))
    assert sorted(f.name for f in got) == ["bow-nb", "fasttext"]
    assert {f.result.unpickled_in for f in got} == {threading.current_thread().name}


@pytest.fixture(scope="module")
def wordless_split(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wordless")
    rows = ["text,label"] + [f"{'! ? +' if i % 2 else '# $ %'},{'a' if i % 2 else 'b'}" for i in range(60)]
    (folder / "train.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (folder / "dev.csv").write_text("\n".join(rows[:21]) + "\n", encoding="utf-8")
    return folder


def test_a_pipeline_failing_in_a_worker_is_reported_as_before(wordless_split, tracking_uri):
    outcomes = {jobs: compare(make_spec(wordless_split, tracking_uri, f"fail-{jobs}", models=["bow-svm"],
                                        n_jobs=jobs)) for jobs in (1, 2)}
    assert outcomes[2].failures == outcomes[1].failures
    assert outcomes[2].failures["bow-svm"].startswith("DataError: bow-svm: no training text has a word")
    assert [r.name for r in outcomes[2].results] == [r.name for r in outcomes[1].results]
    statuses = {r.info.run_name: r.info.status for r in children(tracking_uri, outcomes[2].parent_run_id)}
    assert statuses["compare bow-svm"] == "FAILED" and statuses["compare dummy-prior"] == "FINISHED"


def test_ctrl_c_ends_the_workers_and_kills_the_parent_run(products_split_dir, tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    command = [sys.executable, "-m", "textml", "compare", str(products_split_dir), "--models",
               "bow-char-svm,ftvec-logreg,w2v-logreg,bow-logreg", "--n-jobs", "2", "--tracking-uri", uri,
               "--experiment", "interrupted"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                               start_new_session=True)  # its own process group, as a terminal's job
    for line in process.stderr:
        if "worker processes" in line:
            break
    time.sleep(3)  # the workers are fitting
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C sends: every process of the job
    start = time.monotonic()
    process.communicate(timeout=60)
    assert time.monotonic() - start < 30 and process.returncode != 0
    for _ in range(20):  # no worker outlives the command (loky's resource trackers exit a moment later)
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.5)
    else:
        pytest.fail("processes of the interrupted compare are still running")
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("interrupted")
    parents = client.search_runs([experiment.experiment_id], "attributes.run_name = 'compare'")
    assert [r.info.status for r in parents] == ["KILLED"]


@pytest.mark.parametrize("settings, message", [
    ({"n_jobs": 0}, "--n-jobs must be"),
    ({"tune_top": 0, "budget": 1}, "--tune-top must be"),
    ({"tune_top": 9, "budget": 1}, "--tune-top must be"),
    ({"tune_top": 1, "budget": 0}, "--budget must be a positive"),
    ({"tune_top": 1, "budget": float("inf")}, "--budget must be a positive"),
    ({"tune_top": 1, "budget": "soon"}, "--budget must be a positive"),
    ({"budget": 5}, "give --tune-top"),
    ({"models": ["bow-nb"], "tune_top": 2}, "from 1 to 1"),
])
def test_bad_tuning_settings_fail_before_any_run(products_split_dir, tracking_uri, settings, message):
    settings = {"models": MODELS, **settings}
    with pytest.raises(ConfigError, match=message):
        compare(make_spec(products_split_dir, tracking_uri, "bad-settings", **settings))
    experiment = MlflowClient(tracking_uri=tracking_uri).get_experiment_by_name("bad-settings")
    assert experiment is None or not MlflowClient(tracking_uri=tracking_uri).search_runs([experiment.experiment_id])


def test_tune_top_tunes_within_the_budget_and_competes(products_split_dir, tracking_uri):
    budget_minutes = 0.5
    start = time.monotonic()
    outcome = compare(make_spec(products_split_dir, tracking_uri, "tuned", models=["dummy-prior", "bow-nb", "bow-svm"],
                                n_jobs=2, tune_top=1, budget=budget_minutes))
    [tuning] = outcome.tunings
    best_default = max(r.dev["macro_f1"] for r in outcome.results if not r.name.endswith(" tuned")
                       and r.name != "dummy-prior")
    assert tuning.name == next(r.name for r in outcome.results if r.dev["macro_f1"] == best_default)
    assert len(tuning.trials) > 1 and tuning.seconds <= budget_minutes * 60 + 15  # one batch may run over
    doc = outcome.to_json()
    assert doc["tuning"][0]["pipeline"] == tuning.name and doc["tuning"][0]["trials"] == len(tuning.trials) - 1
    if tuning.improved:
        row = next(m for m in doc["models"] if m["name"] == f"{tuning.name} tuned")
        assert row["tuned"] and row["pipeline"] == tuning.name and row["params"]
        assert row["dev"]["macro_f1"] > best_default - 1e-12
        names = {r.info.run_name for r in children(tracking_uri, outcome.parent_run_id)}
        assert f"compare {tuning.name} tuned" in names
    assert time.monotonic() - start < 240


def test_tuning_a_regression_keeps_the_lowest_error(tmp_path, tracking_uri):
    split = write_number_split(tmp_path / "split")
    outcome = compare(RunSpec.create("compare", split, tracking_uri=tracking_uri, experiment="tuned-numbers",
                                     models=["bow-ridge", "bow-svr"], n_jobs=1, tune_top=1, budget=0.25))
    [tuning] = outcome.tunings
    rmse = {r.name: r.dev["rmse"] for r in outcome.results}
    assert tuning.name == min((n for n in rmse if n in ("bow-ridge", "bow-svr")), key=rmse.get)
    tuned = (tuning.tuned or tuning.default).dev["rmse"]
    assert tuned <= tuning.default.dev["rmse"] + 1e-9  # lower is better: tuning never hands back a worse error
    assert [r.dev["rmse"] for r in outcome.results] == sorted(rmse.values())
