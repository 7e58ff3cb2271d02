"""Label Studio round trips: push rows (with the model's predictions) for annotation, pull the
curated labels back as a labelled file, and merge corrections into a training or dev file;
pick which unlabelled texts to label next, run a whole retraining round, and serve a model
as Label Studio's ML backend.

Talks to a real Label Studio server through label-studio-sdk 2.x (imported lazily). The
round trip modules (client, config, keys, push, pull, merge, votes) know nothing of models
or MLflow: the MLflow run id of the model is passed in as the predictions' ``model_version``.
Three modules sit above them and use the model layers: ``suggest`` (selection.py's strategies
on a streamed pool, scored with ``class_probabilities``), ``backend`` (the ML backend server)
and ``round`` (pull -> merge -> retrain the champion's run spec -> paired bootstrap -> alias).

    from textml.annotation import push_file, pull_project
    push_file("eyeball.csv", "products review", model_version=run_id)
    report = pull_project("products review", "curated.csv", merge_into="split/train.csv")

    from textml.annotation.suggest import suggest, push_selection
    suggest("pool.csv", "models:/products@champion", 200, "diverse", "next.csv", exclude=["split/train.csv"])
    from textml.annotation.round import run_round
    report = run_round("products review", "products")   # report.decision, report.reason
"""

from textml.annotation.client import Connection, connect
from textml.annotation.config import LabelSchema, labelling_config, parse_config
from textml.annotation.merge import MergeReport, default_merge_paths
from textml.annotation.pull import PULL_FIELDS, PullReport, pull_project
from textml.annotation.push import PushReport, build_task, push_file
from textml.annotation.votes import agreement_summary, krippendorff_alpha, resolve

__all__ = [
    "PULL_FIELDS",
    "Connection",
    "LabelSchema",
    "MergeReport",
    "PullReport",
    "PushReport",
    "agreement_summary",
    "build_task",
    "connect",
    "default_merge_paths",
    "krippendorff_alpha",
    "labelling_config",
    "parse_config",
    "pull_project",
    "push_file",
    "resolve",
]
