"""The experiment commands registered on the top-level group."""

from textml.cli.compare import compare
from textml.cli.demo import demo
from textml.cli.diagnose import diagnose
from textml.cli.errors import errors
from textml.cli.pipelines import pipelines
from textml.cli.train import train
from textml.cli.tune import tune

COMMANDS = [compare, demo, diagnose, errors, pipelines, train, tune]
