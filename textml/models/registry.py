"""The model registry: every named pipeline, declared once.

An entry is a factory ``factory(seed=0, **options) -> estimator`` registered with a
decorator, spaCy-style::

    @register_model("bow-svm", description="TF-IDF word 1-2 grams + linear SVM",
                    search_space=lambda: {"clf__C": loguniform(0.01, 10)})
    def bow_svm(seed=0, *, spacy_lang=None):
        ...

The built-in entries live in :mod:`textml.models.pipelines` and are loaded on first use,
then those of installed plugin packages (the ``textml.pipelines`` entry point group, see
:func:`_load_plugins`).
This module imports nothing heavy (no scikit-learn, scipy, fastText, gensim or spaCy), so
``import textml.models.registry`` is instant; factories and search spaces import what they
need when called.
"""

from __future__ import annotations

import difflib
import inspect
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from textml.exceptions import ConfigError

_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_REGISTRY: dict[str, ModelSpec] = {}
_BUILTINS_LOADED = False
SINGLE_LABEL_TASKS = ("binary", "multiclass")
STRATEGIES = ("search", "fasttext-autotune")


@dataclass(frozen=True)
class ModelSpec:
    """One registered model.

    Attributes
    ----------
    name : str
        Registry name, e.g. ``"bow-svm"``.
    description : str
        One line saying what the pipeline is.
    factory : callable
        ``factory(seed=0, **options)`` returning an unfitted scikit-learn estimator that
        takes raw texts.
    cost : str
        Short note on fit time and model size, for choosing what to run.
    baseline : bool
        A dummy baseline: fitted beside every comparison, never recommended.
    tasks : tuple of str
        The tasks it serves (``binary``, ``multiclass``; ``multilabel``, ``regression`` next).
    strategies : tuple of str
        The tuning strategies it supports (``search``: scikit-learn random then grid search
        over :attr:`search_space`; ``fasttext-autotune``: fastText's own autotune).
    """

    name: str
    description: str
    factory: Callable[..., Any]
    search_space_factory: Callable[[], Mapping[str, Any]] | Mapping[str, Any] = field(
        default_factory=dict, repr=False
    )
    cost: str = ""
    baseline: bool = False
    tasks: tuple[str, ...] = SINGLE_LABEL_TASKS
    strategies: tuple[str, ...] = ("search",)

    def serves(self, task: str) -> bool:
        return task in self.tasks

    @property
    def search_space(self) -> dict[str, Any]:
        """Pipeline parameter name -> list of values or scipy.stats distribution.

        Usable as ``param_distributions`` of ``RandomizedSearchCV`` on ``self.make()``.
        Built on each access (a fresh dict; distributions are created lazily so the
        registry stays cheap to import).
        """
        space = self.search_space_factory
        return dict(space() if callable(space) else space)

    @property
    def options(self) -> dict[str, Any]:
        """The factory's keyword options (besides ``seed``) and their defaults."""
        params = inspect.signature(self.factory).parameters
        return {
            name: p.default
            for name, p in params.items()
            if name != "seed" and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
        }

    def make(self, seed: int = 0, **options) -> Any:
        """Build a fresh, unfitted estimator.

        Parameters
        ----------
        seed : int, default=0
            Seed for every random step of the pipeline.
        **options
            Factory options (see :attr:`options`).

        Returns
        -------
        estimator : scikit-learn estimator
        """
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ConfigError(f"seed must be a non-negative integer, got {seed!r}")
        known = self.options
        accepts_any = any(
            p.kind is p.VAR_KEYWORD for p in inspect.signature(self.factory).parameters.values()
        )
        unknown = sorted(set(options) - set(known))
        if unknown and not accepts_any:
            listed = ", ".join(known) if known else "none"
            raise ConfigError(
                f"model {self.name!r} has no option {', '.join(map(repr, unknown))}; "
                f"its options are: {listed}. Tune other hyperparameters with "
                f"estimator.set_params(...) using the names in its search space."
            )
        return self.factory(seed=seed, **options)


def register_model(
    name: str,
    *,
    description: str,
    search_space: Callable[[], Mapping[str, Any]] | Mapping[str, Any] | None = None,
    cost: str = "",
    baseline: bool = False,
    tasks: tuple[str, ...] = SINGLE_LABEL_TASKS,
    strategies: tuple[str, ...] | None = None,
):
    """Decorator registering ``factory`` under ``name``.

    Parameters
    ----------
    name : str
        Lowercase words joined by hyphens, e.g. ``"bow-svm"``; unique.
    description : str
        One line.
    search_space : dict or callable returning dict, optional
        Pipeline parameter name -> list of values or scipy.stats distribution. Pass a
        callable to defer importing scipy until the space is used.
    cost : str, optional
        Short note on fit time and model size.
    baseline : bool, default=False
        A dummy baseline (fitted beside every comparison, never recommended).
    tasks : tuple of str, default=("binary", "multiclass")
        The tasks the pipeline serves.
    strategies : tuple of str, optional
        Tuning strategies it supports; default ``("search",)`` when it has a search space,
        else none.

    Returns
    -------
    decorator : callable
        Registers the factory and returns it unchanged.
    """
    if not _NAME.match(name):
        raise ConfigError(f"model name {name!r} must be lowercase words joined by hyphens, e.g. 'bow-svm'")
    if not description or "\n" in description:
        raise ConfigError(f"model {name!r} needs a one-line description")

    if strategies is None:
        strategies = ("search",) if search_space is not None else ()
    unknown = sorted(set(strategies) - set(STRATEGIES))
    if unknown:
        raise ConfigError(f"model {name!r}: unknown tuning strategy {', '.join(unknown)}; "
                          f"known: {', '.join(STRATEGIES)}")

    def decorator(factory: Callable[..., Any]) -> Callable[..., Any]:
        params = inspect.signature(factory).parameters
        if "seed" not in params:
            raise ConfigError(f"the factory of model {name!r} must accept seed=")
        existing = _REGISTRY.get(name)
        if existing is not None and existing.factory.__qualname__ != factory.__qualname__:
            raise ConfigError(f"model {name!r} is already registered (by {existing.factory.__module__})")
        _REGISTRY[name] = ModelSpec(
            name=name,
            description=description,
            factory=factory,
            search_space_factory=search_space if search_space is not None else {},
            cost=cost,
            baseline=baseline,
            tasks=tuple(tasks),
            strategies=tuple(strategies),
        )
        return factory

    return decorator


PLUGIN_GROUP = "textml.pipelines"
_PLUGINS: dict[str, str] = {}  # model name -> "distribution version" of the plugin that registered it
_log = logging.getLogger("textml.plugins")


def _load_builtins() -> None:
    """Register the built-in entries, then every plugin's (once per process)."""
    global _BUILTINS_LOADED
    if not _BUILTINS_LOADED:
        _BUILTINS_LOADED = True
        import textml.models.pipelines  # noqa: F401  (registers the built-in entries)

        _load_plugins()


def _load_plugins() -> None:
    """Load the ``textml.pipelines`` entry points of installed packages.

    A plugin package declares, in its pyproject.toml::

        [project.entry-points."textml.pipelines"]
        my-pipelines = "my_package.pipelines"

    The value names a module (or ``module:function``). Loading it runs the module's
    ``@register_model`` decorators; a function that is not itself a registered factory is
    called once with no arguments, so a plugin can also register from a hook. A plugin that
    fails to load or to register (a missing dependency, a name already taken) is skipped
    with one warning line on stderr: textml and the other plugins keep working.
    """
    from importlib.metadata import entry_points

    try:
        points = sorted(entry_points(group=PLUGIN_GROUP), key=lambda point: point.name)
    except Exception as exc:  # noqa: BLE001 - unreadable package metadata must not break textml
        _log.warning("textml: cannot list pipeline plugins (%s: %s); skipping them", type(exc).__name__, exc)
        return
    for point in points:
        dist = getattr(point, "dist", None)
        source = f"{dist.name} {dist.version}" if dist is not None else point.value
        before = dict(_REGISTRY)
        try:
            loaded = point.load()
            factories = {spec.factory for spec in _REGISTRY.values()}
            if callable(loaded) and not inspect.isclass(loaded) and loaded not in factories:
                loaded()
            replaced = sorted(name for name, spec in before.items() if _REGISTRY[name] is not spec)
            if replaced:
                raise ConfigError(f"it registers {', '.join(map(repr, replaced))}, which "
                                  f"{'is' if len(replaced) == 1 else 'are'} already registered")
        except Exception as exc:  # noqa: BLE001 - one broken plugin must not break textml
            _REGISTRY.clear()  # nothing half-registered stays behind
            _REGISTRY.update(before)
            first = str(exc).splitlines()[0] if str(exc) else ""
            _log.warning("textml: skipping pipeline plugin %r from %s (%s: %s)", point.name, source,
                         type(exc).__name__, first)
            continue
        for name in _REGISTRY:
            if name not in before:
                _PLUGINS[name] = source


def plugin_source(name: str) -> str | None:
    """The plugin package that registered model ``name`` (``None`` for built-ins)."""
    _load_builtins()
    return _PLUGINS.get(name)


def get_spec(name: str) -> ModelSpec:
    """The registered model ``name``.

    Raises
    ------
    ConfigError
        If no model has that name; the message lists the known names.
    """
    _load_builtins()
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        names = list(_REGISTRY)
        close = difflib.get_close_matches(str(name), names, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ConfigError(
            f"unknown model {name!r}.{hint} Known models: {', '.join(names)}"
        ) from None


def make_model(name: str, seed: int = 0, **options) -> Any:
    """Build the unfitted estimator registered as ``name``.

    Parameters
    ----------
    name : str
        Registry name (see :func:`model_names`).
    seed : int, default=0
        Seed for every random step.
    **options
        Factory options, e.g. ``spacy_lang="en"`` for the bag-of-words models.

    Returns
    -------
    estimator : scikit-learn estimator taking raw texts
    """
    return get_spec(name).make(seed=seed, **options)


def list_specs() -> list[ModelSpec]:
    """All registered models, in registration order."""
    _load_builtins()
    return list(_REGISTRY.values())


def model_names(task: str | None = None, baselines: bool = True) -> list[str]:
    """Names of registered models (serving ``task`` when given), in registration order."""
    return [spec.name for spec in list_specs()
            if (task is None or spec.serves(task)) and (baselines or not spec.baseline)]


def baseline_names(task: str | None = None) -> list[str]:
    """The dummy baselines (serving ``task`` when given)."""
    return [spec.name for spec in list_specs() if spec.baseline and (task is None or spec.serves(task))]
