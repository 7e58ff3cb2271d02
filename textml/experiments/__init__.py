"""The iteration loop (compare, train, tune, diagnose, errors), built from the lower layers."""
