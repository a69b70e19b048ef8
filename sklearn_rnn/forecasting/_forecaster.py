# SPDX-License-Identifier: BSD-3-Clause
"""The forecaster: parameters, ``fit``, ``predict`` and its quantiles."""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.utils.validation import check_is_fitted

from .._compat import Interval, StrOptions, _check_sample_weight, _fit_context
from .._docs import _FORECASTER_ARCHITECTURE_DOC, _FORECASTER_TRAINING_DOC
from .._engine import _RNNEngine
from .._sequences import MAX_STEPS as _MAX_STEPS
from ._columns import (
    check_same_roles,
    fitted_roles,
    resolve_roles,
    single_column_target,
    validate_table,
)
from ._continuation import index_labels, record_series_ends
from ._export import _ExportMixin
from ._forecast import _ForecastMixin
from ._quantiles import _QuantileMixin, check_quantile_levels
from ._season import _AUTO_WINDOW, _SeasonalStartMixin, fitted_season, settle_sizes
from ._series import _Stats, feature_scaling, split_series, target_scaling
from ._state import check_loaded_state
from ._training import _WindowTrainingMixin
from ._windows import _LeadsMixin, predict_rows, training_windows

__all__ = ["SequenceForecaster"]


class SequenceForecaster(
    _WindowTrainingMixin,
    _ForecastMixin,
    _QuantileMixin,
    _ExportMixin,
    _LeadsMixin,
    _SeasonalStartMixin,
    RegressorMixin,
    _RNNEngine,
):
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
    window : int or "auto", default="auto"
        Number of past time steps the network reads for each forecast.
        "auto" is 24, or three seasons when ``normalize_`` is "seasonal" and
        they are longer (36 for monthly data).

    horizon : int or "auto", default="auto"
        How many steps ahead the forecast is made: ``predict(X)[t]`` uses only
        rows up to ``t - horizon`` (and known columns up to row ``t``), and
        so does every scorer and cross-validation. "auto" is two seasons
        (``2 * season_length_``: 24 for monthly data, 8 for quarterly, 14
        for daily) when there is a season that fits in the window (not 52
        weeks in 24 steps), the network is ``multi_output_`` and the
        longest series leaves windows to train that far ahead (more than
        two seasons of rows, and more still with ``early_stopping``); else
        1. The network then forecasts every step of two seasons from each
        window (``predict`` takes a ``lead``, and ``forecast`` is direct up
        to two seasons): on the forecasting benchmark it beat the one-step
        network fed its own forecasts on most data sets (README, "How well
        the forecaster forecasts"). It does not depend on the normalization
        chosen from the data, so cross-validation folds forecast as far
        ahead unless a fold is too short for two seasons. Set ``horizon=1``
        for one-step-ahead ``predict`` and scores.

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

    normalize : {{"auto", "window", "seasonal", "none"}}, default="auto"
        How the target's level is handled. "window" subtracts the last
        observed target value of each window (at ``t - horizon``) from the
        target and from the target column of the window, so the network
        predicts the change: trending series extrapolate. "seasonal" does
        the same to the window, and forecasts each target relative to a
        seasonal forecast read from the window: the mean of its last
        complete season plus the target's season's deviation from its
        season's mean, averaged over the complete seasons in the window
        (with a window of one season, the seasonal naive forecast). The
        network learns a correction to it. "none"
        standardizes the target with the mean and deviation of each series
        in ``fit``. "auto" is "seasonal" when there is a season (see
        ``season_length``) that fits in the window (with ``window="auto"``,
        a season of at most 24 steps) and repeating the last
        season beats repeating the last value in the training data (mean
        absolute one-step error, pooled over the series); else "window"
        when a target column is known, else "none".

    season_length : "auto", int or None, default="auto"
        Steps per season, for ``normalize="seasonal"``. "auto" reads it from
        the frequency of the training table's DatetimeIndex or PeriodIndex:
        12 for monthly data, 4 quarterly, 52 weekly, 7 daily, 5 business
        daily, 24 hourly; 1 (no season) for other frequencies and for tables
        without a time index. None is 1.

    quantiles : sequence of float or None, default=None
        Quantile levels in (0, 1), for instance ``(0.1, 0.5, 0.9)``, trained
        with the pinball loss beside the point forecast, for
        :meth:`predict_quantiles` and :meth:`predict_interval`.

    calibrate_quantiles : bool, default=False
        With ``quantiles``, move each quantile output by what held-out
        windows show (split conformal calibration, per lead): a first
        network trains without the latest ``validation_fraction`` of each
        series' windows and the ``horizon_ - 1`` before them, whose targets
        overlap theirs (stopping on their loss), each of its quantile
        outputs is shifted so that the share of those held-out targets
        below it equals its level, and the same shifts are added to a
        second network, trained on all the windows as without calibration,
        which is the one kept. Its point forecasts are those of an
        uncalibrated fit (with an int ``random_state``, the same numbers);
        the fit takes up to twice as long. The shifts come from another
        network than the one they move, so the coverage they give is not
        guaranteed: on the forecasting benchmark they brought some data
        sets closer to the nominal level and one far from it (README, "How
        well the forecaster forecasts"). With ``early_stopping=True``, or
        when ``warm_start=True`` continues a fitted network, no second
        network is trained: the shifts move the network that stopped on
        the held-out windows. Needs at least 10 held-out windows and a
        window left to train on; otherwise nothing is held out.

    multi_output : bool or "auto", default="auto"
        Whether the network reads each window once and emits the forecasts
        of all the ``horizon`` steps after it (each with its quantiles):
        ``forecast(steps)`` is then direct for every step up to ``horizon``,
        with quantiles for each, and ``predict``, ``predict_quantiles`` and
        ``predict_interval`` take a ``lead``. False trains one
        ``horizon``-step-ahead forecast. "auto" is True unless there are
        ``known_columns`` (which multi-output does not take): on the
        forecasting benchmark it beat the one-lead model on every data set
        (README, "How well the forecaster forecasts"). With ``horizon=1``
        the two are the same model.

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

    normalize_ : {{"window", "seasonal", "none"}}
        The normalization used.

    season_length_ : int
        Steps per season; 1 when there is none.

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
    forecast that keeps scorers working and carries no information.

    **History of a test fold.** When ``X`` is a DataFrame or Series whose
    index (integer, DatetimeIndex or PeriodIndex) places a series' rows after
    the last row ``fit`` saw of that series, ``predict`` reads the stored end
    of the training series as their history, so ``cross_validate`` and the
    searches with ``TimeSeriesSplit`` score each fold as if forecast from the
    full history before it. Rows of a gap between the two are forecast from
    the training end. Rows that overlap the training data, come out of order,
    or have no such index are read alone.

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

    # The named tuple of its fitted state, by the name files store it under.
    _stored_named_tuples = {"sklearn_rnn.forecasting._Stats": _Stats}

    _parameter_constraints: dict = {
        **_RNNEngine._parameter_constraints,
        "window": [
            StrOptions({"auto"}),
            Interval(Integral, 1, _MAX_STEPS, closed="both"),
        ],
        "horizon": [
            StrOptions({"auto"}),
            Interval(Integral, 1, _MAX_STEPS, closed="both"),
        ],
        "known_columns": [None, Integral, str, "array-like"],
        # "auto" or a column name (any str), a position or None.
        "target_column": [None, Integral, str],
        "series_column": [None, Integral, str],
        "normalize": [StrOptions({"auto", "window", "seasonal", "none"})],
        "season_length": [
            StrOptions({"auto"}),
            Interval(Integral, 1, _MAX_STEPS, closed="both"),
            None,
        ],
        "quantiles": [None, "array-like"],
        "multi_output": [StrOptions({"auto"}), "boolean"],
        "calibrate_quantiles": ["boolean"],
        "weight_decay": [
            StrOptions({"auto"}),
            *_RNNEngine._parameter_constraints["weight_decay"],
        ],
    }

    def __init__(
        self,
        *,
        window: int | str = "auto",
        horizon: int | str = "auto",
        known_columns=None,
        target_column="auto",
        series_column=None,
        normalize: str = "auto",
        season_length: int | str | None = "auto",
        quantiles=None,
        multi_output: bool | str = "auto",
        calibrate_quantiles: bool = False,
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
        weight_decay: float | str = "auto",
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
        self.season_length = season_length
        self.quantiles = quantiles
        self.multi_output = multi_output
        self.calibrate_quantiles = calibrate_quantiles

    # -- fitted state ------------------------------------------------------

    def _set_roles(self, values: np.ndarray, y: np.ndarray) -> None:
        """Set the fitted column roles, normalization and quantile levels."""
        roles = resolve_roles(self, values, y)
        quantiles = None
        if self.quantiles is not None:
            quantiles = check_quantile_levels(self.quantiles)
        self.known_columns_ = np.asarray(roles.known, dtype=np.int64)
        self.target_column_ = roles.target
        self.normalize_ = roles.normalize
        self.quantiles_ = quantiles
        self._feature_positions = roles.feature_positions
        self._known_channels = roles.known_channels
        self._target_channel = roles.target_channel
        self._n_outputs = 1 + (0 if quantiles is None else len(quantiles))
        if self.multi_output == "auto":
            self.multi_output_ = not len(self.known_columns_)
        else:
            self.multi_output_ = bool(self.multi_output)
        if self.multi_output_ and len(self.known_columns_):
            raise ValueError(
                "multi_output=True does not take known_columns: it would need "
                "their values at every step of the horizon. Set "
                "multi_output=False, or leave the known columns out."
            )

    def _stats_for(self, key) -> _Stats:
        """The target scaling of series ``key``, the pooled one if not seen in fit."""
        return self._series_stats.get(key, self._global_stats)

    def _check_loaded_state(self) -> None:
        """Raise a ``ValueError`` unless the fitted attributes fit together.

        Called on a forecaster whose fitted attributes were read from a file;
        the message names the attribute at fault.
        """
        if "season_length_" not in vars(self) and "normalize_" in vars(self):
            # Files written before seasons existed forecast without one.
            self.season_length_ = 1
        check_loaded_state(self)

    # -- fit ---------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None) -> SequenceForecaster:
        """Train the network on every (window, target) pair of each series.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or pandas.Series
            Rows are time steps, oldest first; columns are observed at each
            step (the target itself, covariates, known columns, a series id).
            A Series is one column.
        y : array-like of shape (n_samples,), default=None
            The target at each time step. None forecasts the one column of
            ``X`` (a Series or a single-column table): ``fit(series)`` is
            ``fit(series.to_frame(), series)``.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of the forecast of each row in the loss.

        Returns
        -------
        self : SequenceForecaster
            The fitted forecaster.
        """
        if y is None:
            X, y = single_column_target(X)
        with self._restore_on_error():
            before = fitted_roles(self)
            shape_before = (
                getattr(self, "window_", None),
                getattr(self, "horizon_", None),
            )
            self._y_name = getattr(y, "name", None)
            values, ids, y = validate_table(self, X, y, reset=True)
            sample_weight = _check_sample_weight(
                sample_weight, values, dtype=np.float32, ensure_non_negative=True
            )
            self._set_roles(values, y)
            # predict and forecast read these, not the parameters, which
            # set_params may change without a refit. "auto" waits for the
            # season, read from the series' clocks.
            self.window_ = _AUTO_WINDOW if self.window == "auto" else int(self.window)
            self.horizon_ = 1 if self.horizon == "auto" else int(self.horizon)
            series = split_series(ids)
            if ids is not None:
                self.series_ids_ = np.asarray([key for key, _ in series], dtype=object)
            elif hasattr(self, "series_ids_"):
                del self.series_ids_
            record_series_ends(self, values, series, X)
            self.season_length_, self.normalize_ = fitted_season(self, y, series)
            if self._is_warm():
                if self.normalize == "auto" and "normalize_" in before:
                    # Like the scaling, the first fit's choice stays.
                    self.normalize_ = before["normalize_"]
                check_same_roles(self, before)
            if settle_sizes(self, values, series, shape_before):
                # The stored series ends cover the settled window and horizon.
                record_series_ends(self, values, series, X)
            if not self._is_warm():
                # Scaling stays that of the first fit when training goes on.
                self._x_mean, self._x_scale = feature_scaling(
                    values[:, self._feature_positions]
                )
                self._series_stats, self._global_stats = target_scaling(
                    self, values, y, series
                )
            return self._train_on_windows(
                *training_windows(self, values, y, sample_weight, series)
            )

    def _predict_all(self, X, lead=None) -> np.ndarray:
        check_is_fitted(self)
        lead = self._lead(lead)
        values, ids, _ = validate_table(self, X, reset=False)
        return predict_rows(self, values, ids, index_labels(X), lead)

    def predict(self, X, lead=None) -> np.ndarray:
        """Forecast the target at each row of ``X`` from the rows before it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows are time steps, oldest first, with the columns of ``fit``.
        lead : int, default=None
            How many steps ahead of its window each row is forecast: from 1
            to ``horizon_`` with ``multi_output=True``; None (or
            ``horizon_``) otherwise.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            ``y_pred[t]`` forecasts ``y[t]`` from rows ``t - horizon - window
            + 1, ..., t - horizon`` (and known columns at row ``t``); see Notes
            of the class for the first rows.
        """
        return self._predict_all(X, lead)[:, 0]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # predict(X)[t] never sees row t: generic regression data (targets
        # that depend on the same row) cannot be learned.
        tags.regressor_tags.poor_score = True
        return tags
