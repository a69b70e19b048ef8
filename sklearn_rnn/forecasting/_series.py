# SPDX-License-Identifier: BSD-3-Clause
"""The series of a long table: their rows, target scaling and time stamps.

A table may hold several series (``series_column``). Their rows are split
here, each series' target is scaled by its own statistics (:class:`_Stats`),
and the time index tells where each series ends and how often it ticks, so
that a forecast can be labelled with the time stamps that follow.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

__all__ = [
    "_Stats",
    "feature_scaling",
    "future_index",
    "series_clock",
    "split_series",
    "target_scaling",
]


class _Stats(NamedTuple):
    """Target scaling of one series, and its forecast when nothing is observed."""

    center: float
    scale: float
    fallback: np.ndarray  # point forecast, then quantiles, on the original scale


def split_series(ids) -> list[tuple[object, np.ndarray | None]]:
    """Return ``(series id, row positions)`` pairs, rows kept in their order.

    Without ids the table is one series: ``[(None, None)]``, where None rows
    mean all of them.
    """
    if ids is None:
        return [(None, None)]
    codes, uniques = pd.factorize(ids)
    if (codes < 0).any():
        raise ValueError("The series_column of X holds missing values.")
    order = np.argsort(codes, kind="stable")
    bounds = np.cumsum(np.bincount(codes, minlength=len(uniques)))[:-1]
    return list(zip(uniques.tolist(), np.split(order, bounds)))


def series_clock(index, rows):
    """Return the last time stamp of ``rows`` and the index's frequency, or None.

    ``index`` is the table's index (a DatetimeIndex or PeriodIndex, else
    nothing is returned); ``rows`` the positions of one series, or None for
    all rows. The frequency is the index's own, else the one pandas infers.
    """
    if not isinstance(index, (pd.DatetimeIndex, pd.PeriodIndex)):
        return None
    if rows is not None:
        index = index[rows]
    if len(index) == 0:
        return None
    freq = index.freq
    if freq is None and len(index) >= 3:
        try:
            # pandas 3 warns that infer_freq will return an offset instead of a
            # string; to_offset reads both.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                freq = pd.infer_freq(index)
        except (TypeError, ValueError):
            freq = None
        freq = None if freq is None else to_offset(freq)
    return None if freq is None else (index[-1], freq)


def future_index(clock, steps: int):
    """Return the ``steps`` time stamps after a series' ``(last, freq)`` clock."""
    last, freq = clock
    make_range = pd.period_range if isinstance(last, pd.Period) else pd.date_range
    return make_range(start=last, periods=steps + 1, freq=freq)[1:]


def feature_scaling(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the mean and deviation of each column (1 where it is constant)."""
    scale = features.std(axis=0)
    return features.mean(axis=0), np.where(scale > 0, scale, 1.0)


def _spread_scale(spread: np.ndarray, centered: bool) -> float:
    """Return the scale of the network's target, or 0 when there is none.

    Centered targets (``normalize="none"``) are scaled by their deviation.
    Changes from the window's level (``normalize="window"`` or
    "seasonal") are not centered: scaled by their root mean square, so a
    steady trend, whose changes hardly vary, keeps targets of order one.
    """
    if centered:
        return float(np.std(spread)) if len(spread) > 1 else 0.0
    return float(np.sqrt(np.mean(np.square(spread)))) if len(spread) else 0.0


def _series_stats(est, values, y, rows) -> tuple[_Stats, np.ndarray]:
    """Return the scaling and fallback of one series, and what it scales.

    ``est`` is the forecaster, with its fitted ``horizon_``, ``normalize_``,
    ``target_column_`` and ``quantiles_``.
    """
    y_s = y if rows is None else y[rows]
    h = est.horizon_
    if est.normalize_ != "none":
        x_s = values if rows is None else values[rows]
        spread = y_s[h:] - x_s[:-h, est.target_column_]
    else:
        spread = y_s
    fallback = [np.mean(y_s)]
    if est.quantiles_ is not None:
        fallback.extend(np.quantile(y_s, est.quantiles_))
    scale = _spread_scale(spread, centered=est.normalize_ == "none")
    return _Stats(float(np.mean(y_s)), scale, np.array(fallback)), spread


def target_scaling(est, values, y, series) -> tuple[dict, _Stats]:
    """Return the target scaling of each series, and the pooled one.

    ``series`` are the ``(id, rows)`` pairs of :func:`split_series`. The
    pooled statistics serve series not seen in ``fit``, and lend their scale
    to series whose own is 0 (a constant series).
    """
    by_series, spreads = {}, []
    for key, rows in series:
        stats, spread = _series_stats(est, values, y, rows)
        by_series[key] = stats
        if est.normalize_ == "none":
            # Each series is centered on its own mean, so the gaps between
            # series levels are no part of the spread its network targets
            # have: pool deviations from each series' own mean.
            spread = spread - stats.center
        spreads.append(spread)
    # The pooled center, the mean of all rows, weighs each series by its
    # rows; so does the root mean square of the deviations (the square
    # root of the row-weighted mean of the series' variances), which is
    # the series' std when there is one series.
    pooled, _ = _series_stats(est, values, y, None)
    pooled_scale = _spread_scale(np.concatenate(spreads), centered=False)
    pooled = pooled._replace(scale=pooled_scale if pooled_scale > 0 else 1.0)
    for key, stats in by_series.items():
        if not stats.scale > 0:
            by_series[key] = stats._replace(scale=pooled.scale)
    return by_series, pooled
