# SPDX-License-Identifier: BSD-3-Clause
"""Cutting a series into the network's windows, and reading its outputs.

The forecast of row ``t`` reads the window of rows ``t - horizon - window +
1, ..., t - horizon`` (fewer at the start of a series, padded with NaN steps)
and the known columns at row ``t``. The network's outputs are the point
forecast, then one column per quantile level, on the scale of the series'
target (and, with ``normalize="window"``, relative to the window's level).

The functions here read the forecaster's fitted attributes: ``window_``,
``horizon_``, ``normalize_``, ``target_column_``, ``_feature_positions``,
``_known_channels``, ``_target_channel``, ``_x_mean``, ``_x_scale``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._sequences import split_nan_padding
from ._continuation import check_time_order, series_history
from ._season import seasonal_levels
from ._series import _Stats, split_series

__all__ = [
    "SeriesTargets",
    "_LeadsMixin",
    "cut_windows",
    "graph_inputs",
    "latest_windows",
    "lead_columns",
    "network_outputs",
    "predict_rows",
    "training_windows",
    "window_forecasts",
]


class SeriesTargets(NamedTuple):
    """The rows of one series, its target scaling, and the rows to forecast."""

    values: np.ndarray  # float64 rows of the series, all columns of X
    stats: _Stats
    targets: np.ndarray  # positions in ``values`` of the rows to forecast


def _scaled_channels(est, values: np.ndarray, stats: _Stats) -> np.ndarray:
    """The channels of ``values``, the target scaled by the series' statistics."""
    Z = (values[:, est._feature_positions] - est._x_mean) / est._x_scale
    if est._target_channel is not None:
        Z[:, est._target_channel] = (
            values[:, est.target_column_] - stats.center
        ) / stats.scale
    return Z


def cut_windows(
    est, values, stats: _Stats, targets, lead=None
) -> tuple[np.ndarray, np.ndarray]:
    """Return the NaN-padded float32 windows for ``targets`` and their levels.

    ``values`` holds the rows of one series; ``targets`` are row positions
    of at least ``lead`` (default ``horizon_``): each window ends ``lead``
    rows before its target. The levels, ``(len(targets), len(leads))``, are
    added back to the outputs of each lead: the scaled target at the
    window's end under ``normalize="window"``, the seasonal forecast of the
    lead read from the window's seasons under "seasonal"
    (``seasonal_levels``), else 0.
    """
    Z = _scaled_channels(est, values, stats)
    origins = targets - (est.horizon_ if lead is None else lead)
    # No wider than the longest history: a huge window_ allocates nothing.
    width = min(est.window_, int(origins.max(initial=0)) + 1)
    start = np.maximum(origins - width + 1, 0)
    steps = start[:, None] + np.arange(width)
    valid = steps <= origins[:, None]
    windows = Z[np.minimum(steps, origins[:, None])]
    level = np.zeros((len(targets), len(est._leads())))
    if est.normalize_ != "none":
        last = Z[origins, est._target_channel]
        windows[:, :, est._target_channel] -= last[:, None]
        level[:] = last[:, None]
    if est.normalize_ == "seasonal":
        level = seasonal_levels(
            Z[:, est._target_channel], origins, start, est._leads(), est.season_length_
        )
    if est._known_channels:
        # Known columns at the target time, beside every step of the window.
        known = Z[targets][:, est._known_channels]
        known = np.broadcast_to(known[:, None, :], (*steps.shape, len(known[0])))
        windows = np.concatenate([windows, known], axis=2)
    windows[~valid] = np.nan
    with np.errstate(over="ignore"):
        windows = windows.astype(np.float32)
    if np.isinf(windows).any():
        raise ValueError(
            "The scaled inputs overflow float32: the rows (a history, "
            "X_future, or the forecasts fed back by a recursive forecast) "
            "hold values far beyond those seen in fit."
        )
    return windows, level


def lead_columns(est, lead: int) -> slice:
    """The network's output columns for ``lead``: point forecast, quantiles."""
    block = int(np.flatnonzero(est._leads() == lead)[0])
    return slice(block * est._n_outputs, (block + 1) * est._n_outputs)


def network_outputs(est, requests, pad: bool = True, lead=None) -> list[np.ndarray]:
    """Return the outputs, on the target's scale, for each :class:`SeriesTargets`.

    One pass of the network serves all requests. Columns: point forecast,
    then quantiles, of each target ``lead`` steps (default ``horizon_``)
    after its window. Rows without history (before ``lead``) get the
    series' fallback. ``pad`` is handed to ``_predict_padded``.
    """
    lead = est.horizon_ if lead is None else lead
    results, inputs = [], []
    for values, stats, targets in requests:
        out = np.tile(stats.fallback, (len(targets), 1))
        has_history = targets >= lead
        level = None
        if has_history.any():
            windows, level = cut_windows(est, values, stats, targets[has_history], lead)
            inputs.append(windows)
        results.append((out, has_history, level, stats))
    if inputs:
        # Windows cut here from validated rows: only their NaN padding
        # needs reading, not the checks of user input.
        windows, lengths = split_nan_padding(np.concatenate(inputs))
        raw = est._predict_padded(windows, lengths, pad=pad).astype(np.float64)
        raw = raw[:, lead_columns(est, lead)]
        position = int(np.flatnonzero(est._leads() == lead)[0])
        start = 0
        for out, has_history, level, stats in results:
            if level is None:
                continue
            part = raw[start : start + len(level)]
            start += len(level)
            level = level[:, position, None]
            out[has_history] = (part + level) * stats.scale + stats.center
    return [out for out, *_ in results]


def _own_labels(labels, rows):
    """The index labels of one series' rows (``rows`` None: all of them)."""
    if labels is None:
        return None
    return labels if rows is None else labels[rows]


def window_forecasts(est, values, stats: _Stats, end: int) -> np.ndarray:
    """The forecasts of every lead after the window ending at row ``end``.

    Returns ``(len(leads), n_outputs)`` on the target's scale: for each lead
    of the network, the point forecast then the quantiles.
    """
    targets = np.array([end + est.horizon_])
    windows, level = cut_windows(est, values, stats, targets)
    windows, lengths = split_nan_padding(windows)
    raw = est._predict_padded(windows, lengths, pad=False).astype(np.float64)
    raw = raw.reshape(len(est._leads()), est._n_outputs)
    return (raw + level[0][:, None]) * stats.scale + stats.center


def predict_rows(est, values, ids, labels=None, lead=None) -> np.ndarray:
    """Return the outputs for every row of a validated table, in its order.

    ``labels`` (the table's index, or None) let rows that continue a
    training series read its end as history (see ``_continuation``).
    """
    out = np.empty((len(values), est._n_outputs))
    series = split_series(ids)
    requests = []
    for key, rows in series:
        part = values if rows is None else values[rows]
        targets = np.arange(len(part))
        own = _own_labels(labels, rows)
        check_time_order(own)
        history = series_history(est, key, own)
        if history is not None:
            part = np.concatenate([history, part])
            targets = targets + len(history)
        requests.append(SeriesTargets(part, est._stats_for(key), targets))
    for (_, rows), result in zip(series, network_outputs(est, requests, lead=lead)):
        out[slice(None) if rows is None else rows] = result
    return out


def graph_inputs(est, values, ids, labels=None) -> tuple[dict, np.ndarray]:
    """The exported graph's inputs for the rows that have history, and the rows.

    ``predict(X)[rows] == (net(X_w, lengths) + level) * scale + offset``,
    ``level`` one column per lead; rows that continue a training series
    read its end, as in ``predict``.
    """
    windows, levels, scales, offsets, rows = [], [], [], [], []
    for key, series_rows in split_series(ids):
        part = values if series_rows is None else values[series_rows]
        positions = np.arange(len(values)) if series_rows is None else series_rows
        stats = est._stats_for(key)
        targets = np.arange(est.horizon_, len(part))
        own = _own_labels(labels, series_rows)
        history = series_history(est, key, own)
        offset = 0
        if history is not None:
            part, offset = np.concatenate([history, part]), len(history)
            targets = np.arange(offset, len(part))
        if not len(targets):
            continue
        series_windows, level = cut_windows(est, part, stats, targets)
        windows.append(series_windows)
        levels.append(level)
        scales.append(np.full(len(targets), stats.scale))
        offsets.append(np.full(len(targets), stats.center))
        rows.append(positions[targets - offset])
    if not windows:
        raise ValueError(
            f"X has no row with history: every series has at most horizon = "
            f"{est.horizon_} rows."
        )
    padded, lengths = split_nan_padding(np.concatenate(windows))
    inputs = {
        "X": padded.astype(np.float32),
        "lengths": lengths,
        "level": np.concatenate(levels).astype(np.float32),
        "scale": np.concatenate(scales).astype(np.float32),
        "offset": np.concatenate(offsets).astype(np.float32),
    }
    return inputs, np.concatenate(rows)


def training_windows(est, values, y, sample_weight, series):
    """Return the training windows of every series, their targets and weights.

    Every row after the first ``horizon_`` of its series is forecast once.
    Returns the padded float32 windows, their lengths, the network's targets
    (scaled per series, relative to each window's level), the weights, and
    the number of windows of each series, in order.
    """
    requests, targets_y, weights = [], [], []
    for key, rows in series:
        part = values if rows is None else values[rows]
        rows_y = y if rows is None else y[rows]
        rows_w = sample_weight if rows is None else sample_weight[rows]
        targets = np.arange(est.horizon_, len(part))
        stats = est._stats_for(key)
        if len(targets):
            requests.append(SeriesTargets(part, stats, targets))
            # Each window's targets: the rows ``leads`` after its end.
            ahead = targets[:, None] - est.horizon_ + est._leads()[None, :]
            targets_y.append((rows_y[ahead] - stats.center) / stats.scale)
            # A window's weight: the mean of the rows it forecasts.
            weights.append(rows_w[ahead].mean(axis=1))
    if not requests:
        h = est.horizon_
        raise ValueError(
            f"X has n_samples = {len(values)} rows, too few to forecast "
            f"{h} step(s) ahead: a series needs at least horizon + 1 = "
            f"{h + 1} rows."
        )
    windows, levels = zip(*(cut_windows(est, *request) for request in requests))
    windows, lengths = split_nan_padding(np.concatenate(windows))
    target = np.concatenate(targets_y) - np.concatenate(levels)
    sizes = np.array([len(request.targets) for request in requests])
    return windows, lengths, target, np.concatenate(weights), sizes


def latest_windows(
    sizes: np.ndarray, fraction: float, gap: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the latest ``fraction`` of each series' windows, and of a gap.

    ``sizes`` are the numbers of windows of consecutive series. Early
    stopping and quantile calibration hold the first array out: the
    validation loss then measures forecasting forward in time. The second
    array holds the ``gap`` windows of each series just before them, which
    train nothing: with ``horizon_`` leads per window, the targets of the
    ``horizon_ - 1`` windows before a held-out one reach into its targets.
    """
    ends = np.cumsum(sizes)
    n_valid = np.ceil(fraction * sizes).astype(int)
    valid = [np.arange(end - n, end) for end, n in zip(ends, n_valid)]
    starts = ends - sizes
    gaps = [
        np.arange(max(end - n - gap, start), end - n)
        for start, end, n in zip(starts, ends, n_valid)
    ]
    return np.concatenate(valid), np.concatenate(gaps).astype(int)


class _LeadsMixin:
    """The leads (steps after a window's end) the forecaster's network emits."""

    def _leads(self) -> np.ndarray:
        """The steps ahead of its window's end that the network forecasts."""
        if self.multi_output_:
            return np.arange(1, self.horizon_ + 1)
        return np.array([self.horizon_])

    def _lead(self, lead) -> int:
        """Check a ``lead`` argument: None is ``horizon_``."""
        if lead is None:
            return self.horizon_
        if isinstance(lead, bool) or lead not in self._leads():
            choices = (
                f"1 to horizon_={self.horizon_}"
                if self.multi_output_
                else f"only horizon_={self.horizon_} (multi_output=False)"
            )
            raise ValueError(f"lead must be one of {choices}; got {lead!r}.")
        return int(lead)

    # -- prediction --------------------------------------------------------
