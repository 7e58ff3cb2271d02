"""textml: practical text classification on the CPU.

Cheap strong models first (bag-of-words, fastText, gensim embeddings) next to dummy
baselines, one honest primary metric, every run tracked in MLflow.
"""

__version__ = "0.1.0"
