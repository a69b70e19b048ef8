# SPDX-License-Identifier: BSD-3-Clause
"""Checking a forecaster's fitted state read back from a file.

A file may hold anything: its fitted attributes are checked against each
other, and against bounds that keep a later ``predict`` or ``forecast`` from
failing or allocating without limit, before the forecaster is handed out.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from pandas.tseries.offsets import BaseOffset

from .._sequences import MAX_STEPS as _MAX_STEPS
from .._state_checks import is_float_array, require, require_attributes
from ._quantiles import check_quantile_levels
from ._series import _Stats

__all__ = ["check_loaded_state"]

_REQUIRED = (
    "n_features_in_",
    "_n_step_features",
    "_fit_input_kind",
    "_fitted_architecture",
    "n_iter_",
    "_y_name",
    "known_columns_",
    "target_column_",
    "normalize_",
    "season_length_",
    "quantiles_",
    "_feature_positions",
    "_known_channels",
    "_target_channel",
    "_x_mean",
    "_x_scale",
    "_series_stats",
    "_global_stats",
    "_n_outputs",
    "multi_output_",
    "_series_tails",
    "_series_clock",
    "_series_last_label",
    "_series_label_step",
    "_series_pos",
    "window_",
    "horizon_",
)


def _position(value, n: int) -> bool:
    return type(value) is int and 0 <= value < n


def check_loaded_state(est) -> None:
    """Raise a ``ValueError`` unless ``est``'s fitted attributes fit together.

    The message says what is wrong, without naming the estimator: the
    caller says which one it is.
    """
    require_attributes(est, _REQUIRED)
    n = est.n_features_in_
    require(type(n) is int and n >= 1, "n_features_in_ must be a positive int")
    for name in ("window_", "horizon_"):
        value = getattr(est, name)
        require(
            type(value) is int and 1 <= value <= _MAX_STEPS,
            f"{name} must be a positive int of at most {_MAX_STEPS}",
        )
    _check_roles(est)
    _check_network(est)
    _check_scaling(est)
    _check_series(est)


def _check_roles(est) -> None:
    """The column roles, and the channels derived from them."""
    n, series = est.n_features_in_, est._series_pos
    require(
        series is None or _position(series, n),
        "_series_pos must be a column position, or None",
    )
    channels = [j for j in range(n) if j != series]
    require(channels, "X must have a column besides the series column")
    features = est._feature_positions
    require(
        type(features) is np.ndarray
        and features.dtype.kind in "iu"
        and features.tolist() == channels,
        "_feature_positions must list every column but the series column",
    )
    known, target = est.known_columns_, est.target_column_
    require(
        type(known) is np.ndarray
        and known.ndim == 1
        and known.dtype.kind in "iu"
        and all(j in channels for j in known.tolist())
        and len(set(known.tolist())) == len(known),
        "known_columns_ must be distinct column positions, not the series column",
    )
    require(
        target is None
        or (type(target) is int and target in channels and target not in known),
        "target_column_ must be None or a column position outside known_columns_",
    )
    known_channels = [channels.index(j) for j in known.tolist()]
    target_channel = None if target is None else channels.index(target)
    require(
        _same_value(est._known_channels, known_channels)
        and _same_value(est._target_channel, target_channel),
        "_known_channels and _target_channel do not match the column roles",
    )
    require(
        type(est.normalize_) is str
        and est.normalize_ in ("window", "seasonal", "none")
        and (est.normalize_ == "none" or target is not None),
        "normalize_ must be 'window' or 'seasonal' (with a target column) or 'none'",
    )
    require(
        type(est.season_length_) is int
        and 1 <= est.season_length_ <= _MAX_STEPS
        and (est.normalize_ != "seasonal" or 2 <= est.season_length_ <= est.window_),
        "season_length_ must be an int from 1 to 1e6, and from 2 to window_ "
        "with normalize_='seasonal'",
    )


def _same_value(value, expected) -> bool:
    """Whether ``value`` is ``expected``: None, an int or a list of ints."""
    if type(expected) is list:
        return (
            type(value) is list
            and all(type(v) is int for v in value)
            and value == expected
        )
    return type(value) is type(expected) and value == expected


def _check_network(est) -> None:
    """The network's input and output sizes, and the quantile levels."""
    quantiles = est.quantiles_
    if quantiles is not None:
        try:
            levels = check_quantile_levels(quantiles, name="quantiles_")
        except ValueError as exc:
            require(False, str(exc).rstrip("."))
        require(
            is_float_array(quantiles, 1) and np.array_equal(levels, quantiles),
            "quantiles_ must be a float64 array of increasing levels",
        )
    n_outputs = 1 + (0 if quantiles is None else len(quantiles))
    require(
        type(est._n_outputs) is int and est._n_outputs == n_outputs,
        "_n_outputs does not match quantiles_",
    )
    n_channels = len(est._feature_positions)
    n_step = est._n_step_features
    require(
        type(n_step) is int and n_step == n_channels + len(est._known_channels),
        "_n_step_features does not match _feature_positions and _known_channels",
    )
    require(
        type(est._fit_input_kind) is str and est._fit_input_kind == "sequences",
        "_fit_input_kind must be 'sequences'",
    )
    require(type(est.multi_output_) is bool, "multi_output_ must be a bool")
    require(
        not (est.multi_output_ and len(est.known_columns_)),
        "multi_output_ does not go with known_columns_",
    )
    leads = est.horizon_ if est.multi_output_ else 1
    arch = est._fitted_architecture
    require(
        type(arch) is dict
        and _same_value(arch.get("n_features"), n_step)
        and _same_value(arch.get("n_outputs"), n_outputs * leads),
        "the network's inputs and outputs do not match the column roles",
    )
    require(type(est.n_iter_) is int and est.n_iter_ >= 0, "n_iter_ must be an int")


def _valid_stats(stats, n_outputs: int) -> bool:
    return (
        type(stats) is _Stats
        and type(stats.center) is float
        and math.isfinite(stats.center)
        and type(stats.scale) is float
        and math.isfinite(stats.scale)
        and stats.scale > 0
        and is_float_array(stats.fallback, 1)
        and len(stats.fallback) == n_outputs
    )


def _check_scaling(est) -> None:
    """The channels' scaling and each series' target scaling."""
    n_channels = len(est._feature_positions)
    require(
        all(
            is_float_array(v, 1) and len(v) == n_channels
            for v in (est._x_mean, est._x_scale)
        )
        and bool((est._x_scale > 0).all()),
        "_x_mean and _x_scale must be finite float64 arrays, one value per "
        "channel (scales positive)",
    )
    stats = est._series_stats
    require(
        type(stats) is dict
        and all(
            _valid_stats(s, est._n_outputs)
            for s in (*stats.values(), est._global_stats)
        ),
        "_series_stats or _global_stats holds an invalid _Stats: center and "
        "scale must be finite floats (scale positive) and fallback a float64 "
        "array of finite values, one per output",
    )


def _check_series(est) -> None:
    """The end of each training series, its clock, and the series ids."""
    tails, n = est._series_tails, est.n_features_in_
    longest = est.window_ + est.horizon_ - 1
    require(
        type(tails) is dict
        and len(tails)
        and all(
            is_float_array(t, 2) and t.shape[1] == n and 1 <= len(t) <= longest
            for t in tails.values()
        ),
        "_series_tails must map series to finite float64 tables of "
        "n_features_in_ columns and at most window_ + horizon_ - 1 rows",
    )
    per_series = {
        "_series_label_step": (
            lambda s: s is None or (type(s) is int and s >= 1),
            "None or a positive int",
        ),
        "_series_last_label": (
            lambda label: (
                label is None or type(label) in (int, pd.Timestamp, pd.Period)
            ),
            "None, an int, a time stamp or a period",
        ),
        "_series_clock": (
            lambda info: info is None or _valid_clock(info),
            "None or (time stamp, frequency)",
        ),
    }
    for name, (valid, what) in per_series.items():
        value = getattr(est, name)
        require(
            type(value) is dict
            and set(value) == set(tails)
            and all(valid(v) for v in value.values()),
            f"{name} must map the series of _series_tails to {what}",
        )
    if est._series_pos is None:
        require(
            list(tails) == [None] and not hasattr(est, "series_ids_"),
            "without a series column, _series_tails must hold the one series None "
            "and there must be no series_ids_",
        )
        return
    ids = getattr(est, "series_ids_", None)
    require(
        type(ids) is np.ndarray
        and ids.ndim == 1
        and len(ids) == len(tails)
        and _all_keys_of(ids.tolist(), tails),
        "series_ids_ must list the series of _series_tails",
    )


def _all_keys_of(ids: list, mapping: dict) -> bool:
    try:
        return all(key in mapping for key in ids)
    except TypeError:
        # An unhashable id names no series.
        return False


def _valid_clock(info) -> bool:
    return (
        type(info) is tuple
        and len(info) == 2
        and type(info[0]) in (pd.Timestamp, pd.Period)
        and isinstance(info[1], BaseOffset)
    )
