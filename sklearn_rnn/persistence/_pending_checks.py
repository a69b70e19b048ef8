# SPDX-License-Identifier: BSD-3-Clause
"""Checks of the loaded fitted state of estimators that do not check it yet.

The protocol is a method ``_check_loaded_state(self)`` on the estimator,
next to the ``fit`` that makes the state, raising a ``ValueError`` that says
what is wrong (see ``TextTokenizer`` and ``SequenceScaler``). The estimators
below do not define it yet: their checks live here until they move into
their classes, and are used only for a class without the method.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from pandas.tseries.offsets import BaseOffset

from .._state_checks import is_count, is_float_array, require, require_attributes
from ..forecasting import SequenceForecaster, _Stats
from ..windowing import SequenceWindower

_NETWORK_STATE = (
    "n_features_in_",
    "_n_step_features",
    "_fitted_kind",
    "_fitted_architecture",
    "n_iter_",
)
_FORECASTER_STATE = (
    *_NETWORK_STATE,
    *("_y_name", "known_columns_", "target_column_", "normalize_", "quantiles_"),
    *("_features", "_known_ch", "_target_ch", "_x_mean", "_x_scale"),
    *("_series_stats", "_global_stats", "_n_outputs", "_tails", "_index"),
    *("_series_pos", "window_", "horizon_"),
)


def check_windower(est) -> None:
    """Check a SequenceWindower: it only records the number of features."""
    require_attributes(est, ("n_features_in_",))
    n = est.n_features_in_
    require(is_count(n) and n >= 1, "n_features_in_ must be a positive int")


def _positions(value, n) -> bool:
    return (
        type(value) is np.ndarray
        and value.ndim == 1
        and value.dtype.kind in "iu"
        and bool(((value >= 0) & (value < n)).all())
    )


def _position(value, n) -> bool:
    return type(value) is int and 0 <= value < n


def _check_stats(value) -> None:
    center, scale, fallback = value
    require(
        type(center) is float
        and math.isfinite(center)
        and type(scale) is float
        and math.isfinite(scale)
        and scale > 0
        and is_float_array(fallback, 1)
        and len(fallback),
        "invalid _Stats: center and scale must be finite floats (scale "
        "positive) and fallback a non-empty 1-D float64 array of finite "
        f"values; got {value!r}",
    )


def check_forecaster(est) -> None:
    """Check that the fitted state of a SequenceForecaster fits together."""
    require_attributes(est, _FORECASTER_STATE)
    n = est.n_features_in_
    require(type(n) is int and n >= 1, "n_features_in_ must be a positive int")
    require(
        type(est.normalize_) is str and est.normalize_ in ("window", "none"),
        "normalize_ must be window/none",
    )
    require(
        est.target_column_ is None or _position(est.target_column_, n),
        "target_column_ must be None or a column position",
    )
    require(
        _positions(est.known_columns_, n) and _positions(est._features, n),
        "known_columns_ and _features must be arrays of column positions",
    )
    n_channels = len(est._features)
    require(n_channels >= 1, "_features must not be empty")
    require(
        type(est._known_ch) is list
        and all(_position(c, n_channels) for c in est._known_ch)
        and (est._target_ch is None or _position(est._target_ch, n_channels)),
        "_known_ch and _target_ch must be channel positions",
    )
    require(
        type(est._n_step_features) is int
        and est._n_step_features == n_channels + len(est._known_ch),
        "_n_step_features does not match _features and _known_ch",
    )
    require(
        all(
            is_float_array(v, 1) and len(v) == n_channels
            for v in (est._x_mean, est._x_scale)
        ),
        "_x_mean and _x_scale must be float64 arrays, one value per channel",
    )
    _check_forecaster_outputs(est)
    _check_forecaster_series(est, n)


def _check_forecaster_outputs(est) -> None:
    quantiles = est.quantiles_
    require(
        quantiles is None
        or (
            is_float_array(quantiles, 1)
            and len(quantiles)
            and bool(np.all((quantiles > 0) & (quantiles < 1)))
            and bool(np.all(np.diff(quantiles) > 0))
        ),
        "quantiles_ must be None or increasing levels in (0, 1)",
    )
    n_outputs = 1 + (0 if quantiles is None else len(quantiles))
    require(
        type(est._n_outputs) is int and est._n_outputs == n_outputs,
        "_n_outputs does not match quantiles_",
    )
    stats = est._series_stats
    every = (*stats.values(), est._global_stats) if type(stats) is dict else ()
    require(
        type(stats) is dict and all(type(s) is _Stats for s in every),
        "_series_stats and _global_stats must be _Stats",
    )
    for value in every:
        _check_stats(value)
    require(
        all(len(s.fallback) == n_outputs for s in every),
        "_series_stats and _global_stats must have one fallback per output",
    )


def _check_forecaster_series(est, n: int) -> None:
    tails, index = est._tails, est._index
    require(
        type(tails) is dict
        and len(tails)
        and all(is_float_array(t, 2) and t.shape[1] == n for t in tails.values()),
        "_tails must map series to float64 tables of n_features_in_ columns",
    )
    require(
        type(index) is dict
        and set(index) == set(tails)
        and all(
            info is None
            or (
                type(info) is tuple
                and len(info) == 2
                and type(info[0]) in (pd.Timestamp, pd.Period)
                and isinstance(info[1], BaseOffset)
            )
            for info in index.values()
        ),
        "_index must map the series of _tails to None or (time stamp, frequency)",
    )
    if est._series_pos is not None:
        require(
            _position(est._series_pos, n)
            and type(getattr(est, "series_ids_", None)) is np.ndarray,
            "_series_pos must be a column position, with series_ids_",
        )
    for name in ("window", "horizon"):
        value = getattr(est, f"{name}_")
        require(type(value) is int and value >= 1, f"{name}_ must be a positive int")


#: State checks by class, for our classes without ``_check_loaded_state``.
CHECKS = {
    SequenceForecaster: check_forecaster,
    SequenceWindower: check_windower,
}
