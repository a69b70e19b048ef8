# SPDX-License-Identifier: BSD-3-Clause
"""Turning raw texts into padded sequences of token ids."""

from __future__ import annotations

import re
from collections import Counter
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ._compat import Interval, StrOptions, _fit_context
from ._output import _ArrayOutputMixin
from ._sequences import OOV_ID, PAD_ID
from ._state_checks import require_attributes

__all__ = ["TextTokenizer"]

# The output is a dense array of max_len ids per document: beyond this
# length, one row would take megabytes for a sequence no network reads.
_MAX_LEN = 1_000_000


def _as_texts(X, input_name: str = "X") -> list[str]:
    """Return the documents of ``X`` as a list of str, or raise a clear error."""
    if isinstance(X, (str, bytes)):
        raise ValueError(
            f"{input_name} must be an iterable of text documents; a single "
            "string was given. Wrap it in a list."
        )
    if X is None or not hasattr(X, "__iter__"):
        raise TypeError(
            f"{input_name} must be an iterable of text documents (a list, "
            f"array, Series or one-column DataFrame of str); got "
            f"{type(X).__name__}."
        )
    if hasattr(X, "iloc") and getattr(X, "ndim", 1) == 2:
        if X.shape[1] != 1:
            raise ValueError(
                f"{input_name} must hold one text column, got a DataFrame with "
                f"{X.shape[1]} columns."
            )
        X = X.iloc[:, 0]
    elif isinstance(X, np.ndarray) and X.ndim == 2 and X.shape[1] == 1:
        X = X[:, 0]
    texts = []
    for i, doc in enumerate(X):
        if isinstance(doc, bytes):
            doc = doc.decode("utf-8")
        if not isinstance(doc, str):
            if np.ndim(doc) == 0 and pd.isna(doc):
                raise ValueError(
                    f"{input_name} contains a missing value (None, NaN or NA) at "
                    f"position {i}; fill it, e.g. with an empty string."
                )
            raise TypeError(
                f"{input_name} must contain strings; position {i} holds "
                f"{type(doc).__name__} {_short(doc)}, where one text document "
                "(str) is expected."
            )
        texts.append(doc)
    return texts


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _callable_name(fn) -> str:
    return getattr(fn, "__qualname__", None) or repr(fn)


class TextTokenizer(
    _ArrayOutputMixin, TransformerMixin, BaseEstimator, auto_wrap_output_keys=None
):
    """Map texts to padded sequences of integer token ids.

    The output feeds the embedding path of :class:`~sklearn_rnn.RNNClassifier`
    and :class:`~sklearn_rnn.RNNRegressor`: id 0 is padding and id 1 stands
    for tokens not in the vocabulary; the vocabulary starts at id 2, most
    frequent token first (ties in alphabetical order).

    Parameters
    ----------
    lowercase : bool, default=True
        Whether to lowercase the texts before tokenizing.
    token_pattern : str, default=r"(?u)\\b\\w+\\b"
        Regular expression of a token when ``analyzer="word"`` and no
        ``tokenizer`` is given. Unlike ``CountVectorizer`` it keeps
        one-character words, which matter in sequences ("a", "I"). As there,
        it may hold one capturing group, whose match is then the token.
    tokenizer : callable or None, default=None
        Function from a document to its list of tokens; overrides
        ``token_pattern``.
    analyzer : {"word", "char"}, default="word"
        Whether tokens are words or characters.
    min_freq : int, default=1
        Tokens seen fewer times in ``fit`` are left out of the vocabulary.
    max_vocab : int or None, default=None
        Keep at most this many (most frequent) tokens.
    max_len : int or None, default=None
        Length of the output rows, at most one million. Longer documents are
        truncated (see ``truncating``). None pads to the longest document of
        each ``transform`` call; the estimators handle any width.
    truncating : {"pre", "post"}, default="post"
        Drop tokens from the start ("pre") or the end ("post") of documents
        longer than ``max_len``.
    padding : {"pre", "post"}, default="post"
        Put the padding before or after the tokens. The estimators read the
        lengths from the padding either way.

    Attributes
    ----------
    vocabulary_ : dict
        Mapping from token to id.
    n_features_in_ : int
        Always 1: one text column.

    See Also
    --------
    sklearn.feature_extraction.text.CountVectorizer : Bag-of-words counts.

    Notes
    -----
    A subword tokenizer, such as a Hugging Face tokenizer's ``tokenize``
    method, can be passed as ``tokenizer``: this transformer then builds the
    vocabulary over its tokens and keeps the padding and unknown-token ids
    the estimators expect, with no extra dependency here.

    ``token_pattern`` is run by Python's ``re`` module, which backtracks: a
    pattern such as ``"(a+)+$"`` can take exponential time on some texts.
    Such patterns are not detected; review the ``token_pattern`` of a
    tokenizer loaded from a file you did not write.

    The output stays a NumPy array of ids with ``set_output(transform="pandas")``
    (which warns, and exists so that ``Pipeline.set_output`` configures the
    other steps).

    Examples
    --------
    >>> from sklearn_rnn import TextTokenizer
    >>> tok = TextTokenizer(max_len=4).fit(["the cat sat", "the dog"])
    >>> tok.transform(["the cat ran"])
    array([[2, 3, 1, 0]])
    >>> tok.inverse_transform([[2, 3, 1, 0]])
    [['the', 'cat', '<oov>']]
    """

    _array_output = "padded token ids"
    _parameter_constraints: dict = {
        "lowercase": ["boolean"],
        "token_pattern": [str],
        "tokenizer": [callable, None],
        "analyzer": [StrOptions({"word", "char"})],
        "min_freq": [Interval(Integral, 1, None, closed="left")],
        "max_vocab": [Interval(Integral, 1, None, closed="left"), None],
        "max_len": [Interval(Integral, 1, _MAX_LEN, closed="both"), None],
        "truncating": [StrOptions({"pre", "post"})],
        "padding": [StrOptions({"pre", "post"})],
    }

    def __init__(
        self,
        *,
        lowercase: bool = True,
        token_pattern: str = r"(?u)\b\w+\b",
        tokenizer=None,
        analyzer: str = "word",
        min_freq: int = 1,
        max_vocab: int | None = None,
        max_len: int | None = None,
        truncating: str = "post",
        padding: str = "post",
    ):
        self.lowercase = lowercase
        self.token_pattern = token_pattern
        self.tokenizer = tokenizer
        self.analyzer = analyzer
        self.min_freq = min_freq
        self.max_vocab = max_vocab
        self.max_len = max_len
        self.truncating = truncating
        self.padding = padding

    def _check_params(self) -> None:
        """Check ``token_pattern``, which ``_parameter_constraints`` cannot."""
        if self.analyzer != "word" or self.tokenizer is not None:
            return  # token_pattern is not used
        try:
            pattern = re.compile(self.token_pattern)
        except re.error as exc:
            raise ValueError(
                f"token_pattern={self.token_pattern!r} is not a valid regular "
                f"expression: {exc}."
            ) from exc
        # As in CountVectorizer: with one group, the group's match is the token.
        if pattern.groups > 1:
            raise ValueError(
                f"token_pattern={self.token_pattern!r} has {pattern.groups} "
                "capturing groups; at most one is allowed (its match is the "
                "token). Make the others non-capturing with (?:...)."
            )

    def _check_loaded_state(self) -> None:
        """Check the fitted attributes of a tokenizer read from a file.

        ``fit`` numbers the vocabulary 2, 3, ... (0 is padding, 1 the unknown
        token): other ids would pass the range of the embeddings trained on
        this output, or collide with padding. Raises a ``ValueError`` saying
        what is wrong.
        """
        require_attributes(self, ("vocabulary_", "n_features_in_"))
        self._check_params()
        if type(self.n_features_in_) is not int or self.n_features_in_ != 1:
            raise ValueError("n_features_in_ must be 1")
        vocab = self.vocabulary_
        if not (
            type(vocab) is dict
            and vocab
            and all(type(token) is str for token in vocab)
            and all(type(i) is int for i in vocab.values())
            and sorted(vocab.values()) == list(range(2, len(vocab) + 2))
        ):
            raise ValueError(
                "vocabulary_ must map tokens to distinct int ids from 2 to "
                "len(vocabulary_) + 1, as fit numbers them"
            )

    def _tokenize(self, doc: str) -> list[str]:
        if self.lowercase:
            doc = doc.lower()
        if self.analyzer == "char":
            return list(doc)
        if self.tokenizer is not None:
            return self._call_tokenizer(doc)
        return re.findall(self.token_pattern, doc)

    def _call_tokenizer(self, doc: str) -> list[str]:
        """The tokens ``tokenizer`` returns for ``doc``, checked to be strings."""
        tokens = self.tokenizer(doc)
        if isinstance(tokens, (str, bytes)) or not hasattr(tokens, "__iter__"):
            raise TypeError(
                f"tokenizer {_callable_name(self.tokenizer)} must return a list "
                f"of str tokens; for {_short(doc)} it returned "
                f"{type(tokens).__name__} {_short(tokens)}."
            )
        tokens = list(tokens)
        for token in tokens:
            if type(token) is not str:
                raise TypeError(
                    f"tokenizer {_callable_name(self.tokenizer)} must return "
                    f"str tokens; for {_short(doc)} it returned a "
                    f"{type(token).__name__}: {_short(token)}."
                )
        return tokens

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None) -> TextTokenizer:
        """Learn the vocabulary of the documents ``X``.

        Parameters
        ----------
        X : iterable of str
            Documents: a list, array, Series or one-column DataFrame.
        y : None
            Ignored.

        Returns
        -------
        self : TextTokenizer
            The fitted tokenizer.
        """
        self._check_params()
        texts = _as_texts(X)
        if not texts:
            raise ValueError("X is empty: fit needs at least one document.")
        counts = Counter(token for doc in texts for token in self._tokenize(doc))
        ranked = sorted(
            (-count, token) for token, count in counts.items() if count >= self.min_freq
        )
        if self.max_vocab is not None:
            ranked = ranked[: self.max_vocab]
        if not ranked:
            raise ValueError(
                "The vocabulary is empty: the documents hold no tokens "
                f"seen at least min_freq={self.min_freq} times."
            )
        self.vocabulary_ = {token: i + 2 for i, (_, token) in enumerate(ranked)}
        self.n_features_in_ = 1
        return self

    def transform(self, X) -> np.ndarray:
        """Return the documents as rows of token ids.

        Parameters
        ----------
        X : iterable of str
            Documents.

        Returns
        -------
        ids : ndarray of shape (n_documents, length), dtype int64
            ``length`` is ``max_len``, or the longest document when it is None.
            Documents with no tokens give rows of padding only.
        """
        check_is_fitted(self)
        # Parameters may have changed since fit (set_params).
        self._check_params()
        vocab = self.vocabulary_
        rows = [[vocab.get(t, OOV_ID) for t in self._tokenize(d)] for d in _as_texts(X)]
        width = self.max_len or max((len(r) for r in rows), default=0)
        ids = np.full((len(rows), width), PAD_ID, dtype=np.int64)
        for i, row in enumerate(rows):
            if len(row) > width:
                row = row[-width:] if self.truncating == "pre" else row[:width]
            if self.padding == "post":
                ids[i, : len(row)] = row
            elif row:
                ids[i, -len(row) :] = row
        return ids

    def inverse_transform(self, X) -> list[list[str]]:
        """Map rows of ids back to lists of tokens, without the padding.

        Parameters
        ----------
        X : array-like of shape (n_documents, length)
            Token ids.

        Returns
        -------
        tokens : list of list of str
            Out-of-vocabulary ids read as ``"<oov>"``.
        """
        check_is_fitted(self)
        inverse = {i: t for t, i in self.vocabulary_.items()}
        return [
            [inverse.get(int(i), "<oov>") for i in row if int(i) != PAD_ID] for row in X
        ]

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Return names of the output positions, ``token_0`` ... ``token_{n-1}``.

        Only defined with ``max_len`` set, when the output width is fixed.

        Parameters
        ----------
        input_features : None
            Ignored.

        Returns
        -------
        feature_names_out : ndarray of str objects
            One name per output position.
        """
        check_is_fitted(self)
        if self.max_len is None:
            raise ValueError(
                "get_feature_names_out needs max_len: without it the output width "
                "depends on the documents."
            )
        return np.asarray([f"token_{i}" for i in range(self.max_len)], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.requires_fit = True
        return tags
