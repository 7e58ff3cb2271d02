"""The command line's shape: one-line errors, --debug, --version, a fast --help."""

import subprocess
import sys

from tests.conftest import run_textml


def test_user_error_is_one_line_on_stderr_with_exit_2(tmp_path):
    result = run_textml("data", "check", tmp_path / "missing.csv")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "file not found" in result.stderr and "Traceback" not in result.stderr


def test_bad_column_error_names_the_option(write):
    result = run_textml("data", "check", write("a.csv", "title,cat\nx,y\n"))
    assert result.returncode == 2
    assert "--text-col" in result.stderr and result.stderr.count("\n") == 1


def test_usage_error_is_one_line_too():
    result = run_textml("data", "split")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Missing argument" in result.stderr


def test_debug_shows_the_traceback(tmp_path):
    result = run_textml("--debug", "data", "check", tmp_path / "missing.csv")
    assert result.returncode != 0 and "Traceback" in result.stderr


def test_version_and_module_entry_point():
    result = run_textml("--version")
    assert result.returncode == 0 and "textml" in result.stdout


def test_help_does_not_import_heavy_libraries():
    code = ("import sys; from textml.cli import cli; "
            "heavy = [m for m in ('pandas', 'sklearn', 'mlflow', 'fasttext', 'gensim', 'spacy', 'matplotlib') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
