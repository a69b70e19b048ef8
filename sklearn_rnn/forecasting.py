# SPDX-License-Identifier: BSD-3-Clause
"""Forecasting time-ordered tables with a recurrent network.

:class:`SequenceForecaster` reads a table whose rows are time steps. It cuts
the windows itself, so ``fit(X, y)``, ``predict(X)`` and ``score(X, y)`` keep
one row per time step and the estimator works unchanged with scikit-learn's
model selection (``cross_val_score`` with ``TimeSeriesSplit``,
``GridSearchCV``) and its scorers.
"""

from __future__ import annotations

import warnings
from functools import partial
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
import pandas as pd
import torch
from pandas.tseries.frequencies import to_offset
from sklearn.base import RegressorMixin
from sklearn.utils import check_array, check_scalar, column_or_1d
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_consistent_length, check_is_fitted

from ._compat import (
    Interval,
    StrOptions,
    _check_sample_weight,
    _fit_context,
    validate_data,
)
from ._docs import _FORECASTER_ARCHITECTURE_DOC, _FORECASTER_TRAINING_DOC
from ._engine import _RNNEngine
from ._sequences import split_nan_padding
from .modules import PinballLoss

__all__ = ["SequenceForecaster"]


def _equals(column: np.ndarray, y: np.ndarray) -> bool:
    """Whether a column of X holds the target y (up to float32 rounding)."""
    return bool(np.allclose(column, y, rtol=1e-6, atol=0))


def _target_scale(spread: np.ndarray, centered: bool) -> float:
    """Return the scale of the network's target, or 0 when there is none.

    Centered targets (``normalize="none"``) are scaled by their deviation.
    Changes from the window's level (``normalize="window"``) are not
    centered: scaled by their root mean square, so a steady trend, whose
    changes hardly vary, keeps targets of order one.
    """
    if centered:
        return float(np.std(spread)) if len(spread) > 1 else 0.0
    return float(np.sqrt(np.mean(np.square(spread)))) if len(spread) else 0.0


class _Stats(NamedTuple):
    """Target scaling of one series, and its forecast when nothing is observed."""

    center: float
    scale: float
    fallback: np.ndarray  # point forecast, then quantiles, on the original scale


def _column_positions(spec, names, n_columns: int, param: str) -> list[int]:
    """Return the positions of the columns of X that ``spec`` designates."""
    items = [spec] if isinstance(spec, (str, Integral)) else list(spec)
    positions = []
    for item in items:
        if isinstance(item, str):
            if names is None or item not in list(names):
                known = "" if names is None else f" Known columns: {list(names)!r}."
                raise ValueError(f"{param}: {item!r} is not a column of X.{known}")
            positions.append(list(names).index(item))
        elif isinstance(item, Integral) and not isinstance(item, bool):
            if not -n_columns <= item < n_columns:
                raise ValueError(
                    f"{param}: column {item} is out of range for X with "
                    f"{n_columns} column(s)."
                )
            positions.append(int(item) % n_columns)
        else:
            raise ValueError(
                f"{param} must name columns of X by position or name; got {item!r}."
            )
    if len(set(positions)) != len(positions):
        raise ValueError(f"{param} names the same column twice: {spec!r}.")
    return positions


def _split_series(ids) -> list[tuple[object, np.ndarray]]:
    """Return ``(series id, row positions)`` pairs, rows kept in their order."""
    if ids is None:
        return [(None, None)]
    codes, uniques = pd.factorize(ids)
    if (codes < 0).any():
        raise ValueError("The series_column of X holds missing values.")
    order = np.argsort(codes, kind="stable")
    bounds = np.cumsum(np.bincount(codes, minlength=len(uniques)))[:-1]
    return list(zip(uniques.tolist(), np.split(order, bounds)))


def _index_info(index, rows):
    """Return the last time stamp of ``rows`` and the index's frequency, or None."""
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


class SequenceForecaster(RegressorMixin, _RNNEngine):
    __doc__ = f"""Recurrent network forecaster over a table of time steps.

    The rows of ``X`` are consecutive time steps (oldest first) and its
    columns what is observed at each step; ``y`` is the target. The forecast
    of ``y[t]`` reads the window of rows ``t - horizon - window + 1, ...,
    t - horizon`` of ``X``, plus the ``known_columns`` (calendar, holidays)
    at row ``t``. The target's own past reaches the network only through
    ``X``: put the observed target in a column of ``X`` (``target_column``),
    so that ``predict(X)`` needs nothing but ``X`` and scikit-learn's model
    selection and scorers work unchanged.

    Parameters
    ----------
    window : int, default=24
        Number of past time steps the network reads for each forecast.

    horizon : int, default=1
        How many steps ahead the forecast is made: ``predict(X)[t]`` uses only
        rows up to ``t - horizon`` (and known columns up to row ``t``).

    known_columns : int, str or list of them, default=None
        Columns of ``X`` known in advance (calendar features, holidays,
        planned prices), by position or name. They are also read at the
        target time ``t``; every other column only up to ``t - horizon``.

    target_column : "auto", int, str or None, default="auto"
        The column of ``X`` holding the observed target (``X[t, c] == y[t]``,
        which ``fit`` checks up to float32 rounding). It is needed by
        ``normalize="window"`` and by :meth:`forecast` beyond ``horizon``
        steps. "auto" takes the one column equal to ``y`` in ``fit``, if
        there is exactly one (a column literally named "auto" must be given
        by position); None means the target is not in ``X``.

    series_column : int, str or None, default=None
        A column of ``X`` holding a series identifier, for several series in
        one table (long format; rows of each series in time order, series may
        interleave). One model is trained on all series; windows never cross
        series, and the target is scaled per series. The column is not an
        input of the network. A constructor parameter rather than a ``fit``
        argument, because ``predict`` and scorers need it too.

    normalize : {{"auto", "window", "none"}}, default="auto"
        How the target's level is handled. "window" subtracts the last
        observed target value of each window (at ``t - horizon``) from the
        target and from the target column of the window, so the network
        predicts the change: trending series extrapolate. "none" standardizes
        the target with the mean and deviation of each series in ``fit``.
        "auto" is "window" when a target column is known, else "none".

    quantiles : sequence of float or None, default=None
        Quantile levels in (0, 1), for instance ``(0.1, 0.5, 0.9)``, trained
        with the pinball loss beside the point forecast, for
        :meth:`predict_quantiles` and :meth:`predict_interval`.

{_FORECASTER_ARCHITECTURE_DOC}
{_FORECASTER_TRAINING_DOC}
    Attributes
    ----------
    n_features_in_ : int
        Number of columns of ``X`` seen in ``fit`` (series column included).

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the columns of ``X`` in ``fit``, when they are all strings.

    target_column_ : int or None
        Position of the target column in ``X``, or None.

    window_ : int
        The ``window`` used in ``fit``; ``predict`` and :meth:`forecast` read
        this one, so ``set_params`` takes effect at the next ``fit``.

    horizon_ : int
        The ``horizon`` used in ``fit``.

    known_columns_ : ndarray of int
        Positions of the known columns in ``X``.

    normalize_ : {{"window", "none"}}
        The normalization used.

    quantiles_ : ndarray or None
        The quantile levels, in increasing order.

    series_ids_ : ndarray
        Series identifiers seen in ``fit`` (only with ``series_column``).

    net_ : skorch.NeuralNet
        The trained skorch net.

    n_iter_ : int
        Number of epochs trained.

    See Also
    --------
    RNNRegressor : The network on ready-made sequences.
    SequenceWindower : One window per row, for a pipeline of your own.
    sklearn.model_selection.TimeSeriesSplit : Cross-validation in time order.

    Notes
    -----
    **Alignment.** ``predict(X)`` has one value per row of ``X``. The first
    rows of a series have less history: row ``t`` reads rows ``0, ...,
    t - horizon`` when that is shorter than ``window``. The first ``horizon``
    rows of each series have no history at all; they get the mean of the
    series' target in ``fit`` (and its empirical quantiles), a finite
    forecast that keeps scorers working and carries no information. Each call
    sees only the rows it is given: score a test fold with its history by
    predicting on the whole series and keeping the test rows.

    **Scaling.** Non-target columns are standardized with their mean and
    deviation in ``fit``; the target (and the target column) per series, so
    data on any scale trains like standardized data. With
    ``normalize="window"`` the scale is the root mean square of the
    ``horizon``-step changes of the target, so that a steady trend (changes
    that hardly vary) still gives the network targets of order one. Series
    not seen in ``fit`` use the mean and fallback of all rows together and a
    scale pooled within series (with ``normalize="none"``, the deviations of
    each series from its own mean, not the gaps between series levels); a
    constant series keeps its mean and takes that pooled scale.

    **Scoring.** ``score`` is R^2. Use ``scoring="neg_mean_absolute_error"``
    or ``"neg_mean_absolute_percentage_error"`` in ``cross_val_score`` or
    ``GridSearchCV`` for MAE or MAPE; with ``TimeSeriesSplit`` every fold
    trains on the past and tests on the future.

    ``X`` must be complete: fill or drop missing values first (in
    :meth:`forecast`, only ``X_future`` may hold NaN, outside the known
    columns). Sample weights weigh the forecast of each target row. ``early_stopping``
    holds out the latest ``validation_fraction`` of each series' windows.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_rnn.forecasting import SequenceForecaster
    >>> t = np.arange(300.0)
    >>> y = 500 + 2 * t + 20 * np.sin(2 * np.pi * t / 12)
    >>> X = y.reshape(-1, 1)  # the observed target is the input
    >>> fc = SequenceForecaster(window=12, hidden_size=16, max_epochs=20,
    ...                         random_state=0)
    >>> fc.fit(X[:250], y[:250]).score(X[200:], y[200:]) > 0.9
    True
    >>> fc.forecast(3).shape  # the 3 steps after the training data
    (3,)
    """

    _parameter_constraints: dict = {
        **_RNNEngine._parameter_constraints,
        "window": [Interval(Integral, 1, None, closed="left")],
        "horizon": [Interval(Integral, 1, None, closed="left")],
        "known_columns": [None, Integral, str, "array-like"],
        # "auto" or a column name (any str), a position or None.
        "target_column": [None, Integral, str],
        "series_column": [None, Integral, str],
        "normalize": [StrOptions({"auto", "window", "none"})],
        "quantiles": [None, "array-like"],
    }

    def __init__(
        self,
        *,
        window: int = 24,
        horizon: int = 1,
        known_columns=None,
        target_column="auto",
        series_column=None,
        normalize: str = "auto",
        quantiles=None,
        cell: str = "lstm",
        hidden_size: int = 64,
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
        pooling: str = "last",
        head_hidden_sizes: tuple[int, ...] = (),
        projection_size: int | None = None,
        optimizer: str | type = "adam",
        lr: float = 0.005,
        weight_decay: float = 0.0,
        lr_schedule: str | None = None,
        batch_size: int = 32,
        max_epochs: int = 100,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 10,
        tol: float = 1e-4,
        clip_grad_norm: float | None = 1.0,
        device: str = "cpu",
        n_threads: int | None = None,
        random_state=None,
        verbose: int = 0,
        callbacks: list | None = None,
        warm_start: bool = False,
    ):
        super().__init__(
            cell=cell,
            hidden_size=hidden_size,
            num_layers=num_layers,
            bidirectional=bidirectional,
            dropout=dropout,
            pooling=pooling,
            head_hidden_sizes=head_hidden_sizes,
            projection_size=projection_size,
            optimizer=optimizer,
            lr=lr,
            weight_decay=weight_decay,
            lr_schedule=lr_schedule,
            batch_size=batch_size,
            max_epochs=max_epochs,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            tol=tol,
            clip_grad_norm=clip_grad_norm,
            device=device,
            n_threads=n_threads,
            random_state=random_state,
            verbose=verbose,
            callbacks=callbacks,
            warm_start=warm_start,
        )
        self.window = window
        self.horizon = horizon
        self.known_columns = known_columns
        self.target_column = target_column
        self.series_column = series_column
        self.normalize = normalize
        self.quantiles = quantiles

    # -- input -------------------------------------------------------------

    def _validate_table(
        self,
        X,
        y=None,
        *,
        reset: bool,
        allow_nan: bool = False,
        input_name: str = "X",
    ):
        """Return ``X`` as float64 (series column zeroed), the series ids and y.

        ``input_name`` is the argument's name in error messages.
        """
        if reset and y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None."
            )
        finite = not allow_nan
        named = input_name != "X"
        if named:
            # scikit-learn's messages call every input "X".
            n_columns = check_array(
                X, dtype=None, ensure_all_finite=False, input_name=input_name
            ).shape[1]
            if n_columns != self.n_features_in_:
                raise ValueError(
                    f"{input_name} has {n_columns} features, but "
                    f"{type(self).__name__} is expecting {self.n_features_in_} "
                    "features as input."
                )
        # After fit, the fitted column roles rule: a series_column changed by
        # set_params applies at the next fit.
        by_series = (
            self.series_column is not None
            if reset
            else getattr(self, "_series_pos", None) is not None
        )
        if not by_series:
            if reset:
                self._series_pos = None
            if named:
                validate_data(self, X, reset=reset, skip_check_array=True)
                values = check_array(
                    X,
                    dtype=np.float64,
                    ensure_all_finite=finite,
                    input_name=input_name,
                    estimator=self,
                )
            elif y is None:
                values = validate_data(
                    self, X, reset=reset, dtype=np.float64, ensure_all_finite=finite
                )
            else:
                values, y = validate_data(
                    self, X, y, reset=reset, dtype=np.float64, y_numeric=True
                )
            return values, None, y

        validate_data(self, X, reset=reset, skip_check_array=True)
        names = getattr(self, "feature_names_in_", None)
        if reset:
            (self._series_pos,) = _column_positions(
                self.series_column, names, self.n_features_in_, "series_column"
            )
        pos = self._series_pos
        others = [j for j in range(self.n_features_in_) if j != pos]
        if hasattr(X, "iloc"):
            ids, rest = X.iloc[:, pos].to_numpy(), X.iloc[:, others]
        else:
            table = check_array(
                X, dtype=None, ensure_all_finite=False, input_name=input_name
            )
            ids, rest = table[:, pos], table[:, others]
        if not others:
            raise ValueError(f"{input_name} has no columns besides the series_column.")
        rest = check_array(
            rest, dtype=np.float64, ensure_all_finite=finite, input_name=input_name
        )
        values = np.insert(rest, pos, 0.0, axis=1)
        if y is not None:
            y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
            y = column_or_1d(y, warn=True)
            check_consistent_length(values, y)
        return values, np.asarray(ids), y

    def _resolve_columns(self, values: np.ndarray, y: np.ndarray) -> None:
        """Set the fitted column roles, normalization and quantile levels."""
        names = getattr(self, "feature_names_in_", None)
        n_columns = self.n_features_in_
        series = [] if self._series_pos is None else [self._series_pos]
        features = [j for j in range(n_columns) if j not in series]
        known = []
        if self.known_columns is not None:
            known = _column_positions(
                self.known_columns, names, n_columns, "known_columns"
            )
            if set(known) & set(series):
                raise ValueError("known_columns must not hold the series_column.")
        target = self.target_column
        if isinstance(target, str) and target == "auto":
            matches = [j for j in features if _equals(values[:, j], y)]
            if set(matches) & set(known):
                raise ValueError(
                    "A column of known_columns equals y: the target cannot be "
                    "known in advance (it would leak the value to forecast)."
                )
            target = matches[0] if len(matches) == 1 else None
        elif target is not None:
            (target,) = _column_positions(target, names, n_columns, "target_column")
            if target in series:
                raise ValueError("target_column must not be the series_column.")
            if target in known:
                raise ValueError(
                    "target_column is among known_columns: the target cannot be "
                    "known in advance (it would leak the value to forecast)."
                )
            if not _equals(values[:, target], y):
                raise ValueError(
                    f"target_column={self.target_column!r} does not hold y: the "
                    "target column must equal y at every row (X[t, c] == y[t]). "
                    "Set target_column=None if X does not hold the target."
                )
        normalize = self.normalize
        if normalize == "auto":
            normalize = "window" if target is not None else "none"
        elif normalize == "window" and target is None:
            raise ValueError(
                "normalize='window' subtracts the last observed target value, but "
                "X has no target column: set target_column, or normalize='none'."
            )
        quantiles = None
        if self.quantiles is not None:
            try:
                quantiles = np.asarray(self.quantiles, dtype=np.float64).ravel()
            except (TypeError, ValueError) as exc:
                raise ValueError(
                    f"quantiles must be numbers in (0, 1), got {self.quantiles!r}."
                ) from exc
            if (
                quantiles.size == 0
                or not np.all((quantiles > 0) & (quantiles < 1))
                or len(np.unique(quantiles)) != len(quantiles)
            ):
                raise ValueError(
                    "quantiles must be distinct levels in (0, 1), got "
                    f"{self.quantiles!r}."
                )
            quantiles = np.sort(quantiles)
        self.known_columns_ = np.asarray(known, dtype=np.int64)
        self.target_column_ = target
        self.normalize_ = normalize
        self.quantiles_ = quantiles
        self._features = np.asarray(features)
        self._known_ch = [features.index(k) for k in known]
        self._target_ch = None if target is None else features.index(target)

    # -- scaling and windows -----------------------------------------------

    def _target_stats(self, values, y, rows) -> tuple[_Stats, np.ndarray]:
        """Return the scaling and fallback of one series, and what it scales."""
        y_s = y if rows is None else y[rows]
        h = self.horizon_
        if self.normalize_ == "window":
            x_s = values if rows is None else values[rows]
            spread = y_s[h:] - x_s[:-h, self.target_column_]
        else:
            spread = y_s
        fallback = [np.mean(y_s)]
        if self.quantiles_ is not None:
            fallback.extend(np.quantile(y_s, self.quantiles_))
        scale = _target_scale(spread, centered=self.normalize_ == "none")
        return _Stats(float(np.mean(y_s)), scale, np.array(fallback)), spread

    def _stats_for(self, key) -> _Stats:
        return self._series_stats.get(key, self._global_stats)

    def _inputs(self, values, stats: _Stats, targets) -> tuple[np.ndarray, np.ndarray]:
        """Return the NaN-padded windows for ``targets`` and each one's level.

        ``values`` holds the rows of one series; ``targets`` are row positions
        of at least ``horizon``. The level (the scaled target at the origin,
        under ``normalize="window"``, else 0) is added back to the outputs.
        """
        Z = (values[:, self._features] - self._x_mean) / self._x_scale
        if self._target_ch is not None:
            Z[:, self._target_ch] = (
                values[:, self.target_column_] - stats.center
            ) / stats.scale
        origins = targets - self.horizon_
        start = np.maximum(origins - self.window_ + 1, 0)
        steps = start[:, None] + np.arange(self.window_)
        valid = steps <= origins[:, None]
        windows = Z[np.minimum(steps, origins[:, None])]
        level = np.zeros(len(targets))
        if self.normalize_ == "window":
            level = Z[origins, self._target_ch]
            windows[:, :, self._target_ch] -= level[:, None]
        if self._known_ch:
            # Known columns at the target time, beside every step of the window.
            known = Z[targets][:, self._known_ch]
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

    def _outputs(self, jobs, pad: bool = True) -> list[np.ndarray]:
        """Return the outputs, on the target's scale, of each job.

        A job is ``(values, stats, targets)`` for one series. One pass of the
        network serves all jobs. Columns: point forecast, then quantiles.
        """
        results, inputs = [], []
        for values, stats, targets in jobs:
            out = np.tile(stats.fallback, (len(targets), 1))
            has_history = targets >= self.horizon_
            level = None
            if has_history.any():
                windows, level = self._inputs(values, stats, targets[has_history])
                inputs.append(windows)
            results.append((out, has_history, level, stats))
        if inputs:
            # Windows cut here from validated rows: only their NaN padding
            # needs reading, not the checks of user input.
            windows, lengths = split_nan_padding(np.concatenate(inputs))
            raw = self._predict_padded(windows, lengths, pad=pad).astype(np.float64)
            start = 0
            for out, has_history, level, stats in results:
                if level is None:
                    continue
                part = raw[start : start + len(level)]
                start += len(level)
                out[has_history] = (part + level[:, None]) * stats.scale + stats.center
        return [out for out, *_ in results]

    def _predict_all(self, X) -> np.ndarray:
        check_is_fitted(self)
        values, ids, _ = self._validate_table(X, reset=False)
        out = np.empty((len(values), self._n_outputs))
        series = _split_series(ids)
        jobs = []
        for key, rows in series:
            part = values if rows is None else values[rows]
            jobs.append((part, self._stats_for(key), np.arange(len(part))))
        for (_, rows), result in zip(series, self._outputs(jobs)):
            out[slice(None) if rows is None else rows] = result
        return out

    def _graph_inputs(self, X) -> tuple[dict, np.ndarray]:
        """The exported graph's inputs for the rows of ``X`` that have history.

        ``predict(X)[rows] == (net(X_w, lengths) + level) * scale + offset``.
        """
        check_is_fitted(self)
        values, ids, _ = self._validate_table(X, reset=False)
        windows, levels, scales, offsets, rows = [], [], [], [], []
        for key, part_rows in _split_series(ids):
            part = values if part_rows is None else values[part_rows]
            positions = np.arange(len(values)) if part_rows is None else part_rows
            stats = self._stats_for(key)
            targets = np.arange(self.horizon_, len(part))
            if not len(targets):
                continue
            w, level = self._inputs(part, stats, targets)
            windows.append(w)
            levels.append(level)
            scales.append(np.full(len(targets), stats.scale))
            offsets.append(np.full(len(targets), stats.center))
            rows.append(positions[targets])
        if not windows:
            raise ValueError(
                f"X has no row with history: every series has at most horizon = "
                f"{self.horizon_} rows."
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

    # -- fit ---------------------------------------------------------------

    def _criterion(self, holds_out: bool = False):
        if self.quantiles_ is None:
            return torch.nn.MSELoss
        return partial(
            PinballLoss, quantiles=tuple(self.quantiles_.tolist()), point_output=True
        )

    @staticmethod
    def _valid_score(y_pred, target):
        """R^2 of the point forecast of the scaled change (or level) of y.

        The network's targets are scaled per series and, with
        ``normalize="window"``, relative to each window's level, so this is
        not the R^2 of ``score`` on the original target.
        """
        y_pred = y_pred.double()[:, 0]
        target = target.double().reshape(-1)
        total = ((target - target.mean()) ** 2).sum()
        residual = ((target - y_pred) ** 2).sum()
        return torch.where(total > 0, 1 - residual / total.clamp_min(1e-300), 0.0)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None) -> SequenceForecaster:
        """Train the network on every (window, target) pair of each series.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows are time steps, oldest first; columns are observed at each
            step (the target itself, covariates, known columns, a series id).
        y : array-like of shape (n_samples,)
            The target at each time step.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of the forecast of each row in the loss.

        Returns
        -------
        self : SequenceForecaster
            The fitted forecaster.
        """
        with self._restore_on_error():
            roles = ("target_column_", "known_columns_", "normalize_", "quantiles_")
            before = {
                name: getattr(self, name)
                for name in ("feature_names_in_", "n_features_in_", *roles)
                if hasattr(self, name)
            }
            self._y_name = getattr(y, "name", None)
            values, ids, y = self._validate_table(X, y, reset=True)
            sample_weight = _check_sample_weight(
                sample_weight, values, dtype=np.float32, ensure_non_negative=True
            )
            self._resolve_columns(values, y)
            if self._is_warm():
                # The scaling and the network stay those of the first fit:
                # they only make sense for the same columns in the same roles.
                for name, value in before.items():
                    now = getattr(self, name, None)
                    if not np.array_equal(
                        np.asarray(value, dtype=object), np.asarray(now, dtype=object)
                    ):
                        raise ValueError(
                            f"warm_start=True needs the same columns in the same "
                            f"roles as the previous fit: {name} was {value!r}, "
                            f"now {now!r}. Fit with warm_start=False to start over."
                        )
            # predict and forecast read these, not the parameters, which
            # set_params may change without a refit.
            self.window_ = int(self.window)
            self.horizon_ = h = int(self.horizon)
            series = _split_series(ids)
            if ids is not None:
                self.series_ids_ = np.asarray([key for key, _ in series], dtype=object)
            elif hasattr(self, "series_ids_"):
                del self.series_ids_
            if not self._is_warm():
                # Scaling stays that of the first fit when training goes on.
                self._fit_scaling(values, y, series)
            self._n_outputs = 1 + (
                0 if self.quantiles_ is None else len(self.quantiles_)
            )

            jobs, targets_y, weights = [], [], []
            self._tails, self._index = {}, {}
            index = getattr(X, "index", None)
            for key, rows in series:
                part = values if rows is None else values[rows]
                rows_y = y if rows is None else y[rows]
                rows_w = sample_weight if rows is None else sample_weight[rows]
                targets = np.arange(h, len(part))
                stats = self._stats_for(key)
                if len(targets):
                    jobs.append((part, stats, targets))
                    targets_y.append((rows_y[targets] - stats.center) / stats.scale)
                    weights.append(rows_w[targets])
                self._tails[key] = part[-(h + self.window_ - 1) :].copy()
                self._index[key] = _index_info(index, rows)
            if not jobs:
                raise ValueError(
                    f"X has n_samples = {len(values)} rows, too few to forecast "
                    f"{h} step(s) ahead: a series needs at least horizon + 1 = "
                    f"{h + 1} rows."
                )
            windows, levels = zip(*(self._inputs(*job) for job in jobs))
            windows, lengths = split_nan_padding(np.concatenate(windows))
            target = np.concatenate(targets_y) - np.concatenate(levels)
            self._n_step_features = windows.shape[2]
            self._fitted_kind = "sequences"
            # Early stopping holds out the latest windows of each series: the
            # validation loss then measures forecasting forward in time.
            valid_idx = None
            if self.early_stopping:
                sizes = np.array([len(job[2]) for job in jobs])
                ends = np.cumsum(sizes)
                n_valid = np.ceil(self.validation_fraction * sizes).astype(int)
                valid_idx = np.concatenate(
                    [np.arange(end - n, end) for end, n in zip(ends, n_valid)]
                )
            if valid_idx is not None and len(valid_idx) >= len(target):
                raise ValueError(
                    "early_stopping=True leaves no window to train on; lower "
                    "validation_fraction or pass more rows."
                )
            return self._fit_net(
                windows,
                lengths,
                target.astype(np.float32)[:, None],
                np.concatenate(weights),
                self._n_outputs,
                valid_idx=valid_idx,
            )

    def _fit_scaling(self, values, y, series) -> None:
        features = values[:, self._features]
        self._x_mean = features.mean(axis=0)
        scale = features.std(axis=0)
        self._x_scale = np.where(scale > 0, scale, 1.0)
        self._series_stats = {}
        spreads = []
        for key, rows in series:
            stats, spread = self._target_stats(values, y, rows)
            self._series_stats[key] = stats
            if self.normalize_ == "none":
                # Each series is centered on its own mean, so the gaps between
                # series levels are no part of the spread its network targets
                # have: pool deviations from each series' own mean.
                spread = spread - stats.center
            spreads.append(spread)
        # The pooled center, the mean of all rows, weighs each series by its
        # rows; so does the root mean square of the deviations (the square
        # root of the row-weighted mean of the series' variances), which is
        # the series' std when there is one series.
        pooled, _ = self._target_stats(values, y, None)
        pooled_scale = _target_scale(np.concatenate(spreads), centered=False)
        self._global_stats = pooled._replace(
            scale=pooled_scale if pooled_scale > 0 else 1.0
        )
        for key, stats in self._series_stats.items():
            if not stats.scale > 0:
                self._series_stats[key] = stats._replace(scale=self._global_stats.scale)

    # -- prediction --------------------------------------------------------

    def predict(self, X) -> np.ndarray:
        """Forecast the target at each row of ``X`` from the rows before it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows are time steps, oldest first, with the columns of ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            ``y_pred[t]`` forecasts ``y[t]`` from rows ``t - horizon - window
            + 1, ..., t - horizon`` (and known columns at row ``t``); see Notes
            of the class for the first rows.
        """
        return self._predict_all(X)[:, 0]

    def _has_quantiles(self) -> bool:
        # Fitted: the levels the network was trained for, whatever
        # set_params did since.
        fitted = hasattr(self, "quantiles_")
        if (self.quantiles_ if fitted else self.quantiles) is None:
            raise AttributeError(
                "predict_quantiles and predict_interval are not available when "
                "fitted with quantiles=None; set quantiles, for instance "
                "(0.1, 0.5, 0.9), and fit."
            )
        return True

    @available_if(_has_quantiles)
    def predict_quantiles(self, X) -> np.ndarray:
        """Forecast the quantiles ``quantiles_`` of the target at each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows are time steps, oldest first, with the columns of ``fit``.

        Returns
        -------
        y_quantiles : ndarray of shape (n_samples, n_quantiles)
            Column ``j`` is the forecast quantile ``quantiles_[j]``; each row
            is sorted, so quantiles never cross.
        """
        return np.sort(self._predict_all(X)[:, 1:], axis=1)

    @available_if(_has_quantiles)
    def predict_interval(self, X, coverage: float = 0.8) -> np.ndarray:
        """Forecast a central interval that holds the target with ``coverage``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows are time steps, oldest first, with the columns of ``fit``.
        coverage : float, default=0.8
            Probability mass of the interval, a real number in (0, 1); the
            quantiles ``(1 - coverage) / 2`` and ``(1 + coverage) / 2`` must
            be among ``quantiles``.

        Returns
        -------
        interval : ndarray of shape (n_samples, 2)
            Lower and upper bounds.
        """
        check_is_fitted(self)
        if isinstance(coverage, bool) or not (
            isinstance(coverage, Real) and 0 < coverage < 1
        ):
            raise ValueError(
                f"coverage must be a real number in (0, 1), got {coverage!r}."
            )
        coverage = float(coverage)
        bounds = [(1 - coverage) / 2, (1 + coverage) / 2]
        columns = []
        for level in bounds:
            match = np.flatnonzero(np.isclose(self.quantiles_, level))
            if len(match) == 0:
                raise ValueError(
                    f"coverage={coverage} needs the quantiles {bounds}, but the "
                    f"forecaster was trained with quantiles="
                    f"{self.quantiles_.tolist()}."
                )
            columns.append(match[0])
        return self.predict_quantiles(X)[:, columns]

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
        check_scalar(steps, "steps", Integral, min_val=1)
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
        if history is None:
            key = self._tail_key(series)
            values, index_info = self._tails[key], self._index[key]
        else:
            values, ids, _ = self._validate_table(
                history, reset=False, input_name="history"
            )
            key = None
            if ids is not None:
                keys = pd.unique(ids)
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
            index_info = _index_info(getattr(history, "index", None), None)
        if return_quantiles:
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
        if steps > self.horizon_:
            self._check_recursive()
        future = np.full((steps, self.n_features_in_), np.nan)
        if len(self.known_columns_) and X_future is None:
            raise ValueError(
                "X_future is required: the forecaster reads known_columns at "
                "the forecast time."
            )
        if X_future is not None:
            # Checked even when nothing in it is read: a mismatch is a mistake.
            rows, _, _ = self._validate_table(
                X_future, reset=False, allow_nan=True, input_name="X_future"
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
        extended = np.concatenate([values, future])
        stats = self._stats_for(key)
        outputs = np.empty((steps, self._n_outputs))
        for start in range(0, steps, self.horizon_):
            block = np.arange(start, min(start + self.horizon_, steps))
            targets = len(values) + block
            # One small batch per block: no padding to batch_size rows.
            (out,) = self._outputs([(extended, stats, targets)], pad=False)
            outputs[block] = out
            if self.target_column_ is not None:
                extended[targets, self.target_column_] = out[:, 0]
        preds, quantiles = outputs[:, 0], np.sort(outputs[:, 1:], axis=1)
        if index_info is not None:
            last, freq = index_info
            make_range = (
                pd.period_range if isinstance(last, pd.Period) else pd.date_range
            )
            index = make_range(start=last, periods=steps + 1, freq=freq)[1:]
            preds = pd.Series(preds, index=index, name=self._y_name)
            quantiles = pd.DataFrame(quantiles, index=index, columns=self.quantiles_)
        return (preds, quantiles) if return_quantiles else preds

    def _tail_key(self, series):
        if series is None:
            if len(self._tails) > 1:
                raise ValueError(
                    f"The forecaster was fitted on {len(self._tails)} series: pass "
                    "series=<id> (see series_ids_) or a history."
                )
            return next(iter(self._tails))
        if series not in self._tails:
            raise ValueError(
                f"series={series!r} was not seen in fit; known series: "
                f"{list(self._tails)[:10]!r}."
            )
        return series

    def _check_recursive(self) -> None:
        if self.target_column_ is None:
            raise ValueError(
                f"Forecasting more than horizon={self.horizon_} steps is recursive "
                "and needs the target among the inputs: set target_column (the "
                "column of X holding the observed target)."
            )
        unknown = [
            int(j)
            for j in self._features
            if j != self.target_column_ and j not in self.known_columns_
        ]
        if unknown:
            raise ValueError(
                f"Forecasting more than horizon={self.horizon_} steps is recursive, "
                f"but columns {unknown} of X are neither the target nor known in "
                "advance, so their future is unknown. Declare them in "
                "known_columns, or forecast at most horizon steps."
            )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # predict(X)[t] never sees row t: generic regression data (targets
        # that depend on the same row) cannot be learned.
        tags.regressor_tags.poor_score = True
        return tags
