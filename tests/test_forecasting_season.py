"""SequenceForecaster(normalize="seasonal"): forecasts relative to the last season."""

import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from numpy.testing import assert_allclose
from pandas.tseries.frequencies import to_offset

from sklearn_rnn import SequenceForecaster
from sklearn_rnn.forecasting._season import season_from_frequency

PARAMS = {"window": 12, "hidden_size": 8, "max_epochs": 5, "random_state": 0}


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        from sklearn.exceptions import ConvergenceWarning

        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _monthly(n=96, seasonal=True, seed=0):
    rng = np.random.RandomState(seed)
    t = np.arange(n)
    season = 10 * np.sin(2 * np.pi * t / 12) if seasonal else 0.0
    noise = rng.normal(0, 0.5, n) if seasonal else rng.normal(0, 1.0, n).cumsum()
    y = 100 + season + noise
    return pd.Series(y, index=pd.period_range("2001-01", periods=n, freq="M"), name="y")


def _zero_output(est):
    """Make the network output zero: the forecaster returns its reference."""
    with torch.no_grad():
        for param in est.net_.module_.head[-1].parameters():
            param.zero_()


@pytest.mark.parametrize(
    "freq, expected",
    [
        ("ME", 12),
        ("MS", 12),
        ("QE", 4),
        ("QS", 4),
        ("W", 52),
        ("D", 7),
        ("B", 5),
        ("h", 24),
        ("2ME", 6),
        ("5ME", 1),
        ("YE", 1),
        ("min", 1),
        (None, 1),
    ],
)
def test_season_from_frequency(freq, expected):
    """Check the steps per season read from a frequency."""
    offset = None if freq is None else to_offset(freq)
    assert season_from_frequency(offset) == expected


@pytest.mark.parametrize("freq, expected", [("M", 12), ("Q", 4), ("Y", 1)])
def test_season_from_period_frequency(freq, expected):
    """Check the frequencies of a PeriodIndex."""
    index = pd.period_range("2000-01", periods=3, freq=freq)
    assert season_from_frequency(index.freq) == expected


def test_auto_picks_seasonal_only_where_the_season_helps():
    """Check "auto": seasonal on a seasonal monthly series, window otherwise."""
    seasonal = SequenceForecaster(**PARAMS).fit(_monthly())
    assert (seasonal.normalize_, seasonal.season_length_) == ("seasonal", 12)
    walk = SequenceForecaster(**PARAMS).fit(_monthly(seasonal=False))
    assert (walk.normalize_, walk.season_length_) == ("window", 12)
    y = _monthly()
    plain = SequenceForecaster(**PARAMS).fit(y.to_numpy().reshape(-1, 1), y.to_numpy())
    assert (plain.normalize_, plain.season_length_) == ("window", 1)
    short = SequenceForecaster(**{**PARAMS, "window": 6}).fit(y)
    assert short.normalize_ == "window"


def _reference(values, origin, window, lead, m=12):
    """The seasonal reference of ``lead`` after the window ending at ``origin``.

    The mean of the window's last complete season plus the deviation of the
    lead's season from its season's mean, averaged over the complete seasons
    at the window's end; the last value without one.
    """
    start = max(origin - window + 1, 0)
    k = (origin - start + 1) // m
    if k == 0:
        return values[origin]
    seasons = [
        values[origin - (k - j) * m + 1 : origin - (k - j - 1) * m + 1]
        for j in range(k)
    ]
    position = (lead - 1) % m
    deviation = np.mean([season[position] - season.mean() for season in seasons])
    return seasons[-1].mean() + deviation


def test_seasonal_reference_with_one_season_is_seasonal_naive():
    """Check a network that outputs zero forecasts the last season again.

    With a window of one season, ``predict`` gives each row the value one
    season before it (rows with less than a season of history get the last
    value), and ``forecast`` repeats the last observed season, for any
    number of steps.
    """
    y = _monthly()
    est = SequenceForecaster(**PARAMS, horizon=1).fit(y)
    _zero_output(est)
    values = y.to_numpy()
    pred = est.predict(y.to_frame())
    assert_allclose(pred[12:], values[:-12], rtol=1e-5)
    assert_allclose(pred[1:12], values[:11], rtol=1e-5)
    future = est.forecast(30)
    assert_allclose(future, np.tile(values[-12:], 3)[:30], rtol=1e-5)


def test_seasonal_reference_averages_the_seasons_in_the_window():
    """Check the reference of a window of several seasons, row by row."""
    y = _monthly(seed=3)
    est = SequenceForecaster(**{**PARAMS, "window": 36}, horizon=1).fit(y)
    _zero_output(est)
    values = y.to_numpy()
    pred = est.predict(y.to_frame())
    expected = [_reference(values, t - 1, 36, 1) for t in range(1, len(values))]
    assert_allclose(pred[1:], expected, rtol=1e-5)
    # Recursive: each forecast joins the window of the next.
    history = list(values)
    for _ in range(15):
        history.append(_reference(np.asarray(history), len(history) - 1, 36, 1))
    assert_allclose(est.forecast(15), history[len(values) :], rtol=1e-5)


def test_seasonal_multi_output_reference_per_lead():
    """Check each lead of a multi-output network reads its own season."""
    y = _monthly(seed=4)
    est = SequenceForecaster(**{**PARAMS, "window": 30}, horizon=18).fit(y)
    assert est.multi_output_ and est.normalize_ == "seasonal"
    _zero_output(est)
    values = y.to_numpy()
    last = len(values) - 1
    expected = [_reference(values, last, 30, lead) for lead in range(1, 19)]
    assert_allclose(est.forecast(18), expected, rtol=1e-5)
    for lead in (1, 7, 12, 13, 18):
        pred = est.predict(y.to_frame(), lead=lead)
        rows = np.arange(lead, len(values))
        expected = [_reference(values, t - lead, 30, lead) for t in rows]
        assert_allclose(pred[rows], expected, rtol=1e-5)


def test_auto_window_and_horizon_follow_the_season():
    """Check "auto": two seasons ahead with a season; three in a seasonal window."""
    small = {"hidden_size": 8, "max_epochs": 2, "random_state": 0}
    seasonal = SequenceForecaster(**small).fit(_monthly())
    assert (seasonal.normalize_, seasonal.window_, seasonal.horizon_) == (
        "seasonal",
        36,
        24,
    )
    assert seasonal.multi_output_
    # The horizon follows the season, not the normalization chosen from the
    # data: cross-validation folds all forecast as far ahead.
    walk = SequenceForecaster(**small).fit(_monthly(seasonal=False))
    assert (walk.normalize_, walk.window_, walk.horizon_) == ("window", 24, 24)
    y = _monthly()
    plain = SequenceForecaster(**small).fit(y.to_numpy().reshape(-1, 1), y.to_numpy())
    assert (plain.season_length_, plain.window_, plain.horizon_) == (1, 24, 1)
    # Two seasons or fewer cannot train two seasons ahead.
    short = SequenceForecaster(**small).fit(_monthly(n=24))
    assert short.horizon_ == 1
    assert SequenceForecaster(**small).fit(_monthly(n=25)).horizon_ == 24
    given = SequenceForecaster(window=20, horizon=3, **small).fit(_monthly())
    assert (given.window_, given.horizon_) == (20, 3)
    # A one-lead network (known columns) forecasts one step ahead.
    frame = _monthly().to_frame()
    frame["month"] = frame.index.month
    known = SequenceForecaster(target_column="y", known_columns="month", **small)
    known.fit(frame, frame["y"])
    assert (known.multi_output_, known.window_, known.horizon_) == (False, 36, 1)


def test_auto_horizon_needs_windows_to_train_and_a_season_in_the_window():
    """Check "auto" falls back to one step where two seasons cannot train.

    With early stopping the latest windows are held out and the ones before
    them train nothing; 52 weeks do not fit in the "auto" window.
    """
    small = {"hidden_size": 8, "max_epochs": 2, "random_state": 0}
    y = _monthly(n=40)
    assert SequenceForecaster(**small).fit(y).horizon_ == 24
    stopped = SequenceForecaster(early_stopping=True, **small).fit(y)
    assert stopped.horizon_ == 1
    long = SequenceForecaster(early_stopping=True, **small).fit(_monthly())
    assert long.horizon_ == 24
    t = np.arange(200)
    weekly = pd.Series(
        100 + 10 * np.sin(2 * np.pi * t / 52),
        index=pd.date_range("2001-01-07", periods=200, freq="W"),
        name="y",
    )
    est = SequenceForecaster(**small).fit(weekly)
    assert (est.season_length_, est.window_, est.horizon_) == (52, 24, 1)


def test_auto_sizes_keep_the_whole_history():
    """Check the stored series end covers the "auto" window and horizon.

    Rows after the training data read its end as history: their forecasts
    equal those of the whole series.
    """
    y = _monthly()
    est = SequenceForecaster(hidden_size=8, max_epochs=2, random_state=0)
    est.fit(y.iloc[:80])
    assert (est.window_, est.horizon_) == (36, 24)
    tail = est._series_tails[None]
    assert len(tail) == est.window_ + est.horizon_ - 1
    whole = est.predict(y.to_frame())
    assert_allclose(est.predict(y.iloc[80:].to_frame()), whole[80:], rtol=1e-6)


def test_warm_start_keeps_the_auto_sizes():
    """Check a warm start on other data keeps the first fit's window and horizon."""
    est = SequenceForecaster(hidden_size=8, max_epochs=2, warm_start=True)
    est.fit(_monthly(n=24))
    assert (est.window_, est.horizon_) == (24, 1)
    # A first fit on these rows would forecast two seasons at once.
    est.fit(_monthly())
    assert (est.window_, est.horizon_) == (24, 1)
    assert est.forecast(3).shape == (3,)


def test_seasonal_onnx_parity(tmp_path):
    """Check the exported graph adds each lead's own level."""
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    from sklearn_rnn.export import onnx_inputs, to_onnx

    y = _monthly()
    # Three seasons in the window: the levels average them.
    est = SequenceForecaster(**{**PARAMS, "window": 36}, horizon=5).fit(y.iloc[:80])
    assert est.normalize_ == "seasonal"
    inputs, rows = onnx_inputs(est, y.to_frame())
    assert inputs["level"].shape == (len(rows), 5)
    session = ort.InferenceSession(str(to_onnx(est, tmp_path / "s.onnx")))
    out = session.run(None, inputs)[0]
    # Row ``r``'s window ends at ``r - 5``; its block for ``lead`` forecasts
    # row ``r - 5 + lead``, which ``predict(X, lead)`` reads from that window.
    for lead in range(1, 6):
        pred = est.predict(y.to_frame(), lead=lead)
        assert_allclose(out[:, lead - 1], pred[rows - 5 + lead], rtol=1e-5)


def test_seasonal_save_load_round_trip(tmp_path):
    """Check the season and its normalization survive save and load."""
    from sklearn_rnn import load, save

    y = _monthly()
    est = SequenceForecaster(**PARAMS).fit(y)
    save(est, tmp_path / "s.safetensors")
    loaded = load(tmp_path / "s.safetensors")
    assert (loaded.normalize_, loaded.season_length_) == ("seasonal", 12)
    assert_allclose(loaded.forecast(14), est.forecast(14))


@pytest.mark.parametrize(
    "params, X",
    [
        ({"normalize": "seasonal"}, "numpy"),
        ({"normalize": "seasonal", "season_length": 24}, "series"),
        ({"normalize": "seasonal", "season_length": 1}, "series"),
    ],
)
def test_seasonal_needs_a_season_in_the_window(params, X):
    """Check normalize="seasonal" names season_length when it cannot apply."""
    y = _monthly()
    data = y.to_numpy().reshape(-1, 1) if X == "numpy" else y.to_frame()
    with pytest.raises(ValueError, match="season_length"):
        SequenceForecaster(**PARAMS, **params).fit(data, y.to_numpy())


def test_explicit_season_length_without_time_index():
    """Check a given season_length serves NumPy input."""
    y = _monthly()
    est = SequenceForecaster(**PARAMS, season_length=12).fit(
        y.to_numpy().reshape(-1, 1), y.to_numpy()
    )
    assert (est.normalize_, est.season_length_) == ("seasonal", 12)
    none = SequenceForecaster(**PARAMS, season_length=None).fit(y)
    assert (none.normalize_, none.season_length_) == ("window", 1)


def test_warm_start_keeps_the_first_choice():
    """Check a warm start keeps the first fit's normalization and season."""
    y = _monthly()
    est = SequenceForecaster(**PARAMS, warm_start=True).fit(y)
    est.fit(_monthly(seasonal=False))
    assert (est.normalize_, est.season_length_) == ("seasonal", 12)
    est.set_params(season_length=4)
    with pytest.raises(ValueError, match="season_length_"):
        est.fit(y)


def test_weight_decay_auto_follows_the_normalization():
    """Check "auto" decays weights under seasonal normalization only."""
    seasonal = SequenceForecaster(**PARAMS).fit(_monthly())
    assert seasonal.net_.optimizer_.param_groups[0]["weight_decay"] == 0.01
    walk = SequenceForecaster(**PARAMS).fit(_monthly(seasonal=False))
    assert walk.net_.optimizer_.param_groups[0]["weight_decay"] == 0.0
    given = SequenceForecaster(**PARAMS, weight_decay=0.5).fit(_monthly())
    assert given.net_.optimizer_.param_groups[0]["weight_decay"] == 0.5


def test_training_starts_from_the_reference():
    """Check the output layer starts at zero: an untrained net is seasonal naive."""
    y = _monthly()
    params = {**PARAMS, "max_epochs": 1, "lr": 1e-12, "horizon": 1}
    est = SequenceForecaster(**params).fit(y)
    values = y.to_numpy()
    assert_allclose(est.predict(y.to_frame())[12:], values[:-12], rtol=1e-6)
