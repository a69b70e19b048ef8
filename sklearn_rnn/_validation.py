# SPDX-License-Identifier: BSD-3-Clause
"""Checks of numeric sequence input, shared by the networks and SequenceScaler."""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_array

from ._compat import validate_data
from ._sequences import is_ragged, pad_sequences, split_nan_padding


def check_step_features(est, n_features: int, *, reset: bool, kind: str) -> None:
    """Record (``reset``) or check the number of features per time step.

    Sequence input has no column names: a refit on it drops any
    ``feature_names_in_`` of an earlier fit on a table.
    """
    if n_features == 0:
        raise ValueError("X has 0 features per time step; at least 1 is needed.")
    if reset:
        est.n_features_in_ = n_features
        est._n_step_features = n_features
        est._fit_input_kind = kind
        if hasattr(est, "feature_names_in_"):
            del est.feature_names_in_
    elif n_features != est._n_step_features:
        raise ValueError(
            f"X has {n_features} features per time step, but "
            f"{type(est).__name__} is expecting {est._n_step_features} "
            "features per time step as input."
        )


def validate_sequences(
    est, X, *, reset: bool, kind: str, dtype: tuple, ragged_dtype=None
) -> tuple[np.ndarray, np.ndarray, object]:
    """Return numeric sequences as ``(n, t, f)``, their lengths and the input's form.

    ``kind`` is "table" when 2-D input is a table whose rows are univariate
    sequences (scikit-learn's ``n_features_in_`` and feature names, checked
    at ``predict``), anything else to read every input as sequences.
    ``dtype`` is the accepted float dtypes, the first one for any other;
    ``ragged_dtype`` that of padded lists (None: float32 when every sequence
    is float32, else float64). The form is "ragged" for a list of sequences,
    else the number of dimensions of the array.
    """
    if is_ragged(X):
        if ragged_dtype is None:
            same = all(getattr(x, "dtype", None) == np.float32 for x in X)
            ragged_dtype = np.float32 if same else np.float64
        X, lengths = pad_sequences(X, dtype=ragged_dtype)
        check_step_features(est, X.shape[2], reset=reset, kind="sequences")
        return X, lengths, "ragged"
    ndim = X.ndim if hasattr(X, "ndim") else np.asarray(X).ndim
    if ndim < 2:
        # scikit-learn's own message, which tells how to reshape.
        check_array(X, input_name="X")
    if ndim == 2 and kind == "table":
        X = validate_data(est, X, reset=reset, dtype=dtype, ensure_all_finite=False)
        if reset:
            est._n_step_features = 1
            est._fit_input_kind = "table"
    elif ndim in (2, 3):
        X = check_array(
            X, allow_nd=True, dtype=dtype, ensure_all_finite=False, input_name="X"
        )
        if X.shape[1] == 0:
            raise ValueError("X has sequences of zero length (0 time steps).")
        n_features = 1 if X.ndim == 2 else X.shape[2]
        check_step_features(est, n_features, reset=reset, kind="sequences")
    else:
        raise ValueError(
            "X must be 2-D (n_samples, n_timesteps) univariate sequences, 3-D "
            "(n_samples, n_timesteps, n_features), or a list of 2-D "
            f"(n_timesteps, n_features) arrays; got an array with {ndim} "
            "dimension(s)."
        )
    X3, lengths = split_nan_padding(X if X.ndim == 3 else X[:, :, None])
    return X3, lengths, X.ndim
