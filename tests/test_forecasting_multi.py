"""SequenceForecaster(multi_output=True): all leads from one window."""

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from sklearn_rnn import SequenceForecaster, load, save

H = 4
PARAMS = {
    "window": 12,
    "horizon": H,
    "multi_output": True,
    "hidden_size": 8,
    "lr": 0.01,
    "max_epochs": 30,
    "random_state": 0,
}


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        from sklearn.exceptions import ConvergenceWarning

        warnings.simplefilter("ignore", ConvergenceWarning)
        # NumPy rows for a forecaster fitted on a DataFrame.
        warnings.filterwarnings("ignore", message="X does not have valid feature")
        yield


def _series(n=160, seed=0):
    rng = np.random.RandomState(seed)
    t = np.arange(n)
    y = 20 + 5 * np.sin(2 * np.pi * t / 12) + 0.05 * t + rng.normal(0, 0.3, n)
    index = pd.period_range("2000-01", periods=n, freq="M")
    return pd.Series(y, index=index, name="y")


@pytest.fixture(scope="module")
def fitted():
    y = _series()
    est = SequenceForecaster(**PARAMS, quantiles=(0.1, 0.5, 0.9))
    return est.fit(y.to_frame(), y), y


def test_multi_output_network_emits_every_lead(fitted):
    """Check the network's outputs: one block of point and quantiles per lead."""
    est, _ = fitted
    assert est.multi_output_
    assert est._fitted_architecture["n_outputs"] == H * 4
    assert est.net_.module_.head[-1].out_features == H * 4


@pytest.mark.parametrize("lead", range(1, H + 1))
def test_multi_output_predict_lead_matches_forecast_from_history(fitted, lead):
    """Check predict(X, lead) equals forecasting lead steps from the rows before."""
    est, y = fitted
    X = y.to_frame().to_numpy()
    pred = est.predict(X, lead=lead)
    for t in (30, 71, 150):
        direct = est.forecast(lead, history=X[: t - lead + 1])
        assert pred[t] == pytest.approx(np.asarray(direct)[-1], rel=1e-6)


def test_multi_output_forecast_is_direct_with_quantiles_for_every_lead(fitted):
    """Check forecast(h) reads one window and gives quantiles for every step."""
    est, y = fitted
    point, quantiles = est.forecast(H, return_quantiles=True)
    assert isinstance(point, pd.Series) and len(point) == H
    assert point.index[0] == y.index[-1] + 1
    assert quantiles.shape == (H, 3)
    assert (np.diff(quantiles.to_numpy(), axis=1) >= 0).all()
    # Beyond the horizon: blocks of H fed back.
    longer = est.forecast(3 * H)
    assert_allclose(longer[:H], point)
    # The forecasts follow the season: better than the last value repeated.
    truth = 20 + 5 * np.sin(2 * np.pi * np.arange(160, 160 + H) / 12) + 0.05 * 160
    assert np.abs(point - truth).mean() < np.abs(y.iloc[-1] - truth).mean()


def test_multi_output_predict_interval_per_lead(fitted):
    """Check predict_interval takes a lead and returns ordered bounds."""
    est, y = fitted
    for lead in (1, H):
        interval = est.predict_interval(y.to_frame(), coverage=0.8, lead=lead)
        assert interval.shape == (len(y), 2)
        assert (interval[:, 0] <= interval[:, 1]).all()


def test_lead_is_checked():
    """Check that a lead outside the network's leads is refused by name."""
    y = _series(80)
    single = SequenceForecaster(**{**PARAMS, "multi_output": False, "max_epochs": 1})
    single.fit(y.to_frame(), y)
    with pytest.raises(ValueError, match="only horizon_=4"):
        single.predict(y.to_frame(), lead=1)
    multi = SequenceForecaster(**{**PARAMS, "max_epochs": 1}).fit(y.to_frame(), y)
    with pytest.raises(ValueError, match="lead must be one of 1 to horizon_=4"):
        multi.predict(y.to_frame(), lead=5)


def test_multi_output_refuses_known_columns():
    """Check that known columns, needed at every lead, are refused for now."""
    y = _series(60)
    X = y.to_frame().assign(month=np.arange(60) % 12)
    with pytest.raises(ValueError, match="does not take known_columns"):
        SequenceForecaster(**PARAMS, known_columns="month").fit(X, y)


def test_multi_output_save_load_round_trip(fitted, tmp_path):
    """Check that a multi-output forecaster saves and loads unchanged."""
    est, y = fitted
    save(est, tmp_path / "multi.safetensors")
    loaded = load(tmp_path / "multi.safetensors")
    assert loaded.multi_output_
    assert_allclose(loaded.forecast(H), est.forecast(H))
    assert_allclose(
        loaded.predict(y.to_frame(), lead=2), est.predict(y.to_frame(), lead=2)
    )


def test_multi_output_onnx_parity(fitted, tmp_path):
    """Check the exported graph gives every lead's outputs of predict."""
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    from sklearn_rnn.export import onnx_inputs, to_onnx

    est, y = fitted
    X = y.to_frame().to_numpy()
    session = ort.InferenceSession(str(to_onnx(est, tmp_path / "multi.onnx")))
    inputs, rows = onnx_inputs(est, X)
    out = session.run(None, inputs)[0]
    assert out.shape == (len(rows), H * 4)
    for lead in range(1, H + 1):
        # The window of row t ends at t - H: lead k forecasts row t - H + k.
        target_rows = rows - H + lead
        point = out[:, (lead - 1) * 4]
        assert_allclose(point, est.predict(X, lead=lead)[target_rows], rtol=1e-5)


def test_multi_output_auto_unless_known_columns():
    """Check multi_output='auto': every lead, unless there are known columns."""
    y = _series(60)
    params = {**PARAMS, "max_epochs": 1, "multi_output": "auto"}
    assert SequenceForecaster(**params).fit(y.to_frame(), y).multi_output_
    X = y.to_frame().assign(month=np.arange(60) % 12)
    est = SequenceForecaster(**params, known_columns="month").fit(X, y)
    assert not est.multi_output_


def test_calibrate_quantiles_moves_the_full_network(tmp_path):
    """Check that calibration shifts the network trained on every window.

    The network kept is the one an uncalibrated fit trains (same point
    forecasts); its quantiles move by the shifts that the held-out windows
    give the network trained without them, which early stopping keeps.
    """
    rng = np.random.RandomState(0)
    n = 400
    t = np.arange(n)
    y = pd.Series(np.sin(2 * np.pi * t / 12) + rng.standard_t(3, n), name="y")
    params = {**PARAMS, "horizon": 2, "max_epochs": 20, "quantiles": (0.1, 0.9)}
    X = y.to_frame()
    est = SequenceForecaster(**params, calibrate_quantiles=True).fit(X, y)
    plain = SequenceForecaster(**params).fit(X, y)
    assert not est._fitted_architecture["holds_out"]
    # With early stopping, the network that stopped on the held-out windows
    # is kept: shifted, and as it is.
    stopped = SequenceForecaster(
        **params, calibrate_quantiles=True, early_stopping=True
    ).fit(X, y)
    held_out = SequenceForecaster(**params, early_stopping=True).fit(X, y)
    assert stopped._fitted_architecture["holds_out"]
    rows = np.arange(50, n)
    for lead in (1, 2):
        assert_allclose(est.predict(X, lead=lead), plain.predict(X, lead=lead))
        shift = est.predict_quantiles(X, lead) - plain.predict_quantiles(X, lead)
        source = stopped.predict_quantiles(X, lead) - held_out.predict_quantiles(
            X, lead
        )
        assert_allclose(shift[rows], source[rows], atol=1e-4)
        assert_allclose(
            shift[rows], np.broadcast_to(shift[-1], shift[rows].shape), atol=1e-5
        )
        assert np.abs(shift[-1]).min() > 1e-3
    # The shift lives in the output layer: files and graphs carry it.
    save(est, tmp_path / "cal.safetensors")
    loaded = load(tmp_path / "cal.safetensors")
    assert_allclose(loaded.predict_quantiles(X), est.predict_quantiles(X))


def test_calibrate_quantiles_with_warm_start_calibrates_a_fresh_network():
    """Check that warm_start on a first fit changes nothing, with one warning.

    A calibrating fit with ``warm_start=True`` and no fitted network trains
    the same networks as without it, and only the network kept may warn
    that it ran out of epochs.
    """
    y = pd.Series(np.sin(np.arange(300) / 3.0), name="y")
    params = {**PARAMS, "max_epochs": 3, "quantiles": (0.1, 0.9)}
    X = y.to_frame()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cold = SequenceForecaster(**params, calibrate_quantiles=True).fit(X, y)
    converge = [w for w in caught if "max_epochs" in str(w.message)]
    assert len(converge) == 1
    warm = SequenceForecaster(**params, calibrate_quantiles=True, warm_start=True)
    warm.fit(X, y)
    assert not warm._fitted_architecture["holds_out"]
    assert_allclose(warm.predict_quantiles(X), cold.predict_quantiles(X))


def test_held_out_windows_and_the_gap_before_them():
    """Check each series holds out its latest windows, after a gap."""
    from sklearn_rnn.forecasting._windows import latest_windows

    valid, gap = latest_windows(np.array([10, 5]), 0.2, gap=3)
    assert_allclose(valid, [8, 9, 14])
    assert_allclose(gap, [5, 6, 7, 11, 12, 13])
    valid, gap = latest_windows(np.array([10, 5]), 0.2)
    assert_allclose(valid, [8, 9, 14])
    assert len(gap) == 0


def test_early_stopping_trains_without_the_windows_before_the_held_out():
    """Check a multi-output network does not train on targets it validates on.

    The ``horizon - 1`` windows before the held-out ones have targets among
    theirs: they are left out of training.
    """
    from skorch.callbacks import Callback

    class CountSamples(Callback):
        def on_epoch_begin(self, net, **kwargs):
            self.seen_ = 0

        def on_batch_end(self, net, batch=None, training=None, **kwargs):
            if training:
                self.seen_ += len(batch[0]["X"])

    y = np.sin(np.arange(120) / 3.0) + 0.01 * np.arange(120)
    counts = {}
    for horizon in (1, 6):
        est = SequenceForecaster(
            window=12,
            horizon=horizon,
            early_stopping=True,
            validation_fraction=0.2,
            hidden_size=8,
            max_epochs=1,
            random_state=0,
            callbacks=[("count", CountSamples())],
        ).fit(y.reshape(-1, 1), y)
        counts[horizon] = dict(est.net_.callbacks_)["count"].seen_
    n_windows = {1: 119, 6: 114}
    assert counts[1] == n_windows[1] - np.ceil(0.2 * 119)
    assert counts[6] == n_windows[6] - np.ceil(0.2 * 114) - 5
