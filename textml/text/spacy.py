"""spaCy tokenisation, lookup lemmatisation and stop-word removal as a transformer.

The output is one normalised string per text (tokens joined by single spaces), ready for
``TfidfVectorizer(token_pattern=r"\\S+", lowercase=False)``. No statistical spaCy model
is needed: the pipeline is ``spacy.blank(lang)`` plus the lookup lemmatiser from
spacy-lookups-data. spaCy is imported only when a pipeline is first built.
"""

from __future__ import annotations

import warnings
from functools import lru_cache

from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from textml.exceptions import ConfigError
from textml.text.validation import check_texts


@lru_cache(maxsize=8)
def load_pipeline(lang: str, lemmatize: bool):
    """Build (once per process) a blank spaCy pipeline for ``lang``.

    Parameters
    ----------
    lang : str
        spaCy language code, e.g. ``"en"``, ``"de"``, ``"xx"`` (multi-language).
    lemmatize : bool
        Add the lookup lemmatiser when spacy-lookups-data has tables for ``lang``.

    Returns
    -------
    nlp : spacy.Language
    lemmatizing : bool
        Whether the pipeline lemmatises (False when no lookup tables exist for ``lang``).
    """
    from textml.extras import require

    spacy = require("spacy", f"spacy_lang={lang!r} (spaCy lemmas and stop words)")
    try:
        nlp = spacy.blank(lang)
    except (ImportError, ValueError, KeyError) as exc:
        raise ConfigError(
            f"spaCy cannot build a pipeline for language {lang!r}: {str(exc).splitlines()[0].rstrip('.')}. "
            "Use a language code spaCy supports without extra packages (e.g. 'en', 'de', "
            "'fr', 'es', 'it', 'nl', 'pt', 'xx' for multi-language)."
        ) from None
    if not lemmatize:
        return nlp, False
    try:
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        nlp.initialize()
    except (ValueError, KeyError, ImportError) as exc:
        # E955: spacy-lookups-data has no lemma_lookup table for this language.
        if "E955" not in str(exc) and not isinstance(exc, ImportError):
            raise
        nlp = spacy.blank(lang)
        return nlp, False
    return nlp, True


class SpacyNormalizer(TransformerMixin, BaseEstimator):
    """Tokenise, lemmatise (lookup tables) and optionally drop stop words, with spaCy.

    Texts are processed with ``nlp.pipe`` in the current process: spaCy's multiprocessing
    (``n_process > 1``) was measured ~70x slower for short texts because every worker
    reloads the pipeline and pickles each batch.

    The lookup tables are case-sensitive: English entries are lowercase ("running" -> "run"
    but "Running" is absent) while German nouns are capitalised ("Häuser" -> "Haus" but
    "häuser" is absent). So each token is looked up as written and, failing that, in
    lowercase; with ``lowercase=True`` (the default) the output is then lowercased, which
    merges case variants. Lowercasing *before* lookup would lose German noun lemmas.
    Languages without lookup tables in spacy-lookups-data (e.g. ``"fi"``, ``"pl"``, ``"xx"``)
    fall back to tokenisation only, with a warning at ``fit``.

    Parameters
    ----------
    lang : str, default="en"
        spaCy language code, passed to ``spacy.blank``.
    lemmatize : bool, default=True
        Replace each token by its lookup lemma.
    remove_stop_words : bool, default=False
        Drop tokens in spaCy's stop-word list for ``lang``. Off by default: in short texts
        words like "not" or "free" often carry the label.
    remove_punct : bool, default=False
        Drop punctuation tokens. Off by default: "!!!" or "£" can be signal (e.g. spam).
    lowercase : bool, default=True
        Lowercase the output tokens (lemmas are looked up before lowercasing).
    batch_size : int, default=1000
        Texts per ``nlp.pipe`` batch.

    Attributes
    ----------
    lemmatizing_ : bool
        Whether lemmatisation is in effect (False if requested but unavailable for ``lang``).

    Examples
    --------
    >>> SpacyNormalizer(lang="en").fit_transform(["The dogs were running!"])
    ['the dog be run !']
    """

    def __init__(
        self,
        lang="en",
        *,
        lemmatize=True,
        remove_stop_words=False,
        remove_punct=False,
        lowercase=True,
        batch_size=1000,
    ):
        self.lang = lang
        self.lemmatize = lemmatize
        self.remove_stop_words = remove_stop_words
        self.remove_punct = remove_punct
        self.lowercase = lowercase
        self.batch_size = batch_size

    def fit(self, X, y=None):
        """Check the input and build the spaCy pipeline.

        Parameters
        ----------
        X : iterable of str
            Texts (only checked; nothing is learned from them).
        y : None
            Ignored.

        Returns
        -------
        self : SpacyNormalizer
        """
        check_texts(X, who=type(self).__name__)
        if not isinstance(self.lang, str) or not self.lang:
            raise ConfigError(f"lang must be a spaCy language code such as 'en', got {self.lang!r}")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ConfigError(f"batch_size must be a positive integer, got {self.batch_size!r}")
        _, lemmatizing = load_pipeline(self.lang, bool(self.lemmatize))
        if self.lemmatize and not lemmatizing:
            warnings.warn(
                f"spacy-lookups-data has no lemma lookup table for language {self.lang!r}; "
                "texts will be tokenised but not lemmatised. Pass lemmatize=False to silence this.",
                UserWarning,
                stacklevel=2,
            )
        self.lemmatizing_ = lemmatizing
        return self

    def transform(self, X):
        """Normalise texts.

        Parameters
        ----------
        X : iterable of str
            Texts.

        Returns
        -------
        texts : list of str
            One string per input text: its kept tokens (lemmas if lemmatising) joined by
            single spaces; empty when no token is kept.
        """
        check_is_fitted(self, "lemmatizing_")
        texts = check_texts(X, who=type(self).__name__, allow_empty=True)
        nlp, _ = load_pipeline(self.lang, bool(self.lemmatize))
        table = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup") if self.lemmatizing_ else None
        return [" ".join(self._words(doc, table)) for doc in nlp.pipe(texts, batch_size=self.batch_size)]

    def _words(self, doc, table):
        for token in doc:
            if token.is_space:
                continue
            if self.remove_stop_words and token.is_stop:
                continue
            if self.remove_punct and token.is_punct:
                continue
            word = token.text
            if table is not None:
                word = token.lemma_ or word  # looked up as written
                if word == token.text and token.lower_ != token.text:
                    word = table.get(token.lower_, word)  # then in lowercase
            if self.lowercase:
                word = word.lower()
            # Lemmas never hold spaces in the lookup tables, but guard the join anyway.
            yield "_".join(word.split()) or token.text

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.one_d_array = True
        tags.input_tags.string = True
        tags.transformer_tags.preserves_dtype = []
        return tags
