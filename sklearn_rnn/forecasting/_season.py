# SPDX-License-Identifier: BSD-3-Clause
"""The season of a series, and forecasts relative to its seasons.

With ``normalize="seasonal"`` the network forecasts each lead relative to
a seasonal forecast read from its window (the last season's mean plus the
lead's seasonal deviation, averaged over the window's seasons) instead of
the window's last value. A network that outputs nothing then forecasts
that; what it learns is the correction. The season's length is read from
the time index's frequency, and sizes the "auto" window and horizon.
"""

from __future__ import annotations

import numpy as np
import torch
from pandas.tseries import offsets

__all__ = [
    "_SeasonalStartMixin",
    "fitted_season",
    "fitted_window_horizon",
    "settle_sizes",
    "season_from_frequency",
    "seasonal_levels",
]

# Weight decay of ``weight_decay="auto"`` under seasonal normalization.
_SEASONAL_WEIGHT_DECAY = 0.01

# ``window="auto"``: this many steps, or ``_SEASONS_IN_WINDOW`` seasons
# under seasonal normalization when they are longer; ``horizon="auto"``:
# ``_SEASONS_AHEAD`` seasons for data with a season (and a multi-output
# network), else one step.
_AUTO_WINDOW = 24
_SEASONS_IN_WINDOW = 3
_SEASONS_AHEAD = 2

# Steps per season for each frequency whose calendar has one season (a year
# of months or quarters, a week of days, a day of hours).
_STEPS_PER_SEASON = (
    ((offsets.MonthBegin, offsets.MonthEnd), 12),
    ((offsets.BusinessMonthBegin, offsets.BusinessMonthEnd), 12),
    ((offsets.QuarterBegin, offsets.QuarterEnd), 4),
    ((offsets.BQuarterBegin, offsets.BQuarterEnd), 4),
    ((offsets.Week,), 52),
    ((offsets.BusinessDay,), 5),
    ((offsets.Day,), 7),
    ((offsets.Hour,), 24),
)


def season_from_frequency(freq) -> int:
    """Steps per season of a pandas frequency; 1 when it has none.

    Monthly data has 12 steps per (yearly) season, quarterly 4, weekly 52,
    business-daily 5, daily 7 (a week), hourly 24 (a day); a multiple of
    the frequency divides the season when it can (2 months: 6). Yearly and
    other frequencies have no season.
    """
    if freq is None:
        return 1
    for classes, steps in _STEPS_PER_SEASON:
        if isinstance(freq, classes):
            n = abs(int(freq.n))
            return steps // n if n and steps % n == 0 and steps // n > 1 else 1
    return 1


def _seasonal_naive_wins(y: np.ndarray, series, m: int) -> bool:
    """Whether repeating the last season beats repeating the last value.

    Mean absolute one-step errors in the training data, pooled over the
    series long enough to hold two seasons.
    """
    seasonal = naive = 0.0
    for _, rows in series:
        y_s = y if rows is None else y[rows]
        if len(y_s) <= 2 * m:
            continue
        seasonal += float(np.mean(np.abs(y_s[m:] - y_s[:-m])))
        naive += float(np.mean(np.abs(y_s[1:] - y_s[:-1])))
    return seasonal < naive


def fitted_season(est, y: np.ndarray, series) -> tuple[int, str]:
    """Return ``season_length_`` and ``normalize_`` after the roles are set.

    ``est`` has its ``normalize_`` from the roles ("window" or "none" when
    ``normalize="auto"``), ``window_``, and the clocks of its series.
    "auto" seasons come from the first series' index frequency;
    ``normalize="auto"`` becomes "seasonal" when there is a season that
    fits in the window and the seasonal naive forecast beats the naive
    one on the training data.
    """
    if isinstance(est.season_length, str):
        clocks = [clock for clock in est._series_clock.values() if clock]
        m = season_from_frequency(clocks[0][1] if clocks else None)
    else:
        m = 1 if est.season_length is None else int(est.season_length)
    normalize = est.normalize_
    if est.normalize == "seasonal":
        # An "auto" window grows to hold the seasons (fitted_window_horizon).
        too_long = est.window != "auto" and m > est.window_
        if est._target_channel is None or m < 2 or too_long:
            raise ValueError(
                "normalize='seasonal' forecasts relative to the seasons in "
                "the window: it needs a target column, a season_length of at "
                f"least 2 and a window of at least season_length; got "
                f"season_length_={m} and window="
                f"{'auto' if est.window == 'auto' else est.window_}."
            )
    elif (
        est.normalize == "auto"
        and normalize == "window"
        and 1 < m <= est.window_
        and _seasonal_naive_wins(y, series, m)
    ):
        normalize = "seasonal"
    return m, normalize


def fitted_window_horizon(est, longest: int) -> tuple[int, int]:
    """Return ``window_`` and ``horizon_`` once the season is known.

    ``est`` has its ``season_length_``, ``normalize_`` and
    ``multi_output_``; ``longest`` is the number of rows of its longest
    series. Under seasonal normalization the forecast of each season is
    the average of the window's seasons (``seasonal_levels``): "auto"
    windows hold at least three of them. "auto" horizons are two seasons
    when the data have a season, which a multi-output network forecasts at
    once: on the forecasting benchmark, one-step networks fed their own
    forecasts compounded the drift they had learned from the training
    years (README, "How well the forecaster forecasts"). Two seasons is
    also the horizon R's ``forecast()`` takes for seasonal data. The
    horizon depends on the season, not on the normalization chosen from
    the data: cross-validation folds all forecast as far ahead, unless a
    fold is too short to train two seasons ahead (its longest series two
    seasons or shorter, or leaving no window to train beside those early
    stopping holds out): that gets one step. So do seasons longer than the
    window (52 weeks in the "auto" 24 steps).
    """
    m = est.season_length_
    if est.window != "auto":
        window = int(est.window)
    elif est.normalize_ == "seasonal":
        window = max(_AUTO_WINDOW, _SEASONS_IN_WINDOW * m)
    else:
        window = _AUTO_WINDOW
    if est.horizon != "auto":
        return window, int(est.horizon)
    ahead = _SEASONS_AHEAD * m
    if 1 < m <= window and est.multi_output_ and _trains(est, longest, ahead):
        return window, ahead
    return window, 1


def settle_sizes(est, values, series, before: tuple) -> bool:
    """Settle ``window_`` and ``horizon_`` in ``fit``; whether they changed.

    ``est`` holds the provisional sizes (24 and 1 for "auto"), its season and
    roles; ``series`` are the rows of each series in ``values``. A warm
    start keeps ``before``, the sizes of the fit it continues: the network
    emits their leads.
    """
    provisional = (est.window_, est.horizon_)
    longest = max(len(values) if rows is None else len(rows) for _, rows in series)
    est.window_, est.horizon_ = fitted_window_horizon(est, longest)
    if est._is_warm():
        if est.window == "auto":
            est.window_ = before[0]
        if est.horizon == "auto":
            est.horizon_ = before[1]
    return (est.window_, est.horizon_) != provisional


def _trains(est, longest: int, horizon: int) -> bool:
    """Whether the longest series leaves a window to train ``horizon`` ahead.

    With early stopping, its latest windows are held out, and the
    ``horizon - 1`` before them train nothing (``latest_windows``).
    """
    windows = longest - horizon
    if est.early_stopping:
        windows -= int(np.ceil(est.validation_fraction * windows)) + horizon - 1
    return windows > 0


def seasonal_levels(
    target: np.ndarray,
    origins: np.ndarray,
    starts: np.ndarray,
    leads: np.ndarray,
    m: int,
) -> np.ndarray:
    """The seasonal forecast each lead is relative to, ``(len(origins), len(leads))``.

    ``target`` holds a series' (scaled) target; the window of each forecast
    spans rows ``starts`` to ``origins``. The complete seasons at the end of
    the window are its blocks of ``m`` rows: a lead's forecast is the mean
    of the last block plus the deviation from their block's mean of the
    lead's season, averaged over the blocks. With one block that is the
    seasonal naive forecast; with none (a window shorter than a season),
    the last value.
    """
    blocks_in = (origins - starts + 1) // m
    positions = (leads - 1) % m
    levels = np.empty((len(origins), len(leads)))
    for k in np.unique(blocks_in):
        rows = blocks_in == k
        if k == 0:
            levels[rows] = target[origins[rows]][:, None]
            continue
        steps = origins[rows, None] - k * m + 1 + np.arange(k * m)
        blocks = target[steps].reshape(-1, k, m)
        means = blocks.mean(axis=2, keepdims=True)
        profile = (blocks - means).mean(axis=1)
        levels[rows] = means[:, -1] + profile[:, positions]
    return levels


class _SeasonalStartMixin:
    """How the forecaster trains under seasonal normalization."""

    def _weight_decay(self) -> float:
        """Resolve ``weight_decay="auto"``: 0.01 with seasonal normalization.

        There the network's zero output is the seasonal forecast, a
        strong forecast to shrink towards. The last value (window
        normalization) is a weak one: shrinking towards it cost cycles such
        as the sunspots dearly on the forecasting benchmark.
        """
        if self.weight_decay == "auto":
            return _SEASONAL_WEIGHT_DECAY if self.normalize_ == "seasonal" else 0.0
        return self.weight_decay

    def _after_initialize(self, X, lengths, sample_weight, train_idx) -> None:
        """Under seasonal normalization, start from the seasonal forecast.

        The network's outputs are added to the seasonal forecast: with the output
        layer at zero it forecasts that, and training learns the correction.
        Starting the window normalization's network at the last value did
        worse on the forecasting benchmark (nile, us_employment), so there
        the layer keeps its random start.
        """
        if self.normalize_ != "seasonal":
            return
        layer = self.net_.module_.head[-1]
        with torch.no_grad():
            layer.weight.zero_()
            layer.bias.zero_()
