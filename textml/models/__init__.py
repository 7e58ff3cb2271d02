"""scikit-learn-compatible models for texts and the registry of named pipelines.

- :mod:`textml.models.registry` - ``make_model(name, task=...)``, ``get_spec``, ``list_specs``, ``model_names``
- :mod:`textml.models.pipelines` - the built-in entries (dummies, bag-of-words, fastText, embeddings,
  spaCy textcat; for single labels, tags and numbers)
- :mod:`textml.models.multilabel` - ``MultiLabelPipeline`` (tags, thresholds from training rows),
  ``LabelFrequencyClassifier`` (the tag baselines)
- :mod:`textml.models.calibration` - ``CalibratedPipeline`` (probabilities for the SVMs)
- :mod:`textml.models.fasttext` - ``FastTextClassifier``, ``FastTextSentenceVectorizer``
- :mod:`textml.models.embeddings` - ``Word2VecVectorizer``, ``FastTextVectorizer``, ``PretrainedVectorizer``
- :mod:`textml.models.textcat` - ``SpacyTextClassifier``

Nothing is imported here, so ``import textml.models.registry`` stays instant.
"""
