# SPDX-License-Identifier: BSD-3-Clause
import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal
from sklearn import config_context
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_rnn import RNNRegressor
from sklearn_rnn._columns import column_position
from sklearn_rnn.data import split_nan_padding
from sklearn_rnn.windowing import SequenceWindower, make_windows


def _table(n_steps=12, n_features=3):
    """Rows 0..n_steps-1; value 10 * row + column, so each cell is recognizable."""
    rows = np.arange(n_steps, dtype=float)[:, None]
    return 10 * rows + np.arange(n_features, dtype=float)


# -- make_windows -------------------------------------------------------------


@pytest.mark.parametrize("n_steps", [7, 20])
@pytest.mark.parametrize("window", [1, 3])
@pytest.mark.parametrize("horizon", [1, 2])
@pytest.mark.parametrize("step", [1, 2, 5])
def test_make_windows_shapes(n_steps, window, horizon, step):
    """Check that X and y have the documented shapes and number of windows."""
    series = _table(n_steps, 2)
    X, y = make_windows(series, window=window, horizon=horizon, step=step, target=0)
    n_windows = (n_steps - window - horizon) // step + 1
    assert X.shape == (n_windows, window, 2)
    assert y.shape == ((n_windows,) if horizon == 1 else (n_windows, horizon))
    assert X.dtype == y.dtype == np.float64


def test_make_windows_alignment_by_hand():
    """Check the windows and targets of a small series against a hand count."""
    X, y = make_windows(np.arange(7.0), window=3, horizon=2, step=2)
    # Windows start at rows 0 and 2; a third at row 4 would need rows up to 8.
    assert_array_equal(X[:, :, 0], [[0, 1, 2], [2, 3, 4]])
    assert_array_equal(y, [[3, 4], [5, 6]])


@pytest.mark.parametrize("window, horizon, step", [(4, 1, 1), (3, 3, 2), (2, 2, 5)])
def test_make_windows_window_i_starts_at_i_times_step(window, horizon, step):
    """Check that window i covers rows i*step onward and y the rows after it."""
    series = _table(30, 2)
    X, y = make_windows(series, window=window, horizon=horizon, step=step, target=1)
    y = y.reshape(len(y), horizon)
    for i in range(len(X)):
        s = i * step
        assert_array_equal(X[i], series[s : s + window])
        assert_array_equal(y[i], series[s + window : s + window + horizon, 1])
    # The last window is the last one that fits.
    assert (len(X) - 1) * step + window + horizon <= len(series)
    assert len(X) * step + window + horizon > len(series)


@pytest.mark.parametrize("target, column", [(0, 0), (2, 2), (-1, 2)])
def test_make_windows_target_by_position(target, column):
    """Check that an integer target picks that column, X keeping all columns."""
    series = _table(10, 3)
    X, y = make_windows(series, window=4, target=target)
    assert X.shape[2] == 3
    assert_array_equal(y, series[4:, column])


def test_make_windows_pandas_dataframe_target_by_name():
    """Check that a DataFrame target can be a column name, or a position."""
    series = _table(10, 3)
    df = pd.DataFrame(series, columns=["a", "b", "c"])
    X, y = make_windows(df, window=4, target="b")
    assert_array_equal(X, make_windows(series, window=4, target=1)[0])
    assert_array_equal(y, series[4:, 1])
    assert_array_equal(make_windows(df, window=4, target=2)[1], series[4:, 2])


def test_make_windows_dataframe_integer_labels_win_over_positions():
    """Check that with integer column labels, target is read as a label first."""
    series = _table(10, 2)
    df = pd.DataFrame(series, columns=[1, 0])
    assert_array_equal(make_windows(df, window=3, target=0)[1], series[3:, 1])


def test_make_windows_pandas_series():
    """Check that a pandas Series is one column, its name a valid target."""
    values = np.arange(10.0) ** 2
    s = pd.Series(values, name="load", index=pd.date_range("2024", periods=10))
    X, y = make_windows(s, window=3)
    assert_array_equal(X, make_windows(values, window=3)[0])
    assert_array_equal(y, values[3:])
    assert_array_equal(make_windows(s, window=3, target="load")[1], values[3:])


def test_make_windows_dtypes():
    """Check that float32 stays float32 and other numbers become float64."""
    X, y = make_windows(np.arange(6, dtype=np.float32), window=2)
    assert X.dtype == y.dtype == np.float32
    X, y = make_windows(list(range(6)), window=2)
    assert X.dtype == y.dtype == np.float64


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"window": 0}, "window == 0, must be >= 1"),
        ({"window": 2, "horizon": 0}, "horizon == 0, must be >= 1"),
        ({"window": 2, "step": -1}, "step == -1, must be >= 1"),
        ({"window": 10}, r"series has 10 rows, fewer than window \+ horizon"),
        ({"window": 8, "horizon": 3}, r"= 11 needed"),
        ({"window": 2, "target": 3}, "target=3 is out of range"),
        ({"window": 2, "target": "b"}, "target='b' is not a column of series"),
    ],
)
def test_make_windows_invalid_arguments(kwargs, match):
    """Check that bad arguments raise a ValueError naming them."""
    with pytest.raises(ValueError, match=match):
        make_windows(np.arange(10.0), **kwargs)


def test_make_windows_errors_on_series():
    """Check the errors for several columns without target, NaN and 3-D input."""
    with pytest.raises(ValueError, match="series has 3 columns; set target"):
        make_windows(_table(10, 3), window=2)
    df = pd.DataFrame(_table(10, 2), columns=["a", "b"])
    with pytest.raises(ValueError, match=r"Known columns: \['a', 'b'\]"):
        make_windows(df, window=2, target="z")
    series = _table(10, 2)
    series[4, 1] = np.nan
    with pytest.raises(ValueError, match=r"NaN at row 4 \(column 1\)"):
        make_windows(series, window=2, target=0)
    df.iloc[5, 0] = np.inf
    with pytest.raises(ValueError, match=r"infinity at row 5 \(column 'a'\)"):
        make_windows(df, window=2, target="b")
    with pytest.raises(ValueError, match="series must be 1-D .* got 3 dimension"):
        make_windows(np.zeros((2, 10, 1)), window=2)
    with pytest.raises(TypeError, match="window must be an int"):
        make_windows(np.arange(10.0), window=True)


def test_make_windows_does_not_touch_input():
    """Check that the input is not modified and the outputs are writable copies."""
    series = _table(10, 2)
    df = pd.DataFrame(series.copy(), columns=["a", "b"])
    before, df_before = series.copy(), df.copy()
    for data, target in [(series, 1), (df, "b")]:
        X, y = make_windows(data, window=9, target=target)  # one window
        X[:] = -1
        y[:] = -1
    assert_array_equal(series, before)
    pd.testing.assert_frame_equal(df, df_before)


# -- SequenceWindower ---------------------------------------------------------


@pytest.mark.parametrize("window", [1, 3, 5])
def test_sequence_windower_row_is_window_ending_there(window):
    """Check that output row t is input rows t-window+1..t for full windows."""
    X = _table(12, 2)
    Xt = SequenceWindower(window=window).fit_transform(X)
    assert Xt.shape == (12, window, 2)
    assert Xt.dtype == np.float64
    for t in range(window - 1, 12):
        assert_array_equal(Xt[t], X[t - window + 1 : t + 1])


def test_sequence_windower_short_rows_are_nan_padded_at_the_end():
    """Check that the first rows hold their history first, then all-NaN steps."""
    X = _table(6, 2)
    Xt = SequenceWindower(window=4).fit_transform(X)
    for t in range(3):
        assert_array_equal(Xt[t, : t + 1], X[: t + 1])
        assert np.isnan(Xt[t, t + 1 :]).all()
    # The estimators read them as sequences of t + 1 steps.
    _, lengths = split_nan_padding(Xt)
    assert_array_equal(lengths, [1, 2, 3, 4, 4, 4])


def test_sequence_windower_window_longer_than_data():
    """Check that a window longer than X gives only short, padded rows."""
    Xt = SequenceWindower(window=5).fit_transform(np.array([[1.0], [2.0]]))
    assert_array_equal(split_nan_padding(Xt)[1], [1, 2])
    assert_array_equal(Xt[1, :2, 0], [1.0, 2.0])


def test_sequence_windower_dataframe_and_features():
    """Check n_features_in_, feature_names_in_ and the feature-count check."""
    df = pd.DataFrame(_table(8, 3), columns=["a", "b", "c"])
    windower = SequenceWindower(window=2).fit(df)
    assert windower.n_features_in_ == 3
    assert_array_equal(windower.feature_names_in_, ["a", "b", "c"])
    by_array = SequenceWindower(window=2).fit(df.to_numpy())
    assert not hasattr(by_array, "feature_names_in_")
    assert_array_equal(windower.transform(df), by_array.transform(df.to_numpy()))
    with pytest.raises(ValueError, match="X has 2 features, but .* expecting 3"):
        by_array.transform(_table(8, 2))


def test_sequence_windower_float32_and_not_mutated():
    """Check that float32 is kept and that X is left as it was."""
    X = _table(6, 2).astype(np.float32)
    before = X.copy()
    Xt = SequenceWindower(window=3).fit_transform(X)
    Xt[:] = 0
    assert Xt.dtype == np.float32
    assert_array_equal(X, before)


def test_sequence_windower_rejects_nan():
    """Check that NaN input raises."""
    X = _table(6, 2)
    X[2, 0] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        SequenceWindower(window=2).fit(X)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        SequenceWindower(window=2).fit(_table(6, 2)).transform(X)


@pytest.mark.parametrize("transform", [None, "default"])
def test_sequence_windower_set_output_default_is_silent(transform):
    """Check that set_output with the default container changes nothing, silently."""
    windower = SequenceWindower(window=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert windower.set_output(transform=transform) is windower
    assert_array_equal(
        windower.fit_transform(_table(6, 2)),
        SequenceWindower(window=2).fit_transform(_table(6, 2)),
    )


@pytest.mark.parametrize("transform", ["pandas", "polars"])
def test_sequence_windower_set_output_dataframe_warns(transform):
    """Check that asking for DataFrames warns once and leaves the output an array."""
    windower = SequenceWindower(window=2)
    with pytest.warns(UserWarning, match="3-D windows.*stays a NumPy array") as record:
        assert windower.set_output(transform=transform) is windower
    assert len(record) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Xt = windower.fit_transform(_table(6, 2))
    assert isinstance(Xt, np.ndarray)
    assert_array_equal(Xt, SequenceWindower(window=2).fit_transform(_table(6, 2)))
    with pytest.raises(ValueError, match="transform='numpy' is not a valid"):
        windower.set_output(transform="numpy")


def test_sequence_windower_pipeline_set_output_pandas():
    """Check that a pipeline with a windower takes set_output(transform="pandas")."""
    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.normal(size=(40, 2)), columns=["a", "b"])
    y = rng.normal(size=40)
    pipe = make_pipeline(
        StandardScaler(),
        SequenceWindower(window=3),
        RNNRegressor(hidden_size=8, max_epochs=3, random_state=0),
    )
    with pytest.warns(UserWarning, match="SequenceWindower.set_output"):
        pipe.set_output(transform="pandas")
    pred = pipe.fit(X, y).predict(X)
    assert pred.shape == y.shape
    # The scaler's output is a DataFrame: the windower records its columns.
    assert isinstance(pipe[0].transform(X), pd.DataFrame)
    assert_array_equal(pipe[1].feature_names_in_, ["a", "b"])
    plain = make_pipeline(
        StandardScaler(),
        SequenceWindower(window=3),
        RNNRegressor(hidden_size=8, max_epochs=3, random_state=0),
    )
    assert_array_equal(plain.fit(X, y).predict(X), pred)


def test_sequence_windower_global_pandas_output_stays_ndarray():
    """Check that transform_output="pandas" leaves the 3-D output an ndarray."""
    df = pd.DataFrame(_table(6, 2), columns=["a", "b"])
    with config_context(transform_output="pandas"):
        Xt = SequenceWindower(window=2).fit_transform(df)
    assert isinstance(Xt, np.ndarray)
    assert Xt.shape == (6, 2, 2)


@pytest.mark.parametrize("window", [0, 10**6 + 1])
def test_sequence_windower_invalid_window(window):
    """Check that window is validated in fit, with sklearn's message."""
    with pytest.raises(ValueError, match="'window' parameter of SequenceWindower"):
        SequenceWindower(window=window).fit(_table(6, 2))


@pytest.mark.parametrize(
    "make_frame",
    [
        pytest.param(lambda: pd.DataFrame(_table(12, 2), columns=[1, 0]), id="ints"),
        pytest.param(
            lambda: pd.DataFrame(_table(12, 2), columns=["a", "b"]), id="names"
        ),
    ],
)
def test_make_windows_target_label_before_position(make_frame):
    """Check that target is a column label first, and a position otherwise."""
    df = make_frame()
    _, y = make_windows(df, window=2, target=0)
    # Label 0 is the second column when the labels are [1, 0].
    column = 1 if list(df.columns) == [1, 0] else 0
    assert_array_equal(y, df.iloc[2:, column].to_numpy())


def test_make_windows_boolean_target_raises():
    """Check that True and False are refused as a target column."""
    df = pd.DataFrame(_table(12, 2), columns=[0, 1])
    with pytest.raises(ValueError, match="target must name a column of series by"):
        make_windows(df, window=2, target=True)


def test_column_position_refuses_a_label_of_several_columns():
    """Check that a label held by several columns is ambiguous, not the first."""
    with pytest.raises(ValueError, match="target='a' names several columns of X"):
        column_position("a", ["a", "b", "a"], 3, param="target")


def test_sequence_windower_check_loaded_state():
    """Check that a fitted windower passes its check and broken states do not."""
    windower = SequenceWindower(window=3).fit(_table(6, 2))
    windower._check_loaded_state()
    for value in (0, 2.0, "2", True):
        broken = clone(windower).fit(_table(6, 2))
        broken.n_features_in_ = value
        with pytest.raises(ValueError, match="n_features_in_ must be a positive int"):
            broken._check_loaded_state()
    with pytest.raises(ValueError, match=r"missing the fitted attribute\(s\)"):
        SequenceWindower(window=3)._check_loaded_state()


@pytest.mark.parametrize(
    "series",
    [
        pd.Series(pd.date_range("2020", periods=30, freq="D")),
        pd.Series(pd.date_range("2020", periods=30, freq="D", tz="UTC")),
        pd.Series(pd.to_timedelta(np.arange(30), "D")),
        pd.Series(pd.period_range("2020", periods=30, freq="D")),
        pd.Series(["x"] * 30, dtype="string"),
        np.array(["a"] * 30),
    ],
)
def test_make_windows_refuses_dates_and_text(series):
    """Check that dates, durations and text are refused, not read as numbers."""
    with pytest.raises(ValueError, match="not numbers"):
        make_windows(series, window=5)


def test_make_windows_names_the_non_numeric_column():
    """Check that the refused column of a DataFrame is named."""
    frame = pd.DataFrame(
        {"load": np.arange(30.0), "when": pd.date_range("2020", periods=30)}
    )
    with pytest.raises(ValueError, match="column 'when'"):
        make_windows(frame, window=5)
    X, _ = make_windows(frame[["load"]].astype("Int64"), window=5)
    assert X.shape == (25, 5, 1)
