"""The commands registered on the top-level group, one module per noun."""

from textml.cli.annotate import annotate
from textml.cli.compare import compare
from textml.cli.demo import demo
from textml.cli.diagnose import diagnose
from textml.cli.encode import encode
from textml.cli.evaluate import evaluate
from textml.cli.mistakes import errors
from textml.cli.models import models
from textml.cli.pipelines import pipelines
from textml.cli.predict import predict
from textml.cli.rerun import rerun
from textml.cli.train import train
from textml.cli.tune import tune

COMMANDS = [annotate, compare, demo, diagnose, encode, errors, evaluate, models, pipelines, predict, rerun, train, tune]
