# SPDX-License-Identifier: BSD-3-Clause
"""Rows that continue the training data: predicting with its history.

scikit-learn's model selection hands ``predict`` the rows of a test fold
alone. A forecaster that read only them would forecast the first rows of
each fold without history and cut the next ones' windows short. The index
of a DataFrame or Series says where rows sit in time: when a series' rows
in ``predict`` come after the last row ``fit`` saw of that series, the stored
end of the training series is put in front of them, so each row is forecast
from the full history before it, as when predicting on the whole series.

Rows between the two (the ``gap`` of ``TimeSeriesSplit``) were seen by
neither ``fit`` nor ``predict``: their target is forecast from the training
end (recursively), and the rows after them read those forecasts.
"""

from __future__ import annotations

import warnings
from numbers import Integral

import numpy as np
import pandas as pd

__all__ = ["check_time_order", "index_labels", "series_history", "steps_between"]

# A continuation further ahead than this many steps is not looked for.
_MAX_GAP = 10**6


def index_labels(X):
    """The index of a DataFrame or Series when it can place rows in time.

    Integer indexes (a RangeIndex, or the slice of one that scikit-learn's
    splitters hand over) count steps; a DatetimeIndex or PeriodIndex counts
    them in its frequency. Anything else (NumPy input, text labels) is None.
    """
    index = getattr(X, "index", None)
    if isinstance(index, (pd.DatetimeIndex, pd.PeriodIndex)):
        return index
    if isinstance(index, pd.Index) and pd.api.types.is_integer_dtype(index.dtype):
        return index
    return None


def check_time_order(labels, input_name: str = "X") -> None:
    """Refuse a time index whose rows are not strictly increasing."""
    if not isinstance(labels, (pd.DatetimeIndex, pd.PeriodIndex)) or len(labels) < 2:
        return
    if not labels.is_monotonic_increasing or labels.has_duplicates:
        raise ValueError(
            f"The {type(labels).__name__} of {input_name} is not strictly "
            "increasing (rows reversed, shuffled or repeated): its rows must "
            "be consecutive time steps, oldest first. Sort it, e.g. with "
            f"{input_name}.sort_index()."
        )


def steps_between(end, first, freq) -> int | None:
    """Time steps from ``end`` to ``first`` (1: the next row), or None.

    None when the two cannot be placed on one clock: labels of other kinds,
    a time stamp without frequency, or a distance off the frequency's grid.
    """
    if isinstance(end, Integral) and isinstance(first, Integral):
        return int(first) - int(end)
    if isinstance(end, pd.Period) and isinstance(first, pd.Period):
        return (first - end).n if end.freq == first.freq else None
    if not (
        isinstance(end, pd.Timestamp)
        and isinstance(first, pd.Timestamp)
        and freq is not None
        and first > end
    ):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            stamps = pd.date_range(end, first, freq=freq)
        except (TypeError, ValueError, OverflowError):
            return None
    if len(stamps) > _MAX_GAP or len(stamps) < 2 or stamps[-1] != first:
        return None
    return len(stamps) - 1


def _can_fill_gap(est) -> bool:
    """Whether rows between fit and predict can be forecast from the target."""
    features = [int(j) for j in est._feature_positions]
    return (
        est.target_column_ is not None
        and not len(est.known_columns_)
        and features == [est.target_column_]
    )


def series_history(est, key, labels) -> np.ndarray | None:
    """The rows to put before a series' rows in ``predict``, or None.

    ``labels`` are the index labels of the series' rows in ``predict`` (or
    None). The rows continue the training series ``key`` when the first
    label comes after its last training label: the history is then the
    stored end of that series, followed by forecasts for any rows between.
    """
    end = getattr(est, "_series_last_label", {}).get(key)
    if labels is None or end is None or not len(labels):
        return None
    if isinstance(labels, pd.Index) and not labels.is_monotonic_increasing:
        return None
    clock = est._series_clock.get(key)
    steps = steps_between(end, labels[0], None if clock is None else clock[1])
    if steps is None or steps < 1 or steps > _MAX_GAP:
        return None
    tail = est._series_tails[key]
    if steps == 1:
        return tail
    if not _can_fill_gap(est):
        warnings.warn(
            f"The rows of X start {steps - 1} step(s) after the end of the "
            "training data, and the rows between cannot be forecast (the "
            "forecaster reads other columns than the target): X is forecast "
            "without the training history.",
            UserWarning,
        )
        return None
    gap = np.full((steps - 1, tail.shape[1]), np.nan)
    outputs = est._recursive_outputs(tail, gap, est._stats_for(key))
    gap[:, est.target_column_] = outputs[:, 0]
    return np.concatenate([tail, gap])
