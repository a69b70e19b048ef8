# SPDX-License-Identifier: BSD-3-Clause
"""Column roles of the forecaster's table, and the table's validation.

Each column of ``X`` plays one role: the series id (``series_column``), the
observed target (``target_column``), a column known in advance
(``known_columns``), or a covariate observed up to the forecast origin. The
series column is no input of the network; every other column is a channel.
Columns are found by :func:`sklearn_rnn._columns.column_positions`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.utils import check_array, column_or_1d
from sklearn.utils.validation import check_consistent_length

from .._columns import column_position, column_positions, is_time_dtype
from .._compat import validate_data

__all__ = [
    "ColumnRoles",
    "check_same_roles",
    "fitted_roles",
    "resolve_roles",
    "validate_table",
]


class ColumnRoles(NamedTuple):
    """The fitted roles of the columns of ``X``."""

    known: list  # positions of the known columns in X
    target: int | None  # position of the target column in X
    normalize: str  # "window", "seasonal" or "none"; "auto" is settled later
    feature_positions: np.ndarray  # the columns that are channels, in order
    known_channels: list  # channels of the known columns
    target_channel: int | None  # channel of the target column


# Values beyond this have squares (and variances) that overflow float64.
_MAX_ABS = 1e150


def _holds_target(column: np.ndarray, y: np.ndarray) -> bool:
    """Whether a column of X holds the target y (up to float32 rounding)."""
    return bool(np.allclose(column, y, rtol=1e-6, atol=0))


# -- the table ---------------------------------------------------------------


def validate_table(
    est,
    X,
    y=None,
    *,
    reset: bool,
    allow_nan: bool = False,
    input_name: str = "X",
):
    """Return ``X`` as float64 (series column zeroed), the series ids and y.

    With ``reset`` (in ``fit``), record the columns of ``X`` and the position
    of the series column (``_series_pos``) on ``est``; else check ``X``
    against them. ``input_name`` is the argument's name in error messages.
    """
    if isinstance(X, pd.Series):
        # One series as one column: the rows are its time steps.
        X = X.to_frame()
    _check_column_types(X, input_name)
    if reset and y is None:
        raise ValueError(
            f"{type(est).__name__} requires y to be passed, but the target y is None."
        )
    if y is not None:
        _check_target_type(y)
    if input_name != "X":
        _check_width(est, X, input_name)
    # After fit, the fitted column roles rule: a series_column changed by
    # set_params applies at the next fit.
    by_series = (
        est.series_column is not None
        if reset
        else getattr(est, "_series_pos", None) is not None
    )
    settings = {"allow_nan": allow_nan, "input_name": input_name}
    if not by_series:
        if reset:
            est._series_pos = None
        values, y = _validate_plain_table(est, X, y, reset=reset, **settings)
        if reset:
            check_magnitude(values, y, getattr(est, "feature_names_in_", None))
        return values, None, y
    validate_data(est, X, reset=reset, skip_check_array=True)
    if reset:
        est._series_pos = _series_position(est)
    values, ids, y = _validate_series_table(
        X, y, est._series_pos, est.n_features_in_, **settings
    )
    if reset:
        check_magnitude(values, y, getattr(est, "feature_names_in_", None))
    return values, ids, y


def _check_column_types(X, input_name: str) -> None:
    """Refuse date, duration and period columns by name.

    numpy would read them as numbers (nanoseconds since 1970). Text columns
    are refused by the conversion to float, and the series column may hold
    anything.
    """
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(X, "columns"):
        return
    for name, dtype in dtypes.items():
        if is_time_dtype(dtype):
            raise ValueError(
                f"Column {name!r} of {input_name} holds {dtype} values, which the "
                "forecaster does not read as numbers: put the time stamps in the "
                "index (they date the forecasts), or encode them as numbers "
                "(for instance calendar features in known_columns)."
            )


def _check_target_type(y) -> None:
    kind = np.asarray(y).dtype.kind
    if kind in "USmM" or (
        kind == "O" and any(isinstance(v, (str, bytes)) for v in np.ravel(y)[:1000])
    ):
        name = getattr(y, "name", None)
        which = "y" if name is None else f"y ({name!r})"
        raise ValueError(
            f"{which} must hold numbers to forecast; got values of dtype "
            f"{np.asarray(y).dtype}."
        )


def check_magnitude(values: np.ndarray, y, names=None) -> None:
    """Refuse training values whose squares overflow float64.

    The scaling squares them. Later inputs that overflow are refused when
    their windows are cut.
    """
    big = np.abs(values) > _MAX_ABS
    if big.any():
        column = int(np.argwhere(big)[0][1])
        label = repr(names[column]) if names is not None else column
        raise ValueError(
            f"Column {label} of X holds values above {_MAX_ABS:.0e} in "
            "magnitude, whose squares overflow: rescale it (divide by a "
            "power of ten) before fitting."
        )
    if y is not None and (np.abs(y) > _MAX_ABS).any():
        raise ValueError(
            f"y holds values above {_MAX_ABS:.0e} in magnitude, whose squares "
            "overflow: rescale it (divide by a power of ten) before fitting."
        )


def _check_width(est, X, input_name: str) -> None:
    """Check the number of columns of an input that is not called ``X``.

    scikit-learn's messages call every input "X"; this one names it.
    """
    n_columns = check_array(
        X, dtype=None, ensure_all_finite=False, input_name=input_name
    ).shape[1]
    if n_columns != est.n_features_in_:
        raise ValueError(
            f"{input_name} has {n_columns} features, but {type(est).__name__} "
            f"is expecting {est.n_features_in_} features as input."
        )


def _validate_plain_table(est, X, y, *, reset, allow_nan, input_name):
    """Return a table without series column as float64, and y.

    ``validate_data`` records (``reset``) or checks the columns of ``X``.
    """
    finite = not allow_nan
    if input_name != "X":
        validate_data(est, X, reset=reset, skip_check_array=True)
        values = check_array(
            X,
            dtype=np.float64,
            ensure_all_finite=finite,
            input_name=input_name,
            estimator=est,
        )
        return values, y
    if y is None:
        values = validate_data(
            est, X, reset=reset, dtype=np.float64, ensure_all_finite=finite
        )
        return values, y
    return validate_data(est, X, y, reset=reset, dtype=np.float64, y_numeric=True)


def _series_position(est) -> int:
    """Return the position of ``series_column`` among the columns seen in fit."""
    return column_position(
        est.series_column,
        getattr(est, "feature_names_in_", None),
        est.n_features_in_,
        param="series_column",
    )


def _validate_series_table(X, y, position, n_columns, *, allow_nan, input_name):
    """Return a table as float64 with its series column zeroed, the ids and y.

    The ids may be of any type; every other column must be numeric.
    """
    others = [j for j in range(n_columns) if j != position]
    if hasattr(X, "iloc"):
        ids, rest = X.iloc[:, position].to_numpy(), X.iloc[:, others]
    else:
        table = check_array(
            X, dtype=None, ensure_all_finite=False, input_name=input_name
        )
        ids, rest = table[:, position], table[:, others]
    if not others:
        raise ValueError(f"{input_name} has no columns besides the series_column.")
    rest = check_array(
        rest, dtype=np.float64, ensure_all_finite=not allow_nan, input_name=input_name
    )
    values = np.insert(rest, position, 0.0, axis=1)
    if y is not None:
        y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
        y = column_or_1d(y, warn=True)
        check_consistent_length(values, y)
    return values, np.asarray(ids), y


# -- the roles ---------------------------------------------------------------


def resolve_roles(est, values: np.ndarray, y: np.ndarray) -> ColumnRoles:
    """Return the roles that ``est``'s parameters give the columns of ``values``.

    ``est`` has seen ``values`` (``n_features_in_``, ``feature_names_in_``
    and the series column's position ``_series_pos`` are set).
    """
    names = getattr(est, "feature_names_in_", None)
    n_columns = est.n_features_in_
    series = [] if est._series_pos is None else [est._series_pos]
    features = [j for j in range(n_columns) if j not in series]
    known = []
    if est.known_columns is not None:
        known = column_positions(
            est.known_columns, names, n_columns, param="known_columns"
        )
        if set(known) & set(series):
            raise ValueError("known_columns must not hold the series_column.")
    if isinstance(est.target_column, str) and est.target_column == "auto":
        target = _found_target(values, y, features, known)
    elif est.target_column is not None:
        target = _given_target(est.target_column, values, y, names, series, known)
    else:
        target = None
    return ColumnRoles(
        known=known,
        target=target,
        normalize=_fitted_normalize(est.normalize, target),
        feature_positions=np.asarray(features),
        known_channels=[features.index(k) for k in known],
        target_channel=None if target is None else features.index(target),
    )


def _found_target(values, y, features, known) -> int | None:
    """The one channel equal to ``y``, for ``target_column="auto"``."""
    matches = [j for j in features if _holds_target(values[:, j], y)]
    if set(matches) & set(known):
        raise ValueError(
            "A column of known_columns equals y: the target cannot be "
            "known in advance (it would leak the value to forecast)."
        )
    return matches[0] if len(matches) == 1 else None


def _given_target(spec, values, y, names, series, known) -> int:
    """The position of a ``target_column`` given by name or position."""
    target = column_position(spec, names, values.shape[1], param="target_column")
    if target in series:
        raise ValueError("target_column must not be the series_column.")
    if target in known:
        raise ValueError(
            "target_column is among known_columns: the target cannot be "
            "known in advance (it would leak the value to forecast)."
        )
    if not _holds_target(values[:, target], y):
        raise ValueError(
            f"target_column={spec!r} does not hold y: the target column must "
            "equal y at every row (X[t, c] == y[t]). Set target_column=None if "
            "X does not hold the target."
        )
    return target


def _fitted_normalize(normalize: str, target: int | None) -> str:
    """Resolve ``normalize="auto"``; "window" needs a target column."""
    if normalize == "auto":
        return "window" if target is not None else "none"
    if normalize in ("window", "seasonal") and target is None:
        raise ValueError(
            f"normalize={normalize!r} subtracts the last observed target "
            "value, but X has no target column: set target_column, or "
            "normalize='none'."
        )
    return normalize


def fitted_roles(est) -> dict:
    """The fitted column roles, to compare a warm start's against."""
    roles = (
        "target_column_",
        "known_columns_",
        "normalize_",
        "season_length_",
        "quantiles_",
    )
    return {
        name: getattr(est, name)
        for name in ("feature_names_in_", "n_features_in_", *roles)
        if hasattr(est, name)
    }


def check_same_roles(est, before: dict) -> None:
    """Refuse a warm start whose columns or roles differ from ``before``.

    The scaling and the network stay those of the first fit: they only make
    sense for the same columns in the same roles.
    """
    for name, value in before.items():
        now = getattr(est, name, None)
        if not np.array_equal(
            np.asarray(value, dtype=object), np.asarray(now, dtype=object)
        ):
            raise ValueError(
                f"warm_start=True needs the same columns in the same "
                f"roles as the previous fit: {name} was {value!r}, "
                f"now {now!r}. Fit with warm_start=False to start over."
            )


def single_column_target(X):
    """``X`` and its one column as the target, for ``fit(X)`` without y."""
    if isinstance(X, pd.Series):
        return X.to_frame(), X
    if isinstance(X, pd.DataFrame) and X.shape[1] == 1:
        return X, X.iloc[:, 0]
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) == 2 and shape[1] == 1:
        return X, np.asarray(X)[:, 0]
    # Several columns: which one is the target is the user's to say.
    return X, None
