"""Tests of partial_fit on RNNClassifier and RNNRegressor."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sklearn_rnn import RNNClassifier, RNNRegressor, load, save

PARAMS = {"hidden_size": 8, "lr": 0.02, "random_state": 0}


def _data(n=60, seed=0, n_features=2):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 6, n_features)).astype(np.float32)
    score = X[:, :, 0].mean(axis=1)
    return X, np.where(score > 0, "up", "down"), 10 * score


def test_rnn_classifier_partial_fit_learns_in_chunks():
    """Check that chunks of one epoch each train the classifier."""
    X, y, _ = _data(120)
    clf = RNNClassifier(**PARAMS)
    for epoch in range(25):
        for start in range(0, 120, 40):
            part = slice(start, start + 40)
            clf.partial_fit(X[part], y[part], classes=["down", "up"])
    assert clf.n_iter_ == len(clf.history_) == 75
    assert (
        not clf.history_["valid_loss"].notna().any()
        if "valid_loss" in clf.history_
        else True
    )
    assert clf.score(X, y) > 0.9
    assert_array_equal(clf.classes_, ["down", "up"])


def test_rnn_classifier_partial_fit_classes_contract():
    """Check the classes rules of partial_fit, as in SGDClassifier."""
    X, y, _ = _data()
    clf = RNNClassifier(**PARAMS)
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X, y)
    assert not hasattr(clf, "net_")
    # A chunk may hold one class only.
    clf.partial_fit(X[y == "up"], y[y == "up"], classes=["up", "down"])
    assert clf.n_iter_ == 1
    before = clf.predict_proba(X)
    with pytest.raises(ValueError, match="not in classes"):
        clf.partial_fit(X[:4], ["up", "left", "up", "down"])
    with pytest.raises(ValueError, match="differs from the classes_"):
        clf.partial_fit(X, y, classes=["down", "up", "left"])
    with pytest.raises(ValueError, match="features per time step"):
        clf.partial_fit(X[:, :, :1], y)
    assert_array_equal(clf.predict_proba(X), before)
    assert clf.n_iter_ == 1
    clf.partial_fit(X, y)
    assert clf.n_iter_ == 2
    with pytest.raises(ValueError, match="balanced"):
        RNNClassifier(class_weight="balanced").partial_fit(X, y, classes=["up", "down"])


def test_rnn_regressor_partial_fit_keeps_first_scaling_and_learns():
    """Check that the regressor's targets keep the first chunk's scaling."""
    X, _, y = _data(120)
    reg = RNNRegressor(**PARAMS)
    reg.partial_fit(X[:40], y[:40])
    mean, scale = reg._y_mean.copy(), reg._y_scale.copy()
    for _ in range(30):
        reg.partial_fit(X[40:], y[40:])
    assert_array_equal(reg._y_mean, mean)
    assert_array_equal(reg._y_scale, scale)
    assert reg.n_iter_ == 31
    assert reg.score(X, y) > 0.6
    with pytest.raises(ValueError, match="same number of targets"):
        reg.partial_fit(X, np.column_stack([y, y]))


@pytest.mark.parametrize("Estimator", [RNNClassifier, RNNRegressor])
def test_estimator_partial_fit_after_fit_trains_on(Estimator):
    """Check that partial_fit after fit trains the fitted network one epoch."""
    X, labels, values = _data()
    y = labels if Estimator is RNNClassifier else values
    est = Estimator(**PARAMS, max_epochs=5).fit(X, y)
    weights = est.net_.module_.head[-1].weight.detach().clone()
    est.partial_fit(X, y)
    assert est.n_iter_ == 6
    assert not np.allclose(est.net_.module_.head[-1].weight.detach(), weights)
    # fit starts over without warm_start.
    assert est.fit(X, y).n_iter_ == 5


@pytest.mark.parametrize("Estimator", [RNNClassifier, RNNRegressor])
def test_estimator_partial_fit_continues_after_load(Estimator, tmp_path):
    """Check that a saved and loaded estimator's partial_fit continues alike."""
    X, labels, values = _data()
    y = labels if Estimator is RNNClassifier else values
    extra = {"classes": ["down", "up"]} if Estimator is RNNClassifier else {}
    est = Estimator(**PARAMS).partial_fit(X, y, **extra)
    save(est, tmp_path / "est.safetensors")
    loaded = load(tmp_path / "est.safetensors")
    est.partial_fit(X, y)
    loaded.partial_fit(X, y)
    assert loaded.n_iter_ == est.n_iter_ == 2
    assert_allclose(
        loaded.predict(X) if Estimator is RNNRegressor else 0,
        est.predict(X) if Estimator is RNNRegressor else 0,
    )
    if Estimator is RNNClassifier:
        assert_allclose(loaded.predict_proba(X), est.predict_proba(X))
