# SPDX-License-Identifier: BSD-3-Clause
"""``forecast(steps)``: continuing a series past its last observed row.

The first ``horizon`` steps are direct forecasts from the observed rows;
later ones are recursive: each block of ``horizon`` forecasts fills the
target column of the rows it forecasts, and the next block reads them.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.utils import check_scalar
from sklearn.utils.validation import check_is_fitted

from .._sequences import MAX_STEPS as _MAX_STEPS
from ._columns import validate_table
from ._series import future_index, series_clock
from ._windows import SeriesTargets, network_outputs, window_forecasts

__all__ = ["_ForecastMixin"]


def _irregular(where: str) -> None:
    raise ValueError(
        f"The time index of {where} has no regular frequency (none is set and "
        "pandas cannot infer one), so the forecasts cannot be dated. Give it "
        "one, e.g. X.asfreq('D') (missing steps become NaN to fill), or pass "
        "the rows without a time index to forecast plain arrays."
    )


class _ForecastMixin:
    """The :meth:`forecast` method of :class:`SequenceForecaster`.

    It reads the forecaster's fitted state: the end of each training series
    (``_series_tails``) and its time stamps (``_series_clock``), the column
    roles, ``horizon_`` and the network through ``_predict_padded``.
    """

    def forecast(
        self,
        steps: int,
        X_future=None,
        history=None,
        series=None,
        return_quantiles: bool = False,
    ):
        """Forecast the ``steps`` values that follow the end of a series.

        The first ``horizon`` steps are direct forecasts from the observed
        rows; later steps are recursive: the forecasts fill the target column
        of the rows they forecast, and the next forecasts read them.

        Parameters
        ----------
        steps : int
            Number of future steps (at least 1).
        X_future : array-like of shape (steps, n_features), default=None
            The rows of ``X`` for the future steps. Only ``known_columns`` are
            read (other columns may be NaN); required when there are known
            columns.
        history : array-like of shape (n_rows, n_features), default=None
            The recent rows of one series to continue, with the columns of
            ``fit``. Default: the end of the training data.
        series : hashable, default=None
            The id of the training series to continue (one of
            ``series_ids_``), when ``fit`` saw several (``series_column``)
            and ``history`` is None. With a ``history``, it may only repeat
            the series id that ``history`` holds.
        return_quantiles : bool, default=False
            Also return the forecast quantiles ``quantiles_``. Only for
            ``steps <= horizon``: recursive steps read earlier forecasts as
            if they were observed, so quantiles there would leave out the
            error of those forecasts and be too narrow. For intervals further
            ahead, fit with a larger ``horizon``.

        Returns
        -------
        y_future : ndarray of shape (steps,) or pandas.Series
            The forecasts. A Series indexed by the next time stamps when the
            history (the training ``X`` by default) was a DataFrame with a
            DatetimeIndex or PeriodIndex whose frequency is set or inferable.
        y_quantiles : ndarray of shape (steps, n_quantiles) or pandas.DataFrame
            Only with ``return_quantiles=True``: the sorted quantiles, one
            column per level (a DataFrame with the same index as
            ``y_future`` when that is a Series).

        Raises
        ------
        ValueError
            If ``steps > horizon`` and the inputs cannot be continued: no
            target column, or observed columns that are neither the target nor
            known in advance. Or if ``X_future`` is missing or of the wrong
            length when there are known columns. Or if ``series`` is given to
            a forecaster fitted on one series, is not a single series id
            (a list, for instance), or differs from the series of ``history``.
        """
        check_is_fitted(self)
        if isinstance(steps, bool):
            raise ValueError(f"steps must be a positive int, got {steps!r}.")
        check_scalar(steps, "steps", Integral, min_val=1, max_val=_MAX_STEPS)
        self._check_series_argument(series)
        values, key, clock = self._forecast_origin(history, series)
        if return_quantiles:
            self._check_forecast_quantiles(steps)
        if steps > self.horizon_:
            self._check_recursive()
        future = self._future_rows(steps, X_future)
        outputs = self._recursive_outputs(values, future, self._stats_for(key))
        preds, quantiles = outputs[:, 0], np.sort(outputs[:, 1:], axis=1)
        if clock is not None:
            index = future_index(clock, steps)
            preds = pd.Series(preds, index=index, name=self._y_name)
            quantiles = pd.DataFrame(quantiles, index=index, columns=self.quantiles_)
        return (preds, quantiles) if return_quantiles else preds

    def _check_series_argument(self, series) -> None:
        try:
            hash(series)
        except TypeError:
            raise ValueError(
                f"series must be a single series id (see series_ids_), got "
                f"{series!r}; forecast one series per call."
            ) from None
        if series is not None and not hasattr(self, "series_ids_"):
            raise ValueError(
                f"series={series!r}, but the forecaster was fitted on a single "
                "series (series_column=None): leave series=None."
            )

    def _forecast_origin(self, history, series):
        """Return the rows to continue, their series id and clock (or None)."""
        if history is None:
            key = self._tail_key(series)
            clock = self._series_clock[key]
            if clock is None and isinstance(
                self._series_last_label.get(key), (pd.Timestamp, pd.Period)
            ):
                _irregular("X of fit")
            return self._series_tails[key], key, clock
        values, ids, _ = validate_table(
            self, history, reset=False, input_name="history"
        )
        key = None
        if ids is not None:
            keys = pd.unique(ids)
            if pd.isna(keys).any():
                raise ValueError("The series_column of history holds missing values.")
            if len(keys) != 1:
                raise ValueError(
                    "history must hold one series; its series_column has "
                    f"{len(keys)} different values."
                )
            key = keys[0].item() if hasattr(keys[0], "item") else keys[0]
            if series is not None and series != key:
                raise ValueError(
                    f"series={series!r}, but history holds the series "
                    f"{key!r}: a history is continued as its own series; "
                    "pass series=None with it."
                )
        index = getattr(history, "index", None)
        clock = series_clock(index, None)
        if clock is None and isinstance(index, (pd.DatetimeIndex, pd.PeriodIndex)):
            _irregular("history")
        return values, key, clock

    def _tail_key(self, series):
        """The training series to continue: ``series``, or the only one."""
        tails = self._series_tails
        if series is None:
            if len(tails) > 1:
                raise ValueError(
                    f"The forecaster was fitted on {len(tails)} series: pass "
                    "series=<id> (see series_ids_) or a history."
                )
            return next(iter(tails))
        if series not in tails:
            raise ValueError(
                f"series={series!r} was not seen in fit; known series: "
                f"{list(tails)[:10]!r}."
            )
        return series

    def _check_forecast_quantiles(self, steps: int) -> None:
        if self.quantiles_ is None:
            raise ValueError(
                "return_quantiles=True needs quantiles set at construction, "
                "for instance quantiles=(0.1, 0.5, 0.9)."
            )
        if steps > self.horizon_:
            raise ValueError(
                f"return_quantiles=True covers at most horizon = {self.horizon_} "
                f"steps, got steps={steps}: recursive steps would give too "
                "narrow quantiles. Fit with horizon >= steps for them."
            )

    def _check_recursive(self) -> None:
        """Refuse recursive steps unless every input's future can be filled."""
        if self.target_column_ is None:
            raise ValueError(
                f"Forecasting more than horizon={self.horizon_} steps is recursive "
                "and needs the target among the inputs: set target_column (the "
                "column of X holding the observed target)."
            )
        unknown = [
            int(j)
            for j in self._feature_positions
            if j != self.target_column_ and j not in self.known_columns_
        ]
        if unknown:
            raise ValueError(
                f"Forecasting more than horizon={self.horizon_} steps is recursive, "
                f"but columns {unknown} of X are neither the target nor known in "
                "advance, so their future is unknown. Declare them in "
                "known_columns, or forecast at most horizon steps."
            )

    def _future_rows(self, steps: int, X_future) -> np.ndarray:
        """Rows for the future steps: the known columns of ``X_future``, else NaN."""
        future = np.full((steps, self.n_features_in_), np.nan)
        if len(self.known_columns_) and X_future is None:
            raise ValueError(
                "X_future is required: the forecaster reads known_columns at "
                "the forecast time."
            )
        if X_future is None:
            return future
        # Checked even when nothing in it is read: a mismatch is a mistake.
        rows, _, _ = validate_table(
            self, X_future, reset=False, allow_nan=True, input_name="X_future"
        )
        if len(rows) != steps:
            raise ValueError(
                f"X_future has {len(rows)} rows, but steps={steps}; give one "
                "row per future step."
            )
        if len(self.known_columns_):
            known = rows[:, self.known_columns_]
            if not np.isfinite(known).all():
                raise ValueError("X_future has NaN or infinity in known_columns.")
            future[:, self.known_columns_] = known
        return future

    def _recursive_outputs(self, values, future, stats) -> np.ndarray:
        """Forecast the ``future`` rows block by block, feeding forecasts back.

        Each block holds ``horizon`` steps: read from the windows that end
        ``horizon`` steps before each (one lead), or all from the window
        that ends just before the block (``multi_output``).
        """
        steps = len(future)
        extended = np.concatenate([values, future])
        outputs = np.empty((steps, self._n_outputs))
        for start in range(0, steps, self.horizon_):
            block = np.arange(start, min(start + self.horizon_, steps))
            targets = len(values) + block
            if self.multi_output_:
                out = window_forecasts(self, extended, stats, targets[0] - 1)
                out = out[: len(block)]
            else:
                # One small batch per block: no padding to batch_size rows.
                (out,) = network_outputs(
                    self, [SeriesTargets(extended, stats, targets)], pad=False
                )
            outputs[block] = out
            if self.target_column_ is not None:
                extended[targets, self.target_column_] = out[:, 0]
        return outputs
