"""Run a spec, whichever command it names, and make a logged run again from its ``run.toml``."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from textml.experiments.context import Progress
from textml.experiments.spec import SPEC_FILE, RunSpec

# command -> (module, function): each takes (spec, progress, **outputs, tags=...)
RUNNERS = {
    "train": ("textml.experiments.train", "train"),
    "compare": ("textml.experiments.compare", "compare"),
    "tune": ("textml.experiments.tune", "tune"),
    "diagnose": ("textml.experiments.diagnose", "diagnose"),
    "errors": ("textml.experiments.mistakes", "find_errors"),
    "evaluate": ("textml.experiments.evaluate", "evaluate"),
}


def run_spec(spec: RunSpec, progress: Progress | None = None, tags: dict | None = None, **outputs) -> Any:
    """Run ``spec`` with the library function of its command; ``outputs`` are that function's
    output options (``out``, ``out_dir``, ``force``), which are not part of the spec."""
    module, function = RUNNERS[spec.command]
    return getattr(importlib.import_module(module), function)(spec, progress, tags=tags, **outputs)


@dataclass
class Rerun:
    original_run_id: str
    spec: RunSpec
    result: Any

    @property
    def run_id(self) -> str | None:
        return getattr(self.result, "run_id", None) or getattr(self.result, "parent_run_id", None)


def rerun(run_id: str, tracking_uri: str | None = None, progress: Progress | None = None) -> Rerun:
    """Read ``run.toml`` of MLflow run ``run_id`` and run it again as a new run, tagged
    ``textml.rerun_of``. With the same seed, the dev scores are the same."""
    from textml.tracking import read_run_text

    text = read_run_text(run_id, SPEC_FILE, tracking_uri)
    spec = RunSpec.from_toml(text, f"{SPEC_FILE} of run {run_id}")
    return Rerun(run_id, spec, run_spec(spec, progress, tags={"textml.rerun_of": run_id}))
