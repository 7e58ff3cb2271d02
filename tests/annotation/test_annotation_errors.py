"""What goes wrong against a real server: one clear line each, non-zero exit, nothing written,
and the API key nowhere in the output."""

from __future__ import annotations

import pytest

from tests.annotation.conftest import bundled_rows, project_id, project_tasks, write_eyeball, write_plain
from textml.annotation import labelling_config

pytestmark = pytest.mark.labelstudio

RUN_ID = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"


def _one_line_error(result, *expected):
    """Exit 2 and one error line (after any progress messages), naming what went wrong."""
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert lines and lines[-1].startswith("error: "), result.stderr
    assert not any(line.startswith(("error", "Traceback", "  File")) for line in lines[:-1]), result.stderr
    for text in expected:
        assert text in lines[-1], result.stderr


@pytest.fixture(scope="module")
def small_project(label_studio, tmp_path_factory):
    """A project with a few pushed rows (for pulls that should fail)."""
    from tests.annotation.conftest import run_annotate

    folder = tmp_path_factory.mktemp("small")
    path = write_plain(folder / "rows.csv", bundled_rows(5, offset=3000))
    result = run_annotate("push", path, "--project", "error cases", "--quiet", url=label_studio["url"],
                          api_key=label_studio["token"])
    assert result.returncode == 0, result.stderr
    return path


def test_wrong_token_is_one_line_without_the_token_and_writes_nothing(cli, small_project, tmp_path):
    wrong = "f" * 40
    out = tmp_path / "curated.csv"
    pull = cli("pull", "--project", "error cases", "--out", out, "--merge-into", small_project, api_key=wrong)
    _one_line_error(pull, "refused the API key", "401", "LABEL_STUDIO_API_KEY")
    assert wrong not in pull.stderr + pull.stdout
    assert not out.exists() and not (tmp_path / "rows.merged.csv").exists()
    push = cli("push", small_project, "--project", "error cases", "--api-key", wrong)
    _one_line_error(push, "refused the API key")
    assert wrong not in push.stderr + push.stdout


def test_expired_or_forged_personal_access_token_is_refused_in_one_line(cli, small_project, tmp_path):
    forged = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCIsImV4cCI6OTk5OTk5OTk5OSwidXNl"
              "cl9pZCI6MX0.c2lnbmF0dXJlLXRoYXQtZG9lcy1ub3QtbWF0Y2g")
    pull = cli("pull", "--project", "error cases", "--out", tmp_path / "x.csv", api_key=forged)
    _one_line_error(pull, "refused the API key")
    assert forged not in pull.stderr and "eyJ" not in pull.stderr


def test_personal_access_token_works_like_a_legacy_token(cli, admin, small_project, tmp_path):
    pat = admin.tokens.create().token
    assert pat.startswith("eyJ")
    pull = cli("pull", "--project", "error cases", "--out", tmp_path / "x.csv", api_key=pat)
    assert pull.returncode == 0, pull.stderr
    push = cli("push", small_project, "--project", "error cases", api_key=pat)
    assert push.returncode == 0 and "5 already in the project" in push.stdout
    assert pat not in pull.stdout + pull.stderr + push.stdout + push.stderr


def test_stopped_server_is_one_line(lss, label_studio, small_project, tmp_path):
    from tests.annotation.conftest import run_annotate

    second = lss.start_server(state_file=tmp_path / "second.json")
    url = second["url"]
    lss.stop_server(second)
    out = tmp_path / "curated.csv"
    pull = run_annotate("pull", "--project", "error cases", "--out", out, url=url, api_key=second["token"])
    _one_line_error(pull, "cannot reach Label Studio", url, "is the server running")
    assert not out.exists()
    push = run_annotate("push", small_project, "--project", "error cases", url=url, api_key=second["token"])
    _one_line_error(push, "cannot reach Label Studio")


def test_wrong_url_and_unknown_project_are_one_line(cli, label_studio, small_project, tmp_path):
    _one_line_error(cli("pull", "--project", "error cases", "--out", tmp_path / "x.csv",
                        url=label_studio["url"] + "/not-here"), "not found", "--url")
    _one_line_error(cli("pull", "--project", "no such project", "--out", tmp_path / "x.csv"),
                    "no project titled 'no such project'")
    _one_line_error(cli("pull", "--project", "987654", "--out", tmp_path / "x.csv"), "no project 987654")
    _one_line_error(cli("push", small_project, "--project", "987654"), "no project 987654")
    assert not (tmp_path / "x.csv").exists()


def test_existing_project_must_offer_every_label_of_the_file(cli, admin, tmp_path):
    project = admin.projects.create(title="too few labels", label_config=labelling_config(["kitchen", "toys"]))
    eyeball = write_eyeball(tmp_path / "eyeball.csv", bundled_rows(20, offset=3100))
    push = cli("push", eyeball, "--project", "too few labels", "--model-version", RUN_ID)
    _one_line_error(push, "does not offer the label(s)", "'beauty'")
    assert project_tasks(admin, project.id) == []


def test_labels_the_data_does_not_know_stop_the_merge_and_nothing_is_written(cli, admin, annotators, label_studio,
                                                                             small_project, tmp_path):
    from tests.annotation.conftest import client_for

    # a label the project offers but the file to merge into has never seen
    rows = bundled_rows(4, offset=3200)
    source = write_plain(tmp_path / "dev.csv", rows)
    assert cli("push", source, "--project", "new label", "--quiet").returncode == 0
    pid = project_id(admin, "new label")
    config = labelling_config(sorted({r["label"] for r in rows} | {"brand_new"}))
    admin.projects.update(id=pid, label_config=config)
    task = project_tasks(admin, pid)[0]
    client_for(label_studio, annotators[0]["token"]).annotations.create(
        id=task.id, result=[{"from_name": "label", "to_name": "text", "type": "choices",
                             "value": {"choices": ["brand_new"]}}])
    out = tmp_path / "curated.csv"
    pull = cli("pull", "--project", "new label", "--out", out, "--merge-into", source)
    _one_line_error(pull, "'brand_new'", "does not know", "--allow-new-labels")
    assert not out.exists() and not (tmp_path / "dev.merged.csv").exists()
    assert not (tmp_path / "dev.merged.changes.csv").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary leftovers
    allowed = cli("pull", "--project", "new label", "--out", out, "--merge-into", source, "--allow-new-labels")
    assert allowed.returncode == 0, allowed.stderr
    assert "1 label changed" in allowed.stdout


def test_outputs_are_not_overwritten_without_force(cli, small_project, tmp_path):
    out = tmp_path / "curated.csv"
    out.write_text("precious\n")
    _one_line_error(cli("pull", "--project", "error cases", "--out", out), "already exists", "--force")
    assert out.read_text() == "precious\n"
    _one_line_error(cli("pull", "--project", "error cases", "--out", tmp_path / "c2.csv", "--merge-into",
                        small_project, "--merge-out", small_project, "--force"), "original stays untouched")
