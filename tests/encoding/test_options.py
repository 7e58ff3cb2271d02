"""Option validation (issue #18 group 7): meaningless or contradictory options of `encode` and
`predict` are refused in one line that says why, before any model or input is read."""

from __future__ import annotations

import pytest

from textml.encoding import encode_file, predict_file
from textml.encoding.jobs import default_jobs


@pytest.fixture
def never_read(tmp_path):
    """Paths that do not exist: a refusal that names an option proves nothing was read first."""
    return tmp_path / "missing.csv", tmp_path / "no-model"


@pytest.mark.parametrize("command", ["encode", "predict"])
@pytest.mark.parametrize("args, message", [
    (["-j", "0"], "--n-jobs must be -1 for all cores, or a whole number from 1 to"),
    (["-j", "-2"], "--n-jobs must be -1 for all cores"),
    (["-j", str(default_jobs() + 1)], f"from 1 to {default_jobs()}"),
    (["--resume", "--force"], "--resume and --force contradict each other"),
    (["--master", "local[2]"], "--master local[2] applies to --engine spark only"),
    (["--engine", "spark", "-j", "2"], "--n-jobs applies to the local engine"),
    (["--engine", "spark", "--resume"], "--resume applies to the local engine"),
    (["--engine", "spark", "--master", "bogus"], "--master 'bogus' is not a Spark master URL"),
])
def test_meaningless_options_are_refused_before_any_work(tmp_path, textml, never_read, command, args, message):
    data, model = never_read
    if command == "encode":
        line = ["encode", data, "--encoder", f"model:{model}", "--out", tmp_path / "v.npy"]
    else:
        line = ["predict", model, data, "--out", tmp_path / "p.csv"]
    code, out, err = textml(*line, *args, "-q")
    assert code == 2
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
    assert "not found" not in err  # refused before the model or the input was looked at
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_the_library_refuses_the_same_options(tmp_path, never_read):
    from textml.exceptions import ConfigError

    data, model = never_read
    with pytest.raises(ConfigError, match="--n-jobs must be -1"):
        encode_file(data, "hashing", tmp_path / "v.npz", n_jobs=0, progress=False)
    with pytest.raises(ConfigError, match="--n-jobs must be -1"):
        predict_file(model, data, tmp_path / "p.csv", n_jobs=True, progress=False)
    with pytest.raises(ConfigError, match="--chunk-size must be a whole number"):
        encode_file(data, "hashing", tmp_path / "v.npz", chunk_size=0, progress=False)


def test_minus_one_means_every_core(tmp_path, inputs):
    result = encode_file(inputs["csv"], "hashing:64", tmp_path / "v.npz", n_jobs=-1, chunk_size=1000, progress=False)
    assert result.workers == default_jobs() and result.rows == 3000
