"""Install what you need: the extras, the declared dependencies and their bounds, the one-line hints.

A core install lacks label-studio-sdk, spaCy and pyspark; these tests hide them from a
subprocess (``sys.modules[name] = None`` makes ``import name`` fail as if it were not
installed) and check the command says which extra to install.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import REPO, run_textml
from textml.exceptions import ConfigError
from textml.extras import EXTRAS, check, install_hint, installed, require, status

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
CONSTRAINTS = REPO / ".ci" / "lowest-constraints.txt"


def _requirements(group: str | None = None) -> list[Requirement]:
    specs = PYPROJECT["dependencies"] if group is None else PYPROJECT["optional-dependencies"][group]
    return [Requirement(spec) for spec in specs]


def _lower_bound(requirement: Requirement) -> str | None:
    return next((s.version for s in requirement.specifier if s.operator == ">="), None)


def _hide(*modules: str) -> str:
    """Python source that makes ``modules`` look uninstalled for the rest of the process."""
    return "import sys\n" + "".join(f"sys.modules[{m!r}] = None\n" for m in modules)


# ---------------------------------------------------------------------------- declarations


def test_extras_declare_what_textml_extras_knows():
    extras = PYPROJECT["optional-dependencies"]
    assert set(EXTRAS) | {"all", "test", "ci"} == set(extras)
    assert extras["all"] == [f"textml[{','.join(sorted(EXTRAS))}]"]
    core = {canonicalize_name(r.name) for r in _requirements()}
    heavy = {"label-studio-sdk", "spacy", "spacy-lookups-data", "pyspark"}
    assert not core & heavy, "a core install must not pull the optional heavyweights"
    for extra, modules in EXTRAS.items():
        declared = {canonicalize_name(r.name) for r in _requirements(extra)}
        for module in modules:
            providers = {canonicalize_name(d) for d in packages_distributions().get(module, [])}
            assert providers & declared, f"{module} (extra {extra}) comes from {providers}, not in {declared}"


def _imported_top_level_modules() -> dict[str, set[str]]:
    """Third-party top-level module -> the textml files that import it."""
    found: dict[str, set[str]] = {}
    for path in (REPO / "textml").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.partition(".")[0]
                if top != "textml" and top not in sys.stdlib_module_names:
                    found.setdefault(top, set()).add(str(path.relative_to(REPO)))
    return found


def test_every_imported_package_is_declared():
    declared = {canonicalize_name(r.name) for r in _requirements()}
    for extra in EXTRAS:
        declared |= {canonicalize_name(r.name) for r in _requirements(extra)}
    distributions = packages_distributions()
    undeclared = {}
    for module, files in sorted(_imported_top_level_modules().items()):
        providers = {canonicalize_name(d) for d in distributions.get(module, [])}
        if module == "fasttext_pybind":  # fastText's compiled half, same distribution
            providers = {canonicalize_name(d) for d in distributions.get("fasttext", [])}
        if not providers & declared:
            undeclared[module] = (sorted(providers), sorted(files))
    assert undeclared == {}, f"imported but not declared in pyproject.toml: {undeclared}"


def test_every_dependency_has_a_lower_bound_and_internals_an_upper_one():
    for requirement in _requirements() + [r for e in EXTRAS for r in _requirements(e)]:
        assert _lower_bound(requirement), f"{requirement} has no lower bound"
    upper = {canonicalize_name(r.name) for r in _requirements() if any(s.operator == "<" for s in r.specifier)}
    assert {"mlflow", "skops"} <= upper  # textml uses their internals / file format
    assert PYPROJECT["requires-python"] == ">=3.11"


def test_the_lowest_constraints_pin_exactly_the_declared_lower_bounds():
    pins = {}
    for line in CONSTRAINTS.read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version
    expected = {}
    for requirement in _requirements() + [r for e in EXTRAS for r in _requirements(e)]:
        expected[canonicalize_name(requirement.name)] = _lower_bound(requirement)
    for requirement in _requirements("test"):
        expected.setdefault(canonicalize_name(requirement.name), _lower_bound(requirement))
    assert pins == expected


def test_license_and_metadata_are_pep_639():
    assert PYPROJECT["license"] == "MIT" and PYPROJECT["license-files"] == ["LICENSE"]
    assert "MIT License" in (REPO / "LICENSE").read_text(encoding="utf-8")
    assert "version" in PYPROJECT["dynamic"] and "version" not in PYPROJECT
    assert (REPO / "textml" / "py.typed").exists()
    assert (REPO / "CHANGELOG.md").read_text(encoding="utf-8").startswith("# Changelog")


# ------------------------------------------------------------------------------- the hints


def test_require_names_the_extra_when_the_module_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "label_studio_sdk", None)
    with pytest.raises(ConfigError) as caught:
        require("labelstudio", "textml annotate")
    assert str(caught.value) == ("textml annotate needs the labelstudio extra: "
                                 "pip install 'textml[labelstudio]'")
    assert not installed("labelstudio") and status()["labelstudio"] is False
    with pytest.raises(ConfigError, match=r"textml\[labelstudio\]"):
        check("labelstudio", "textml.push")
    assert install_hint("spark") == "pip install 'textml[spark]'"
    with pytest.raises(ValueError, match="unknown extra"):
        require("nope", "x")


def test_require_keeps_other_import_errors(monkeypatch, tmp_path):
    (tmp_path / "textml_fake_extra.py").write_text("import textml_fake_dependency_of_the_extra\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(EXTRAS, "fake", ("textml_fake_extra",))
    with pytest.raises(ModuleNotFoundError, match="textml_fake_dependency_of_the_extra"):
        require("fake", "a feature")


def test_annotate_push_on_a_core_install_names_the_extra(write):
    eyeball = write("eyeball.csv", "id,text,label\n1,usb charger,electronics\n")
    code = _hide("label_studio_sdk") + "from textml.cli import main\nmain(sys.argv[1:])"
    result = subprocess.run([sys.executable, "-c", code, "annotate", "push", str(eyeball), "--project", "p"],
                            capture_output=True, text=True, timeout=300,
                            env={k: v for k, v in __import__("os").environ.items() if not k.startswith("LABEL_STUDIO")})
    assert result.returncode == 2, result.stderr
    assert result.stderr == ("error: textml annotate needs the labelstudio extra: "
                             "pip install 'textml[labelstudio]'\n")


def test_spacy_option_on_a_core_install_names_the_extra():
    code = _hide("spacy") + (
        "from textml.models.registry import make_model\n"
        "from textml.exceptions import ConfigError\n"
        "model = make_model('bow-nb', spacy_lang='en')\n"
        "try:\n    model.fit(['a red kettle', 'a blue phone', 'a steel pan', 'a usb cable'], list('abab'))\n"
        "except ConfigError as exc:\n    print(exc)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ("spacy_lang='en' (spaCy lemmas and stop words) needs the spacy extra: "
                                     "pip install 'textml[spacy]'")


def test_the_core_commands_do_not_need_an_extra(tmp_path):
    """data check and pipelines list with every optional package hidden."""
    code = _hide("label_studio_sdk", "spacy", "pyspark", "httpx") + "from textml.cli import main\nmain(sys.argv[1:])"
    for args in (["pipelines", "list"], ["data", "check", str(REPO / "textml" / "data" / "bundled" / "products_binary.csv")]):
        result = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300,
                                cwd=tmp_path)
        assert result.returncode == 0, result.stderr
    assert run_textml("--help").returncode == 0
