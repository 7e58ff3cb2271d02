"""Optional features and the extras that install them.

A core install (``pip install textml``) does data, compare, train, tune, diagnose, errors,
evaluate, predict, encode and models. Three features need more, each behind an extra:

- ``labelstudio``: ``textml annotate push|pull`` and ``textml.push``/``textml.pull``
  (label-studio-sdk, httpx);
- ``spacy``: spaCy lemmas and stop words, ``make_model(..., spacy_lang="de")`` (spacy,
  spacy-lookups-data);
- ``spark``: ``--engine spark`` for ``textml encode`` and ``textml predict`` (pyspark);
- ``all``: all three.

Code that needs one imports it through :func:`require`, which fails with one line naming
the extra to install instead of a bare ``ModuleNotFoundError``::

    sdk = require("labelstudio", "textml annotate", "label_studio_sdk")

Nothing here imports an optional package until asked, so importing this module is free.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from textml.exceptions import ConfigError

# extra -> the modules it provides (the first is what `require` imports by default)
EXTRAS: dict[str, tuple[str, ...]] = {
    "labelstudio": ("label_studio_sdk", "httpx"),
    "spacy": ("spacy", "spacy_lookups_data"),
    "spark": ("pyspark",),
}


def install_hint(extra: str) -> str:
    """The command that installs ``extra``: ``pip install 'textml[extra]'``."""
    return f"pip install 'textml[{extra}]'"


def missing_extra(extra: str, feature: str) -> ConfigError:
    """The one-line error for ``feature`` used without ``extra`` installed."""
    return ConfigError(f"{feature} needs the {extra} extra: {install_hint(extra)}")


def is_installed(module: str) -> bool:
    """Whether ``module`` can be imported (found on the path), without importing it."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package is missing, or a broken __spec__
        return False


def installed(extra: str) -> bool:
    """Whether every module of ``extra`` is installed."""
    return all(is_installed(module) for module in _modules(extra))


def require(extra: str, feature: str, module: str | None = None) -> ModuleType:
    """Import ``module`` (default: the extra's main module) or raise :func:`missing_extra`.

    Only a missing module (or one of the extra's own modules) becomes the extra hint; an
    installed package that fails to import for another reason keeps its own error.
    """
    modules = _modules(extra)
    module = module or modules[0]
    ours = {name.partition(".")[0] for name in (module, *modules)}
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is None or exc.name.partition(".")[0] in ours:
            raise missing_extra(extra, feature) from None
        raise


def check(extra: str, feature: str) -> None:
    """Fail now, with the extra hint, unless every module of ``extra`` is installed (imports nothing)."""
    if not installed(extra):
        raise missing_extra(extra, feature)


def status() -> dict[str, bool]:
    """Extra name -> whether it is installed (``python -m textml.extras`` prints it)."""
    return {extra: installed(extra) for extra in EXTRAS}


def _modules(extra: str) -> tuple[str, ...]:
    try:
        return EXTRAS[extra]
    except KeyError:
        raise ValueError(f"unknown extra {extra!r}; known: {', '.join(EXTRAS)}") from None


if __name__ == "__main__":
    for name, ok in status().items():
        print(f"{name:<12} {'installed' if ok else 'missing: ' + install_hint(name)}")
