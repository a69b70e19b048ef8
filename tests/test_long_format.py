"""Tests of sequences_from_long."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal

from sklearn_rnn import RNNClassifier, sequences_from_long


def _long(seed=0, n_ids=12):
    """A long table: ids of 5-9 steps, shuffled rows, one label per id."""
    rng = np.random.RandomState(seed)
    rows = []
    for i in range(n_ids):
        label = "up" if i % 2 else "down"
        for t in range(rng.randint(5, 10)):
            rows.append((f"s{i}", t, rng.normal(), rng.normal() + (i % 2), label))
    frame = pd.DataFrame(rows, columns=["id", "t", "a", "b", "label"])
    return frame.sample(frac=1, random_state=seed).reset_index(drop=True)


def test_sequences_from_long_sorts_by_time_and_keeps_id_order():
    """Check that sequences follow first appearance of ids and sort by time."""
    frame = _long()
    X, y, ids = sequences_from_long(
        frame, id_column="id", time_column="t", label_column="label"
    )
    assert ids.tolist() == list(pd.unique(frame["id"]))
    for x, label, key in zip(X, y, ids):
        rows = frame[frame["id"] == key].sort_values("t")
        assert_array_equal(x, rows[["a", "b"]].to_numpy())
        assert label == rows["label"].iloc[0]


def test_sequences_from_long_keeps_table_order_without_time():
    """Check that without a time column the rows keep their table order."""
    frame = pd.DataFrame({"id": [2, 1, 2, 1], "v": [1.0, 2.0, 3.0, 4.0]})
    X, y, ids = sequences_from_long(frame, id_column="id")
    assert y is None
    assert ids.tolist() == [2, 1]
    assert [x.ravel().tolist() for x in X] == [[1.0, 3.0], [2.0, 4.0]]


def test_sequences_from_long_output_fits_an_estimator():
    """Check that the sequences and labels train a classifier as they are."""
    X, y, _ = sequences_from_long(
        _long(), id_column="id", time_column="t", label_column="label"
    )
    clf = RNNClassifier(hidden_size=4, max_epochs=2, random_state=0).fit(X, y)
    assert clf.n_features_in_ == 2
    assert clf.predict(X).shape == (len(X),)


@pytest.mark.parametrize(
    "change, kwargs, match",
    [
        ("label", {"label_column": "label"}, "several labels for sequence"),
        ("time", {"time_column": "t"}, "repeats a time within sequence"),
        ("text", {}, "value_columns must be numeric"),
        (None, {"value_columns": ["zz"]}, "not among the columns"),
        (None, {"value_columns": ["id"]}, "also the id, time or label"),
        (None, {"time_column": "nope"}, "not among the columns"),
        ("missing_id", {}, "holds missing values"),
    ],
)
def test_sequences_from_long_refuses_bad_tables(change, kwargs, match):
    """Check that ambiguous or unusable long tables get a clear ValueError."""
    frame = _long().drop(columns="label" if "label_column" not in kwargs else [])
    if change == "label":
        frame.loc[frame.index[frame["id"] == "s0"][0], "label"] = "other"
    elif change == "time":
        first = frame.index[frame["id"] == "s0"]
        frame.loc[first[1], "t"] = frame.loc[first[0], "t"]
    elif change == "text":
        frame["note"] = "x"
    elif change == "missing_id":
        frame.loc[0, "id"] = None
    with pytest.raises(ValueError, match=match):
        sequences_from_long(frame, id_column="id", **kwargs)


def test_sequences_from_long_validates_its_arguments():
    """Check that a frame that is not a DataFrame is refused by name."""
    with pytest.raises(ValueError, match="'frame' parameter"):
        sequences_from_long(np.zeros((3, 2)), id_column=0)


def test_sequences_from_long_integer_column_labels():
    """Check that integer column labels name value columns as strings do."""
    frame = pd.DataFrame({"id": [1, 1, 2], 0: [1.0, 2.0, 3.0], 1: [4.0, 5.0, 6.0]})
    X, _, _ = sequences_from_long(frame, id_column="id", value_columns=0)
    assert [x.ravel().tolist() for x in X] == [[1.0, 2.0], [3.0]]
