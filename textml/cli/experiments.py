"""Experiment commands (train, compare, ...): filled in by the model and tracking layers."""

COMMANDS: list = []
