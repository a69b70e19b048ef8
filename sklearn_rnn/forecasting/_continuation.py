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

from ._series import series_clock

__all__ = [
    "check_time_order",
    "end_label",
    "index_labels",
    "record_series_ends",
    "series_history",
    "steps_between",
]

# Rows between fit and predict are forecast (recursively) up to this many
# windows of them; a longer gap reads X alone, with a warning.
_MAX_GAP_WINDOWS = 4


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


def end_label(labels) -> tuple:
    """The last label of a series' rows in ``fit`` and the step between labels.

    An integer index steps by the one difference between consecutive labels
    of the series (2 for two series interleaved over a RangeIndex); one
    that steps unevenly (rows dropped) places nothing: ``(None, None)``.
    Time indexes step by their frequency: the step is None.
    """
    if labels is None or not len(labels):
        return None, None
    last = labels[-1]
    if isinstance(labels, (pd.DatetimeIndex, pd.PeriodIndex)):
        return last, None
    steps = np.unique(np.diff(np.asarray(labels, dtype=np.int64)))
    if len(steps) > 1 or (len(steps) == 1 and steps[0] < 1):
        return None, None
    return int(last), int(steps[0]) if len(steps) else 1


def steps_between(end, first, step) -> int | None:
    """Time steps from ``end`` to ``first`` (1: the next row), or None.

    ``step`` is the distance between consecutive rows: an int for integer
    labels, a frequency for time stamps. None when the two cannot be placed
    on one clock: labels of other kinds, a time stamp without frequency, or
    a distance off the grid.
    """
    if isinstance(end, Integral) and isinstance(first, Integral):
        if not isinstance(step, Integral) or (int(first) - int(end)) % step:
            return None
        return (int(first) - int(end)) // step
    if isinstance(end, pd.Period) and isinstance(first, pd.Period):
        return (first - end).n if end.freq == first.freq else None
    if not (
        isinstance(end, pd.Timestamp)
        and isinstance(first, pd.Timestamp)
        and step is not None
        and first > end
    ):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            # Bounded: the distance in the frequency's own units.
            n = (first - end) // pd.Timedelta(step)
        except (TypeError, ValueError, OverflowError):
            n = None
        if n is not None and n > 10**6:
            return None
        try:
            stamps = pd.date_range(end, first, freq=step)
        except (TypeError, ValueError, OverflowError):
            return None
    if len(stamps) < 2 or stamps[-1] != first:
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


def _read_alone(message: str) -> None:
    warnings.warn(
        f"{message}: X is forecast without the training history.", UserWarning
    )


def series_history(est, key, labels) -> np.ndarray | None:
    """The rows to put before a series' rows in ``predict``, or None.

    ``labels`` are the index labels of the series' rows in ``predict`` (or
    None). The rows continue the training series ``key`` when the first
    label comes after its last training label: the history is then the
    stored end of that series, followed by forecasts for any rows between.
    """
    end = est._series_last_label.get(key)
    if labels is None or end is None or not len(labels):
        return None
    if not labels.is_monotonic_increasing or not labels[0] > end:
        return None  # overlapping the training rows, or out of order
    clock = est._series_clock.get(key)
    step = est._series_label_step.get(key) if clock is None else clock[1]
    steps = steps_between(end, labels[0], step)
    if steps is None:
        _read_alone(
            "The rows of X come after the end of the training data, but their "
            "distance from it cannot be counted in steps (an index without a "
            "regular frequency or step)"
        )
        return None
    tail = est._series_tails[key]
    if steps == 1:
        return tail
    gap = steps - 1
    if gap > _MAX_GAP_WINDOWS * est.window_ or not _can_fill_gap(est):
        _read_alone(
            f"The rows of X start {gap} step(s) after the end of the training "
            "data, and the rows between cannot be forecast (too many, or the "
            "forecaster reads other columns than the target)"
        )
        return None
    rows = np.full((gap, tail.shape[1]), np.nan)
    outputs = est._recursive_outputs(tail, rows, est._stats_for(key))
    rows[:, est.target_column_] = outputs[:, 0]
    return np.concatenate([tail, rows])


def record_series_ends(est, values, series, X) -> None:
    """Keep the last rows, label and clock of each series.

    ``forecast`` continues from them, and ``predict`` reads them as the
    history of rows that come after them (see ``_continuation``).
    """
    est._series_tails, est._series_clock = {}, {}
    est._series_last_label, est._series_label_step = {}, {}
    index, labels = getattr(X, "index", None), index_labels(X)
    n_rows = est.horizon_ + est.window_ - 1
    for key, rows in series:
        part = values if rows is None else values[rows]
        est._series_tails[key] = part[-n_rows:].copy()
        est._series_clock[key] = series_clock(index, rows)
        own = None if labels is None else labels if rows is None else labels[rows]
        check_time_order(own)
        last, step = end_label(own)
        est._series_last_label[key] = last
        est._series_label_step[key] = step
