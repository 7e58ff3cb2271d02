"""The run spec: one frozen, serialisable description of a run, enough to make it again.

A spec says where the data is and how to read it, the task, the pipeline (registry name,
factory options, hyperparameter overrides), the metric, the seed, where runs are tracked,
and the command's own settings. The CLI builds one from its flags or from a TOML file
(``--config run.toml``) with spaCy-style dotted overrides (``--set model.params.clf__C=0.5``);
every MLflow run logs the spec it ran as ``run.toml``, and ``textml rerun RUN_ID`` reads that
file back and runs it again::

    command = "train"
    seed = 0

    [data]
    split = "/abs/path/split"
    text_col = "text"
    label_col = "label"

    [model]
    name = "bow-svm"

    [model.params]
    clf__C = 0.5
    tfidf__ngram_range = [1, 3]

    [tracking]
    uri = "sqlite:////abs/path/mlflow.db"

TOML has no null: a missing key means "not set" (the default), and a hyperparameter set to
``None`` is written as the string ``"None"``. TOML arrays come back as lists; a list is
turned back into a tuple where the estimator's own default is a tuple (``ngram_range``).
"""

from __future__ import annotations

import ast
import dataclasses
import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textml.data.dataset import TASKS  # binary, multiclass, multilabel, regression
from textml.exceptions import ConfigError

COMMANDS = ("train", "compare", "tune", "diagnose", "errors", "evaluate")
SPEC_FILE = "run.toml"
NONE = "None"  # how a hyperparameter set to None is written in TOML (which has no null)


@dataclass(frozen=True)
class DataSpec:
    """Where the split is and how to read its files."""

    split: str | None = None  # a split folder
    train: str | None = None  # explicit files (override the folder's)
    dev: str | None = None
    test: str | None = None
    text_col: str = "text"
    label_col: str = "label"
    id_col: str | None = None
    format: str | None = None
    encoding: str = "utf-8"
    label_sep: str | None = None  # CSV/TSV multi-label cells: "a|b" with label_sep "|"

    def load(self):
        """The :class:`~textml.data.split.Split` this describes (files are read lazily)."""
        from textml.data.formats import Columns
        from textml.data.split import load_split

        if self.text_col == self.label_col:
            raise ConfigError(f"--text-col and --label-col are both {self.text_col!r}: the label cannot be the text "
                              f"(see the file's columns with `textml data check FILE`)")
        if self.id_col is not None and self.id_col in (self.text_col, self.label_col):
            raise ConfigError(f"--id-col {self.id_col!r} is also the text or label column; give the column of row ids")
        if self.split is None and not (self.train and self.dev):
            raise ConfigError("no data given: pass a SPLIT_DIR, or both --train and --dev files "
                              "(in a config: data.split, or data.train and data.dev)")
        return load_split(self.split, train=self.train, dev=self.dev, test=self.test,
                          columns=Columns(text=self.text_col, label=self.label_col, id=self.id_col,
                                          **({"label_sep": self.label_sep} if self.label_sep else {})),
                          fmt=self.format, encoding=self.encoding)

    def resolved(self) -> DataSpec:
        """The same data with absolute paths, so the spec means the same from any folder."""
        absolute = {name: str(Path(value).expanduser().resolve())
                    for name in ("split", "train", "dev", "test") if (value := getattr(self, name))}
        return dataclasses.replace(self, **absolute)


@dataclass(frozen=True)
class PipelineSpec:
    """A registry pipeline: its name, factory options and hyperparameter overrides."""

    name: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)  # e.g. spacy_lang="de"
    params: Mapping[str, Any] = field(default_factory=dict)  # set_params names, e.g. clf__C


@dataclass(frozen=True)
class TrackingSpec:
    """Where runs go: an MLflow tracking URI and experiment (None: the defaults)."""

    uri: str | None = None
    experiment: str | None = None


@dataclass(frozen=True)
class RunSpec:
    """Everything that defines a run. ``settings`` holds the command's own options."""

    command: str
    data: DataSpec = field(default_factory=DataSpec)
    model: PipelineSpec = field(default_factory=PipelineSpec)
    task: str | None = None
    metric: str | None = None
    seed: int = 0
    tracking: TrackingSpec = field(default_factory=TrackingSpec)
    settings: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.command not in COMMANDS:
            raise ConfigError(f"unknown command {self.command!r} in the run spec; expected one of {', '.join(COMMANDS)}")
        if self.task is not None and self.task not in TASKS:
            raise ConfigError(f"unknown task {self.task!r}; expected one of {', '.join(TASKS)}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ConfigError(f"seed must be a non-negative whole number, got {self.seed!r}")

    def replace(self, **changes) -> RunSpec:
        return dataclasses.replace(self, **changes)

    @classmethod
    def create(cls, command: str, split: str | os.PathLike | None = None, *, train=None, dev=None, test=None,
               text_col: str = "text", label_col: str = "label", id_col: str | None = None,
               format: str | None = None, encoding: str = "utf-8", label_sep: str | None = None,
               model: str | None = None,
               params: Mapping[str, Any] | None = None, options: Mapping[str, Any] | None = None,
               task: str | None = None, metric: str | None = None, seed: int = 0,
               tracking_uri: str | None = None, experiment: str | None = None, **settings) -> RunSpec:
        """A spec from plain arguments named like the command-line flags (the Python API)::

            RunSpec.create("train", "split", model="bow-svm", params={"clf__C": 0.5})
            RunSpec.create("compare", "split", models=["bow-svm", "fasttext"], tolerance=2)
        """
        path = lambda value: None if value is None else str(value)  # noqa: E731
        data = DataSpec(path(split), path(train), path(dev), path(test), text_col, label_col, id_col,
                        format, encoding, label_sep).resolved()
        return cls(command, data, PipelineSpec(model, dict(options or {}), dict(params or {})), task, metric,
                   seed, TrackingSpec(tracking_uri, experiment), {k: v for k, v in settings.items() if v is not None})

    # ------------------------------------------------------------------ serialising

    def to_dict(self) -> dict:
        """Plain data: nested dicts, unset (None) values left out (but a hyperparameter or
        option set to None is kept: that is a value, not "unset")."""
        data = _prune(dataclasses.asdict(self))
        data["model"]["options"] = {k: _plain(v) for k, v in self.model.options.items()}
        data["model"]["params"] = {k: _plain(v) for k, v in self.model.params.items()}
        return data

    def to_toml(self) -> str:
        import tomli_w

        return tomli_w.dumps(_tomlable(self.to_dict()))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "the run spec") -> RunSpec:
        data = dict(data)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"{source}: unknown key {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        if "command" not in data:
            raise ConfigError(f"{source}: no command (e.g. command = \"train\")")
        parts = {"data": DataSpec, "model": PipelineSpec, "tracking": TrackingSpec}
        for name, kind in parts.items():
            value = data.get(name, {})
            if not isinstance(value, Mapping):
                raise ConfigError(f"{source}: [{name}] must be a table")
            fields = {f.name for f in dataclasses.fields(kind)}
            bad = sorted(set(value) - fields)
            if bad:
                raise ConfigError(f"{source}: unknown key {name}.{bad[0]}; known: "
                                  f"{', '.join(f'{name}.{f}' for f in sorted(fields))}")
            value = dict(value)
            if name == "model":
                value = {k: (_from_toml_values(v) if k in ("options", "params") else v) for k, v in value.items()}
            data[name] = kind(**value)
        data["settings"] = dict(data.get("settings", {}))
        try:
            return cls(**data)
        except TypeError as exc:
            raise ConfigError(f"{source}: {exc}") from None

    @classmethod
    def from_toml(cls, text: str, source: str = "the run spec") -> RunSpec:
        import tomllib

        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{source} is not valid TOML ({exc}); fix it or print a valid one with --print-config") from None
        return cls.from_dict(data, source)

    @classmethod
    def read(cls, path: str | os.PathLike) -> RunSpec:
        from textml.data.textfiles import check_exists
        from textml.exceptions import DataError

        path = Path(path)
        if not path.exists():
            raise ConfigError(f"config file not found: {path}; write one with `textml <command> ... --print-config > {path.name}`")
        try:
            check_exists(path)  # a folder, a named pipe or a device: refused without opening it
        except DataError as exc:
            raise ConfigError(f"config {exc}".replace("data file", "TOML file")) from None
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read config {path} ({type(exc).__name__}); it must be a UTF-8 TOML file") from None
        return cls.from_toml(text, str(path))

    def with_overrides(self, assignments: list[str]) -> RunSpec:
        """Apply ``--set section.key=value`` overrides (values typed as on the command line)."""
        data = self.to_dict()
        for assignment in assignments:
            key, sep, raw = assignment.partition("=")
            key = key.strip()
            if not sep or not key:
                raise ConfigError(f"--set {assignment!r} is not KEY=VALUE (e.g. --set model.params.clf__C=0.5)")
            target = data
            *parents, leaf = key.split(".")
            for part in parents:
                node = target.setdefault(part, {})
                if not isinstance(node, dict):
                    raise ConfigError(f"--set {key}: {part} is a value, not a section")
                target = node
            target[leaf] = parse_value(raw)
        return RunSpec.from_dict(data, "--set")


# ------------------------------------------------------------------------------ values


def parse_value(raw: str) -> Any:
    """A command-line value, typed: numbers, booleans, None, tuples (``1,3``), else the string.

    Python literals are read as such (``0.5``, ``(1, 2)``, ``'x'``); ``true``/``false`` and
    ``none``/``null`` in any case too, so TOML-minded users are understood.
    """
    text = raw.strip()
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return raw
    if isinstance(value, (int, float, str, bool, tuple, list, dict)) or value is None:
        return value
    return raw


def format_value(value: Any) -> str:
    """The inverse of :func:`parse_value`, written so that a shell takes it unquoted where it can."""
    if isinstance(value, (tuple, list)):
        inner = ",".join(format_value(v) for v in value)
        return inner + "," if len(value) == 1 else inner
    if isinstance(value, str):
        return value if parse_value(value) == value and "," not in value else repr(value)
    return repr(value) if isinstance(value, float) else str(value)


def format_param(name: str, value: Any) -> str:
    """``--param NAME=VALUE`` ready to paste into a shell."""
    return f"--param {shlex.quote(f'{name}={format_value(value)}')}"


def parse_assignments(pairs: list[str] | tuple[str, ...], flag: str) -> dict:
    """``["clf__C=0.5", "tfidf__ngram_range=1,3"]`` -> typed values, for --param and --option."""
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"{flag} {pair!r} is not NAME=VALUE (e.g. {flag} clf__C=0.5)")
        out[name.strip()] = parse_value(value)
    return out


def coerce_params(params: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict:
    """Lists turned back into tuples where the estimator's default value is a tuple."""
    out = {}
    for name, value in params.items():
        if isinstance(value, list) and isinstance(defaults.get(name), tuple):
            value = tuple(value)
        out[name] = value
    return out


def _prune(value):
    if isinstance(value, Mapping):
        return {k: _prune(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_prune(v) for v in value]
    return value


def _plain(value):
    """numpy scalars and arrays as Python values (the spec is plain data)."""
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "ndim", None) == 0:
        return item()
    return value


def _tomlable(value, in_values: bool = False):
    """Spec data as TOML can hold it: None -> "None" inside options/params, tuples -> arrays."""
    value = _plain(value)
    if isinstance(value, Mapping):
        return {str(k): _tomlable(v, in_values or k in ("options", "params")) for k, v in value.items()
                if v is not None or in_values or k in ("options", "params")}
    if isinstance(value, (list, tuple)):
        return [_tomlable(v, in_values) for v in value]
    if value is None:
        return NONE
    if isinstance(value, (str, int, float, bool)):
        return value
    raise ConfigError(f"cannot write {value!r} ({type(value).__name__}) into a run spec; use numbers, "
                      f"strings, booleans or lists of them")


def _from_toml_values(values):
    if not isinstance(values, Mapping):
        raise ConfigError("model.options and model.params must be tables of NAME = VALUE")
    return {k: (None if v == NONE else v) for k, v in values.items()}
