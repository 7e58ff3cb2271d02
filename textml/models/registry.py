"""The model registry: every named pipeline, declared once.

An entry is a factory ``factory(seed=0, **options) -> estimator`` registered with a
decorator, spaCy-style::

    @register_model("bow-svm", description="TF-IDF word 1-2 grams + linear SVM",
                    search_space=lambda: {"clf__C": loguniform(0.01, 10)})
    def bow_svm(seed=0, *, spacy_lang=None):
        ...

An entry serves one or more tasks (``tasks=``; the first is its default). A factory that
serves several kinds of task (single-label and multi-label, say) takes a keyword ``task``,
which :meth:`ModelSpec.make` fills in; so may its search-space function, when the
parameter names differ between tasks (``clf__C`` of a LinearSVC is ``clf__estimator__C``
once it is wrapped one-vs-rest for tags).

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
# The task names of textml.data.dataset.TASKS, spelled out: importing the data layer here
# would cost ~0.25 s on every `import textml.models.registry` (a test keeps them equal).
TASKS = ("binary", "multiclass", "multilabel", "regression")
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
        takes raw texts; with a keyword ``task`` when it serves several kinds of task.
    cost : str
        Short note on fit time and model size, for choosing what to run.
    baseline : bool
        A dummy baseline: fitted beside every comparison, never recommended.
    tasks : tuple of str
        The tasks it serves (of ``binary``, ``multiclass``, ``multilabel``, ``regression``);
        the first is what :meth:`make` builds when no task is given.
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

    def task_for(self, task: str | None = None) -> str:
        """``task``, checked against :attr:`tasks` (None: the first of them).

        Raises
        ------
        ConfigError
            For an unknown task name, or one this pipeline does not serve (the message
            names the tasks it serves and the pipelines that serve the one asked for).
        """
        if task is None:
            return self.tasks[0]
        if task not in TASKS:
            raise ConfigError(f"unknown task {task!r}; tasks are: {', '.join(TASKS)}")
        if task not in self.tasks:
            others = [spec.name for spec in list_specs() if spec.serves(task)]
            raise ConfigError(
                f"model {self.name!r} serves {', '.join(self.tasks)}, not {task}; pipelines for {task}: "
                f"{', '.join(others) if others else 'none'} (see `textml pipelines list --task {task}`)")
        return task

    @property
    def search_space(self) -> dict[str, Any]:
        """The search space for the first of :attr:`tasks` (see :meth:`search_space_for`)."""
        return self.search_space_for(None)

    def search_space_for(self, task: str | None = None) -> dict[str, Any]:
        """Pipeline parameter name -> list of values or scipy.stats distribution, for ``task``.

        Usable as ``param_distributions`` of ``RandomizedSearchCV`` on ``self.make(task=task)``.
        Built on each call (a fresh dict; distributions are created lazily so the registry
        stays cheap to import).
        """
        space = self.search_space_factory
        if not callable(space):
            return dict(space)
        if _takes_task(space):
            return dict(space(task=self.task_for(task)))
        self.task_for(task)
        return dict(space())

    @property
    def options(self) -> dict[str, Any]:
        """The factory's user options (besides ``seed`` and ``task``) and their defaults."""
        params = inspect.signature(self.factory).parameters
        return {
            name: p.default
            for name, p in params.items()
            if name not in ("seed", "task") and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
        }

    def make(self, seed: int = 0, task: str | None = None, **options) -> Any:
        """Build a fresh, unfitted estimator.

        Parameters
        ----------
        seed : int, default=0
            Seed for every random step of the pipeline.
        task : str or None, default=None
            The task to build it for (one of :attr:`tasks`); None: the first of them.
            Multi-label estimators take label tuples or a 0/1 indicator matrix and
            predict an indicator matrix; regression estimators predict floats.
        **options
            Factory options (see :attr:`options`).

        Returns
        -------
        estimator : scikit-learn estimator

        Raises
        ------
        ConfigError
            A bad seed, an unknown option, or a task the pipeline does not serve.
        """
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ConfigError(f"seed must be a non-negative integer, got {seed!r}")
        task = self.task_for(task)
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
        if _takes_task(self.factory):
            return self.factory(seed=seed, task=task, **options)
        return self.factory(seed=seed, **options)


def _takes_task(function: Callable[..., Any]) -> bool:
    params = inspect.signature(function).parameters
    return "task" in params and params["task"].kind in (inspect.Parameter.KEYWORD_ONLY,
                                                        inspect.Parameter.POSITIONAL_OR_KEYWORD)


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
        The tasks the pipeline serves, its default first. A factory serving tasks that need
        different estimators (e.g. single- and multi-label) takes a keyword ``task``.
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

    unknown = [task for task in tasks if task not in TASKS]
    if unknown or not tasks:
        raise ConfigError(f"model {name!r}: unknown task {', '.join(map(repr, unknown)) or '(none given)'}; "
                          f"tasks are: {', '.join(TASKS)}")

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
        close = _closest(str(name), names)
        hint = f" Did you mean {close!r}?" if close else ""
        raise ConfigError(
            f"unknown model {name!r}.{hint} Known models: {', '.join(names)}"
        ) from None


def _closest(name: str, names: list[str]) -> str | None:
    """The most similar of ``names`` (as difflib's close matches, cutoff 0.6), the first
    registered on a tie: ``bow-svn`` is one letter from ``bow-svm`` and from ``bow-svr``."""
    ratio = {other: difflib.SequenceMatcher(None, name, other).ratio() for other in names}
    best = max(names, key=ratio.__getitem__, default=None)
    return best if best is not None and ratio[best] >= 0.6 else None


def make_model(name: str, seed: int = 0, task: str | None = None, **options) -> Any:
    """Build the unfitted estimator registered as ``name``.

    Parameters
    ----------
    name : str
        Registry name (see :func:`model_names`).
    seed : int, default=0
        Seed for every random step.
    task : str or None, default=None
        ``binary``, ``multiclass``, ``multilabel`` or ``regression`` (one the pipeline
        serves); None: the pipeline's first task.
    **options
        Factory options, e.g. ``spacy_lang="en"`` for the bag-of-words models.

    Returns
    -------
    estimator : scikit-learn estimator taking raw texts
    """
    return get_spec(name).make(seed=seed, task=task, **options)


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
