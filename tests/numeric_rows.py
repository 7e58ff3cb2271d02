"""Test adapter that lets scikit-learn's estimator checks drive textml's text estimators."""

from __future__ import annotations

import numpy as np


class NumericRows:
    """Test adapter: each numeric row becomes a text ("x0_3 x1_-2 ..."), one token per
    feature with its value binned to 0.5. Like sklearn, it refuses a row length other
    than the one seen at fit, so checks that also probe that still test the rest."""

    def _texts(self, X, fitting=False):
        X = np.asarray(X)
        if X.ndim != 2:
            raise ValueError(f"Expected 2D array, got {X.ndim}D array instead")
        if fitting:
            self._n_columns = X.shape[1]
        elif getattr(self, "_n_columns", X.shape[1]) != X.shape[1]:
            raise ValueError(f"X has {X.shape[1]} features, but is expecting {self._n_columns} features")
        return [" ".join(f"x{j}_{int(np.floor(float(v) * 2))}" for j, v in enumerate(row)) for row in X]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = True
        tags.input_tags.one_d_array = False
        return tags
