# SPDX-License-Identifier: BSD-3-Clause
"""Sequence input as padded numpy arrays: ragged lists, NaN padding, token ids.

numpy only: what reaches torch is built from these arrays in ``_batching``.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Complex, Number, Real

import numpy as np

__all__ = [
    "MAX_STEPS",
    "OOV_ID",
    "PAD_ID",
    "check_integral_ids",
    "compact_ids",
    "feature_moments",
    "is_ragged",
    "pad_sequences",
    "python_scalar",
    "ragged_ids",
    "scale_from_var",
    "split_nan_padding",
]

# Upper bound of a window (or horizon) in time steps: far above any real use,
# and low enough that a window read from a file cannot ask for memory without
# limit.
MAX_STEPS = 10**6

# Reserved token ids: padding, and tokens outside the vocabulary.
PAD_ID = 0
OOV_ID = 1


def is_ragged(X) -> bool:
    """Return whether ``X`` is a collection of sequences of different lengths.

    A list, tuple or 1-D object array whose items are arrays (or lists) of not
    all the same shape is ragged; anything else goes through the usual array
    validation.
    """
    if isinstance(X, np.ndarray):
        if X.dtype != object or X.ndim != 1:
            return False
    elif not isinstance(X, (list, tuple)):
        return False
    if len(X) == 0:
        return False
    shapes = set()
    for item in X:
        if isinstance(item, (str, bytes)) or np.ndim(item) == 0:
            return False
        shapes.add(np.shape(item))
    return len(shapes) > 1 or isinstance(X, np.ndarray)


def _check_finite(values: np.ndarray, what: str) -> None:
    if np.isnan(values).any():
        raise ValueError(
            f"Input X contains NaN inside {what}. Only trailing time steps that "
            "are NaN in every feature are read as padding."
        )
    if np.isinf(values).any():
        raise ValueError(f"Input X contains infinity inside {what}.")


def pad_sequences(
    sequences: Sequence, *, dtype=np.float32
) -> tuple[np.ndarray, np.ndarray]:
    """Pad a list of sequences into one array, returning it with the lengths.

    Parameters
    ----------
    sequences : sequence of array-like
        Each item is one sequence: shape ``(n_timesteps_i,)`` for univariate
        data or ``(n_timesteps_i, n_features)``. ``n_features`` must agree.
    dtype : dtype, default=np.float32
        Dtype of the padded array.

    Returns
    -------
    padded : ndarray of shape (n_samples, max_timesteps, n_features)
        The sequences, zero-padded at the end.
    lengths : ndarray of shape (n_samples,), dtype int64
        Number of valid steps of each sequence.

    Examples
    --------
    >>> from sklearn_rnn.data import pad_sequences
    >>> padded, lengths = pad_sequences([[1.0, 2.0, 3.0], [4.0]])
    >>> padded.shape, lengths.tolist()
    ((2, 3, 1), [3, 1])
    """
    arrays = []
    for i, seq in enumerate(sequences):
        try:
            arr = np.asarray(seq, dtype=dtype)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"Sequence {i} of X could not be converted to {np.dtype(dtype)}: {exc}"
            ) from exc
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.ndim != 2:
            raise ValueError(
                "Each sequence of a variable-length X must be 1-D (n_timesteps,) "
                f"or 2-D (n_timesteps, n_features); sequence {i} has shape "
                f"{arr.shape}."
            )
        if arr.shape[0] == 0:
            raise ValueError(f"Sequence {i} of X has zero length.")
        if arrays and arr.shape[1] != arrays[0].shape[1]:
            raise ValueError(
                f"All sequences must have the same number of features; sequence "
                f"0 has {arrays[0].shape[1]} and sequence {i} has {arr.shape[1]}."
            )
        if np.issubdtype(arr.dtype, np.floating):
            _check_finite(arr, f"sequence {i}")
        arrays.append(arr)
    if not arrays:
        raise ValueError(
            "Found array with 0 sample(s) while a minimum of 1 is required."
        )
    lengths = np.array([len(a) for a in arrays], dtype=np.int64)
    padded = np.zeros((len(arrays), lengths.max(), arrays[0].shape[1]), dtype=dtype)
    for i, arr in enumerate(arrays):
        padded[i, : len(arr)] = arr
    return padded, lengths


def compact_ids(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Move the padding ids (0) of each row to the end, returning the lengths.

    Rows padded before or after their tokens become the same post-padded row.
    A row with no tokens keeps one padding step (length 1): it carries no
    information, but every sequence needs a step to read.

    Parameters
    ----------
    ids : ndarray of shape (n_samples, n_timesteps), dtype int64
        Token ids, 0 for padding; not modified.

    Returns
    -------
    ids : ndarray of shape (n_samples, n_timesteps)
        The tokens of each row first, in their order, then the padding.
    lengths : ndarray of shape (n_samples,), dtype int64
        Number of tokens of each row (at least 1).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_rnn.data import compact_ids
    >>> ids, lengths = compact_ids(np.array([[0, 0, 5, 7], [4, 0, 0, 0]]))
    >>> ids.tolist(), lengths.tolist()
    ([[5, 7, 0, 0], [4, 0, 0, 0]], [2, 1])
    """
    is_pad = ids == PAD_ID
    if is_pad.any():
        order = np.argsort(is_pad, axis=1, kind="stable")
        ids = np.take_along_axis(ids, order, axis=1)
    lengths = np.maximum((~is_pad).sum(axis=1), 1).astype(np.int64)
    if ids.shape[1] == 0:
        ids = np.zeros((len(ids), 1), dtype=ids.dtype)
    return ids, lengths


def split_nan_padding(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Read trailing all-NaN time steps of a 3-D array as padding.

    This is the convention of tslearn and aeon for variable-length data in one
    array. NaN anywhere else, and infinity anywhere, raises a ``ValueError``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_timesteps, n_features)
        Float array; not modified.

    Returns
    -------
    X : ndarray of shape (n_samples, n_timesteps, n_features)
        ``X`` with the padding set to zero (a copy only when there is padding).
    lengths : ndarray of shape (n_samples,), dtype int64
        Number of valid steps of each sequence.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_rnn.data import split_nan_padding
    >>> X = np.array([[[1.0], [2.0]], [[3.0], [np.nan]]])
    >>> split_nan_padding(X)[1].tolist()
    [2, 1]
    """
    n_samples, n_steps = X.shape[:2]
    lengths = np.full(n_samples, n_steps, dtype=np.int64)
    # The common case, no NaN and no infinity, in one fast pass.
    if np.isfinite(X).all():
        return X, lengths
    nan = np.isnan(X)
    if nan.any():
        step_is_pad = nan.all(axis=2)
        # A step is padding when it and every later step are all-NaN.
        trailing = np.flip(np.logical_and.accumulate(np.flip(step_is_pad, 1), 1), 1)
        lengths = n_steps - trailing.sum(axis=1)
        if np.any(nan & ~trailing[:, :, None]):
            _check_finite(X[~trailing], "a sequence")
        if np.any(lengths == 0):
            i = int(np.flatnonzero(lengths == 0)[0])
            raise ValueError(f"Sequence {i} of X has zero length (all NaN).")
        X = np.where(trailing[:, :, None], 0.0, X).astype(X.dtype, copy=False)
    if np.isinf(X).any():
        raise ValueError("Input X contains infinity inside a sequence.")
    return X, lengths.astype(np.int64)


def python_scalar(value):
    """A NumPy scalar as the Python scalar it holds; anything else as is."""
    return value.item() if isinstance(value, np.generic) else value


# Every refusal of token ids says how to read the data as numbers instead.
_NUMBERS_HINT = (
    " X is read as token ids (token_ids=True, pretrained_embeddings, or "
    "token_ids='auto' on integer input); set token_ids=False to read it as "
    "numbers."
)


def check_integral_ids(ids: np.ndarray, where: str) -> None:
    """Refuse token ids that are not whole numbers (integral floats pass)."""
    if ids.dtype.kind in "iub":
        return
    # Strings of digits and complex numbers convert to floats: not ids.
    numeric = ids.dtype.kind == "f" or (
        ids.dtype.kind == "O"
        and all(
            isinstance(v, Real) or isinstance(v, Number) and not isinstance(v, Complex)
            for v in ids.flat
        )
    )
    if not numeric:
        kind = {"U": "strings", "S": "bytes", "c": "complex numbers"}.get(
            ids.dtype.kind, "values that are not real numbers"
        )
        raise ValueError(
            f"Token ids must be integers; {where} holds {kind}. Tokenize text "
            "with TextTokenizer first." + _NUMBERS_HINT
        )
    try:
        values = ids.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"Token ids must be integers; {where} could not be read as numbers: "
            f"{exc}." + _NUMBERS_HINT
        ) from exc
    if not np.isfinite(values).all():
        raise ValueError(
            f"Token ids must be integers; {where} holds NaN or infinity."
            + _NUMBERS_HINT
        )
    if not np.array_equal(values, np.round(values)):
        bad = values[values != np.round(values)][0]
        raise ValueError(
            f"Token ids must be integers; {where} holds non-integer values such "
            f"as {python_scalar(bad)!r}." + _NUMBERS_HINT
        )


def ragged_ids(X) -> np.ndarray:
    """Pad variable-length sequences of token ids into ``(n, t)`` ids."""
    arrays = [np.asarray(seq) for seq in X]
    for i, arr in enumerate(arrays):
        check_integral_ids(arr, f"sequence {i} of X")
    # Padded as float64 unless every id fits int64, so that no cast wraps a
    # huge id around (they are refused, or read as unknown tokens, later).
    fits = all(
        a.dtype.kind in "ib" or a.dtype.kind == "u" and a.itemsize < 8 for a in arrays
    )
    ids, _ = pad_sequences(arrays, dtype=np.int64 if fits else np.float64)
    if ids.shape[2] != 1:
        raise ValueError(
            "Token ids must be one id per time step; got sequences with "
            f"{ids.shape[2]} features." + _NUMBERS_HINT
        )
    return ids[:, :, 0]


def feature_moments(values: np.ndarray, weights: np.ndarray | None):
    """Return the (weighted) mean and variance of each column, and the weight.

    Two passes accumulated in float64, with the correction term of Chan,
    Golub and LeVeque, so that a large offset does not drown the spread.
    """
    total = float(len(values) if weights is None else weights.sum())
    if total <= 0:
        raise ValueError(
            "sample_weight gives the valid time steps a total weight of 0; at "
            "least one sequence needs a positive weight."
        )
    if weights is None:
        mean = values.sum(axis=0, dtype=np.float64) / total
        diff = values - mean
        sq, first = (diff**2).sum(axis=0), diff.sum(axis=0)
    else:
        mean = (weights @ values) / total
        diff = values - mean
        sq, first = weights @ diff**2, weights @ diff
    var = np.maximum((sq - first**2 / total) / total, 0.0)
    return mean, var, total


def scale_from_var(var: np.ndarray, mean: np.ndarray, total: float) -> np.ndarray:
    """Return the standard deviations, 1 for features that are constant.

    A constant feature computed in floating point may come out with a tiny
    non-zero variance; as scikit-learn does, a variance below the rounding
    error bound of its computation counts as zero.
    """
    eps = np.finfo(np.float64).eps
    constant = var <= total * eps * var + (total * mean * eps) ** 2
    scale = np.sqrt(var)
    scale[constant] = 1.0
    return scale
