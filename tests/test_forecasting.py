# SPDX-License-Identifier: BSD-3-Clause
"""Tests of SequenceForecaster."""

import inspect
import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit, cross_val_score

from sklearn_rnn._engine import _RNNEngine
from sklearn_rnn._sequence_estimator import _SequenceEstimator
from sklearn_rnn.forecasting import SequenceForecaster
from sklearn_rnn.modules import PinballLoss

FAST = {"hidden_size": 8, "lr": 0.02, "max_epochs": 3, "random_state": 0}
LEARN = {"hidden_size": 16, "lr": 0.01, "batch_size": 64, "random_state": 0}


def _trend(n=400, seed=0, noise=10.0):
    """A raw-scale series: level 1000, trend, daily season, Gaussian noise."""
    rng = np.random.RandomState(seed)
    t = np.arange(n)
    return 1000 + 3 * t + 50 * np.sin(2 * np.pi * t / 24) + rng.normal(0, noise, n)


def _seasonal(n, seed=0, noise=1.0):
    """A stationary season of period 12 plus Gaussian noise of sd ``noise``."""
    rng = np.random.RandomState(seed)
    t = np.arange(n)
    return 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, noise, n)


def _frame(y, n_known=1, seed=0):
    """A DataFrame: the observed target, a covariate, and known columns."""
    rng = np.random.RandomState(seed)
    data = {"load": y, "temp": rng.normal(size=len(y))}
    for i in range(n_known):
        data[f"cal{i}"] = rng.randint(0, 2, len(y)).astype(float)
    return pd.DataFrame(data)


# -- alignment ------------------------------------------------------------


def test_sequence_forecaster_output_shape_and_first_rows():
    """Check that predict has one float64 value per row, the mean when no history."""
    y = _trend(60)
    X = y[:, None]
    fc = SequenceForecaster(window=5, horizon=3, **FAST).fit(X, y)
    pred = fc.predict(X)
    assert pred.shape == (60,) and pred.dtype == np.float64
    assert np.isfinite(pred).all()
    # Rows 0..horizon-1 have no history: the training mean of y.
    assert_allclose(pred[:3], y.mean())
    assert fc.target_column_ == 0 and fc.normalize_ == "window"
    assert fc.n_features_in_ == 1


def test_sequence_forecaster_reads_only_its_window():
    """Check that predict(X)[t] depends on rows t-horizon-window+1..t-horizon only."""
    y = _trend(80)
    X = np.column_stack([y, np.random.RandomState(1).normal(size=80)])
    window, horizon = 6, 2
    fc = SequenceForecaster(window=window, horizon=horizon, **FAST).fit(X, y)
    full = fc.predict(X)
    for t in (40, 79):
        start = t - horizon - window + 1
        alone = fc.predict(X[start : t + 1])
        assert_allclose(alone[-1], full[t], rtol=1e-6)
        # The first rows of a table read the shorter history they have.
        short = fc.predict(X[: t + 1][-horizon - 2 :])
        assert short[-1] != full[t]


@pytest.mark.parametrize("horizon, learnable", [(3, True), (4, False)])
def test_sequence_forecaster_horizon_alignment(horizon, learnable):
    """Check that the value at t - horizon is read: y[t] = x[t - 3] is learned."""
    rng = np.random.RandomState(0)
    x = rng.normal(size=400)
    y = np.roll(x, 3)
    fc = SequenceForecaster(
        window=3, horizon=horizon, max_epochs=30, target_column=None, **LEARN
    )
    fc.fit(x[:300, None], y[:300])
    score = r2_score(y[300:], fc.predict(x[:, None])[300:])
    assert (score > 0.9) if learnable else (score < 0.2)


def test_sequence_forecaster_no_leakage():
    """Check that rows after the forecast origin never change predict(X)[t]."""
    X = _frame(_trend(120), n_known=2)
    y = X["load"]
    horizon, t = 3, 90
    fc = SequenceForecaster(
        window=8, horizon=horizon, known_columns=["cal0", "cal1"], **FAST
    ).fit(X, y)
    before = fc.predict(X)
    rng = np.random.RandomState(3)
    after_origin = slice(t - horizon + 1, None)
    changed = X.copy()
    # Observed columns from the origin on, known columns after the target time.
    changed.iloc[after_origin, :2] = rng.normal(0, 1e3, (len(X) - t + 2, 2))
    changed.iloc[t + 1 :, 2:] = 1 - changed.iloc[t + 1 :, 2:]
    assert_array_equal(fc.predict(changed)[: t + 1], before[: t + 1])
    # The origin itself, and known columns at the target time, are read.
    origin = X.copy()
    origin.iloc[t - horizon, 0] += 100.0
    assert fc.predict(origin)[t] != before[t]
    known = X.copy()
    known.iloc[t, 2] = 1 - known.iloc[t, 2]
    assert fc.predict(known)[t] != before[t]


def test_sequence_forecaster_known_columns_read_at_target_time():
    """Check that a known column at the target time makes the target learnable."""
    rng = np.random.RandomState(0)
    holiday = rng.randint(0, 2, 400).astype(float)
    y = 100.0 * holiday + rng.normal(0, 1, 400)
    X = np.column_stack([y, holiday])
    params = {"window": 4, "max_epochs": 30, **LEARN}
    with_known = SequenceForecaster(known_columns=[1], **params).fit(X[:300], y[:300])
    without = SequenceForecaster(**params).fit(X[:300], y[:300])
    assert_array_equal(with_known.known_columns_, [1])
    assert with_known.score(X[300:], y[300:]) > 0.9
    assert without.score(X[300:], y[300:]) < 0.3


# -- scale, trend and several series ----------------------------------------


def test_sequence_forecaster_raw_scale_trend():
    """Check that a raw-scale trending series is forecast better than naively."""
    y = _trend(400)
    X = y[:, None]
    fc = SequenceForecaster(window=24, max_epochs=30, **LEARN).fit(X[:300], y[:300])
    mae = np.abs(fc.predict(X)[300:] - y[300:]).mean()
    naive = np.abs(y[299:-1] - y[300:]).mean()
    assert mae < naive
    # Beyond the training range, recursively: close to the noiseless truth.
    t = np.arange(300, 324)
    truth = 1000 + 3 * t + 50 * np.sin(2 * np.pi * t / 24)
    assert np.abs(fc.forecast(24) - truth).mean() < 25.0


def test_sequence_forecaster_extrapolates_linear_trend():
    """Check that a steady linear trend is extrapolated, in predict and forecast."""
    # Changes of 2 per step that hardly vary: their deviation (0.014) is no
    # scale for the network's target, their root mean square (2) is.
    t = np.arange(200.0)
    y = 100 + 2 * t + np.random.RandomState(0).normal(0, 0.01, 200)
    X = y[:, None]
    fc = SequenceForecaster(window=8, hidden_size=8, max_epochs=20, lr=0.01)
    fc.set_params(batch_size=64, random_state=0).fit(X[:150], y[:150])
    assert fc.normalize_ == "window"
    assert np.abs(fc.predict(X)[150:] - y[150:]).mean() < 0.2
    assert np.abs(fc.forecast(20) - y[150:170]).mean() < 2.0


def test_sequence_forecaster_series_are_isolated():
    """Check that one series' rows never enter another series' windows."""
    a, b = _seasonal(90, seed=0), 1000 * _seasonal(90, seed=1) + 5000
    # Long format, series interleaved row by row (sorted by time).
    X = pd.DataFrame({"id": np.tile(["a", "b"], 90), "value": np.ravel([a, b], "F")})
    y = X["value"]
    fc = SequenceForecaster(window=5, series_column="id", **FAST).fit(X, y)
    assert list(fc.series_ids_) == ["a", "b"]
    assert fc.n_features_in_ == 2
    pred = fc.predict(X)
    is_a = (X["id"] == "a").to_numpy()

    changed = X.copy()
    changed.loc[~is_a, "value"] = -changed.loc[~is_a, "value"]
    assert_array_equal(fc.predict(changed)[is_a], pred[is_a])
    assert_allclose(fc.predict(X[is_a])[:], pred[is_a], rtol=1e-6)
    # The first row of b has no history of its own, whatever a's rows say.
    assert_allclose(pred[1], b.mean())


def test_sequence_forecaster_per_series_scaling():
    """Check that a series 1000 times larger is forecast like the small one."""
    a = _seasonal(100)
    b = 1000 * a + 5000
    X = pd.DataFrame({"id": np.repeat([0, 1], 100), "value": np.r_[a, b]})
    fc = SequenceForecaster(window=6, series_column="id", **FAST)
    pred = fc.fit(X, X["value"]).predict(X)
    assert_allclose(pred[100:], 1000 * pred[:100] + 5000, rtol=1e-5)


def test_sequence_forecaster_pooled_scale_is_within_series():
    """Check that normalize="none" pools the series' spreads, not their levels."""
    rng = np.random.RandomState(0)
    season = 100 * np.sin(2 * np.pi * np.arange(80) / 12)
    a = 1000 + season + rng.normal(0, 1, 80)
    b = 7 + np.roll(season, 3) + rng.normal(0, 1, 80)
    X = pd.DataFrame(
        {"id": np.repeat(["a", "b", "c"], 80), "value": np.r_[a, b, np.full(80, 50)]}
    )
    # The bound below was set with a GRU (16.0 before pooling within series).
    params = {**FAST, "max_epochs": 5, "cell": "gru"}
    fc = SequenceForecaster(window=6, series_column="id", normalize="none", **params)
    pred = fc.fit(X, X["value"]).predict(X)
    # The constant series is scaled by the spread within series (about 58),
    # not by that of all values (about 460): its errors shrink as much.
    assert np.sqrt(np.mean((pred[160:] - 50) ** 2)) < 2.0

    # Every series constant: no spread to pool, a scale of 1.
    X = pd.DataFrame(
        {"id": np.repeat(["a", "b"], 40), "value": np.repeat([1e3, 7], 40)}
    )
    fc = SequenceForecaster(window=6, series_column="id", normalize="none", **params)
    fc.fit(X, X["value"])
    assert_allclose(fc.forecast(3, series="a"), 1000, atol=0.5)
    assert_allclose(fc.forecast(3, series="b"), 7, atol=0.5)


@pytest.mark.parametrize("normalize", ["none", "window"])
def test_sequence_forecaster_pooled_scale_one_series(normalize):
    """Check that with one series an unseen series is scaled like it."""
    y = 5 + np.sin(np.arange(60))
    X = pd.DataFrame({"id": "a", "value": y})
    fc = SequenceForecaster(window=6, series_column="id", normalize=normalize, **FAST)
    fc.fit(X, y)
    assert_array_equal(
        fc.forecast(3, history=X.assign(id="z")), fc.forecast(3, series="a")
    )


# -- forecast ---------------------------------------------------------------


def test_sequence_forecaster_forecast_matches_predict():
    """Check that forecasting up to horizon steps is predict on the next rows."""
    y = _trend(100)
    X = y[:, None]
    fc = SequenceForecaster(window=8, horizon=4, multi_output=False, **FAST)
    fc.fit(X, y)
    # Any values in the future rows: predict never reads them.
    extended = np.r_[X, np.zeros((4, 1))]
    assert_allclose(fc.forecast(4), fc.predict(extended)[-4:], rtol=1e-6)
    assert_allclose(fc.forecast(2), fc.forecast(4)[:2])
    # A given history continues from its own end.
    assert_allclose(fc.forecast(3, history=X[:60]), fc.predict(X)[60:63], rtol=1e-6)


@pytest.mark.parametrize("with_freq", [True, False])
def test_sequence_forecaster_forecast_continues_date_index(with_freq):
    """Check that forecasts of pandas input are indexed by the next time stamps."""
    index = pd.date_range("2024-01-01", periods=80, freq="h")
    if not with_freq:
        index = pd.DatetimeIndex(list(index))  # frequency inferred
    X = _frame(_trend(80), n_known=1).set_index(index)
    y = X["load"]
    fc = SequenceForecaster(window=6, horizon=2, known_columns="cal0", **FAST)
    fc.fit(X.drop(columns="temp"), y)
    future = pd.DataFrame(
        {"load": np.nan, "cal0": [0.0, 1.0, 0.0, 1.0, 1.0]},
        index=pd.date_range(index[-1], periods=6, freq="h")[1:],
    )
    out = fc.forecast(5, X_future=future)
    assert isinstance(out, pd.Series) and out.name == "load"
    expected = pd.date_range("2024-01-04 08:00", periods=5, freq="h")
    assert_array_equal(out.index, expected)
    assert np.isfinite(out).all()


def test_sequence_forecaster_forecast_several_series():
    """Check that each training series can be continued by its id."""
    a, b = _seasonal(60), 100 * _seasonal(60, seed=1)
    X = pd.DataFrame({"id": np.repeat(["a", "b"], 60), "value": np.r_[a, b]})
    fc = SequenceForecaster(window=5, series_column="id", **FAST).fit(X, X["value"])
    fa, fb = fc.forecast(3, series="a"), fc.forecast(3, series="b")
    assert_allclose(fb, fc.forecast(3, history=X[X["id"] == "b"]))
    assert np.abs(fb).mean() > 10 * np.abs(fa).mean()
    with pytest.raises(ValueError, match="series=<id>"):
        fc.forecast(3)
    with pytest.raises(ValueError, match="was not seen in fit"):
        fc.forecast(3, series="c")


@pytest.mark.parametrize("series", [["a"], ["a", "b"], np.array(["a"]), {"a": 1}])
@pytest.mark.parametrize("series_column", [None, "id"])
def test_sequence_forecaster_forecast_unhashable_series_raises(series, series_column):
    """Check that a series that is no single series id raises a ValueError."""
    y = _seasonal(60)
    X = pd.DataFrame({"value": y, "id": np.repeat(["a", "b"], 30)})
    if series_column is None:
        X = X[["value"]]
    fc = SequenceForecaster(window=4, series_column=series_column, **FAST).fit(X, y)
    with pytest.raises(ValueError, match="series must be a single series id"):
        fc.forecast(2, series=series)
    with pytest.raises(ValueError, match="series must be a single series id"):
        fc.forecast(2, history=X.iloc[:30], series=series)


# -- quantiles ----------------------------------------------------------------


def test_sequence_forecaster_quantiles_ordered_and_cover():
    """Check sorted quantiles and a 10-90 interval covering about 80% of new data."""
    y = _seasonal(900, noise=1.0)
    X = y[:, None]
    fc = SequenceForecaster(
        window=12, quantiles=(0.9, 0.1, 0.5), max_epochs=40, **LEARN
    ).fit(X[:600], y[:600])
    assert_allclose(fc.quantiles_, [0.1, 0.5, 0.9])
    q = fc.predict_quantiles(X)
    assert q.shape == (900, 3)
    assert np.all(np.diff(q, axis=1) >= 0)
    interval = fc.predict_interval(X, coverage=0.8)
    assert_array_equal(interval, q[:, [0, 2]])
    test = slice(600, None)
    inside = (interval[test, 0] <= y[test]) & (y[test] <= interval[test, 1])
    assert 0.7 <= inside.mean() <= 0.9
    # The noise has sd 1: the 10-90 interval of the noise is 2.56 wide.
    assert 1.8 < np.median(interval[test, 1] - interval[test, 0]) < 4.0
    with pytest.raises(ValueError, match="needs the quantiles"):
        fc.predict_interval(X, coverage=0.5)


def test_sequence_forecaster_forecast_quantiles():
    """Check that forecast returns the quantiles of predict up to horizon only."""
    y = _seasonal(200, noise=1.0)
    X = pd.DataFrame({"y": y}, index=pd.date_range("2020-01-01", periods=200))
    fc = SequenceForecaster(
        window=8, horizon=3, quantiles=(0.1, 0.9), multi_output=False, **FAST
    )
    fc.fit(X, y)
    point, quantiles = fc.forecast(3, return_quantiles=True)
    assert_allclose(point, fc.forecast(3))
    assert list(quantiles.columns) == [0.1, 0.9]
    assert quantiles.index.equals(point.index)
    extended = pd.concat([X, pd.DataFrame({"y": np.nan}, index=point.index)]).ffill()
    assert_allclose(quantiles, fc.predict_quantiles(extended)[-3:], rtol=1e-5)
    with pytest.raises(ValueError, match="at most horizon = 3"):
        fc.forecast(4, return_quantiles=True)
    no_q = SequenceForecaster(window=8, **FAST).fit(X, y)
    with pytest.raises(ValueError, match="needs quantiles"):
        no_q.forecast(1, return_quantiles=True)


def test_pinball_loss_per_sample():
    """Check the pinball loss values, with and without a point output column."""
    target = torch.tensor([1.0, 3.0])
    pred = torch.tensor([[0.0, 2.0], [4.0, 5.0]])
    loss = PinballLoss((0.1, 0.9), reduction="none")(pred, target)
    # Sample 0: errors 1 and -1; sample 1: errors -1 and -2.
    assert_allclose(loss.numpy(), [0.1 + 0.1, 0.9 + 0.2], rtol=1e-6)
    point = PinballLoss((0.5,), point_output=True, reduction="none")(pred, target)
    assert_allclose(point.numpy(), [1.0 + 0.5, 1.0 + 1.0], rtol=1e-6)
    with pytest.raises(ValueError, match="levels in"):
        PinballLoss((1.5,))


@pytest.mark.parametrize("coverage", [0.8, np.float32(0.8), np.float64(0.8)])
def test_sequence_forecaster_predict_interval_real_coverage(coverage):
    """Check that predict_interval takes any real coverage, NumPy floats included."""
    y = _seasonal(60)
    X = y[:, None]
    fc = SequenceForecaster(window=4, quantiles=(0.1, 0.5, 0.9), **FAST).fit(X, y)
    assert_array_equal(
        fc.predict_interval(X, coverage=coverage), fc.predict_quantiles(X)[:, [0, 2]]
    )


@pytest.mark.parametrize("coverage", [True, 0, 1, 1.5, np.nan, "0.8", None])
def test_sequence_forecaster_predict_interval_bad_coverage_raises(coverage):
    """Check that a coverage that is not a real number in (0, 1) is refused."""
    y = _seasonal(60)
    X = y[:, None]
    fc = SequenceForecaster(window=4, quantiles=(0.1, 0.9), **FAST).fit(X, y)
    with pytest.raises(ValueError, match="coverage must be a real number in"):
        fc.predict_interval(X, coverage=coverage)


def test_sequence_forecaster_no_quantile_methods_without_quantiles():
    """Check that the quantile methods are unavailable when quantiles=None."""
    fc = SequenceForecaster()
    assert not hasattr(fc, "predict_quantiles")
    assert not hasattr(fc, "predict_interval")
    assert not hasattr(fc, "transform")


# -- model selection, pickling --------------------------------------------


def test_sequence_forecaster_grid_search_time_series_split():
    """Check GridSearchCV with TimeSeriesSplit over window and hidden_size."""
    y = _trend(150)
    X = y[:, None]
    params = {k: v for k, v in FAST.items() if k != "hidden_size"}
    search = GridSearchCV(
        SequenceForecaster(**params),
        {"window": [3, 8], "hidden_size": [4, 8]},
        cv=TimeSeriesSplit(n_splits=3),
        scoring="neg_mean_absolute_error",
    ).fit(X, y)
    assert search.best_params_["window"] in (3, 8)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    scores = cross_val_score(
        clone(search.best_estimator_),
        X,
        y,
        cv=TimeSeriesSplit(n_splits=2),
        scoring="neg_mean_absolute_percentage_error",
    )
    assert np.all(scores < 0)


def test_sequence_forecaster_pickle_round_trip():
    """Check that a pickled forecaster predicts and forecasts identically."""
    X = _frame(_trend(60))
    fc = SequenceForecaster(
        window=5, known_columns=["cal0"], quantiles=(0.2, 0.8), **FAST
    ).fit(X, X["load"])
    restored = pickle.loads(pickle.dumps(fc))
    assert_array_equal(restored.predict(X), fc.predict(X))
    assert_array_equal(restored.predict_quantiles(X), fc.predict_quantiles(X))
    future = X.iloc[:1]
    assert_array_equal(
        restored.forecast(1, X_future=future), fc.forecast(1, X_future=future)
    )


def test_sequence_forecaster_has_base_parameters():
    """Check that every base parameter but the sequence-input ones is one.

    Token ids, the convolutional front-end and input standardization are for
    sequences; the forecaster cuts and scales its own windows.
    """
    engine = set(inspect.signature(_RNNEngine.__init__).parameters) - {"self"}
    sequence = set(_SequenceEstimator().get_params())
    sequence_only = sequence - engine
    assert {"token_ids", "conv_layers", "input_norm"} <= sequence_only
    params = set(SequenceForecaster().get_params())
    assert engine <= params
    assert not sequence_only & params


# -- errors -----------------------------------------------------------------


@pytest.mark.parametrize(
    "params, match",
    [
        ({"window": 0}, "window"),
        ({"horizon": 0}, "horizon"),
        ({"window": True}, "'window' parameter"),
        ({"horizon": True}, "'horizon' parameter"),
        ({"target_column": "temp"}, "target_column='temp' does not hold y"),
        ({"target_column": 2}, "target_column=2 does not hold y"),
        ({"known_columns": "holiday"}, "not a column of X"),
        ({"known_columns": [1, 1]}, "same column twice"),
        ({"known_columns": 5}, "out of range"),
        ({"target_column": "load", "known_columns": "load"}, "known in advance"),
        ({"target_column": None, "normalize": "window"}, "no target column"),
        ({"quantiles": (0.0, 0.5)}, "distinct levels in"),
        ({"quantiles": (0.5, 0.5)}, "distinct levels in"),
        ({"quantiles": ("a",)}, "numbers in"),
        ({"series_column": "id"}, "not a column of X"),
        ({"horizon": 40}, "too few to forecast"),
    ],
)
def test_sequence_forecaster_bad_parameters_raise(params, match):
    """Check that invalid parameters raise a ValueError saying what is wrong."""
    X = _frame(_trend(30))
    with pytest.raises(ValueError, match=match):
        SequenceForecaster(**params, **FAST).fit(X, X["load"])


def test_sequence_forecaster_bad_forecast_arguments_raise():
    """Check that forecast refuses what it cannot do, with a clear ValueError."""
    X = _frame(_trend(40))
    y = X["load"]
    fc = SequenceForecaster(window=4, horizon=2, known_columns="cal0", **FAST)
    fc.fit(X, y)
    future = X.iloc[:3]
    with pytest.raises(ValueError, match="steps"):
        fc.forecast(0)
    with pytest.raises(ValueError, match="X_future is required"):
        fc.forecast(2)
    with pytest.raises(ValueError, match="X_future has 3 rows"):
        fc.forecast(2, X_future=future)
    # "temp" is observed, not known: its future is unknown past the horizon.
    assert len(fc.forecast(2, X_future=X.iloc[:2])) == 2
    with pytest.raises(ValueError, match=r"columns \[1\] of X are neither"):
        fc.forecast(3, X_future=future)
    no_target = SequenceForecaster(window=4, target_column=None, **FAST)
    no_target.fit(X[["temp"]], y)
    with pytest.raises(ValueError, match="needs the target among the inputs"):
        no_target.forecast(2)
    with pytest.raises(ValueError, match="feature names should match"):
        fc.predict(X.iloc[:, :2])


def test_sequence_forecaster_early_stopping_holds_out_latest(monkeypatch):
    """Check that early stopping validates on each series' latest windows."""
    seen = {}
    original = SequenceForecaster._fit_net

    def spy(self, *args, **kwargs):
        seen.update(kwargs)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SequenceForecaster, "_fit_net", spy)
    y = np.concatenate([_seasonal(40, seed=0), _seasonal(60, seed=1)])
    X = pd.DataFrame({"y": y, "id": np.repeat(["a", "b"], [40, 60])})
    fc = SequenceForecaster(
        window=4, series_column="id", early_stopping=True, **FAST
    ).fit(X, y)
    assert "valid_loss" in fc.history_
    # One window per row after the first (horizon 1): 39 and 59 windows.
    expected = np.r_[np.arange(39 - 4, 39), np.arange(39 + 59 - 6, 39 + 59)]
    assert_array_equal(seen["valid_idx"], expected)


def test_sequence_forecaster_weights_only_on_rows_without_history_raise():
    """Check that weight only on rows that have no window is a ValueError."""
    y = _seasonal(40)
    w = np.zeros(40)
    w[0] = 1.0
    with pytest.raises(ValueError, match="zero for every sample to train on"):
        SequenceForecaster(window=4, **FAST).fit(y[:, None], y, sample_weight=w)


@pytest.mark.parametrize("change", ["target", "order"])
def test_sequence_forecaster_warm_start_needs_same_column_roles(change):
    """Check that a warm start refuses columns in other roles, keeping the fit."""
    rng = np.random.RandomState(0)
    y = _seasonal(120)
    X = pd.DataFrame({"y": y, "noise": rng.normal(size=120)})
    fc = SequenceForecaster(window=6, warm_start=True, **FAST).fit(X, y)
    before = fc.predict(X)
    if change == "target":
        # No column equals y any more: the target column would disappear.
        X_new, y_new = X, y + 1e-3 * X["noise"].to_numpy()
    else:
        X_new, y_new = X[["noise", "y"]], y
    with pytest.raises(ValueError, match="same columns in the same roles"):
        fc.fit(X_new, y_new)
    assert fc.target_column_ == 0
    assert_array_equal(fc.predict(X), before)


def test_sequence_forecaster_forecast_checks_x_future_without_known_columns():
    """Check that X_future is validated even when no column of it is read."""
    y = _seasonal(60)
    fc = SequenceForecaster(window=4, horizon=2, **FAST).fit(y[:, None], y)
    assert_allclose(fc.forecast(2, X_future=np.full((2, 1), np.nan)), fc.forecast(2))
    with pytest.raises(ValueError, match="X_future has 3 rows, but steps=2"):
        fc.forecast(2, X_future=np.zeros((3, 1)))
    with pytest.raises(ValueError, match="features"):
        fc.forecast(2, X_future=np.zeros((2, 4)))


def test_sequence_forecaster_auto_target_among_known_columns_raises():
    """Check that the default target_column="auto" refuses a known column equal
    to y, as an explicit target_column does: it would leak the value to
    forecast."""
    y = _seasonal(60)
    X = _frame(y)
    with pytest.raises(ValueError, match="known_columns equals y"):
        SequenceForecaster(window=5, known_columns=["load", "cal0"], **FAST).fit(X, y)


def test_sequence_forecaster_numpy_int_window_accepted():
    """Check that NumPy integers are valid window and horizon values."""
    y = _seasonal(40)
    fc = SequenceForecaster(window=np.int64(4), horizon=np.int32(2), **FAST)
    fc.fit(y[:, None], y)
    assert (fc.window_, fc.horizon_) == (4, 2)
    assert type(fc.window_) is int and type(fc.horizon_) is int


def test_sequence_forecaster_explicit_target_column_equal_to_y():
    """Check that an explicit target_column equal to y (float32 X) is accepted."""
    y = _trend(60)
    X = _frame(y).astype(np.float32)
    fc = SequenceForecaster(window=4, target_column="load", **FAST).fit(X, y)
    assert fc.target_column_ == 0


def test_sequence_forecaster_set_params_needs_refit():
    """Check that window and horizon changed after fit wait for the next fit."""
    y = _trend(80)
    X = y[:, None]
    fc = SequenceForecaster(window=5, horizon=2, **FAST).fit(X, y)
    pred, future = fc.predict(X), fc.forecast(3)
    fc.set_params(window=12, horizon=1)
    assert (fc.window_, fc.horizon_) == (5, 2)
    assert_array_equal(fc.predict(X), pred)
    assert_array_equal(fc.forecast(3), future)
    # The first horizon = 2 rows still have no history.
    assert_allclose(fc.predict(X)[:2], y.mean())
    fc.fit(X, y)
    assert (fc.window_, fc.horizon_) == (12, 1)
    assert not np.allclose(fc.predict(X), pred)


def test_sequence_forecaster_forecast_series_conflicts_raise():
    """Check that forecast refuses a series it cannot continue, saying why."""
    y = _seasonal(60)
    single = SequenceForecaster(window=4, **FAST).fit(y[:, None], y)
    with pytest.raises(ValueError, match="fitted on a single series"):
        single.forecast(2, series="a")
    with pytest.raises(ValueError, match="fitted on a single series"):
        single.forecast(2, history=y[:30, None], series="a")

    X = pd.DataFrame({"id": np.repeat(["a", "b"], 30), "value": y})
    fc = SequenceForecaster(window=4, series_column="id", **FAST).fit(X, y)
    history_b = X[X["id"] == "b"]
    with pytest.raises(ValueError, match="history holds the series 'b'"):
        fc.forecast(2, history=history_b, series="a")
    # Naming the series that history holds is redundant but consistent.
    assert_array_equal(
        fc.forecast(2, history=history_b, series="b"),
        fc.forecast(2, history=history_b),
    )


@pytest.mark.parametrize("series_column", [None, "id"])
def test_sequence_forecaster_forecast_errors_name_the_argument(series_column):
    """Check that errors about history or X_future name that argument, not X."""
    y = _seasonal(60)
    X = pd.DataFrame({"value": y, "id": "a"})
    if series_column is None:
        X = X[["value"]]
    fc = SequenceForecaster(window=4, horizon=2, series_column=series_column, **FAST)
    fc.fit(X, y)
    n = X.shape[1]
    wide = np.zeros((3, n + 2))
    with pytest.raises(ValueError, match=f"history has {n + 2} features"):
        fc.forecast(2, history=wide)
    with pytest.raises(ValueError, match=f"X_future has {n + 2} features"):
        fc.forecast(2, X_future=wide[:2])
    with_nan = X.iloc[:10].copy()
    with_nan.iloc[5, 0] = np.nan
    with pytest.raises(ValueError, match="Input history contains NaN"):
        fc.forecast(2, history=with_nan)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        fc.predict(with_nan)


def test_sequence_forecaster_set_params_roles_need_refit():
    """Check that series_column and quantiles changed after fit wait for a fit."""
    y = _seasonal(60)
    X = pd.DataFrame({"id": np.repeat(["a", "b"], 30), "value": y})
    fc = SequenceForecaster(window=4, series_column="id", **FAST).fit(X, y)
    pred = fc.predict(X)
    fc.set_params(series_column=None)
    assert_array_equal(fc.predict(X), pred)

    single = SequenceForecaster(window=4, **FAST).fit(y[:, None], y)
    pred = single.predict(y[:, None])
    single.set_params(series_column=0, quantiles=(0.1, 0.9))
    assert_array_equal(single.predict(y[:, None]), pred)
    assert not hasattr(single, "predict_quantiles")
    assert not hasattr(single, "predict_interval")

    banded = SequenceForecaster(window=4, quantiles=(0.1, 0.9), **FAST)
    banded.fit(y[:, None], y).set_params(quantiles=None)
    assert banded.predict_quantiles(y[:, None]).shape == (len(y), 2)


def test_sequence_forecaster_overflowing_inputs_raise():
    """Check that finite values too large for float32 windows name the cause."""
    y = _trend(60)
    fc = SequenceForecaster(window=4, **FAST).fit(y[:, None], y)
    history = y[:20, None].copy()
    history[-1] = 1e300
    with pytest.raises(ValueError, match="scaled inputs overflow float32"):
        fc.forecast(2, history=history)


def test_sequence_forecaster_keeps_its_training_defaults():
    """Check that the forecaster keeps explicit training settings and refuses 'auto'.

    The "auto" rules are measured for sequence classification and
    regression; the forecaster's windows keep their own settings.
    """
    params = SequenceForecaster().get_params()
    expected = {
        "batch_size": 32,
        "max_epochs": 100,
        "early_stopping": False,
        "n_iter_no_change": 10,
        "lr_schedule": None,
        "pooling": "last",
    }
    assert {k: params[k] for k in expected} == expected
    X = pd.DataFrame({"y": np.arange(60, dtype=float)})
    for name in ("batch_size", "early_stopping", "n_iter_no_change"):
        with pytest.raises(ValueError, match=name):
            SequenceForecaster(**{name: "auto"}).fit(X, X["y"])


# -- fitted state read back from a file --------------------------------------


def _fitted_for_state(series_column=None):
    """A fitted forecaster with a target column, a known column and quantiles."""
    y = _trend(60)
    X = _frame(y).set_index(pd.date_range("2024-01-01", periods=60, freq="h"))
    if series_column is not None:
        X = X.assign(id=np.repeat(["a", "b"], 30))
    params = {"window": 4, "known_columns": "cal0", "quantiles": (0.1, 0.9)}
    return SequenceForecaster(**params, series_column=series_column, **FAST).fit(X, y)


@pytest.mark.parametrize("series_column", [None, "id"])
def test_sequence_forecaster_check_loaded_state_accepts_fitted(series_column):
    """Check that the fitted state of a forecaster passes its own check."""
    fc = _fitted_for_state(series_column)
    fc._check_loaded_state()
    restored = pickle.loads(pickle.dumps(fc))
    restored._check_loaded_state()


def _drop(name):
    def change(fc):
        delattr(fc, name)

    return change


def _set(name, value):
    def change(fc):
        setattr(fc, name, value)

    return change


def _set_tail(fc):
    key = next(iter(fc._series_tails))
    fc._series_tails[key] = np.zeros((fc.window_ + fc.horizon_, fc.n_features_in_))


def _set_clock(fc):
    key = next(iter(fc._series_clock))
    fc._series_clock[key] = ("2024-01-01", "h")


@pytest.mark.parametrize(
    "change, match",
    [
        (
            _drop("_series_tails"),
            r"missing the fitted attribute\(s\) \['_series_tails'",
        ),
        (_set("window_", 10**12), "window_ must be a positive int of at most 1000000"),
        (_set("window_", 0), "window_ must be a positive int"),
        (_set("horizon_", 10**7), "horizon_ must be a positive int"),
        (_set("horizon_", 2.0), "horizon_ must be a positive int"),
        (_set("n_features_in_", 0), "n_features_in_ must be a positive int"),
        (_set("_feature_positions", np.array([0, 1])), "_feature_positions"),
        (_set("known_columns_", np.array([9])), "known_columns_"),
        (_set("target_column_", 2), "target_column_"),
        (_set("target_column_", True), "target_column_"),
        (_set("_known_channels", [0]), "_known_channels and _target_channel"),
        (_set("_target_channel", 1), "_known_channels and _target_channel"),
        (_set("normalize_", "auto"), "normalize_"),
        (_set("normalize_", np.array(["window", "none"])), "normalize_"),
        (_set("_fit_input_kind", "ids"), "_fit_input_kind must be 'sequences'"),
        (_set("quantiles_", np.array([0.9, 0.1])), "quantiles_"),
        (_set("quantiles_", np.array([0.0, 0.5])), "quantiles_"),
        (_set("_n_outputs", 2), "_n_outputs does not match quantiles_"),
        (_set("_n_step_features", 9), "_n_step_features"),
        (_set("_fitted_architecture", {}), "the network's inputs and outputs"),
        (_set("_x_scale", np.zeros(3)), "_x_mean and _x_scale"),
        (_set("_x_mean", np.zeros(2)), "_x_mean and _x_scale"),
        (_set("_global_stats", None), "invalid _Stats"),
        (_set_tail, "_series_tails must map"),
        (_set("_series_tails", {}), "_series_tails must map"),
        (_set_clock, "_series_clock must map"),
        (_set("_series_clock", {"z": None}), "_series_clock must map"),
        (_set("series_ids_", np.array(["a"], dtype=object)), "series_ids_"),
        (_set("n_iter_", -1), "n_iter_"),
    ],
)
def test_sequence_forecaster_check_loaded_state_refuses(change, match):
    """Check that a missing, inconsistent or unbounded fitted value is refused."""
    fc = _fitted_for_state()
    change(fc)
    with pytest.raises(ValueError, match=match):
        fc._check_loaded_state()


def test_sequence_forecaster_check_loaded_state_series():
    """Check the series column's position and ids against the series."""
    fc = _fitted_for_state("id")
    fc._series_pos = 9
    with pytest.raises(ValueError, match="_series_pos must be a column position"):
        fc._check_loaded_state()
    fc = _fitted_for_state("id")
    fc.series_ids_ = np.array(["a", "c"], dtype=object)
    with pytest.raises(ValueError, match="series_ids_ must list the series"):
        fc._check_loaded_state()
    fc = _fitted_for_state("id")
    fc.series_ids_ = np.array([["a"], ["b"]], dtype=object)
    with pytest.raises(ValueError, match="series_ids_ must list the series"):
        fc._check_loaded_state()


@pytest.mark.parametrize("name", ["window_", "horizon_", "_series_pos"])
def test_sequence_forecaster_check_loaded_state_needs_every_attribute(name):
    """Check that a state without one of the fitted attributes is refused."""
    fc = _fitted_for_state()
    delattr(fc, name)
    with pytest.raises(
        ValueError, match=rf"missing the fitted attribute\(s\) \['{name}'\]"
    ):
        fc._check_loaded_state()


@pytest.mark.parametrize("name", ["window", "horizon"])
def test_sequence_forecaster_window_and_horizon_are_bounded(name):
    """Check that window and horizon above 10**6 steps are refused by fit."""
    y = _trend(30)
    with pytest.raises(ValueError, match=f"'{name}' parameter"):
        SequenceForecaster(**{name: 10**6 + 1}, **FAST).fit(y[:, None], y)


def test_predict_interval_without_quantiles_says_what_to_set():
    """Check that predict_interval without quantiles names the parameter."""
    y = _seasonal(80)
    est = SequenceForecaster(**FAST).fit(y[:, None], y)
    assert not hasattr(est, "predict_interval")
    with pytest.raises(AttributeError, match=r"set quantiles, for instance"):
        est.predict_interval(y[:, None])
    with pytest.raises(AttributeError, match="predict_quantiles needs quantile"):
        est.predict_quantiles(y[:, None])


@pytest.mark.parametrize("as_series", [True, False])
def test_forecaster_fit_without_y_forecasts_the_one_column(as_series):
    """Check that fit(X) with one column forecasts it, as fit(X, X[col])."""
    y = pd.Series(_seasonal(80), name="load")
    X = y if as_series else y.to_frame()
    alone = SequenceForecaster(**FAST).fit(X)
    both = SequenceForecaster(**FAST).fit(y.to_frame(), y)
    assert alone.target_column_ == both.target_column_ == 0
    assert_allclose(alone.forecast(5), both.forecast(5))
    assert_allclose(alone.predict(X), both.predict(y.to_frame()))
    with pytest.raises(ValueError, match="requires y"):
        SequenceForecaster(**FAST).fit(np.column_stack([y, y]))


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda X, y: (X * 1e160, y * 1e160), "Column 'load' of X holds values"),
        (lambda X, y: (X, y.astype(str)), r"y \(.load.\) must hold numbers"),
        (
            lambda X, y: (X.assign(when=pd.date_range("2020", periods=len(X))), y),
            "Column 'when' of X holds datetime64",
        ),
    ],
)
def test_forecaster_refuses_unreadable_values_by_name(make, match):
    """Check overflowing values, text targets and date columns are named."""
    y = pd.Series(_seasonal(60), name="load")
    X, y = make(y.to_frame(), y)
    with pytest.raises(ValueError, match=match):
        SequenceForecaster(**FAST).fit(X, y)


def test_forecaster_refuses_absurd_steps_and_nan_series_ids():
    """Check forecast(steps) is bounded and a NaN id in history is refused."""
    y = _seasonal(60)
    X = pd.DataFrame({"id": ["a"] * 30 + ["b"] * 30, "load": y})
    est = SequenceForecaster(**FAST, series_column="id").fit(X, y)
    with pytest.raises(ValueError, match="steps == 1000000000000"):
        est.forecast(10**12, series="a")
    history = X.iloc[:10].assign(id=np.nan)
    with pytest.raises(ValueError, match="series_column of history holds missing"):
        est.forecast(3, history=history)
