"""The run spec: every run logs what it ran, can be printed, passed back, and made again."""

import json
import shlex

import pytest
from mlflow.tracking import MlflowClient

from tests.conftest import run_textml
from textml.exceptions import ConfigError
from textml.experiments.spec import DataSpec, PipelineSpec, RunSpec, format_param, parse_assignments, parse_value


def _ok(result):
    assert result.returncode == 0, result.stderr
    return result


def _run_toml(client, run_id) -> str:
    """The run.toml a run logged, as a user reads it (a fresh process: no cached store state)."""
    return _ok(run_textml("rerun", run_id, "--print-config", "--tracking-uri", client.tracking_uri)).stdout


def test_spec_survives_toml_with_none_tuples_and_options():
    spec = RunSpec("train", DataSpec(split="/data/split", id_col="sku"),
                   PipelineSpec("bow-svm", {"spacy_lang": "de"},
                                {"clf__C": 0.5, "tfidf__ngram_range": (1, 3), "clf__class_weight": None}),
                   seed=7, settings={"final": False})
    again = RunSpec.from_toml(spec.to_toml())
    assert again.to_toml() == spec.to_toml()
    assert again.model.params["clf__class_weight"] is None
    assert again.model.options == {"spacy_lang": "de"} and again.seed == 7 and again.data.id_col == "sku"


def test_set_overrides_are_typed_like_the_command_line():
    spec = RunSpec("train", DataSpec(split="s"), PipelineSpec("bow-svm"))
    changed = spec.with_overrides(["model.params.clf__C=0.25", "model.params.tfidf__ngram_range=1,3",
                                   "model.options.stop_words=true", "seed=3", "data.id_col=sku"])
    assert changed.model.params == {"clf__C": 0.25, "tfidf__ngram_range": (1, 3)}
    assert changed.model.options == {"stop_words": True} and changed.seed == 3 and changed.data.id_col == "sku"
    with pytest.raises(ConfigError, match="unknown key data.colour"):
        spec.with_overrides(["data.colour=red"])
    with pytest.raises(ConfigError, match="not KEY=VALUE"):
        spec.with_overrides(["seed"])


@pytest.mark.parametrize("value", [0.5, 3, (1, 3), (2,), None, True, "balanced", r"(?u)\b\w+\b", "a b"])
def test_printed_params_paste_back_into_a_shell(value):
    words = shlex.split(format_param("name", value))
    assert words[0] == "--param"
    assert parse_assignments([words[1]], "--param") == {"name": value}


def test_parse_value_keeps_plain_words_as_text():
    assert parse_value("char_wb") == "char_wb" and parse_value("1e-3") == 1e-3 and parse_value("NULL") is None


def test_print_config_then_config_runs_the_same_thing(binary_split_dir, tracking_uri, tmp_path):
    printed = _ok(run_textml("train", binary_split_dir, "--model", "bow-nb", "--param", "clf__alpha=0.5",
                             "--tracking-uri", tracking_uri, "--experiment", "spec-config", "--print-config"))
    assert 'name = "bow-nb"' in printed.stdout and "clf__alpha = 0.5" in printed.stdout
    config = tmp_path / "run.toml"
    config.write_text(printed.stdout, encoding="utf-8")
    direct = json.loads(_ok(run_textml("train", binary_split_dir, "--model", "bow-nb", "--param", "clf__alpha=0.5",
                                       "--tracking-uri", tracking_uri, "--experiment", "spec-config",
                                       "--json")).stdout)
    from_file = json.loads(_ok(run_textml("train", "--config", config, "--json")).stdout)
    assert from_file["dev"] == direct["dev"]
    client = MlflowClient(tracking_uri)
    assert _run_toml(client, from_file["run_id"]) == _run_toml(client, direct["run_id"]) == printed.stdout
    # an environment variable does not override the file (mlflow.set_tracking_uri() exports one)
    elsewhere = run_textml("train", "--config", config, "--print-config",
                           env={"MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'other.db'}"})
    assert elsewhere.stdout == printed.stdout
    # flags on the command line win over the file, and --set over both
    changed = _ok(run_textml("train", "--config", config, "--param", "clf__alpha=2", "--set", "seed=4",
                             "--print-config"))
    assert "clf__alpha = 2" in changed.stdout and "seed = 4" in changed.stdout


def test_config_for_another_command_is_refused(tmp_path):
    config = tmp_path / "run.toml"
    config.write_text(RunSpec("compare", DataSpec(split=str(tmp_path))).to_toml(), encoding="utf-8")
    result = run_textml("train", "--config", config)
    assert result.returncode == 2 and "textml compare" in result.stderr and result.stderr.count("\n") == 1


def test_rerun_of_train_compare_child_and_tune_gives_the_same_scores(binary_split_dir, tracking_uri):
    common = ("--tracking-uri", tracking_uri, "--experiment", "spec-rerun", "--json", "--quiet")
    trained = json.loads(_ok(run_textml("train", binary_split_dir, "--model", "bow-svm",
                                        "--param", "tfidf__ngram_range=1,3", *common)).stdout)
    compared = json.loads(_ok(run_textml("compare", binary_split_dir, "--models", "bow-logreg", *common)).stdout)
    child = next(m for m in compared["models"] if m["name"] == "bow-logreg")
    tuned = json.loads(_ok(run_textml("tune", binary_split_dir, "--model", "bow-nb", "--n-iter", "3",
                                      "--top-k", "2", "--n-jobs", "1", *common)).stdout)
    client = MlflowClient(tracking_uri)
    for run_id in (trained["run_id"], child["run_id"], tuned["parent_run_id"]):
        done = json.loads(_ok(run_textml("rerun", run_id, "--tracking-uri", tracking_uri, "--json", "-q")).stdout)
        again = client.get_run(done["run_id"])
        original = client.get_run(run_id)
        assert again.data.tags["textml.rerun_of"] == run_id
        assert _run_toml(client, done["run_id"]) == _run_toml(client, run_id)
        dev = {k: v for k, v in original.data.metrics.items() if k.startswith("dev_")}
        assert dev and {k: again.data.metrics[k] for k in dev} == dev


def test_compare_fits_the_baselines_beside_chosen_models(binary_split_dir, tracking_uri):
    common = ("--tracking-uri", tracking_uri, "--experiment", "spec-baselines", "--json", "--quiet")
    doc = json.loads(_ok(run_textml("compare", binary_split_dir, "--models", "bow-nb", *common)).stdout)
    assert sorted(m["name"] for m in doc["models"]) == ["bow-nb", "dummy-prior", "dummy-stratified"]
    assert doc["recommended"] == "bow-nb"
    alone = json.loads(_ok(run_textml("compare", binary_split_dir, "--models", "bow-nb", "--no-baselines",
                                      *common)).stdout)
    assert [m["name"] for m in alone["models"]] == ["bow-nb"]
    empty = run_textml("compare", binary_split_dir, "--models", ",", *common)
    assert empty.returncode == 2 and "names no pipeline" in empty.stderr


def test_outputs_are_not_replaced_without_force(binary_split_dir, tracking_uri, tmp_path):
    out = tmp_path / "report"
    out.mkdir()
    (out / "comparison.csv").write_text("mine\n")
    (out / "notes.txt").write_text("keep me\n")
    common = ("--tracking-uri", tracking_uri, "--experiment", "spec-force", "--quiet")
    refused = run_textml("compare", binary_split_dir, "--models", "bow-nb", "--out", out, *common)
    assert refused.returncode == 2 and "--force" in refused.stderr
    assert (out / "comparison.csv").read_text() == "mine\n"
    _ok(run_textml("compare", binary_split_dir, "--models", "bow-nb", "--out", out, "--force", *common))
    table = (out / "comparison.csv").read_bytes()
    assert b"bow-nb" in table and b"\r" not in table
    assert (out / "notes.txt").read_text() == "keep me\n"
    (tmp_path / "diag").mkdir()
    (tmp_path / "diag" / "diagnosis.json").write_text("{}")
    refused = run_textml("diagnose", binary_split_dir, "--model", "bow-nb", "--out", tmp_path / "diag", *common)
    assert refused.returncode == 2 and "--force" in refused.stderr
    assert (tmp_path / "diag" / "diagnosis.json").read_text() == "{}"


def test_options_reach_the_pipeline_factory(binary_split_dir):
    result = run_textml("train", binary_split_dir, "--model", "w2v-logreg", "--option", "pooling=tfidf",
                        "--print-config")
    assert 'pooling = "tfidf"' in result.stdout
    unknown = run_textml("train", binary_split_dir, "--model", "bow-svm", "--option", "colour=red")
    assert unknown.returncode == 2 and "no option 'colour'" in unknown.stderr


@pytest.mark.parametrize("command", [["diagnose", "--model", "bow-svm"], ["errors", "--model", "bow-svm"],
                                     ["train", "--model", "bow-svm"]])
def test_unusable_training_text_is_one_line_for_every_command(command, tmp_path, tracking_uri):
    rows = "text,label\n" + "".join(f"{'!?' * (i % 3 + 1)},{'ab'[i % 2]}\n" for i in range(40))
    for name in ("train", "dev"):
        (tmp_path / f"{name}.csv").write_text(rows, encoding="utf-8")
    result = run_textml(command[0], tmp_path, *command[1:], "--tracking-uri", tracking_uri, "-q")
    assert result.returncode == 2, result.stderr
    assert "empty vocabulary" in result.stderr and result.stderr.strip().count("\n") == 0
