"""The README's promises: exactly two set-up commands, and CI runs the test one."""

import re

from tests.conftest import REPO


def _first_block_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", text, re.S).group(1)
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


def test_readme_first_screen_has_two_setup_commands():
    commands = _first_block_commands()
    assert len(commands) == 2
    assert all(c.startswith("python3 -m venv .venv") for c in commands)
    assert "textml demo" in commands[0]


def test_ci_runs_exactly_the_readme_test_command():
    test_command = _first_block_commands()[1]
    assert "pytest" in test_command
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci.splitlines()
