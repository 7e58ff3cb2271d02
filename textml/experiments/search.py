"""A scikit-learn search that stops starting trials at a deadline (compare's budgeted tuning)."""

from __future__ import annotations

import time
from numbers import Real

import numpy as np
from sklearn.model_selection._search import BaseSearchCV


class DeadlineSearchCV(BaseSearchCV):
    """Search over an explicit candidate list, ``n_jobs`` candidates at a time, starting no
    batch after ``deadline`` (a ``time.monotonic()`` value)."""

    _parameter_constraints: dict = {**BaseSearchCV._parameter_constraints, "candidates": [list],
                                    "deadline": [Real]}

    def __init__(self, estimator, candidates, deadline, *, scoring=None, n_jobs=None, refit=False, cv=None,
                 verbose=0, pre_dispatch="2*n_jobs", error_score=np.nan, return_train_score=False):
        super().__init__(estimator, scoring=scoring, n_jobs=n_jobs, refit=refit, cv=cv, verbose=verbose,
                         pre_dispatch=pre_dispatch, error_score=error_score, return_train_score=return_train_score)
        self.candidates = candidates
        self.deadline = deadline

    def _run_search(self, evaluate_candidates):
        batch = max(1, self.n_jobs or 1)
        for start in range(0, len(self.candidates), batch):
            if time.monotonic() >= self.deadline:
                break
            evaluate_candidates(self.candidates[start:start + batch])
