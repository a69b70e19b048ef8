# SPDX-License-Identifier: BSD-3-Clause
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import FeatureUnion, make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_rnn import RNNRegressor, SequenceScaler

TINY = {"hidden_size": 8, "max_epochs": 3, "random_state": 0}


def _ragged(n=12, n_features=3, seed=0, dtype=np.float64):
    """Sequences of 1 to 8 steps; feature j has mean about 10 * j, spread j + 1."""
    rng = np.random.RandomState(seed)
    return [
        (
            rng.normal(size=(rng.randint(1, 9), n_features))
            * np.arange(1, n_features + 1)
            + 10 * np.arange(n_features)
        ).astype(dtype)
        for _ in range(n)
    ]


def _nan_padded(sequences):
    """The sequences in one 3-D array, short ones padded with all-NaN steps."""
    n_steps = max(len(x) for x in sequences)
    n_features = sequences[0].shape[1]
    out = np.full((len(sequences), n_steps, n_features), np.nan, sequences[0].dtype)
    for i, x in enumerate(sequences):
        out[i, : len(x)] = x
    return out


def _reference(sequences, weights=None):
    """Mean and variance of each feature over the steps, by numpy on the rows."""
    rows = np.concatenate(sequences).astype(np.float64)
    if weights is None:
        return rows.mean(axis=0), rows.var(axis=0)
    w = np.repeat(weights, [len(x) for x in sequences])
    mean = np.average(rows, axis=0, weights=w)
    return mean, np.average((rows - mean) ** 2, axis=0, weights=w)


def test_sequence_scaler_statistics_match_numpy_reference():
    """Check that mean_, var_ and scale_ are those of all valid steps together."""
    X = _ragged()
    scaler = SequenceScaler().fit(X)
    mean, var = _reference(X)
    assert_allclose(scaler.mean_, mean, rtol=1e-12)
    assert_allclose(scaler.var_, var, rtol=1e-12)
    assert_allclose(scaler.scale_, np.sqrt(var), rtol=1e-12)
    assert scaler.mean_.dtype == scaler.var_.dtype == np.float64
    assert scaler.n_features_in_ == 3


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sequence_scaler_ragged_and_nan_padded_agree_with_3d(dtype):
    """Check that ragged, NaN-padded and equal-length 3-D inputs agree."""
    X = _ragged(dtype=dtype)
    padded = _nan_padded(X)
    # Equal-length 3-D data holding the same steps, by cutting each to one step
    # per sequence and stacking them: the same rows, another layout.
    rows = np.concatenate(X)[:, None, :]
    stats = [SequenceScaler().fit(data) for data in (X, padded, rows)]
    for scaler in stats[1:]:
        assert_allclose(scaler.mean_, stats[0].mean_, rtol=1e-12)
        assert_allclose(scaler.var_, stats[0].var_, rtol=1e-12)
    # The padding, had it counted as zeros or values, would move the mean.
    assert not np.allclose(stats[0].mean_, np.nan_to_num(padded).mean(axis=(0, 1)))


def test_sequence_scaler_keeps_padding_and_lengths():
    """Check that NaN padding stays padding and ragged outputs keep their lengths."""
    X = _ragged()
    padded = _nan_padded(X)
    scaler = SequenceScaler().fit(padded)
    out = scaler.transform(padded)
    assert out.shape == padded.shape
    assert_array_equal(np.isnan(out), np.isnan(padded))
    out_list = scaler.transform(X)
    assert isinstance(out_list, list)
    assert [x.shape for x in out_list] == [x.shape for x in X]
    for i, x in enumerate(out_list):
        assert_allclose(x, out[i, : len(x)])
        assert_allclose(x, (X[i] - scaler.mean_) / scaler.scale_)
    # Over the valid steps, every feature now has mean 0 and variance 1.
    rows = np.concatenate(out_list)
    assert_allclose(rows.mean(axis=0), 0, atol=1e-12)
    assert_allclose(rows.var(axis=0), 1, rtol=1e-12)


def test_sequence_scaler_1d_sequences_and_2d_arrays():
    """Check univariate forms: 1-D sequences in a list, rows of a 2-D array."""
    rng = np.random.RandomState(0)
    X = rng.normal(3.0, 2.0, size=(6, 5))
    X[1, 3:] = np.nan  # a shorter second sequence
    scaler = SequenceScaler().fit(X)
    valid = X[~np.isnan(X)]
    assert_allclose(scaler.mean_, [valid.mean()])
    assert_allclose(scaler.var_, [valid.var()])
    # As for the estimators, 2-D input counts its columns as features.
    assert scaler.n_features_in_ == 5
    out = scaler.transform(X)
    assert out.shape == X.shape
    assert_array_equal(np.isnan(out), np.isnan(X))
    sequences = [row[~np.isnan(row)] for row in X]
    out_list = SequenceScaler().fit(sequences).transform(sequences)
    assert [x.shape for x in out_list] == [x.shape for x in sequences]
    assert_allclose(np.concatenate(out_list), out[~np.isnan(out)])
    with pytest.raises(ValueError, match="X has 4 features, but SequenceScaler"):
        scaler.transform(X[:, :4])


@pytest.mark.parametrize(
    "make",
    [_nan_padded, lambda X: X, lambda X: _nan_padded(X)[:, :, 0]],
    ids=["padded", "ragged", "2d"],
)
@pytest.mark.parametrize("with_mean", [True, False])
@pytest.mark.parametrize("with_std", [True, False])
def test_sequence_scaler_inverse_transform_round_trips(make, with_mean, with_std):
    """Check that inverse_transform gives the input back, padding included."""
    X = make(_ragged())
    scaler = SequenceScaler(with_mean=with_mean, with_std=with_std)
    back = scaler.inverse_transform(scaler.fit_transform(X))
    if isinstance(X, list):
        for a, b in zip(back, X):
            assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    else:
        assert_allclose(back, X, rtol=1e-12, atol=1e-12)
    assert (scaler.mean_ is None) != with_mean
    assert (scaler.scale_ is None) != with_std
    assert (scaler.var_ is None) != with_std


def test_sequence_scaler_with_mean_false_scales_by_std():
    """Check that with_mean=False divides by the standard deviation only."""
    X = _nan_padded(_ragged())
    _, var = _reference(_ragged())
    out = SequenceScaler(with_mean=False).fit_transform(X)
    assert_allclose(out, X / np.sqrt(var))


def test_sequence_scaler_constant_feature_and_large_offset():
    """Check that a constant feature keeps scale 1 and a large offset its spread."""
    rng = np.random.RandomState(0)
    X = np.empty((20, 7, 2))
    X[:, :, 0] = 0.1  # not exact in binary: its variance comes out tiny, not 0
    X[:, :, 1] = 1e9 + rng.normal(size=(20, 7))
    scaler = SequenceScaler().fit(X)
    assert scaler.scale_[0] == 1.0
    assert_allclose(scaler.var_[1], X[:, :, 1].var(), rtol=1e-6)
    out = scaler.transform(X)
    assert_allclose(out[:, :, 0], 0.0, atol=1e-12)
    assert_allclose(out[:, :, 1].std(), 1.0, rtol=1e-6)


def test_sequence_scaler_dtypes_and_input_unchanged():
    """Check that float32 stays float32, other input is float64, X is not modified."""
    X = _nan_padded(_ragged(dtype=np.float32))
    before = X.copy()
    scaler = SequenceScaler().fit(X)
    out = scaler.transform(X)
    out[:] = 0
    assert out.dtype == np.float32
    assert_array_equal(X, before)
    assert scaler.mean_.dtype == np.float64
    ragged = _ragged(dtype=np.float32)
    copies = [x.copy() for x in ragged]
    assert all(x.dtype == np.float32 for x in scaler.transform(ragged))
    for x, c in zip(ragged, copies):
        assert_array_equal(x, c)
    ints = np.arange(24).reshape(4, 3, 2)
    assert SequenceScaler().fit_transform(ints).dtype == np.float64
    mixed = [ragged[0], ragged[1].astype(np.float64)]
    assert all(x.dtype == np.float64 for x in scaler.transform(mixed))


def test_sequence_scaler_sample_weight():
    """Check that weights act per sequence, like repeating the sequences."""
    X = _ragged()
    weights = np.arange(len(X)) % 3
    scaler = SequenceScaler().fit(X, sample_weight=weights)
    mean, var = _reference(X, weights)
    assert_allclose(scaler.mean_, mean, rtol=1e-12)
    assert_allclose(scaler.var_, var, rtol=1e-12)
    repeated = [x for x, w in zip(X, weights) for _ in range(w)]
    assert_allclose(SequenceScaler().fit(repeated).var_, scaler.var_, rtol=1e-12)
    with pytest.raises(ValueError, match="non-zero|total weight of 0"):
        SequenceScaler().fit(X, sample_weight=np.zeros(len(X)))
    with pytest.raises(ValueError, match="sample_weight"):
        SequenceScaler().fit(X, sample_weight=np.ones(3))


def test_sequence_scaler_feature_names_of_2d_tables():
    """Check that a DataFrame's column names are recorded and checked."""
    df = pd.DataFrame(np.random.RandomState(0).normal(size=(5, 3)), columns=list("abc"))
    scaler = SequenceScaler().fit(df)
    assert_array_equal(scaler.feature_names_in_, ["a", "b", "c"])
    with pytest.raises(ValueError, match="feature names"):
        scaler.transform(df[["c", "b", "a"]])
    scaler.fit(df.to_numpy()[:, :, None])
    assert not hasattr(scaler, "feature_names_in_")
    assert scaler.n_features_in_ == 1


@pytest.mark.parametrize(
    "X, match",
    [
        (np.array([[[1.0], [np.nan], [2.0]]]), "NaN inside a sequence"),
        (np.array([[[1.0, np.nan], [2.0, 3.0]]]), "NaN inside a sequence"),
        (np.array([[[1.0], [np.inf]]]), "infinity"),
        ([np.array([[1.0], [np.nan]]), np.array([[2.0]])], "NaN inside sequence 0"),
        (np.array([[[np.nan], [np.nan]], [[1.0], [2.0]]]), "zero length"),
        (np.zeros((2, 0, 3)), "zero length"),
        (np.zeros((2, 3, 0)), "0 features per time step"),
        (np.zeros((2, 3, 1, 1)), "got an array with 4 dimension"),
        (np.zeros(3), "Expected 2D array"),
        ([np.zeros((2, 2)), np.zeros((3, 3))], "same number of features"),
        ([], "Expected 2D array"),
    ],
)
def test_sequence_scaler_invalid_input(X, match):
    """Check that bad input raises a ValueError that says what is wrong."""
    with pytest.raises(ValueError, match=match):
        SequenceScaler().fit(X)


def test_sequence_scaler_feature_mismatch_and_not_fitted():
    """Check errors at transform: other feature counts, no fit."""
    scaler = SequenceScaler().fit(np.zeros((4, 5, 2)))
    msg = "X has 3 features per time step, but SequenceScaler is expecting 2"
    with pytest.raises(ValueError, match=msg):
        scaler.transform(np.zeros((4, 5, 3)))
    with pytest.raises(ValueError, match=msg):
        scaler.inverse_transform([np.zeros((2, 3)), np.zeros((4, 3))])
    with pytest.raises(ValueError, match="1 features per time step"):
        scaler.transform(np.zeros((4, 5)))
    with pytest.raises(NotFittedError):
        SequenceScaler().transform(np.zeros((4, 5, 2)))
    with pytest.raises(ValueError, match="'with_mean' parameter of SequenceScaler"):
        SequenceScaler(with_mean="yes").fit(np.zeros((4, 5, 2)))


def test_sequence_scaler_pipeline_with_regressor(ragged_sequences):
    """Check that a scaler feeds RNNRegressor in a Pipeline, ragged and padded."""
    X, _, y = ragged_sequences
    pipe = make_pipeline(SequenceScaler(), RNNRegressor(**TINY))
    pred = pipe.fit(X, y).predict(X)
    assert pred.shape == y.shape
    assert np.isfinite(pred).all()
    assert_array_equal(clone(pipe).fit(X, y).predict(X), pred)
    # The same data NaN-padded: the regressor reads the same lengths.
    padded = _nan_padded(X)
    assert_allclose(pipe.predict(padded), pred, rtol=1e-5, atol=1e-6)
    assert pipe.n_features_in_ == 3
    loaded = pickle.loads(pickle.dumps(pipe))
    assert_array_equal(loaded.predict(X), pred)


def test_sequence_scaler_grid_search_and_clone(sequences_3d):
    """Check that GridSearchCV searches the scaler's parameters in a Pipeline."""
    X, _ = sequences_3d
    y = X[:, -1, 0] * 3.0
    pipe = make_pipeline(SequenceScaler(), RNNRegressor(**TINY, batch_size=128))
    search = GridSearchCV(
        pipe, {"sequencescaler__with_std": [True, False]}, cv=2, error_score="raise"
    ).fit(X, y)
    assert search.best_params_["sequencescaler__with_std"] in (True, False)
    assert search.predict(X).shape == y.shape
    assert clone(SequenceScaler(with_mean=False)).get_params() == {
        "with_mean": False,
        "with_std": True,
    }


def test_sequence_scaler_set_output_in_pipeline():
    """Check set_output: silent for default, a warning and arrays for pandas."""
    X = _nan_padded(_ragged())
    scaler = SequenceScaler().fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert scaler.set_output(transform="default") is scaler
        assert scaler.set_output() is scaler
    with pytest.warns(UserWarning, match="stays a NumPy array"):
        assert scaler.set_output(transform="pandas") is scaler
    assert isinstance(scaler.transform(X), np.ndarray)
    with pytest.raises(ValueError, match="transform='frame'"):
        scaler.set_output(transform="frame")
    table = np.random.RandomState(0).normal(size=(10, 4))
    pipe = make_pipeline(StandardScaler(), SequenceScaler())
    with pytest.warns(UserWarning, match="SequenceScaler.set_output"):
        pipe.set_output(transform="pandas")
    assert isinstance(pipe.fit_transform(table), np.ndarray)
    assert isinstance(pipe[0].transform(table), pd.DataFrame)


def test_sequence_scaler_pandas_series_and_equal_length_lists():
    """Check that a Series of sequences reads like a list, equal shapes as one array."""
    X = _ragged()
    scaler = SequenceScaler().fit(pd.Series(X))
    assert_allclose(scaler.mean_, SequenceScaler().fit(X).mean_)
    same = [x[:1] for x in X]
    out = scaler.transform(same)
    assert isinstance(out, np.ndarray)
    assert_allclose(out, scaler.transform(np.stack(same)))


def test_get_feature_names_out_for_tables_only():
    """Check that a 2-D table keeps its column names, and sequences have none."""
    X = pd.DataFrame(np.random.RandomState(0).rand(6, 3), columns=list("abc"))
    scaler = SequenceScaler().fit(X)
    assert scaler.get_feature_names_out().tolist() == ["a", "b", "c"]
    union = FeatureUnion([("seq", SequenceScaler()), ("std", StandardScaler())])
    with pytest.warns(UserWarning, match="stays a NumPy array"):
        union.set_output(transform="pandas")
    out = union.fit_transform(X)
    assert out.columns.tolist()[:3] == ["seq__a", "seq__b", "seq__c"]
    assert not hasattr(
        SequenceScaler().fit(X.to_numpy()[:, :, None]), "get_feature_names_out"
    )
    assert not hasattr(SequenceScaler(), "get_feature_names_out")


def test_huge_values_raise():
    """Check that values whose variance overflows float64 raise a ValueError."""
    X = np.array([[1e200, -1e200], [1e200, 1e199]])
    with pytest.raises(ValueError, match="Feature 0 of X holds values too large"):
        SequenceScaler().fit(X)
