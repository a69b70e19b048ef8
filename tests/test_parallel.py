# SPDX-License-Identifier: BSD-3-Clause
"""Thread control, and the estimators inside parallel and successive-halving searches.

Run alone with ``OMP_NUM_THREADS=1 python -m pytest tests/test_parallel.py``;
the loky and Dask workers each import torch, so the searches here take
seconds rather than milliseconds.
"""

import numpy as np
import pytest
import torch
from joblib import cpu_count, parallel_config
from numpy.testing import assert_allclose
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.model_selection import (
    GridSearchCV,
    HalvingGridSearchCV,
    HalvingRandomSearchCV,
    KFold,
)
from skorch.callbacks import Callback

from sklearn_rnn import RNNClassifier, RNNRegressor
from sklearn_rnn._threads import effective_n_threads, torch_threads

TINY = {"hidden_size": 4, "max_epochs": 4, "batch_size": 16, "random_state": 0}
GRID = {"cell": ["gru", "lstm"], "hidden_size": [4, 8]}


@pytest.fixture
def regression_data():
    """Small float32 sequences with a real-valued target."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(48, 6, 2)).astype(np.float32)
    y = X[:, :, 0].sum(axis=1) + 0.5 * X[:, -1, 1]
    return X, y


@pytest.fixture
def torch_count():
    """Restore torch's thread count after the test, whatever it sets."""
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


class _RecordThreads(Callback):
    """Record the torch thread count of the training loop in the history."""

    def on_epoch_end(self, net, **kwargs):
        net.history.record("torch_threads", torch.get_num_threads())


def _threads_of_fit(estimator, X, y):
    """A scorer that reports the thread count the fit trained with."""
    return float(estimator.history_["torch_threads"].iloc[-1])


def _search_results(search):
    return search.cv_results_["mean_test_score"], search.best_params_


# -- the thread count ---------------------------------------------------------


@pytest.mark.usefixtures("torch_count")
def test_torch_threads_restores_count():
    """Check that torch_threads sets the count inside and restores it after."""
    torch.set_num_threads(2)
    with torch_threads(1) as n:
        assert n == 1
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == 2
    with pytest.raises(RuntimeError, match="boom"):
        with torch_threads(1):
            raise RuntimeError("boom")
    assert torch.get_num_threads() == 2


@pytest.mark.usefixtures("torch_count")
def test_effective_n_threads_explicit_value_wins(monkeypatch):
    """Check that an explicit count overrides OMP_NUM_THREADS and torch's count."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    torch.set_num_threads(1)
    assert effective_n_threads(3) == 3
    with torch_threads(2):
        assert torch.get_num_threads() == 2


@pytest.mark.usefixtures("torch_count")
@pytest.mark.parametrize(
    "env, expected",
    [("1", 1), ("1,1", 1), ("4", 2), ("0", 2), ("many", 2), ("", 2), (None, 2)],
)
def test_effective_n_threads_environment_caps_torch_count(monkeypatch, env, expected):
    """Check that a valid OMP_NUM_THREADS caps torch's count and never raises it."""
    torch.set_num_threads(2)
    if env is None:
        monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    else:
        monkeypatch.setenv("OMP_NUM_THREADS", env)
    assert effective_n_threads() == expected
    with torch_threads() as n:
        assert n == torch.get_num_threads() == expected
    assert torch.get_num_threads() == 2


@pytest.mark.parametrize(
    "value, error", [(0, ValueError), (-1, ValueError), (1.5, TypeError)]
)
def test_effective_n_threads_rejects_invalid_values(value, error):
    """Check that a count below 1 or not an int is refused."""
    with pytest.raises(error, match="n_threads"):
        effective_n_threads(value)


@pytest.mark.usefixtures("torch_count")
def test_effective_n_threads_shares_cores_among_dask_threads(monkeypatch):
    """Check that tasks of in-process Dask workers share the cores among threads."""
    distributed = pytest.importorskip("distributed")
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    # Worker threads start with this count, the most the cap can lower.
    torch.set_num_threads(cpu_count())
    with (
        distributed.LocalCluster(
            n_workers=1,
            threads_per_worker=2,
            processes=False,
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        assert client.submit(effective_n_threads, pure=False).result() == max(
            1, cpu_count() // 2
        )
    assert effective_n_threads() == cpu_count()


# -- the n_threads parameter --------------------------------------------------


@pytest.mark.usefixtures("torch_count")
@pytest.mark.parametrize("Estimator", [RNNClassifier, RNNRegressor])
def test_estimator_n_threads_applies_to_fit_and_predict(Estimator, regression_data):
    """Check that n_threads sets the count of fit and predict, then restores it."""
    X, y = regression_data
    if Estimator is RNNClassifier:
        y = (y > 0).astype(int)
    est = Estimator(**TINY, callbacks=[_RecordThreads()])
    torch.set_num_threads(2)
    est.set_params(n_threads=1).fit(X, y)
    assert set(est.history_["torch_threads"]) == {1}
    assert torch.get_num_threads() == 2

    seen = []
    est.net_.module_.register_forward_pre_hook(
        lambda module, args: seen.append(torch.get_num_threads())
    )
    est.predict(X)
    assert seen and set(seen) == {1}
    assert torch.get_num_threads() == 2


# -- local parallel search ----------------------------------------------------


def test_grid_search_parallel_matches_sequential(regression_data):
    """Check that GridSearchCV with n_jobs=2 scores exactly as with n_jobs=1."""
    X, y = regression_data
    results = [
        _search_results(
            GridSearchCV(RNNRegressor(**TINY), GRID, cv=2, n_jobs=n_jobs).fit(X, y)
        )
        for n_jobs in (1, 2)
    ]
    (scores_1, best_1), (scores_2, best_2) = results
    assert_allclose(scores_2, scores_1, rtol=1e-6)
    assert best_2 == best_1


def test_grid_search_loky_workers_share_the_cores(regression_data):
    """Check that fits in loky workers train with cpu_count() // n_jobs threads."""
    X, y = regression_data
    search = GridSearchCV(
        RNNRegressor(**TINY, callbacks=[_RecordThreads()]),
        {"cell": ["gru", "lstm"]},
        cv=2,
        n_jobs=2,
        scoring=_threads_of_fit,
        refit=False,
    ).fit(X, y)
    assert set(search.cv_results_["mean_test_score"]) == {max(1, cpu_count() // 2)}


@pytest.mark.usefixtures("torch_count")
def test_grid_search_threads_backend_honours_n_threads(regression_data):
    """Check that n_threads=1 holds in joblib's threading backend, which sets none."""
    X, y = regression_data
    est = RNNRegressor(**TINY, callbacks=[_RecordThreads()])
    torch.set_num_threads(2)
    search = GridSearchCV(
        est.set_params(n_threads=1),
        {"cell": ["gru", "lstm"]},
        cv=2,
        scoring=_threads_of_fit,
        refit=False,
    )
    with parallel_config(backend="threading", n_jobs=2):
        search.fit(X, y)
    assert set(search.cv_results_["mean_test_score"]) == {1}
    assert torch.get_num_threads() == 2


# -- Dask ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def dask_client():
    """A two-process Dask cluster on loopback, one thread per worker."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def test_grid_search_dask_matches_local(dask_client, regression_data):
    """Check that a search on a Dask cluster gives the local scores and best params."""
    X, y = regression_data
    cv = KFold(3)

    def search():
        return GridSearchCV(RNNRegressor(**TINY), GRID, cv=cv)

    local = _search_results(search().fit(X, y))
    with parallel_config(backend="dask"):
        remote = search().fit(X, y)
    assert_allclose(remote.cv_results_["mean_test_score"], local[0], rtol=1e-6)
    assert remote.best_params_ == local[1]
    # The work ran on both workers, with the one thread Dask's nanny allows.
    threads = dask_client.run(torch.get_num_threads)
    assert len(threads) == 2 and set(threads.values()) == {1}


# -- successive halving over epochs -------------------------------------------


@pytest.mark.parametrize("Search", [HalvingGridSearchCV, HalvingRandomSearchCV])
def test_halving_search_over_max_epochs(Search, sequences_3d):
    """Check that halving with resource="max_epochs" refits with the last budget."""
    X, y = sequences_3d
    kwargs = {"n_candidates": 4} if Search is HalvingRandomSearchCV else {}
    search = Search(
        RNNClassifier(hidden_size=4, batch_size=32, lr=0.02, random_state=0),
        GRID,
        resource="max_epochs",
        min_resources=2,
        max_resources=8,
        factor=2,
        cv=2,
        random_state=0,
        **kwargs,
    ).fit(X, y)
    assert list(search.n_resources_) == [2, 4, 8]
    assert list(search.n_candidates_) == [4, 2, 1]
    best = search.best_estimator_
    assert search.best_params_["max_epochs"] == 8
    assert best.max_epochs == 8
    # Patience (n_iter_no_change=10) exceeds the budget: every epoch ran.
    assert best.n_iter_ == 8
    assert search.score(X, y) > 0.5
