"""`annotate suggest --engine spark` (local[2], one session for the module): the same picks, in
the same order, with the same counts as the local engine, for single- and multi-label models;
excluded texts and near-duplicates never picked; option errors in one line."""

from __future__ import annotations

import re
import sys

import pandas as pd
import pytest

from tests.annotation.conftest import bundled_rows
from textml.annotation.selection import near_key
from textml.annotation.suggest import suggest

pytestmark = pytest.mark.spark
STRATEGIES = ["least-confidence", "margin", "entropy", "diverse", "random"]
COUNTS = ("pool_rows", "scored", "blank", "excluded_labelled", "excluded_project", "duplicates", "written",
          "multilabel", "pool_has_ids")


@pytest.fixture(scope="module")
def spark(spark_session):
    # small splits: the pool is read as several partitions, each with its own candidates
    spark_session.conf.set("spark.sql.files.maxPartitionBytes", "24k")
    yield spark_session
    spark_session.conf.unset("spark.sql.files.maxPartitionBytes")


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    """3,000 titles plus other spellings of every 10th (appended: near-duplicates far apart) and a
    few blank texts, as CSV and Parquet; labelled files holding 300 of them (by id and by text)."""
    folder = tmp_path_factory.mktemp("spark-suggest")
    rows = [{"id": r["id"], "text": r["text"]} for r in bundled_rows(3000, offset=6000)]
    copies = [{"id": f"d{i:05d}", "text": " ".join(reversed(r["text"].upper().split())) + " !"}
              for i, r in enumerate(rows[::10])]
    for i in (7, 1234, 2999):
        rows[i]["text"] = "   " if i == 1234 else ""
    table = pd.DataFrame(rows + copies)
    paths = {"csv": folder / "pool.csv", "parquet": folder / "pool.parquet", "noid": folder / "noid.parquet"}
    table.to_csv(paths["csv"], index=False)
    table.to_parquet(paths["parquet"], index=False, row_group_size=300)
    table[["text"]].to_parquet(paths["noid"], index=False, row_group_size=300)
    by_id = table.iloc[100:250].assign(label="x")  # labelled by id (and text)
    by_text = table.iloc[250:400].assign(id=lambda f: "other" + f["id"], label="x")  # by text only
    by_text["text"] = by_text["text"].str.lower()
    paths["labelled"] = [folder / "train.csv", folder / "dev.csv"]
    by_id.to_csv(paths["labelled"][0], index=False)
    by_text.to_csv(paths["labelled"][1], index=False)
    excluded_keys = {near_key(t) for t in pd.concat([by_id, by_text])["text"]}
    excluded = {"keys": excluded_keys, "ids": set(by_id["id"])}
    blank = [i for i, t in enumerate(table["text"]) if not t.strip()]
    excluded["rows"] = sum(1 for i, (id_, t) in enumerate(zip(table["id"], table["text"]))
                           if i not in blank and (near_key(t) in excluded_keys or id_ in excluded["ids"]))
    paths["excluded"], paths["rows"], paths["blank"] = excluded, len(table), len(blank)
    return paths


@pytest.fixture(scope="module")
def multi_model(tmp_path_factory):
    """A multi-label bow-logreg: the department, plus "pack" for multi-packs and sets."""
    from textml.models.registry import make_model
    from textml.models.saving import save_model

    rows = bundled_rows(800)
    labels = [tuple(sorted({r["label"]} | ({"pack"} if re.search(r"\d+ ?pk|\bset\b", r["text"], re.I) else set())))
              for r in rows]
    model = make_model("bow-logreg", seed=0, task="multilabel").fit([r["text"] for r in rows], labels)
    return save_model(model, tmp_path_factory.mktemp("multi") / "model", {"model": "bow-logreg", "task": "multilabel"})


def _same(spark_report, local_report):
    for name in COUNTS:
        assert getattr(spark_report, name) == getattr(local_report, name), name
    got, want = spark_report.rows, local_report.rows
    for column in ("text", "id", "predicted", "rank", "reason"):
        assert [r[column] for r in got] == [r[column] for r in want], column
    assert [r["prob_predicted"] for r in got] == pytest.approx([r["prob_predicted"] for r in want], abs=1e-9)
    if local_report.strategy == "random":
        assert all(r["uncertainty"] is None for r in got)
    else:
        assert [r["uncertainty"] for r in got] == pytest.approx([r["uncertainty"] for r in want], abs=1e-9)


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("kind", ["single", "multi"])
def test_spark_picks_what_the_local_engine_picks(spark, pool, small_model, multi_model, kind, strategy):
    model, path = (small_model, pool["csv"]) if kind == "single" else (multi_model, pool["parquet"])
    options = dict(exclude=pool["labelled"], seed=5)
    local = suggest(path, str(model), 20, strategy, chunk_size=700, **options)
    on_spark = suggest(path, str(model), 20, strategy, engine="spark", spark=spark, **options)
    assert on_spark.engine == "spark" and on_spark.written == 20
    _same(on_spark, local)
    assert local.pool_rows == pool["rows"] and local.blank == pool["blank"]
    assert local.excluded_labelled == pool["excluded"]["rows"]
    assert local.scored == pool["rows"] - pool["blank"] - pool["excluded"]["rows"]
    assert local.multilabel == (kind == "multi")


def test_excluded_texts_and_near_duplicates_are_never_picked_on_spark(spark, pool, small_model):
    excluded = pool["excluded"]
    plain = suggest(pool["csv"], str(small_model), 400, "entropy", engine="spark", spark=spark)
    # without --exclude some labelled texts are among the picks, and near-duplicates were met
    assert {near_key(r["text"]) for r in plain.rows} & excluded["keys"]
    assert plain.duplicates > 0
    report = suggest(pool["csv"], str(small_model), 400, "entropy", engine="spark", spark=spark,
                     exclude=pool["labelled"])
    keys = [near_key(r["text"]) for r in report.rows]
    assert len(set(keys)) == len(keys) == 400  # one text per near-duplicate group
    assert not set(keys) & excluded["keys"] and not {r["id"] for r in report.rows} & excluded["ids"]
    assert all(r["text"].strip() for r in report.rows)
    _same(report, suggest(pool["csv"], str(small_model), 400, "entropy", exclude=pool["labelled"]))


def test_rows_without_ids_get_the_local_engines_row_numbers(spark, pool, small_model, tmp_path):
    on_spark = suggest(pool["noid"], str(small_model), 30, "margin", tmp_path / "s.jsonl", engine="spark",
                       spark=spark)
    local = suggest(pool["noid"], str(small_model), 30, "margin", tmp_path / "l.jsonl")
    assert not on_spark.pool_has_ids
    _same(on_spark, local)
    assert (tmp_path / "s.jsonl").read_text().count("\n") == 30


@pytest.fixture
def textml(capsys):
    """`textml ARGS` in-process through the real entry point: (exit code, stdout, stderr)."""
    from textml.cli import main

    def run(*args):
        capsys.readouterr()
        try:
            main(list(map(str, args)))
            code = 0
        except SystemExit as exit:
            code = exit.code
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def test_the_command_runs_on_spark(spark, pool, small_model, tmp_path, textml):
    out = tmp_path / "next.csv"
    code, stdout, stderr = textml("annotate", "suggest", pool["parquet"], "--model", small_model, "--size", "10",
                                  "--out", out, "--engine", "spark", "--master", "local[2]", "--strategy", "diverse",
                                  "-q")
    assert code == 0, stderr
    assert "picked 10 texts" in stdout and "on Spark" in stdout
    assert len(pd.read_csv(out)) == 10


def _one_line(code, stderr):
    return code == 2 and stderr.startswith("error: ") and stderr.strip().count("\n") == 0


def test_option_errors_are_one_line(pool, small_model, tmp_path, textml, monkeypatch):
    base = ("annotate", "suggest", pool["csv"], "--model", small_model, "--size", "5", "--out", tmp_path / "x.csv")
    code, _, stderr = textml(*base, "--master", "local[2]")
    assert _one_line(code, stderr) and "--engine spark" in stderr
    code, _, stderr = textml(*base, "--engine", "spark", "--master", "nonsense[")
    assert _one_line(code, stderr) and "not a Spark master URL" in stderr
    code, _, stderr = textml(*base, "--engine", "cluster")
    assert _one_line(code, stderr) and "--engine" in stderr
    code, _, stderr = textml("annotate", "push", pool["csv"], "--project", "p", "--engine", "spark")
    assert _one_line(code, stderr) and "--select" in stderr
    monkeypatch.setitem(sys.modules, "pyspark", None)  # as if pyspark were not installed
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    code, _, stderr = textml(*base, "--engine", "spark")
    assert _one_line(code, stderr) and "pip install 'textml[spark]'" in stderr
    assert not (tmp_path / "x.csv").exists()


def test_spark_refuses_formats_it_does_not_read(spark, small_model, tmp_path, textml):
    pool = tmp_path / "pool.jsonl"
    pool.write_text('{"id": "a", "text": "red mug"}\n', encoding="utf-8")
    code, _, stderr = textml("annotate", "suggest", pool, "--model", small_model, "--size", "1", "--out",
                             tmp_path / "x.csv", "--engine", "spark")
    assert _one_line(code, stderr) and "reads Parquet, CSV or TSV" in stderr
