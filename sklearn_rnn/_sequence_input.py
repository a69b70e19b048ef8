# SPDX-License-Identifier: BSD-3-Clause
"""Reading sequence input: numbers, ragged lists or token ids.

``_SequenceInputMixin`` tells token ids from numeric sequences, pads them and
records (``reset``) or checks what ``fit`` saw: the kind of input, the
features per step, the vocabulary size.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from pandas.api.typing import DataFrameGroupBy, SeriesGroupBy
from sklearn.utils import check_array

from ._sequences import (
    OOV_ID,
    check_integral_ids,
    compact_ids,
    is_ragged,
    python_scalar,
    ragged_ids,
)
from ._validation import validate_sequences

# Fitting on token ids builds an embedding with a row per id up to the largest
# one. Larger ids than this (about 2.4 GiB of float32 weights at the default
# embedding_dim=64) are refused: they are more likely numbers read as ids
# (timestamps, counts) than a vocabulary, and would exhaust memory.
_MAX_VOCAB_SIZE = 10_000_000


class _SequenceInputMixin:
    """Validation of sequence and token-id input for the network estimators."""

    def _validate_X(self, X, *, reset: bool) -> tuple[np.ndarray, np.ndarray]:
        """Return ``X`` padded, and the sequence lengths.

        Numeric input becomes float32 ``(n, t, f)``; token ids become int64
        ``(n, t)``. ``n_features_in_`` is the number of features per time step
        for 3-D and variable-length input, 1 for token ids, and the number of
        columns for 2-D numeric input (each row a univariate sequence), as
        scikit-learn's checks expect.
        """
        if isinstance(X, (DataFrameGroupBy, SeriesGroupBy)):
            raise TypeError(
                "X is a pandas GroupBy, which is not sequence data. Turn a long "
                "table (one row per sequence id and time step) into sequences "
                "with sklearn_rnn.sequences_from_long(frame, id_column=..., "
                "time_column=..., label_column=...)."
            )
        if isinstance(X, pd.Series):
            # A Series holds one sequence per entry, like a list.
            X = X.to_list()
        if reset and isinstance(X, pd.DataFrame) and X.index.has_duplicates:
            warnings.warn(
                "X is a DataFrame whose index repeats: each of its rows is read "
                "as one univariate sequence of its columns. If it is a long "
                "table (one row per sequence id and time step), turn it into "
                "sequences with sklearn_rnn.sequences_from_long first.",
                UserWarning,
            )
        kind = self._input_kind(X) if reset else self._fit_input_kind
        if kind == "ids":
            return self._validate_ids(X, reset=reset)
        X, lengths, _ = validate_sequences(
            self,
            X,
            reset=reset,
            kind=kind,
            dtype=(np.float32, np.float64),
            ragged_dtype=np.float32,
        )
        return X.astype(np.float32, copy=False), lengths

    def _input_kind(self, X) -> str:
        """Tell token ids ("ids") from 2-D numeric ("table") or other sequences.

        "auto" reads as token ids only what :class:`~sklearn_rnn.TextTokenizer`
        returns and little else can be: a 2-D integer array, or a list of 1-D
        integer arrays (one id per step). Integer DataFrames (tables of
        counts) and sequences of several integer features are numbers.
        """
        auto = isinstance(self.token_ids, str)
        if self.pretrained_embeddings is not None:
            if not auto and not self.token_ids:
                raise ValueError(
                    "pretrained_embeddings needs token id input, but "
                    "token_ids=False reads X as numbers; set token_ids=True (or "
                    "'auto') to use pretrained_embeddings, or "
                    "pretrained_embeddings=None for numeric X."
                )
            return "ids"
        if not auto and self.token_ids:
            return "ids"
        if is_ragged(X):
            arrays = (np.asarray(x) for x in X)
            if auto and all(a.ndim == 1 and a.dtype.kind in "iu" for a in arrays):
                return "ids"
            return "sequences"
        if isinstance(X, pd.DataFrame):  # no conversion just to look
            return "table"
        arr = X if hasattr(X, "dtype") else np.asarray(X)
        if auto and arr.ndim == 2 and arr.dtype.kind in "iu":
            return "ids"
        return "table" if arr.ndim == 2 else "sequences"

    def _validate_ids(self, X, *, reset: bool) -> tuple[np.ndarray, np.ndarray]:
        if is_ragged(X):
            ids = ragged_ids(X)
        else:
            # A batch of texts without any token arrives zero steps wide.
            ids = check_array(X, dtype=None, ensure_min_features=0, input_name="X")
            check_integral_ids(ids, "X")
        if (ids < 0).any():
            raise ValueError(
                "Token ids must be non-negative; X holds negative ids. Set "
                "token_ids=False to read integer X as numbers."
            )
        # The largest id, compared before any cast to int64: ids too large
        # for it (uint64, big floats) are refused or read as unknown tokens.
        top = ids.max(initial=0)
        if reset:
            self.vocab_size_ = self._vocab_size(top)
            self.n_features_in_ = 1
            self._n_step_features = 1
            self._fit_input_kind = "ids"
            if hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
        # Ids never seen in fit have no trained vector: read them as unknown.
        if top >= self.vocab_size_:
            ids = np.where(ids >= self.vocab_size_, OOV_ID, ids)
        return compact_ids(ids.astype(np.int64))

    def _vocab_size(self, top) -> int:
        """Rows of the embedding for training ids up to ``top``."""
        if self.pretrained_embeddings is not None:
            vocab_size = len(self._pretrained_weights())
            if top >= vocab_size:
                raise ValueError(
                    f"X holds token id {python_scalar(top)}, outside the "
                    f"{vocab_size} rows of pretrained_embeddings."
                )
            return vocab_size
        if self._is_warm() and self._fit_input_kind == "ids":
            # Training goes on with the embedding it has: ids beyond it are
            # unknown tokens, as in predict.
            return self.vocab_size_
        if top >= _MAX_VOCAB_SIZE:
            raise ValueError(
                f"X holds token id {python_scalar(top)}: an embedding with a row "
                f"per id up to it would have more than {_MAX_VOCAB_SIZE:,} rows. "
                "If X holds numbers rather than token ids (counts, timestamps), "
                "set token_ids=False; otherwise renumber the ids consecutively "
                "from 2 (0 is padding, 1 the unknown token), for instance with "
                "TextTokenizer."
            )
        return max(int(top) + 1, OOV_ID + 1)

    def _pretrained_weights(self) -> np.ndarray:
        """Return ``pretrained_embeddings`` as float32 ``(vocab_size, dim)``."""
        try:
            weights = np.asarray(self.pretrained_embeddings, dtype=np.float32)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                "pretrained_embeddings must be a numeric array of shape "
                f"(vocab_size, embedding_dim): {exc}"
            ) from exc
        if weights.ndim != 2 or 0 in weights.shape:
            raise ValueError(
                "pretrained_embeddings must be a numeric array of shape "
                f"(vocab_size, embedding_dim) with both sizes at least 1; got "
                f"shape {weights.shape}."
            )
        if not np.isfinite(weights).all():
            raise ValueError("pretrained_embeddings contains NaN or infinity.")
        return weights
