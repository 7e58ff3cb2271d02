"""Tracking tests reuse the experiments' small real splits."""

from tests.experiments.conftest import products_split_dir, tracking_uri  # noqa: F401  (fixtures)
