"""Tests of the training engine shared by the network estimators."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
from conftest import CHEAP_PARAMS
from numpy.testing import assert_array_equal
from skorch.callbacks import Callback

from sklearn_rnn import RNNClassifier, RNNRegressor, SequenceForecaster

FAST_PARAMS = {**CHEAP_PARAMS, "max_epochs": 3, "dropout": 0.2}


class _FailAfter(Callback):
    """Raise at the end of the ``epoch``-th epoch of a fit call."""

    def __init__(self, epoch=1, error=RuntimeError):
        self.epoch = epoch
        self.error = error

    def initialize(self):
        self.seen_ = 0
        return self

    def on_epoch_end(self, net, **kwargs):
        self.seen_ += 1
        if self.seen_ == self.epoch:
            raise self.error("failed during training")


def _data(Estimator, n=48, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 6, 2)).astype(np.float32)
    values = X[:, :, 0].mean(axis=1)
    y = (values > 0).astype(int) if Estimator is RNNClassifier else 10 * values
    return X, y


def _output(est, X):
    if hasattr(est, "predict_proba"):
        return est.predict_proba(X)
    return est.predict(X)


def _optimizer_state(est):
    state = est.net_.optimizer_.state_dict()
    return {
        (i, key): value.clone()
        for i, entry in state["state"].items()
        for key, value in entry.items()
    }


@pytest.mark.parametrize("Estimator", [RNNClassifier, RNNRegressor])
@pytest.mark.parametrize("changes", [{}, {"lr": 0.1, "optimizer": "sgd"}])
def test_warm_start_failing_mid_training_leaves_model_unchanged(Estimator, changes):
    """Check that a warm start failing during training keeps the fitted model."""
    X, y = _data(Estimator)
    est = Estimator(**FAST_PARAMS, warm_start=True).fit(X, y)
    before, n_iter = _output(est, X), est.n_iter_
    optimizer, history = _optimizer_state(est), est.history_.copy()
    est.set_params(callbacks=[_FailAfter(1)], **changes)
    with pytest.raises(RuntimeError, match="failed during training"):
        est.fit(X, y)
    assert_array_equal(_output(est, X), before)
    assert est.n_iter_ == n_iter == len(est.net_.history)
    assert est.history_.equals(history)
    after = _optimizer_state(est)
    assert after.keys() == optimizer.keys()
    assert all(torch.equal(after[key], optimizer[key]) for key in optimizer)
    # Training goes on exactly as if the failed call had never happened.
    twin = Estimator(**FAST_PARAMS, warm_start=True).fit(X, y)
    est.set_params(callbacks=None, lr=FAST_PARAMS["lr"], optimizer="adam")
    assert_array_equal(_output(est.fit(X, y), X), _output(twin.fit(X, y), X))


def test_warm_start_failing_keeps_embedding_trainable():
    """Check that a failed warm start leaves the embedding's freezing as it was."""
    rng = np.random.RandomState(0)
    X = rng.randint(2, 30, size=(40, 7))
    y = (X[:, 0] > 15).astype(int)
    clf = RNNClassifier(**FAST_PARAMS, warm_start=True).fit(X, y)
    clf.set_params(freeze_embeddings=True, callbacks=[_FailAfter(1)])
    with pytest.raises(RuntimeError):
        clf.fit(X, y)
    assert clf.net_.module_.embedding.weight.requires_grad
    assert clf._fitted_architecture["freeze_embeddings"] is False


def test_forecaster_warm_start_failing_leaves_model_unchanged():
    """Check that the forecaster's failed warm start keeps its fitted model."""
    t = np.arange(120, dtype=np.float64)
    X = np.sin(t / 4)[:, None]
    y = X[:, 0]
    params = {"window": 8, "hidden_size": 8, "max_epochs": 2, "random_state": 0}
    est = SequenceForecaster(**params, warm_start=True).fit(X, y)
    before, tails = est.predict(X), dict(vars(est))
    est.set_params(callbacks=[_FailAfter(1)])
    with pytest.raises(RuntimeError):
        est.fit(X, y)
    assert_array_equal(est.predict(X), before)
    assert est.n_iter_ == tails["n_iter_"] == len(est.net_.history)


def _fit_predict(X, y):
    return RNNClassifier(**FAST_PARAMS).fit(X, y).predict_proba(X)


def test_fits_in_threads_are_reproducible_and_keep_caller_random_state():
    """Check that fits in threads match a fit alone and keep torch's RNG state."""
    X, y = _data(RNNClassifier)
    alone = _fit_predict(X, y)
    torch.manual_seed(123)
    state = torch.get_rng_state()
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: _fit_predict(X, y), range(8)))
    assert torch.equal(torch.get_rng_state(), state)
    for proba in results:
        assert_array_equal(proba, alone)
