# SPDX-License-Identifier: BSD-3-Clause
"""Behaviour shared by RNNClassifier and RNNRegressor."""

import io
import pickle
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from conftest import CHEAP_PARAMS
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_rnn import RNNClassifier, RNNRegressor, load, save

ESTIMATORS = [RNNClassifier, RNNRegressor]

# Very short training: enough for the behaviour checked, not for a good model.
FAST_PARAMS = {**CHEAP_PARAMS, "max_epochs": 3}


def _target(Estimator, X):
    """Return a learnable target for ``Estimator``: the mean of feature 0."""
    if isinstance(X, pd.DataFrame):
        X = X.to_numpy()
    values = np.array(
        [
            np.nanmean(np.asarray(x, dtype=np.float64).reshape(len(x), -1)[:, 0])
            for x in X
        ]
    )
    if Estimator is RNNClassifier:
        return (values > np.median(values)).astype(int)
    return 10.0 * values


def _outputs(est, X):
    """Return the continuous outputs of ``est``: probabilities or predictions."""
    if isinstance(est, RNNClassifier):
        return est.predict_proba(X)
    return est.predict(X)


def _ragged(n_samples=40, n_features=3, min_len=2, max_len=15, seed=0):
    rng = np.random.RandomState(seed)
    return [
        rng.normal(size=(rng.randint(min_len, max_len + 1), n_features)).astype(
            np.float32
        )
        for _ in range(n_samples)
    ]


def _nan_pad(sequences, n_steps):
    """Stack ``sequences`` into a 3-D array padded with trailing NaN steps."""
    X = np.full((len(sequences), n_steps, sequences[0].shape[1]), np.nan, np.float32)
    for i, seq in enumerate(sequences):
        X[i, : len(seq)] = seq
    return X


def _rng_states_equal(state_a, state_b):
    return (
        state_a[0] == state_b[0]
        and np.array_equal(state_a[1], state_b[1])
        and state_a[2:] == state_b[2:]
    )


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_estimator_clone(Estimator, sequences_3d):
    """Check that clone copies the parameters and drops the fitted state."""
    X, _ = sequences_3d
    y = _target(Estimator, X)
    est = Estimator(**FAST_PARAMS, cell="lstm", bidirectional=True)
    unfitted = clone(est)
    assert unfitted.get_params() == est.get_params()
    assert unfitted is not est

    est.fit(X, y)
    before = _outputs(est, X)
    cloned = clone(est)
    assert cloned.get_params() == est.get_params()
    assert not hasattr(cloned, "net_")
    assert not hasattr(cloned, "n_features_in_")

    # Training the clone leaves the original's network alone.
    cloned.set_params(random_state=1, max_epochs=5).fit(X, y)
    assert cloned.net_ is not est.net_
    assert_array_equal(_outputs(est, X), before)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_estimator_pipeline_with_preceding_step(Estimator):
    """Check that the estimator works after a scaler in a Pipeline."""
    rng = np.random.RandomState(0)
    X = rng.normal(loc=50.0, scale=10.0, size=(60, 10))
    y = _target(Estimator, X)
    pipe = make_pipeline(StandardScaler(), Estimator(**FAST_PARAMS))
    pipe.fit(X, y)

    manual = Estimator(**FAST_PARAMS).fit(StandardScaler().fit_transform(X), y)
    expected = _outputs(manual, StandardScaler().fit(X).transform(X))
    got = pipe.predict_proba(X) if Estimator is RNNClassifier else pipe.predict(X)
    assert_allclose(got, expected, rtol=1e-6, atol=1e-6)
    assert pipe[-1].n_features_in_ == X.shape[1]


def test_estimator_trains_in_train_mode_after_predict(sequences_3d):
    """Check that a warm start after predict (eval mode) trains in train mode
    and validates in eval mode."""
    from skorch.callbacks import Callback

    class RecordMode(Callback):
        def initialize(self):
            self.modes_ = []
            return self

        def on_batch_end(self, net, training=False, **kwargs):
            self.modes_.append((training, net.module_.training))

    X, y = sequences_3d
    clf = RNNClassifier(**FAST_PARAMS, dropout=0.5, num_layers=2).fit(X, y)
    clf.predict(X)
    assert not clf.net_.module_.training
    clf.set_params(warm_start=True, early_stopping=True, callbacks=[RecordMode()])
    clf.fit(X, y)
    modes = dict(clf.net_.callbacks_)["RecordMode"].modes_
    assert {training for training, _ in modes} == {True, False}
    assert all(training == mode for training, mode in modes)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_estimator_convergence_warning(Estimator, sequences_3d):
    """Check the ConvergenceWarning of scikit-learn's MLP: all max_epochs run
    while the loss still improves warns; stopping by n_iter_no_change does not.
    """
    X, _ = sequences_3d
    y = _target(Estimator, X)
    with pytest.warns(ConvergenceWarning, match="max_epochs=3"):
        est = Estimator(**{**FAST_PARAMS, "max_epochs": 3}).fit(X, y)
    assert est.n_iter_ == 3
    # A warm start counts the epochs of its own call.
    with pytest.warns(ConvergenceWarning, match="max_epochs=2"):
        est.set_params(warm_start=True, max_epochs=2).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        # No improvement counts with tol this large: stops after 2 epochs.
        est = Estimator(
            **{**FAST_PARAMS, "max_epochs": 20, "tol": 1e9, "n_iter_no_change": 1}
        ).fit(X, y)
        assert est.n_iter_ < 20
        # Schedules that plan for all max_epochs run them without a warning.
        for schedule in ("cosine", "onecycle"):
            Estimator(**FAST_PARAMS, lr_schedule=schedule).fit(X, y)


@pytest.mark.parametrize(
    "params",
    [
        {"hidden_size": np.int64(4), "dropout": np.float64(0.1), "num_layers": 2},
        {"projection_size": np.int32(3), "bidirectional": np.True_},
        {"lr_schedule": "onecycle", "max_epochs": np.int64(2)},
        {"lr_schedule": "cosine", "max_epochs": np.int64(2)},
    ],
)
def test_estimator_numpy_scalar_params(params, sequences_3d):
    """Check that NumPy scalars (a grid from np.arange) work as parameters."""
    X, y = sequences_3d
    clf = RNNClassifier(**{**FAST_PARAMS, **params}).fit(X, y)
    assert clf.predict(X).shape == (len(X),)


def test_estimator_numpy_scalar_embedding_dim():
    """Check that a NumPy embedding_dim reaches the embedding as an int."""
    rng = np.random.RandomState(0)
    X = rng.randint(1, 9, size=(20, 6))
    clf = RNNClassifier(**FAST_PARAMS, embedding_dim=np.int64(3)).fit(X, X[:, 0] > 4)
    assert clf.net_.module_.embedding.embedding_dim == 3


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_estimator_grid_search(Estimator, sequences_3d):
    """Check that GridSearchCV with parallel jobs searches cell and hidden_size."""
    X, _ = sequences_3d
    y = _target(Estimator, X)
    grid = {"cell": ["lstm", "gru"], "hidden_size": [4, 8]}
    search = GridSearchCV(Estimator(**FAST_PARAMS), grid, cv=2, n_jobs=2)
    search.fit(X, y)

    assert len(search.cv_results_["params"]) == 4
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    best = search.best_estimator_
    assert best.cell == search.best_params_["cell"]
    assert best.hidden_size == search.best_params_["hidden_size"]
    rnn = best.net_.module_.rnn
    expected_cls = torch.nn.LSTM if best.cell == "lstm" else torch.nn.GRU
    assert type(rnn) is expected_cls
    assert rnn.hidden_size == best.hidden_size
    assert search.predict(X).shape == (X.shape[0],)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_estimator_cross_val_score(Estimator, sequences_3d):
    """Check that cross_val_score returns one finite score per fold."""
    X, _ = sequences_3d
    y = _target(Estimator, X)
    scores = cross_val_score(Estimator(**CHEAP_PARAMS), X, y, cv=3)
    assert scores.shape == (3,)
    assert np.all(np.isfinite(scores))
    # 40 epochs learn the mean of a feature well enough to beat chance.
    threshold = 0.6 if Estimator is RNNClassifier else 0.3
    assert scores.mean() > threshold


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("method", ["pickle", "joblib"])
def test_estimator_pickle_round_trip(Estimator, method, tmp_path):
    """Check that a pickled and reloaded estimator predicts identically."""
    X = _ragged()
    y = _target(Estimator, X)
    est = Estimator(**FAST_PARAMS).fit(X, y)
    if method == "pickle":
        loaded = pickle.loads(pickle.dumps(est))
    else:
        path = tmp_path / "est.joblib"
        joblib.dump(est, path)
        loaded = joblib.load(path)

    assert loaded.get_params() == est.get_params()
    assert loaded.n_iter_ == est.n_iter_
    assert_array_equal(loaded.predict(X), est.predict(X))
    assert_array_equal(_outputs(loaded, X), _outputs(est, X))
    assert_array_equal(loaded.transform(X), est.transform(X))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("early_stopping", [False, True])
def test_estimator_random_state_reproducible(Estimator, early_stopping):
    """Check that the same random_state gives identical fits, another differs."""
    X = _ragged(n_samples=50)
    y = _target(Estimator, X)
    params = {**FAST_PARAMS, "batch_size": 8, "early_stopping": early_stopping}
    first = _outputs(Estimator(**params).fit(X, y), X)
    # Global seeds must not matter when random_state is an int.
    np.random.seed(42)
    torch.manual_seed(42)
    second = _outputs(Estimator(**params).fit(X, y), X)
    other = _outputs(Estimator(**{**params, "random_state": 1}).fit(X, y), X)

    assert_array_equal(first, second)
    assert not np.allclose(first, other)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("early_stopping", [False, True])
def test_estimator_fit_keeps_global_rng_state(Estimator, early_stopping):
    """Check that fit with an int random_state leaves global RNG states alone."""
    X = _ragged()
    y = _target(Estimator, X)
    est = Estimator(
        **{**FAST_PARAMS, "batch_size": 8, "dropout": 0.3, "num_layers": 2},
        early_stopping=early_stopping,
    )
    np.random.seed(123)
    torch.manual_seed(123)
    np_before = np.random.get_state()
    torch_before = torch.get_rng_state()

    est.fit(X, y)
    est.predict(X)

    assert torch.equal(torch.get_rng_state(), torch_before)
    assert _rng_states_equal(np.random.get_state(), np_before)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_estimator_warm_start_continues_training(Estimator, sequences_3d):
    """Check that warm_start=True trains on from the previous weights."""
    X, _ = sequences_3d
    y = _target(Estimator, X)
    # Standardizing each sequence makes this tiny problem's loss jumpy from
    # one epoch to the next; the global scaling keeps the comparison below
    # about warm starting.
    params = {**CHEAP_PARAMS, "max_epochs": 10, "input_norm": "global"}
    est = Estimator(**params, warm_start=True).fit(X, y)
    assert est.n_iter_ == 10
    net = est.net_
    first_fit_final_loss = net.history[-1, "train_loss"]

    est.fit(X, y)
    assert est.net_ is net
    assert est.n_iter_ == 20
    assert len(est.net_.history) == 20
    second_fit_first_loss = est.net_.history[10, "train_loss"]

    fresh = Estimator(**params).fit(X, y)
    fresh_first_loss = fresh.net_.history[0, "train_loss"]
    assert fresh.n_iter_ == 10
    assert second_fit_first_loss < 0.9 * fresh_first_loss
    assert second_fit_first_loss < 1.2 * first_fit_final_loss


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize(
    "change",
    [
        {"hidden_size": 4},
        {"cell": "gru"},
        {"bidirectional": True},
        {"num_layers": 2},
        {"pooling": "mean"},
    ],
)
def test_estimator_warm_start_architecture_change_raises(
    Estimator, change, sequences_3d
):
    """Check that warm_start with a changed architecture raises ValueError."""
    X, _ = sequences_3d
    y = _target(Estimator, X)
    est = Estimator(**FAST_PARAMS, warm_start=True).fit(X, y)
    est.set_params(**change)
    with pytest.raises(ValueError, match="warm_start=True needs the same"):
        est.fit(X, y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_estimator_warm_start_feature_change_raises(Estimator, sequences_3d):
    """Check that warm_start with a different feature count raises ValueError."""
    X, _ = sequences_3d
    y = _target(Estimator, X)
    est = Estimator(**FAST_PARAMS, warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match="warm_start=True needs the same"):
        est.fit(X[:, :, :2], y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize(
    "change", ["n_features", "hidden_size"], ids=["features", "hidden_size"]
)
def test_estimator_failed_warm_start_keeps_fit(Estimator, change, sequences_3d):
    """Check that a warm_start fit that raises leaves the fitted model usable."""
    X, _ = sequences_3d
    y = _target(Estimator, X)
    est = Estimator(**FAST_PARAMS, warm_start=True).fit(X, y)
    before = _outputs(est, X)
    X_new = X
    if change == "n_features":
        X_new = X[:, :, :2]
    else:
        est.set_params(hidden_size=4)
    with pytest.raises(ValueError, match="warm_start=True needs the same"):
        est.fit(X_new, y)

    assert est.n_features_in_ == X.shape[2]
    assert est.n_iter_ == FAST_PARAMS["max_epochs"]
    assert_array_equal(_outputs(est, X), before)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("kind", ["3d", "3d_nan_padded", "ragged", "dataframe"])
def test_estimator_does_not_mutate_input(Estimator, kind, sequences_3d):
    """Check that fit, predict and transform leave X, y and weights unchanged."""
    X3d, _ = sequences_3d
    if kind == "3d":
        X = X3d.copy()
    elif kind == "3d_nan_padded":
        X = X3d.copy()
        X[::3, -4:] = np.nan
    elif kind == "ragged":
        X = _ragged()
    else:
        values = X3d[:, :, 0].astype(np.float64)
        values[::4, -3:] = np.nan
        X = pd.DataFrame(values, columns=[f"t{i}" for i in range(values.shape[1])])
    y = _target(Estimator, X)
    sample_weight = np.linspace(0.5, 2.0, len(y))
    X_orig = X.copy() if hasattr(X, "copy") else [x.copy() for x in X]
    y_orig, sw_orig = y.copy(), sample_weight.copy()

    est = Estimator(**FAST_PARAMS).fit(X, y, sample_weight=sample_weight)
    est.predict(X)
    est.transform(X)
    est.score(X, y)

    if kind == "dataframe":
        pd.testing.assert_frame_equal(X, X_orig)
    elif kind == "ragged":
        assert len(X) == len(X_orig)
        for seq, seq_orig in zip(X, X_orig):
            assert_array_equal(seq, seq_orig)
    else:
        assert_array_equal(X, X_orig)
    assert_array_equal(y, y_orig)
    assert_array_equal(sample_weight, sw_orig)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("kind", ["3d", "2d", "list", "nan_padded"])
def test_estimator_input_formats(Estimator, kind, sequences_3d):
    """Check that 3-D, 2-D, list and NaN-padded inputs fit and predict."""
    X3d, _ = sequences_3d
    if kind == "3d":
        X = X3d
    elif kind == "2d":
        X = X3d[:, :, 0]
    elif kind == "list":
        X = _ragged(n_samples=len(X3d))
    else:
        X = _nan_pad(_ragged(n_samples=len(X3d)), n_steps=18)
    y = _target(Estimator, X)
    est = Estimator(**FAST_PARAMS).fit(X, y)
    pred = est.predict(X)
    assert pred.shape == (len(y),)
    if Estimator is RNNRegressor:
        assert np.all(np.isfinite(pred))
    else:
        assert set(np.unique(pred)) <= {0, 1}


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_estimator_nan_padding_matches_ragged(Estimator, bidirectional):
    """Check that NaN-padded 3-D input is read as the equivalent ragged list."""
    X_list = _ragged(n_samples=40, max_len=12)
    # Two more all-NaN steps than the longest sequence needs.
    X_nan = _nan_pad(X_list, n_steps=14)
    y = _target(Estimator, X_list)
    params = {**FAST_PARAMS, "bidirectional": bidirectional, "batch_size": 8}

    est_list = Estimator(**params).fit(X_list, y)
    est_nan = Estimator(**params).fit(X_nan, y)

    assert_allclose(_outputs(est_list, X_nan), _outputs(est_list, X_list), atol=1e-6)
    assert_allclose(_outputs(est_nan, X_list), _outputs(est_list, X_list), atol=1e-5)
    assert_allclose(_outputs(est_nan, X_nan), _outputs(est_list, X_list), atol=1e-5)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("n_steps", [5, 12, 30])
def test_estimator_predict_other_sequence_length(Estimator, n_steps, sequences_3d):
    """Check that 3-D input at predict may have another length than in fit."""
    X, _ = sequences_3d
    y = _target(Estimator, X)
    est = Estimator(**FAST_PARAMS).fit(X, y)
    X_new = np.random.RandomState(3).normal(size=(7, n_steps, X.shape[2]))
    pred = est.predict(X_new)
    assert pred.shape == (7,)
    assert est.transform(X_new).shape == (7, est.hidden_size)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_estimator_n_features_in_(Estimator, sequences_3d):
    """Check n_features_in_: features per step in 3-D and ragged, columns in 2-D."""
    X, _ = sequences_3d
    y = _target(Estimator, X)
    est = Estimator(**FAST_PARAMS)

    assert est.fit(X, y).n_features_in_ == X.shape[2]

    X_ragged = _ragged(n_samples=len(y), n_features=2)
    assert est.fit(X_ragged, y).n_features_in_ == 2

    X_2d = X[:, :, 0]
    assert est.fit(X_2d, y).n_features_in_ == X.shape[1]
    with pytest.raises(ValueError, match="features"):
        est.predict(X_2d[:, :5])


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_estimator_feature_names_in_(Estimator, sequences_3d):
    """Check that a 2-D DataFrame sets feature_names_in_ and 3-D input unsets it."""
    X, _ = sequences_3d
    y = _target(Estimator, X)
    columns = [f"t{i}" for i in range(X.shape[1])]
    df = pd.DataFrame(X[:, :, 0], columns=columns)

    est = Estimator(**FAST_PARAMS).fit(df, y)
    assert_array_equal(est.feature_names_in_, columns)
    assert est.n_features_in_ == len(columns)
    assert est.predict(df).shape == (len(y),)

    est.fit(X, y)
    assert not hasattr(est, "feature_names_in_")


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("pooling", ["last", "mean"])
def test_estimator_transform(Estimator, bidirectional, pooling):
    """Check that transform returns the float64 pooled representation."""
    X = _ragged()
    y = _target(Estimator, X)
    params = {**FAST_PARAMS, "bidirectional": bidirectional, "pooling": pooling}
    est = Estimator(**params).fit(X, y)
    Xt = est.transform(X)
    n_hidden = 2 * est.hidden_size if bidirectional else est.hidden_size
    assert Xt.dtype == np.float64
    assert Xt.shape == (len(X), n_hidden)
    assert np.all(np.isfinite(Xt))
    assert_allclose(Estimator(**params).fit_transform(X, y), Xt, atol=1e-6)


def _nan_inside(rng):
    X = rng.normal(size=(10, 6, 2))
    X[3, 2, 0] = np.nan
    return X


def _nan_step_before_data(rng):
    X = rng.normal(size=(10, 6, 2))
    X[3, 2, :] = np.nan
    return X


def _inf_inside(rng):
    X = rng.normal(size=(10, 6, 2))
    X[1, 4, 1] = np.inf
    return X


def _nan_in_list(rng):
    X = [rng.normal(size=(rng.randint(2, 8), 2)) for _ in range(10)]
    X[5][0, 1] = np.nan
    return X


def _inf_in_list(rng):
    X = [rng.normal(size=(rng.randint(2, 8), 2)) for _ in range(10)]
    X[2][1, 0] = -np.inf
    return X


def _zero_length_in_list(rng):
    X = [rng.normal(size=(rng.randint(2, 8), 2)) for _ in range(10)]
    X[4] = np.empty((0, 2))
    return X


def _all_nan_sequence(rng):
    X = rng.normal(size=(10, 6, 2))
    X[7] = np.nan
    return X


def _four_d(rng):
    return rng.normal(size=(10, 6, 2, 2))


def _mixed_features_in_list(rng):
    X = [rng.normal(size=(rng.randint(2, 8), 2)) for _ in range(10)]
    X[6] = rng.normal(size=(4, 3))
    return X


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize(
    "make_X, match",
    [
        (_nan_inside, "NaN"),
        (_nan_step_before_data, "NaN"),
        (_inf_inside, "infinity"),
        (_nan_in_list, "NaN"),
        (_inf_in_list, "infinity"),
        (_zero_length_in_list, "zero length"),
        (_all_nan_sequence, "zero length"),
        (_four_d, "4 dimension"),
        (_mixed_features_in_list, "same number of features"),
    ],
)
def test_estimator_invalid_X_raises(Estimator, make_X, match):
    """Check that invalid sequences raise a ValueError naming the problem."""
    X = make_X(np.random.RandomState(0))
    y = np.arange(10) % 2
    est = Estimator(**FAST_PARAMS)
    with pytest.raises(ValueError, match=match):
        est.fit(X, y)

    est.fit(np.random.RandomState(1).normal(size=(10, 6, 2)), y)
    with pytest.raises(ValueError, match=match):
        est.predict(X)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("kind", ["3d", "ragged"])
def test_estimator_inconsistent_lengths_raises(Estimator, kind, sequences_3d):
    """Check that len(X) != len(y) raises a ValueError."""
    X, _ = sequences_3d
    if kind == "ragged":
        X = _ragged(n_samples=len(X))
    y = _target(Estimator, X)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        Estimator(**FAST_PARAMS).fit(X, y[:-1])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        Estimator(**FAST_PARAMS).fit(X[:-1], y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("kind", ["3d", "ragged", "2d"])
def test_estimator_predict_feature_count_mismatch_raises(Estimator, kind, sequences_3d):
    """Check that another feature count per step at predict raises ValueError."""
    X, _ = sequences_3d
    y = _target(Estimator, X)
    est = Estimator(**FAST_PARAMS).fit(X, y)
    if kind == "3d":
        X_bad = X[:, :, :2]
    elif kind == "ragged":
        X_bad = _ragged(n_features=2)
    else:
        X_bad = X[:, :, 0]
    with pytest.raises(ValueError, match="features per time step"):
        est.predict(X_bad)
    with pytest.raises(ValueError, match="features per time step"):
        est.transform(X_bad)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize(
    "params, match",
    [
        ({"cell": "foo"}, "'cell' parameter"),
        ({"hidden_size": 0}, "'hidden_size' parameter"),
        ({"num_layers": 0}, "'num_layers' parameter"),
        ({"pooling": "sum"}, "'pooling' parameter"),
        ({"dropout": 1.0}, "'dropout' parameter"),
        ({"optimizer": "nope"}, "'optimizer' parameter"),
        ({"lr": 0.0}, "'lr' parameter"),
        ({"batch_size": 0}, "'batch_size' parameter"),
        ({"max_epochs": 0}, "'max_epochs' parameter"),
        ({"validation_fraction": 1.0}, "'validation_fraction' parameter"),
        ({"clip_grad_norm": 0.0}, "'clip_grad_norm' parameter"),
        ({"projection_size": 0}, "'projection_size' parameter"),
        # bool is an int subclass: a flag is not a count or a rate.
        ({"num_layers": True}, "'num_layers' parameter"),
        ({"hidden_size": True}, "'hidden_size' parameter"),
        ({"max_epochs": True}, "'max_epochs' parameter"),
        ({"lr": True}, "'lr' parameter"),
        ({"head_hidden_sizes": (4, 0)}, "head_hidden_sizes"),
        ({"device": "tpu"}, "device='tpu'"),
    ],
)
def test_estimator_invalid_params_raise(Estimator, params, match, sequences_3d):
    """Check that invalid parameter values raise a ValueError naming them."""
    X, _ = sequences_3d
    y = _target(Estimator, X)
    est = Estimator(**{**FAST_PARAMS, **params})
    with pytest.raises(ValueError, match=match):
        est.fit(X, y)


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available")
@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("device", ["cuda", "cuda:0"])
def test_estimator_cuda_unavailable_raises(Estimator, device, sequences_3d):
    """Check that device='cuda' without CUDA raises a ValueError."""
    X, _ = sequences_3d
    y = _target(Estimator, X)
    with pytest.raises(ValueError, match="CUDA is not available"):
        Estimator(**FAST_PARAMS, device=device).fit(X, y)


@pytest.mark.skipif(torch.backends.mps.is_available(), reason="MPS is available")
def test_estimator_unavailable_accelerator_raises(sequences_3d):
    """Check that an accelerator this machine lacks is refused up front."""
    X, y = sequences_3d
    with pytest.raises(ValueError, match="device='mps' is not available"):
        RNNClassifier(**FAST_PARAMS, device="mps").fit(X, y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_estimator_meta_device_raises(Estimator, sequences_3d):
    """Check that the data-less 'meta' device is refused before training."""
    X, _ = sequences_3d
    y = _target(Estimator, X)
    with pytest.raises(ValueError, match="device='meta' holds no data"):
        Estimator(**FAST_PARAMS, device="meta").fit(X, y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize(
    "optimizer, expected",
    [
        (torch.optim.SGD, torch.optim.SGD),
        (torch.optim.RMSprop, torch.optim.RMSprop),
        ("sgd", torch.optim.SGD),
        ("adamw", torch.optim.AdamW),
    ],
)
def test_estimator_optimizer(Estimator, optimizer, expected, sequences_3d):
    """Check that optimizer accepts a torch optimizer class or a name."""
    X, _ = sequences_3d
    y = _target(Estimator, X)
    est = Estimator(**FAST_PARAMS, optimizer=optimizer, weight_decay=1e-3).fit(X, y)
    assert type(est.net_.optimizer_) is expected
    group = est.net_.optimizer_.param_groups[0]
    assert group["lr"] == pytest.approx(est.lr)
    assert group["weight_decay"] == pytest.approx(1e-3)
    assert np.all(np.isfinite(_outputs(est, X)))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("cell", ["rnn", "rnn_relu", "lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("pooling", ["last", "mean", "max"])
def test_estimator_architectures_train(Estimator, cell, bidirectional, pooling):
    """Check that every cell, direction and pooling trains and predicts."""
    X = _ragged(n_samples=30)
    y = _target(Estimator, X)
    est = Estimator(
        **{**FAST_PARAMS, "max_epochs": 2, "batch_size": 8},
        cell=cell,
        bidirectional=bidirectional,
        pooling=pooling,
    ).fit(X, y)
    assert est.n_iter_ == 2
    assert np.all(np.isfinite(est.net_.history[:, "train_loss"]))
    outputs = _outputs(est, X)
    assert outputs.shape[0] == len(X)
    assert np.all(np.isfinite(outputs))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_estimator_early_stopping(Estimator):
    """Check that early_stopping stops on validation loss before max_epochs."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 8, 3)).astype(np.float32)
    # Pure noise targets: the validation loss only gets worse with training.
    y = rng.randint(2, size=80) if Estimator is RNNClassifier else rng.normal(size=80)
    est = Estimator(
        **{**CHEAP_PARAMS, "max_epochs": 200, "batch_size": 16, "lr": 0.05},
        early_stopping=True,
        n_iter_no_change=3,
    ).fit(X, y)

    assert est.n_iter_ < 200
    assert est.n_iter_ == len(est.net_.history)
    assert "valid_loss" in est.net_.history[-1]
    assert np.all(np.isfinite(est.net_.history[:, "valid_loss"]))

    no_stop = Estimator(**FAST_PARAMS).fit(X, y)
    assert "valid_loss" not in no_stop.net_.history[-1]


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_estimator_clip_grad_norm_none(Estimator, sequences_3d):
    """Check that clip_grad_norm=None trains without gradient clipping."""
    X, _ = sequences_3d
    y = _target(Estimator, X)
    est = Estimator(**FAST_PARAMS, clip_grad_norm=None).fit(X, y)
    assert est.net_.clip_grad_norm is None
    assert np.all(np.isfinite(_outputs(est, X)))

    clipped = Estimator(**FAST_PARAMS, clip_grad_norm=0.5).fit(X, y)
    assert clipped.net_.clip_grad_norm == 0.5


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_estimator_verbose(Estimator, sequences_3d, capsys):
    """Check that verbose=0 prints nothing and verbose=1 prints an epoch log."""
    X, _ = sequences_3d
    y = _target(Estimator, X)
    est = Estimator(**FAST_PARAMS, verbose=0).fit(X, y)
    est.predict(X)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ""

    Estimator(**FAST_PARAMS, verbose=1).fit(X, y)
    out = capsys.readouterr().out
    assert "epoch" in out
    assert "train_loss" in out
    # A header, a separator line, then one row per epoch.
    rows = [line.split() for line in out.strip().splitlines()]
    assert [row[0] for row in rows[-3:]] == ["1", "2", "3"]


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("pooling", ["last", "mean", "max"])
def test_estimator_padding_invariance(Estimator, bidirectional, pooling):
    """Check that a sequence predicts the same alone or among longer ones."""
    X_train = _ragged(n_samples=40)
    y = _target(Estimator, X_train)
    est = Estimator(
        **{**FAST_PARAMS, "batch_size": 4},
        bidirectional=bidirectional,
        pooling=pooling,
    ).fit(X_train, y)

    rng = np.random.RandomState(5)
    lengths = [60, 3, 45, 1, 80, 7, 2, 50]
    X = [rng.normal(size=(n, 3)).astype(np.float32) for n in lengths]
    batch = _outputs(est, X)
    for i, seq in enumerate(X):
        alone = _outputs(est, [seq])
        assert_allclose(batch[i], alone[0], rtol=1e-5, atol=1e-5)
    assert_allclose(
        est.transform(X)[1], est.transform(X[1][None])[0], rtol=1e-5, atol=1e-5
    )


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_estimator_uniform_sample_weight(Estimator, sequences_3d):
    """Check that a constant sample_weight gives the same fit as no weights."""
    X, _ = sequences_3d
    y = _target(Estimator, X)
    params = {**FAST_PARAMS, "max_epochs": 5, "optimizer": "sgd", "lr": 0.1}
    unweighted = Estimator(**params).fit(X, y)
    weighted = Estimator(**params).fit(X, y, sample_weight=np.full(len(y), 3.0))
    assert_allclose(_outputs(weighted, X), _outputs(unweighted, X), atol=1e-5)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_estimator_integer_sample_weight_repeats(Estimator, sequences_3d):
    """Check that an integer sample_weight acts like repeating the sample."""
    X, _ = sequences_3d
    y = _target(Estimator, X)
    sample_weight = np.ones(len(y))
    sample_weight[:10] = 3
    repeat = sample_weight.astype(int)
    # One batch per epoch, so that only the summation order differs.
    params = {
        **FAST_PARAMS,
        "max_epochs": 5,
        "optimizer": "sgd",
        "lr": 0.1,
        "batch_size": 256,
    }
    weighted = Estimator(**params).fit(X, y, sample_weight=sample_weight)
    repeated = Estimator(**params).fit(np.repeat(X, repeat, 0), np.repeat(y, repeat))
    assert_allclose(_outputs(weighted, X), _outputs(repeated, X), atol=1e-4)

    unweighted = Estimator(**params).fit(X, y)
    assert not np.allclose(_outputs(weighted, X), _outputs(unweighted, X), atol=1e-4)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_estimator_negative_sample_weight_raises(Estimator, sequences_3d):
    """Check that a negative sample weight is refused with a ValueError."""
    X, _ = sequences_3d
    y = _target(Estimator, X)
    sample_weight = np.ones(len(y))
    sample_weight[3] = -1.0
    with pytest.raises(ValueError, match="Negative values .*sample_weight"):
        Estimator(**FAST_PARAMS).fit(X, y, sample_weight=sample_weight)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_estimator_clip_grad_norm_limits_gradients(Estimator, sequences_3d):
    """Check that the gradients reaching the optimizer have at most the clip norm."""
    from skorch.callbacks import Callback

    norms = []

    class RecordNorm(Callback):
        def on_grad_computed(self, net, named_parameters, **kwargs):
            grads = [p.grad for _, p in named_parameters if p.grad is not None]
            norms.append(
                float(
                    torch.linalg.vector_norm(
                        torch.stack([torch.linalg.vector_norm(g) for g in grads])
                    )
                )
            )

    X, _ = sequences_3d
    y = _target(Estimator, X)
    est = Estimator(
        **FAST_PARAMS, clip_grad_norm=1e-3, callbacks=[("record", RecordNorm())]
    ).fit(X, y)
    assert norms and max(norms) <= 1e-3 * (1 + 1e-4)

    norms.clear()
    est.set_params(clip_grad_norm=None, warm_start=True, max_epochs=1).fit(X, y)
    assert max(norms) > 1e-3


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_estimator_read_only_input(Estimator, sequences_3d):
    """Check that read-only input arrays fit and predict without warnings."""
    X, _ = sequences_3d
    y = _target(Estimator, X)
    X = X.astype(np.float32)
    X.flags.writeable = False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # Few epochs on purpose: only warnings about the input count here.
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = Estimator(**FAST_PARAMS).fit(X, y)
        _outputs(est, X)


def _tag_storages_cuda(monkeypatch):
    """Make ``torch.save`` write every storage as living on 'cuda:0'.

    The location tag is all that tells the bytes a GPU machine writes from
    those of a CPU one (torch copies the data to the host either way).
    """
    monkeypatch.setattr(torch.serialization, "location_tag", lambda storage: "cuda:0")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_tagged_bytes_need_mapping():
    """Check that the simulation below is faithful: tagged bytes name CUDA."""
    buffer = io.BytesIO()
    with pytest.MonkeyPatch.context() as mp:
        _tag_storages_cuda(mp)
        torch.save(torch.zeros(2), buffer)
    with pytest.raises(RuntimeError, match="CUDA"):
        torch.load(io.BytesIO(buffer.getvalue()))
    loaded = torch.load(io.BytesIO(buffer.getvalue()), map_location="cpu")
    assert_array_equal(loaded.numpy(), np.zeros(2))


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_estimator_cuda_pickle_loads_on_cpu(Estimator, sequences_3d):
    """Check that a net pickled on a CUDA machine loads and predicts on a CPU.

    No GPU here: the fitted net is marked as living on 'cuda' and its tensors
    are written with CUDA location tags, which is what a GPU machine's pickle
    holds (see ``test_cuda_tagged_bytes_need_mapping``).
    """
    X, _ = sequences_3d
    y = _target(Estimator, X)
    est = Estimator(**FAST_PARAMS).fit(X, y)
    expected = _outputs(est, X)
    est.set_params(device="cuda")
    est.net_.device = "cuda"
    with pytest.MonkeyPatch.context() as mp:
        _tag_storages_cuda(mp)
        data = pickle.dumps(est)
    with pytest.warns(UserWarning, match="cuda"):
        loaded = pickle.loads(data)
    assert str(loaded.net_.device) == "cpu"
    assert loaded.device == "cuda"
    assert not next(loaded.net_.module_.parameters()).is_cuda
    assert_array_equal(_outputs(loaded, X), expected)
    # Training goes on on the CPU once the estimator is told so.
    loaded.set_params(device="cpu", warm_start=True, max_epochs=1).fit(X, y)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_estimator_cuda_fit_predicts_on_cpu(Estimator, sequences_3d, monkeypatch):
    """Check that a model trained on CUDA predicts like it after loading on a CPU."""
    X, _ = sequences_3d
    y = _target(Estimator, X)
    est = Estimator(**FAST_PARAMS, device="cuda").fit(X, y)
    assert next(est.net_.module_.parameters()).is_cuda
    expected = _outputs(est, X)
    data = pickle.dumps(est)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(UserWarning, match="cuda"):
        loaded = pickle.loads(data)
    assert not next(loaded.net_.module_.parameters()).is_cuda
    assert_allclose(_outputs(loaded, X), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_estimator_warm_start_moves_to_new_device(Estimator, sequences_3d):
    """Check that a warm start after set_params(device=...) trains there."""
    X, _ = sequences_3d
    y = _target(Estimator, X)
    est = Estimator(**FAST_PARAMS, warm_start=True, optimizer="adam").fit(X, y)
    est.set_params(device="cuda").fit(X, y)
    assert next(est.net_.module_.parameters()).is_cuda
    state = est.net_.optimizer_.state_dict()["state"]
    assert all(s["exp_avg"].is_cuda for s in state.values())
    est.set_params(device="cpu").fit(X, y)
    assert not next(est.net_.module_.parameters()).is_cuda
    assert np.all(np.isfinite(_outputs(est, X)))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_estimator_zero_weight_batches_stay_finite(Estimator):
    """Check that batches whose weights are all zero do not make the loss NaN."""
    rng = np.random.RandomState(0)
    lengths = rng.randint(2, 30, 120)
    X = [rng.normal(size=(n, 2)).astype(np.float32) for n in lengths]
    y = _target(Estimator, X)
    # Length bucketing puts the short (zero-weight) sequences in batches of
    # their own.
    weight = (lengths >= 10).astype(float)
    est = Estimator(**{**FAST_PARAMS, "batch_size": 8})
    est.fit(X, y, sample_weight=weight)
    assert np.all(np.isfinite(est.history_["train_loss"]))
    assert np.all(np.isfinite(_outputs(est, X)))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_estimator_all_zero_training_weights_raise(Estimator, sequences_3d):
    """Check that zero weight on every sample is a ValueError."""
    X, _ = sequences_3d
    y = _target(Estimator, X)
    with pytest.raises(ValueError, match="non-zero"):
        Estimator(**FAST_PARAMS).fit(X, y, sample_weight=np.zeros(len(y)))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_estimator_warm_start_applies_new_training_settings(Estimator, sequences_3d):
    """Check that a warm start uses lr, batch_size and optimizer set since."""
    X, _ = sequences_3d
    y = _target(Estimator, X)
    est = Estimator(**FAST_PARAMS, warm_start=True, lr_schedule="cosine").fit(X, y)
    assert est.history_["lr"].iloc[-1] < FAST_PARAMS["lr"]
    est.set_params(lr=0.05, batch_size=16, weight_decay=0.01).fit(X, y)
    # A new cosine schedule starts from the new rate, not from the old end.
    assert est.history_["lr"].iloc[3] == pytest.approx(0.05)
    assert est.net_.batch_size == 16
    assert est.net_.optimizer_.param_groups[0]["weight_decay"] == 0.01
    assert est.net_.history[-1, "train_batch_count"] == -(-len(y) // 16)
    est.set_params(weight_decay=0.0).fit(X, y)
    assert est.net_.optimizer_.param_groups[0]["weight_decay"] == 0.0
    est.set_params(optimizer="sgd", lr_schedule=None).fit(X, y)
    assert isinstance(est.net_.optimizer_, torch.optim.SGD)
    assert est.n_iter_ == 4 * FAST_PARAMS["max_epochs"]


def test_estimator_warm_start_token_ids_keep_vocabulary():
    """Check that a warm start on ids with a smaller or larger range keeps going."""
    rng = np.random.RandomState(0)
    y = np.arange(20) % 2
    clf = RNNClassifier(**FAST_PARAMS, warm_start=True, embedding_dim=4)
    clf.fit(rng.randint(2, 50, (20, 6)), y)
    assert clf.vocab_size_ == 50
    clf.fit(rng.randint(2, 30, (20, 6)), y)
    clf.fit(rng.randint(2, 90, (20, 6)), y)
    assert clf.vocab_size_ == 50
    assert clf.n_iter_ == 3 * FAST_PARAMS["max_epochs"]


def test_estimator_best_epoch_is_the_restored_epoch():
    """Check that best_epoch_ names the epoch whose weights early stopping kept."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 8, 2)).astype(np.float32)
    y = X[:, :, 0].sum(axis=1)
    reg = RNNRegressor(
        **{**FAST_PARAMS, "max_epochs": 15},
        early_stopping=True,
        tol=0.05,
        n_iter_no_change=30,
        validation_fraction=0.3,
    ).fit(X, y)
    assert reg.best_epoch_ == dict(reg.net_.callbacks_)["early_stopping"].best_epoch_
    losses = reg.history_.set_index("epoch")["valid_loss"]
    # No later epoch beat the kept one by tol or more.
    assert losses.loc[reg.best_epoch_ :].min() > losses.loc[reg.best_epoch_] - 0.05


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("dtype", ["Int64", "Float64"])
def test_estimator_pandas_extension_dtypes(Estimator, dtype):
    """Check that DataFrames with pandas' nullable dtypes are read as numbers."""
    rng = np.random.RandomState(0)
    values = rng.randint(0, 5, size=(40, 6))
    X = pd.DataFrame(values).astype(dtype)
    y = _target(Estimator, values[:, :, None].astype(float))
    est = Estimator(**FAST_PARAMS).fit(X, y)
    # A DataFrame is a table of numbers under token_ids="auto", integers too.
    assert est._fit_input_kind == "table"
    assert np.all(np.isfinite(_outputs(est, X)))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_estimator_series_of_sequences(Estimator):
    """Check that a pandas Series of 2-D arrays reads like a list of them."""
    X = _ragged()
    y = _target(Estimator, X)
    est = Estimator(**FAST_PARAMS).fit(pd.Series(X), y)
    assert_allclose(_outputs(est, pd.Series(X)), _outputs(est, X))


def test_estimator_token_ids_numpy_bool(sequences_3d):
    """Check that token_ids=np.True_ acts like True."""
    rng = np.random.RandomState(0)
    X = rng.randint(0, 6, size=(30, 5)).astype(float)
    y = np.arange(30) % 2
    clf = RNNClassifier(**FAST_PARAMS, token_ids=np.True_).fit(X, y)
    assert clf._fit_input_kind == "ids"


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_estimator_inference_batches_are_capped(Estimator, sequences_3d):
    """Check that predict pads to at most 256 rows, whatever batch_size is."""
    X, _ = sequences_3d
    y = _target(Estimator, X)
    est = Estimator(**{**FAST_PARAMS, "batch_size": 10_000}).fit(X, y)
    rows = []
    handle = est.net_.module_.register_forward_pre_hook(
        lambda module, args, kwargs: rows.append(len(kwargs["X"])), with_kwargs=True
    )
    try:
        one = _outputs(est, X[:1])
    finally:
        handle.remove()
    assert rows == [256]  # not 10_000
    assert_allclose(one[0], _outputs(est, X)[0], rtol=0, atol=0)


def test_rnn_classifier_missing_labels_raise(sequences_3d):
    """Check that NaN or None among object labels is a clear ValueError."""
    X, _ = sequences_3d
    y = np.array(["a", "b"] * 40, dtype=object)
    y[3] = np.nan
    with pytest.raises(ValueError, match="missing values"):
        RNNClassifier(**FAST_PARAMS).fit(X, y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_estimator_feature_names_out_and_set_output(Estimator, sequences_3d):
    """Check get_feature_names_out, and set_output on a pipeline ending in one."""
    X, _ = sequences_3d
    X2d = X[:, :, 0]
    y = _target(Estimator, X)
    pipe = make_pipeline(StandardScaler(), Estimator(**FAST_PARAMS)).fit(X2d, y)
    est = pipe[-1]
    name = type(est).__name__.lower()
    names = est.get_feature_names_out()
    assert list(names) == [f"{name}{i}" for i in range(FAST_PARAMS["hidden_size"])]
    frame = pipe.set_output(transform="pandas").transform(X2d)
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == list(names)
    assert_allclose(
        frame.to_numpy(), est.transform(StandardScaler().fit_transform(X2d))
    )
    with pytest.raises(NotFittedError):
        Estimator().get_feature_names_out()


def test_estimator_zero_features_per_step_raise():
    """Check that 3-D input with no features is a clear ValueError."""
    with pytest.raises(ValueError, match="0 features per time step"):
        RNNRegressor(**FAST_PARAMS).fit(np.zeros((4, 3, 0), np.float32), np.ones(4))


def test_estimator_optimizer_without_weight_decay(sequences_3d):
    """Check that an optimizer taking no weight_decay (LBFGS) trains."""
    X, y = sequences_3d
    clf = RNNClassifier(**{**FAST_PARAMS, "lr": 0.01}, optimizer=torch.optim.LBFGS)
    clf.fit(X, y)
    assert isinstance(clf.net_.optimizer_, torch.optim.LBFGS)
    assert np.all(np.isfinite(clf.history_["train_loss"]))
    with pytest.raises(ValueError, match="torch.optim.Optimizer subclass"):
        RNNClassifier(**FAST_PARAMS, optimizer=int).fit(X, y)
    with pytest.raises(ValueError, match="LBFGS takes no weight_decay"):
        RNNClassifier(**FAST_PARAMS, optimizer=torch.optim.LBFGS, weight_decay=0.1).fit(
            X, y
        )


class _ForwardingLBFGS(torch.optim.LBFGS):
    """LBFGS behind ``**kwargs``: its signature cannot tell what it takes."""

    def __init__(self, params, **kwargs):
        super().__init__(params, **kwargs)


def test_estimator_warm_start_failed_optimizer_switch_keeps_optimizer(sequences_3d):
    """Check that a warm start whose new optimizer cannot be built leaves the
    old optimizer, with its state, in place."""
    X, y = sequences_3d
    clf = RNNClassifier(**FAST_PARAMS, weight_decay=0.1).fit(X, y)
    adam = clf.net_.optimizer_
    clf.set_params(warm_start=True, optimizer=_ForwardingLBFGS)
    with pytest.raises(TypeError, match="weight_decay"):
        clf.fit(X, y)
    assert clf.net_.optimizer is torch.optim.Adam
    assert clf.net_.optimizer_ is adam
    clf.set_params(optimizer="adam").fit(X, y)
    assert clf.net_.optimizer_ is adam


def test_estimator_warm_start_switch_to_optimizer_without_weight_decay(sequences_3d):
    """Check that a warm start from Adam with weight_decay to LBFGS trains on,
    and that asking LBFGS for weight_decay leaves the fitted model alone."""
    X, y = sequences_3d
    clf = RNNClassifier(**FAST_PARAMS, weight_decay=0.1).fit(X, y)
    before = _outputs(clf, X)
    clf.set_params(warm_start=True, optimizer=torch.optim.LBFGS)
    with pytest.raises(ValueError, match="LBFGS takes no weight_decay"):
        clf.fit(X, y)
    assert isinstance(clf.net_.optimizer_, torch.optim.Adam)
    assert_array_equal(_outputs(clf, X), before)
    clf.set_params(weight_decay=0.0).fit(X, y)
    assert isinstance(clf.net_.optimizer_, torch.optim.LBFGS)
    assert np.all(np.isfinite(clf.history_["train_loss"]))


@pytest.mark.parametrize("optimizer", ["adam", torch.optim.LBFGS])
@pytest.mark.parametrize("start_frozen", [True, False])
def test_estimator_warm_start_changes_freeze_embeddings(
    start_frozen, optimizer, tmp_path
):
    """Check that a warm start may freeze or unfreeze the embedding, and that
    training then updates it, or leaves it fixed, accordingly (LBFGS too,
    which steps every parameter along one direction)."""
    rng = np.random.RandomState(0)
    X = rng.randint(2, 12, size=(40, 6))
    y = (X[:, 0] > 6).astype(int)
    clf = RNNClassifier(
        **FAST_PARAMS,
        embedding_dim=4,
        warm_start=True,
        freeze_embeddings=start_frozen,
        optimizer=optimizer,
    ).fit(X, y)
    embedding = clf.net_.module_.embedding
    head = clf.net_.module_.head[-1].weight
    before, head_before = embedding.weight.detach().clone(), head.detach().clone()

    clf.set_params(freeze_embeddings=not start_frozen).fit(X, y)

    assert clf.net_.module_.embedding is embedding
    assert clf.n_iter_ == 2 * FAST_PARAMS["max_epochs"]
    assert embedding.weight.requires_grad is start_frozen
    assert not torch.equal(head, head_before)
    if start_frozen:
        # Unfrozen: the optimizer now moves the vectors (padding row aside).
        assert not torch.equal(embedding.weight[1:], before[1:])
    else:
        assert torch.equal(embedding.weight, before)
    assert_array_equal(embedding.weight[0].detach(), 0.0)
    # A saved and loaded model keeps the new setting.
    save(clf, tmp_path / "model.skrnn")
    loaded = load(tmp_path / "model.skrnn")
    assert loaded.net_.module_.embedding.weight.requires_grad is start_frozen


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_estimator_groupby_input_points_to_sequences_from_long(Estimator):
    """Check that a GroupBy passed as X gets a TypeError naming the function."""
    frame = pd.DataFrame({"id": [0, 0, 1, 1], "v": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(TypeError, match="sequences_from_long"):
        Estimator(**FAST_PARAMS).fit(frame.groupby("id")[["v"]], [0, 1])
    est = Estimator(**FAST_PARAMS).fit(np.zeros((4, 3, 1)), [0, 1, 0, 1])
    with pytest.raises(TypeError, match="sequences_from_long"):
        est.predict(frame.groupby("id")["v"])


def test_estimator_repeated_index_warns_of_long_table():
    """Check that a DataFrame with a repeating index warns it may be long."""
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0]}, index=[0, 0, 1, 1])
    with pytest.warns(UserWarning, match="index repeats"):
        RNNRegressor(**FAST_PARAMS).fit(frame, [1.0, 2.0, 3.0, 4.0])


@pytest.mark.parametrize(
    "X, kind",
    [
        (np.arange(24).reshape(6, 4) % 7 + 2, "ids"),  # TextTokenizer's output
        ([np.array([2, 3, 4]), np.array([5, 6])] * 3, "ids"),
        (pd.DataFrame(np.arange(24).reshape(6, 4)), "table"),
        ([np.ones((3, 8), dtype=int), np.ones((2, 8), dtype=int)] * 3, "sequences"),
        (np.ones((6, 4, 8), dtype=int), "sequences"),
    ],
)
def test_estimator_auto_token_ids_rule(X, kind):
    """Check which integer inputs token_ids='auto' reads as token ids."""
    est = RNNRegressor(**FAST_PARAMS).fit(X, np.arange(6.0))
    assert est._fit_input_kind == kind


def test_estimator_token_id_errors_name_token_ids_false():
    """Check that refusals of token ids say how to read numbers instead."""
    X = [np.ones((3, 8), dtype=int), np.ones((2, 8), dtype=int)]
    with pytest.raises(ValueError, match="token_ids=False"):
        RNNRegressor(**FAST_PARAMS, token_ids=True).fit(X, [1.0, 2.0])
    with pytest.raises(ValueError, match="token_ids=False"):
        RNNRegressor(**FAST_PARAMS, token_ids=True).fit(
            np.full((2, 3), 0.5), [1.0, 2.0]
        )
