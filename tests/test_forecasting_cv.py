"""Cross-validation of SequenceForecaster: test folds read their history."""

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.metrics import r2_score
from sklearn.model_selection import (
    GridSearchCV,
    HalvingGridSearchCV,
    HalvingRandomSearchCV,
    RandomizedSearchCV,
    TimeSeriesSplit,
    cross_val_score,
    cross_validate,
)

from sklearn_rnn import SequenceForecaster

BASE = SequenceForecaster(window=4, hidden_size=4, max_epochs=2, random_state=0)
GRID = {"hidden_size": [3, 5]}


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)
        from sklearn.exceptions import ConvergenceWarning

        warnings.simplefilter("ignore", category=ConvergenceWarning)
        yield


def _series(n=70, seed=0, index="range"):
    rng = np.random.RandomState(seed)
    t = np.arange(n)
    y = 10 + np.sin(2 * np.pi * t / 7) + 0.1 * t + rng.normal(0, 0.2, n)
    if index == "date":
        labels = pd.date_range("2020-01-01", periods=n, freq="D")
    elif index == "period":
        labels = pd.period_range("2000-01", periods=n, freq="M")
    else:
        labels = pd.RangeIndex(n)
    X = pd.DataFrame({"y": y}, index=labels)
    return X, pd.Series(y, index=labels, name="y")


def _by_hand(est, X, y, train, test):
    """R2 on the test rows of a fit on train, predicting with full history.

    The rows between the folds (a gap) are unknown to the forecaster: they
    are filled with its forecasts from the end of the training rows.
    """
    est = clone(est).fit(X.iloc[train], y.iloc[train])
    values = X.to_numpy(dtype=float).copy()
    gap = np.arange(train[-1] + 1, test[0])
    if len(gap):
        values[gap, 0] = np.asarray(est.forecast(len(gap)))
    rows = np.concatenate([train, gap, test])
    pred = est.predict(values[rows])[-len(test) :]
    return r2_score(y.iloc[test], pred)


@pytest.mark.parametrize("gap", [0, 3])
@pytest.mark.parametrize("index", ["range", "date", "period"])
def test_cross_val_score_reads_history_of_each_fold(gap, index):
    """Check that cross_val_score equals the score with full history, by hand."""
    X, y = _series(index=index)
    cv = TimeSeriesSplit(n_splits=3, test_size=10, gap=gap)
    scores = cross_val_score(BASE, X, y, cv=cv)
    expected = [_by_hand(BASE, X, y, tr, te) for tr, te in cv.split(X)]
    assert_allclose(scores, expected, rtol=1e-10)
    results = cross_validate(BASE, X, y, cv=cv, scoring="neg_mean_absolute_error")
    assert len(results["test_score"]) == 3


def _candidate_params(search, i):
    params = dict(search.cv_results_["params"][i])
    if "n_resources" in search.cv_results_:
        params["max_epochs"] = int(search.cv_results_["n_resources"][i])
    return params


@pytest.mark.parametrize(
    "make_search",
    [
        lambda cv: GridSearchCV(BASE, GRID, cv=cv),
        lambda cv: RandomizedSearchCV(BASE, GRID, n_iter=2, cv=cv, random_state=0),
        lambda cv: HalvingGridSearchCV(
            BASE,
            GRID,
            cv=cv,
            resource="max_epochs",
            min_resources=1,
            max_resources=2,
            factor=2,
        ),
        lambda cv: HalvingRandomSearchCV(
            BASE,
            GRID,
            cv=cv,
            resource="max_epochs",
            min_resources=1,
            max_resources=2,
            factor=2,
            n_candidates=2,
            random_state=0,
        ),
    ],
)
@pytest.mark.parametrize("gap", [0, 2])
def test_searches_score_folds_with_their_history(make_search, gap):
    """Check that every search's fold scores equal the full-history ones."""
    X, y = _series(60)
    cv = TimeSeriesSplit(n_splits=2, test_size=10, gap=gap)
    search = make_search(cv).fit(X, y)
    folds = list(cv.split(X))
    for i in range(len(search.cv_results_["params"])):
        est = clone(BASE).set_params(**_candidate_params(search, i))
        for k, (train, test) in enumerate(folds):
            got = search.cv_results_[f"split{k}_test_score"][i]
            assert got == pytest.approx(_by_hand(est, X, y, train, test), rel=1e-10)


def test_predict_continues_only_after_the_training_rows():
    """Check which rows read the stored history: only those after fit's end."""
    X, y = _series(60)
    est = clone(BASE).fit(X.iloc[:40], y.iloc[:40])
    # Rows that continue: the same as predicting on the whole series.
    whole = est.predict(X)[40:]
    assert_allclose(est.predict(X.iloc[40:]), whole, rtol=0)
    # Overlapping the training rows, shuffled, or NumPy input: X alone.
    alone = est.predict(X.iloc[30:50].to_numpy())
    assert_allclose(est.predict(X.iloc[30:50]), alone, rtol=0)
    shuffled = X.iloc[40:].sample(frac=1, random_state=0)
    alone = est.predict(shuffled.to_numpy())
    assert_allclose(est.predict(shuffled), alone, rtol=0)
    # Without an index the first row has no history: the training mean.
    assert est.predict(X.iloc[40:].to_numpy())[0] == est._global_stats.fallback[0]


def test_predict_refuses_unordered_time_index():
    """Check that a reversed or repeated DatetimeIndex gets a clear error."""
    X, y = _series(40, index="date")
    with pytest.raises(ValueError, match="not strictly increasing"):
        clone(BASE).fit(X.iloc[::-1], y.iloc[::-1])
    est = clone(BASE).fit(X, y)
    repeated = pd.concat([X.iloc[:5], X.iloc[4:10]])
    with pytest.raises(ValueError, match="not strictly increasing"):
        est.predict(repeated)


def test_gap_without_forecastable_inputs_warns_and_reads_x_alone():
    """Check that a gap the forecaster cannot fill warns and skips history."""
    X, y = _series(60)
    X["other"] = np.random.RandomState(0).normal(size=len(X))
    est = clone(BASE).fit(X.iloc[:40], y.iloc[:40])
    with pytest.warns(UserWarning, match="cannot be forecast"):
        out = est.predict(X.iloc[43:])
    assert_allclose(out, est.predict(X.iloc[43:].to_numpy()), rtol=0)


def test_cross_val_score_on_interleaved_long_table():
    """Check a global model on series interleaved over a RangeIndex."""
    rng = np.random.RandomState(0)
    n = 60
    t = np.arange(n)
    a = np.sin(2 * np.pi * t / 7) + rng.normal(0, 0.1, n)
    b = np.cos(2 * np.pi * t / 5) + rng.normal(0, 0.1, n)
    X = pd.DataFrame(
        {"id": np.tile(["a", "b"], n), "v": np.column_stack([a, b]).ravel()}
    )
    y = X["v"]
    est = SequenceForecaster(
        window=4, hidden_size=4, max_epochs=2, random_state=0, series_column="id"
    )
    fit = clone(est).fit(X.iloc[:80], y.iloc[:80])
    assert fit._series_label_step == {"a": 2, "b": 2}
    assert_allclose(fit.predict(X.iloc[80:]), fit.predict(X)[80:], rtol=0)
    # Uneven steps (a row dropped) place nothing: X alone.
    dropped = X.drop(index=[10])
    fit = clone(est).fit(dropped.iloc[:79], dropped["v"].iloc[:79])
    assert fit._series_last_label["a"] is None


def test_irregular_time_index_warns_in_predict_and_refuses_forecast():
    """Check an index without frequency: a warning in predict, forecast refused."""
    X, y = _series(60, index="date")
    keep = np.ones(60, dtype=bool)
    keep[[5, 17, 33, 50]] = False
    X, y = X[keep], y[keep]
    est = clone(BASE).fit(X.iloc[:40], y.iloc[:40])
    with pytest.warns(UserWarning, match="cannot be counted in steps"):
        est.predict(X.iloc[40:])
    with pytest.raises(ValueError, match="no regular frequency"):
        est.forecast(3)


def test_huge_window_allocates_only_the_history():
    """Check that a window far longer than the series allocates nothing huge."""
    X, y = _series(50)
    est = SequenceForecaster(window=10**6, hidden_size=4, max_epochs=1).fit(X, y)
    assert est.predict(X).shape == (50,)


def test_onnx_inputs_read_history_like_predict(tmp_path):
    """Check the exported graph's inputs continue the training data as predict."""
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    from sklearn_rnn.export import onnx_inputs, to_onnx

    X, y = _series(60)
    est = clone(BASE).fit(X.iloc[:40], y.iloc[:40])
    inputs, rows = onnx_inputs(est, X.iloc[40:])
    assert rows.tolist() == list(range(20))
    session = ort.InferenceSession(str(to_onnx(est, tmp_path / "f.onnx")))
    out = session.run(None, inputs)[0][:, 0]
    assert_allclose(out, est.predict(X.iloc[40:]), rtol=1e-5)
