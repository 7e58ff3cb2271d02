"""Text preprocessing: input checks, tokenisation and spaCy normalisation as transformers.

Submodules import their heavy dependencies (spaCy) only when used, so importing this
package is cheap. ``SpacyNormalizer`` is re-exported lazily.
"""

__all__ = ["SpacyNormalizer", "check_texts", "tokenize"]


def __getattr__(name):
    if name == "SpacyNormalizer":
        from textml.text.spacy import SpacyNormalizer

        return SpacyNormalizer
    if name == "check_texts":
        from textml.text.validation import check_texts

        return check_texts
    if name == "tokenize":
        from textml.text.tokenize import tokenize

        return tokenize
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
