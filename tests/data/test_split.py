"""`data split`: stratified, deterministic, deduplicated, recorded, and never half-written."""

import json
from collections import Counter

import pytest

from tests.conftest import run_textml, shared_corpus
from textml.data import read_dataset
from textml.data.split import load_split, split_file
from textml.exceptions import ConfigError, DataError


def _corpus(write, n_per_class=(60, 30, 10), rare=("unicorn",), dupes=5):
    rows = []
    for c, n in enumerate(n_per_class):
        rows += [(f"item {c} number {i}", f"class{c}") for i in range(n)]
    rows += [("only one of these", name) for name in rare]
    rows += [("item 0 number 0", "class0")] * dupes  # exact repeats
    rows += [("item 1 number 1", "class2")]  # conflicts with class1
    return write("src.csv", "text,label\n" + "".join(f"{t},{l}\n" for t, l in rows))


def _texts(folder, name):
    return read_dataset(next(folder.glob(f"{name}.*"))).texts


def test_manifest_counts_add_up_and_hash_outputs(write, tmp_path):
    src = _corpus(write)
    manifest = split_file(src, tmp_path / "out", dedupe=True)
    total = sum(s["rows"] for s in manifest["splits"].values())
    assert total == manifest["source"]["rows"] - manifest["dedupe"]["duplicates_dropped"]
    for _name, info in manifest["splits"].items():
        assert sum(info["class_counts"].values()) == info["rows"]
        assert len(read_dataset(tmp_path / "out" / info["file"])) == info["rows"]
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["options"]["seed"] == 0
    assert len(manifest["source"]["sha256"]) == 64


def test_dedupe_keeps_every_text_in_one_split_and_reports_conflicts(write, tmp_path):
    manifest = split_file(_corpus(write), tmp_path / "out", dedupe=True)
    seen = Counter()
    for name in ("train", "dev", "test"):
        seen.update(set(_texts(tmp_path / "out", name)))
    assert max(seen.values()) == 1
    assert manifest["dedupe"]["conflicting_texts"] == 1
    assert manifest["texts_in_several_splits"] == 0


def test_stratified_every_class_in_dev_and_test_rare_in_train(write, tmp_path):
    manifest = split_file(_corpus(write), tmp_path / "out", dedupe=True)
    for name in ("dev", "test"):
        assert set(manifest["splits"][name]["class_counts"]) == {"class0", "class1", "class2"}
    assert manifest["rare_classes_in_train_only"] == ["unicorn"]
    assert manifest["splits"]["train"]["class_counts"]["unicorn"] == 1
    dev_share = manifest["splits"]["dev"]["rows"] / sum(s["rows"] for s in manifest["splits"].values())
    assert 0.07 <= dev_share <= 0.14


def test_same_seed_same_split_other_seed_other_split(write, tmp_path):
    src = _corpus(write)
    a = split_file(src, tmp_path / "a", seed=3)
    b = split_file(src, tmp_path / "b", seed=3)
    c = split_file(src, tmp_path / "c", seed=4)
    def hashes(m):
        return [m["splits"][n]["sha256"] for n in ("train", "dev", "test")]
    assert hashes(a) == hashes(b)
    assert hashes(a) != hashes(c)


def test_refuses_to_overwrite_without_force(write, tmp_path):
    src = _corpus(write)
    split_file(src, tmp_path / "out")
    with pytest.raises(ConfigError, match="--force"):
        split_file(src, tmp_path / "out")
    split_file(src, tmp_path / "out", force=True, seed=9)
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["options"]["seed"] == 9


def test_failed_split_leaves_nothing_behind(write, tmp_path):
    src = write("one.csv", "text,label\na,x\nb,x\nc,x\n")
    with pytest.raises(DataError, match="only one class"):
        split_file(src, tmp_path / "out")
    assert list(tmp_path.glob("out*")) == [] and list(tmp_path.glob(".out*")) == []


def test_output_format_follows_input_unless_asked(write, tmp_path):
    src = write("d.jsonl", "".join(json.dumps({"text": f"t{i}", "label": f"c{i % 2}"}) + "\n" for i in range(40)))
    split_file(src, tmp_path / "j")
    split_file(src, tmp_path / "p", out_format="parquet")
    assert (tmp_path / "j" / "train.jsonl").exists()
    assert (tmp_path / "p" / "dev.parquet").exists()


def test_load_split_from_folder_without_manifest(write, tmp_path):
    write("s/train.tsv", "text\tlabel\na\tx\nb\ty\n")
    write("s/valid.tsv", "text\tlabel\nc\tx\n")
    split = load_split(tmp_path / "s")
    assert split.train.texts == ["a", "b"] and split.dev.labels == ["x"]
    assert not split.test_read


def test_load_split_reports_missing_dev(write, tmp_path):
    write("s/train.csv", "text,label\na,x\n")
    with pytest.raises(DataError, match="no dev file"):
        load_split(tmp_path / "s")


def test_test_split_is_read_only_on_request(write, tmp_path):
    split_file(_corpus(write), tmp_path / "out")
    split = load_split(tmp_path / "out")
    assert len(split.train) > 0 and not split.test_read
    split.read_test()
    assert split.test_read


def test_unlabelled_rows_in_train_are_an_error(write, tmp_path):
    write("s/train.csv", "text,label\na,x\nb,\n")
    write("s/dev.csv", "text,label\nc,x\n")
    with pytest.raises(DataError, match="1 train rows have no label"):
        _ = load_split(tmp_path / "s").train


@pytest.mark.parametrize("name", ["sms", "debian", "instacart"])
def test_shared_corpora_split_with_dedupe(name, tmp_path):
    src = shared_corpus(name)
    result = run_textml("data", "split", src, "--out", tmp_path / "out", "--dedupe")
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    texts = {n: set(" ".join(t.split()) for t in _texts(tmp_path / "out", n)) for n in ("train", "dev", "test")}
    assert not (texts["train"] & texts["dev"]) and not (texts["train"] & texts["test"]) and not (texts["dev"] & texts["test"])
    assert sum(s["rows"] for s in manifest["splits"].values()) == (
        manifest["source"]["rows"] - manifest["dedupe"]["duplicates_dropped"]
        - manifest["dropped"]["blank_text"] - manifest["dropped"]["missing_label"])
