"""Evaluation: task type and primary-metric choice, scores, cost (latency, size), plots."""
