"""The error hierarchy: every user-facing failure is a TextmlError.

Messages say what was wrong, where (file, line, column) and what to do; the CLI prints
them as one line on stderr and exits with status 2.
"""


class TextmlError(Exception):
    """Base class for errors caused by input, configuration or the environment."""


class DataError(TextmlError):
    """A data file is missing, unreadable, malformed or unusable for the task."""


class ConfigError(TextmlError):
    """An option, model name, metric or other setting is invalid."""


class TrainingError(TextmlError):
    """A model could not be trained on the given data."""


class TrackingError(TextmlError):
    """The MLflow store or a run could not be reached or read."""


class AnnotationError(TextmlError):
    """Label Studio could not be reached, refused the credentials, or disagrees with the data."""
