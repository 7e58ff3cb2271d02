"""scikit-learn-compatible models for texts and the registry of named pipelines.

- :mod:`textml.models.registry` - ``make_model(name)``, ``get_spec``, ``list_specs``, ``model_names``
- :mod:`textml.models.pipelines` - the built-in entries (dummies, bag-of-words, fastText, embeddings)
- :mod:`textml.models.fasttext` - ``FastTextClassifier``
- :mod:`textml.models.embeddings` - ``Word2VecVectorizer``, ``FastTextVectorizer``, ``PretrainedVectorizer``

Nothing is imported here, so ``import textml.models.registry`` stays instant.
"""
