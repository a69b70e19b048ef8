# SPDX-License-Identifier: BSD-3-Clause
"""Cutting time series into windows: supervised samples, or one window per row.

Two tools, the way ``extract_patches_2d`` stands beside ``PatchExtractor``:

- :func:`make_windows` turns one series into supervised samples: past windows
  ``X`` and the values that follow them ``y``. It creates samples and targets,
  so it is a function, not a transformer (a ``Pipeline`` cannot pass on a new
  ``y``).
- :class:`SequenceWindower` keeps the number of samples: row ``t`` of its
  output is the window of input rows ending at ``t``, which the estimators read
  as one sequence. It fits in a ``Pipeline`` in front of them.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_array, check_scalar
from sklearn.utils.validation import check_is_fitted

from ._columns import column_position, is_time_dtype
from ._compat import Interval, _fit_context, validate_data
from ._output import _ArrayOutputMixin
from ._sequences import MAX_STEPS as _MAX_STEPS
from ._state_checks import require, require_attributes

__all__ = ["SequenceWindower", "make_windows"]


def _sliding(values: np.ndarray, window: int) -> np.ndarray:
    """Return a read-only view of shape ``(n - window + 1, window, n_features)``.

    Entry ``i`` is ``values[i : i + window]``; no data is copied.
    """
    view = np.lib.stride_tricks.sliding_window_view(values, window, axis=0)
    # sliding_window_view puts the window axis last: (n, n_features, window).
    return view.transpose(0, 2, 1)


def _is_time_or_text(dtype) -> bool:
    if is_time_dtype(dtype) or isinstance(dtype, pd.StringDtype):
        return True
    extension = isinstance(dtype, pd.api.extensions.ExtensionDtype)
    return not extension and np.dtype(dtype).kind in "US"


def _check_numeric(series, names) -> None:
    """Refuse dates, durations and text, which numpy may read as numbers.

    Dates would silently become nanoseconds since 1970.
    """
    if hasattr(series, "dtypes") and hasattr(series, "columns"):
        dtypes = list(series.dtypes)
    else:
        dtype = getattr(series, "dtype", None)
        dtypes = [np.asarray(series).dtype if dtype is None else dtype]
    for i, dtype in enumerate(dtypes):
        if _is_time_or_text(dtype):
            column = f" column {names[i]!r}" if names is not None else ""
            raise ValueError(
                f"series{column} has dtype {dtype}, not numbers: make_windows "
                "cuts windows of numeric values. Convert dates or durations to "
                "numbers yourself (for instance days since a start), or leave "
                "the column out."
            )


def _series_values(series) -> tuple[np.ndarray, list | None]:
    """Return ``series`` as a 2-D float array, with its column names if any."""
    names = None
    if hasattr(series, "columns"):
        names = list(series.columns)
    elif hasattr(series, "iloc") and series.name is not None:
        names = [series.name]
    ndim = getattr(series, "ndim", None)
    if ndim is None:
        ndim = np.ndim(series)
    if ndim not in (1, 2):
        hint = " Call make_windows on each series in turn." if ndim > 2 else ""
        raise ValueError(
            "series must be 1-D (n_steps,) or 2-D (n_steps, n_features); got "
            f"{ndim} dimension(s).{hint}"
        )
    _check_numeric(series, names)
    values = check_array(
        series,
        ensure_2d=False,
        dtype=(np.float64, np.float32),
        ensure_all_finite=False,
        input_name="series",
    )
    if values.ndim == 1:
        values = values[:, None]
    bad = ~np.isfinite(values)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        column = repr(names[col]) if names is not None else int(col)
        what = "NaN" if np.isnan(values[row, col]) else "infinity"
        raise ValueError(
            f"series contains {what} at row {row} (column {column}). Windows "
            "need complete data: fill or drop missing values first."
        )
    return values, names


def _target_position(target, names: list | None, n_features: int) -> int:
    """Return the column index that ``target`` designates."""
    if target is None:
        if n_features > 1:
            raise ValueError(
                f"series has {n_features} columns; set target to the column to "
                "predict (an integer position, or a name for pandas input)."
            )
        return 0
    return column_position(target, names, n_features, param="target", table="series")


def make_windows(series, *, window, horizon=1, step=1, target=None):
    """Cut a time series into input windows and the values that follow them.

    Window ``i`` starts at row ``s = i * step``: its ``X`` holds rows
    ``s, ..., s + window - 1`` of every column, and its ``y`` holds the target
    column at rows ``s + window, ..., s + window + horizon - 1``. Windows that
    would run past the end of the series are left out.

    Parameters
    ----------
    series : array-like of shape (n_steps,) or (n_steps, n_features)
        One time series, oldest row first: a 1-D or 2-D array, a list, a
        pandas Series or DataFrame. Not modified.
    window : int
        Number of time steps in each input window (at least 1).
    horizon : int, default=1
        Number of future values to predict after each window (at least 1).
    step : int, default=1
        Rows between the starts of consecutive windows (at least 1); ``step=1``
        gives overlapping windows, ``step=window`` disjoint ones.
    target : int, str or None, default=None
        The column to predict: a column name (pandas input) or a position.
        For a DataFrame, a column label is tried first, then a position.
        None is allowed only when the series has one column. The target column
        stays among the inputs ``X``: its past is usually the best predictor.

    Returns
    -------
    X : ndarray of shape (n_windows, window, n_features)
        Input windows, float32 for float32 input, else float64, with
        ``n_windows = (n_steps - window - horizon) // step + 1``.
    y : ndarray of shape (n_windows,) or (n_windows, horizon)
        Values to predict, 1-D when ``horizon=1``; same dtype as ``X``.

    Raises
    ------
    ValueError
        If ``window``, ``horizon`` or ``step`` is below 1, the series is not
        1-D or 2-D, holds NaN or infinity, is shorter than
        ``window + horizon``, or ``target`` is missing or unknown.

    See Also
    --------
    SequenceWindower : One window per row, ending at that row, for pipelines.

    Notes
    -----
    ``X`` and ``y`` are new arrays: writing into them leaves ``series`` as it
    was. The windows of ``X`` overlap in ``series`` when ``step < window``, so
    ``X`` takes ``window / step`` times the memory of the series.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_rnn import make_windows
    >>> X, y = make_windows(np.arange(6.0), window=3)
    >>> X[:, :, 0]
    array([[0., 1., 2.],
           [1., 2., 3.],
           [2., 3., 4.]])
    >>> y
    array([3., 4., 5.])
    >>> X, y = make_windows(np.arange(8.0), window=3, horizon=2, step=3)
    >>> X.shape, y.tolist()
    ((2, 3, 1), [[3.0, 4.0], [6.0, 7.0]])
    """
    for name, value in (("window", window), ("horizon", horizon), ("step", step)):
        if isinstance(value, bool):
            raise TypeError(f"{name} must be an int, got {value!r}.")
        check_scalar(value, name, Integral, min_val=1)
    values, names = _series_values(series)
    n_steps, n_features = values.shape
    column = _target_position(target, names, n_features)
    if n_steps < window + horizon:
        raise ValueError(
            f"series has {n_steps} rows, fewer than window + horizon = "
            f"{window} + {horizon} = {window + horizon} needed for one window."
        )
    n_windows = (n_steps - window - horizon) // step + 1
    X = _sliding(values[: n_steps - horizon], window)[::step][:n_windows]
    y = _sliding(values[window:, column : column + 1], horizon)[::step][:n_windows]
    # Copies: the views above are read-only and share memory with the input.
    X = X.copy()
    y = y[:, :, 0].copy()
    if horizon == 1:
        y = y[:, 0]
    return X, y


class SequenceWindower(
    _ArrayOutputMixin, TransformerMixin, BaseEstimator, auto_wrap_output_keys=None
):
    """Turn each row of a time-ordered table into the window that ends there.

    The rows of ``X`` are consecutive time steps. Row ``t`` of the output is
    the sequence of input rows ``t - window + 1, ..., t``, oldest first, so
    the number of samples is kept and the transformer fits in a ``Pipeline``
    in front of :class:`~sklearn_rnn.RNNRegressor` or
    :class:`~sklearn_rnn.RNNClassifier`, with a ``y`` aligned to the rows.

    The first ``window - 1`` rows have less history. Their windows hold the
    rows that exist (row ``t`` has ``t + 1``), followed by all-NaN time steps:
    the library's convention for variable-length sequences in one array, so
    the estimators read them as shorter sequences, not as zeros.

    Parameters
    ----------
    window : int, default=10
        Number of time steps in each output sequence (at least 1).

    Attributes
    ----------
    n_features_in_ : int
        Number of columns (features per time step) seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the columns seen during ``fit``. Defined only when ``X`` has
        feature names that are all strings.

    See Also
    --------
    make_windows : Supervised windows and their future targets from a series.
    sklearn_rnn.data.split_nan_padding : How the NaN padding is read.

    Notes
    -----
    Each call to ``transform`` windows only the rows it is given: the first
    rows of a test set do not see the end of the training set. To predict on
    continuing data with full history, transform the whole series and keep
    the rows you need.

    The output is 3-D, which a DataFrame cannot hold: it stays an ndarray
    with ``set_output(transform="pandas")`` (which warns, and exists so that
    ``Pipeline.set_output`` configures the other steps) and with
    ``transform_output="pandas"`` in the global configuration.

    Because each row's output depends on the rows before it, transforming a
    subset or a reordering of the rows gives different windows, unlike most
    scikit-learn transformers.

    Input with NaN raises a ``ValueError``: NaN marks padding in the output,
    so a missing value could not be told apart from missing history.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_rnn import SequenceWindower
    >>> X = np.arange(4.0).reshape(-1, 1)
    >>> SequenceWindower(window=3).fit_transform(X)[:, :, 0]
    array([[ 0., nan, nan],
           [ 0.,  1., nan],
           [ 0.,  1.,  2.],
           [ 1.,  2.,  3.]])
    """

    _array_output = "3-D windows"
    _parameter_constraints: dict = {
        "window": [Interval(Integral, 1, _MAX_STEPS, closed="both")],
    }

    def __init__(self, *, window: int = 10):
        self.window = window

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None) -> SequenceWindower:
        """Check ``X`` and record its number of features and their names.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows are consecutive time steps, oldest first.
        y : None
            Ignored.

        Returns
        -------
        self : SequenceWindower
            The fitted transformer.
        """
        validate_data(self, X, reset=True, dtype=(np.float64, np.float32))
        return self

    def transform(self, X) -> np.ndarray:
        """Return the window of rows ending at each row of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows are consecutive time steps, oldest first. Not modified.

        Returns
        -------
        X_windows : ndarray of shape (n_samples, window, n_features)
            Row ``t`` holds input rows ``max(0, t - window + 1), ..., t`` in
            time order, then all-NaN steps up to ``window``. float32 for
            float32 input, else float64.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=(np.float64, np.float32))
        n_samples, n_features = X.shape
        window = self.window
        # Prepending window - 1 NaN rows makes every row's window one slice.
        padded = np.full((n_samples + window - 1, n_features), np.nan, dtype=X.dtype)
        padded[window - 1 :] = X
        out = _sliding(padded, window).copy()
        # The rows with short history have their NaN steps first; move their
        # valid steps to the front, the padding convention the estimators read.
        for t in range(min(window - 1, n_samples)):
            out[t, : t + 1] = X[: t + 1]
            out[t, t + 1 :] = np.nan
        return out

    def _check_loaded_state(self) -> None:
        """Raise a ``ValueError`` unless the fitted attributes fit together.

        Called on a windower whose fitted attributes were read from a file;
        the message says what is wrong. The only fitted state is the number
        of features (and their names, which scikit-learn's checks cover).
        """
        require_attributes(self, ("n_features_in_",))
        n = self.n_features_in_
        require(
            type(n) is int and n >= 1,
            f"n_features_in_ must be a positive int, got {n!r}",
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
