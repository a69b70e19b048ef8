# SPDX-License-Identifier: BSD-3-Clause
"""Tests of RNNRegressor."""

import numpy as np
import pytest
from conftest import CHEAP_PARAMS
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.metrics import r2_score

from sklearn_rnn import RNNRegressor

FAST_PARAMS = {**CHEAP_PARAMS, "max_epochs": 3}


def _learnable(n_samples=80, seed=0):
    """Sequences and a target: the sum of feature 0 over the last 3 steps."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, 10, 2)).astype(np.float32)
    return X, X[:, -3:, 0].sum(axis=1).astype(np.float64)


@pytest.mark.parametrize("kind", ["3d", "ragged"])
def test_rnn_regressor_single_output(kind, ragged_sequences):
    """Check that a 1-D target gives 1-D float64 predictions."""
    if kind == "3d":
        X, y = _learnable()
    else:
        X, _, y = ragged_sequences
    reg = RNNRegressor(**FAST_PARAMS).fit(X, list(y))
    pred = reg.predict(X)
    assert pred.dtype == np.float64
    assert pred.shape == (len(X),)
    assert np.all(np.isfinite(pred))
    assert reg.net_.module_.head[-1].out_features == 1


@pytest.mark.parametrize("kind", ["3d", "ragged"])
def test_rnn_regressor_learns_simple_task(kind, ragged_sequences):
    """Check that the regressor fits a learnable target."""
    if kind == "3d":
        X, y = _learnable()
    else:
        X, _, y = ragged_sequences
    reg = RNNRegressor(**CHEAP_PARAMS).fit(X, y)
    assert r2_score(y, reg.predict(X)) > 0.8


def test_rnn_regressor_multi_output():
    """Check that a 2-D target gives one learned output per column."""
    X, y = _learnable()
    # Columns on very different scales and with different signs.
    Y = np.column_stack([y, -1000.0 * y + 5000.0])
    reg = RNNRegressor(**CHEAP_PARAMS).fit(X, Y)
    pred = reg.predict(X)
    assert pred.dtype == np.float64
    assert pred.shape == (len(X), 2)
    assert reg.net_.module_.head[-1].out_features == 2
    assert np.all(r2_score(Y, pred, multioutput="raw_values") > 0.8)


def test_rnn_regressor_column_target_stays_2d():
    """Check that a target of shape (n, 1) gives predictions of shape (n, 1)."""
    X, y = _learnable()
    reg = RNNRegressor(**FAST_PARAMS).fit(X, y[:, None])
    pred = reg.predict(X)
    assert pred.shape == (len(X), 1)
    assert pred.dtype == np.float64

    # Same fit as with the 1-D target, only the shape of the output differs.
    flat = RNNRegressor(**FAST_PARAMS).fit(X, y).predict(X)
    assert_allclose(pred[:, 0], flat)


@pytest.mark.parametrize("scale, offset", [(1000.0, 5000.0), (1e-3, -2.0)])
def test_rnn_regressor_target_scaling(scale, offset):
    """Check that targets far from unit scale are learned just as well."""
    X, y = _learnable()
    y_scaled = scale * y + offset
    reg = RNNRegressor(**CHEAP_PARAMS).fit(X, y_scaled)
    pred = reg.predict(X)
    assert r2_score(y_scaled, pred) > 0.8

    # Scaling is internal: the fit equals the unit-scale fit, rescaled.
    unit = RNNRegressor(**CHEAP_PARAMS).fit(X, y).predict(X)
    assert_allclose((pred - offset) / scale, unit, rtol=1e-4, atol=1e-4)


def test_rnn_regressor_constant_target():
    """Check that a constant target is predicted without dividing by zero."""
    X, _ = _learnable()
    reg = RNNRegressor(**CHEAP_PARAMS).fit(X, np.full(len(X), 7.5))
    assert_array_equal(reg._y_scale, [1.0])
    assert_allclose(reg.predict(X), 7.5, atol=0.05)


def test_rnn_regressor_sample_weight_shifts_predictions():
    """Check that heavily weighting some samples pulls predictions to them."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 8, 2)).astype(np.float32)
    # Targets without signal: the best the fit can do is their weighted mean.
    y = rng.permutation(np.repeat([0.0, 100.0], 50))
    params = {**CHEAP_PARAMS, "max_epochs": 10}
    plain = RNNRegressor(**params).fit(X, y)
    weighted = RNNRegressor(**params).fit(X, y, sample_weight=np.where(y > 0, 20, 1))

    assert abs(plain.predict(X).mean() - 50.0) < 15.0
    assert weighted.predict(X).mean() > 80.0


def test_rnn_regressor_zero_sample_weight_drops_samples():
    """Check that samples of zero weight do not change the fit."""
    X, y = _learnable()
    y_outliers = y.copy()
    y_outliers[:10] = 1e4
    sample_weight = np.ones(len(y))
    sample_weight[:10] = 0.0
    # One batch per epoch, so that only the summation order differs.
    params = {**FAST_PARAMS, "max_epochs": 5, "batch_size": 256}

    weighted = RNNRegressor(**params).fit(X, y_outliers, sample_weight=sample_weight)
    dropped = RNNRegressor(**params).fit(X[10:], y[10:])
    assert_allclose(weighted.predict(X), dropped.predict(X), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_rnn_regressor_non_finite_target_raises(bad):
    """Check that NaN or infinity in y raises a ValueError."""
    X, y = _learnable()
    y = y.copy()
    y[5] = bad
    match = "NaN" if np.isnan(bad) else "infinity"
    with pytest.raises(ValueError, match=match):
        RNNRegressor(**FAST_PARAMS).fit(X, y)


def test_rnn_regressor_3d_target_raises():
    """Check that a 3-D target raises a ValueError naming its dimension."""
    X, y = _learnable()
    with pytest.raises(ValueError, match="dim 3"):
        RNNRegressor(**FAST_PARAMS).fit(X, y.reshape(-1, 1, 1))


def test_rnn_regressor_warm_start_keeps_target_scaling():
    """Check that warm_start continues on the scale learned in the first fit."""
    X, y = _learnable()
    reg = RNNRegressor(**FAST_PARAMS, warm_start=True).fit(X, 100 * y)
    mean, scale = reg._y_mean.copy(), reg._y_scale.copy()
    reg.fit(X[:40], 100 * y[:40] + 50)
    assert_array_equal(reg._y_mean, mean)
    assert_array_equal(reg._y_scale, scale)
    assert reg.n_iter_ == 2 * FAST_PARAMS["max_epochs"]


@pytest.mark.parametrize(
    "first, second",
    [((), (2,)), ((2,), ()), ((2,), (3,)), ((1,), (2,))],
    ids=["1d-to-2", "2-to-1d", "2-to-3", "1-to-2"],
)
def test_rnn_regressor_warm_start_other_outputs_raises(first, second):
    """Check that warm_start with another target width raises, keeping the fit."""
    X, y = _learnable()

    def target(shape):
        if shape == ():
            return y
        return np.column_stack([(i + 1) * y for i in range(shape[0])])

    reg = RNNRegressor(**FAST_PARAMS, warm_start=True).fit(X, target(first))
    before = reg.predict(X)
    with pytest.raises(ValueError, match="warm_start=True needs the same"):
        reg.fit(X, target(second))
    after = reg.predict(X)
    assert after.shape == before.shape
    assert_array_equal(after, before)
